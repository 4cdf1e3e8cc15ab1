"""The wall refresher's readers hold no transaction open between their statements."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from data_access.db import reading_sessions
from data_access.wall_refresher import WallRefresher


def _state_of(backend, session) -> str:
    """What the server says a session's connection is doing (PostgreSQL), or whether the
    SQLite driver has a transaction open."""
    if backend.name == "embedded":
        raw = session.connection().connection.dbapi_connection
        return "in transaction" if raw.in_transaction else "idle"
    pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with backend.engine.connect() as other:
        return other.execute(text("SELECT state FROM pg_stat_activity WHERE pid = :pid"),
                             {"pid": pid}).scalar_one()


def test_a_reading_session_is_idle_between_statements(backend):
    with reading_sessions(backend.sessions)() as session:
        assert session.execute(text("SELECT count(*) FROM cases")).scalar_one() >= 0
        assert _state_of(backend, session) == "idle"
        # Still usable for the next statement, with a fresh snapshot each time.
        assert session.execute(text("SELECT 1")).scalar_one() == 1


def test_an_ordinary_session_would_hold_its_transaction(backend):
    # The contrast that makes the test above mean something: writers keep their transaction.
    if backend.name == "embedded":
        with backend.sessions() as session:
            session.execute(text("CREATE TEMP TABLE IF NOT EXISTS t_probe (x int)"))
            session.execute(text("INSERT INTO t_probe VALUES (1)"))
            assert _state_of(backend, session) == "in transaction"
            session.rollback()
        return
    with backend.sessions() as session:
        session.execute(text("SELECT count(*) FROM cases")).scalar_one()
        assert _state_of(backend, session) == "idle in transaction"


def test_the_refresher_reads_through_reading_sessions(backend, tmp_path):
    refresher = WallRefresher(backend.sessions, backend.counters, store=None,
                              region="320300", zone=None,
                              clock=lambda: datetime(2026, 11, 3, 9, 30, tzinfo=UTC))
    with refresher.reads() as session:
        assert session.get_bind().get_execution_options()["isolation_level"] == "AUTOCOMMIT"
