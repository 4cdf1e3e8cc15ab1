"""Today's reports by source channel and by major class."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access.counters import Counters
from data_access.indicators import reported_in, today
from data_access.models import Case
from data_access.vocabulary import MAJOR_CLASSES, SOURCES, UNCLASSIFIED
from data_access.wall_scope import Scope


@dataclass(frozen=True)
class TodayMix:
    by_source: pd.DataFrame  # source, count (all SOURCES, largest first)
    by_major: pd.DataFrame  # major_class, count (all MAJOR_CLASSES, largest first)


def today_mix(session: Session, counters: Counters, scope: Scope, now: datetime,
              zone: ZoneInfo) -> TodayMix:
    """Live from the Redis counters; a township view (whose counters do not keep the
    source and class) counts today's rows in the database instead."""
    sources: Counter[str] = Counter()
    majors: Counter[str] = Counter()
    if scope.township:
        rows = session.execute(
            select(Case.source, Case.major_class, func.count())
            .where(reported_in(today(now, zone)), scope.case_filter())
            .group_by(Case.source, Case.major_class)
        ).all()
        for source, major, n in rows:
            sources[source] += n
            majors[major] += n
    else:
        for row in counters.day_counts(counters.local_day(now)):
            if row.event == "reported" and row.county_code in scope.counties:
                sources[row.source] += row.count
                majors[row.major_class] += row.count
    # 未分类 (an ingested case whose category code no mapping names) only when there is one.
    classes = MAJOR_CLASSES + ((UNCLASSIFIED,) if majors.get(UNCLASSIFIED) else ())
    return TodayMix(_ranked("source", SOURCES, sources), _ranked("major_class", classes,
                                                                  majors))


def _ranked(column: str, codes: tuple[str, ...], counts: Counter[str]) -> pd.DataFrame:
    frame = pd.DataFrame({column: list(codes), "count": [counts.get(c, 0) for c in codes]})
    return frame.sort_values("count", ascending=False, kind="stable").reset_index(drop=True)
