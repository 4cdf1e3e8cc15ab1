"""The source systems allowed to send cases, and their tokens: one per source, shown once
when made, stored as its SHA-256 only (a token is 32 random bytes: a fast hash is enough),
revocable."""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.models import IntakeSource

NAME = re.compile(r"^[a-z][a-z0-9_]{1,15}$")
TOKEN_PREFIX = "gws_"


class SourceError(ValueError):
    pass


@dataclass(frozen=True)
class SourceRef:
    id: int
    name: str
    county_code: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_source(session: Session, name: str, county_code: str, at: datetime) -> str:
    """Create a source; returns its token (the only time it is seen)."""
    if not NAME.match(name):
        raise SourceError("a source name is 2-16 of a-z, 0-9, _ starting with a letter")
    if session.scalar(select(IntakeSource.id).where(IntakeSource.name == name)) is not None:
        raise SourceError(f"source {name!r} exists already (revoke it and give a new name, "
                          "or `govwall source token` for a new token)")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(IntakeSource(name=name, token_hash=token_hash(token), county_code=county_code,
                             created_at=at))
    session.flush()
    return token


def new_token(session: Session, name: str) -> str:
    """Replace a source's token (the old one stops working at once); returns the new one."""
    source = _get(session, name)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    source.token_hash = token_hash(token)
    source.revoked_at = None
    return token


def revoke(session: Session, name: str, at: datetime) -> None:
    _get(session, name).revoked_at = at


def _get(session: Session, name: str) -> IntakeSource:
    source = session.scalar(select(IntakeSource).where(IntakeSource.name == name))
    if source is None:
        raise SourceError(f"no source named {name!r}")
    return source


def find(session: Session, name: str) -> SourceRef:
    s = _get(session, name)
    return SourceRef(s.id, s.name, s.county_code)


def authenticate(session: Session, token: str) -> SourceRef | None:
    """The active source whose token this is, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    s = session.scalar(select(IntakeSource).where(IntakeSource.token_hash == token_hash(token),
                                                  IntakeSource.revoked_at.is_(None)))
    return None if s is None else SourceRef(s.id, s.name, s.county_code)
