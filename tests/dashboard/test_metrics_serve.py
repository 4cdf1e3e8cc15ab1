"""`govwall serve` with 2 gunicorn workers: /metrics adds up every worker's samples whichever
worker answers, from a private directory that is gone when the server stops."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from data_access.db import make_engine
from data_access.migrate import upgrade
from tests.support.redis_server import RedisServer

GOVWALL = Path(sys.executable).parent / "govwall"
REQUESTS = 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    redis_server = RedisServer(tmp_path).start()
    url = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    temp = tmp_path / "tmp"  # where the server makes its private metrics directory
    temp.mkdir()
    port = _free_port()
    env = {**os.environ, "GOVWALL_DATABASE_URL": url, "GOVWALL_REDIS_URL": redis_server.url,
           "GOVWALL_REDIS_NAMESPACE": "govwall_metrics_test", "GOVWALL_ENV": "test",
           "GOVWALL_VAR_DIR": str(tmp_path / "var"), "TMPDIR": str(temp)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server = subprocess.Popen([GOVWALL, "serve", "--port", str(port), "--workers", "2"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=5)
                break
            except OSError:
                time.sleep(0.2)
        yield base, temp, server
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(30)
        redis_server.stop()


def _samples(base: str) -> dict[tuple[str, tuple], float]:
    text = urllib.request.urlopen(f"{base}/metrics", timeout=20).read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _workers(master: int) -> list[int]:
    """The gunicorn master's web workers (not its `govwall background`), from /proc."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        try:
            background = b"background" in (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == master and not background:
            children.append(int(stat.parent.name))
    return sorted(children)


def _wait_for_workers(base: str, count: int) -> None:
    for _ in range(300):  # a new worker loads the app before it reports
        if _samples(base)[("govwall_workers", ())] == count:
            return
        time.sleep(0.1)
    raise AssertionError(f"not {count} workers")


HEALTHZ = ("govwall_http_request_duration_seconds_count", (("group", "health"), ("status", "2xx")))


def test_metrics_add_up_every_worker_and_their_directory_goes_with_the_server(served):
    base, temp, server = served
    start = _samples(base)[HEALTHZ]
    for _ in range(REQUESTS):  # a new connection each: both workers take some
        assert urllib.request.urlopen(f"{base}/healthz", timeout=20).status == 200
    for _ in range(4):  # whichever worker answers, the same sums
        samples = _samples(base)
        assert samples[("govwall_workers", ())] == 2
        assert samples[HEALTHZ] == start + REQUESTS
    [metrics_dir] = temp.glob("govwall-metrics-*")
    assert list(metrics_dir.glob("*.db"))
    # A worker that ends (gunicorn starts another) takes nothing of the others' with it.
    first = _workers(server.pid)
    os.kill(first[0], signal.SIGTERM)
    for _ in range(300):
        now = _workers(server.pid)
        if len(now) == 2 and first[0] not in now:
            break
        time.sleep(0.1)
    assert first[0] not in now
    _wait_for_workers(base, 2)
    assert _samples(base)[HEALTHZ] == start + REQUESTS
    server.terminate()
    assert server.wait(30) == 0
    assert not list(temp.glob("govwall-metrics-*"))
