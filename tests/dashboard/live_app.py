"""The real app served over HTTP by werkzeug in a thread, with a clock the test moves, and
screens and people as HTTP clients with their own cookies."""
from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import requests
from dash import Dash
from werkzeug.serving import make_server

from dashboard.app import create_app
from dashboard.runtime import Runtime, open_runtime
from dashboard.settings import Settings
from tests.support.clock import TickingClock
from tests.support.kiosk import PASSWORD
from tests.support.tiny_territory import COUNTY

START = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Shanghai


class LiveApp:
    def __init__(self, app: Dash, runtime: Runtime, clock: TickingClock, url: str):
        self.app, self.runtime, self.clock, self.url = app, runtime, clock, url

    def advance(self, seconds: float) -> None:
        self.clock.start += timedelta(seconds=seconds)

    def client(self) -> requests.Session:
        client = requests.Session()
        client.headers["Origin"] = self.url
        return client

    def get(self, client: requests.Session, path: str, **kwargs) -> requests.Response:
        return client.get(self.url + path, allow_redirects=False, timeout=30, **kwargs)

    def screen(self, token: str) -> requests.Session:
        """A wall screen signed in by its kiosk token."""
        client = self.client()
        response = self.get(client, f"/wall?kiosk={token}")
        assert response.status_code == 200, response.text
        return client

    def person(self, username: str) -> requests.Session:
        client = self.client()
        page = self.get(client, "/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        response = client.post(self.url + "/login", allow_redirects=False, timeout=30,
                               data={"username": username, "password": PASSWORD,
                                     "csrf": csrf, "next": "/ops"})
        assert response.status_code == 302, response.text
        return client

    def alerts(self, client: requests.Session, rows: int = 12,
               fresh: bool = False) -> requests.Response:
        """The wall's alert board (a real wall callback), once the app's refresher has
        computed the view (within a second or two of a screen first asking for it); with
        `fresh`, once it has recomputed it (after an outage)."""
        for _ in range(100):
            response = client.post(self.url + "/_dash-update-component",
                                   json=alerts_callback(rows), timeout=30)
            if response.status_code != 200 or \
                    tile_state(response)["ok"] not in ((None, False) if fresh else (None,)):
                return response
            time.sleep(0.1)
        raise AssertionError("the wall's refresher never computed the view")


def alerts_callback(rows: int) -> dict:
    outputs = [("wall-alerts-body", "children"), ("wall-alerts-red-ids", "data"),
               ("wall-alerts-status", "children"), ("wall-alerts-tile", "className"),
               ("wall-alerts-state", "data")]
    return {
        "output": ".." + "...".join(f"{i}.{p}" for i, p in outputs) + "..",
        "outputs": [{"id": i, "property": p} for i, p in outputs],
        "inputs": [{"id": "wall-alerts-request", "property": "data",
                    "value": {"seq": 1, "at": 0}},
                   {"id": "wall-unit", "property": "data", "value": COUNTY}],
        "state": [{"id": "wall-config", "property": "data",
                   "value": {"lang": "zh", "rows": rows, "unit_px": 1.0, "measure": "open",
                             "units": [COUNTY]}},
                  {"id": "wall-alerts-state", "property": "data", "value": None}],
        "changedPropIds": ["wall-alerts-request.data"],
    }


def tile_state(response: requests.Response) -> dict:
    """The alert tile's state: {"ok": True, ...} fresh, {"ok": False, ...} stale."""
    assert response.status_code == 200, response.text
    return response.json()["response"]["wall-alerts-state"]["data"]


@contextmanager
def live_app(settings: Settings, host: str = "127.0.0.1",
             refresher: bool = True) -> Iterator[LiveApp]:
    clock = TickingClock(START)
    runtime = open_runtime(settings, clock=clock)
    app = create_app(settings, runtime, refresher=refresher)
    server = make_server(host, 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveApp(app, runtime, clock, f"http://{host}:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(10)
        runtime.close()


def app_settings(database_url: str, redis_url: str, namespace: str, **extra) -> Settings:
    return Settings(env="test", database_url=database_url, redis_url=redis_url,
                    redis_namespace=namespace, **extra)
