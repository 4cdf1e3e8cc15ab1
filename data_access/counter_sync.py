"""Keeping Redis's day counters equal to the database (the truth).

`rebuild_today` recomputes today's keys from scratch; `catch_up_today` counts only the
day's transitions Redis has not applied yet — what a crash between a commit and
Counters.apply leaves behind. Both are safe to run at any time: the applied-id set makes
counting idempotent.
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from data_access import vocabulary as v
from data_access.counters import CountedEvent, Counters
from data_access.models import Case, CaseTransition, PatrolCheckin
from data_access.timeutil import as_utc, local_day_bounds

CHUNK = 5_000


def events_for_day(session: Session, day: date, zone: ZoneInfo) -> list[CountedEvent]:
    """Every transition of the local `day` that the counters count on that day (a rejection
    of an earlier day's registration is counted on that earlier day)."""
    start, end = local_day_bounds(day, zone)
    event = case((CaseTransition.kind == v.STAGE_CHANGE, CaseTransition.to_stage),
                 else_=CaseTransition.kind)
    # As case_store._append: a rejection is counted on the day of the registration it
    # takes back.
    counted_at = case((and_(CaseTransition.kind == v.STAGE_CHANGE,
                            CaseTransition.to_stage == "rejected"),
                       func.coalesce(Case.registered_at, CaseTransition.at)),
                      else_=CaseTransition.at)
    rows = session.execute(
        select(CaseTransition.id, counted_at, Case.county_code, Case.township_code,
               event, Case.major_class, Case.source)
        .join(Case, Case.id == CaseTransition.case_id)
        .where(CaseTransition.at >= start, CaseTransition.at < end, counted_at >= start)
        .order_by(CaseTransition.id))
    return [CountedEvent(tid, as_utc(at), county, township, ev, major, source)
            for tid, at, county, township, ev, major, source in rows]


def patrolled_grids(session: Session, day: date, zone: ZoneInfo) -> list[str]:
    start, end = local_day_bounds(day, zone)
    return list(session.scalars(select(PatrolCheckin.grid_code).distinct()
                                .where(PatrolCheckin.at >= start, PatrolCheckin.at < end)))


def _apply_in_chunks(counters: Counters, events: list[CountedEvent]) -> int:
    return sum(counters.apply(events[i:i + CHUNK]) for i in range(0, len(events), CHUNK))


def rebuild_today(session: Session, counters: Counters, now: datetime) -> int:
    """Delete today's counter keys and recompute them; returns the events applied."""
    day = counters.local_day(now)
    events = events_for_day(session, day, counters.zone)
    grids = patrolled_grids(session, day, counters.zone)
    counters.clear_day(day)
    counters.mark_patrolled(grids, now)
    return _apply_in_chunks(counters, events)


def catch_up_today(session: Session, counters: Counters, now: datetime) -> int:
    """Count today's transitions that Redis has not applied yet; returns how many."""
    day = counters.local_day(now)
    events = events_for_day(session, day, counters.zone)
    missing: list[CountedEvent] = []
    for i in range(0, len(events), CHUNK):
        batch = events[i:i + CHUNK]
        seen = counters.applied_ids(day, [e.transition_id for e in batch])
        missing += [e for e in batch if e.transition_id not in seen]
    counters.mark_patrolled(patrolled_grids(session, day, counters.zone), now)
    return _apply_in_chunks(counters, missing)
