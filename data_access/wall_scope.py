"""What part of the territory a wall view covers, and the local-time windows it counts in.

A wall looks at the configured region (a city or county) or, by `?unit=`, at one county or
township. Every wall query filters cases by `county_code IN (...)` (indexed with the time
columns) and, for a township, by `township_code`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_

from data_access.geography import admin_areas, counties_of
from data_access.models import Case

_CODE = re.compile(r"^\d{6}(\d{3})?$")


class ScopeError(ValueError):
    """A unit code the wall cannot show (not a known city/county, nor a township code)."""


@dataclass(frozen=True)
class Scope:
    unit: str
    level: str  # province | city | county | township
    counties: tuple[str, ...]
    township: str | None = None

    def case_filter(self) -> ColumnElement[bool]:
        clause = Case.county_code.in_(self.counties)
        if self.township:
            clause = and_(clause, Case.township_code == self.township)
        return clause

    def covers(self, code: str) -> bool:
        """Whether a township/village/grid code lies inside this view."""
        if self.township:
            return code.startswith(self.township)
        return code[:6] in self.counties


def scope_for(unit: str) -> Scope:
    if not _CODE.match(unit or ""):
        raise ScopeError(f"unit {unit!r} is not a 6-digit county/city or 9-digit township code")
    areas = admin_areas()
    if len(unit) == 9:
        if unit[:6] not in areas:
            raise ScopeError(f"unit {unit!r}: county {unit[:6]} is not in Jiangsu")
        return Scope(unit, "township", (unit[:6],), unit)
    if unit not in areas:
        raise ScopeError(f"unit {unit!r} is not a Jiangsu city or county")
    return Scope(unit, areas[unit].level, tuple(a.code for a in counties_of(unit)))


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def local_day_start(now: datetime, zone: ZoneInfo, days_back: int = 0) -> datetime:
    """UTC instant of local midnight, `days_back` local days before today."""
    local_day = now.astimezone(zone).date() - timedelta(days=days_back)
    return datetime.combine(local_day, time.min, tzinfo=zone).astimezone(UTC)
