"""The live services one process works with: the database engine and the Redis client.

Built from Settings by the CLI and by create_app; nothing here runs at import time.
"""
from __future__ import annotations

from dataclasses import dataclass, field

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
    # Holds the embedded redis-server process alive for as long as this runtime lives.
    _embedded: redis.Redis | None = field(default=None, repr=False)

    def close(self) -> None:
        self.redis.close()
        self.engine.dispose()


def open_runtime(settings: Settings) -> Runtime:
    engine = make_engine(settings.effective_database_url)
    embedded = None
    if settings.redis_url:
        redis_url = settings.redis_url
    else:
        embedded = embedded_redis(settings.embedded_redis_path)
        redis_url = unix_socket_url(embedded)
    client = connect(redis_url)
    counters = Counters(client, namespace=settings.redis_namespace, zone=settings.zone)
    return Runtime(settings, engine, session_factory(engine), client, redis_url, counters,
                   embedded)
