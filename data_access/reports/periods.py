"""Report periods: a day, an ISO week, a month, a quarter, a year or a custom range of local
days, with the previous period (环比) and the same period a year before (同比).

A period is whole local days [first, last]. The previous period of a custom range is the
same number of days just before it; of a month, the month before (whatever its length).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

KINDS = ("day", "week", "month", "quarter", "year", "custom")


@dataclass(frozen=True)
class Period:
    kind: str
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def label(self) -> str:
        """2026-11, 2026-Q4, 2026-W48, 2026, 2026-11-02, or 2026-11-02..2026-11-15."""
        f = self.first
        return {"day": f.isoformat(), "week": f"{f.isocalendar()[0]}-W{f.isocalendar()[1]:02d}",
                "month": f"{f.year}-{f.month:02d}", "quarter": f"{f.year}-Q{(f.month + 2) // 3}",
                "year": str(f.year)}.get(self.kind, f"{f.isoformat()}..{self.last.isoformat()}")

    def shifted(self, steps: int) -> Period:
        """The period `steps` periods later (negative: earlier)."""
        if self.kind in ("month", "quarter", "year"):
            months = {"month": 1, "quarter": 3, "year": 12}[self.kind] * steps
            return of(self.kind, _add_months(self.first, months))
        length = {"day": 1, "week": 7}.get(self.kind, self.days)
        delta = timedelta(days=length * steps)
        return Period(self.kind, self.first + delta, self.last + delta)

    def previous(self) -> Period:
        """环比: the period just before."""
        return self.shifted(-1)

    def year_before(self) -> Period:
        """同比: the same period a year before (the same ISO week of the year before; 29
        February falls back to 28)."""
        if self.kind == "week":
            year, week, _ = self.first.isocalendar()
            week = min(week, date(year - 1, 12, 28).isocalendar()[1])
            return of("week", date.fromisocalendar(year - 1, week, 1))
        if self.kind in ("month", "quarter", "year"):
            return self.shifted({"month": -12, "quarter": -4, "year": -1}[self.kind])
        return Period(self.kind, _year_earlier(self.first), _year_earlier(self.last))


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _year_earlier(day: date) -> date:
    return day.replace(year=day.year - 1, day=28) if (day.month, day.day) == (2, 29) \
        else day.replace(year=day.year - 1)


def of(kind: str, day: date, last: date | None = None) -> Period:
    """The period of `kind` that contains `day` (custom: `day`..`last`)."""
    if kind == "day":
        return Period(kind, day, day)
    if kind == "week":
        first = day - timedelta(days=day.weekday())
        return Period(kind, first, first + timedelta(days=6))
    if kind in ("month", "quarter", "year"):
        month = {"month": day.month, "quarter": (day.month - 1) // 3 * 3 + 1, "year": 1}[kind]
        first = date(day.year, month, 1)
        return Period(kind, first, _add_months(first, {"month": 1, "quarter": 3,
                                                       "year": 12}[kind]) - timedelta(days=1))
    if kind == "custom":
        if last is None or last < day:
            raise ValueError("a custom period needs a last day on or after its first")
        return Period(kind, day, last)
    raise ValueError(f"unknown period kind {kind!r}: one of {', '.join(KINDS)}")


_PATTERNS = (
    ("custom", re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})")),
    ("day", re.compile(r"(\d{4}-\d{2}-\d{2})")),
    ("week", re.compile(r"(\d{4})-W(\d{2})")),
    ("quarter", re.compile(r"(\d{4})-Q([1-4])")),
    ("month", re.compile(r"(\d{4})-(\d{2})")),
    ("year", re.compile(r"(\d{4})")),
)


def parse(kind: str, text: str) -> Period:
    """`--period KIND --date TEXT`: a day (2026-11-05) falls in any kind's period; otherwise
    TEXT is the period's own label (2026-11, 2026-Q4, 2026-W48, 2026, or first..last)."""
    text = text.strip()
    try:
        for name, pattern in _PATTERNS:
            match = pattern.fullmatch(text)
            if match is None:
                continue
            if name == "custom":
                return of("custom", date.fromisoformat(match[1]), date.fromisoformat(match[2]))
            if name == "day":
                day = date.fromisoformat(match[1])
                return of(kind, day, day) if kind == "custom" else of(kind, day)
            if name != kind:
                break
            year = int(match[1])
            if name == "week":
                return of("week", date.fromisocalendar(year, int(match[2]), 1))
            if name == "quarter":
                return of("quarter", date(year, 3 * int(match[2]) - 2, 1))
            if name == "month":
                return of("month", date(year, int(match[2]), 1))
            return of("year", date(year, 1, 1))
    except ValueError as exc:
        raise ValueError(f"bad --date {text!r} for a {kind}: {exc}") from exc
    raise ValueError(f"bad --date {text!r} for a {kind}: expected e.g. "
                     f"{of(kind, date(2026, 11, 5), date(2026, 11, 5)).label}")
