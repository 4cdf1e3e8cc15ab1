"""Recomputing the wall's inputs off the request path.

Each input of a wall panel is a query with a maximum age. A refresher thread in every web
process walks the views in use (the configured region always, plus every unit a screen asked
for in the last minutes) and recomputes each input that is older than its maximum age — one
process at a time under a Redis lock — into the SnapshotStore. Screens only read snapshots.

Why a refresher and not stale-while-revalidate on request: the cost then follows the inputs'
ages, never the screens, a freshly opened wall finds its default view already computed, and a
slow database slows the refresher only (tiles show their last value, with its true age, and
go stale), never a screen's request. The same pass keeps Redis's day counters whole
(counter_sync.keep_counters).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from data_access import alerts, coverage, disputes, kpis, mix, queue
from data_access.counter_sync import keep_counters
from data_access.counters import Counters
from data_access.db import reading_sessions
from data_access.metrics import PANEL_RECOMPUTES
from data_access.snapshots import Snapshot, SnapshotStore
from data_access.wall_scope import Scope, ScopeError, scope_for
from data_access.warnings.store import warning_board

log = logging.getLogger(__name__)

SERVICE_ERRORS = (SQLAlchemyError, RedisError, OSError)
PASS_SECONDS = 1.0
FAST_LANE_SECONDS = 0.25  # the fast lane's pass: two Redis reads when nothing was nudged
# Whether today's counters are whole is a Redis read, checked often; catching up what a
# Redis hiccup left uncounted reads the database, less often.
KEEP_COUNTERS_SECONDS = 5.0
CATCH_UP_SECONDS = 30.0
# An input this many times older than its maximum age (and at least STALE_FLOOR seconds
# old) means the refresher cannot refresh it.
STALE_FACTOR, STALE_FLOOR = 3, 60
# How far ahead of this process's clock a snapshot's instant may be (clocks of several
# hosts) before it counts as from the future.
CLOCK_SLACK = 5.0
# Enough newest cases for the widest board (14 rows a page, four pages).
QUEUE_CASES = 56


@dataclass(frozen=True)
class Ask:
    """What an input's query gets: the database, the counters, the view and the instant."""

    session: Session
    counters: Counters
    scope: Scope
    now: datetime
    zone: ZoneInfo


@dataclass(frozen=True)
class WallInput:
    name: str
    max_age: float  # seconds
    query: Callable[[Ask], Any]
    counted: bool = False  # reads today's Redis counters: partial while they are rebuilt


def _inputs() -> dict[str, WallInput]:
    listed = [
        # Cheapest first: after a start, every tile has something to show soonest.
        WallInput("kpi-live", 3, lambda a: kpis.live_counts(a.counters, a.scope, a.now),
                  counted=True),
        WallInput("queue", 10, lambda a: queue.latest_cases(a.session, a.scope, a.now,
                                                            limit=QUEUE_CASES)),
        WallInput("alerts", 5, lambda a: alerts.alert_board(a.session, a.counters, a.scope, a.now,
                                                                  a.zone)),
        WallInput("mix", 15, lambda a: mix.today_mix(a.session, a.counters, a.scope, a.now,
                                                     a.zone), counted=True),
        WallInput("disputes", 60, lambda a: disputes.dispute_summary(a.session, a.scope, a.now,
                                                                     a.zone)),
        *[WallInput(f"coverage-{m}", 30,
                    lambda a, m=m: coverage.measure_values(a.session, a.counters, a.scope, m,
                                                           a.now),
                    counted=m == "patrol") for m in coverage.MEASURES],
        WallInput("map-markers", 15,
                  lambda a: coverage.map_markers(a.session, a.scope, a.now)),
        WallInput("kpi-db", 15, lambda a: kpis.db_figures(a.session, a.scope, a.now, a.zone)),
        # Stored warnings only: detection runs elsewhere (data_access/warnings/detect.py).
        WallInput("warnings", 10, lambda a: warning_board(a.session, a.scope.covers, a.now)),
        WallInput("kpi-rates", 300, lambda a: kpis.rates(a.session, a.scope, a.now, a.zone)),
        WallInput("kpi-hourly", 60, lambda a: kpis.hourly(a.session, a.scope, a.now, a.zone)),
    ]
    return {i.name: i for i in listed}


INPUTS = _inputs()


class WallRefresher:
    def __init__(self, sessions: sessionmaker[Session], counters: Counters,
                 store: SnapshotStore, region: str, zone: ZoneInfo,
                 clock: Callable[[], datetime], *, nudged_only: bool = False,
                 pass_seconds: float = PASS_SECONDS):
        self.sessions, self.counters, self.store = sessions, counters, store
        self.region, self.zone, self.clock = region, zone, clock
        # A fast lane: only the inputs a writer nudged (the queue after an ingest), on a
        # short pass, so that they never wait behind a slow input another refresher is at.
        self.nudged_only, self.pass_seconds = nudged_only, pass_seconds
        self.recomputed = 0
        self.started = clock().timestamp()
        self._outage: str | None = None
        self._counters_checked = self._caught_up = 0.0

    @property
    def reads(self) -> sessionmaker[Session]:
        """Sessions for the inputs, which only read: each statement is its own transaction,
        so the pandas work between them holds no snapshot open (see reading_sessions).
        Made from `sessions` whenever that changes (a test points it at a dead server)."""
        if getattr(self, "_reads_of", None) is not self.sessions:
            self._reads_of, self._reads = self.sessions, reading_sessions(self.sessions)
        return self._reads

    def units(self) -> list[str]:
        in_use = self.store.units_in_use(self.clock().timestamp())
        return [self.region, *(u for u in in_use if u != self.region)]

    def due(self, unit: str) -> list[WallInput]:
        """The unit's inputs that are missing or older than their maximum age: missing ones
        first (a screen waits for them), then those a writer said changed (an ingested case
        waits for the queue: it goes before the slower inputs that are merely old), then
        the stalest for their age."""
        now = self.clock().timestamp()
        computed = self.store.computed_at(unit)
        changed = self.store.changed_at()
        ages = []
        for spec in INPUTS.values():
            at = computed.get(spec.name)
            # One "from the future" (a clock stepped back, another process's clock ahead)
            # would otherwise wait that long: recompute it too.
            age = float("inf") if at is None or at > now + CLOCK_SLACK else now - at
            nudged = at is not None and changed.get(spec.name, 0.0) > at
            if self.nudged_only and not nudged:
                continue
            if nudged:
                age = max(age, spec.max_age)  # new data since (an ingest): due now
            if age >= spec.max_age:
                ages.append((at is not None, not nudged, -age / spec.max_age, spec))
        return [spec for *_order, spec in sorted(ages, key=lambda x: x[:3])]

    def recompute(self, spec: WallInput, unit: str) -> bool:
        """Recompute one input if no other process is at it; True if this one did."""
        # A lock outlives a slow query a little, not a dead process for long.
        if not self.store.lock(spec.name, unit, max(30, int(4 * spec.max_age))):
            return False
        try:
            now = self.clock()
            # Another process may have recomputed it between our look at its age and the lock.
            at = self.store.computed_at(unit).get(spec.name)
            if at is not None and 0 <= now.timestamp() - at + CLOCK_SLACK and \
                    now.timestamp() - at < spec.max_age and \
                    self.store.changed_at().get(spec.name, 0.0) <= at:
                return False
            scope = scope_for(unit)
            recounting = spec.counted and not self.counters.is_complete(
                self.counters.local_day(now))
            with self.reads() as session:
                value = spec.query(Ask(session, self.counters, scope, now, self.zone))
            self.store.put(spec.name, unit, Snapshot(value, now.timestamp(), recounting))
            self.recomputed += 1
            PANEL_RECOMPUTES.labels(spec.name).inc()
            return True
        finally:
            self.store.unlock(spec.name, unit)

    def keep_counters(self) -> None:
        tick = time.monotonic()
        if tick - self._counters_checked < KEEP_COUNTERS_SECONDS:
            return
        self._counters_checked = tick
        catch_up = tick - self._caught_up >= CATCH_UP_SECONDS
        if catch_up:
            self._caught_up = tick
        keep_counters(self.sessions, self.counters, self.clock(), catch_up=catch_up)

    def run_pass(self) -> int:
        """One walk over every view in use; returns how many inputs this process recomputed.
        A unit no view can show (a bad ?unit=) is skipped."""
        if not self.nudged_only:
            self.keep_counters()
        done = 0
        for unit in self.units():
            try:
                scope_for(unit)
            except ScopeError:
                continue
            # Each input at most once a pass, the order asked again after each: an input a
            # writer nudges meanwhile (an ingested case: the queue) goes next instead of
            # after every input that was due when the pass began. (In one background
            # process, a pass is a series: the queue had waited behind the alert board.)
            tried: set[str] = set()
            while specs := [s for s in self.due(unit) if s.name not in tried]:
                tried.add(specs[0].name)
                done += self.recompute(specs[0], unit)
        return done

    def run(self, stop: threading.Event) -> None:
        """Until `stop`: a pass a second. An outage is logged once when it starts and once
        when it ends; tiles meanwhile show their last values, ageing, then stale."""
        while not stop.is_set():
            started = time.monotonic()
            try:
                self.run_pass()
                if self._outage:
                    log.warning("wall refresher: services back after: %s", self._outage)
                    self._outage = None
            except SERVICE_ERRORS as exc:
                if not self._outage:
                    self._outage = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
                    log.warning("wall refresher: cannot refresh: %s", self._outage)
            stop.wait(max(0.0, self.pass_seconds - (time.monotonic() - started)))


def stale_after(spec: WallInput) -> float:
    """An input this old means the refresher cannot refresh it: its tiles say stale."""
    return max(STALE_FACTOR * spec.max_age, STALE_FLOOR)


def oldest_inputs(refresher: WallRefresher) -> dict[str, dict]:
    """For /healthz: each input's greatest age over the views in use, and whether that is
    past its stale age. An input never computed counts as stale once the refresher has had
    its stale age to compute it (a process that just started is not yet failing)."""
    now = refresher.clock().timestamp()
    running = now - refresher.started
    report = {}
    computed = {unit: refresher.store.computed_at(unit) for unit in refresher.units()}
    for spec in INPUTS.values():
        ats = [c.get(spec.name) for c in computed.values()]
        age = None if None in ats else max(now - at for at in ats)
        limit = stale_after(spec)
        report[spec.name] = {"age_seconds": None if age is None else round(age, 1),
                             "stale": running > limit if age is None else age > limit}
    return report


def start(refresher: WallRefresher) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=refresher.run, args=(stop,), name="wall-refresher",
                              daemon=True)
    thread.start()
    return thread, stop
