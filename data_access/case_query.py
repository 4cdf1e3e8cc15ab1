"""The SQL behind a CaseFilter (data_access/case_filters.py): which cases, how many in each
deadline state, one sorted page of them, and a streamed export.

Deadline states are the sla module's (`sla.deadline_state`) computed in SQL: for a given
`now` and a time limit, each state is a range of the (extended) deadline, so the few
distinct limits of the limit table turn into a CASE of deadline comparisons with cut-off
instants worked out here in Python with the working-time clock. A filter on millions of cases
therefore never classifies rows one by one in Python, and the counts match the clock exactly.
Closed and rejected cases have no deadline state; an open case without a deadline is normal.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from data_access import indicators as ind
from data_access import sla
from data_access import vocabulary as v
from data_access.case_filters import CaseFilter
from data_access.indicators import OPEN
from data_access.models import Case, Unit
from data_access.timeutil import as_utc, local_day_bounds

CLOSED_STATE = "closed"
PERIOD_DAYS = {"today": 1, "7d": 7, "30d": 30}
_SEARCH_ESCAPE = "\\"
# The cases a date range selects, by the date the filter's `on` names (indicators.py).
ON_DATE = {"reported": ind.reported_in, "registered": ind.registered_in,
           "closed": ind.closed_in, "due": ind.due_in}

# Sortable columns of the case table (AG Grid colId -> SQL expression).
EFFECTIVE_DEADLINE = ind.DUE
SORTS: dict[str, ColumnElement] = {
    "reported_at": Case.reported_at,
    "deadline_at": EFFECTIVE_DEADLINE,
    "external_id": Case.external_id,
    "title": Case.title,
    "stage": Case.stage,
    "priority": Case.priority,
    "source": Case.source,
    "major_class": Case.major_class,
    "county_code": Case.county_code,
    "grid_code": Case.grid_code,
    "supervision_level": Case.supervision_level,
    "updated_at": Case.updated_at,
}
DEFAULT_SORT = (("reported_at", "desc"),)
# How long overdue, in the direction an officer asks for it: "desc" puts the longest overdue
# first, which is the earliest effective deadline first, so the deadline index serves it.
OVERDUE_SORT = "overdue_for"
# The orders a link can ask for by name (CaseFilter.sort: the wall's overdue drill-downs).
NAMED_SORTS: dict[str, tuple[tuple[str, str], ...]] = {"overdue": ((OVERDUE_SORT, "desc"),)}
OVERDUE_STATES = ("overdue", "long_overdue")


# -- deadline states in SQL --------------------------------------------------------------------

def _first_instant(lo: datetime, hi: datetime, reached) -> datetime:
    """The earliest instant in (lo, hi] where the non-decreasing predicate `reached` holds
    (to the microsecond), given reached(hi) and not reached(lo)."""
    lo_us, hi_us = 0, int((hi - lo) / timedelta(microseconds=1))
    while hi_us - lo_us > 1:
        mid = (lo_us + hi_us) // 2
        if reached(lo + timedelta(microseconds=mid)):
            hi_us = mid
        else:
            lo_us = mid
    return lo + timedelta(microseconds=hi_us)


@dataclass(frozen=True)
class Cutoffs:
    """For one time limit at one `now`: deadlines before `long_overdue` are long overdue,
    before `now` overdue, before `approaching` approaching, the rest normal."""

    long_overdue: datetime
    now: datetime
    approaching: datetime


def cutoffs(now: datetime, span: timedelta, zone: ZoneInfo,
            cal: sla.WorkCalendar = sla.DEFAULT_CALENDAR) -> Cutoffs:
    """The deadline ranges of `sla.deadline_state` with its default thresholds."""
    now = now.astimezone(UTC)
    threshold = max(span * 0.2, min(timedelta(hours=4), span / 2))
    overrun = min(span, timedelta(hours=35))

    def left(d: datetime) -> timedelta:
        return sla.working_time_between(now, d, cal, zone)

    def behind(d: datetime) -> timedelta:
        return sla.working_time_between(d, now, cal, zone)

    far = now + timedelta(days=1)
    while left(far) < threshold:
        far += far - now
    approaching = _first_instant(now, far, lambda d: left(d) >= threshold)
    # Long overdue iff behind(d) > overrun; behind() falls as d rises, so walk back to
    # where it equals the overrun: deadlines before that instant are long overdue.
    back = now - timedelta(days=1)
    while behind(back) <= overrun:
        back -= now - back
    long_overdue = _first_instant(back, now, lambda d: behind(d) <= overrun)
    return Cutoffs(long_overdue, now, approaching)


@lru_cache(maxsize=1)
def limit_groups() -> tuple[tuple[timedelta, tuple[tuple[str, str, tuple[str, ...]], ...]], ...]:
    """The limit table folded by span: (span, ((major, priority, subclasses), ...)).

    Limits by source are not in the default table, so the source is left out here; a center
    that overrides limits by source must extend this (see sla.limit_for)."""
    by_span: dict[timedelta, list[tuple[str, str, tuple[str, ...]]]] = {}
    for major, subclasses in v.SUBCLASSES.items():
        for priority in v.PRIORITIES:
            per_span: dict[timedelta, list[str]] = {}
            for sub in subclasses:
                span = sla.limit_for(major, sub, priority, sla.ANY).span()
                per_span.setdefault(span, []).append(sub)
            for span, subs in per_span.items():
                by_span.setdefault(span, []).append((major, priority, tuple(subs)))
    ordered = sorted(by_span.items(), key=lambda item: -sum(len(s) for *_, s in item[1]))
    return tuple((span, tuple(parts)) for span, parts in ordered)


def _group_condition(parts) -> ColumnElement[bool]:
    return or_(*(and_(Case.major_class == major, Case.priority == priority,
                      Case.subclass.in_(subs)) for major, priority, subs in parts))


def cut_expression(now: datetime, zone: ZoneInfo, which: str) -> ColumnElement:
    """The cut-off instant of each row's time limit, as a CASE over the limit groups (the
    largest group is the ELSE branch, to keep the SQL short)."""
    groups = limit_groups()
    values = [(parts, getattr(_cached_cutoffs(now, span, zone), which))
              for span, parts in groups]
    (_, default), rest = values[0], values[1:]
    if not rest:
        return literal(default, Case.deadline_at.type)
    return case(*((_group_condition(parts), literal(cut, Case.deadline_at.type))
                  for parts, cut in rest), else_=literal(default, Case.deadline_at.type))


@lru_cache(maxsize=64)
def _cached_cutoffs(now: datetime, span: timedelta, zone: ZoneInfo) -> Cutoffs:
    return cutoffs(now, span, zone)


def state_expression(now: datetime, zone: ZoneInfo) -> ColumnElement[str]:
    """Each case's deadline state, or 'closed' for closed and rejected cases.

    `now` is taken to the minute (indicators.minute_of). Working out the cut-offs costs
    ~26 ms (a bisection on the working-time clock per time limit); to the second, every page
    and count paid it again each second. To the minute they are computed once a minute and
    every query of that minute agrees; a state changes at most 59 s after the clock says
    so."""
    now = ind.minute_of(now)
    d = EFFECTIVE_DEADLINE
    return case(
        (Case.stage.in_(v.TERMINAL_STAGES), literal(CLOSED_STATE)),
        (d.is_(None), literal("normal")),
        (d < cut_expression(now, zone, "long_overdue"), literal("long_overdue")),
        (d < literal(now, Case.deadline_at.type), literal("overdue")),
        (d < cut_expression(now, zone, "approaching"), literal("approaching")),
        else_=literal("normal"),
    )


# -- the filter as a WHERE clause --------------------------------------------------------------

def unit_condition(unit: str) -> ColumnElement[bool]:
    if len(unit) == 6:
        if unit.endswith("0000"):  # a province
            return Case.county_code.like(unit[:2] + "%")
        if unit.endswith("00"):  # a city: its counties share the first four digits
            return Case.county_code.like(unit[:4] + "%")
        return Case.county_code == unit
    if len(unit) == 9:  # no index leads with the township: its county's serve
        return and_(Case.county_code == unit[:6], Case.township_code == unit)
    if len(unit) == 12:  # a village: a range of grid codes, so the index on grid_code serves
        return and_(Case.grid_code >= unit + "000", Case.grid_code <= unit + "999")
    return Case.grid_code == unit


def window(f: CaseFilter, now: datetime, zone: ZoneInfo) -> ind.Window:
    """The filter's time range (on the date `f.on` names): explicit dates, whole local days,
    win over a period, which ends now."""
    if f.date_from or f.date_to:
        return ind.Window(local_day_bounds(f.date_from, zone)[0] if f.date_from else None,
                          local_day_bounds(f.date_to, zone)[1] if f.date_to else None)
    if f.period == "1h":
        return ind.last_hour(now)
    if f.period:
        return ind.last_days(PERIOD_DAYS[f.period], now, zone)
    return ind.Window(None, None)


def _search(q: str) -> ColumnElement[bool]:
    escaped = q.replace(_SEARCH_ESCAPE, _SEARCH_ESCAPE * 2).replace("%", r"\%") \
        .replace("_", r"\_")
    pattern = f"%{escaped}%"
    return or_(Case.title.ilike(pattern, escape=_SEARCH_ESCAPE),
               Case.description.ilike(pattern, escape=_SEARCH_ESCAPE),
               Case.external_id.ilike(pattern, escape=_SEARCH_ESCAPE))


def where_clause(f: CaseFilter, now: datetime, zone: ZoneInfo) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    if f.unit:
        conditions.append(unit_condition(f.unit))
    for name, column in (("major", Case.major_class), ("dispute", Case.dispute_type),
                         ("source", Case.source), ("stage", Case.stage),
                         ("priority", Case.priority), ("satisfaction", Case.satisfaction)):
        values = getattr(f, name)
        if values:
            conditions.append(column.in_(values))
    if f.open or f.deadline:
        conditions.append(OPEN)
    if f.deadline:
        conditions.append(state_expression(now, zone).in_(f.deadline))
    if f.supervised:
        conditions.append(Case.supervision_level > 0)
    conditions.append(ON_DATE[f.on or "reported"](window(f, now, zone)))
    if f.q:
        conditions.append(_search(f.q))
    return and_(*conditions)


# -- questions ---------------------------------------------------------------------------------

STATE_KEYS = (*v.DEADLINE_STATES, "open", CLOSED_STATE, "total")


def count_by_state(session: Session, f: CaseFilter, now: datetime,
                   zone: ZoneInfo) -> dict[str, int]:
    """Cases of the filter per deadline state, plus open, closed (incl. rejected) and total."""
    state = state_expression(now, zone).label("state")
    rows = session.execute(select(state, func.count()).where(where_clause(f, now, zone))
                           .group_by(state))
    counts = dict.fromkeys(STATE_KEYS, 0)
    for name, n in rows:
        counts[name] = n
    counts["open"] = sum(counts[s] for s in v.DEADLINE_STATES)
    counts["total"] = counts["open"] + counts[CLOSED_STATE]
    return counts


def _nullable(column: ColumnElement) -> bool:
    return getattr(column, "nullable", True)


# The same value as EFFECTIVE_DEADLINE, spelled so that it does not match the expression index
# ix_cases_effective_deadline. Within a period, PostgreSQL would otherwise walk that index in
# deadline order over the whole history, hoping to meet the period's rows early, and it
# met them late (≈ 0.8 s for 7 days of a 1.4 M-case year); sorting the period's rows is
# cheaper (bench/ops.py).
UNINDEXED_DEADLINE = func.coalesce(Case.extended_until, Case.deadline_at, Case.deadline_at)


def _order_by(sort: tuple[tuple[str, str], ...], within_period: bool = False,
              open_only: bool = False) -> list[ColumnElement]:
    clauses: list[ColumnElement] = []
    plain = []
    for col_id, direction in sort or DEFAULT_SORT:
        if col_id == OVERDUE_SORT:
            if not open_only:
                # Closed cases have old deadlines but are overdue by nothing: after the open.
                clauses.append(case((OPEN, 0), else_=1).asc())
            col_id, direction = "deadline_at", "asc" if direction == "desc" else "desc"
        plain.append((col_id, direction))
    for col_id, direction in plain:
        column = SORTS.get(col_id)
        if column is None:
            continue
        if within_period and col_id == "deadline_at":
            column = UNINDEXED_DEADLINE
        ordered = column.desc() if direction == "desc" else column.asc()
        # NULLS LAST only where NULLs exist: on a NOT NULL column it keeps PostgreSQL from
        # reading a b-tree backwards (DESC is NULLS FIRST there) and it sorted the whole table.
        clauses.append(ordered.nulls_last() if _nullable(column) else ordered)
    # The id breaks ties, so that pages never repeat or skip a row.
    clauses.append(Case.id.desc() if plain[0][1] == "desc" else Case.id.asc())
    return clauses


ROW_COLUMNS = (Case.id, Case.external_id, Case.title, Case.reported_at, Case.source,
               Case.major_class, Case.subclass, Case.dispute_type, Case.priority, Case.stage,
               Case.county_code, Case.township_code, Case.grid_code, Case.responsible_unit,
               Case.handler, Case.deadline_at, Case.extended_until, Case.supervision_level,
               Case.acknowledged_at, Case.acknowledged_by, Case.address)


def rows_query(f: CaseFilter, now: datetime, zone: ZoneInfo,
               sort: tuple[tuple[str, str], ...] = DEFAULT_SORT) -> Select:
    # A range of due dates is read along the deadline index, which then also sorts them.
    within_period = window(f, now, zone).start is not None and f.on != "due"
    return (select(*ROW_COLUMNS, state_expression(now, zone).label("deadline_state"))
            .where(where_clause(f, now, zone))
            .order_by(*_order_by(sort, within_period=within_period,
                                 open_only=bool(f.open or f.deadline))))


def _plain(row) -> dict:
    out = dict(row._mapping)
    for key in ("reported_at", "deadline_at", "extended_until", "acknowledged_at"):
        if out[key] is not None:
            out[key] = as_utc(out[key])
    return out


def page(session: Session, f: CaseFilter, now: datetime, zone: ZoneInfo,
         sort: tuple[tuple[str, str], ...] = DEFAULT_SORT, offset: int = 0,
         limit: int = 100) -> list[dict]:
    """One page of the filtered cases, sorted; plain dicts with UTC datetimes and the unit
    names (county, township, grid) filled in."""
    rows = [_plain(r) for r in session.execute(
        rows_query(f, now, zone, sort).offset(max(0, offset)).limit(max(1, min(limit, 1000))))]
    names = unit_names(session, {r[k] for r in rows
                                 for k in ("county_code", "township_code", "grid_code")})
    for r in rows:
        for key in ("county", "township", "grid"):
            r[f"{key}_name"] = names.get(r[f"{key}_code"], r[f"{key}_code"])
        r["overdue_for"] = overdue_for(r, now, zone)
    return rows


def overdue_for(row: dict, now: datetime, zone: ZoneInfo,
                cal: sla.WorkCalendar = sla.DEFAULT_CALENDAR) -> tuple[int, int, int] | None:
    """How long an overdue case is past its (extended) deadline, in working time as its
    deadline state counts it: (working days, hours, minutes), a working day being the
    calendar's working hours of one day; None for a case that is not overdue."""
    if row["deadline_state"] not in OVERDUE_STATES:
        return None
    behind = sla.working_time_between(row["extended_until"] or row["deadline_at"], now, cal,
                                      zone)
    days, rest = divmod(behind, cal.day_length)
    minutes = int(rest.total_seconds() // 60)
    return days, minutes // 60, minutes % 60


def unit_names(session: Session, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    return {code: name for code, name in session.execute(
        select(Unit.code, Unit.name).where(Unit.code.in_(codes)))}


def iter_rows(session: Session, f: CaseFilter, now: datetime, zone: ZoneInfo,
              sort: tuple[tuple[str, str], ...] = DEFAULT_SORT,
              chunk: int = 2000) -> Iterator[dict]:
    """Every case of the filter, streamed from a server-side cursor `chunk` rows at a time
    (an export of 100,000 rows never holds them all). Townships and counties are few and are
    named from one dictionary; grid names come from a join."""
    areas = {code: name for code, name in session.execute(
        select(Unit.code, Unit.name).where(Unit.level.in_(("county", "township"))))}
    grid = Unit.__table__.alias("grid_unit")
    query = (rows_query(f, now, zone, sort)
             .add_columns(Case.reporter_name, Case.reporter_phone,
                          grid.c.name.label("grid_name"))
             .outerjoin(grid, grid.c.code == Case.grid_code)
             .execution_options(yield_per=chunk, stream_results=True))
    for row in session.execute(query):
        out = _plain(row)
        out["county_name"] = areas.get(out["county_code"], out["county_code"])
        out["township_name"] = areas.get(out["township_code"], out["township_code"])
        out["grid_name"] = out["grid_name"] or out["grid_code"]
        yield out


def units_under(session: Session, parent: str | None, level: str) -> list[tuple[str, str]]:
    """(code, name) of the units of `level` under `parent` (all of the level without one),
    for the territory dropdowns."""
    query = select(Unit.code, Unit.name).where(Unit.level == level)
    if parent:
        query = query.where(Unit.parent_code == parent)
    return [tuple(r) for r in session.execute(query.order_by(Unit.code))]

