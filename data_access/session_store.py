"""Server-side sign-in sessions in Redis: the browser's cookie holds only a random id.

A record (user or kiosk id, role, CSRF token, created and last-seen instants) lives under
the app's namespace, keyed by a hash of the id (reading Redis does not yield usable cookies).
Each user and each kiosk token has an index of its sessions, so that disabling a user,
changing their password or role, or revoking a token ends all of them at once.

Instants are epoch seconds of the caller's clock (the app's runtime clock); whether a
session is still valid is decided against them (`SessionLimits.expired`), and Redis's own
expiry only collects what nobody will ask for again.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass

import redis

# The cookie's value: 43 characters of token_urlsafe(32); anything else is not ours.
SESSION_ID_LENGTH = 43
_ID_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
CREATED = "created"
SEEN = "seen"
USER_ID = "uid"
KIOSK_ID = "kiosk"
# A slack on Redis's expiry over the lifetime, so that Redis never drops a record the clock
# still counts as valid.
_EXPIRY_SLACK = 3600


@dataclass(frozen=True)
class SessionLimits:
    """A person's session ends after `idle` seconds without a request or `absolute` seconds
    after sign-in, whichever is first; a kiosk screen's only after `idle` (a wall runs for
    weeks, and its token can be revoked)."""

    idle: int
    absolute: int

    def expired(self, record: dict, now: float) -> bool:
        created, seen = record.get(CREATED, 0), record.get(SEEN, 0)
        if now - seen > self.idle:
            return True
        return record.get(USER_ID) is not None and now - created > self.absolute

    def ttl(self, record: dict) -> int:
        lifetime = self.absolute if record.get(USER_ID) is not None else self.idle
        return lifetime + _EXPIRY_SLACK


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def well_formed(session_id: str) -> bool:
    return len(session_id) == SESSION_ID_LENGTH and set(session_id) <= _ID_CHARACTERS


class SessionStore:
    def __init__(self, client: redis.Redis, namespace: str, limits: SessionLimits):
        self._redis = client
        self._prefix = f"{namespace}:v1:session"
        self.limits = limits

    def _key(self, session_id: str) -> str:
        return f"{self._prefix}:{hashlib.sha256(session_id.encode()).hexdigest()}"

    def _index(self, kind: str, owner: int) -> str:
        return f"{self._prefix}s:{kind}:{owner}"

    def load(self, session_id: str) -> dict | None:
        """The session's record, or None (unknown, or not one of ours). RedisError passes."""
        if not well_formed(session_id):
            return None
        raw = self._redis.get(self._key(session_id))
        try:
            record = json.loads(raw) if raw else None
        except ValueError:
            return None
        return record if isinstance(record, dict) else None

    def save(self, session_id: str, record: dict) -> None:
        key = self._key(session_id)
        with self._redis.pipeline() as pipe:
            ttl = self.limits.ttl(record)
            pipe.set(key, json.dumps(record), ex=ttl)
            for kind in (USER_ID, KIOSK_ID):
                if record.get(kind) is not None:
                    index = self._index(kind, record[kind])
                    pipe.sadd(index, key)
                    pipe.expire(index, ttl)
            pipe.execute()

    def delete(self, session_id: str) -> None:
        if well_formed(session_id):
            self._redis.delete(self._key(session_id))

    def end_all(self, *, user_id: int | None = None, kiosk_id: int | None = None) -> int:
        """End every session of a user or of a kiosk token; returns how many there were."""
        index = self._index(USER_ID, user_id) if user_id is not None \
            else self._index(KIOSK_ID, kiosk_id)
        keys = list(self._redis.smembers(index))
        with self._redis.pipeline() as pipe:
            for key in keys:
                pipe.delete(key)
            pipe.delete(index)
            ended = pipe.execute()[:-1]
        return sum(ended)
