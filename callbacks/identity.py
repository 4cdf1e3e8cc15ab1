"""Who is asking: the signed-in person or the wall screen behind the current request.

dashboard/sign_in.py and dashboard/auth.py write these keys into the server-side session
(dashboard/sessions.py; the browser's cookie holds only its id) and guard every request with
them; callbacks read them to name the actor of an action and to decide what a person may see.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import has_request_context, session

from data_access import session_store

USER_ID = session_store.USER_ID
KIOSK_ID = session_store.KIOSK_ID
USERNAME = "user"
DISPLAY_NAME = "name"
ROLE = "role"
# The unit code whose cases the person's duty queue shows; absent: the whole region.
AREA = "area"
# When the session was last known valid (sign-in, or the guard's latest read of the active
# accounts), in epoch seconds of the runtime clock: the guard's grace period counts from it.
CHECKED_AT = "checked"
CSRF = "csrf"

# Actions that change a case (签收, 督办, 上报上级, 备注, 回访): the people on duty and admins.
# Leaders read, brief and export, but orders go through the duty desk.
ACTION_ROLES = frozenset({"duty_officer", "admin"})
# Seeing a reporter's phone and name in clear, always recorded as an "unmask" transition.
UNMASK_ROLES = frozenset({"leader", "admin"})
# With GOVWALL_AUTH_REQUIRED=false (development only) every request acts as this person.
DEVELOPMENT_USER = ("dev", "开发者", "admin")


@dataclass(frozen=True)
class Identity:
    username: str
    display_name: str
    role: str
    area: str | None = None

    @property
    def may_act(self) -> bool:
        return self.role in ACTION_ROLES

    @property
    def may_unmask(self) -> bool:
        return self.role in UNMASK_ROLES


def auth_disabled() -> bool:
    from flask import current_app

    return not current_app.config.get("GOVWALL_AUTH_REQUIRED", True)


def current_identity() -> Identity | None:
    """The signed-in person, or None (nobody, or a kiosk screen)."""
    if not has_request_context():
        return None
    if auth_disabled():
        return Identity(*DEVELOPMENT_USER)
    if session.get(USER_ID) is None:
        return None
    return Identity(session[USERNAME], session.get(DISPLAY_NAME) or session[USERNAME],
                    session[ROLE], session.get(AREA))
