"""The sign-in guard's cost at the database does not grow with the screens, counted by the
database itself; and a revoked token or a deactivated user is still out within a minute."""
from __future__ import annotations

import os
import time
from datetime import UTC, datetime

from sqlalchemy import event, text, update
from sqlalchemy.engine import make_url

from dashboard.auth import RECHECK_SECONDS
from data_access.accounts import revoke_kiosk_tokens
from data_access.db import make_engine
from data_access.models import User
from tests.dashboard.live_app import LiveApp, app_settings, live_app, tile_state
from tests.support.backends import SERVER_DB_ENV
from tests.support.kiosk import add_people, kiosk_token

SCREENS = 12
ROUNDS = 3  # minutes of polling, each with a re-check due


class SqliteStatements:
    """Every statement SQLite runs for the app's engine (sqlite3's trace callback)."""

    def __init__(self, live: LiveApp):
        self.count = 0
        event.listen(live.runtime.engine, "connect",
                     lambda dbapi, _record: dbapi.set_trace_callback(self._seen))

    def _seen(self, _statement: str) -> None:
        self.count += 1

    def total(self) -> int:
        return self.count


class PostgresStatements:
    """Transactions PostgreSQL counted for the database (pg_stat_database), each statement
    outside a transaction block being one. A backend reports its counts when it ends, so the
    counts are read with no connection open to the database."""

    def __init__(self, backend, live: LiveApp):
        self.name = make_url(backend.database_url).database
        self.engines = (backend.engine, live.runtime.engine)
        self.admin = make_engine(os.environ[SERVER_DB_ENV], isolation_level="AUTOCOMMIT")
        self.start = self._read()

    def _read(self) -> int:
        for engine in self.engines:
            engine.dispose()
        with self.admin.connect() as conn:
            for _ in range(600):  # a backend ends moments after its connection closes
                conn.execute(text("SELECT pg_stat_clear_snapshot()"))
                busy, done = conn.execute(text(
                    "SELECT numbackends, xact_commit + xact_rollback FROM pg_stat_database "
                    "WHERE datname = :name"), {"name": self.name}).one()
                if busy == 0:
                    return done
                time.sleep(0.05)
        raise AssertionError(f"connections to {self.name} did not end")

    def total(self) -> int:
        try:
            return self._read() - self.start
        finally:
            self.admin.dispose()


def guard_statements(backend, tokens: list[str]) -> int:
    """Statements at the database while len(tokens) screens sign in and poll ROUNDS minutes
    of their page (guarded; the wall's refresher, which works whatever the screens, is off)."""
    settings = app_settings(backend.database_url, backend.redis_url, backend.namespace)
    with live_app(settings, refresher=False) as live:
        counter = SqliteStatements(live) if backend.name == "embedded" \
            else PostgresStatements(backend, live)
        screens = [live.screen(token) for token in tokens]
        for _ in range(ROUNDS):
            live.advance(RECHECK_SECONDS)
            for screen in screens:
                assert live.get(screen, "/wall").status_code == 200
        return counter.total()


def test_the_guard_costs_the_same_for_one_screen_or_many(fresh_backend):
    tokens = [kiosk_token(fresh_backend.sessions, label=f"screen {i}") for i in range(SCREENS)]
    one = guard_statements(fresh_backend, tokens[:1])
    many = guard_statements(fresh_backend, tokens)
    assert one == many
    # One read of the accounts at the first sign-in and one per minute after, each a few
    # statements (the pool's ping and the read; on a new connection, its setup).
    assert ROUNDS + 1 <= one <= 8 * (ROUNDS + 1)


def _set_active(backend, username: str, active: bool) -> None:
    with backend.sessions.begin() as session:
        session.execute(update(User).where(User.username == username).values(active=active))


def test_a_revoked_token_or_deactivated_user_is_out_within_a_minute(backend):
    add_people(backend.sessions)
    kept, revoked = kiosk_token(backend.sessions, "kept"), kiosk_token(backend.sessions, "gone")
    settings = app_settings(backend.database_url, backend.redis_url, backend.namespace)
    with live_app(settings) as live:
        kept_screen, revoked_screen = live.screen(kept), live.screen(revoked)
        lead = live.person("lead")
        with backend.sessions.begin() as session:
            revoke_kiosk_tokens(session, datetime.now(UTC), label="gone")
        _set_active(backend, "lead", False)
        try:
            live.advance(RECHECK_SECONDS)
            assert live.get(revoked_screen, "/wall").headers["Location"].startswith("/login")
            assert live.alerts(revoked_screen).status_code == 401
            assert live.get(lead, "/ops").headers["Location"].startswith("/login")
        finally:
            _set_active(backend, "lead", True)
        assert live.get(kept_screen, "/wall").status_code == 200
        assert tile_state(live.alerts(kept_screen))["ok"] is True
        # A token made after the last read is checked at the database when first shown.
        assert live.get(live.screen(kiosk_token(backend.sessions, "new")), "/wall") \
            .status_code == 200
        assert live.get(live.client(), f"/wall?kiosk={revoked}").status_code == 403
