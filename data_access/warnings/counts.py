"""The grouped reads the detectors use: one statement per question and run, whatever the
number of series (a city's 171 townships × 6 categories is ~1,000 series).

Local days and hours: PostgreSQL converts with the zone's rules; SQLite shifts by the zone's
offset at the window's end (Asia/Shanghai has had no daylight saving since 1991).
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Date, DateTime, Integer, cast, extract, func, literal, select
from sqlalchemy.orm import Session

from data_access.models import Case, Unit
from data_access.timeutil import as_utc, local_day_bounds

UNIT_COLUMNS = {"township": Case.township_code, "county": Case.county_code}


def _local(session: Session, zone: ZoneInfo, at: datetime):
    """(local day, local hour) SQL expressions of Case.reported_at."""
    if session.get_bind().dialect.name == "postgresql":
        local = func.timezone(zone.key, Case.reported_at)
        return cast(local, Date), cast(extract("hour", local), Integer)
    shift = f"+{int(as_utc(at).astimezone(zone).utcoffset().total_seconds())} seconds"
    return (func.date(Case.reported_at, shift),
            cast(func.strftime("%H", Case.reported_at, shift), Integer))


def daily_counts(session: Session, level: str, first: date, until: datetime,
                 zone: ZoneInfo, counties: Sequence[str] | None = None) -> pd.DataFrame:
    """Cases reported per unit (`township` or `county`) × major class × local day, from the
    start of `first` to the instant `until` (the last day partial when `until` is within
    it). Columns unit, category, day (datetime.date), n."""
    start, _ = local_day_bounds(first, zone)
    unit = UNIT_COLUMNS[level]
    day, _hour = _local(session, zone, until)
    query = (select(unit, Case.major_class, day, func.count())
             .where(Case.reported_at >= start, Case.reported_at < as_utc(until))
             .group_by(unit, Case.major_class, day))
    if counties is not None:
        query = query.where(Case.county_code.in_(list(counties)))
    frame = pd.DataFrame(session.execute(query).all(), columns=["unit", "category", "day", "n"])
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    frame["n"] = frame["n"].astype(int)
    return frame


def hour_shares(session: Session, first: date, last: date, zone: ZoneInfo) -> list[float]:
    """The share of a day's reports made by the end of each local hour (24 values rising to
    1), city-wide over first..last: what part of the day's expected count is due by then."""
    start, _ = local_day_bounds(first, zone)
    _, end = local_day_bounds(last, zone)
    _day, hour = _local(session, zone, end)
    rows = session.execute(select(hour, func.count())
                           .where(Case.reported_at >= start, Case.reported_at < end)
                           .group_by(hour)).all()
    by_hour = [0.0] * 24
    for h, n in rows:
        by_hour[int(h)] = float(n)
    total = sum(by_hour)
    if total == 0:
        return [(h + 1) / 24 for h in range(24)]
    running, shares = 0.0, []
    for n in by_hour:
        running += n
        shares.append(running / total)
    return shares


def case_ids_of(session: Session, level: str, unit: str, category: str, first: datetime,
                until: datetime, limit: int = 200) -> list[int]:
    """The cases behind one warned series' window (for the warning's evidence)."""
    column = UNIT_COLUMNS[level]
    return list(session.scalars(
        select(Case.id).where(column == unit, Case.major_class == category,
                              Case.reported_at >= first, Case.reported_at < until)
        .order_by(Case.reported_at.desc()).limit(limit)))


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _span(session: Session, until: datetime, span_hours: int):
    """SQL: whole spans of `span_hours` between a case's report and `until` (0 = the last)."""
    seconds = span_hours * 3600
    if session.get_bind().dialect.name == "postgresql":
        age = extract("epoch", literal(as_utc(until), DateTime(timezone=True)) -
                      Case.reported_at)
        return cast(func.floor(age / seconds), Integer)
    stamp = as_utc(until).strftime("%Y-%m-%d %H:%M:%S.%f")
    return cast((func.julianday(stamp) - func.julianday(Case.reported_at)) * 86400 / seconds,
                Integer)


def grid_spans(session: Session, until: datetime, spans: int,
               counties: Sequence[str] | None = None, span_hours: int = 24) -> pd.DataFrame:
    """Cases reported per grid × major class × span of `span_hours` hours, over the `spans`
    spans ending at `until` (span 0 the latest): the space-time scan's input, one grouped
    statement through the report-time index. Columns grid, category, span, n."""
    start = as_utc(until) - timedelta(hours=span_hours * spans)
    span = _span(session, until, span_hours)
    query = (select(Case.grid_code, Case.major_class, span, func.count())
             .where(Case.reported_at >= start, Case.reported_at < as_utc(until))
             .group_by(Case.grid_code, Case.major_class, span))
    if counties is not None:
        query = query.where(Case.county_code.in_(list(counties)))
    frame = pd.DataFrame(session.execute(query).all(),
                         columns=["grid", "category", "span", "n"])
    frame["span"] = frame["span"].astype(int).clip(0, spans - 1)
    frame["n"] = frame["n"].astype(int)
    return frame


def grid_centroids(session: Session, counties: Sequence[str]) -> pd.DataFrame:
    """The grids of `counties` with their centroids: code, lon, lat (grids without one are
    left out: the scan cannot place them)."""
    rows = session.execute(select(Unit.code, Unit.lon, Unit.lat)
                           .where(Unit.level == "grid", Unit.county_code.in_(list(counties)),
                                  Unit.lon.is_not(None), Unit.lat.is_not(None))
                           .order_by(Unit.code)).all()
    return pd.DataFrame(rows, columns=["code", "lon", "lat"])


def case_ids_in_grids(session: Session, grids: Sequence[str], category: str, first: datetime,
                      until: datetime, limit: int = 200) -> list[int]:
    """The cases behind one scan cluster (for the warning's evidence)."""
    return list(session.scalars(
        select(Case.id).where(Case.grid_code.in_(list(grids)), Case.major_class == category,
                              Case.reported_at >= first, Case.reported_at < until)
        .order_by(Case.reported_at.desc()).limit(limit)))
