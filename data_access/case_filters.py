"""A set of cases, as a URL can carry it: the contract between the wall's drill-down links
and the officers' view (/ops). The URL is the state: `CaseFilter.from_query(args)` and
`to_query()` round-trip, so a copied link shows a colleague the same cases.

Query parameters (all optional; lists are comma-separated):
  unit      territory code at any level (county 6, township 9, village 12, grid 15 digits)
  major     major classes            dispute   dispute types         source   source channels
  stage     stages                   deadline  normal|approaching|overdue|long_overdue
  priority  normal|urgent            open      1 = open cases only (not closed/rejected)
  satisfaction  follow-up answers: satisfied|basically|unsatisfied
  on        the date `from`/`to`/`period` select on: reported (the default) | registered
            (立案: first registered, rejected ones left out) | closed | due (the deadline
            after any extension); with no dates, the cases that have that date
  from, to  local dates YYYY-MM-DD (between, inclusive)
  period    1h | today | 7d | 30d: the last 60 minutes, or the last local days, up to now
            (`from`/`to` win if given)
  q         free text over title, description and external id
  supervised 1 = under a supervision order
  sort      the table's first order: overdue = the longest overdue first (when absent,
            the newest report first); the officer can re-sort, the cases stay the same

Each wall number links here with the filter of the cases it counts, as
data_access/indicators.py defines them.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from urllib.parse import urlencode

from data_access import vocabulary as v

_LIST_FIELDS = {
    "major": v.MAJOR_CLASSES + (v.UNCLASSIFIED,), "dispute": v.DISPUTE_TYPES, "source": v.SOURCES,
    "stage": v.ALL_STAGES, "deadline": v.DEADLINE_STATES, "priority": v.PRIORITIES,
    "satisfaction": v.SATISFACTION,
}
PERIODS = ("1h", "today", "7d", "30d")
SORTS = ("overdue",)
DATES = ("reported", "registered", "closed", "due")
_UNIT = re.compile(r"^\d{6}(\d{3}){0,3}$")
MAX_QUERY_TEXT = 100


# Dates a filter may name: a center's history, not the calendar's ends (date arithmetic at
# 0001-01-01 or 9999-12-31 overflows).
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


class FilterError(ValueError):
    """A query parameter has a value the filter cannot take; the message names it.

    `reason` and `params` let the interface say it in the reader's language
    (layouts/i18n/ops.py `filter.*`); str() is the English sentence for logs and the CLI.
    """

    def __init__(self, reason: str, message: str, **params: object):
        super().__init__(message)
        self.reason, self.params = reason, params


@dataclass(frozen=True)
class CaseFilter:
    unit: str | None = None
    major: tuple[str, ...] = ()
    dispute: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    stage: tuple[str, ...] = ()
    deadline: tuple[str, ...] = ()
    priority: tuple[str, ...] = ()
    satisfaction: tuple[str, ...] = ()
    open: bool = False
    supervised: bool = False
    on: str | None = None  # None: reported
    date_from: date | None = None
    date_to: date | None = None
    period: str | None = None
    q: str | None = None
    sort: str | None = None  # None: the table's default order

    @classmethod
    def from_query(cls, args: dict[str, str | None]) -> CaseFilter:
        """Parse URL query arguments; unknown keys are ignored, bad values raise FilterError."""
        if not isinstance(args, Mapping):
            raise FilterError("not_mapping", "the filter is not a set of named values")
        for name, value in args.items():
            if value is not None and not isinstance(value, str):
                raise FilterError("not_text", f"{name}: not text", name=name)
        values: dict = {}
        unit = (args.get("unit") or "").strip()
        if unit:
            if not _UNIT.match(unit):
                raise FilterError("bad_unit", f"unit: {unit!r} is not a territory code of "
                                  "6/9/12/15 digits", value=unit)
            values["unit"] = unit
        for name, allowed in _LIST_FIELDS.items():
            raw = (args.get(name) or "").strip()
            if raw:
                items = tuple(dict.fromkeys(x.strip() for x in raw.split(",") if x.strip()))
                bad = [x for x in items if x not in allowed]
                if bad:
                    raise FilterError("unknown_value", f"{name}: unknown value {bad[0]!r}",
                                      name=name, value=bad[0])
                values[name] = items
        for flag in ("open", "supervised"):
            if (args.get(flag) or "").strip() in ("1", "true"):
                values[flag] = True
        on = (args.get("on") or "").strip()
        if on:
            if on not in DATES:
                raise FilterError("bad_on", f"on: {on!r} is not one of {', '.join(DATES)}",
                                  value=on, allowed=", ".join(DATES))
            if on != "reported":
                values["on"] = on
        for name, attr in (("from", "date_from"), ("to", "date_to")):
            raw = (args.get(name) or "").strip()
            if raw:
                try:
                    values[attr] = date.fromisoformat(raw)
                except ValueError:
                    raise FilterError("bad_date", f"{name}: {raw!r} is not a date YYYY-MM-DD",
                                      name=name, value=raw) from None
                if not EARLIEST <= values[attr] <= LATEST:
                    raise FilterError("date_range",
                                      f"{name}: {raw} is outside {EARLIEST}..{LATEST}",
                                      name=name, value=raw, earliest=EARLIEST, latest=LATEST)
        if values.get("date_from") and values.get("date_to") and \
                values["date_from"] > values["date_to"]:
            raise FilterError("date_order", "from: the start date is after the end date")
        period = (args.get("period") or "").strip()
        if period:
            if period not in PERIODS:
                raise FilterError("bad_period",
                                  f"period: {period!r} is not one of {', '.join(PERIODS)}",
                                  value=period, allowed=", ".join(PERIODS))
            values["period"] = period
        q = (args.get("q") or "").strip()
        if "\x00" in q:
            raise FilterError("nul", "q: the search text contains a NUL character")
        if q:
            values["q"] = q[:MAX_QUERY_TEXT]
        sort = (args.get("sort") or "").strip()
        if sort:
            if sort not in SORTS:
                raise FilterError("bad_sort", f"sort: {sort!r} is not one of {', '.join(SORTS)}",
                                  value=sort, allowed=", ".join(SORTS))
            values["sort"] = sort
        return cls(**values)

    def to_query(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.unit:
            out["unit"] = self.unit
        for name in _LIST_FIELDS:
            items = getattr(self, name)
            if items:
                out[name] = ",".join(items)
        for flag in ("open", "supervised"):
            if getattr(self, flag):
                out[flag] = "1"
        if self.on:
            out["on"] = self.on
        if self.date_from:
            out["from"] = self.date_from.isoformat()
        if self.date_to:
            out["to"] = self.date_to.isoformat()
        if self.period:
            out["period"] = self.period
        if self.q:
            out["q"] = self.q
        if self.sort:
            out["sort"] = self.sort
        return out

    def href(self, path: str = "/ops") -> str:
        query = self.to_query()
        return f"{path}?{urlencode(query)}" if query else path

    def replace(self, **changes) -> CaseFilter:
        current = {f.name: getattr(self, f.name) for f in fields(self)}
        current.update(changes)
        return CaseFilter(**current)

    @property
    def unit_level(self) -> str | None:
        if not self.unit:
            return None
        return {6: "county", 9: "township", 12: "village", 15: "grid"}[len(self.unit)]
