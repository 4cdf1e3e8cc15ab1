"""The wall's callbacks: many screens share one computation per bucket; a dead database
turns a tile stale (content kept) and it recovers by itself."""
from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from dash import no_update
from sqlalchemy import event
from sqlalchemy.orm import sessionmaker

from data_access.db import make_engine
from tests.support.backends import backend_names, open_backend
from tests.support.wall_region import seed_wall_region

CONFIG = {"lang": "zh", "rows": 7, "unit_px": 1.0, "measure": "open"}
SCREENS = 20


@pytest.fixture(scope="module", params=backend_names())
def wall_app(request, tmp_path_factory):
    from dashboard.app import create_app
    from dashboard.runtime import open_runtime
    from dashboard.settings import Settings

    with open_backend(request.param, tmp_path_factory.mktemp("cb")) as backend:
        seed_wall_region(backend.sessions, backend.counters, datetime.now(UTC))
        settings = Settings(env="test", database_url=backend.database_url,
                            redis_url=backend.redis_url, redis_namespace=backend.namespace,
                            region="320300", var_dir=tmp_path_factory.mktemp("var"))
        runtime = open_runtime(settings)
        create_app(settings, runtime)
        yield runtime
        runtime.close()


def _at_bucket_start(seconds: int) -> None:
    """Start right after a bucket boundary so that every screen falls in one bucket."""
    time.sleep(seconds - time.time() % seconds + 0.05)


def test_twenty_screens_cause_one_computation_per_bucket(wall_app):
    from callbacks.wall.alerts import BUCKET_SECONDS, refresh_alerts

    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(wall_app.engine, "before_cursor_execute", listener)
    results = []
    try:
        _at_bucket_start(BUCKET_SECONDS)
        threads = [threading.Thread(target=lambda: results.append(
            refresh_alerts(1, "320303", CONFIG, None))) for _ in range(SCREENS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        event.remove(wall_app.engine, "before_cursor_execute", listener)
    case_queries = [s for s in statements if "FROM cases" in s]
    assert len(results) == SCREENS
    assert len(case_queries) == 1, case_queries
    assert all(r[4]["ok"] for r in results)
    assert len({str(r[0]) for r in results}) == 1


def test_dead_database_keeps_last_data_greyed_then_recovers(wall_app, monkeypatch):
    from callbacks.wall.queue import refresh_queue

    good = refresh_queue(1, "320302", CONFIG, None)
    assert good[3]["ok"] is True and good[2] == "tile tile-queue"
    dead = make_engine("postgresql+psycopg://postgres@127.0.0.1:9/none",
                       connect_args={"connect_timeout": 1})
    monkeypatch.setattr(wall_app, "sessions", sessionmaker(dead))
    failed = refresh_queue(1, "320302001", CONFIG, good[3])
    assert failed[0] is no_update
    assert failed[1].startswith("数据已过期 自 ") and failed[2] == "tile tile-queue stale"
    assert failed[3] == {"ok": False, "asof": good[3]["asof"]}
    monkeypatch.undo()
    dead.dispose()
    back = refresh_queue(1, "320302001", CONFIG, failed[3])
    assert back[3]["ok"] is True and back[2] == "tile tile-queue"
