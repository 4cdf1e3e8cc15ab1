"""Each briefing indicator over the last 12 periods, and over the same periods a year
before (the faint line), from the rollup's month and day sums plus the open overdue cases.

Each of the 24 periods is read as `rollup.pieces` reads any span: whole months, and days
added or taken away. One query sums the months any period needs (per month), one the days
any period needs (per day); each period's figures are then its months plus its days less
its taken days. A city's 45-day spans: ~30 months and ~190 days of township rows, not the
905 days between the first and last (~155 k rows, ~140 ms); a day's trends: its 24 days.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from data_access.reports.figures import KEYS, in_scope, open_overdue_by_day, value_of
from data_access.reports.periods import Period
from data_access.reports.rollup import MEASURES, TOWNSHIP_MONTHS, pieces
from data_access.wall_scope import scope_for

PERIODS = 12


def span(period: Period, count: int = PERIODS) -> tuple[date, date]:
    """The days the trends read: from the year before the first period shown to the last."""
    return period.shifted(1 - count).year_before().first, period.last


def _runs(ranges: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    """Day ranges as the fewest ranges (ranges that touch or overlap merged)."""
    runs: list[tuple[date, date]] = []
    for first, last in sorted(ranges):
        if runs and first <= runs[-1][1] + timedelta(days=1):
            runs[-1] = (runs[-1][0], max(runs[-1][1], last))
        else:
            runs.append((first, last))
    return runs


def _inside(when: np.ndarray, ranges: Iterable[tuple[date, date]]) -> np.ndarray:
    mask = np.zeros(len(when), bool)
    for first, last in ranges:
        mask |= (when >= first) & (when <= last)
    return mask


def trends(session: Session, unit: str, period: Period, zone: ZoneInfo, now: datetime,
           count: int = PERIODS) -> pd.DataFrame:
    """One row per period (oldest first): label, then each key's value and `<key>_ly`, its
    value the same period a year before."""
    scope = scope_for(unit)
    shown = [period.shifted(i - count + 1) for i in range(count)]
    before = [p.year_before() for p in shown]
    plans = {p: pieces(p.first, p.last) for p in {*shown, *before}}
    place = lambda code: in_scope(code, scope)  # noqa: E731

    def summed(table, day, code, ranges: list[tuple[date, date]]) -> pd.DataFrame:
        """`table`'s sums per `day` (a day, or a month's first day) over the ranges, in one
        statement (a city's 45-day spans need ~20 ranges of days)."""
        rows = [] if not ranges else session.execute(
            select(day, *(func.sum(getattr(table, m)) for m in MEASURES))
            .where(or_(*(and_(day >= a, day <= b) for a, b in ranges)), place(code))
            .group_by(day)).all()
        frame = pd.DataFrame(rows, columns=["day", *MEASURES]).set_index("day")
        return frame.astype("int64")  # PostgreSQL's sums are numeric (Decimal)

    monthly, daily = TOWNSHIP_MONTHS.monthly, TOWNSHIP_MONTHS.daily
    month_sums = summed(monthly, monthly.month, monthly.township_code, _runs(
        r for months, _, _ in plans.values() for r in months))
    day_sums = summed(daily, daily.day, daily.township_code, _runs(
        r for _, added, taken in plans.values() for r in (*added, *taken)))
    first = min(p.first for p in before)
    live = open_overdue_by_day(session, scope, first, period.last, zone, now)

    # Periods summed from arrays (a DataFrame filter and sum per period was ~1 ms).
    def arrays(frame: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, np.ndarray]:
        return (np.array(frame.index, dtype=object),
                frame.reindex(columns=columns, fill_value=0).to_numpy(dtype="float64"))

    months_at, months_of = arrays(month_sums, list(MEASURES))
    days_at, days_of = arrays(day_sums, list(MEASURES))
    live_at, live_of = arrays(live, list(live.columns))

    def values(p: Period) -> dict[str, float | None]:
        months, added, taken = plans[p]
        sums = (months_of[_inside(months_at, months)].sum(axis=0)
                + days_of[_inside(days_at, added)].sum(axis=0)
                - days_of[_inside(days_at, taken)].sum(axis=0))
        found = dict(zip(MEASURES, sums.tolist(), strict=True))
        found.update(zip(live.columns, live_of[_inside(live_at, [(p.first, p.last)])]
                         .sum(axis=0).tolist(), strict=True))
        return {k: value_of(k, found) for k in KEYS}

    out = []
    for p, ly in zip(shown, before, strict=True):
        out.append({"period": p.label, **values(p),
                    **{f"{k}_ly": x for k, x in values(ly).items()}})
    return pd.DataFrame(out)
