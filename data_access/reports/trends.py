"""Each briefing indicator over the last 12 periods, and over the same periods a year
before (the faint line), from one rollup query grouped by day plus the open overdue cases."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access.reports.figures import KEYS, in_scope, open_overdue_by_day, value_of
from data_access.reports.periods import Period
from data_access.reports.rollup import MEASURES, TOWNSHIP_MONTHS, over
from data_access.wall_scope import scope_for

PERIODS = 12


def span(period: Period, count: int = PERIODS) -> tuple[date, date]:
    """The days the trends read: from the year before the first period shown to the last."""
    return period.shifted(1 - count).year_before().first, period.last


def _runs(periods: list[Period]) -> list[tuple[date, date]]:
    """The days of `periods` as the fewest ranges (periods that touch or overlap merged)."""
    runs: list[tuple[date, date]] = []
    for p in sorted(periods, key=lambda p: p.first):
        if runs and p.first <= runs[-1][1] + timedelta(days=1):
            runs[-1] = (runs[-1][0], max(runs[-1][1], p.last))
        else:
            runs.append((p.first, p.last))
    return runs


def trends(session: Session, unit: str, period: Period, zone: ZoneInfo, now: datetime,
           count: int = PERIODS) -> pd.DataFrame:
    """One row per period (oldest first): label, then each key's value and `<key>_ly`, its
    value the same period a year before."""
    scope = scope_for(unit)
    shown = [period.shifted(i - count + 1) for i in range(count)]
    before = [p.year_before() for p in shown]
    first = min(p.first for p in before)
    # Months, quarters and years are whole months: their rows come a month at a time from
    # township_monthly (keyed by the month's first day, inside the period it belongs to).
    # Days, weeks and custom spans read days — only those of the periods shown and of their
    # year-before twins (a day's trends: 24 days, not the 377 between the first and last).
    rows = []
    for a, b in _runs([*shown, *before]):
        source = over(TOWNSHIP_MONTHS, a, b, lambda code: in_scope(code, scope),
                      months=period.kind in ("month", "quarter", "year"))
        rows += session.execute(
            select(source.c.day, *(func.sum(source.c[m]) for m in MEASURES))
            .group_by(source.c.day)).all()
    days = pd.DataFrame(rows, columns=["day", *MEASURES]).set_index("day")
    days = days.astype("int64")  # PostgreSQL's sums are numeric (Decimal)
    days = days.join(open_overdue_by_day(session, scope, first, period.last, zone, now),
                     how="outer").fillna(0)

    # 24 periods summed from one array (a DataFrame filter and sum per period was ~1 ms).
    when, sums_of, names = np.array(days.index, dtype=object), days.to_numpy(), list(days.columns)

    def values(p: Period) -> dict[str, float | None]:
        inside = (when >= p.first) & (when <= p.last)
        sums = dict(zip(names, sums_of[inside].sum(axis=0).tolist(), strict=True))
        return {k: value_of(k, sums) for k in KEYS}

    out = []
    for p, ly in zip(shown, before, strict=True):
        out.append({"period": p.label, **values(p),
                    **{f"{k}_ly": x for k, x in values(ly).items()}})
    return pd.DataFrame(out)
