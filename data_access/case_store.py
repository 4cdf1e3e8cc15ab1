"""The write path for cases: every change is the case row plus one appended transition, in
the caller's one transaction; the Redis counters are bumped only after the commit.

Used by the live simulator and by the duty officers' actions (/ops). Usage:

    with case_change(sessions, counters) as session:
        perform(session, case_id, "supervise", actor="zhang", at=now, level=2, note="...")

`case_change` commits, then applies the counted events. If Redis is down at that moment the
change is safe in the database and `counter_sync.catch_up_today` counts it later (each event
carries its transition id, so nothing is counted twice).

The rules (which stage may follow which, which officer action is allowed when) are the two
tables below; `allowed_actions(case)` answers the UI from the same tables.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import redis
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from data_access import bulk_load, rollups
from data_access import indicators as ind
from data_access import vocabulary as v
from data_access.counters import CountedEvent, CountedEvents, Counters
from data_access.models import Case, CaseTransition
from data_access.reports import rollup as township_daily
from data_access.timeutil import as_utc

log = logging.getLogger(__name__)

MAX_NOTE_LENGTH = 2000
_EVENTS_KEY = "govwall.counted_events"

# Stage changes: from-stage -> {to-stage: transition kind}. A kind other than "stage" marks a
# step backwards: 退回 (return, misrouted: back to registration for re-dispatch) and 返工
# (rework, verification failed: back to handling).
STAGE_RULES: dict[str, dict[str, str]] = {
    "reported": {"registered": v.STAGE_CHANGE},
    "registered": {"dispatched": v.STAGE_CHANGE, "rejected": v.STAGE_CHANGE},
    "dispatched": {"handling": v.STAGE_CHANGE, "registered": "return"},
    "handling": {"handled": v.STAGE_CHANGE, "registered": "return"},
    "handled": {"verified": v.STAGE_CHANGE, "handling": "rework"},
    "verified": {"closed": v.STAGE_CHANGE, "handling": "rework"},
}
_STAGE_TIMESTAMP = {"registered": "registered_at", "dispatched": "dispatched_at",
                    "handling": "handling_at", "handled": "handled_at",
                    "verified": "verified_at", "closed": "closed_at", "rejected": "rejected_at"}
# Fields a stage change may set on the case row besides the stage and its timestamp.
ADVANCE_FIELDS = frozenset({"responsible_unit", "handler", "resolved_level", "mediation_type",
                            "mediation_outcome", "deadline_at"})

# Officer actions (side events): action -> (transition kind, stages where it is allowed).
ACTION_RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "acknowledge": ("acknowledgement", v.OPEN_STAGES),
    "supervise": ("supervision", v.OPEN_STAGES),
    "escalate": ("escalation", v.OPEN_STAGES),
    "extend": ("extension", ("dispatched", "handling")),
    "note": ("note", v.ALL_STAGES),
    "followup": ("followup", ("closed",)),
    "unmask": ("unmask", v.ALL_STAGES),
}
ACTIONS = tuple(ACTION_RULES)


class ActionRefused(Exception):
    """A change the rules do not allow. `code` is stable (the UI translates it); the message
    is for people reading logs and English screens."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CaseDraft:
    """A new report. The township and county come from the grid code's prefixes."""

    external_id: str
    source: str
    major_class: str
    subclass: str
    priority: str
    title: str
    description: str
    grid_code: str
    lon: float | None
    lat: float | None
    reporter_name: str | None
    reporter_phone: str | None
    address: str | None
    dispute_type: str | None = None
    mediation_type: str | None = None

    def validate(self) -> None:
        checks = (
            (self.source in v.SOURCES, "source", self.source),
            (self.major_class in v.SUBCLASSES or self.major_class == v.UNCLASSIFIED,
             "major_class", self.major_class),
            (self.subclass in v.SUBCLASSES.get(self.major_class, (v.UNCLASSIFIED,)),
             "subclass", self.subclass),
            (self.priority in v.PRIORITIES, "priority", self.priority),
            (len(self.grid_code) == v.CODE_LENGTH["grid"] and self.grid_code.isdigit(),
             "grid_code", self.grid_code),
            (self.dispute_type is None or self.dispute_type in v.DISPUTE_TYPES,
             "dispute_type", self.dispute_type),
            (self.mediation_type is None or self.mediation_type in v.MEDIATION_TYPES,
             "mediation_type", self.mediation_type),
        )
        for ok, name, value in checks:
            if not ok:
                raise ActionRefused("invalid_draft", f"{name}: {value!r} is not allowed")


# -- reading the rules ----------------------------------------------------------------------

def _get(case: Any, name: str) -> Any:
    return case[name] if isinstance(case, Mapping) else getattr(case, name)


def _action_refusal(case: Any, action: str,
                    params: Mapping[str, Any] | None) -> ActionRefused | None:
    """Why `action` may not be performed on `case` now, or None if it may. With params None
    only the case's state is checked (what allowed_actions asks)."""
    if action not in ACTION_RULES:
        return ActionRefused("unknown_action", f"unknown action {action!r}")
    _, stages = ACTION_RULES[action]
    stage = _get(case, "stage")
    if stage not in stages:
        if action == "followup":
            return ActionRefused("not_closed", "only a closed case can be followed up")
        if stage == "closed":
            return ActionRefused("closed_case", f"the case is closed: cannot {action}")
        if stage == "rejected":
            return ActionRefused("rejected_case", f"the case was rejected: cannot {action}")
        return ActionRefused("wrong_stage", f"cannot {action} a case at stage {stage}")
    if action == "acknowledge" and _get(case, "acknowledged_at") is not None:
        return ActionRefused("already_acknowledged", "the case is already acknowledged")
    if action == "followup" and _get(case, "followed_up_at") is not None:
        return ActionRefused("already_followed_up", "the case has already been followed up")
    return None if params is None else _param_refusal(action, params)


def _param_refusal(action: str, params: Mapping[str, Any]) -> ActionRefused | None:
    note = params.get("note")
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        return ActionRefused("note_too_long", f"a note is at most {MAX_NOTE_LENGTH} characters")
    if action == "note" and not (note or "").strip():
        return ActionRefused("note_required", "a note needs some text")
    if action == "supervise" and params.get("level") not in v.SUPERVISION_LEVELS:
        return ActionRefused("bad_level", "a supervision level is 1, 2 or 3")
    if action == "followup" and params.get("satisfaction") not in v.SATISFACTION:
        return ActionRefused("bad_satisfaction",
                             "satisfaction is one of satisfied, basically, unsatisfied")
    if action == "extend" and not isinstance(params.get("until"), datetime):
        return ActionRefused("bad_extension", "an extension needs the new deadline (until)")
    return None


def allowed_actions(case: Any) -> set[str]:
    """The officer actions the rules allow on `case` now (an ORM row or a mapping with
    stage, acknowledged_at and followed_up_at)."""
    return {a for a in ACTION_RULES if _action_refusal(case, a, None) is None}


def next_stages(stage: str) -> dict[str, str]:
    """The stages that may follow `stage`, with the transition kind each one records."""
    return dict(STAGE_RULES.get(stage, {}))


# -- writing --------------------------------------------------------------------------------

def _append(session: Session, case: Case, kind: str, at: datetime, actor: str,
            from_stage: str | None, to_stage: str | None, note: str | None = None,
            level: int | None = None, addressee: str | None = None) -> int:
    transition = CaseTransition(case_id=case.id, kind=kind, from_stage=from_stage,
                                to_stage=to_stage, level=level, actor=actor, note=note, at=at,
                                addressee=addressee)
    session.add(transition)
    session.flush()
    event = to_stage if kind == v.STAGE_CHANGE else kind
    # A rejection takes back a registration (不予受理 is not 立案, data_access/indicators):
    # it is counted on the registration's day, whose 立案 is then registered − rejected.
    counted_at = as_utc(case.registered_at or at) if event == "rejected" else at
    session.info.setdefault(_EVENTS_KEY, []).append(CountedEvent(
        transition.id, counted_at, case.county_code, case.township_code, event,
        case.major_class, case.source))
    return transition.id


def _load(session: Session, case_id: int) -> Case:
    case = session.scalars(select(Case).where(Case.id == case_id).with_for_update()).one_or_none()
    if case is None:
        raise ActionRefused("case_not_found", f"no case with id {case_id}")
    return case


def report_case(session: Session, draft: CaseDraft, at: datetime, actor: str,
                deadline_at: datetime | None) -> int | None:
    """Record a new report; returns its id, or None if `draft.external_id` exists already
    (sources resend reports; a repeat is not a new case)."""
    draft.validate()
    exists = session.scalar(select(Case.id).where(Case.external_id == draft.external_id))
    if exists is not None:
        return None
    case = Case(**_new_case_values(draft, at, deadline_at))
    session.add(case)
    session.flush()
    _append(session, case, v.STAGE_CHANGE, at, actor, None, "reported")
    return case.id


def report_cases(session: Session, reports: Sequence[tuple[CaseDraft, datetime,
                                                              datetime | None]],
                 actor: str) -> list[int]:
    """Record many new reports at once — the bulk form of report_case for sources that send
    batches: one multi-row insert of the cases, one of their first transitions, the rollups'
    deltas summed over the batch and applied once, the counted events queued for after the
    commit as report_case queues them. Returns the new ids in the order given.

    The caller has made sure that no external id exists yet (for intake: one lookup of the
    batch's source case ids); a racing writer that got there first makes the insert fail
    with IntegrityError, and the transaction with it. Each draft is validated first."""
    if not reports:
        return []
    for draft, _, _ in reports:
        draft.validate()
    rows = [_new_case_row(draft, at, deadline_at) for draft, at, deadline_at in reports]
    conn = session.connection()
    cases, transitions = Case.__table__, CaseTransition.__table__
    # PostgreSQL: the cases' ids and their first transitions' in one round trip.
    reserved = bulk_load.reserve_ids_together(conn, [(cases, len(rows)),
                                                     (transitions, len(rows))])
    ids, step_ids = reserved if reserved is not None else (None, None)
    if ids is None:
        # SQLite: one executemany, then the ids by the unique external ids. (RETURNING in
        # parameter order would be a statement per row: SQLite does not promise the order
        # of a multi-row INSERT's RETURNING.)
        conn.execute(cases.insert(), rows)
        found = dict(conn.execute(select(cases.c.external_id, cases.c.id).where(
            cases.c.external_id.in_([row["external_id"] for row in rows]))).all())
        ids = [found[row["external_id"]] for row in rows]
    else:  # PostgreSQL: the ids first, then COPY
        for case_id, row in zip(ids, rows, strict=True):
            row["id"] = case_id
        bulk_load.copy_rows(conn, cases, rows)
    steps = [{"case_id": case_id, "kind": v.STAGE_CHANGE, "from_stage": None,
              "to_stage": "reported", "level": None, "actor": actor, "note": None,
              "at": row["reported_at"], "addressee": None}
             for case_id, row in zip(ids, rows, strict=True)]
    if step_ids is None:  # SQLite: as above, by case (a new case has this one transition)
        conn.execute(transitions.insert(), steps)
        found = dict(conn.execute(select(transitions.c.case_id, transitions.c.id).where(
            transitions.c.case_id.in_(ids))).all())
        step_ids = [found[case_id] for case_id in ids]
    else:
        for step_id, step in zip(step_ids, steps, strict=True):
            step["id"] = step_id
        bulk_load.copy_rows(conn, transitions, steps)
    session.info.setdefault(_EVENTS_KEY, []).extend(
        CountedEvent(step_id, row["reported_at"], row["county_code"], row["township_code"],
                     "reported", row["major_class"], row["source"])
        for step_id, row in zip(step_ids, rows, strict=True))
    # The rollups' listeners see ORM objects only: these rows are counted here, once —
    # just before the commit (_defer_rollups).
    _defer_rollups(session, rows)
    return ids


_DEFERRED_KEY = "govwall.deferred_rollups"
_DEFERRING_KEY = "govwall.deferring_rollups"  # the listeners are installed


def _defer_rollups(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Add new cases' rollup deltas to the session's pending ones; they are written in one
    statement just before the commit (_write_deferred_rollups).

    Why at the commit: concurrent batches of cases (the intake API's clients) add to the
    same rollup rows — today × township, today × county × class — and a row's lock is held
    from the upsert until the commit. Written in the middle of the transaction, the other
    batches waited for this one's upserts one round trip after another, the intake records'
    COPY and the commit (bench/intake.py: half the server's backends waiting on a lock);
    written last and at once, they wait for one statement and the commit."""
    zone = session.info.get(rollups.TRACKED_ZONE)
    township_zone = session.info.get(township_daily.TRACKED_ZONE)
    _defer_deltas(session,
                  Counter(rollups.key_of(row, zone) for row in rows) if zone is not None
                  else None,
                  township_daily.new_case_deltas(rows, township_zone)
                  if township_zone is not None else None)


def _defer_deltas(session: Session, daily: Counter | None,
                  township: tuple[dict, dict, Counter] | None) -> None:
    """Rollup deltas added to the session's pending ones (see _defer_rollups)."""
    if not session.info.get(_DEFERRING_KEY):
        session.info[_DEFERRING_KEY] = True
        event.listen(session, "before_commit", _write_deferred_rollups)
        event.listen(session, "after_transaction_end", _drop_deferred_rollups)
    deferred = session.info.setdefault(_DEFERRED_KEY, {
        "case_daily": Counter(), "township": {}, "grid": {}, "topic": Counter()})
    if daily is not None:
        deferred["case_daily"].update(daily)
    if township is not None:
        deltas, grids, topics = township
        for mine, theirs in ((deferred["township"], deltas), (deferred["grid"], grids)):
            for cell, counts in theirs.items():
                mine.setdefault(cell, Counter()).update(counts)
        deferred["topic"].update(topics)


def _write_deferred_rollups(session: Session) -> None:
    # before_commit also fires when a savepoint is released: wait for the real commit.
    if session.get_nested_transaction() is not None:
        return
    deferred = session.info.pop(_DEFERRED_KEY, None)
    if deferred is None:
        return
    session.flush()  # the ORM's own changes (and their listeners' upserts) first
    # The listeners' table order: case_daily, township_daily (+ monthly), grid_daily,
    # topic_daily (+ monthly); each table's rows in key order.
    bulk_load.add_rows_together(session.connection(), [
        *rollups.upserts(deferred["case_daily"]),
        *township_daily.upserts(deferred["township"]),
        *township_daily.upserts(deferred["grid"], township_daily.GridDaily,
                                township_daily.GRID_KEY),
        *township_daily.topic_upserts(deferred["topic"])])


def _drop_deferred_rollups(session: Session, transaction) -> None:
    """A rolled-back transaction's deltas go with it (after a commit there are none left).
    Only the outermost transaction's end: a savepoint rolled back (one_of_many) takes back
    its own rows, not the batch's deltas queued before it."""
    if transaction.parent is None:
        session.info.pop(_DEFERRED_KEY, None)


_EMPTY_CASE_ROW: dict[str, Any] = {c.name: None for c in Case.__table__.columns
                                   if c.name != "id"}


def _new_case_row(draft: CaseDraft, at: datetime, deadline_at: datetime | None
                  ) -> dict[str, Any]:
    """Every column of a new case (a multi-row insert needs the same keys in each row)."""
    return {**_EMPTY_CASE_ROW, **_new_case_values(draft, at, deadline_at)}


def _new_case_values(draft: CaseDraft, at: datetime, deadline_at: datetime | None
                     ) -> dict[str, Any]:
    """A new report's columns, the same for the ORM path and the bulk rows."""
    return dict(
        external_id=draft.external_id, source=draft.source, major_class=draft.major_class,
        subclass=draft.subclass, dispute_type=draft.dispute_type,
        mediation_type=draft.mediation_type, priority=draft.priority, title=draft.title,
        description=draft.description, reporter_name=draft.reporter_name,
        reporter_phone=draft.reporter_phone, address=draft.address, grid_code=draft.grid_code,
        township_code=draft.grid_code[:9], county_code=draft.grid_code[:6], lon=draft.lon,
        lat=draft.lat, stage="reported", reported_at=at, deadline_at=deadline_at,
        rework_count=0, supervision_level=0, updated_at=at)


def advance(session: Session, case_id: int, to_stage: str, at: datetime, actor: str,
            note: str | None = None, **fields: Any) -> int:
    """Move a case to `to_stage`; returns the transition id. Refuses steps the stage rules
    do not allow, unknown fields, and closing without a resolved_level."""
    case = _load(session, case_id)
    kind = STAGE_RULES.get(case.stage, {}).get(to_stage)
    if kind is None:
        if case.stage in v.TERMINAL_STAGES:
            code = "closed_case" if case.stage == "closed" else "rejected_case"
            raise ActionRefused(code, f"the case is {case.stage}: it cannot move to {to_stage}")
        raise ActionRefused("illegal_stage", f"a case cannot go from {case.stage} to {to_stage}")
    unknown = set(fields) - ADVANCE_FIELDS
    if unknown:
        raise ActionRefused("unknown_field", f"cannot set {', '.join(sorted(unknown))}")
    if to_stage == "closed" and fields.get("resolved_level", case.resolved_level) \
            not in v.RESOLUTION_LEVELS:
        raise ActionRefused("resolved_level_required",
                            "closing a case needs the level it was resolved at")
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        raise ActionRefused("note_too_long", f"a note is at most {MAX_NOTE_LENGTH} characters")
    from_stage = case.stage
    for name, value in fields.items():
        setattr(case, name, value)
    case.stage = to_stage
    if kind == v.STAGE_CHANGE:
        setattr(case, _STAGE_TIMESTAMP[to_stage], at)
    elif kind == "rework":
        # A step back keeps the first time the stage was entered; the forward steps that
        # follow record their latest time.
        case.rework_count += 1
    case.updated_at = at
    return _append(session, case, kind, at, actor, from_stage, to_stage, note)


def addressees(case: Any) -> tuple[str, str]:
    """Whom a supervision order on `case` may be addressed to: its township (属地, the
    default: the unit answerable for the place) or its county (a matter beyond the
    township)."""
    return _get(case, "township_code"), _get(case, "county_code")


def perform(session: Session, case_id: int, action: str, actor: str, at: datetime,
            **params: Any) -> int:
    """An officer's side event on a case (see ACTION_RULES); returns the transition id.

    Params: supervise(level 1..3, note, addressee: one of addressees(case), default its
    township), escalate(note), note(note), followup(satisfaction, note), extend(until,
    note), acknowledge(note), unmask()."""
    case = _load(session, case_id)
    refusal = _action_refusal(case, action, params)
    if refusal is not None:
        raise refusal
    kind, _ = ACTION_RULES[action]
    level = addressee = None
    if action == "acknowledge":
        case.acknowledged_at, case.acknowledged_by = at, actor
    elif action == "supervise":
        level = params["level"]
        addressee = params.get("addressee") or case.township_code
        if addressee not in addressees(case):
            raise ActionRefused("bad_addressee", "a supervision order is addressed to the "
                                "case's township or county")
        case.supervision_level = max(case.supervision_level, level)
        case.supervision_addressee = addressee
    elif action == "followup":
        case.satisfaction, case.followed_up_at = params["satisfaction"], at
    elif action == "extend":
        case.extended_until = params["until"]
    # `unmask` and `note` change nothing on the case: the transition is the record.
    if action != "unmask":
        case.updated_at = at
    return _append(session, case, kind, at, actor, None, None, params.get("note"), level,
                   addressee)


# -- after the commit -----------------------------------------------------------------------

def pending_events(session: Session) -> list[CountedEvent]:
    """The counted events this session's changes produced since the last call (take them
    after the commit and hand them to Counters.apply)."""
    return session.info.pop(_EVENTS_KEY, [])


def apply_counts(counters: Counters, events: list[CountedEvent]) -> int:
    """Count committed events; a Redis outage is logged, not raised: the change is in the
    database and catch_up_today counts it later."""
    try:
        return counters.apply(events)
    except redis.RedisError as exc:
        log.warning("counters not updated (%s); catch_up_today will repair them", exc)
        return 0


@contextmanager
def one_of_many(session: Session) -> Iterator[Session]:
    """One change among several in a case_change transaction (a batch from a source): a
    savepoint, so a change that fails leaves neither rows nor counted events behind while
    the others commit."""
    pending = session.info.setdefault(_EVENTS_KEY, [])
    mark = len(pending)
    try:
        with session.begin_nested():
            yield session
    except BaseException:
        del pending[mark:]
        raise


@contextmanager
def case_change(sessions: sessionmaker[Session], counters: Counters,
                count: Callable[[list[CountedEvent]], object] | None = None
                ) -> Iterator[Session]:
    """One case change: a session in a transaction; commit, then count (`count`: hand the
    committed events to it instead, e.g. to count them in another thread). On an error
    nothing is written and nothing counted."""
    with sessions() as session:
        rollups.track(session, counters.zone)  # case_daily moves in the same transaction
        township_daily.track(session, counters.zone)  # and the leaders' rollup
        with session.begin():
            yield session
        if count is None:
            apply_counts(counters, pending_events(session))
        else:
            count(pending_events(session))


def report_case_columns(session: Session, columns: dict[str, np.ndarray], actor: str
                        ) -> list[int]:
    """report_cases for drafts given as column arrays (the file import's column path,
    data_access/intake/columns.py): the same rows, transitions, rollup deltas and counted
    events, without a dict or a psycopg adaptation per row — the cases and transitions are
    written as COPY text built per column (bulk_load.load; SQLite: executemany).

    `columns` holds the draft's fields (external_id, source, major_class, subclass,
    priority, title, description, grid_code, lon, lat, reporter_name, reporter_phone,
    address; object arrays, None for none) and reported_at / deadline_at (datetime64[us],
    UTC). The caller has validated them (CaseDraft.validate's rules) and made sure that no
    external id exists yet, as for report_cases."""
    n = len(columns["external_id"])
    if not n:
        return []
    conn = session.connection()
    cases, transitions = Case.__table__, CaseTransition.__table__
    reserved = bulk_load.reserve_ids_together(conn, [(cases, n), (transitions, n)])
    if reserved is not None:
        return write_prepared(session, prepare_case_columns(
            conn.dialect.name, columns, actor, reserved[0], reserved[1],
            session.info.get(rollups.TRACKED_ZONE)))
    # SQLite: as report_cases, the ids read back after the inserts
    rows = _case_rows(columns)
    at = rows["reported_at"]
    bulk_load.load(conn, cases, rows)
    found = dict(conn.execute(select(cases.c.external_id, cases.c.id).where(
        cases.c.external_id.in_(rows["external_id"].tolist()))).all())
    ids = [found[e] for e in rows["external_id"]]
    bulk_load.load(conn, transitions, _step_rows(ids, at, actor))
    found = dict(conn.execute(select(transitions.c.case_id, transitions.c.id).where(
        transitions.c.case_id.in_(ids))).all())
    step_ids = [found[case_id] for case_id in ids]
    zone, township_zone = (session.info.get(rollups.TRACKED_ZONE),
                           session.info.get(township_daily.TRACKED_ZONE))
    _shift_all(session, _event_groups(rows, at, step_ids),
               _daily_deltas(rows, at, zone) if zone is not None else None,
               _township_deltas(rows, township_zone) if township_zone is not None else None)
    return ids


@dataclass
class PreparedCases:
    """New cases made ready for their transaction ahead of it (the file import does this
    for its next chunk while the server writes the last): their ids, reserved already, the
    cases' and first transitions' COPY text, their counted events and rollup deltas."""

    ids: list[int]
    cases: bulk_load.Batch
    transitions: bulk_load.Batch
    events: list[CountedEvents]
    daily: Counter | None  # None: made without a zone (no rollups to move)
    township: tuple[dict, dict, Counter] | None
    zone: Any


def prepare_case_columns(dialect: str, columns: dict[str, np.ndarray], actor: str,
                         ids: Sequence[int], step_ids: Sequence[int], zone) -> PreparedCases:
    """report_case_columns' work that needs no transaction (ids reserved by the caller,
    bulk_load.reserve_ids_together); write_prepared writes it."""
    rows = _case_rows(columns)
    at = rows["reported_at"]
    return PreparedCases(
        list(ids), bulk_load.prepare(dialect, {"id": np.asarray(ids, np.int64), **rows}),
        bulk_load.prepare(dialect, {"id": np.asarray(step_ids, np.int64),
                                    **_step_rows(ids, at, actor)}),
        _event_groups(rows, at, step_ids),
        _daily_deltas(rows, at, zone) if zone is not None else None,
        _township_deltas(rows, zone) if zone is not None else None, zone)


def write_prepared(session: Session, prepared: PreparedCases) -> list[int]:
    """Prepared new cases written in the session's transaction: the cases and transitions
    by COPY, the rollups moved, the events queued for the counters after the commit."""
    conn = session.connection()
    zone, township_zone = (session.info.get(rollups.TRACKED_ZONE),
                           session.info.get(township_daily.TRACKED_ZONE))
    assert zone in (None, prepared.zone) and township_zone in (None, prepared.zone), \
        "rollup deltas made in another zone"
    bulk_load.write(conn, Case.__table__, prepared.cases)
    bulk_load.write(conn, CaseTransition.__table__, prepared.transitions)
    _shift_all(session, prepared.events, prepared.daily if zone is not None else None,
               prepared.township if township_zone is not None else None)
    return list(prepared.ids)


def _shift_all(session: Session, events: list[CountedEvents], daily: Counter | None,
               township: tuple[dict, dict, Counter] | None) -> None:
    session.info.setdefault(_EVENTS_KEY, []).extend(events)
    # As report_cases: the rollups moved in one statement just before the commit.
    _defer_deltas(session, daily, township)


def _case_rows(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A new case's every column (but its id), from report_case_columns' columns."""
    n = len(columns["external_id"])
    # The township and county codes as prefixes of each distinct grid code (few), not of
    # every row's (pandas' .str slices in Python, cell by cell).
    grid_of, grids = pd.factorize(np.asarray(columns["grid_code"], dtype=object),
                                  use_na_sentinel=True)
    at = np.asarray(columns["reported_at"], dtype="datetime64[us]")
    empty = np.full(n, None, dtype=object)
    rows: dict[str, np.ndarray] = {name: empty for name in _EMPTY_CASE_ROW}
    rows.update({name: np.asarray(columns[name], dtype=object) for name in (
        "external_id", "source", "major_class", "subclass", "priority", "title",
        "description", "reporter_name", "reporter_phone", "address", "grid_code", "lon",
        "lat")})
    rows.update(township_code=np.array([*(g[:9] for g in grids), None], object)[grid_of],
                county_code=np.array([*(g[:6] for g in grids), None], object)[grid_of],
                stage=np.full(n, "reported", dtype=object), reported_at=at,
                deadline_at=np.asarray(columns["deadline_at"], dtype="datetime64[us]"),
                rework_count=np.zeros(n, np.int64), supervision_level=np.zeros(n, np.int64),
                updated_at=at)
    return rows


def _step_rows(ids: Sequence[int], at: np.ndarray, actor: str) -> dict[str, np.ndarray]:
    """New cases' first transitions (to "reported"), but their ids."""
    n = len(ids)
    empty = np.full(n, None, dtype=object)
    return {"case_id": np.asarray(ids, np.int64), "kind": np.full(n, v.STAGE_CHANGE, object),
            "from_stage": empty, "to_stage": np.full(n, "reported", object), "level": empty,
            "actor": np.full(n, actor, object), "note": empty, "at": at, "addressee": empty}


def _township_deltas(rows: dict[str, np.ndarray], zone) -> tuple[dict, dict, Counter]:
    """township_daily.new_case_deltas (township, grid and topic cells) of new cases,
    computed once per group of cases that
    count alike and scaled by the group's size. A new case (stage "reported", nothing
    registered, dispatched or closed) counts by its local report day and deadline day and
    its other measure and topic columns (constant or None here); the group's first case
    stands for it."""
    # Grouped by codes, not values: local days as datetime64, the other columns factorized
    # (None and NaN alike), so no Python object per row and cell.
    keys = pd.DataFrame({
        "reported_day": pd.Series(rows["reported_at"]).dt.tz_localize("UTC")
        .dt.tz_convert(zone).dt.tz_localize(None).dt.floor("D"),
        "due_day": pd.Series(rows["deadline_at"]).dt.tz_localize("UTC")
        .dt.tz_convert(zone).dt.tz_localize(None).dt.floor("D"),
        **{name: pd.factorize(rows[name], use_na_sentinel=True)[0]
           for name in dict.fromkeys(("township_code", "grid_code", *township_daily.TOPIC_KEY,
                                      *ind.MEASURE_COLUMNS))
           if name not in ("reported_at", "deadline_at")}})
    assert all(rows[name].dtype == object and not pd.Series(rows[name]).notna().any()
               for name in ("registered_at", "closed_at", "dispatched_at", "acknowledged_at",
                            "extended_until", "rejected_at")), "new cases only"
    deltas: dict = {}
    grids: dict = {}
    topics: Counter = Counter()
    groups = list(keys.groupby(list(keys.columns), sort=False, dropna=False)
                  .indices.values())
    # The groups' first cases as Python values: one conversion per column, not per group.
    firsts = np.array([int(members[0]) for members in groups], dtype=np.int64)
    values = {name: _python_values(rows[name][firsts]) for name in rows}
    for g, members in enumerate(groups):
        one = {name: column[g] for name, column in values.items()}
        group_deltas, group_grids, group_topics = township_daily.new_case_deltas([one], zone)
        for into_all, group in ((deltas, group_deltas), (grids, group_grids)):
            for cell, counts in group.items():
                into = into_all.setdefault(cell, Counter())
                for measure, amount in counts.items():
                    into[measure] += amount * len(members)
        for topic, amount in group_topics.items():
            topics[topic] += amount * len(members)
    return deltas, grids, topics


def _python_values(values: np.ndarray) -> list:
    if values.dtype.kind == "M":
        return pd.Series(values).dt.tz_localize("UTC").dt.to_pydatetime().tolist()
    return values.tolist()


def _event_groups(rows: dict[str, np.ndarray], at: np.ndarray, step_ids: Sequence[int]
                  ) -> list[CountedEvents]:
    """The new cases' counted events ("reported"), one CountedEvents per (minute, county,
    township, class, channel)."""
    keys = pd.DataFrame({"minute": at.astype("datetime64[m]").astype(np.int64),
                         **{name: rows[name] for name in ("county_code", "township_code",
                                                          "major_class", "source")}})
    ids = np.asarray(step_ids, np.int64)
    out = []
    for (minute, county, township, major, source), members in keys.groupby(
            list(keys.columns), sort=True, dropna=False).indices.items():
        out.append(CountedEvents(tuple(ids[members].tolist()), _EPOCH + timedelta(
            minutes=int(minute)), county, township, "reported", major, source))
    return out


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _daily_deltas(rows: dict[str, np.ndarray], at: np.ndarray, zone) -> Counter:
    """case_daily's deltas of new cases: rows counted per (local day, key columns)."""
    frame = pd.DataFrame({name: pd.Series(rows[name], dtype=object).fillna(rollups.NONE)
                          for name in rollups.KEY})
    frame.insert(0, "day", pd.Series(at).dt.tz_localize("UTC").dt.tz_convert(zone).dt.date)
    sizes = frame.groupby(["day", *rollups.KEY], sort=False, dropna=False).size()
    return Counter({key: int(count) for key, count in sizes.items()})
