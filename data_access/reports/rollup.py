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

Month copies (MONTH_COPIES): township_monthly and topic_monthly are the same sums per local
month (keyed by the month's first day), county_topic_monthly is topic_daily's per month ×
county (a city's or a county's hot issues), grid_monthly is grid_daily's per month × grid
(its subclasses together) and village_monthly its reports per month × village × subclass. Every
change to a daily row is made to its months' rows in the same statement batch (`shift`,
`shift_topics`), and `rebuild` recomputes the months it touches from the daily rows, so a
month's row is always the sum of its days. Readers take whole months from them and only the
partial edge days from the daily tables (`over`): a city's month of hot issues is ~15 k
topic rows instead of ~100 k, two years of trends ~4 k township rows instead of ~125 k, a
township's month of grids ~60 rows instead of ~1.7 k.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Date,
    Subquery,
    and_,
    delete,
    event,
    func,
    inspect,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from data_access import bulk_load, sla
from data_access import indicators as ind
from data_access.models import (
    Case,
    CaseTransition,
    CountyTopicMonthly,
    GridDaily,
    GridMonthly,
    TopicDaily,
    TopicMonthly,
    TownshipDaily,
    TownshipDailyBuilt,
    TownshipMonthly,
    VillageMonthly,
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


# -- months -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class MonthCopy:
    """A month table: the rows of a daily table summed per local month (keyed by the month's
    first day) and per `key`, each (month table's column, daily table's column, length of
    the daily code's prefix it keeps or None for all of it). The first key column is the
    place (township, grid or village code) a scope filters on; the sums are the month
    table's other columns."""

    daily: Any
    monthly: Any
    key: tuple[tuple[str, str, int | None], ...]

    @property
    def daily_key(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.daily.__table__.primary_key.columns)

    @property
    def month_key(self) -> tuple[str, ...]:
        """The month table's key columns: the month, then the copy's key."""
        return ("month", *(name for name, _, _ in self.key))

    @property
    def sums(self) -> tuple[str, ...]:
        keyed = set(self.month_key)
        return tuple(c.name for c in self.monthly.__table__.columns if c.name not in keyed)

    def from_daily(self, daily) -> list[ColumnElement]:
        """The key's values in a daily table's row, as SQL."""
        return [(func.substr(getattr(daily, column), 1, n) if n else getattr(daily, column))
                .label(name) for name, column, n in self.key]

    def fold(self, deltas: Mapping[tuple, Any]) -> dict[tuple, Any]:
        """Daily cells' deltas (Counters of measures, or numbers) added up per month cell:
        the Python counterpart of `from_daily` for the write path."""
        names = self.daily_key
        sums = set(self.sums)
        out: dict[tuple, Any] = {}
        for cell, change in deltas.items():
            values = dict(zip(names, cell, strict=True))
            key = (month_of(values["day"]),
                   *(values[column][:n] if n else values[column] for _, column, n in self.key))
            if isinstance(change, Counter):
                out.setdefault(key, Counter()).update(
                    {m: x for m, x in change.items() if m in sums})
            else:
                out[key] = out.get(key, 0) + change
        return out


TOWNSHIP_MONTHS = MonthCopy(TownshipDaily, TownshipMonthly,
                            (("township_code", "township_code", None),))
TOPIC_MONTHS = MonthCopy(TopicDaily, TopicMonthly,
                         tuple((n, n, None) for n in ("township_code", *TOPIC_KEY)))
COUNTY_CODE_LENGTH = 6
COUNTY_TOPIC_MONTHS = MonthCopy(TopicDaily, CountyTopicMonthly,
                                (("county_code", "township_code", COUNTY_CODE_LENGTH),
                                 *((n, n, None) for n in TOPIC_KEY)))
GRID_MONTHS = MonthCopy(GridDaily, GridMonthly, (("grid_code", "grid_code", None),))
VILLAGE_CODE_LENGTH = 12  # a grid's code is its village's and three digits
VILLAGE_MONTHS = MonthCopy(GridDaily, VillageMonthly,
                           (("village_code", "grid_code", VILLAGE_CODE_LENGTH),
                            ("subclass", "subclass", None)))
MONTH_COPIES = (TOWNSHIP_MONTHS, TOPIC_MONTHS, COUNTY_TOPIC_MONTHS, GRID_MONTHS,
                VILLAGE_MONTHS)


def month_of(day: date) -> date:
    return day.replace(day=1)


def month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def split(first: date, last: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """first..last as (the first and last month starts of its whole months, or None) and
    the day ranges left at its edges."""
    start = first if first.day == 1 else month_end(first) + timedelta(days=1)
    stop = month_of(last if last == month_end(last) else month_of(last) - timedelta(days=1))
    if stop < start:
        return None, [(first, last)]
    edges = [(first, start - timedelta(days=1))] if first < start else []
    if month_end(stop) < last:
        edges.append((month_end(stop) + timedelta(days=1), last))
    return (start, stop), edges


def _by_month(first: date, last: date) -> list[tuple[date, date]]:
    """first..last cut at month ends."""
    out = []
    while first <= last:
        out.append((first, min(last, month_end(first))))
        first = month_end(first) + timedelta(days=1)
    return out


def pieces(first: date, last: date
           ) -> tuple[list[tuple[date, date]], list[tuple[date, date]], list[tuple[date, date]]]:
    """How `over` reads first..last: (month ranges added from the month table, day ranges
    added from the daily table, day ranges taken away from it). A partial month longer than
    half its month is read as the month less its other days (a 45-day span from the 10th of
    one month to the 23rd of the next: its two months less 16 days, instead of 45 days —
    a city's day is ~4 k topic rows, its month ~4 k county rows)."""
    whole, edges = split(first, last)
    added_months = [whole] if whole else []
    added_days: list[tuple[date, date]] = []
    taken_days: list[tuple[date, date]] = []
    for a, b in (piece for edge in edges for piece in _by_month(*edge)):
        start, end = month_of(a), month_end(a)
        inside = (b - a).days + 1
        if (end - start).days + 1 - inside < inside:
            added_months.append((start, start))
            taken_days += [r for r in ((start, a - timedelta(days=1)),
                                       (b + timedelta(days=1), end)) if r[0] <= r[1]]
        else:
            added_days.append((a, b))
    return sorted(added_months), added_days, taken_days


def over(copy: MonthCopy, first: date, last: date,
         place: Callable[[ColumnElement], ColumnElement[bool]],
         where: Callable[[Any], Iterable[ColumnElement[bool]]] = lambda t: ()) -> Subquery:
    """The rows of `copy` over first..last, as a subquery of `day`, the copy's key and its
    sums: whole months from its month table (`day` is then the month's first day), the
    other days from its daily table — a mostly covered month as its month row less the
    days outside (`pieces`; those rows' sums negated), so only sums of the rows mean
    anything. `place(code column)` is each part's scope, tested on the part's own code
    column (the daily grid code, not its village prefix, so that an index serves it);
    `where(table)` its other filters."""
    daily, monthly = copy.daily, copy.monthly
    code = copy.key[0][1]
    month_ranges, added, taken = pieces(first, last)

    def days(a: date, b: date, sign: int):
        return (select(daily.day, *copy.from_daily(daily),
                       *((getattr(daily, n) if sign > 0 else -getattr(daily, n)).label(n)
                         for n in copy.sums))
                .where(daily.day >= a, daily.day <= b, place(getattr(daily, code)),
                       *where(daily)))

    parts = [select(monthly.month.label("day"),
                    *(getattr(monthly, n) for n, _, _ in copy.key),
                    *(getattr(monthly, n) for n in copy.sums))
             .where(monthly.month >= a, monthly.month <= b,
                    place(getattr(monthly, copy.key[0][0])), *where(monthly))
             for a, b in month_ranges]
    parts += [days(a, b, 1) for a, b in added] + [days(a, b, -1) for a, b in taken]
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()


def _copies_of(daily) -> list[MonthCopy]:
    return [copy for copy in MONTH_COPIES if copy.daily is daily]


def shift_topics(session: Session, deltas: Counter) -> None:
    """Add each topic cell's cases to its topic_daily row and to its month copies' rows."""
    for table, key, rows in topic_upserts(deltas):
        bulk_load.add_rows(session.connection(), table, key, rows)


def topic_upserts(deltas: Counter) -> list[bulk_load.Upsert]:
    """`shift_topics`'s statements as data (topic_daily, then its month copies)."""
    targets = [(TopicDaily, TOPIC_MONTHS.daily_key, deltas)]
    targets += [(copy.monthly, copy.month_key, copy.fold(deltas))
                for copy in _copies_of(TopicDaily)]
    out: list[bulk_load.Upsert] = []
    for table, key, cells in targets:
        changes = [(k, n) for k, n in sorted(cells.items()) if n]
        out.append((table.__table__, key, [{**dict(zip(key, cell, strict=True)), "cases": n}
                                           for cell, n in changes]))
    return out


def shift(session: Session, deltas: Mapping[tuple, Counter], table=TownshipDaily,
          key: tuple[str, ...] = ("day", "township_code")) -> None:
    """Add each cell's measures to its row of `table` (created if missing), in key order so
    that concurrent writers lock rows in the same order; one upsert statement for all the
    cells (every measure of the table is added: the ones a cell does not move add 0). A
    daily table's month copies (MONTH_COPIES) have the same changes added to their months'
    rows."""
    for table_, key_, rows in upserts(deltas, table, key):
        bulk_load.add_rows(session.connection(), table_, key_, rows)


def upserts(deltas: Mapping[tuple, Counter], table=TownshipDaily,
            key: tuple[str, ...] = ("day", "township_code")) -> list[bulk_load.Upsert]:
    """`shift`'s statements as data — (table, key columns, rows in key order), the daily
    table's then its month copies' — for a writer that sends several rollups' upserts
    together (bulk_load.add_rows_together)."""
    measures = [m for m in MEASURES if m in table.__table__.columns]
    changes = [(cell, {m: n for m, n in counts.items() if n})
               for cell, counts in sorted(deltas.items())]
    out: list[bulk_load.Upsert] = [(table.__table__, key, [
        {**dict(zip(key, cell, strict=True)), **{m: counts.get(m, 0) for m in measures}}
        for cell, counts in changes if counts])]
    for copy in _copies_of(table):
        out += upserts(copy.fold(deltas), copy.monthly, copy.month_key)
    return out


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
    the rows written. Runs in the caller's transaction, a month at a time; then the months
    the days fall in are summed again from the daily rows."""
    written = sum(_rebuild_chunk(session, zone, day, end, now or datetime.now(UTC))
                  for day, end in day_chunks(first, last, CHUNK_DAYS))
    rebuild_months(session, first, last)
    return written


def rebuild_months(session: Session, first: date, last: date) -> None:
    """Every month copy (MONTH_COPIES) of the months first..last falls in, recomputed from
    its daily table (in the database, a statement per month and copy); key cells whose sums
    are all zero are left out."""
    month = month_of(first)
    while month <= last:
        end = month_end(month)
        for copy in MONTH_COPIES:
            daily, monthly = copy.daily, copy.monthly
            key = copy.from_daily(daily)
            sums = [func.sum(getattr(daily, n)) for n in copy.sums]
            session.execute(delete(monthly).where(monthly.month == month))
            session.execute(monthly.__table__.insert().from_select(
                [*copy.month_key, *copy.sums],
                select(literal(month, Date), *key, *sums)
                .where(daily.day >= month, daily.day <= end).group_by(*key)
                .having(or_(*(s != 0 for s in sums)))))
        month = end + timedelta(days=1)


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
