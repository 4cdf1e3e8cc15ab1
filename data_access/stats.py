"""The database's headline figures (`govwall stats`), calibrated against DOMAIN.md.

The indicators the wall also shows are computed as the wall computes them (one definition
each, data_access/indicators.py), over the configured region, so that for the same data and
instant `govwall stats` and the wall agree.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access import indicators as ind
from data_access import vocabulary as v
from data_access.models import Case, GridWorker, TownshipDaily, Unit
from data_access.wall_scope import scope_for

TODAY = ("reported", "registered", "closed")
RATES = ("closure_rate", "on_time_rate", "satisfaction", "rework_rate",
         "resolved_at_or_below_township")


def has_cases(session: Session) -> bool:
    return session.scalar(select(Case.id).limit(1)) is not None


def _share(ratio: ind.Ratio) -> float | None:
    return None if ratio.value is None else round(ratio.value, 4)


def ack_in_time(session: Session, region: str, now: datetime, zone: ZoneInfo) -> ind.Ratio:
    """及时签收率 over the last RATE_DAYS local days (cases reported in them), from the
    leaders' rollup: signing for in time is a working-time measure that the rollup keeps
    per case (indicators.case_measures), not a SQL expression."""
    scope = scope_for(region)
    today = now.astimezone(zone).date()
    in_scope = TownshipDaily.township_code == scope.township if scope.township else \
        func.substr(TownshipDaily.township_code, 1, 6).in_(scope.counties)
    part, whole = session.execute(select(
        func.coalesce(func.sum(TownshipDaily.ack_in_time), 0),
        func.coalesce(func.sum(TownshipDaily.dispatched), 0)).where(
        TownshipDaily.day > today - timedelta(days=ind.RATE_DAYS),
        TownshipDaily.day <= today, in_scope)).one()
    return ind.Ratio(int(part), int(whole))


def collect_stats(session: Session, region: str, zone: ZoneInfo, now: datetime) -> dict:
    where = scope_for(region).case_filter()
    territory = dict(session.execute(select(Unit.level, func.count()).group_by(Unit.level))
                     .all())
    by_stage = dict(session.execute(select(Case.stage, func.count()).where(where)
                                    .group_by(Case.stage)).all())
    per_day = {}
    for back in range(6, -1, -1):
        start = ind.local_midnight(now, zone, back)
        day = ind.Window(start, min(ind.local_midnight(now, zone, back - 1), now))
        per_day[start.astimezone(zone).date().isoformat()] = ind.count(session, "reported",
                                                                      day, where)
    today = ind.today(now, zone)
    rates = ind.ratios(session, RATES, ind.last_days(ind.RATE_DAYS, now, zone), where)
    return {
        "region": region,
        "territory": {level: territory.get(level, 0)
                      for level in ("county", "township", "village", "grid")},
        "grid_workers": session.scalar(select(func.count()).select_from(GridWorker)),
        "cases_by_stage": {stage: by_stage.get(stage, 0) for stage in v.ALL_STAGES},
        "reports_per_day": per_day,
        "today": {**{key: ind.count(session, key, today, where) for key in TODAY},
                  "reports_last_hour": ind.count(session, "reports_last_hour",
                                                 ind.last_hour(now), where)},
        "in_progress": ind.count(session, "in_progress", today, where),
        "overdue_open": ind.count(session, "overdue", today, where),
        **{f"{key}_{ind.RATE_DAYS}d": _share(rates[key]) for key in RATES},
        f"ack_in_time_rate_{ind.RATE_DAYS}d": _share(ack_in_time(session, region, now, zone)),
    }
