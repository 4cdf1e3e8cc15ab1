"""The app served on a free port and a headless Chromium for the browser tests."""
from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import make_server

from dashboard.app import create_app
from dashboard.runtime import open_runtime
from dashboard.settings import Settings
from tests.support.kiosk import PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


@contextmanager
def serve(backend, clock=None) -> Iterator[str]:
    """The whole app on the backend's database and Redis, its "now" from `clock` (a
    TickingClock) if given; yields its base URL."""
    settings = Settings(env="test", database_url=backend.database_url,
                        redis_url=backend.redis_url, redis_namespace=backend.namespace)
    app = create_app(settings, open_runtime(settings, clock=clock))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = make_server("127.0.0.1", port, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        app.server.config["GOVWALL_RUNTIME"].close()


@contextmanager
def chromium(width: int = 1600, height: int = 1000):
    """One page of Debian's Chromium (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        try:
            yield browser.new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()


def sign_in(page, base_url: str, path: str, username: str = "duty") -> None:
    """Sign out, open `path` (which shows the sign-in form), sign in as `username` and wait
    to be back on the page (its own script may rewrite the query, so only the path is
    awaited)."""
    page.goto(f"{base_url}/logout")
    page.goto(f"{base_url}{path}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_function("!location.pathname.startsWith('/login')")
