"""The live flow on ten days of Xuzhou's history: grid workers online by rota, and cases moving
at the seeded rate from the first simulated minute after a start (a frozen, ticking clock
and a fixed seed; counts are Poisson, so bands are a number of standard deviations)."""
from __future__ import annotations

import math
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import func, select

from data_access.counter_sync import events_for_day
from data_access.counters import Counters
from data_access.models import Case, CaseTransition, GridWorker
from simulation.bootstrap import ensure_territory
from simulation.live import run_live
from simulation.rhythm import is_workday
from simulation.seed import seed_history
from simulation.territory import load_grids
from simulation.workforce import Workforce
from tests.support.backends import ZONE, backend_names, open_backend
from tests.support.clock import TickingClock

REGION = "320300"
DAYS = 10
# The seed's first days lack the cases reported before it (last night's, last week's) that
# would close then: the history's rate is read from the days after them.
RUN_IN_DAYS = 2
START = datetime(2026, 11, 19, 10, 0, tzinfo=ZONE).astimezone(UTC)  # a Thursday, 10:00
SPEED = 30.0
WINDOW = timedelta(minutes=5)  # simulated
STEPS = ("registered", "dispatched", "handling", "handled", "verified", "closed")


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


def history_in_window(backend, window: timedelta) -> tuple[dict[str, float], int]:
    """Stage steps per kind in the same minutes of the day as START's window, averaged over
    the seed's earlier full working days after its run-in; and the number of those days."""
    start_local = START.astimezone(ZONE)
    days = [d for d in (start_local.date() - timedelta(days=k)
                        for k in range(1, DAYS - RUN_IN_DAYS)) if is_workday(d)]
    counts: Counter[str] = Counter()
    with backend.sessions() as session:
        for day in days:
            begin = local(day, start_local.hour, start_local.minute)
            counts.update(session.scalars(select(CaseTransition.to_stage).where(
                CaseTransition.kind == "stage", CaseTransition.to_stage.in_(STEPS),
                CaseTransition.at >= begin, CaseTransition.at < begin + window)).all())
    return {step: counts[step] / len(days) for step in STEPS}, len(days)


@dataclass
class Run:
    expected: dict[str, float]  # per stage step in the window, from the history
    days: int
    seen: Counter[str]  # per stage step in the window, from the run
    created: int
    status: dict  # the writer's last status


@pytest.fixture(scope="module")
def run(xuzhou) -> Run:
    """run_live from START at SPEED until it has taken every step due in the window."""
    expected, days = history_in_window(xuzhou, WINDOW)
    with xuzhou.sessions() as session:
        first_new_id = session.scalar(select(func.max(Case.id))) + 1
    clock = TickingClock(START)
    end = START + WINDOW / SPEED
    stop = threading.Event()
    runner = threading.Thread(target=run_live, args=(
        xuzhou.sessions, xuzhou.counters, REGION, SPEED, ZONE, stop, 3, None, clock))
    runner.start()
    try:
        # How long the loop takes to pass the window depends on the machine: wait for it
        # (the status it writes each tick), not for a time.
        give_up = time.monotonic() + 300
        while time.monotonic() < give_up:
            status = xuzhou.counters.writers().get("simulator")
            if status and status["at"] >= end.timestamp() + 1 and status["lag_seconds"] == 0:
                break
            time.sleep(0.2)
    finally:
        stop.set()
        runner.join()
    with xuzhou.sessions() as session:
        seen = Counter(session.scalars(select(CaseTransition.to_stage).where(
            CaseTransition.kind == "stage", CaseTransition.to_stage.in_(STEPS),
            CaseTransition.at >= START, CaseTransition.at < end)).all())
        created = session.scalar(select(func.count()).select_from(Case)
                                 .where(Case.id >= first_new_id))
    return Run(expected, days, seen, created, xuzhou.counters.writers()["simulator"])


def test_cases_move_at_the_seeded_rate_from_the_first_minute(run):
    """Open cases scheduled from the time they entered their stage: no dead period after a
    start (the bug: no registration nor closure in the first minutes), and no burst."""

    def band(mean: float) -> float:
        # Poisson noise of the run, and of the history's mean over `days` days.
        return 4 * math.sqrt(mean * (1 + 1 / run.days))

    expected, seen = run.expected, run.seen
    assert run.days >= 4 and expected["registered"] > 20 and expected["closed"] > 20
    for step in ("registered", "closed"):
        assert abs(seen[step] - expected[step]) <= band(expected[step]), (step, seen, expected)
    total, mean = sum(seen.values()), sum(expected.values())
    assert abs(total - mean) <= band(mean), (seen, expected)
    assert run.created > 0


def test_counters_equal_the_database_after_a_run(xuzhou, run):
    day = START.astimezone(ZONE).date()
    with xuzhou.sessions() as session:
        in_database = len(events_for_day(session, day, ZONE))
    assert sum(row.count for row in xuzhou.counters.day_counts(day)) == in_database > 0


def test_the_writer_reports_its_status(run):
    assert run.status["outage"] is None and run.status["outage_since"] is None
    assert run.status["at"] >= (START + WINDOW / SPEED).timestamp()
    assert run.status["lag_seconds"] == 0
