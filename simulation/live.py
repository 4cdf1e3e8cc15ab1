"""The live flow: new reports at the seeded rates, open cases moving through their stages,
overdue cases drawing supervision orders, grid workers' heartbeats and patrol check-ins.

Every case change is one transaction through data_access.case_store; its events are counted
in Redis after the commit, in one pipeline per tick. Timestamps come from `clock` (real
time unless a test freezes it); `speed` multiplies the rates and divides the delays.
Open cases are scheduled in memory (a heap of due steps) loaded from the open-case index
at start, so a tick costs the cases that are due, not the size of the history.

The writer outlives outages of the database and of Redis (simulation.outages): while the
database is down no events are generated; while Redis is down cases are still written and
today's counters are caught up from the database when it is back.
"""
from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from data_access import case_store as cs
from data_access import rollups
from data_access import vocabulary as v
from data_access.counter_sync import catch_up_today
from data_access.counters import CountedEvent, Counters
from data_access.models import Case, CaseTransition, PatrolCheckin
from data_access.timeutil import as_utc
from simulation import catalog, lifecycle
from simulation.history import _utc64, draw_reports
from simulation.outages import Service, Services, is_database_outage, is_redis_outage
from simulation.rhythm import HOURLY_SHARE, expected_reports
from simulation.territory import load_grids
from simulation.workforce import Workforce

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0
BATCH = 200
HEARTBEAT_EVERY = 30.0
SUPERVISION_EVERY = 30.0
LOG_EVERY = 60.0
ACTOR = "simulator"
WRITER = "simulator"
# The schedule's marker for a sign-for (签收) due, beside the stages a step is expected from.
SIGN_FOR = "sign_for"
_FORWARD = {"reported": "registered", "registered": "dispatched", "dispatched": "handling",
            "handling": "handled", "handled": "verified", "verified": "closed"}


def _real_clock() -> datetime:
    return datetime.now(UTC)


class LiveSimulator:
    def __init__(self, sessions: sessionmaker[Session], counters: Counters, region: str,
                 speed: float, zone: ZoneInfo, seed: int | None, now: datetime):
        self.sessions, self.counters, self.zone = sessions, counters, zone
        self.speed = max(speed, 1e-6)
        self.rng = np.random.default_rng(seed)
        with sessions() as session:
            self.grids = load_grids(session, region)
        self.workforce = Workforce(self.grids, self.rng, zone)
        self.due: list[tuple[float, int, str]] = []  # (clock epoch, case id, stage expected)
        self.uncounted: list[CountedEvent] = []  # committed, to count at the end of the tick
        self.walked: list[str] = []  # grids patrolled, to mark at the end of the tick
        self.reported_until = now  # reports are drawn for the time since
        self.created = self.advanced = 0

    # -- scheduling -------------------------------------------------------------------------
    def plan(self, now: datetime, ids: np.ndarray, stages: np.ndarray, majors: np.ndarray,
             subclasses: np.ndarray, urgent: np.ndarray, entered: np.ndarray) -> None:
        """Put each case's next step on the schedule: when it happens is drawn from the
        step's duration since the case entered its stage (`entered`, UTC datetime64[us]),
        given it has not happened by `now`. Office hours are on the simulated clock, which
        runs from now at `speed`."""
        now64 = _utc64(now)
        for stage in np.unique(stages):
            nxt = _FORWARD.get(stage)
            if nxt is None:
                continue
            mine = stages == stage
            flags = urgent[mine]
            duration = lifecycle.handling_duration(majors[mine], subclasses[mine], flags) \
                if nxt == "handled" else lifecycle.step_duration(nxt, flags)
            at = lifecycle.next_step_at(self.rng, nxt, duration, entered[mine], now64, flags,
                                        self.zone)
            seconds = (at - now64) / np.timedelta64(1, "s") / self.speed
            for wait, case_id in zip(seconds.tolist(), ids[mine].tolist(), strict=True):
                heapq.heappush(self.due, (now.timestamp() + wait, case_id, stage))

    def plan_sign_for(self, now: datetime, ids: np.ndarray, urgent: np.ndarray,
                      dispatched: np.ndarray) -> None:
        """Schedule the sign-for (签收) of dispatched cases not yet signed for: drawn, like a
        step, from the time since dispatch (`dispatched`, UTC datetime64[us])."""
        if not len(ids):
            return
        now64 = _utc64(now)
        at = lifecycle.next_step_at(self.rng, "acknowledged",
                                    lifecycle.step_duration("acknowledged", urgent),
                                    dispatched, now64, urgent, self.zone)
        seconds = (at - now64) / np.timedelta64(1, "s") / self.speed
        for wait, case_id in zip(seconds.tolist(), ids.tolist(), strict=True):
            heapq.heappush(self.due, (now.timestamp() + wait, case_id, SIGN_FOR))

    def _plan_one(self, now: datetime, case_id: int, stage: str, major: str, subclass: str,
                  urgent: bool) -> None:
        self.plan(now, np.array([case_id]), np.array([stage], dtype=object),
                  np.array([major], dtype=object), np.array([subclass], dtype=object),
                  np.array([urgent]), np.array([_utc64(now)]))

    def load_open(self, now: datetime) -> None:
        """Schedule every open case from the time it entered its current stage (its last
        stage-changing transition), so that cases move at the usual rate from the start."""
        t = CaseTransition
        entered = (select(func.max(t.at)).where(t.case_id == Case.id, t.to_stage.is_not(None))
                   .scalar_subquery())
        with self.sessions() as session:
            rows = session.execute(select(Case.id, Case.stage, Case.major_class, Case.subclass,
                                          Case.priority, func.coalesce(entered, Case.reported_at))
                                   .where(Case.stage.not_in(v.TERMINAL_STAGES))).all()
            unsigned = session.execute(select(Case.id, Case.priority, Case.dispatched_at).where(
                Case.stage.not_in(v.TERMINAL_STAGES), Case.dispatched_at.is_not(None),
                Case.acknowledged_at.is_(None))).all()
        self.due = []
        if rows:
            ids, stages, majors, subs, priorities, since = zip(*rows, strict=True)
            self.plan(now, np.array(ids), np.array(stages, dtype=object),
                      np.array(majors, dtype=object), np.array(subs, dtype=object),
                      np.array(priorities) == "urgent",
                      np.array([_utc64(as_utc(at)) for at in since], dtype="datetime64[us]"))
        if unsigned:
            ids, priorities, dispatched = zip(*unsigned, strict=True)
            self.plan_sign_for(now, np.array(ids), np.array(priorities) == "urgent",
                               np.array([_utc64(as_utc(at)) for at in dispatched],
                                        dtype="datetime64[us]"))

    # -- writing ----------------------------------------------------------------------------
    @contextmanager
    def change(self) -> Iterator[Session]:
        """case_store.case_change, with the counting done once per tick (count()): one
        pipeline instead of one per change, and no attempt per change while Redis is down."""
        with cs.case_change(self.sessions, self.counters) as session:
            yield session
            events = cs.pending_events(session)
        self.uncounted += events

    def new_reports(self, now: datetime) -> float:
        """The reports of the time since the last call; returns that time in seconds."""
        seconds = max((now - self.reported_until).total_seconds(), 0.0)
        self.reported_until = now
        local = now.astimezone(self.zone)
        per_second = expected_reports(local.date(), len(self.grids)) * \
            HOURLY_SHARE[local.hour] / 3600
        n = int(self.rng.poisson(per_second * seconds * self.speed))
        if not n:
            return seconds
        reports = draw_reports(self.rng, np.full(n, _utc64(now)), self.grids)
        c = reports.columns
        deadlines = lifecycle.deadlines(c["reported_at"], c["major_class"], c["subclass"],
                                        c["priority"], c["source"], self.zone)
        for i in range(n):
            draft = cs.CaseDraft(
                external_id=f"L{now:%Y%m%d%H%M%S}{self.rng.integers(10**9):09d}",
                **{k: (c[k][i].item() if isinstance(c[k][i], np.generic) else c[k][i])
                   for k in ("source", "major_class", "subclass", "priority", "title",
                             "description", "grid_code", "lon", "lat", "reporter_name",
                             "reporter_phone", "address", "dispute_type", "mediation_type")})
            deadline = datetime.fromtimestamp(deadlines[i].astype("int64") / 1e6, UTC)
            with self.change() as session:
                case_id = cs.report_case(session, draft, now, draft.source, deadline)
            if case_id is not None:
                self.created += 1
                self._plan_one(now, case_id, "reported", draft.major_class, draft.subclass,
                               draft.priority == "urgent")
        return seconds

    def skip_reports(self, now: datetime) -> None:
        """No reports for the time until `now` (the database was down)."""
        self.reported_until = now

    def _next_step(self, case: Case) -> tuple[str, dict]:
        stage = case.stage
        roll = self.rng.random()
        if stage == "registered" and roll < catalog.REJECTED_SHARE:
            return "rejected", {}
        if stage == "dispatched" and roll < catalog.RETURN_SHARE:
            return "registered", {}
        if stage == "handled" and roll < catalog.REWORK_SHARE:
            return "handling", {}
        target = _FORWARD[stage]
        if target == "closed":
            m = catalog.RESOLUTION_BY_CLASS[case.major_class]
            fields = {"resolved_level": m[0][catalog.pick(self.rng, m, 1)[0]]}
            if case.major_class == "dispute":
                o = catalog.MEDIATION_OUTCOME
                fields["mediation_outcome"] = o[0][catalog.pick(self.rng, o, 1)[0]]
            return target, fields
        return target, {}

    def advance_due(self, now: datetime) -> None:
        """Take the steps due by `now`, up to BATCH a tick. A step interrupted by a database
        outage is not put back: the schedule is reloaded when the database returns."""
        for _ in range(BATCH):
            if not self.due or self.due[0][0] > now.timestamp():
                return
            _, case_id, expected = heapq.heappop(self.due)
            try:
                with self.change() as session:
                    case = session.get(Case, case_id)
                    if expected == SIGN_FOR:
                        self._sign_for(session, case, now)
                        continue
                    if case is None or case.stage != expected:
                        continue  # someone else moved it; its new stage is not ours to plan
                    target, fields = self._next_step(case)
                    if target == "handling":
                        self._sign_for(session, case, now)  # starting work signs for it
                    cs.advance(session, case_id, target, now, ACTOR, **fields)
                    if target == "closed" and self.rng.random() < catalog.FOLLOWUP_SHARE_PATROL:
                        s = catalog.SATISFACTION
                        cs.perform(session, case_id, "followup", ACTOR, now,
                                   satisfaction=s[0][catalog.pick(self.rng, s, 1)[0]])
                    plan = (case.stage, case.major_class, case.subclass,
                            case.priority == "urgent")
            except cs.ActionRefused as refused:
                log.debug("case %s: %s", case_id, refused)
                continue
            self.advanced += 1
            self._plan_one(now, case_id, *plan)
            if plan[0] == "dispatched" and expected == "registered":
                self.plan_sign_for(now, np.array([case_id]), np.array([plan[3]]),
                                   np.array([_utc64(now)]))

    @staticmethod
    def _sign_for(session: Session, case: Case | None, now: datetime) -> None:
        """The responsible unit signs for the case, unless it has or the case is over."""
        if case is not None and case.acknowledged_at is None and \
                case.stage in v.OPEN_STAGES and case.dispatched_at is not None:
            cs.perform(session, case.id, "acknowledge", case.responsible_unit or ACTOR, now)

    def supervise_overdue(self, now: datetime) -> None:
        with self.sessions() as session:
            ids = session.scalars(select(Case.id).where(
                Case.stage.not_in(v.TERMINAL_STAGES), Case.supervision_level == 0,
                Case.deadline_at < now).limit(20)).all()
        for case_id in ids:
            with self.change() as session:
                cs.perform(session, case_id, "supervise", "指挥中心", now, level=1,
                           note="超期未办结，请加快办理")

    def walk(self, now: datetime, seconds: float) -> None:
        """Patrol check-ins of the last `seconds`, by day, in the database; their grids are
        marked patrolled in Redis by count()."""
        hour = now.astimezone(self.zone).hour
        if not 7 <= hour < 18:
            return
        per_second = len(self.grids) * 0.9 * 1.3 / (11 * 3600)
        n = int(self.rng.poisson(per_second * seconds * self.speed))
        staffed = np.flatnonzero(self.grids.worker_ids > 0)
        if not n or not len(staffed):
            return
        chosen = staffed[self.rng.integers(0, len(staffed), n)]
        with self.sessions.begin() as session:
            session.execute(insert(PatrolCheckin), [
                {"worker_id": int(self.grids.worker_ids[i]), "grid_code": self.grids.codes[i],
                 "at": now} for i in chosen])
        self.walked += self.grids.codes[chosen].tolist()

    def count(self, now: datetime) -> None:
        """Count the tick's committed events and mark its patrolled grids."""
        events, self.uncounted = self.uncounted, []
        walked, self.walked = self.walked, []
        self.counters.apply(events)
        self.counters.mark_patrolled(walked, now)

    def forget_uncounted(self) -> None:
        """Redis is down: catch_up_today counts these from the database when it is back."""
        self.uncounted, self.walked = [], []

    def heartbeats(self, now: datetime) -> None:
        self.counters.heartbeats(self.workforce.beat(now))

    def lag_seconds(self, now: datetime) -> float:
        """How far behind its schedule the writer is: the age of the oldest step due."""
        return max(0.0, now.timestamp() - self.due[0][0]) if self.due else 0.0


class _Writer:
    """One run of the live flow: the simulator (built once the database answers), the
    state of the services, and what an outage left to do."""

    def __init__(self, sessions: sessionmaker[Session], counters: Counters, region: str,
                 speed: float, zone: ZoneInfo, seed: int | None):
        self.sessions, self.counters, self.region = sessions, counters, region
        self.speed, self.zone, self.seed = speed, zone, seed
        self.services = Services(Service("database", is_database_outage, self._ping_database),
                                 Service("redis", is_redis_outage, counters.redis.ping))
        self.sim: LiveSimulator | None = None
        self.rollup_day: date | None = None
        self.catch_up = True  # a crash between a commit and its count, before this start
        self.catch_up_since: datetime | None = None
        self.replan = False
        self.next_beat = self.next_supervision = self.next_log = 0.0

    def _ping_database(self) -> None:
        with self.sessions() as session:
            session.execute(text("SELECT 1"))

    def _start(self, now: datetime) -> None:
        self._build_rollup(now)
        sim = LiveSimulator(self.sessions, self.counters, self.region, self.speed, self.zone,
                            self.seed, now)
        sim.load_open(now)
        self.sim, self.replan = sim, False

    def _build_rollup(self, now: datetime) -> None:
        """On start and at each new local day: make sure yesterday and today are in the
        case_daily rollup, which this writer then keeps in step (case_store.case_change)."""
        today = now.astimezone(self.zone).date()
        if self.rollup_day != today:
            with self.sessions.begin() as session:
                rollups.ensure_built(session, self.zone, [today - timedelta(days=1), today])
            self.rollup_day = today

    def _write_cases(self, sim: LiveSimulator, now: datetime, tick: float) -> None:
        if self.replan:
            sim.load_open(now)
            self.replan = False
        self._build_rollup(now)
        seconds = sim.new_reports(now)
        sim.advance_due(now)
        sim.walk(now, seconds)
        if tick >= self.next_supervision:
            sim.supervise_overdue(now)
            self.next_supervision = tick + SUPERVISION_EVERY

    def _write_redis(self, sim: LiveSimulator, now: datetime, tick: float) -> None:
        sim.count(now)
        if tick >= self.next_beat:
            sim.heartbeats(now)
            self.next_beat = tick + HEARTBEAT_EVERY

    def _catch_up(self, now: datetime) -> None:
        with self.sessions() as session:
            repaired = catch_up_today(session, self.counters, now, since=self.catch_up_since)
        self.catch_up, self.catch_up_since = False, None
        if repaired:
            log.info("counted %d events the counters had missed", repaired)

    def _status(self, now: datetime) -> None:
        outage, since = self.services.outage()
        self.counters.writer_status(
            WRITER, now, outage=outage, outage_since=since.timestamp() if since else None,
            lag_seconds=round(self.sim.lag_seconds(now), 1) if self.sim else 0.0)

    def tick(self, now: datetime, tick: float) -> None:
        services = self.services
        database, redis = services.database, services.redis
        for service in services.recovered(now):
            self.catch_up = True
            # What was committed but not counted lies after the outage's start, which may be
            # in an earlier local day than now.
            start = service.last_outage_start
            self.catch_up_since = min(filter(None, (self.catch_up_since, start)), default=None)
            if service is database:
                self.replan = True  # steps due during the outage: drawn again from now on
            else:
                self.next_beat = 0.0  # a Redis that restarted has lost who is online
        if self.sim is None:
            services.run(now, (database,), lambda: self._start(now))
        sim = self.sim
        if sim is not None:
            if not services.run(now, (database,), lambda: self._write_cases(sim, now, tick)):
                sim.skip_reports(now)
            if not services.run(now, (redis,), lambda: self._write_redis(sim, now, tick)):
                sim.forget_uncounted()
        if self.catch_up:
            services.run(now, (database, redis), lambda: self._catch_up(now))
        services.run(now, (redis,), lambda: self._status(now))
        if sim is not None and tick >= self.next_log:
            log.info("live: %d cases created, %d steps advanced, %d scheduled", sim.created,
                     sim.advanced, len(sim.due))
            self.next_log = tick + LOG_EVERY


def run_live(sessions: sessionmaker[Session], counters: Counters, region: str, speed: float,
             zone: ZoneInfo, stop: threading.Event, seed: int | None,
             duration: float | None, clock: Callable[[], datetime] = _real_clock) -> None:
    """Run until `stop` is set or `duration` wall-clock seconds have passed, through any
    outage of the database or Redis."""
    writer = _Writer(sessions, counters, region, speed, zone, seed)
    started = time.monotonic()
    while not stop.is_set():
        tick = time.monotonic()
        if duration is not None and tick - started >= duration:
            break
        writer.tick(clock(), tick)
        stop.wait(max(0.0, TICK_SECONDS - (time.monotonic() - tick)))
    sim = writer.sim
    log.info("live stopped: %d cases created, %d steps advanced", sim.created if sim else 0,
             sim.advanced if sim else 0)
