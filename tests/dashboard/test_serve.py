"""`govwall serve` (gunicorn, 2 workers) serves the wall to a kiosk, and both workers share
one computation per panel and bucket through Redis."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from data_access.accounts import create_kiosk_token
from data_access.counters import Counters
from data_access.db import make_engine, session_factory
from data_access.migrate import upgrade
from data_access.redis_conn import connect
from tests.support.backends import ZONE
from tests.support.redis_server import RedisServer
from tests.support.wall_region import seed_wall_region

GOVWALL = Path(sys.executable).parent / "govwall"
NAMESPACE = "govwall_serve_test"
SCREENS = 16
CONFIG = {"lang": "zh", "rows": 7, "unit_px": 1.0, "measure": "patrol", "measures": ["patrol"]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    redis_server = RedisServer(tmp_path).start()
    url = f"sqlite:///{tmp_path / 'wall.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    client = connect(redis_server.url)
    seed_wall_region(sessions, Counters(client, NAMESPACE, ZONE), datetime.now(UTC))
    with sessions.begin() as session:
        _info, kiosk = create_kiosk_token(session, "serve test", datetime.now(UTC))
    engine.dispose()
    port = _free_port()
    env = {**os.environ, "GOVWALL_DATABASE_URL": url, "GOVWALL_REDIS_URL": redis_server.url,
           "GOVWALL_REDIS_NAMESPACE": NAMESPACE, "GOVWALL_REGION": "320300",
           "GOVWALL_VAR_DIR": str(tmp_path / "var"), "GOVWALL_ENV": "test"}
    server = subprocess.Popen([GOVWALL, "serve", "--port", str(port), "--workers", "2"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/_dash-layout", timeout=1)
            except OSError as exc:
                if getattr(exc, "code", None):  # an HTTP answer (e.g. 401): it is up
                    break
                time.sleep(0.2)
            else:
                break
        yield base, kiosk, client
    finally:
        server.terminate()
        server.wait(20)
        client.close()
        redis_server.stop()


def _opener():
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))


def _alerts_request(deps: list[dict], seq: int) -> dict:
    spec = next(d for d in deps if "wall-alerts-body.children" in d["output"])
    values = {"wall-alerts-request": {"seq": seq, "at": 0}, "wall-unit": "320303",
              "wall-config": CONFIG}
    return {
        "output": spec["output"],
        "outputs": [{"id": o.split(".")[0], "property": o.split(".")[1]}
                    for o in spec["output"].strip(".").split("...")],
        "inputs": [{**i, "value": values.get(i["id"])} for i in spec["inputs"]],
        "state": [{**s, "value": values.get(s["id"])} for s in spec["state"]],
        "changedPropIds": ["wall-alerts-request.data"],
    }


def test_two_gunicorn_workers_serve_the_wall_and_share_one_computation(served):
    """16 screens poll the alerts tile every second through 2 workers: every answer comes
    from the refreshers' shared snapshot, which is recomputed at its own pace (every 5 s),
    not once per screen or per request."""
    base, kiosk, client = served
    screens = [_opener() for _ in range(SCREENS)]
    for screen in screens:  # each screen signs in with the kiosk token, as a wall does
        page = screen.open(f"{base}/wall?kiosk={kiosk}", timeout=20)
        assert page.status == 200 and page.geturl().startswith(f"{base}/wall")  # no login
        assert "_dash-config" in page.read().decode()
    deps = json.loads(screens[0].open(f"{base}/_dash-dependencies", timeout=20).read())

    def refresh(screen, seq: int, answers: list) -> None:
        body = json.dumps(_alerts_request(deps, seq)).encode()
        request = urllib.request.Request(f"{base}/_dash-update-component", data=body,
                                         headers={"Content-Type": "application/json",
                                                  "Origin": base})
        answers.append(json.loads(screen.open(request, timeout=20).read()))

    def poll_all(seq: int) -> list[dict]:
        answers: list[dict] = []
        threads = [threading.Thread(target=refresh, args=(s, seq, answers)) for s in screens]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(answers) == SCREENS
        return [a["response"]["wall-alerts-state"]["data"] for a in answers]

    # The first ask makes the view "in use"; the refreshers compute it within seconds.
    for _ in range(100):
        if all(s["ok"] for s in poll_all(0)):
            break
        time.sleep(0.2)
    writes: list[str] = []
    monitor_ready = threading.Event()

    def watch() -> None:
        with client.monitor() as monitor:
            monitor_ready.set()
            for command in monitor.listen():
                text = command["command"]
                if text == "QUIT" or "stop-watching" in text:
                    return
                if "snap:alerts:320303" in text and \
                        text.split()[0].upper() in ("SET", "SETEX", "PSETEX"):
                    writes.append(text)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    monitor_ready.wait(5)
    polls = 12
    started = time.monotonic()
    for seq in range(1, polls + 1):
        states = poll_all(seq)
        assert all(s["ok"] and s["seq"] == seq for s in states)
        assert len({s["asof"] for s in states}) == 1  # one computation's result, everywhere
        time.sleep(1)
    watched = time.monotonic() - started
    client.get("stop-watching")
    watcher.join(5)
    # Recomputed as its 5-second age requires, whatever the 16 × 12 requests.
    assert 1 <= len(writes) <= watched / 5 + 2, writes
