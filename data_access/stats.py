"""The database's headline figures (`govwall stats`), calibrated against DOMAIN.md."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access import vocabulary as v
from data_access.models import Case, GridWorker, Unit
from data_access.timeutil import local_day_bounds


def has_cases(session: Session) -> bool:
    return session.scalar(select(Case.id).limit(1)) is not None


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def collect_stats(session: Session, region: str, zone: ZoneInfo, now: datetime) -> dict:
    territory = dict(session.execute(select(Unit.level, func.count()).group_by(Unit.level))
                     .all())
    by_stage = dict(session.execute(select(Case.stage, func.count()).group_by(Case.stage)).all())
    today = now.astimezone(zone).date()
    per_day = {}
    for back in range(6, -1, -1):
        day = today - timedelta(days=back)
        start, end = local_day_bounds(day, zone)
        per_day[day.isoformat()] = session.scalar(select(func.count()).select_from(Case).where(
            Case.reported_at >= start, Case.reported_at < end))
    levels = dict(session.execute(select(Case.resolved_level, func.count())
                                  .where(Case.stage == "closed")
                                  .group_by(Case.resolved_level)).all())
    answers = dict(session.execute(select(Case.satisfaction, func.count())
                                   .where(Case.satisfaction.is_not(None))
                                   .group_by(Case.satisfaction)).all())
    is_open = Case.stage.not_in(v.TERMINAL_STAGES)
    overdue = session.scalar(select(func.count()).select_from(Case).where(
        is_open, func.coalesce(Case.extended_until, Case.deadline_at) < now))
    month_ago = now - timedelta(days=30)
    registered_30d, closed_30d = session.execute(
        select(func.count(Case.registered_at), func.count(Case.closed_at))
        .where(Case.reported_at >= month_ago, Case.stage != "rejected")).one()
    reworks, closed_all = session.execute(
        select(func.coalesce(func.sum(Case.rework_count), 0), func.count())
        .where(Case.stage == "closed")).one()
    return {
        "region": region,
        "territory": {level: territory.get(level, 0)
                      for level in ("county", "township", "village", "grid")},
        "grid_workers": session.scalar(select(func.count()).select_from(GridWorker)),
        "cases_by_stage": {stage: by_stage.get(stage, 0) for stage in v.ALL_STAGES},
        "reports_per_day": per_day,
        "resolved_at_or_below_township": _share(
            sum(levels.get(lv, 0) for lv in v.AT_OR_BELOW_TOWNSHIP), sum(levels.values())),
        "satisfaction": _share(answers.get("satisfied", 0) + answers.get("basically", 0),
                               sum(answers.values())),
        "overdue_open": overdue,
        "closure_rate_30d": _share(closed_30d, registered_30d),
        "rework_rate": _share(int(reworks), closed_all),
    }
