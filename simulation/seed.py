"""`seed_history`: N days of realistic history up to now, written in bulk.

A month at a time: generate the cases and transitions as column arrays (simulation.history),
load them with COPY (PostgreSQL) or executemany (SQLite) with explicit ids, commit. Then the
last week's patrol check-ins, the id sequences, and today's Redis counters.
"""
from __future__ import annotations

import logging
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from data_access import rollups
from data_access.bulk_load import load, next_id, reset_sequences
from data_access.counter_sync import rebuild_today
from data_access.counters import Counters
from data_access.models import Case, CaseTransition, PatrolCheckin
from data_access.timeutil import local_day_bounds
from simulation.history import (
    _utc64,
    build_history,
    day_range,
    draw_reports,
    hot_spot_reports,
    report_times,
)
from simulation.rhythm import hot_spots
from simulation.territory import GridTable, load_grids

log = logging.getLogger(__name__)

CHUNK_DAYS = 31
# Patrol check-ins only for the last week: coverage is a today / this-week figure, and a
# year of them would be ~4 M rows for Xuzhou that no screen reads.
PATROL_DAYS = 7
PATROLLED_SHARE = (0.85, 0.95)
SECOND_ROUND_SHARE = 0.3


def seed_history(sessions: sessionmaker[Session], counters: Counters, region: str, days: int,
                 seed: int, zone: ZoneInfo, now: datetime | None = None) -> dict:
    """Write `days` local days of history (ending today, cut at `now`) for the region's
    grids; deterministic for `seed`. Returns {"cases", "transitions", "checkins", "seconds"}."""
    started = time.perf_counter()
    now = (now or datetime.now(UTC)).astimezone(UTC)
    rng = np.random.default_rng(seed)
    with sessions() as session:
        grids = load_grids(session, region)
    if not len(grids):
        raise ValueError(f"region {region} has no grids: build the territory first")
    today = now.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    spots = hot_spots(rng, sorted(set(grids.township)), first, today)
    totals = {"cases": 0, "transitions": 0}
    for start in range(0, days, CHUNK_DAYS):
        chunk = day_range(first + timedelta(days=start),
                          min(first + timedelta(days=start + CHUNK_DAYS - 1), today))
        times = report_times(rng, chunk, len(grids), zone)
        reports = draw_reports(rng, times, grids)
        extra = hot_spot_reports(rng, spots, chunk, grids, zone)
        if len(extra[0]):
            more = draw_reports(rng, extra[0], grids, extra[1], extra[2], extra[3])
            reports.columns = {k: np.concatenate([reports.columns[k], more.columns[k]])
                               for k in reports.columns}
        keep = reports.columns["reported_at"] <= _utc64(now)
        reports.columns = {k: col[keep] for k, col in reports.columns.items()}
        order = np.argsort(reports.columns["reported_at"], kind="stable")
        reports.columns = {k: col[order] for k, col in reports.columns.items()}
        with sessions.begin() as session:
            cases, transitions = build_history(
                rng, reports, now, zone, next_id(session, Case.__table__),
                next_id(session, CaseTransition.__table__))
            totals["cases"] += load(session, Case.__table__, cases)
            totals["transitions"] += load(session, CaseTransition.__table__, transitions)
        log.info("seeded %s..%s: %d cases", chunk[0], chunk[-1], totals["cases"])
    with sessions.begin() as session:
        totals["checkins"] = seed_patrols(session, rng, grids, today, zone, now)
        reset_sequences(session)
        totals["rollup_rows"] = rollups.rebuild(session, zone, first, today, now)
    with sessions() as session:
        rebuild_today(session, counters, now)
    totals["seconds"] = round(time.perf_counter() - started, 2)
    return totals


def seed_patrols(session: Session, rng: np.random.Generator, grids: GridTable, today: date,
                 zone: ZoneInfo, now: datetime) -> int:
    """Check-ins of the last PATROL_DAYS days: most grids walked once a day in working
    hours, some twice."""
    staffed = np.flatnonzero(grids.worker_ids > 0)
    times, grid_idx = [], []
    for back in range(PATROL_DAYS - 1, -1, -1):
        day = today - timedelta(days=back)
        share = rng.uniform(*PATROLLED_SHARE)
        walked = staffed[rng.random(len(staffed)) < share]
        again = walked[rng.random(len(walked)) < SECOND_ROUND_SHARE]
        chosen = np.concatenate([walked, again])
        start = _utc64(local_day_bounds(day, zone)[0])
        hours = 7.5 + 10.0 * rng.random(len(chosen))
        times.append(start + (hours * 3_600_000_000).astype("timedelta64[us]"))
        grid_idx.append(chosen)
    at = np.concatenate(times)
    idx = np.concatenate(grid_idx)
    keep = at <= _utc64(now)
    at, idx = at[keep], idx[keep]
    first_id = next_id(session, PatrolCheckin.__table__)
    return load(session, PatrolCheckin.__table__, {
        "id": np.arange(first_id, first_id + len(at), dtype=np.int64),
        "worker_id": grids.worker_ids[idx], "grid_code": grids.codes[idx], "at": at})
