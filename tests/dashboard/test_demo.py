"""`govwall demo` as a process: Ctrl-C (SIGINT) or SIGTERM, while it seeds or while it
serves, stops it and the embedded redis-server it started; requests are logged only with
--access-log."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.dashboard.wall_http import new_screen, refresh_alerts

GOVWALL = Path(sys.executable).parent / "govwall"
REGION = "320302"  # a small county: a day of history seeds in about a second


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_servers(var_dir: Path) -> list[psutil.Process]:
    """redis-server processes working in `var_dir`, where their data file is."""
    found = []
    for process in psutil.process_iter(["name"]):
        try:
            if process.info["name"].startswith("redis-server") and \
                    Path(process.cwd()) == var_dir.resolve():
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


@pytest.fixture
def var_dir(tmp_path) -> Iterator[Path]:
    """The demo's GOVWALL_VAR_DIR; a redis-server a failing test leaves there is stopped."""
    var = tmp_path / "var"
    yield var
    for process in _redis_servers(var):
        process.kill()


def _lines_until(demo: subprocess.Popen, text: str) -> Iterator[str]:
    for line in demo.stdout:
        yield line
        if text in line:
            return
    raise AssertionError(f"the demo ended before printing {text!r}")


def _start(var_dir: Path, port: int, *options: str) -> subprocess.Popen:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("GOVWALL_")},
           "GOVWALL_VAR_DIR": str(var_dir), "GOVWALL_REGION": REGION}
    return subprocess.Popen([GOVWALL, "demo", "--port", str(port), *options], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _stop(demo: subprocess.Popen, signum: int) -> str:
    """Send the signal; the demo's exit code must be 0. Returns the rest of its output."""
    demo.send_signal(signum)
    rest = demo.stdout.read()
    assert demo.wait(60) == 0, rest
    return rest


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_seeding_stops_the_demo_and_its_redis_server(signum, var_dir):
    # Enough days that the seed is still running when the signal comes.
    demo = _start(var_dir, _free_port(), "--days", "120")
    try:
        before = list(_lines_until(demo, "seeding 120 days"))
        [server] = _redis_servers(var_dir)
        rest = _stop(demo, signum)
    finally:
        demo.kill()
    assert "govwall is running" not in "".join(before) + rest
    assert not server.is_running() or server.status() == psutil.STATUS_ZOMBIE
    assert _redis_servers(var_dir) == []
    assert not (var_dir / "redis.db.settings").exists()  # no other command tries to join it


@pytest.mark.parametrize(("signum", "access_log"),
                         [(signal.SIGINT, False), (signal.SIGTERM, True)],
                         ids=["SIGINT", "SIGTERM --access-log"])
def test_a_signal_while_serving_stops_the_demo_and_its_redis_server(signum, access_log,
                                                                    var_dir):
    port = _free_port()
    demo = _start(var_dir, port, "--days", "1", *(["--access-log"] if access_log else []))
    try:
        printed = "".join(_lines_until(demo, "Ctrl-C stops it"))
        # The first run seeds and writes the early-warning scenarios the 预警 panel shows.
        assert "injected warning scenarios: surge (25 reports), cluster (4 reports), " \
            "caller (3 reports)" in printed
        [server] = _redis_servers(var_dir)
        kiosk = printed.split("/wall?kiosk=")[1].split()[0]
        base = f"http://127.0.0.1:{port}"
        screen = new_screen()
        assert screen.open(f"{base}/wall?kiosk={kiosk}", timeout=60).status == 200
        # A panel refresh goes through the response cache: its Redis connections are the
        # ones that used to keep the redis-server alive after the demo.
        for _ in range(300):  # the demo's refresher computes the view within seconds
            state = refresh_alerts(screen, base, REGION)["response"]["wall-alerts-state"]
            if state["data"]["ok"] is not None:
                break
            time.sleep(0.1)
        assert state["data"]["ok"]
        rest = _stop(demo, signum)
    finally:
        demo.kill()
    assert not server.is_running() or server.status() == psutil.STATUS_ZOMBIE
    assert _redis_servers(var_dir) == []
    assert not (var_dir / "redis.db.settings").exists()
    requests = [line for line in rest.splitlines() if '"GET /' in line or '"POST /' in line]
    if access_log:
        assert any('"GET /wall?kiosk=' in line and '" 200 ' in line for line in requests)
        assert any('"POST /_dash-update-component' in line for line in requests)
    else:
        assert requests == []
