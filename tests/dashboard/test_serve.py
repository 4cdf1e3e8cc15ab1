"""`govwall serve` (gunicorn, 2 workers) serves the wall to a kiosk, and both workers share
one computation per panel and bucket through Redis; every worker serves the wall page's
scripts and stylesheets from its first request on; requests are logged only when asked."""
from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psutil
import pytest

from data_access.accounts import create_kiosk_token
from data_access.counters import Counters
from data_access.db import make_engine, session_factory
from data_access.migrate import upgrade
from data_access.redis_conn import connect
from data_access.snapshots import asof_key
from tests.dashboard.wall_http import alerts_state, new_screen, refresh_alerts
from tests.support.backends import ZONE
from tests.support.kiosk import kiosk_token
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
    """16 screens poll the alerts tile every second through 2 workers: every answer comes
    from the refreshers' shared snapshot, which is recomputed at its own pace (every 5 s),
    not once per screen or per request."""
    server, kiosk, client = served
    base = server.base
    screens = [new_screen() for _ in range(SCREENS)]
    for screen in screens:  # each screen signs in with the kiosk token, as a wall does
        page = screen.open(f"{base}/wall?kiosk={kiosk}", timeout=20)
        assert page.status == 200 and page.geturl().startswith(f"{base}/wall")  # no login
        assert "_dash-config" in page.read().decode()
    deps = json.loads(screens[0].open(f"{base}/_dash-dependencies", timeout=20).read())

    def poll_all(seq: int) -> list[dict]:
        with ThreadPoolExecutor(SCREENS) as pool:
            answers = list(pool.map(
                lambda screen: refresh_alerts(screen, base, "320303", seq, deps), screens))
        return [alerts_state(a) for a in answers]

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
        # One computation's result everywhere (two when its recompute lands mid-round).
        assert len({s["asof"] for s in states}) <= 2
        time.sleep(1)
    watched = time.monotonic() - started
    client.get("stop-watching")
    watcher.join(5)
    # Recomputed as its 5-second age requires, whatever the 16 × 12 requests.
    assert 1 <= len(writes) <= watched / 5 + 2, writes
    # Asked for with --access-log: a line per request, on standard output.
    assert _wait_for_lines(server.out, '"POST /_dash-update-component',
                           SCREENS * polls) >= SCREENS * polls


PAGE_FILES = re.compile(r'<(?:script[^>]*\ssrc|link[^>]*\shref)="([^"]+)"')
ROUNDS = 2


def _children(pid: int) -> tuple[list[psutil.Process], list[psutil.Process]]:
    """The master's web workers and its `govwall background` process(es)."""
    workers, background = [], []
    for child in psutil.Process(pid).children():
        try:
            (background if "background" in child.cmdline() else workers).append(child)
        except psutil.NoSuchProcess:
            continue
    return workers, background


def _workers(pid: int, count: int) -> list[psutil.Process]:
    """The server's worker processes, once it has forked them all."""
    for _ in range(300):
        if len(workers := _children(pid)[0]) == count:
            return workers
        time.sleep(0.05)
    raise RuntimeError(f"govwall serve did not start {count} workers")


def _replace_workers(pid: int, old: list[psutil.Process]) -> list[psutil.Process]:
    """SIGHUP: gunicorn replaces its workers by new ones, which have served nothing yet."""
    os.kill(pid, signal.SIGHUP)
    old_pids = {worker.pid for worker in old}
    for _ in range(600):
        children = _children(pid)[0]
        if len(children) == len(old) and not old_pids & {c.pid for c in children}:
            return children
        time.sleep(0.05)
    raise RuntimeError("govwall serve did not replace its workers")


def _worker_of(workers: list[psutil.Process], client_port: int) -> int:
    """The pid of the worker that accepted our connection from `client_port` (one still
    loading the app leaves it in the listening socket's backlog)."""
    for _ in range(600):
        for worker in workers:
            if any(c.raddr and c.raddr.port == client_port
                   for c in worker.net_connections(kind="tcp")):
                return worker.pid
        time.sleep(0.05)
    raise RuntimeError(f"no worker accepted the connection from port {client_port}")


def _connections(base: str, workers: list[psutil.Process], count: int
                 ) -> dict[int, list[http.client.HTTPConnection]]:
    """New connections until every worker has accepted `count` of them (the others are
    closed unused), by worker pid."""
    host, port = base.removeprefix("http://").split(":")
    by_worker: dict[int, list[http.client.HTTPConnection]] = {w.pid: [] for w in workers}
    for _ in range(20 * count * len(workers)):
        if all(len(mine) == count for mine in by_worker.values()):
            return by_worker
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        connection.connect()
        mine = by_worker[_worker_of(workers, connection.sock.getsockname()[1])]
        if len(mine) < count:
            mine.append(connection)
        else:
            connection.close()
    raise RuntimeError(f"the workers did not each accept {count} connections: {by_worker}")


def _get(connection: http.client.HTTPConnection, path: str, start: threading.Barrier
         ) -> tuple[int, str]:
    """GET `path` once every request of the round is ready: (status, start of body)."""
    try:
        start.wait()
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read(300).decode(errors="replace")
    finally:
        connection.close()


def test_a_fresh_server_serves_every_file_of_the_wall_page_from_every_worker(tmp_path):
    """Dash used to refuse its own scripts (500, "dash" is not a registered library) from a
    worker whose first requests came at once, before its first-request setup had run: the
    wall stayed blank after a start."""
    redis_server = RedisServer(tmp_path).start()
    url = f"sqlite:///{tmp_path / 'wall.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    kiosk = kiosk_token(session_factory(engine))
    engine.dispose()
    try:
        with serving(tmp_path, url, redis_server.url) as server:
            base, pid = server.base, server.pid
            workers = _workers(pid, 2)
            page = new_screen().open(f"{base}/wall?kiosk={kiosk}", timeout=60)
            assert page.status == 200
            files = sorted(set(PAGE_FILES.findall(page.read().decode())))
            assert sum("_dash-component-suites/dash/" in f for f in files) >= 3, files
            assert any(f.startswith("/assets/") for f in files), files
            # The page came from one worker: the other's first requests are for every
            # file at once, over new connections, as a browser asks for them. Then again
            # from new workers: whether Dash's setup loses that race is a matter of timing.
            with ThreadPoolExecutor(len(workers) * len(files)) as pool:
                for round_ in range(ROUNDS):
                    if round_:
                        workers = _replace_workers(pid, workers)
                    by_worker = _connections(base, workers, len(files))
                    start = threading.Barrier(len(workers) * len(files))
                    gets = {(worker, path): pool.submit(_get, connection, path, start)
                            for worker, mine in by_worker.items()
                            for connection, path in zip(mine, files, strict=True)}
                    failed = {key: answer for key, get in gets.items()
                              if (answer := get.result())[0] != 200}
                    assert not failed
        # No access log unless asked for; gunicorn's own messages still come.
        assert "GET /" not in server.out.read_text()
        assert "Booting worker" in server.err.read_text()
    finally:
        redis_server.stop()


def _background(pid: int, other_than: int | None = None) -> psutil.Process:
    """The master's one `govwall background` (a new one, when `other_than` ended)."""
    for _ in range(400):
        found = [p for p in _children(pid)[1] if p.pid != other_than]
        if len(found) == 1:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"not one govwall background under {pid}: {_children(pid)[1]}")


def _computed_at(client, name: str) -> float:
    at = client.hget(asof_key(NAMESPACE, "320300", "320300"), name)
    return float(at) if at else 0.0


def _computed_after(client, name: str, instant: float) -> bool:
    for _ in range(300):
        if _computed_at(client, name) > instant:
            return True
        time.sleep(0.1)
    return False


def test_the_refresher_runs_in_a_background_process_the_master_keeps_and_stops(served):
    """`serve` runs the refresher (with the pollers and the detector) in one process of its
    own, not in the web workers: killed, the master starts another, which computes the
    wall's inputs again; the server's end takes it along."""
    served_, _kiosk, client = served
    master = served_.pid
    _workers(master, 2)
    first = _background(master)
    assert _computed_after(client, "kpi-live", 0), "nothing computed the wall's inputs"
    first.kill()
    killed = time.time()
    second = _background(master, other_than=first.pid)
    assert len(_children(master)[0]) == 2  # the web workers were left alone
    # kpi-live's maximum age is 3 s: only a refresher that runs keeps it.
    assert _computed_after(client, "kpi-live", killed + 1), "the new one computes nothing"
    os.kill(master, signal.SIGTERM)
    psutil.wait_procs([psutil.Process(master)], timeout=40)
    assert not second.is_running()
