"""township_daily: the period indicators' sums per local day × township; topic_daily: reports
per local day × township × subclass × how a dispute ended (hot issues, disputes picture);
grid_daily: the same sums per local day × grid × subclass (a township's grids ranked, repeat
reports per village and subclass).

Leaders' figures over a month, a quarter or a year read this table (≈ 171 townships × 365
days a year for Xuzhou) instead of the case table, so a briefing's cost does not grow with
the volume of history. What each case adds is `indicators.case_measures` (one definition per
indicator); supervision orders are counted from their transitions.

How it stays right, as case_daily does (data_access/rollups.py):
- `rebuild(first, last)` recomputes whole days from the case table and marks them built; it
  runs wherever case_daily is rebuilt (seed, `govwall rollup rebuild`, the live writer's new
  days), because rollups.rebuild calls it.
- The write path (`track`, installed by case_store.case_change) takes back a changed case's
  old measures and adds its new ones, and counts a new supervision order, in the same
  transaction as the change.
- Measures are "as of now": a case closed late last month moves last month's 按期办结率 when
  it closes; a rejection takes back the registration on its day.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, delete, event, inspect, or_, select
from sqlalchemy.orm import Session

from data_access import bulk_load, sla
from data_access import indicators as ind
from data_access.models import (
    Case,
    CaseTransition,
    GridDaily,
    TopicDaily,
    TownshipDaily,
    TownshipDailyBuilt,
)
from data_access.timeutil import as_utc, day_chunks, local_day_bounds

MEASURES = ("reported", "registered", "closed", "accepted", "closed_of_reported", "answered",
            "satisfied", "rework", "resolved", "resolved_low", "dispatched", "ack_in_time",
            "due", "on_time", "late_closed", "late_minutes", "handling_minutes", "supervisions")
CHUNK_DAYS = 31
# session.info key: the zone of a session whose case changes township_daily follows.
TRACKED_ZONE = "govwall.township_daily_zone"

TOPIC_KEY = ("subclass", "dispute_type", "resolved_level", "mediation_outcome")
_CASE_COLUMNS = tuple(dict.fromkeys((*ind.MEASURE_COLUMNS, "township_code", "grid_code",
                                      *TOPIC_KEY)))

Cell = tuple[date, str]  # (day, township)
Deltas = dict[Cell, Counter]
GridCell = tuple[date, str, str]  # (day, grid, subclass)
GridDeltas = dict[GridCell, Counter]
Topic = tuple[Any, ...]  # (day, township, *TOPIC_KEY), "" for none


def _add(deltas: Deltas, grids: GridDeltas, values: Mapping[str, Any], zone: ZoneInfo,
         sign: int, cal: sla.WorkCalendar) -> None:
    """A case's measures, to its township's cells and to its grid × subclass cells."""
    township, grid, subclass = values["township_code"], values["grid_code"], values["subclass"]
    for day, measure, amount in ind.case_measures(values, zone, cal):
        deltas.setdefault((day, township), Counter())[measure] += sign * amount
        grids.setdefault((day, grid, subclass), Counter())[measure] += sign * amount


def _add_order(deltas: Deltas, grids: GridDeltas, day: date, township: str, grid: str,
               subclass: str) -> None:
    deltas.setdefault((day, township), Counter())["supervisions"] += 1
    grids.setdefault((day, grid, subclass), Counter())["supervisions"] += 1


def topic_of(values: Mapping[str, Any], zone: ZoneInfo) -> Topic:
    return (as_utc(values["reported_at"]).astimezone(zone).date(), values["township_code"],
            *(values[n] or "" for n in TOPIC_KEY))


def shift_topics(session: Session, deltas: Counter) -> None:
    changes = [(k, n) for k, n in sorted(deltas.items()) if n]
    names = ("day", "township_code", *TOPIC_KEY)
    bulk_load.add_rows(session.connection(), TopicDaily.__table__, names,
                       [{**dict(zip(names, key, strict=True)), "cases": n}
                        for key, n in changes])


def shift(session: Session, deltas: Mapping[tuple, Counter], table=TownshipDaily,
          key: tuple[str, ...] = ("day", "township_code")) -> None:
    """Add each cell's measures to its row of `table` (created if missing), in key order so
    that concurrent writers lock rows in the same order; one upsert statement for all the
    cells (every measure is added: the ones a cell does not move add 0)."""
    changes = [(cell, {m: n for m, n in counts.items() if n})
               for cell, counts in sorted(deltas.items())]
    bulk_load.add_rows(session.connection(), table.__table__, key,
                       [{**dict(zip(key, cell, strict=True)),
                         **{m: counts.get(m, 0) for m in MEASURES}}
                        for cell, counts in changes if counts])


GRID_KEY = ("day", "grid_code", "subclass")


def new_case_deltas(rows: Iterable[Mapping[str, Any]], zone: ZoneInfo
                    ) -> tuple[Deltas, GridDeltas, Counter]:
    """What new cases (rows of every case column) add to township_daily, grid_daily and
    topic_daily: the bulk writer's counterpart of the listener below."""
    cal = sla.DEFAULT_CALENDAR
    deltas: Deltas = {}
    grids: GridDeltas = {}
    topics: Counter = Counter()
    for row in rows:
        _add(deltas, grids, row, zone, 1, cal)
        topics[topic_of(row, zone)] += 1
    return deltas, grids, topics


# -- the write path --------------------------------------------------------------------------

def _changes(session: Session, zone: ZoneInfo) -> tuple[Deltas, GridDeltas, Counter]:
    cal = sla.DEFAULT_CALENDAR
    deltas: Deltas = {}
    grids: GridDeltas = {}
    topics: Counter = Counter()
    for obj in session.new:
        if isinstance(obj, Case):
            values = {n: getattr(obj, n) for n in _CASE_COLUMNS}
            _add(deltas, grids, values, zone, 1, cal)
            topics[topic_of(values, zone)] += 1
        elif isinstance(obj, CaseTransition) and obj.kind == "supervision":
            case = session.get(Case, obj.case_id)
            _add_order(deltas, grids, as_utc(obj.at).astimezone(zone).date(),
                       case.township_code, case.grid_code, case.subclass)
    for obj in session.dirty:
        if not isinstance(obj, Case):
            continue
        state = inspect(obj)
        now_values, old_values, changed = {}, {}, False
        for name in _CASE_COLUMNS:
            history = state.attrs[name].history
            now_values[name] = getattr(obj, name)
            old_values[name] = history.deleted[0] if history.deleted else now_values[name]
            changed |= bool(history.deleted) and old_values[name] != now_values[name]
        if changed:
            _add(deltas, grids, old_values, zone, -1, cal)
            _add(deltas, grids, now_values, zone, 1, cal)
            topics[topic_of(old_values, zone)] -= 1
            topics[topic_of(now_values, zone)] += 1
    return deltas, grids, topics


def _before_flush(session: Session, _context, _instances) -> None:
    deltas, grids, topics = _changes(session, session.info[TRACKED_ZONE])
    shift(session, deltas)
    shift(session, grids, GridDaily, GRID_KEY)
    shift_topics(session, topics)


def track(session: Session, zone: ZoneInfo) -> None:
    """Keep township_daily in step with the cases this session adds or changes."""
    if TRACKED_ZONE not in session.info:
        session.info[TRACKED_ZONE] = zone
        event.listen(session, "before_flush", _before_flush)


# -- rebuilding ------------------------------------------------------------------------------

def rebuild(session: Session, zone: ZoneInfo, first: date, last: date,
            now: datetime | None = None) -> int:
    """Recompute the local days first..last from the case table and mark them built; returns
    the rows written. Runs in the caller's transaction, a month at a time."""
    return sum(_rebuild_chunk(session, zone, day, end, now or datetime.now(UTC))
               for day, end in day_chunks(first, last, CHUNK_DAYS))


def _rebuild_chunk(session: Session, zone: ZoneInfo, first: date, last: date,
                   now: datetime) -> int:
    start, end = local_day_bounds(first, zone)[0], local_day_bounds(last, zone)[1]
    for table in (TownshipDaily, TopicDaily, GridDaily):
        session.execute(delete(table).where(table.day >= first, table.day <= last))
    session.execute(delete(TownshipDailyBuilt).where(TownshipDailyBuilt.day >= first,
                                                     TownshipDailyBuilt.day <= last))
    # Every case one of whose measure days may fall in the range, each through an index.
    window = ind.Window(start, end)
    touching = or_(ind.reported_in(window), ind.closed_in(window),
                   _registered_between(start, end), ind.due_in(window))
    deltas: Deltas = {}
    grids: GridDeltas = {}
    topics: Counter = Counter()
    cal = sla.DEFAULT_CALENDAR
    columns = [getattr(Case, n) for n in _CASE_COLUMNS]
    for row in session.execute(select(*columns).where(touching)).mappings():
        _add(deltas, grids, row, zone, 1, cal)
        topic = topic_of(row, zone)
        if first <= topic[0] <= last:
            topics[topic] += 1
    orders = select(CaseTransition.at, Case.township_code, Case.grid_code, Case.subclass).join(
        Case, Case.id == CaseTransition.case_id).where(
        CaseTransition.kind == "supervision", CaseTransition.at >= start,
        CaseTransition.at < end)
    for at, township, grid, subclass in session.execute(orders):
        _add_order(deltas, grids, as_utc(at).astimezone(zone).date(), township, grid, subclass)
    records = [{"day": day, "township_code": township,
                **{m: counts.get(m, 0) for m in MEASURES}}
               for (day, township), counts in sorted(deltas.items()) if first <= day <= last]
    if records:
        session.execute(TownshipDaily.__table__.insert(), records)
    grid_rows = [{**dict(zip(GRID_KEY, cell, strict=True)),
                  **{m: counts.get(m, 0) for m in MEASURES}}
                 for cell, counts in sorted(grids.items()) if first <= cell[0] <= last]
    if grid_rows:
        session.execute(GridDaily.__table__.insert(), grid_rows)
    names = ("day", "township_code", *TOPIC_KEY)
    topic_rows = [{**dict(zip(names, key, strict=True)), "cases": n}
                  for key, n in sorted(topics.items())]
    if topic_rows:
        session.execute(TopicDaily.__table__.insert(), topic_rows)
    session.execute(TownshipDailyBuilt.__table__.insert(),
                    [{"day": first + timedelta(days=i), "built_at": now}
                     for i in range((last - first).days + 1)])
    return len(records)


def _registered_between(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(Case.registered_at >= start, Case.registered_at < end)


def built_days(session: Session, first: date, last: date) -> set[date]:
    return set(session.scalars(select(TownshipDailyBuilt.day).where(
        TownshipDailyBuilt.day >= first, TownshipDailyBuilt.day <= last)))
