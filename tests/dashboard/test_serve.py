"""`govwall serve` (gunicorn, 2 workers) serves the wall to a kiosk, and both workers share
one computation per panel and bucket through Redis; requests are logged only when asked."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from data_access.accounts import create_kiosk_token
from data_access.counters import Counters
from data_access.db import make_engine, session_factory
from data_access.migrate import upgrade
from data_access.redis_conn import connect
from tests.dashboard.wall_http import alerts_request, new_screen
from tests.support.backends import ZONE
from tests.support.redis_server import RedisServer
from tests.support.wall_region import seed_wall_region

GOVWALL = Path(sys.executable).parent / "govwall"
NAMESPACE = "govwall_serve_test"
SCREENS = 16


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, errors: Path) -> None:
    """Until gunicorn listens: a connection, not a request, so that no worker has served
    anything yet."""
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(f"govwall serve exited: {errors.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("govwall serve did not listen")


@dataclass(frozen=True)
class Served:
    base: str
    pid: int
    out: Path  # standard output: the access log, when asked for
    err: Path  # standard error: gunicorn's own log


@contextmanager
def serving(tmp_path: Path, database_url: str, redis_url: str,
            *options: str) -> Iterator[Served]:
    """`govwall serve --workers 2 [options]` on a free port, until the block ends."""
    port = _free_port()
    env = {**os.environ, "GOVWALL_DATABASE_URL": database_url, "GOVWALL_REDIS_URL": redis_url,
           "GOVWALL_REDIS_NAMESPACE": NAMESPACE, "GOVWALL_REGION": "320300",
           "GOVWALL_VAR_DIR": str(tmp_path / "var"), "GOVWALL_ENV": "test"}
    out, err = tmp_path / "serve.out", tmp_path / "serve.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        server = subprocess.Popen([GOVWALL, "serve", "--port", str(port), "--workers", "2",
                                   *options], env=env, stdout=stdout, stderr=stderr)
    try:
        _wait_for_port(port, server, err)
        yield Served(f"http://127.0.0.1:{port}", server.pid, out, err)
    finally:
        server.terminate()
        server.wait(20)


def _wait_for_lines(log: Path, text: str, count: int) -> int:
    """How many lines of `log` contain `text`, once there are `count` (or after 30 s)."""
    for _ in range(300):
        found = sum(text in line for line in log.read_text().splitlines())
        if found >= count:
            return found
        time.sleep(0.1)
    return found


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
    try:
        with serving(tmp_path, url, redis_server.url, "--access-log") as server:
            yield server, kiosk, client
    finally:
        client.close()
        redis_server.stop()


def test_two_gunicorn_workers_serve_the_wall_and_share_one_computation(served):
    server, kiosk, client = served
    base = server.base
    screens = [new_screen() for _ in range(SCREENS)]
    for screen in screens:  # each screen signs in with the kiosk token, as a wall does
        page = screen.open(f"{base}/wall?kiosk={kiosk}", timeout=20)
        assert page.status == 200 and page.geturl().startswith(f"{base}/wall")  # no login
        assert "_dash-config" in page.read().decode()
    deps = json.loads(screens[0].open(f"{base}/_dash-dependencies", timeout=20).read())
    body = json.dumps(alerts_request(deps, "320303")).encode()

    writes: list[str] = []
    monitor_ready = threading.Event()

    def watch() -> None:
        with client.monitor() as monitor:
            monitor_ready.set()
            for command in monitor.listen():
                text = command["command"]
                if text == "QUIT" or "stop-watching" in text:
                    return
                if ":wall:alerts:" in text and ":lock" not in text and \
                        text.split()[0].upper() in ("SET", "SETEX", "PSETEX"):
                    writes.append(text)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    monitor_ready.wait(5)
    # Right after a bucket boundary, so that every screen falls in one 5-second bucket.
    time.sleep(5 - time.time() % 5 + 0.05)
    answers: list[dict] = []

    def refresh(screen) -> None:
        request = urllib.request.Request(f"{base}/_dash-update-component", data=body,
                                         headers={"Content-Type": "application/json",
                                                  "Origin": base})
        answers.append(json.loads(screen.open(request, timeout=20).read()))

    threads = [threading.Thread(target=refresh, args=(s,)) for s in screens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client.get("stop-watching")
    watcher.join(5)
    assert len(answers) == SCREENS
    states = [a["response"]["wall-alerts-state"]["data"] for a in answers]
    assert all(s["ok"] for s in states)
    assert len({s["asof"] for s in states}) == 1  # one computation's result, everywhere
    assert len(writes) == 1, writes
    # Asked for with --access-log: a line per request, on standard output.
    assert _wait_for_lines(server.out, '"POST /_dash-update-component', SCREENS) == SCREENS
