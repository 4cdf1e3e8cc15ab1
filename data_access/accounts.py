"""People who sign in (users) and the wall screens' read-only kiosk tokens.

Passwords are stored as werkzeug's salted hashes (scrypt); kiosk tokens as SHA-256 hex of a
random 256-bit token (the token itself is shown once, when created). A token is long and
random, so a fast unsalted hash is enough and lets us look it up by its hash.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from sqlalchemy import literal, select, union_all
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from data_access.models import AccountEvent, KioskToken, Unit, User

ROLES = ("duty_officer", "leader", "admin")
MIN_PASSWORD_LENGTH = 8
MAX_USERNAME_LENGTH = 32
# Hashing a megabyte of "password" costs the server, not the guesser: refused unread.
MAX_PASSWORD_LENGTH = 256
# A hash to check against when the user does not exist, so that a wrong user name takes as
# long as a wrong password (no user-name probing by timing).
_DUMMY_HASH = generate_password_hash("govwall-no-such-user")


class AccountError(ValueError):
    """A user or token request that cannot be done; the message says why."""


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    display_name: str
    role: str
    area: str | None = None  # a unit code; None: the whole region


@dataclass(frozen=True)
class KioskInfo:
    id: int
    label: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _info(user: User) -> UserInfo:
    return UserInfo(user.id, user.username, user.display_name, user.role, user.area)


def region_prefix(region: str) -> str:
    """The code prefix every unit of a region shares: 32 for the province, 3203 for a city,
    the county's 6 digits for a county."""
    if region.endswith("0000"):
        return region[:2]
    return region[:4] if region.endswith("00") else region


def check_area(session: Session, area: str | None, region: str) -> str | None:
    """An account's area as stored: a unit of the territory inside the region, or None
    (the whole region) for an empty value or the region itself."""
    area = (area or "").strip()
    if not area or area == region:
        return None
    if not area.startswith(region_prefix(region)):
        raise AccountError(f"area {area!r} is outside the region {region}")
    if session.scalar(select(Unit.code).where(Unit.code == area)) is None:
        raise AccountError(f"area {area!r} is no unit of the territory (county, township, "
                           f"village or grid code)")
    return area


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"a password has at most {MAX_PASSWORD_LENGTH} characters")
    if "\0" in password:
        raise AccountError("a password cannot contain a NUL character")


def create_user(session: Session, username: str, display_name: str, role: str,
                password: str, at: datetime, area: str | None = None) -> UserInfo:
    """A new account; `area` must have passed check_area."""
    username = username.strip()
    _check_role(role)
    if not username or len(username) > MAX_USERNAME_LENGTH or "\0" in username:
        raise AccountError(f"a user name has 1 to {MAX_USERNAME_LENGTH} characters, no NUL")
    _check_password(password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"user {username!r} exists already")
    user = User(username=username, display_name=display_name.strip() or username, role=role,
                password_hash=generate_password_hash(password), active=True, created_at=at,
                area=area)
    session.add(user)
    session.flush()
    return _info(user)


def authenticate(session: Session, username: str, password: str) -> UserInfo | None:
    user = session.scalar(select(User).where(User.username == username.strip(),
                                             User.active.is_(True)))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return _info(user) if check_password_hash(user.password_hash, password) else None


def find_user(session: Session, username: str) -> UserInfo | None:
    user = session.scalar(select(User).where(User.username == username))
    return _info(user) if user is not None else None


@dataclass(frozen=True)
class UserListing:
    username: str
    display_name: str
    role: str
    active: bool
    created_at: datetime
    area: str | None


def list_users(session: Session) -> list[UserListing]:
    return [UserListing(*row) for row in session.execute(
        select(User.username, User.display_name, User.role, User.active, User.created_at,
               User.area).order_by(User.username))]


def record_event(session: Session, at: datetime, actor: str, action: str, username: str,
                 detail: str = "") -> None:
    session.add(AccountEvent(at=at, actor=actor[:64], action=action, username=username[:64],
                             detail=detail[:128]))


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AccountError(f"no user {username!r}")
    return user


def set_active(session: Session, username: str, active: bool, at: datetime,
               actor: str) -> UserInfo:
    user = _user(session, username)
    user.active = active
    record_event(session, at, actor, "enable" if active else "disable", username)
    return _info(user)


def set_password(session: Session, username: str, password: str, at: datetime,
                 actor: str) -> UserInfo:
    _check_password(password)
    user = _user(session, username)
    user.password_hash = generate_password_hash(password)
    record_event(session, at, actor, "set-password", username)
    return _info(user)


def set_role(session: Session, username: str, role: str, at: datetime,
             actor: str) -> UserInfo:
    _check_role(role)
    user = _user(session, username)
    record_event(session, at, actor, "set-role", username, f"{user.role} -> {role}")
    user.role = role
    return _info(user)


def set_area(session: Session, username: str, area: str | None, region: str, at: datetime,
             actor: str) -> UserInfo:
    """Give an account its area (a unit code), or the whole region with None."""
    area = check_area(session, area, region)
    user = _user(session, username)
    record_event(session, at, actor, "set-area", username,
                 f"{user.area or region} -> {area or region}")
    user.area = area
    return _info(user)


def account_events(session: Session, username: str) -> list[tuple[datetime, str, str, str]]:
    """An account's history, oldest first: (at, actor, action, detail)."""
    return [tuple(row) for row in session.execute(
        select(AccountEvent.at, AccountEvent.actor, AccountEvent.action, AccountEvent.detail)
        .where(AccountEvent.username == username).order_by(AccountEvent.id))]


def create_kiosk_token(session: Session, label: str, at: datetime,
                       token: str | None = None) -> tuple[KioskInfo, str]:
    """A new kiosk token for one screen; returns it in clear (shown once, stored hashed)."""
    token = token or secrets.token_urlsafe(32)
    row = KioskToken(token_hash=hash_token(token), label=label.strip()[:64] or "wall",
                     created_at=at, revoked_at=None)
    session.add(row)
    session.flush()
    return KioskInfo(row.id, row.label), token


def check_kiosk_token(session: Session, token: str) -> KioskInfo | None:
    row = session.scalar(select(KioskToken).where(KioskToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None:
        return None
    return KioskInfo(row.id, row.label)


@dataclass(frozen=True)
class ActiveAccounts:
    """Who may still be signed in: every active user and every kiosk token not revoked."""

    user_ids: frozenset[int]
    kiosk_ids: frozenset[int]
    kiosk_ids_by_hash: Mapping[str, int]

    def kiosk_id(self, token: str) -> int | None:
        return self.kiosk_ids_by_hash.get(hash_token(token))

    def holds(self, user_id: int | None, kiosk_id: int | None) -> bool:
        """Whether a session of this user (or, without one, this kiosk token) may go on."""
        return user_id in self.user_ids if user_id is not None else kiosk_id in self.kiosk_ids


def active_accounts(session: Session) -> ActiveAccounts:
    """All active users and kiosk tokens in one statement: the sign-in guard judges every
    session of a process from it, so its cost does not grow with the number of screens."""
    users = select(literal("user"), User.id, literal("")).where(User.active.is_(True))
    kiosks = select(literal("kiosk"), KioskToken.id, KioskToken.token_hash) \
        .where(KioskToken.revoked_at.is_(None))
    user_ids: set[int] = set()
    kiosk_ids: dict[str, int] = {}
    for kind, row_id, token_hash in session.execute(union_all(users, kiosks)):
        if kind == "user":
            user_ids.add(row_id)
        else:
            kiosk_ids[token_hash] = row_id
    return ActiveAccounts(frozenset(user_ids), frozenset(kiosk_ids.values()),
                          MappingProxyType(kiosk_ids))


def revoke_kiosk_tokens(session: Session, at: datetime, *, token_id: int | None = None,
                        label: str | None = None) -> list[int]:
    """Revoke by id or by label (every active token with that label); returns their ids."""
    if (token_id is None) == (label is None):
        raise AccountError("give a token id or a label")
    query = select(KioskToken).where(KioskToken.revoked_at.is_(None))
    query = query.where(KioskToken.id == token_id) if token_id is not None \
        else query.where(KioskToken.label == label)
    rows = list(session.scalars(query))
    for row in rows:
        row.revoked_at = at
    return [row.id for row in rows]


def list_kiosk_tokens(session: Session) -> list[tuple[int, str, datetime, datetime | None]]:
    return [tuple(r) for r in session.execute(
        select(KioskToken.id, KioskToken.label, KioskToken.created_at, KioskToken.revoked_at)
        .order_by(KioskToken.id))]


def derived_token(secret_key: str, purpose: str) -> str:
    """A token derived from the app's secret: the demo wall gets the same URL every run
    without storing the token in clear anywhere."""
    return hmac.new(secret_key.encode(), purpose.encode(), hashlib.sha256).hexdigest()


def ensure_kiosk_token(session: Session, token: str, label: str, at: datetime) -> KioskInfo:
    """The kiosk token `token`, created if missing (idempotent; a revoked one stays revoked
    and is reported as None by check_kiosk_token)."""
    found = session.scalar(select(KioskToken).where(KioskToken.token_hash == hash_token(token)))
    if found is not None:
        return KioskInfo(found.id, found.label)
    return create_kiosk_token(session, label, at, token=token)[0]


DEMO_ADMIN = "demo-admin"
DEMO_KIOSK_LABEL = "demo wall"


def ensure_demo_accounts(session: Session, secret_key: str,
                         at: datetime) -> tuple[str, str | None]:
    """`govwall demo`'s wall token (derived from the secret: the same URL every run) and an
    admin; returns (token, the admin's new password, or None if the admin existed already)."""
    token = derived_token(secret_key, "demo-kiosk")
    ensure_kiosk_token(session, token, DEMO_KIOSK_LABEL, at)
    if find_user(session, DEMO_ADMIN) is not None:
        return token, None
    password = secrets.token_urlsafe(12)
    create_user(session, DEMO_ADMIN, "演示管理员", "admin", password, at)
    return token, password
