"""Engines and sessions. SQLite (embedded default) and PostgreSQL (production) alike."""
from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

# A PostgreSQL host that has gone dark (no refusal, no answer) fails a connection attempt
# after this long instead of the operating system's minutes, so a request that needs the
# database fails fast and a wall tile goes stale instead of hanging its worker thread.
CONNECT_TIMEOUT_SECONDS = 5
# SQLite waits this long for another writer's lock before giving up.
SQLITE_BUSY_SECONDS = 30


def make_engine(url: str, *, timeout: float | None = None, **kwargs) -> Engine:
    """An engine for `url`; SQLite gets WAL and a busy timeout so the simulator and the
    web server can write and read the same file at once. `timeout` (seconds) overrides how
    long a connection attempt (PostgreSQL) or a lock (SQLite) may take."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        busy = timeout if timeout is not None else SQLITE_BUSY_SECONDS
        engine = create_engine(url, connect_args={"timeout": busy}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy * 1000)}")
            cursor.close()

        return engine
    # Pre-ping stays: it costs one empty statement per checkout, a number that follows the
    # panels' computations and not the screens, and it spares an officer's action the
    # failure that a connection broken by a database restart would otherwise cause.
    kwargs.setdefault("pool_pre_ping", True)
    if parsed.get_backend_name() == "postgresql":
        # Whole seconds (libpq's unit), never 0, which would mean no limit at all.
        wait = math.ceil(timeout if timeout is not None else CONNECT_TIMEOUT_SECONDS)
        kwargs.setdefault("connect_args", {}).setdefault("connect_timeout", max(wait, 1))
    return create_engine(url, **kwargs)


def probe_engine(url: str, timeout: float) -> Engine:
    """An engine for liveness probes: a new connection per probe, which shows that the
    server takes connections now (a pooled one may outlive its server's readiness)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        statement_ms = int(timeout * 1000)
        return make_engine(url, timeout=timeout, poolclass=NullPool, pool_pre_ping=False,
                           connect_args={"options": f"-c statement_timeout={statement_ms}"})
    return make_engine(url, timeout=timeout, poolclass=NullPool)


def ping(engine: Engine) -> None:
    """One trivial statement, on a connection of its own."""
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def reading_sessions(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions on the same pool whose statements each commit at once (AUTOCOMMIT): for
    readers that do minutes of pandas work between statements (the wall's refresher on a
    million-case day). In a transaction they sat "idle in transaction" the whole time,
    holding a snapshot that keeps VACUUM from cleaning and a stop waiting; with autocommit
    the connection is idle between statements. Not for writers."""
    engine = factory.kw["bind"]
    return sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"),
                        expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session
