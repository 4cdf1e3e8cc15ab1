"""The one ingest path: cases and events from a source, written through case_store.

- A case is unique by (source, source case id): its external id is "<source>:<id>" and
  intake_records holds the pair under a unique index, so a resend — or two racing
  senders — gives "duplicate", never a second case.
- A batch is one case_change transaction with a savepoint per case: a case that fails
  leaves nothing of itself (rows, rollups, counted events) and the others are kept; the
  counters are bumped after the commit, as for every change.
- Events never move a case backwards: a stage at or behind the case's is ignored (the
  source sent it late), an extension never shortens, a second follow-up is ignored.
- Rejections are recorded (intake_rejections) for the data-quality figures.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from data_access import case_store as cs
from data_access import sla
from data_access import vocabulary as v
from data_access.counters import Counters
from data_access.intake.codes import CodeMap
from data_access.intake.placement import OutsideRegion, Placer, ensure_unplaced_unit
from data_access.intake.schema import CaseIn, EventIn
from data_access.intake.sources import SourceRef
from data_access.models import Case, IntakeRecord, IntakeRejection
from data_access.timeutil import as_utc

# A report time later than now by more than this is a wrong clock or a wrong field.
FUTURE_TOLERANCE = timedelta(minutes=10)
# Older than this is not a live case (an archive belongs in `govwall import`… of history).
MAX_AGE = timedelta(days=366)
PLACER_SECONDS = 300  # the territory is re-read this often
ACCEPTED, DUPLICATE, REJECTED, APPLIED, IGNORED = (
    "accepted", "duplicate", "rejected", "applied", "ignored")


@dataclass
class Outcome:
    source_case_id: str
    status: str
    case_id: int | None = None
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        out: dict = {"source_case_id": self.source_case_id, "status": self.status}
        if self.case_id is not None:
            out["case_id"] = self.case_id
        if self.reasons:
            out["reasons"] = self.reasons
        return out


class Refused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _forward_path(current: str, target: str) -> list[str]:
    """The stages to step through from `current` to `target`; [] when `target` is not
    ahead of `current` (a late event)."""
    if current in v.TERMINAL_STAGES:
        return []
    if target == "rejected":
        return ["registered", "rejected"] if current == "reported" else \
            ["rejected"] if current == "registered" else []
    here, there = v.STAGES.index(current), v.STAGES.index(target)
    return list(v.STAGES[here + 1: there + 1])


class Intake:
    def __init__(self, sessions: sessionmaker[Session], counters: Counters, codes: CodeMap,
                 zone: ZoneInfo, clock: Callable[[], datetime],
                 on_commit: Callable[[], None] | None = None):
        self.sessions, self.counters, self.codes = sessions, counters, codes
        self.zone, self.clock, self.on_commit = zone, clock, on_commit
        self._placer: Placer | None = None
        self._placer_at = 0.0

    def _placer_for(self, session: Session) -> Placer:
        if self._placer is None or time.monotonic() - self._placer_at > PLACER_SECONDS:
            self._placer, self._placer_at = Placer(session), time.monotonic()
        return self._placer

    def _check_time(self, at: datetime, now: datetime, what: str) -> None:
        if at > now + FUTURE_TOLERANCE:
            raise Refused(f"{what}: {at.isoformat()} is in the future")
        if at < now - MAX_AGE:
            raise Refused(f"{what}: {at.isoformat()} is more than {MAX_AGE.days} days ago")

    # -- cases ----------------------------------------------------------------------------

    def create(self, source: SourceRef, items: Sequence[CaseIn], channel: str
               ) -> list[Outcome]:
        """Ingest cases (one transaction, a savepoint each); one outcome per item."""
        now = self.clock()
        outcomes: list[Outcome] = []
        with cs.case_change(self.sessions, self.counters) as session:
            known = _case_ids(session, source, [i.source_case_id for i in items])
            placer = self._placer_for(session)
            for item in items:
                sid = item.source_case_id
                if sid in known:
                    outcomes.append(Outcome(sid, DUPLICATE, known[sid]))
                    continue
                try:
                    with cs.one_of_many(session):
                        case_id = self._write(session, placer, source, item, now)
                    outcomes.append(Outcome(sid, ACCEPTED, case_id))
                except Refused as exc:
                    outcomes.append(Outcome(sid, REJECTED, reasons=[exc.reason]))
                except cs.ActionRefused as exc:
                    outcomes.append(Outcome(sid, REJECTED, reasons=[exc.message]))
                except IntegrityError:  # the same case committed by a racing request
                    outcomes.append(Outcome(sid, DUPLICATE))
        self._after(source, channel, outcomes, now)
        return outcomes

    def _write(self, session: Session, placer: Placer, source: SourceRef, item: CaseIn,
               now: datetime) -> int:
        self._check_time(item.reported_at, now, "reported_at")
        try:
            place = placer.place(item.grid_code, item.lat, item.lon, item.address,
                                 source.county_code)
        except OutsideRegion as exc:
            raise Refused(str(exc)) from exc
        maps = {kind: self.codes.lookup(source.name, kind, getattr(item, field_name))
                for kind, field_name in (("category", "category"), ("channel", "channel"),
                                         ("urgency", "urgency"), ("stage", "stage"))}
        unknown = [m.unknown for m in maps.values() if m.unknown]
        major, sub = maps["category"].value  # type: ignore[misc]
        channel, priority = str(maps["channel"].value), str(maps["urgency"].value)
        if place.how == "unplaced":
            ensure_unplaced_unit(session, source.county_code)
        reported_at = as_utc(item.reported_at)  # SQLite keeps no offset: store UTC
        limit = sla.limit_for(major, sub, priority, channel)
        deadline = sla.add_working_time(reported_at, limit, zone=self.zone)
        draft = cs.CaseDraft(
            external_id=f"{source.name}:{item.source_case_id}", source=channel,
            major_class=major, subclass=sub, priority=priority, title=item.title,
            description=item.description, grid_code=place.grid_code, lon=item.lon,
            lat=item.lat, reporter_name=item.reporter_name, reporter_phone=item.reporter_phone,
            address=item.address)
        actor = f"src:{source.name}"
        case_id = cs.report_case(session, draft, reported_at, actor, deadline)
        if case_id is None:
            raise IntegrityError("external id exists", None, Exception(draft.external_id))
        session.add(IntakeRecord(
            source_id=source.id, source_case_id=item.source_case_id, case_id=case_id,
            placement=place.how, unknown_codes=";".join(unknown)[:200],
            source_reported_at=reported_at, received_at=now))
        session.flush()
        stage = str(maps["stage"].value)
        if stage != "reported":
            self._step(session, case_id, "reported", stage, reported_at, actor,
                       item.resolved_level)
        return case_id

    def _step(self, session: Session, case_id: int, current: str, target: str, at: datetime,
              actor: str, resolved_level: str | None, note: str | None = None) -> bool:
        path = _forward_path(current, target)
        for i, stage in enumerate(path):
            fields = {"resolved_level": resolved_level} \
                if stage == "closed" and resolved_level else {}
            cs.advance(session, case_id, stage, at, actor,
                       note=note if i == len(path) - 1 else None, **fields)
        return bool(path)

    # -- events ---------------------------------------------------------------------------

    def apply_events(self, source: SourceRef, events: Sequence[EventIn], channel: str
                     ) -> list[Outcome]:
        """Apply events to this source's own cases, in the order given; one outcome each:
        applied, ignored (late: the case is already past it) or rejected."""
        now = self.clock()
        outcomes: list[Outcome] = []
        with cs.case_change(self.sessions, self.counters) as session:
            cases = _case_ids(session, source, [e.source_case_id for e in events])
            for event in events:
                sid = event.source_case_id
                if sid not in cases:
                    outcomes.append(Outcome(sid, REJECTED, reasons=[
                        "no case with this source_case_id from this source"]))
                    continue
                try:
                    with cs.one_of_many(session):
                        status, reason = self._event(session, source, cases[sid], event, now)
                    outcomes.append(Outcome(sid, status, cases[sid],
                                            [reason] if reason else []))
                except Refused as exc:
                    outcomes.append(Outcome(sid, REJECTED, cases[sid], [exc.reason]))
                except cs.ActionRefused as exc:
                    outcomes.append(Outcome(sid, REJECTED, cases[sid], [exc.message]))
        self._after(source, channel, outcomes, now)
        return outcomes

    def _event(self, session: Session, source: SourceRef, case_id: int, event: EventIn,
               now: datetime) -> tuple[str, str | None]:
        self._check_time(event.at, now, "at")
        at = as_utc(event.at)
        case = session.scalars(select(Case).where(Case.id == case_id).with_for_update()).one()
        actor = f"src:{source.name}"
        if event.kind == "stage":
            mapped = self.codes.lookup(source.name, "stage", event.stage)
            if mapped.unknown:
                raise Refused(f"unknown stage code {event.stage!r} (add it to the code table)")
            if self._step(session, case_id, case.stage, str(mapped.value), at, actor,
                          event.resolved_level, event.note):
                return APPLIED, None
            return IGNORED, f"the case is already at {case.stage}"
        if event.kind == "extension":
            assert event.until is not None
            until = as_utc(event.until)
            current = case.extended_until or case.deadline_at
            if current is not None and until <= as_utc(current):
                return IGNORED, "the deadline is already that late or later"
            if case.stage not in cs.ACTION_RULES["extend"][1]:
                return IGNORED, f"no extension at stage {case.stage}"
            cs.perform(session, case_id, "extend", actor, at, until=until,
                       note=event.note)
            return APPLIED, None
        mapped = self.codes.lookup(source.name, "satisfaction", event.satisfaction)
        if mapped.unknown or mapped.value is None:
            raise Refused(f"unknown satisfaction code {event.satisfaction!r}")
        if case.followed_up_at is not None:
            return IGNORED, "the case has been followed up already"
        if case.stage != "closed":
            raise Refused("the case is not closed yet: send the closing stage event first")
        cs.perform(session, case_id, "followup", actor, at,
                   satisfaction=mapped.value, note=event.note)
        return APPLIED, None

    # -- after the commit -----------------------------------------------------------------

    def _after(self, source: SourceRef, channel: str, outcomes: list[Outcome],
               now: datetime) -> None:
        rejected = [o for o in outcomes if o.status == REJECTED]
        if rejected:
            self.record_rejections(source, channel, [(o.source_case_id, "; ".join(o.reasons))
                                                     for o in rejected], now)
        if self.on_commit is not None and any(o.status in (ACCEPTED, APPLIED)
                                              for o in outcomes):
            self.on_commit()

    def record_rejections(self, source: SourceRef, channel: str,
                          rows: Sequence[tuple[str | None, str]],
                          at: datetime | None = None) -> None:
        at = at or self.clock()
        with self.sessions.begin() as session:
            session.execute(insert(IntakeRejection), [
                {"source_id": source.id, "at": at, "channel": channel,
                 "source_case_id": (sid or "")[:64] or None, "reason": reason[:300]}
                for sid, reason in rows])


def _case_ids(session: Session, source: SourceRef, source_case_ids: list[str]) -> dict[str, int]:
    """govwall's case id of each of these source case ids the source has sent before."""
    return dict(session.execute(
        select(IntakeRecord.source_case_id, IntakeRecord.case_id)
        .where(IntakeRecord.source_id == source.id,
               IntakeRecord.source_case_id.in_(source_case_ids))).all())
