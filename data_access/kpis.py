"""Headline indicators: today's counts (live, Redis), open/overdue now and 30-day rates (DB)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from data_access.counters import Counters
from data_access.models import Case, CaseTransition
from data_access.vocabulary import TERMINAL_STAGES
from data_access.wall_scope import Scope, local_day_start

RATE_DAYS = 30
COUNTED = ("reported", "registered", "closed")


@dataclass(frozen=True)
class LiveCounts:
    """Today so far, from the Redis counters the write path bumps."""

    reported: int
    registered: int
    closed: int
    workers_online: int
    reports_last_hour: int


@dataclass(frozen=True)
class DbFigures:
    in_progress: int
    overdue: int
    # The same local time yesterday, for "change since yesterday".
    reported_yesterday: int
    registered_yesterday: int
    closed_yesterday: int


@dataclass(frozen=True)
class Rates:
    """Over cases reported in the last 30 local days; None when nothing to divide by."""

    closure_rate: float | None  # closed ÷ registered
    on_time_rate: float | None  # closed by deadline ÷ (closed or past deadline)
    satisfaction: float | None  # satisfied or basically ÷ follow-ups answered


def live_counts(counters: Counters, scope: Scope, now: datetime) -> LiveCounts:
    today = counters.local_day(now)
    totals = dict.fromkeys(COUNTED, 0)
    if scope.township:
        for (township, event), n in counters.township_counts(today).items():
            if township == scope.township and event in totals:
                totals[event] += n
    else:
        for row in counters.day_counts(today):
            if row.county_code in scope.counties and row.event in totals:
                totals[row.event] += row.count
    online = sum(n for grid, n in counters.online_workers(now).items() if scope.covers(grid))
    # The per-minute counters are kept for the deployment's region as a whole.
    last_hour = sum(counters.reports_last_hour(now).values())
    return LiveCounts(totals["reported"], totals["registered"], totals["closed"], online,
                      last_hour)


def db_figures(session: Session, scope: Scope, now: datetime, zone: ZoneInfo) -> DbFigures:
    is_open = Case.stage.not_in(TERMINAL_STAGES)
    overdue = and_(Case.deadline_at < now,
                   or_(Case.extended_until.is_(None), Case.extended_until < now))
    in_progress, overdue_now = session.execute(
        select(func.count(), func.count().filter(overdue))
        .where(is_open, scope.case_filter())
    ).one()
    start = local_day_start(now, zone, days_back=1)
    same_time = now - timedelta(days=1)
    reported = session.scalar(
        select(func.count()).where(Case.reported_at >= start, Case.reported_at < same_time,
                                   scope.case_filter())
    )
    moves = dict(session.execute(
        select(CaseTransition.to_stage, func.count())
        .join(Case, Case.id == CaseTransition.case_id)
        .where(CaseTransition.at >= start, CaseTransition.at < same_time,
               CaseTransition.kind == "stage",
               CaseTransition.to_stage.in_(("registered", "closed")), scope.case_filter())
        .group_by(CaseTransition.to_stage)
    ).all())
    return DbFigures(in_progress, overdue_now, reported or 0, moves.get("registered", 0),
                     moves.get("closed", 0))


def rates(session: Session, scope: Scope, now: datetime, zone: ZoneInfo) -> Rates:
    start = local_day_start(now, zone, days_back=RATE_DAYS - 1)
    due = func.coalesce(Case.extended_until, Case.deadline_at)
    closed = Case.closed_at.is_not(None)
    row = session.execute(
        select(
            func.count().filter(Case.registered_at.is_not(None)),
            func.count().filter(Case.registered_at.is_not(None), closed),
            func.count().filter(or_(closed, due < now), Case.stage != "rejected"),
            func.count().filter(closed, Case.closed_at <= due),
            func.count().filter(Case.satisfaction.is_not(None)),
            func.count().filter(Case.satisfaction.in_(("satisfied", "basically"))),
        ).where(Case.reported_at >= start, Case.reported_at <= now, scope.case_filter())
    ).one()
    registered, closed_n, due_n, on_time, answered, satisfied = row
    return Rates(_ratio(closed_n, registered), _ratio(on_time, due_n),
                 _ratio(satisfied, answered))


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None
