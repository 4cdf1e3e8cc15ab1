"""Keeping Redis's day counters equal to the database (the truth).

`rebuild_today` recomputes today's keys from scratch; `catch_up_today` counts only the
day's transitions Redis has not applied yet — what a crash between a commit and
Counters.apply leaves behind. Both are safe to run at any time: the applied-id set makes
counting idempotent. `keep_counters` runs both without a person: it rebuilds a day whose
counts are missing or belong to another Redis lifetime, and catches up recent events.

A rebuild clears the day *before* it reads the database, so it cannot lose an event written
while it runs: a writer that counts after the clear puts the event in the applied set and the
rebuild's own apply of it is a no-op; one that counted before the clear is re-counted from the
database read that follows. While it runs, `Counters.is_complete` is false and the wall says
the day is being recounted instead of showing partial numbers as fresh.
"""
from __future__ import annotations

import logging
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, sessionmaker

from data_access import vocabulary as v
from data_access.counters import CountedEvent, Counters
from data_access.models import Case, CaseTransition, PatrolCheckin
from data_access.timeutil import as_utc, local_day_bounds

log = logging.getLogger(__name__)

CHUNK = 5_000
RECOUNT_LOCK_SECONDS = 600
# Events committed this recently are checked against the applied set on every keeper pass:
# what a Redis hiccup after a commit (an officer's action, an intake) left uncounted.
RECENT = timedelta(minutes=15)


def events_for_day(session: Session, day: date, zone: ZoneInfo) -> list[CountedEvent]:
    """Every transition of the local `day` that the counters count on that day (a rejection
    of an earlier day's registration is counted on that earlier day)."""
    start, end = local_day_bounds(day, zone)
    return [e for e in events_between(session, start, end) if e.at >= start]


def events_between(session: Session, start: datetime, end: datetime) -> list[CountedEvent]:
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
        .where(CaseTransition.at >= start, CaseTransition.at < end)
        .order_by(CaseTransition.id))
    return [CountedEvent(tid, as_utc(at), county, township, ev, major, source)
            for tid, at, county, township, ev, major, source in rows]


def patrolled_grids(session: Session, day: date, zone: ZoneInfo) -> list[str]:
    start, end = local_day_bounds(day, zone)
    return list(session.scalars(select(PatrolCheckin.grid_code).distinct()
                                .where(PatrolCheckin.at >= start, PatrolCheckin.at < end)))


def _apply_in_chunks(counters: Counters, events: list[CountedEvent]) -> int:
    return sum(counters.apply(events[i:i + CHUNK]) for i in range(0, len(events), CHUNK))


def rebuild_today(session: Session, counters: Counters, now: datetime,
                  wait: bool = True) -> int | None:
    """Delete today's counter keys and recompute them; returns the events applied, or None
    when another process is rebuilding and `wait` is false.

    One rebuild at a time (a Redis lock); the day is cleared first and read after (see the
    module's docstring), and marked complete in this Redis lifetime only at the end."""
    while not counters.begin_recount(RECOUNT_LOCK_SECONDS):
        if not wait:
            return None
        time.sleep(0.5)
    try:
        day = counters.local_day(now)
        counters.clear_day(day)
        session.rollback()  # a fresh snapshot of the database, taken after the clear
        counters.mark_patrolled(patrolled_grids(session, day, counters.zone), now)
        applied = _apply_in_chunks(counters, events_for_day(session, day, counters.zone))
        counters.mark_complete(day)
    finally:
        counters.end_recount()
    return applied


def catch_up_today(session: Session, counters: Counters, now: datetime,
                   since: datetime | None = None) -> int:
    """Count the transitions from `since` (default: today's local midnight) to now that
    Redis has not applied yet; returns how many. A writer back from an outage passes the
    outage's start, which may lie in an earlier local day."""
    start = local_day_bounds(counters.local_day(now), counters.zone)[0]
    if since is not None:
        start = min(start, since)
    missing = _unapplied(counters, events_between(session, start, now + timedelta(seconds=1)))
    day = counters.local_day(now)
    counters.mark_patrolled(patrolled_grids(session, day, counters.zone), now)
    return _apply_in_chunks(counters, missing)


def catch_up_recent(session: Session, counters: Counters, now: datetime) -> int:
    """Count the transitions of the last RECENT that Redis has not applied yet."""
    events = events_between(session, now - RECENT, now + timedelta(seconds=1))
    return _apply_in_chunks(counters, _unapplied(counters, events))


def _unapplied(counters: Counters, events: list[CountedEvent]) -> list[CountedEvent]:
    """The events whose transition id is not in their local day's applied set."""
    missing: list[CountedEvent] = []
    for day in sorted({counters.local_day(e.at) for e in events}):
        of_day = [e for e in events if counters.local_day(e.at) == day]
        for i in range(0, len(of_day), CHUNK):
            batch = of_day[i:i + CHUNK]
            seen = counters.applied_ids(day, [e.transition_id for e in batch])
            missing += [e for e in batch if e.transition_id not in seen]
    return missing


def keep_counters(sessions: sessionmaker[Session], counters: Counters, now: datetime,
                  catch_up: bool = True) -> str:
    """One pass of the self-repair: "rebuilt" when today's counts were missing or from
    another Redis lifetime (one process rebuilds, under a lock), "busy" while another process
    rebuilds, else "ok" (after catching up recent events, with `catch_up`)."""
    if not counters.is_complete(counters.local_day(now)):
        with sessions() as session:
            applied = rebuild_today(session, counters, now, wait=False)
        if applied is None:
            return "busy"
        log.info("today's counters rebuilt from the database: %d events", applied)
        return "rebuilt"
    if catch_up:
        with sessions() as session:
            catch_up_recent(session, counters, now)
    return "ok"
