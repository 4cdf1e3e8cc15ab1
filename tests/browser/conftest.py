"""The real app on a small seeded region, served on a free port, and a headless Chromium."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from data_access.accounts import create_kiosk_token
from tests.support.backends import open_backend
from tests.support.clock import TickingClock
from tests.support.wall_region import FIXED_NOW, seed_wall_region

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]


class LiveWall:
    def __init__(self, app, runtime, backend, url: str, kiosk: str):
        self.app, self.runtime, self.backend, self.url = app, runtime, backend, url
        self.clock = runtime.clock
        self.kiosk = kiosk  # a screen's kiosk token: /wall is not open without one

    def wall(self, query: str = "") -> str:
        return f"{self.url}/wall?kiosk={self.kiosk}" + (f"&{query}" if query else "")


@pytest.fixture(scope="module")
def live_wall(tmp_path_factory):
    from dashboard.app import create_app
    from dashboard.runtime import open_runtime
    from dashboard.settings import Settings

    # The hand-worked figures hold at FIXED_NOW (a Wednesday 14:00), not on any day: the
    # app's clock starts there and runs at real speed.
    clock = TickingClock(FIXED_NOW)
    with open_backend("embedded", tmp_path_factory.mktemp("wall-live")) as backend:
        seed_wall_region(backend.sessions, backend.counters, FIXED_NOW)
        with backend.sessions.begin() as session:
            _info, kiosk = create_kiosk_token(session, "test wall", clock())
        settings = Settings(env="test", database_url=backend.database_url,
                            redis_url=backend.redis_url, redis_namespace=backend.namespace,
                            region="320300", var_dir=tmp_path_factory.mktemp("var"))
        runtime = open_runtime(settings, clock=clock)
        app = create_app(settings, runtime)
        server = make_server("127.0.0.1", 0, app.server, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield LiveWall(app, runtime, backend, f"http://127.0.0.1:{server.server_port}",
                           kiosk)
        finally:
            server.shutdown()
            runtime.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()
