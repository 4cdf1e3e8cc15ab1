"""The live flow on ten days of Xuzhou's history: grid workers online by rota."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import func, select

from data_access.counters import Counters
from data_access.models import GridWorker
from simulation.bootstrap import ensure_territory
from simulation.seed import seed_history
from simulation.territory import load_grids
from simulation.workforce import Workforce
from tests.support.backends import ZONE, backend_names, open_backend

REGION = "320300"
DAYS = 10
START = datetime(2026, 11, 19, 10, 0, tzinfo=ZONE).astimezone(UTC)  # a Thursday, 10:00


@pytest.fixture(scope="module", params=backend_names())
def xuzhou(request, tmp_path_factory):
    with open_backend(request.param, tmp_path_factory.mktemp("live")) as backend:
        ensure_territory(backend.sessions, REGION, seed=7)
        seed_history(backend.sessions, backend.counters, REGION, days=DAYS, seed=7, zone=ZONE,
                     now=START)
        yield backend


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE).astimezone(UTC)


def test_workers_online_follow_their_rotas(xuzhou):
    """Heartbeats per worker, through Redis as the wall reads them: a believable share of
    Xuzhou's 26,008 workers on a weekday morning, fewer at lunch and on a Saturday, a night
    shift at 03:00; a grid can have several workers online."""
    with xuzhou.sessions() as session:
        grids = load_grids(session, REGION)
        workers = session.scalar(select(func.count()).select_from(GridWorker))
    assert len(grids.workers) == workers == 26_008
    workforce = Workforce(grids, np.random.default_rng(11), ZONE)
    counters = Counters(xuzhou.redis, f"{xuzhou.namespace}_workforce", ZONE)
    friday, saturday = date(2026, 11, 20), date(2026, 11, 21)
    online = {}
    try:
        # In time order: the online set counts the last heartbeat of each worker.
        for label, at in (("03:00", local(friday, 3)), ("10:00", local(friday, 10)),
                          ("12:45", local(friday, 12, 45)), ("saturday", local(saturday, 10))):
            # Beats every 30 s for 10 minutes: breaks settle as on an ordinary day.
            for beat in range(21):
                counters.heartbeats(workforce.beat(at - timedelta(seconds=30 * (20 - beat))))
            online[label] = counters.online_workers(at)
    finally:
        counters.delete_namespace()
    total = {label: sum(per_grid.values()) for label, per_grid in online.items()}
    assert 0.55 * workers <= total["10:00"] <= 0.8 * workers
    assert 0 < total["03:00"] <= 0.06 * workers
    assert 0 < total["12:45"] <= 0.5 * total["10:00"]
    assert total["saturday"] <= 0.45 * total["10:00"]
    assert max(online["10:00"].values()) >= 3  # per worker, not one heartbeat per grid
    assert total["10:00"] != len(grids)
