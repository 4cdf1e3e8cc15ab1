"""The live flow: new reports at the seeded rates, open cases moving through their stages,
overdue cases drawing supervision orders, grid workers' heartbeats and patrol check-ins.

Every case change is one transaction through data_access.case_store, then counted in
Redis. Timestamps are real time; `speed` multiplies the rates and divides the delays.
Open cases are scheduled in memory (a heap of due steps) loaded from the open-case index
at start, so a tick costs the cases that are due, not the size of the history.
"""
from __future__ import annotations

import heapq
import logging
import threading
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from data_access import case_store as cs
from data_access import rollups
from data_access import vocabulary as v
from data_access.counter_sync import catch_up_today
from data_access.counters import Counters
from data_access.models import Case, PatrolCheckin
from simulation import catalog, lifecycle
from simulation.history import draw_reports
from simulation.rhythm import HOURLY_SHARE, expected_reports
from simulation.territory import load_grids

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0
BATCH = 200
HEARTBEAT_EVERY = 30.0
SUPERVISION_EVERY = 30.0
ACTOR = "simulator"
_FORWARD = {"reported": "registered", "registered": "dispatched", "dispatched": "handling",
            "handling": "handled", "handled": "verified", "verified": "closed"}


class LiveSimulator:
    def __init__(self, sessions: sessionmaker[Session], counters: Counters, region: str,
                 speed: float, zone: ZoneInfo, seed: int | None):
        self.sessions, self.counters, self.zone = sessions, counters, zone
        self.speed = max(speed, 1e-6)
        self.rng = np.random.default_rng(seed)
        with sessions() as session:
            self.grids = load_grids(session, region)
        self.due: list[tuple[float, int, str]] = []  # (wall time, case id, stage expected)
        self.created = self.advanced = 0

    # -- scheduling -------------------------------------------------------------------------
    def schedule(self, case_id: int, stage: str, major: str, subclass: str, urgent: bool,
                 wall: float) -> None:
        nxt = _FORWARD.get(stage)
        if nxt is None:
            return
        flags = np.array([urgent])
        if nxt == "handled":
            hours = lifecycle.handling_hours(self.rng, np.array([major]), np.array([subclass]),
                                             flags)[0]
        else:
            hours = lifecycle.step_hours(self.rng, nxt, flags)[0]
        # Office hours on the simulated clock, which runs from now at `speed`.
        start = np.datetime64(int(wall * 1_000_000), "us")
        at = lifecycle.in_office_hours(self.rng, np.array([start + lifecycle.as_span(hours)]),
                                       nxt, flags, self.zone)[0]
        hours = float((at - start) / np.timedelta64(1, "h"))
        heapq.heappush(self.due, (wall + hours * 3600 / self.speed, case_id, stage))

    def load_open(self) -> None:
        with self.sessions() as session:
            rows = session.execute(select(Case.id, Case.stage, Case.major_class, Case.subclass,
                                          Case.priority)
                                   .where(Case.stage.not_in(v.TERMINAL_STAGES))).all()
        wall = time.time()
        for case_id, stage, major, sub, priority in rows:
            self.schedule(case_id, stage, major, sub, priority == "urgent", wall)

    # -- one tick ---------------------------------------------------------------------------
    def new_reports(self, now: datetime, seconds: float) -> None:
        local = now.astimezone(self.zone)
        per_second = expected_reports(local.date(), len(self.grids)) * \
            HOURLY_SHARE[local.hour] / 3600
        n = int(self.rng.poisson(per_second * seconds * self.speed))
        if not n:
            return
        reports = draw_reports(self.rng, np.full(n, np.datetime64(now.replace(tzinfo=None),
                                                                  "us")), self.grids)
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
            with cs.case_change(self.sessions, self.counters) as session:
                case_id = cs.report_case(session, draft, now, draft.source, deadline)
            if case_id is not None:
                self.created += 1
                self.schedule(case_id, "reported", draft.major_class, draft.subclass,
                              draft.priority == "urgent", time.time())

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
        wall = time.time()
        for _ in range(BATCH):
            if not self.due or self.due[0][0] > wall:
                return
            _, case_id, expected = heapq.heappop(self.due)
            try:
                with cs.case_change(self.sessions, self.counters) as session:
                    case = session.get(Case, case_id)
                    if case is None or case.stage != expected:
                        continue  # someone else moved it; its new stage is not ours to plan
                    target, fields = self._next_step(case)
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
            self.schedule(case_id, *plan, wall)

    def supervise_overdue(self, now: datetime) -> None:
        with self.sessions() as session:
            ids = session.scalars(select(Case.id).where(
                Case.stage.not_in(v.TERMINAL_STAGES), Case.supervision_level == 0,
                Case.deadline_at < now).limit(20)).all()
        for case_id in ids:
            with cs.case_change(self.sessions, self.counters) as session:
                cs.perform(session, case_id, "supervise", "指挥中心", now, level=1,
                           note="超期未办结，请加快办理")

    def heartbeats(self, now: datetime) -> None:
        hour = now.astimezone(self.zone).hour
        share = 0.9 if 7 <= hour < 20 else 0.35
        staffed = np.flatnonzero(self.grids.worker_ids > 0)
        online = staffed[self.rng.random(len(staffed)) < share]
        self.counters.heartbeats((int(self.grids.worker_ids[i]), self.grids.codes[i], now)
                                 for i in online)

    def patrols(self, now: datetime, seconds: float) -> None:
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
        self.counters.mark_patrolled(self.grids.codes[chosen], now)


def _build_rollup(sessions: sessionmaker[Session], zone: ZoneInfo, built: date | None) -> date:
    """On start and at each new local day: make sure yesterday and today are in the case_daily
    rollup, which this writer then keeps in step (case_store.case_change)."""
    today = datetime.now(UTC).astimezone(zone).date()
    if built != today:
        with sessions.begin() as session:
            rollups.ensure_built(session, zone, [today - timedelta(days=1), today])
    return today


def run_live(sessions: sessionmaker[Session], counters: Counters, region: str, speed: float,
             zone: ZoneInfo, stop: threading.Event, seed: int | None,
             duration: float | None) -> None:
    """Run until `stop` is set or `duration` wall-clock seconds have passed."""
    with sessions() as session:
        repaired = catch_up_today(session, counters, datetime.now(UTC))
    built_day = _build_rollup(sessions, zone, None)
    if repaired:
        log.info("counted %d events the counters had missed", repaired)
    sim = LiveSimulator(sessions, counters, region, speed, zone, seed)
    sim.load_open()
    started = last = time.monotonic()
    next_beat = next_supervision = next_log = started
    while not stop.is_set():
        tick = time.monotonic()
        if duration is not None and tick - started >= duration:
            break
        now = datetime.now(UTC)
        elapsed, last = tick - last, tick
        built_day = _build_rollup(sessions, zone, built_day)
        sim.new_reports(now, elapsed or TICK_SECONDS)
        sim.advance_due(now)
        sim.patrols(now, elapsed or TICK_SECONDS)
        if tick >= next_beat:
            sim.heartbeats(now)
            next_beat = tick + HEARTBEAT_EVERY
        if tick >= next_supervision:
            sim.supervise_overdue(now)
            next_supervision = tick + SUPERVISION_EVERY
        if tick >= next_log:
            log.info("live: %d cases created, %d steps advanced, %d scheduled", sim.created,
                     sim.advanced, len(sim.due))
            next_log = tick + 60
        stop.wait(max(0.0, TICK_SECONDS - (time.monotonic() - tick)))
    log.info("live stopped: %d cases created, %d steps advanced", sim.created, sim.advanced)


