"""The one ingest path: cases and events from a source, written through case_store.

- A case is unique by (source, source case id): its external id is "<source>:<id>" and
  intake_records holds the pair under a unique index, so a resend — or two racing
  senders — gives "duplicate", never a second case.
- A batch is one case_change transaction, written in bulk: one lookup of the (source,
  source case id) pairs already present; every item checked, placed and mapped in Python
  (a refusal is decided before anything is written, so it leaves nothing); the new cases,
  their first transitions and intake records inserted together (COPY on PostgreSQL),
  the rollups' deltas summed and applied once, the counters bumped after the commit in
  one pipeline. A case that arrives past "reported" takes the case-by-case path (a
  savepoint, the stage steps through case_store.advance) in the same transaction; so does
  the whole batch again if a racing sender committed one of its ids first.
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

from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from data_access import bulk_load, sla
from data_access import case_store as cs
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


@dataclass
class NewCase:
    """An item made ready to write (Intake._prepare)."""

    source_case_id: str
    draft: cs.CaseDraft
    reported_at: datetime
    deadline_at: datetime
    placement: str  # grid | point | address | unplaced
    unknown_codes: str
    stage: str  # govwall's stage the source says the case is at

    @property
    def county_code(self) -> str:
        return self.draft.grid_code[:6]

    def record(self, source: SourceRef, case_id: int, now: datetime) -> dict:
        """Its intake_records row."""
        return {"source_id": source.id, "source_case_id": self.source_case_id,
                "case_id": case_id, "placement": self.placement,
                "unknown_codes": self.unknown_codes, "source_reported_at": self.reported_at,
                "received_at": now}


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
        """Ingest cases in one transaction; one outcome per item.

        The bulk path (`_create_bulk`): one lookup of the ids already sent, the new cases
        written together (case_store.report_cases). Should a racing sender commit one of
        these ids between the lookup and the insert, the insert fails, the transaction
        rolls back, and the batch is written again case by case (`_create_each`, a
        savepoint each), which tells that one apart as a duplicate."""
        now = self.clock()
        try:
            outcomes = self._create_bulk(source, items, now)
        except IntegrityError:
            outcomes = self._create_each(source, items, now)
        self._after(source, channel, outcomes, now)
        return outcomes

    def _create_bulk(self, source: SourceRef, items: Sequence[CaseIn], now: datetime
                     ) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(items)
        with cs.case_change(self.sessions, self.counters) as session:
            known = _case_ids(session, source, [i.source_case_id for i in items])
            placer = self._placer_for(session)
            fresh: list[tuple[int, NewCase]] = []
            stepped: list[int] = []  # cases that come in past "reported": one by one
            first_of: dict[str, int] = {}  # a file may repeat an id: the first row counts
            for index, item in enumerate(items):
                sid = item.source_case_id
                if sid in known:
                    outcomes[index] = Outcome(sid, DUPLICATE, known[sid])
                    continue
                if sid in first_of:
                    outcomes[index] = Outcome(sid, DUPLICATE)
                    continue
                try:
                    new = self._prepare(placer, source, item, now)
                    new.draft.validate()
                except Refused as exc:
                    outcomes[index] = Outcome(sid, REJECTED, reasons=[exc.reason])
                    continue
                except cs.ActionRefused as exc:
                    outcomes[index] = Outcome(sid, REJECTED, reasons=[exc.message])
                    continue
                first_of[sid] = index
                if new.stage == "reported":
                    fresh.append((index, new))
                else:
                    stepped.append(index)
            for county in sorted({n.county_code for _, n in fresh if n.placement == "unplaced"}):
                ensure_unplaced_unit(session, county)
            ids = cs.report_cases(session, [(n.draft, n.reported_at, n.deadline_at)
                                            for _, n in fresh], f"src:{source.name}")
            bulk_load.copy_rows(session.connection(), IntakeRecord.__table__, [
                n.record(source, case_id, now)
                for (_, n), case_id in zip(fresh, ids, strict=True)])
            for (index, _), case_id in zip(fresh, ids, strict=True):
                outcomes[index] = Outcome(items[index].source_case_id, ACCEPTED, case_id)
            for index in stepped:
                outcomes[index] = self._create_one(session, placer, source, items[index], now)
        for outcome in outcomes:
            assert outcome is not None
            if outcome.status == DUPLICATE and outcome.case_id is None:
                first = outcomes[first_of[outcome.source_case_id]]
                assert first is not None
                outcome.case_id = first.case_id
        return outcomes  # type: ignore[return-value]

    def _create_each(self, source: SourceRef, items: Sequence[CaseIn], now: datetime
                     ) -> list[Outcome]:
        outcomes: list[Outcome] = []
        with cs.case_change(self.sessions, self.counters) as session:
            known = _case_ids(session, source, [i.source_case_id for i in items])
            placer = self._placer_for(session)
            for item in items:
                sid = item.source_case_id
                if sid in known:
                    outcomes.append(Outcome(sid, DUPLICATE, known[sid]))
                else:
                    outcomes.append(self._create_one(session, placer, source, item, now))
        return outcomes

    def _create_one(self, session: Session, placer: Placer, source: SourceRef, item: CaseIn,
                    now: datetime) -> Outcome:
        """One case in its own savepoint: a failure leaves nothing of it."""
        sid = item.source_case_id
        try:
            with cs.one_of_many(session):
                case_id = self._write(session, placer, source, item, now)
            return Outcome(sid, ACCEPTED, case_id)
        except Refused as exc:
            return Outcome(sid, REJECTED, reasons=[exc.reason])
        except cs.ActionRefused as exc:
            return Outcome(sid, REJECTED, reasons=[exc.message])
        except IntegrityError as exc:
            # A racing request committed the same case: a duplicate. Anything else the
            # database refused (a foreign key: the source's county missing from the
            # territory, say) is a rejection with the database's reason — it was once
            # reported "duplicate" and stored nowhere.
            known = _case_ids(session, source, [sid])
            if sid in known:
                return Outcome(sid, DUPLICATE, known[sid])
            # A racing writer between its case row and its intake record: the case is there.
            racing = session.scalar(select(Case.id).where(
                Case.external_id == f"{source.name}:{sid}"))
            if racing is not None:
                return Outcome(sid, DUPLICATE, racing)
            reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
            return Outcome(sid, REJECTED, reasons=[f"the database refused it: {reason}"])

    def _prepare(self, placer: Placer, source: SourceRef, item: CaseIn, now: datetime
                 ) -> NewCase:
        """The case a source's item becomes: checked, placed, mapped, its deadline set —
        no database work (the placer holds the territory)."""
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
        reported_at = as_utc(item.reported_at)  # SQLite keeps no offset: store UTC
        deadline = self._deadline(major, sub, priority, channel, reported_at)
        draft = cs.CaseDraft(
            external_id=f"{source.name}:{item.source_case_id}", source=channel,
            major_class=major, subclass=sub, priority=priority, title=item.title,
            description=item.description, grid_code=place.grid_code, lon=item.lon,
            lat=item.lat, reporter_name=item.reporter_name, reporter_phone=item.reporter_phone,
            address=item.address)
        return NewCase(item.source_case_id, draft, reported_at, deadline, place.how,
                       ";".join(unknown)[:200], str(maps["stage"].value))

    def _deadline(self, major: str, sub: str, priority: str, channel: str,
                  reported_at: datetime) -> datetime:
        return sla.add_working_time(reported_at, sla.limit_for(major, sub, priority, channel),
                                    zone=self.zone)

    def _write(self, session: Session, placer: Placer, source: SourceRef, item: CaseIn,
               now: datetime) -> int:
        new = self._prepare(placer, source, item, now)
        if new.placement == "unplaced":
            ensure_unplaced_unit(session, source.county_code)
        actor = f"src:{source.name}"
        case_id = cs.report_case(session, new.draft, new.reported_at, actor, new.deadline_at)
        if case_id is None:
            raise IntegrityError("external id exists", None, Exception(new.draft.external_id))
        session.add(IntakeRecord(**new.record(source, case_id, now)))
        session.flush()
        if new.stage != "reported":
            self._step(session, case_id, "reported", new.stage, new.reported_at, actor,
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
    """govwall's case id of each of these source case ids the source has sent before.

    PostgreSQL: a join against the ids as one array. An IN list of a batch's thousand
    parameters, once psycopg prepares it (its fifth run), keeps the plan made while
    intake_records was small — a sequential scan comparing every row with every id, which
    slowed a 1 M-row import to 125 rows/s by 60,000 rows (bench/intake.py); the join is a
    hash join or index probes whatever the statistics say."""
    if not source_case_ids:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        return dict(session.execute(text(
            "SELECT r.source_case_id, r.case_id FROM unnest(CAST(:ids AS text[])) AS t(sid) "
            "JOIN intake_records r ON r.source_id = :source AND r.source_case_id = t.sid"),
            {"ids": list(source_case_ids), "source": source.id}).all())
    return dict(session.execute(
        select(IntakeRecord.source_case_id, IntakeRecord.case_id)
        .where(IntakeRecord.source_id == source.id,
               IntakeRecord.source_case_id.in_(source_case_ids))).all())
