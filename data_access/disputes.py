"""Disputes (矛盾纠纷) over the last 30 local days: by type per day, where they were resolved
(the 721 picture), how mediation ended, and today against the same weekday last week."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access import rollups
from data_access.models import Case, CaseDaily
from data_access.vocabulary import MEDIATION_OUTCOMES, RESOLUTION_LEVELS
from data_access.wall_scope import Scope, local_day_start

TREND_DAYS = 30
COLUMNS = ["day", "dispute_type", "resolved_level", "outcome", "count"]


@dataclass(frozen=True)
class DisputeSummary:
    daily: pd.DataFrame  # day (local date), dispute_type, count — zero days included
    resolved_levels: pd.DataFrame  # level, count (RESOLUTION_LEVELS order)
    outcomes: pd.DataFrame  # outcome, count (MEDIATION_OUTCOMES order)
    today: int  # reported today up to now
    same_weekday_last_week: int  # reported 7 days ago up to the same time


def dispute_summary(session: Session, scope: Scope, now: datetime,
                    zone: ZoneInfo) -> DisputeSummary:
    """Built days come from the case_daily rollup (a few hundred rows a day for a city);
    days not built yet (usually today) and township views count from the case table."""
    start = local_day_start(now, zone, days_back=TREND_DAYS - 1)
    first_day, today = start.astimezone(zone).date(), now.astimezone(zone).date()
    days = [first_day + timedelta(days=i) for i in range(TREND_DAYS)]
    # The rollup is kept per county: a township view reads its own few cases.
    built = set() if scope.township else rollups.built_days(session, first_day, today)
    frame = pd.concat([_from_rollup(session, scope, sorted(built)),
                       _from_cases(session, scope, [d for d in days if d not in built], now,
                                   zone)], ignore_index=True)
    frame["dispute_type"] = frame["dispute_type"].replace(rollups.NONE, "other")
    types = sorted(frame["dispute_type"].unique())
    daily = (frame.groupby(["day", "dispute_type"])["count"].sum()
             .reindex(pd.MultiIndex.from_product([days, types],
                                                 names=["day", "dispute_type"]), fill_value=0)
             .rename("count").reset_index())
    levels = frame.groupby("resolved_level")["count"].sum().reindex(list(RESOLUTION_LEVELS),
                                                                   fill_value=0)
    outcomes = frame.groupby("outcome")["count"].sum().reindex(list(MEDIATION_OUTCOMES),
                                                              fill_value=0)
    week_ago = local_day_start(now, zone, days_back=7)
    last_week = session.scalar(select(func.count()).where(
        Case.major_class == "dispute", Case.reported_at >= week_ago,
        Case.reported_at <= now - timedelta(days=7), scope.case_filter()))
    return DisputeSummary(
        daily,
        pd.DataFrame({"level": levels.index, "count": levels.to_numpy()}),
        pd.DataFrame({"outcome": outcomes.index, "count": outcomes.to_numpy()}),
        int(frame.loc[frame["day"] == today, "count"].sum()), int(last_week or 0),
    )


def _from_rollup(session: Session, scope: Scope, days: list[date]) -> pd.DataFrame:
    if not days:
        return pd.DataFrame(columns=COLUMNS)
    rows = session.execute(
        select(CaseDaily.day, CaseDaily.dispute_type, CaseDaily.resolved_level,
               CaseDaily.mediation_outcome, func.sum(CaseDaily.cases))
        .where(CaseDaily.major_class == "dispute", CaseDaily.day.in_(days),
               CaseDaily.county_code.in_(scope.counties))
        .group_by(CaseDaily.day, CaseDaily.dispute_type, CaseDaily.resolved_level,
                  CaseDaily.mediation_outcome)
    ).all()
    return pd.DataFrame(rows, columns=COLUMNS)


def _from_cases(session: Session, scope: Scope, days: list[date], now: datetime,
                zone: ZoneInfo) -> pd.DataFrame:
    if not days:
        return pd.DataFrame(columns=COLUMNS)
    start = local_day_start(now, zone, days_back=(now.astimezone(zone).date() - days[0]).days)
    rows = session.execute(
        select(Case.reported_at, Case.dispute_type, Case.resolved_level,
               Case.mediation_outcome)
        .where(Case.major_class == "dispute", Case.reported_at >= start,
               Case.reported_at <= now, scope.case_filter())
    ).all()
    frame = pd.DataFrame(rows, columns=["reported_at", *COLUMNS[1:4]])
    # Vectorised: SQLite's naive values are UTC, PostgreSQL's are aware.
    frame["day"] = pd.to_datetime(frame["reported_at"], utc=True).dt.tz_convert(zone).dt.date
    frame = frame[frame["day"].isin(days)].fillna(rollups.NONE)
    return (frame.groupby(COLUMNS[:4]).size().rename("count").reset_index()
            if len(frame) else pd.DataFrame(columns=COLUMNS))
