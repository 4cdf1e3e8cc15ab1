"""The deadline clock (时限): working time, deadlines and the wall's warning states.

No database (numpy and pandas for the vectorised clock, `working_us_before`). Every
function takes timezone-aware datetimes in any zone and returns UTC-aware ones; days and
working hours are counted in the local `zone` (Asia/Shanghai by default).

Working days
    `WorkCalendar.is_workday` asks `chinese_calendar` (public holidays and make-up workdays,
    调休), after an override table. For a year the library does not know (it raises
    NotImplementedError, e.g. for 2027 in chinesecalendar 1.11) and the table does not cover,
    it falls back to Monday–Friday: weekends off, no public holidays. That is wrong around
    festivals, so operators must fill the table (`holidays_YYYY.json`, loaded by
    `WorkCalendar.bundled()` or `WorkCalendar.from_file`) as soon as the State Council
    publishes the year's schedule, usually in November of the year before. The shipped
    `holidays_2027.json` is empty on purpose: its dates were not published when it was written,
    and a guessed holiday is worse than a visible fallback (`has_official_schedule`).

Working hours
    09:00–12:00 and 13:30–17:30 local, 7 hours per working day (configurable per calendar).

Conventions
    - N working days: the deadline is the end (17:30) of the N-th working day *after* the day
      of the start. The start day never counts, whatever the hour — the usual rule for periods
      (民法典 art. 201: 开始的当日不计入, 自下一日开始计算). A case reported at 10:00 on a
      Friday with 1 working day is due Monday 17:30; one reported on a holiday starts counting
      on the next working day, which is its day 1.
    - N working hours: only time inside working hours on working days counts; a start outside
      them waits for the next window. A deadline that lands exactly on a window's end stays
      there (12:00, not 13:30).
    - Minutes: calendar minutes, nights and holidays included — the 数字化城管 register and
      dispatch limits (10 min urgent, 30 min normal) run around the clock.
    - Working-hour arithmetic is done on local wall-clock time; Chinese zones have no DST.
    - The clock counts dates from 2000 to 2099 and raises ValueError outside: such a date is
      a data error, and the bound keeps the per-calendar running sum of workdays small.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from os import PathLike
from zoneinfo import ZoneInfo

import chinese_calendar
import numpy as np
import pandas as pd

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_WINDOWS: tuple[tuple[time, time], ...] = (
    (time(9, 0), time(12, 0)),
    (time(13, 30), time(17, 30)),
)

_US_PER_DAY = 86_400_000_000
# The range the clock counts in; a date outside it is a data error, not a deadline.
_FIRST_DAY = date(2000, 1, 1).toordinal()
_LAST_DAY = date(2099, 12, 31).toordinal()
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# The years chinese_calendar knows (2004–2026 in 1.11); it raises NotImplementedError outside.
_LIBRARY_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)
_ONE_US = timedelta(microseconds=1)


def _us_of_day(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


def _parse_dates(values: Iterable[str], what: str) -> frozenset[date]:
    try:
        return frozenset(date.fromisoformat(v) for v in values)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what}: expected a list of YYYY-MM-DD dates ({exc})") from exc


class WorkCalendar:
    """Which days are working days, and which hours of them are working hours.

    Precedence: `extra_workdays`, then `extra_holidays`, then chinese_calendar, then (for
    years the library lacks) Monday–Friday. The table wins even for years the library knows,
    so a late correction or a local adjustment needs no library upgrade.
    """

    def __init__(
        self,
        extra_holidays: Iterable[date] = frozenset(),
        extra_workdays: Iterable[date] = frozenset(),
        windows: tuple[tuple[time, time], ...] = DEFAULT_WINDOWS,
    ) -> None:
        self.extra_holidays = frozenset(extra_holidays)
        self.extra_workdays = frozenset(extra_workdays)
        clash = self.extra_holidays & self.extra_workdays
        if clash:
            raise ValueError(f"dates both holiday and workday: {sorted(clash)}")
        self.windows = windows
        self._windows_us = tuple((_us_of_day(s), _us_of_day(e)) for s, e in windows)
        bounds = [t for window in self._windows_us for t in window]
        if not bounds or any(x >= y for x, y in zip(bounds, bounds[1:], strict=False)):
            raise ValueError("working windows must be non-empty, ordered and non-overlapping")
        self._day_us = sum(e - s for s, e in self._windows_us)
        self._override_years = {d.year for d in self.extra_holidays | self.extra_workdays}
        # Running sum of working days by day ordinal, extended on demand: every refresh asks
        # about the same few hundred days for thousands of open cases, so after the first
        # call "is this a workday" and "how many workdays between" are two list lookups.
        self._before: list[int] = [0]  # _before[i] = working days in [2000-01-01, + i days)
        self._lock = threading.Lock()  # gunicorn threads share a calendar
        self._before_array: np.ndarray | None = None  # _before for working_us_before

    @classmethod
    def from_file(cls, path: str | PathLike[str]) -> WorkCalendar:
        """Load {"holidays": ["2027-01-01", ...], "workdays": ["2027-02-07", ...]}.

        Keys starting with "_" are comments and ignored.
        """
        with open(path, encoding="utf-8") as handle:
            holidays, workdays = cls._read_table(json.load(handle), str(path))
        return cls(holidays, workdays)

    @classmethod
    def bundled(cls) -> WorkCalendar:
        """The calendar with every `data_access/holidays_*.json` table shipped with the code."""
        holidays: set[date] = set()
        workdays: set[date] = set()
        for entry in resources.files("data_access").iterdir():
            if entry.name.startswith("holidays_") and entry.name.endswith(".json"):
                extra = cls._read_table(json.loads(entry.read_text("utf-8")), entry.name)
                holidays |= extra[0]
                workdays |= extra[1]
        return cls(holidays, workdays)

    @staticmethod
    def _read_table(raw: object, where: str) -> tuple[frozenset[date], frozenset[date]]:
        if not isinstance(raw, dict):
            raise ValueError(f"{where}: expected a JSON object")
        unknown = {k for k in raw if not k.startswith("_")} - {"holidays", "workdays"}
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
        return (
            _parse_dates(raw.get("holidays", []), f"{where} holidays"),
            _parse_dates(raw.get("workdays", []), f"{where} workdays"),
        )

    @property
    def day_length(self) -> timedelta:
        """Working time in one working day (7 hours by default)."""
        return timedelta(microseconds=self._day_us)

    def has_official_schedule(self, year: int) -> bool:
        """False when `year` runs on the Monday–Friday fallback (worth a warning on /ops)."""
        return year in self._override_years or year in _LIBRARY_YEARS

    def is_workday(self, day: date) -> bool:
        """Whether `day` is a working day (make-up Saturdays and Sundays included)."""
        return self._is_workday_ord(day.toordinal())

    def _lookup(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        if day.year in _LIBRARY_YEARS:
            # chinese_calendar.is_workday's own rule, on its public tables: the function
            # itself rescans the whole table on every call to check the year (~100 µs).
            return day in chinese_calendar.workdays or (
                day.weekday() < 5 and day not in chinese_calendar.holidays
            )
        return day.weekday() < 5

    def _workdays_before(self, ordinal: int) -> int:
        """Working days in [2000-01-01, ordinal)."""
        index = ordinal - _FIRST_DAY
        if not 0 <= index < len(self._before):
            self._extend(index)
        return self._before[index]

    def _extend(self, index: int) -> None:
        if not 0 <= index <= _LAST_DAY - _FIRST_DAY + 1:
            raise ValueError("the clock counts dates from 2000-01-01 to 2099-12-31 only")
        with self._lock:  # the list only grows, so readers without the lock are safe
            before = self._before
            while len(before) <= index:
                day = date.fromordinal(_FIRST_DAY + len(before) - 1)
                before.append(before[-1] + self._lookup(day))

    def _running_sum(self, index: int) -> np.ndarray:
        """`_before` up to `index` at least, as a numpy array (kept until it grows)."""
        self._workdays_before(_FIRST_DAY + index)
        copy = self._before_array
        if copy is None or len(copy) <= index:
            copy = self._before_array = np.asarray(self._before, dtype=np.int64)
        return copy

    def _is_workday_ord(self, ordinal: int) -> bool:
        return self._workdays_before(ordinal + 1) > self._workdays_before(ordinal)

    def workdays_between(self, first: date, stop: date) -> int:
        """Working days in [first, stop)."""
        return self._workdays_between_ord(first.toordinal(), stop.toordinal())

    def _workdays_between_ord(self, first: int, stop: int) -> int:
        if stop <= first:
            return 0
        return self._workdays_before(stop) - self._workdays_before(first)

    def _nth_workday_after(self, ordinal: int, n: int) -> int:
        """The n-th working day strictly after `ordinal` (n >= 1)."""
        found = 0
        while found < n:
            ordinal += 1
            found += self._is_workday_ord(ordinal)
        return ordinal

    def _overlap_us(self, ordinal: int, lo_us: int, hi_us: int) -> int:
        """Working microseconds of a day between two times of that day."""
        if not self._is_workday_ord(ordinal):
            return 0
        total = 0
        for s, e in self._windows_us:
            if hi_us > s and lo_us < e:
                total += min(hi_us, e) - max(lo_us, s)
        return total

    def _add_hours_us(self, ordinal: int, at_us: int, amount_us: int) -> tuple[int, int]:
        """Walk `amount_us` of working time forward from (day, time); returns (day, time)."""
        while True:
            if self._is_workday_ord(ordinal):
                for s, e in self._windows_us:
                    begin = max(at_us, s)
                    if begin >= e:
                        continue
                    if amount_us <= e - begin:
                        return ordinal, begin + amount_us
                    amount_us -= e - begin
            ordinal += 1
            at_us = 0

    @property
    def _closing_us(self) -> int:
        return self._windows_us[-1][1]


DEFAULT_CALENDAR = WorkCalendar()


@dataclass(frozen=True, slots=True)
class TimeLimit:
    """A time limit: exactly one of working days, working hours or calendar minutes."""

    working_days: int | None = None
    working_hours: float | None = None
    minutes: float | None = None

    def __post_init__(self) -> None:
        given = [v for v in (self.working_days, self.working_hours, self.minutes) if v is not None]
        if len(given) != 1 or given[0] <= 0:
            raise ValueError("a TimeLimit needs exactly one positive amount")

    @property
    def calendar_time(self) -> bool:
        """True when the limit runs on calendar time (minutes), not working time."""
        return self.minutes is not None

    def span(self, cal: WorkCalendar = DEFAULT_CALENDAR) -> timedelta:
        """The limit's nominal length: working time, or calendar time for minute limits.

        For a working-day limit the exact time a case was given also includes what was left
        of its start day (`working_time_between(start, deadline)`); the nominal length is the
        steadier basis for the warning thresholds, since it does not depend on the hour of
        the report.
        """
        if self.working_days is not None:
            return self.working_days * cal.day_length
        if self.working_hours is not None:
            return timedelta(hours=self.working_hours)
        return timedelta(minutes=self.minutes or 0)


def _local(moment: datetime, zone: ZoneInfo) -> tuple[int, int]:
    """(day ordinal, microsecond of the day) of an aware instant on the local wall clock."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: pass a timezone-aware datetime")
    wall = moment.astimezone(zone)
    return wall.toordinal(), _us_of_day(wall.time())


def _utc(ordinal: int, at_us: int, zone: ZoneInfo) -> datetime:
    wall = datetime.fromordinal(ordinal) + timedelta(microseconds=at_us)
    return wall.replace(tzinfo=zone).astimezone(UTC)


def add_working_time(
    start: datetime,
    limit: TimeLimit,
    cal: WorkCalendar = DEFAULT_CALENDAR,
    zone: ZoneInfo = SHANGHAI,
) -> datetime:
    """The deadline of `limit` counted from `start` (conventions in the module docstring)."""
    day, at_us = _local(start, zone)
    if limit.minutes is not None:
        return start.astimezone(UTC) + timedelta(minutes=limit.minutes)
    if limit.working_days is not None:
        return _utc(cal._nth_workday_after(day, limit.working_days), cal._closing_us, zone)
    amount_us = timedelta(hours=limit.working_hours or 0) // _ONE_US
    return _utc(*cal._add_hours_us(day, at_us, amount_us), zone)


def working_time_between(
    a: datetime,
    b: datetime,
    cal: WorkCalendar = DEFAULT_CALENDAR,
    zone: ZoneInfo = SHANGHAI,
) -> timedelta:
    """Working time from `a` to `b`; negative when `b` is before `a`."""
    (da, ta), (db, tb) = _local(a, zone), _local(b, zone)
    if (db, tb) < (da, ta):
        return -working_time_between(b, a, cal, zone)
    if da == db:
        return cal._overlap_us(da, ta, tb) * _ONE_US
    ends = cal._overlap_us(da, ta, _US_PER_DAY) + cal._overlap_us(db, 0, tb)
    return (ends + cal._workdays_between_ord(da + 1, db) * cal._day_us) * _ONE_US


def working_us_before(instants: Iterable[datetime] | np.ndarray,
                      cal: WorkCalendar = DEFAULT_CALENDAR,
                      zone: ZoneInfo = SHANGHAI) -> np.ndarray:
    """Working microseconds from 2000-01-01 00:00 local to each instant (aware datetimes,
    or datetime64 in UTC), as int64: `working_time_between(a, b)` is the difference of two
    of these. Vectorised — a city's briefing and alert board put tens of thousands of open
    cases on the clock, one Python call each cost seconds. The working days come from the
    calendar's running sum, the part of a day from its windows."""
    stamps = pd.DatetimeIndex(pd.to_datetime(instants, utc=True)).tz_convert(zone)
    local = stamps.tz_localize(None).as_unit("us").asi8
    days = local // _US_PER_DAY  # days since 1970-01-01
    us_of_day = local - days * _US_PER_DAY
    index = days + (_EPOCH_ORDINAL - _FIRST_DAY)
    if len(index) and (index.min() < 0 or index.max() > _LAST_DAY - _FIRST_DAY):
        raise ValueError("the clock counts dates from 2000-01-01 to 2099-12-31 only")
    before = cal._running_sum(int(index.max()) + 1 if len(index) else 0)
    workday = before[index + 1] - before[index]
    in_day = np.zeros(len(index), np.int64)
    for start, end in cal._windows_us:
        in_day += np.clip(us_of_day, start, end) - start
    return before[index] * cal._day_us + workday * in_day


def time_left(
    now: datetime,
    deadline: datetime,
    cal: WorkCalendar = DEFAULT_CALENDAR,
    zone: ZoneInfo = SHANGHAI,
    *,
    calendar_time: bool = False,
) -> timedelta:
    """Time left before `deadline`, negative once overdue.

    Working time by default; `calendar_time=True` for minute limits, which run around the clock.
    In working time it stays 0 from a 17:30 deadline until the next working morning: the case
    is overdue (see `deadline_state`) but no working time has been lost yet.
    """
    if calendar_time:
        return deadline - now
    return working_time_between(now, deadline, cal, zone)


def deadline_state(
    now: datetime,
    deadline: datetime,
    limit_span: timedelta,
    approaching_fraction: float = 0.2,
    long_overdue_after: timedelta = timedelta(hours=35),
    *,
    approaching_floor: timedelta = timedelta(hours=4),
    cal: WorkCalendar = DEFAULT_CALENDAR,
    zone: ZoneInfo = SHANGHAI,
    calendar_time: bool = False,
) -> str:
    """The wall's warning state: "normal", "approaching", "overdue" or "long_overdue".

    `limit_span` is the time the case was given (`TimeLimit.span()`), measured like the
    time left: working time, or calendar time when `calendar_time`. With L = limit_span and
    `left` = time_left(now, deadline):

    - overdue 超期 as soon as now > deadline (instants, not working time: a case due 17:30 is
      red that evening); at the deadline instant itself the case is still in time.
    - long_overdue 严重超期 when overdue by more than min(L, long_overdue_after), the overrun
      measured like L: overdue by the whole limit again, or by 5 working days (35 working
      hours), whichever comes first.
    - approaching 临期 when left < max(approaching_fraction × L, min(approaching_floor,
      L / 2)): under 20 % of the limit left, or under 4 working hours, whichever is larger.
      The 4-hour floor is capped at half the limit, or an urgent 2- or 4-hour case (or a
      30-minute dispatch) would be yellow from the moment it opened.
    - normal otherwise.
    """
    left = time_left(now, deadline, cal, zone, calendar_time=calendar_time)
    if now > deadline:
        return "long_overdue" if -left > min(limit_span, long_overdue_after) else "overdue"
    threshold = max(limit_span * approaching_fraction, min(approaching_floor, limit_span / 2))
    return "approaching" if left < threshold else "normal"


def deadline_states(
    now: datetime,
    deadlines: Iterable[datetime] | np.ndarray,
    limit_spans: Iterable[timedelta] | np.ndarray,
    calendar_time: Iterable[bool] | np.ndarray,
    approaching_fraction: float = 0.2,
    long_overdue_after: timedelta = timedelta(hours=35),
    *,
    approaching_floor: timedelta = timedelta(hours=4),
    cal: WorkCalendar = DEFAULT_CALENDAR,
    zone: ZoneInfo = SHANGHAI,
) -> np.ndarray:
    """`deadline_state` of many cases at once (an array of its four names): the same rules
    and the same rounding (timedelta's half-even microseconds), the working time left from
    `working_us_before`. A city's alert board puts ~10^4 open cases on the clock every few
    seconds; one call each held the refresher's GIL for most of its time."""
    due = pd.DatetimeIndex(pd.to_datetime(list(deadlines) if not isinstance(
        deadlines, np.ndarray) else deadlines, utc=True)).as_unit("us")
    spans = pd.to_timedelta(np.asarray(list(limit_spans) if not isinstance(
        limit_spans, np.ndarray) else limit_spans)).as_unit("us").asi8
    calendar = np.asarray(list(calendar_time) if not isinstance(
        calendar_time, np.ndarray) else calendar_time, dtype=bool)
    now_us = pd.Timestamp(now).tz_convert(UTC).value // 1000  # .value: nanoseconds
    due_us = due.asi8
    left = due_us - now_us
    if (~calendar).any():
        working = working_us_before(due[~calendar], cal, zone) - \
            working_us_before([now], cal, zone)[0]
        left[~calendar] = working
    one = _ONE_US
    long_after = np.minimum(spans, long_overdue_after // one)
    threshold = np.maximum(np.round(spans * approaching_fraction).astype(np.int64),
                           np.minimum(approaching_floor // one,
                                      np.round(spans / 2).astype(np.int64)))
    overdue = now_us > due_us
    return np.where(overdue, np.where(-left > long_after, "long_overdue", "overdue"),
                    np.where(left < threshold, "approaching", "normal"))


# --- Time-limit configuration ---------------------------------------------------------------

# (major_class, subclass, priority, source); "*" matches anything. A mapping rather than code,
# so a center can override any line from a JSON file without a release.
LimitKey = tuple[str, str, str, str]
ANY = "*"
FALLBACK_LIMIT = TimeLimit(working_days=5)  # Shandong 12345: close within 5 working days


def _key(major: str, subclass: str = ANY, priority: str = ANY, source: str = ANY) -> LimitKey:
    return (major, subclass, priority, source)


# Defaults from DOMAIN.md "Time limits". The subclass codes (hotline request kinds and
# illegal building) are this module's proposal until the subclass vocabulary is settled.
DEFAULT_LIMITS: Mapping[LimitKey, TimeLimit] = {
    _key("urban"): TimeLimit(working_days=1),  # 数字化城管 simple fixes
    _key("urban", priority="urgent"): TimeLimit(working_hours=4),
    _key("urban", "illegal_building"): TimeLimit(working_days=15),
    _key("environment"): TimeLimit(working_days=3),
    _key("safety"): TimeLimit(working_days=2),
    _key("safety", priority="urgent"): TimeLimit(working_hours=4),
    _key("order"): TimeLimit(working_days=1),
    _key("order", priority="urgent"): TimeLimit(working_hours=2),
    _key("dispute"): TimeLimit(working_days=15),
    _key("dispute", priority="urgent"): TimeLimit(working_days=5),
    _key("service", "consultation"): TimeLimit(working_days=2),  # 12345 (Guangdong)
    _key("service", "help"): TimeLimit(working_days=10),
    _key("service", "suggestion"): TimeLimit(working_days=10),
    _key("service", "complaint"): TimeLimit(working_days=15),
    _key("service", "report"): TimeLimit(working_days=15),
}

# 数字化城管 register + dispatch, on calendar minutes, by priority.
DISPATCH_LIMITS: Mapping[str, TimeLimit] = {
    "urgent": TimeLimit(minutes=10),
    "normal": TimeLimit(minutes=30),
}


def _candidates(major: str, subclass: str, priority: str, source: str) -> list[LimitKey]:
    """Most specific first: an exact subclass beats a source, which beats a priority."""
    return [
        (major, sub, pri, src)
        for sub in (subclass, ANY)
        for src in (source, ANY)
        for pri in (priority, ANY)
    ]


def limit_for(
    major_class: str,
    subclass: str,
    priority: str,
    source: str,
    overrides: Mapping[LimitKey, TimeLimit] | None = None,
) -> TimeLimit:
    """The time limit of a case; FALLBACK_LIMIT (5 working days) when nothing matches.

    Keys are tried from the most specific to the least; at each key an override wins over a
    default, so overriding ("urban", "*", "*", "*") leaves the urgent urban default in place.
    """
    extra = overrides or {}
    for key in _candidates(major_class, subclass, priority, source):
        found = extra.get(key) or DEFAULT_LIMITS.get(key)
        if found is not None:
            return found
    return FALLBACK_LIMIT


def load_limits(path: str | PathLike[str]) -> dict[LimitKey, TimeLimit]:
    """Overrides for `limit_for` from JSON.

    {"limits": [{"major_class": "urban", "priority": "urgent", "working_hours": 3}, ...]};
    subclass, priority and source default to "*"; give exactly one of working_days,
    working_hours or minutes.
    """
    with open(path, encoding="utf-8") as handle:
        raw = json.load(handle)
    table: dict[LimitKey, TimeLimit] = {}
    for row in raw.get("limits", []):
        key = _key(
            row["major_class"],
            row.get("subclass", ANY),
            row.get("priority", ANY),
            row.get("source", ANY),
        )
        table[key] = TimeLimit(
            working_days=row.get("working_days"),
            working_hours=row.get("working_hours"),
            minutes=row.get("minutes"),
        )
    return table
