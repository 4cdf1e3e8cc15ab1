"""Time helpers shared by queries: SQLite hands back naive datetimes (stored as UTC)."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def as_utc(value: datetime) -> datetime:
    """`value` as an aware UTC datetime (naive values from SQLite are UTC already)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where the local `day` starts and the next one starts."""
    start = datetime.combine(day, time(), zone)
    end = datetime.combine(day + timedelta(days=1), time(), zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def day_chunks(first: date, last: date, days: int) -> Iterator[tuple[date, date]]:
    """first..last in consecutive spans of at most `days` days (a rebuild's transactions
    stay a bounded size)."""
    day = first
    while day <= last:
        end = min(last, day + timedelta(days=days - 1))
        yield day, end
        day = end + timedelta(days=1)
