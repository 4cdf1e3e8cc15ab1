"""`seed_history`: N days of realistic history up to now, written in bulk.

A fortnight at a time: generate the cases and transitions as column arrays
(simulation.history) and load them with COPY (PostgreSQL) or executemany (SQLite) with explicit
ids, all in one bulk-loading transaction (data_access.bulk_load). Then the last week's patrol
check-ins, the id sequences, and today's Redis counters.
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

from data_access import rollups
from data_access.bulk_load import (
    Batch,
    bulk_loading,
    load,
    next_id,
    prepare,
    reset_sequences,
    write,
)
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
from simulation.lifecycle import as_span
from simulation.rhythm import HotSpot, hot_spots
from simulation.territory import GridTable, load_grids

log = logging.getLogger(__name__)

CHUNK_DAYS = 14  # small enough that the first chunk, generated before any writing, is short
# Patrol check-ins only for the last week: coverage is a today / this-week figure, and a
# year of them would be ~4 M rows for Xuzhou that no screen reads.
PATROL_DAYS = 7
PATROLLED_SHARE = (0.85, 0.95)
SECOND_ROUND_SHARE = 0.3
BULK_TABLES = (Case.__table__, CaseTransition.__table__)


@dataclass(frozen=True)
class Chunk:
    """A span of days' cases and transitions, prepared for the database."""

    cases: Batch
    transitions: Batch


def seed_history(sessions: sessionmaker[Session], counters: Counters, region: str, days: int,
                 seed: int, zone: ZoneInfo, now: datetime | None = None) -> dict:
    """Write `days` local days of history (ending today, cut at `now`) for the region's
    grids; deterministic for `seed`. Returns {"cases", "transitions", "checkins", "seconds",
    "rollup_rows", "hot_spots"}, ready for JSON (`govwall seed` prints it): the hot spots
    drawn as {"township_code", "major_class", "subclass", "first_day", "last_day"} with ISO
    dates, so that a check of the volume can allow for them.

    One worker thread generates and encodes the next chunk of days while this one writes the
    current chunk: numpy and the database's socket both release the GIL, so generating and
    loading overlap. The worker runs the chunks in order, so the random draws do not change.
    """
    started = time.perf_counter()
    now = (now or datetime.now(UTC)).astimezone(UTC)
    rng = np.random.default_rng(seed)
    with sessions() as session:
        grids = load_grids(session, region)
        engine = session.get_bind()
    if not len(grids):
        raise ValueError(f"region {region} has no grids: build the territory first")
    today = now.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    spots = hot_spots(rng, sorted(set(grids.township)), first, today)
    spans = [day_range(first + timedelta(days=start),
                       min(first + timedelta(days=start + CHUNK_DAYS - 1), today))
             for start in range(0, days, CHUNK_DAYS)]
    totals: dict = {"cases": 0, "transitions": 0, "hot_spots": [
        {**asdict(spot), "first_day": spot.first_day.isoformat(),
         "last_day": spot.last_day.isoformat()} for spot in spots]}
    with bulk_loading(engine, BULK_TABLES) as connection, ThreadPoolExecutor(1) as worker:
        case_id = next_id(connection, Case.__table__)
        transition_id = next_id(connection, CaseTransition.__table__)
        pending = worker.submit(_chunk, rng, spans[0], grids, spots, now, zone, engine.dialect.name,
                                case_id, transition_id) if spans else None
        for index, span in enumerate(spans):
            chunk = pending.result()
            case_id += chunk.cases.rows
            transition_id += chunk.transitions.rows
            if index + 1 < len(spans):
                pending = worker.submit(_chunk, rng, spans[index + 1], grids, spots, now, zone,
                                        engine.dialect.name, case_id, transition_id)
            totals["cases"] += write(connection, Case.__table__, chunk.cases)
            totals["transitions"] += write(connection, CaseTransition.__table__,
                                           chunk.transitions)
            log.info("seeded %s..%s: %d cases", span[0], span[-1], totals["cases"])
    with engine.begin() as connection:
        totals["checkins"] = seed_patrols(connection, rng, grids, today, zone, now)
        reset_sequences(connection)
    with sessions.begin() as session:
        totals["rollup_rows"] = rollups.rebuild(session, zone, first, today, now)
    with sessions() as session:
        rebuild_today(session, counters, now)
    totals["seconds"] = round(time.perf_counter() - started, 2)
    return totals


def _chunk(rng: np.random.Generator, days: list[date], grids: GridTable, spots: list[HotSpot],
           now: datetime, zone: ZoneInfo, dialect: str, first_case_id: int,
           first_transition_id: int) -> Chunk:
    """The reports of `days` (hot spots included, cut at `now`, in time order) with their
    whole lives, prepared for `dialect`."""
    times = report_times(rng, days, len(grids), zone)
    reports = draw_reports(rng, times, grids)
    extra = hot_spot_reports(rng, spots, days, grids, zone)
    if len(extra[0]):
        more = draw_reports(rng, extra[0], grids, extra[1], extra[2], extra[3])
        reports.columns = {k: np.concatenate([reports.columns[k], more.columns[k]])
                           for k in reports.columns}
    keep = reports.columns["reported_at"] <= _utc64(now)
    reports.columns = {k: col[keep] for k, col in reports.columns.items()}
    order = np.argsort(reports.columns["reported_at"], kind="stable")
    reports.columns = {k: col[order] for k, col in reports.columns.items()}
    cases, transitions = build_history(rng, reports, now, zone, first_case_id,
                                       first_transition_id)
    return Chunk(prepare(dialect, cases), prepare(dialect, transitions))


def seed_patrols(connection: Connection, rng: np.random.Generator, grids: GridTable,
                 today: date, zone: ZoneInfo, now: datetime) -> int:
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
        times.append(start + as_span(hours))
        grid_idx.append(chosen)
    at = np.concatenate(times)
    idx = np.concatenate(grid_idx)
    keep = at <= _utc64(now)
    at, idx = at[keep], idx[keep]
    first_id = next_id(connection, PatrolCheckin.__table__)
    return load(connection, PatrolCheckin.__table__, {
        "id": np.arange(first_id, first_id + len(at), dtype=np.int64),
        "worker_id": grids.worker_ids[idx], "grid_code": grids.codes[idx], "at": at})
