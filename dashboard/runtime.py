"""The live services one process works with: the database engine and the Redis client.

Built from Settings by the CLI and by create_app; nothing here runs at import time.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dashboard.settings import Settings
from data_access.counters import Counters
from data_access.db import make_engine, session_factory
from data_access.redis_conn import connect, embedded_redis, unix_socket_url


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    redis: redis.Redis
    redis_url: str
    counters: Counters
    # "Now" for everything this runtime computes: the real clock, or a frozen one in tests
    # (no test may depend on today's date or the time of day).
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC), repr=False)
    # Holds the embedded redis-server process alive for as long as this runtime lives.
    _embedded: redis.Redis | None = field(default=None, repr=False)

    # What must stop before the services close (the wall refresher's thread).
    on_close: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def close(self) -> None:
        for stop in self.on_close:
            stop()
        self.redis.close()
        self.engine.dispose()


def open_runtime(settings: Settings, clock: Callable[[], datetime] | None = None) -> Runtime:
    engine = make_engine(settings.effective_database_url)
    embedded = None
    if settings.redis_url:
        redis_url = settings.redis_url
    else:
        embedded = embedded_redis(settings.embedded_redis_path)
        redis_url = unix_socket_url(embedded)
    client = connect(redis_url)
    counters = Counters(client, namespace=settings.redis_namespace, zone=settings.zone)
    runtime = Runtime(settings, engine, session_factory(engine), client, redis_url, counters,
                      _embedded=embedded)
    if clock is not None:
        runtime.clock = clock
    return runtime
