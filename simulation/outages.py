"""Riding out outages of the services a writer needs (the database, Redis).

A failure of a service marks it down: one log line, then no work that needs it until a
retry, spaced by a backoff that doubles from FIRST_RETRY to MAX_RETRY seconds; when a
retry's probe succeeds, one log line again and the writer resumes. Errors that are not a
lost service (a bug, a refused change) still propagate: retrying them would only hide them.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

import redis
from sqlalchemy import exc as sa_exc

log = logging.getLogger(__name__)

FIRST_RETRY = 1.0
MAX_RETRY = 30.0


def is_database_outage(error: BaseException) -> bool:
    """The database is unreachable or dropped the connection (SQLite: locked for longer than
    its busy timeout)."""
    return isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError) or (
        isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated)


def is_redis_outage(error: BaseException) -> bool:
    """Redis is unreachable, timed out, or is a replica after a failover."""
    return isinstance(error, redis.ConnectionError | redis.TimeoutError | redis.ReadOnlyError)


def one_line(error: BaseException) -> str:
    """The error's first line: SQLAlchemy appends the statement and a link on more."""
    cause = getattr(error, "orig", None) or error
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[0] if text else ''}".rstrip(": ")


class Service:
    """One service as a writer sees it: up, or down since `since` with a retry due at
    `retry_at` (monotonic seconds)."""

    def __init__(self, name: str, is_outage: Callable[[BaseException], bool],
                 probe: Callable[[], object], monotonic: Callable[[], float] = time.monotonic):
        self.name, self.is_outage, self.probe, self.monotonic = name, is_outage, probe, monotonic
        self.since: datetime | None = None
        self.last_outage_start: datetime | None = None  # of the outage that ended last
        self.retry_at = 0.0
        self.delay = FIRST_RETRY

    @property
    def down(self) -> bool:
        return self.since is not None

    def failed(self, error: BaseException, now: datetime) -> None:
        if self.since is None:
            self.since, self.delay = now, FIRST_RETRY
            log.warning("%s outage started: %s (retrying every %g s up to %g s)", self.name,
                        one_line(error), FIRST_RETRY, MAX_RETRY)
        else:
            self.delay = min(self.delay * 2, MAX_RETRY)
        self.retry_at = self.monotonic() + self.delay

    def recover(self, now: datetime) -> bool:
        """If down and a retry is due, probe; True when the service has just come back."""
        if self.since is None or self.monotonic() < self.retry_at:
            return False
        try:
            self.probe()
        except Exception as error:
            if not self.is_outage(error):
                raise
            self.failed(error, now)
            return False
        log.warning("%s outage ended after %.0f s", self.name,
                    (now - self.since).total_seconds())
        self.last_outage_start, self.since = self.since, None
        return True


class Services:
    """The database and Redis together: `run` does a piece of work if the services it
    needs are up, and turns an outage of either into that service's state."""

    def __init__(self, database: Service, redis_service: Service):
        self.database, self.redis = database, redis_service

    def recovered(self, now: datetime) -> list[Service]:
        """The services that came back at this retry."""
        return [s for s in (self.database, self.redis) if s.recover(now)]

    def run(self, now: datetime, needs: tuple[Service, ...], work: Callable[[], object]
            ) -> bool:
        """Do `work` unless a service in `needs` is down; False if skipped or cut short by
        an outage (of any service: work may touch more than it needs)."""
        if any(s.down for s in needs):
            return False
        try:
            work()
        except Exception as error:
            service = next((s for s in (self.database, self.redis) if s.is_outage(error)),
                           None)
            if service is None:
                raise
            service.failed(error, now)
            return False
        return True

    def outage(self) -> tuple[str | None, datetime | None]:
        """The outage to report (the database's first: Redis's cannot be reported to Redis)."""
        for s in (self.database, self.redis):
            if s.down:
                return s.name, s.since
        return None, None
