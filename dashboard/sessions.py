"""Flask's `session`, kept in Redis (data_access.session_store) instead of a signed cookie.

The cookie carries a random id only: nothing in it names the person or the role, and a
session ends on the server (sign-out, a disabled user, a revoked kiosk token) whatever
copies of the cookie exist. While Redis cannot be read a request's session is marked
`unavailable` and nothing is written; the guard decides what such a request may do.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from redis.exceptions import RedisError
from werkzeug.datastructures import CallbackDict

from dashboard.settings import Settings
from data_access.session_store import (
    CREATED,
    SEEN,
    USER_ID,
    SessionLimits,
    SessionStore,
    new_session_id,
)

# The last-seen instant is written at most this often (an idle timeout to the minute, not a
# Redis write for every tile of every screen).
SEEN_PRECISION = 60

log = logging.getLogger(__name__)


def session_limits(settings: Settings) -> SessionLimits:
    return SessionLimits(idle=settings.session_idle_minutes * 60,
                         absolute=settings.session_hours * 3600)


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, record: dict | None = None, session_id: str | None = None, *,
                 unavailable: bool = False, stale: str | None = None):
        def on_update(self: ServerSession) -> None:
            self.modified = True

        super().__init__(record or {}, on_update)
        self.session_id = session_id
        self.unavailable = unavailable
        self.modified = False
        # Ids whose records go at the end of the request (renewed or found expired).
        self.ended: list[str] = [stale] if stale else []
        self.had_cookie = session_id is not None or stale is not None
        self.written = False

    def renew(self) -> None:
        """Empty, under a new id: a new identity never inherits a session id (no fixation)."""
        if self.session_id is not None:
            self.ended.append(self.session_id)
        self.session_id = None
        self.clear()
        self.modified = True


class RedisSessionInterface(SessionInterface):
    def __init__(self, store: SessionStore, clock: Callable[[], float]):
        self.store = store
        self.clock = clock

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        session_id = request.cookies.get(self.get_cookie_name(app))
        if not session_id:
            return ServerSession()
        try:
            record = self.store.load(session_id)
        except RedisError as exc:
            log.warning("sessions cannot be read: %s", exc.__class__.__name__)
            return ServerSession(session_id=session_id, unavailable=True)
        now = self.clock()
        if record is None or self.store.limits.expired(record, now):
            return ServerSession(stale=session_id)
        session = ServerSession(record, session_id)
        if now - record.get(SEEN, 0) >= SEEN_PRECISION:
            session[SEEN] = now
        return session

    def commit(self, session: ServerSession) -> None:
        """Write the session now (RedisError passes): sign-in must know it was kept."""
        for old in session.ended:
            self.store.delete(old)
        session.ended = []
        if not session:
            if session.session_id is not None:
                self.store.delete(session.session_id)
            return
        now = self.clock()
        session.setdefault(CREATED, now)
        session[SEEN] = session.get(SEEN, now)
        if session.session_id is None:
            session.session_id = new_session_id()
        self.store.save(session.session_id, dict(session))
        session.modified = False
        session.written = True

    def save_session(self, app: Flask, session: ServerSession, response: Response) -> None:
        if session.unavailable:
            return
        name, domain, path = (self.get_cookie_name(app), self.get_cookie_domain(app),
                              self.get_cookie_path(app))
        if session.modified or session.ended:
            try:
                self.commit(session)
            except RedisError as exc:
                log.warning("session not saved: %s", exc.__class__.__name__)
                return
        if not session:
            if session.had_cookie:
                response.delete_cookie(name, domain=domain, path=path,
                                       secure=self.get_cookie_secure(app),
                                       httponly=self.get_cookie_httponly(app),
                                       samesite=self.get_cookie_samesite(app))
            return
        if session.written:
            response.vary.add("Cookie")
            response.set_cookie(name, session.session_id, max_age=self._max_age(session),
                                domain=domain, path=path, secure=self.get_cookie_secure(app),
                                httponly=self.get_cookie_httponly(app),
                                samesite=self.get_cookie_samesite(app))

    def _max_age(self, session: ServerSession) -> int:
        """What remains of the session for the browser: a person's ends at the absolute cap
        (it does not slide); a screen's or a visitor's after the idle time."""
        limits = self.store.limits
        if session.get(USER_ID) is None:
            return limits.idle
        return max(0, int(session[CREATED] + limits.absolute - self.clock()))
