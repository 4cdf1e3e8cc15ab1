"""A database outage, for real, under the running app: valid screens and people keep their
last verdict for GRACE_SECONDS while wall tiles go stale, then the guard answers 503 (never
500), and everything comes back with the database.

PostgreSQL is reached through a TCP proxy the test cuts; the embedded SQLite file is moved
away (its directory entry becomes a directory, which SQLite cannot open)."""
from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from dashboard.auth import GRACE_SECONDS, RECHECK_SECONDS, RETRY_SECONDS, UNAVAILABLE
from tests.dashboard.live_app import LiveApp, app_settings, live_app, tile_state
from tests.support.backends import backend_names, open_backend
from tests.support.kiosk import add_people, kiosk_token
from tests.support.tcp_proxy import TcpProxy


class SqliteOutage:
    def __init__(self, database: Path, engine: Engine, aside: Path):
        self.database, self.engine, self.aside = database, engine, aside

    def _files(self) -> list[str]:
        return [self.database.name + suffix for suffix in ("", "-wal", "-shm")]

    def cut(self) -> None:
        # The process's open handles go with the file, as they would with its disk.
        self.engine.dispose()
        self.aside.mkdir(exist_ok=True)
        for name in self._files():
            if (self.database.parent / name).exists():
                shutil.move(self.database.parent / name, self.aside / name)
        self.database.mkdir()

    def restore(self) -> None:
        self.database.rmdir()
        for name in self._files():
            if (self.aside / name).exists():
                shutil.move(self.aside / name, self.database.parent / name)


@dataclass
class Outage:
    live: LiveApp
    token: str
    cut: object
    restore: object


@pytest.fixture(scope="module", params=backend_names())
def outage(request, tmp_path_factory):
    kind = request.param
    workdir = tmp_path_factory.mktemp(f"outage-{kind}")
    with open_backend(kind, workdir) as backend:
        add_people(backend.sessions)
        token = kiosk_token(backend.sessions)
        url = make_url(backend.database_url)
        proxy = None
        if kind == "server":
            proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
            url = url.set(host="127.0.0.1", port=proxy.port)
        settings = app_settings(url.render_as_string(hide_password=False), backend.redis_url,
                                backend.namespace)
        with live_app(settings) as live:
            if proxy is not None:
                yield Outage(live, token, proxy.cut, proxy.restore)
                proxy.close()
            else:
                sqlite = SqliteOutage(Path(url.database), live.runtime.engine,
                                      workdir / "aside")
                yield Outage(live, token, sqlite.cut, sqlite.restore)


def _healthy_within(live, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if live.get(live.client(), "/healthz").status_code == 200:
            return True
        time.sleep(0.2)
    return False


def test_valid_screens_and_people_ride_out_an_outage_while_tiles_go_stale(outage):
    live = outage.live
    screen, duty = live.screen(outage.token), live.person("duty")
    assert tile_state(live.alerts(screen, rows=11))["ok"] is True
    assert live.get(live.client(), "/healthz").status_code == 200
    outage.cut()
    try:
        live.advance(RECHECK_SECONDS + 1)  # a re-check is due, and fails
        assert live.get(screen, "/wall").status_code == 200
        # The refresher cannot refresh: the last board, a minute old, is marked stale.
        stale = tile_state(live.alerts(screen, rows=10))
        assert stale["ok"] is False
        assert live.get(duty, "/ops").status_code == 200
        # A screen that reloads its page with the token is recognised without the database.
        assert live.get(live.client(), f"/wall?kiosk={outage.token}").status_code == 200
        health = live.get(live.client(), "/healthz")
        assert health.status_code == 503
        checks = health.json()["checks"]
        assert checks["database"]["ok"] is False and checks["redis"]["ok"] is True
    finally:
        outage.restore()
    live.advance(RETRY_SECONDS)
    assert tile_state(live.alerts(screen, rows=9, fresh=True))["ok"] is True
    # The alerts are back; the refresher's pass may still be recomputing other stale inputs
    # (it takes missing and changed ones first), so health recovers within that pass.
    assert _healthy_within(live, seconds=20)


def test_after_the_grace_period_the_guard_answers_503_then_recovers(outage):
    live = outage.live
    screen, duty = live.screen(outage.token), live.person("duty")
    outage.cut()
    try:
        live.advance(GRACE_SECONDS + RECHECK_SECONDS)
        for response in (live.get(screen, "/wall"), live.alerts(screen),
                         live.get(duty, "/ops")):
            assert response.status_code == 503
            assert response.text == UNAVAILABLE
            assert response.headers["Retry-After"] == str(RETRY_SECONDS)
        # Signing in needs the database: refused the same way, not with an error page.
        with pytest.raises(AssertionError, match=UNAVAILABLE):
            live.person("lead")
    finally:
        outage.restore()
    live.advance(RETRY_SECONDS)
    assert live.get(screen, "/wall").status_code == 200
    assert tile_state(live.alerts(screen, rows=8, fresh=True))["ok"] is True
    assert live.get(duty, "/ops").status_code == 200
