"""Disputes (矛盾纠纷) over the last 30 local days: by type per day, where they were resolved
(the 721 picture), how mediation ended, and today against the same weekday last week."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.models import Case
from data_access.vocabulary import MEDIATION_OUTCOMES, RESOLUTION_LEVELS
from data_access.wall_scope import Scope, local_day_start

TREND_DAYS = 30


@dataclass(frozen=True)
class DisputeSummary:
    daily: pd.DataFrame  # day (local date), dispute_type, count — zero days included
    resolved_levels: pd.DataFrame  # level, count (RESOLUTION_LEVELS order)
    outcomes: pd.DataFrame  # outcome, count (MEDIATION_OUTCOMES order)
    today: int  # reported today up to now
    same_weekday_last_week: int  # reported 7 days ago up to the same time


def dispute_summary(session: Session, scope: Scope, now: datetime,
                    zone: ZoneInfo) -> DisputeSummary:
    start = local_day_start(now, zone, days_back=TREND_DAYS - 1)
    rows = session.execute(
        select(Case.reported_at, Case.dispute_type, Case.resolved_level,
               Case.mediation_outcome)
        .where(Case.major_class == "dispute", Case.reported_at >= start,
               Case.reported_at <= now, scope.case_filter())
    ).all()
    frame = pd.DataFrame(rows, columns=["reported_at", "dispute_type", "resolved_level",
                                        "outcome"])
    # Vectorised: SQLite's naive values are UTC, PostgreSQL's are aware.
    frame["reported_at"] = pd.to_datetime(frame["reported_at"], utc=True)
    frame["day"] = frame["reported_at"].dt.tz_convert(zone).dt.date
    frame["dispute_type"] = frame["dispute_type"].fillna("other")
    first_day = start.astimezone(zone).date()
    days = [first_day + timedelta(days=i) for i in range(TREND_DAYS)]
    types = sorted(frame["dispute_type"].unique())
    daily = (frame.groupby(["day", "dispute_type"]).size()
             .reindex(pd.MultiIndex.from_product([days, types],
                                                 names=["day", "dispute_type"]), fill_value=0)
             .rename("count").reset_index())
    levels = frame["resolved_level"].value_counts().reindex(list(RESOLUTION_LEVELS),
                                                            fill_value=0)
    outcomes = frame["outcome"].value_counts().reindex(list(MEDIATION_OUTCOMES), fill_value=0)
    today_start = local_day_start(now, zone)
    week_ago_start = local_day_start(now, zone, days_back=7)
    reported = frame["reported_at"]
    today = int((reported >= today_start).sum())
    last_week = int(((reported >= week_ago_start) & (reported <= now - timedelta(days=7))).sum())
    return DisputeSummary(
        daily,
        pd.DataFrame({"level": levels.index, "count": levels.to_numpy()}),
        pd.DataFrame({"outcome": outcomes.index, "count": outcomes.to_numpy()}),
        today, last_week,
    )
