"""The period indicators of a unit, with 环比 and 同比, summed from township_daily.

Every figure is an indicator of data_access/indicators.py (its name and formula come from
there); what each case adds is `indicators.case_measures`, summed per day × township by the
rollup, so a figure here is the same count as the indicator's SQL over the case table. One
part is live: cases due in the period and still open past their deadline now (overdue cases
and overdue days), read from the open cases only.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from data_access import indicators as ind
from data_access import sla
from data_access.models import Case
from data_access.reports.periods import Period
from data_access.reports.rollup import GRID_MONTHS, MEASURES, TOWNSHIP_MONTHS, built_days, over
from data_access.timeutil import as_utc
from data_access.wall_scope import Scope, scope_for

# The briefing's indicators, in the order a bulletin lists them.
KEYS = ("reported", "registered", "closed", "closure_rate", "on_time_rate", "satisfaction",
        "rework_rate", "ack_in_time_rate", "resolved_at_or_below_township", "overdue_in_period",
        "overdue_days", "handling_hours", "supervisions")
RATES = frozenset({"closure_rate", "on_time_rate", "satisfaction", "rework_rate",
                   "ack_in_time_rate", "resolved_at_or_below_township"})
# +1: higher is better, −1: lower is better, 0: a volume, neither.
DIRECTION = {"reported": 0, "registered": 0, "closed": 0, "closure_rate": 1,
             "on_time_rate": 1, "satisfaction": 1, "rework_rate": -1, "ack_in_time_rate": 1,
             "resolved_at_or_below_township": 1, "overdue_in_period": -1, "overdue_days": -1,
             "handling_hours": -1, "supervisions": -1}
# Each key's (numerator, denominator) among the rollup's measures; a count has no
# denominator. Overdue cases and days add the live open part (`_open_overdue`).
FORMULA = {"reported": ("reported", None), "registered": ("registered", None),
           "closed": ("closed", None), "closure_rate": ("closed_of_reported", "accepted"),
           "on_time_rate": ("on_time", "due"), "satisfaction": ("satisfied", "answered"),
           "rework_rate": ("rework", "closed_of_reported"),
           "ack_in_time_rate": ("ack_in_time", "dispatched"),
           "resolved_at_or_below_township": ("resolved_low", "resolved"),
           "overdue_in_period": ("late_closed", None), "overdue_days": ("late_minutes", None),
           "handling_hours": ("handling_minutes", "closed"),
           "supervisions": ("supervisions", None)}
WORKDAY_MINUTES = sla.DEFAULT_CALENDAR.day_length // timedelta(minutes=1)
LIVE = ("open_overdue", "open_overdue_minutes")


def value_of(key: str, sums: Mapping[str, float]) -> float | None:
    """Indicator `key` from a unit's period sums (rollup measures plus LIVE)."""
    part, whole = FORMULA[key]
    n = sums.get(part, 0)
    if key == "overdue_in_period":
        return float(n + sums.get("open_overdue", 0))
    if key == "overdue_days":
        return (n + sums.get("open_overdue_minutes", 0)) / WORKDAY_MINUTES
    if whole is None:
        return float(n)
    d = sums.get(whole, 0)
    if not d:
        return None
    return n / d / 60 if key == "handling_hours" else n / d


@dataclass(frozen=True)
class Figure:
    key: str
    value: float | None
    previous: float | None  # 环比 base
    year_before: float | None  # 同比 base
    name_zh: str = ""
    name_en: str = ""
    formula_zh: str = ""
    formula_en: str = ""

    def change(self, base: float | None) -> float | None:
        """For a rate, the change in percentage points ÷ 100; for a count, relative."""
        if self.value is None or base is None:
            return None
        if self.key in RATES:
            return self.value - base
        return None if base == 0 else (self.value - base) / base

    @property
    def mom(self) -> float | None:
        return self.change(self.previous)

    @property
    def yoy(self) -> float | None:
        return self.change(self.year_before)


@dataclass(frozen=True)
class PeriodFigures:
    unit: str
    period: Period
    figures: tuple[Figure, ...]
    unbuilt_days: int = 0  # days of the three periods the rollup has not built
    as_of: datetime = field(default_factory=lambda: datetime.now(UTC))

    def by_key(self) -> dict[str, Figure]:
        return {f.key: f for f in self.figures}

    def as_dict(self) -> dict:
        """Plain values for builders and JSON: each figure with its bases, changes, whether
        it is a rate and which way is better."""
        return {"unit": self.unit, "period": self.period.label, "kind": self.period.kind,
                "first": self.period.first.isoformat(), "last": self.period.last.isoformat(),
                "previous": self.period.previous().label,
                "year_before": self.period.year_before().label,
                "unbuilt_days": self.unbuilt_days, "as_of": self.as_of.isoformat(),
                "figures": [{"key": f.key, "name_zh": f.name_zh, "name_en": f.name_en,
                             "formula_zh": f.formula_zh, "formula_en": f.formula_en,
                             "value": f.value, "previous": f.previous,
                             "year_before": f.year_before, "mom": f.mom, "yoy": f.yoy,
                             "rate": f.key in RATES, "direction": DIRECTION[f.key]}
                            for f in self.figures]}


def bounds(period: Period, zone: ZoneInfo) -> ind.Window:
    start = datetime.combine(period.first, time(), zone).astimezone(UTC)
    end = datetime.combine(period.last + timedelta(days=1), time(), zone).astimezone(UTC)
    return ind.Window(start, end)


def in_scope(column: ColumnElement, scope: Scope) -> ColumnElement[bool]:
    """Township codes inside the scope, said as grids_in says them (a range over the common
    prefix that the rollups' primary keys, after the day or month, serve)."""
    if scope.township:
        return column == scope.township
    return grids_in(column, scope)


def grids_in(column: ColumnElement, scope: Scope) -> ColumnElement[bool]:
    """Grid (or village) codes inside the scope, said so that an index on the code (after
    the day) can use it: a range over the codes' common prefix (a township's 9 digits, a
    county's 6, a city's 4), with the counties' exact test kept for views whose counties do
    not fill their prefix. `substr(code) = …` alone read every row of the period."""
    prefix = scope.township or os.path.commonprefix(list(scope.counties))
    ranged = and_(column >= prefix, column < prefix + "~")  # "~" sorts after every digit
    if scope.township or len(scope.counties) == 1:
        return ranged
    return and_(ranged, func.substr(column, 1, 6).in_(scope.counties))


def child_of(township: str, level: str) -> str:
    """The unit one level below `level` that a township lies in."""
    return {"province": township[:4] + "00", "city": township[:6]}.get(level, township)


_SUMS = "govwall.briefing_township_sums"


def remember_sums(session: Session, on: bool) -> None:
    """While on, `sums_by_township` answers a span it has read in this session again from
    memory (a briefing asks its period and the previous one for the figures and again for
    the rankings). `collect` turns it on for its own reads and off after."""
    if on:
        session.info[_SUMS] = {}
    else:
        session.info.pop(_SUMS, None)


def sums_by_township(session: Session, scope: Scope, first: date, last: date) -> pd.DataFrame:
    """The rollup's measures over first..last, one row per township in scope: whole months
    from township_monthly, edge days from township_daily."""
    memo = session.info.get(_SUMS)
    if memo is not None and (scope.unit, first, last) in memo:
        return memo[(scope.unit, first, last)]
    rows = over(TOWNSHIP_MONTHS, first, last, lambda code: in_scope(code, scope))
    found = session.execute(
        select(rows.c.township_code, *(func.sum(rows.c[m]).label(m) for m in MEASURES))
        .group_by(rows.c.township_code)).all()
    # One int64 block (PostgreSQL's sums of bigint are Decimal): a column-by-column astype
    # was most of this function's Python.
    frame = pd.DataFrame(np.array([row[1:] for row in found], dtype=np.int64).reshape(
        len(found), len(MEASURES)), columns=list(MEASURES),
        index=pd.Index([row[0] for row in found], name="township_code", dtype=object))
    if memo is not None:
        memo[(scope.unit, first, last)] = frame
    return frame


_OPEN_OVERDUE = "govwall.briefing_open_overdue"


def open_overdue(session: Session, scope: Scope, first: date, last: date, zone: ZoneInfo,
                 now: datetime, cal: sla.WorkCalendar = sla.DEFAULT_CALENDAR) -> pd.DataFrame:
    """Cases due in first..last and open past their deadline now, one row each: township,
    grid, local day due, and working minutes past the deadline. The open cases only (index
    ix_cases_county_due), never the history.

    A briefing asks this for many spans (three periods, two rankings, the trends); after
    `prime_open_overdue` the session answers each from one read of the widest span (the
    working-time clock per case is most of the cost)."""
    primed = session.info.get(_OPEN_OVERDUE)
    if primed is not None and primed[0] == (scope.unit, ind.minute_of(now)) and \
            primed[1] <= first and last <= primed[2]:
        frame = primed[3]
        return frame[(frame["day"] >= first) & (frame["day"] <= last)]
    return _read_open_overdue(session, scope, first, last, zone, now, cal)


def prime_open_overdue(session: Session, scope: Scope, first: date, last: date,
                       zone: ZoneInfo, now: datetime) -> None:
    """Read the open overdue cases due in first..last once for this session's later asks."""
    frame = _read_open_overdue(session, scope, first, last, zone, now, sla.DEFAULT_CALENDAR)
    session.info[_OPEN_OVERDUE] = ((scope.unit, ind.minute_of(now)), first, last, frame)


def primed(session: Session) -> dict:
    """What `prime_open_overdue` left in this session, for another session of the same
    request to start with (session.info entries)."""
    return {k: session.info[k] for k in (_OPEN_OVERDUE,) if k in session.info}


def _read_open_overdue(session: Session, scope: Scope, first: date, last: date,
                       zone: ZoneInfo, now: datetime, cal: sla.WorkCalendar) -> pd.DataFrame:
    start = datetime.combine(first, time(), zone).astimezone(UTC)
    now = ind.minute_of(now)
    end = min(datetime.combine(last + timedelta(days=1), time(), zone).astimezone(UTC), now)
    rows = [] if end <= start else session.execute(
        select(Case.township_code, Case.grid_code, ind.DUE).where(
            ind.OPEN, Case.stage.in_(ind.ACCEPTED_STAGES), ind.DUE >= start, ind.DUE < end,
            Case.county_code.in_(scope.counties),
            *([Case.township_code == scope.township] if scope.township else []))).all()
    frame = pd.DataFrame(rows, columns=["township_code", "grid_code", "due"])
    due = pd.to_datetime(frame.pop("due"), utc=True)
    frame["day"] = due.dt.tz_convert(zone).dt.date
    frame[LIVE[0]] = 1
    # On the working-time clock together (a city's open overdue cases: ~10^4 of them).
    frame[LIVE[1]] = (sla.working_us_before([now], cal, zone)[0]
                      - sla.working_us_before(due, cal, zone)) // 60_000_000
    return frame


def open_overdue_by_township(session: Session, scope: Scope, period: Period, zone: ZoneInfo,
                             now: datetime) -> pd.DataFrame:
    frame = open_overdue(session, scope, period.first, period.last, zone, now)
    return frame.drop(columns=["day", "grid_code"]).groupby("township_code").sum()


def open_overdue_by_day(session: Session, scope: Scope, first: date, last: date,
                        zone: ZoneInfo, now: datetime) -> pd.DataFrame:
    frame = open_overdue(session, scope, first, last, zone, now)
    return frame.drop(columns=["township_code", "grid_code"]).groupby("day").sum()


def sums_by_grid(session: Session, scope: Scope, period: Period, zone: ZoneInfo,
                 now: datetime) -> pd.DataFrame:
    """Rollup and live sums over `period`, one row per grid of the scope's township that
    has any: whole months from grid_monthly, edge days from grid_daily."""
    rows = over(GRID_MONTHS, period.first, period.last, lambda code: grids_in(code, scope))
    found = session.execute(
        select(rows.c.grid_code, *(func.sum(rows.c[m]).label(m) for m in MEASURES))
        .group_by(rows.c.grid_code)).all()
    frame = pd.DataFrame(found, columns=["grid_code", *MEASURES]).set_index("grid_code")
    frame = frame.astype("int64")  # PostgreSQL's sums are numeric (Decimal)
    live = open_overdue(session, scope, period.first, period.last, zone, now)
    live = live.drop(columns=["day", "township_code"]).groupby("grid_code").sum()
    return frame.join(live, how="outer").fillna(0)


def sums_by_unit(session: Session, scope: Scope, period: Period, zone: ZoneInfo,
                 now: datetime, level: str | None = None) -> pd.DataFrame:
    """Rollup and live sums over `period`, one row per unit: the scope's own unit (level
    None) or its units one level down (level = the scope's level; a township's: its grids,
    from grid_daily)."""
    if level == "township":
        return sums_by_grid(session, scope, period, zone, now)
    frame = sums_by_township(session, scope, period.first, period.last).join(
        open_overdue_by_township(session, scope, period, zone, now), how="outer").fillna(0)
    key = frame.index.map(lambda t: child_of(t, level)) if level else \
        pd.Index([scope.unit] * len(frame))
    out = frame.groupby(key).sum()
    if level is None and out.empty:
        out = pd.DataFrame([{c: 0 for c in frame.columns}], index=[scope.unit])
    return out


def _values(sums: pd.DataFrame, unit: str) -> dict[str, float | None]:
    row = sums.loc[unit].to_dict() if unit in sums.index else {}
    return {key: value_of(key, row) for key in KEYS}


def period_figures(session: Session, unit: str, period: Period, zone: ZoneInfo,
                   now: datetime) -> PeriodFigures:
    """Every briefing indicator of `unit` over `period`, with 环比 and 同比 bases."""
    scope = scope_for(unit)
    periods = (period, period.previous(), period.year_before())
    values = [_values(sums_by_unit(session, scope, p, zone, now), unit) for p in periods]
    first, last = min(p.first for p in periods), max(p.last for p in periods)
    wanted = {p.first + timedelta(days=i) for p in periods for i in range(p.days)}
    today = as_utc(now).astimezone(zone).date()
    wanted = {d for d in wanted if d <= today}
    unbuilt = len(wanted - built_days(session, first, last))
    figures = tuple(
        Figure(key, values[0][key], values[1][key], values[2][key],
               ind.INDICATORS[key].name_zh, ind.INDICATORS[key].name_en,
               ind.INDICATORS[key].formula_zh, ind.INDICATORS[key].formula_en)
        for key in KEYS)
    return PeriodFigures(unit, period, figures, unbuilt, as_utc(now))
