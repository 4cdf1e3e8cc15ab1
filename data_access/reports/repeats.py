"""The top repeat places (village × subclass reported more than once) of a period longer than
a month, without grouping all of its village_monthly rows.

A city's year is 12 × ~53 k village × subclass rows; grouping them all to keep ten took
~0.5 s (2.6 s on a cold cache), over the page's 300 ms. The top ten are found exactly from
a few index reads instead, the threshold way:

1. A lower bound L on the tenth-best total: the exact totals of a few likely pairs (each
   month's top rows, read in the order of ix_village_monthly_reported). Real pairs' totals,
   so the true tenth is at least L.
2. A pair whose total reaches L has, in one of its n parts (the whole months, and the edge
   days together), at least ⌈L / n⌉ reports. Only rows at or above that are read — per month,
   a short range of the same index — and each pair seen gets bounds: what is sure (the rows
   seen, the edge days where it has two or more), and that plus at most ⌈L / n⌉ − 1 in
   every part not seen. The edge days' pairs come grouped and filtered by the database
   (two reports or more: a city's 15 edge days are ~40 k pairs, most of them once, which
   took ~100 ms to ship and count in Python).
3. The ten best by what is sure are summed exactly (by the primary key, month by month);
   their tenth-best total is a floor, and only the pairs whose upper bound reaches it are
   summed too. The best ten of all that were summed are the answer — the same rows, order
   and ties as grouping everything (tests compare them).

A month the period covers mostly is read as its row less the days outside the period
(rollup.pieces): its row is still an upper bound of the pair's reports in the period, so the
bound holds as it is, and the exact totals take those days away (grid_daily, the pairs'
villages only) — a city's 45-day span: two months less ~16 days instead of 45 days grouped.

When the bound cannot prune (little data, where ⌈L / n⌉ is 1) or would keep too many pairs,
and for a span of days that reads no month, everything is grouped as before.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import ColumnElement, func, select, union_all
from sqlalchemy.orm import Session

from data_access.models import GridDaily, VillageMonthly
from data_access.reports.figures import grids_in
from data_access.reports.periods import Period
from data_access.reports.rollup import (
    VILLAGE_CODE_LENGTH,
    VILLAGE_MONTHS,
    month_end,
    over,
    pieces,
)
from data_access.wall_scope import Scope

Pair = tuple[str, str]  # (village code, subclass)
Row = tuple[str, str, int]  # (village code, subclass, reports)

# Above this many candidate rows or contending pairs the bound has not pruned enough to be
# worth its reads: group everything instead.
MOST_CANDIDATE_ROWS = 20_000
MOST_CONTENDERS = 2_000


def top_repeats(session: Session, scope: Scope, period: Period, top: int) -> list[Row]:
    """The period's `top` village × subclass pairs with more than one report, most reports
    first, ties by village then subclass."""
    month_ranges, edges, taken = pieces(period.first, period.last)
    months = [m for whole in month_ranges for m in _months(whole)]
    if not months:
        # Days only: the bound would need every pair's sum over them (a city's 45 days:
        # ~60 k groups); the database's own top ten takes ~190 ms.
        return grouped(session, scope, period, top)
    # The edge days' pairs with two reports or more (a bound below needs no fewer: at one
    # it groups everything). A city's 15 edge days are ~40 k pairs, most of them once.
    edge_twice = _edge_sums(session, scope, edges)
    # A month less some of its days (`taken`): its row is still an upper bound of what the
    # pair has in the period, so the bound below holds as it is; the exact totals take the
    # days away and add the edge days.
    exact = _Exact(session, scope, months, edges, taken)
    parts = len(months) + (1 if edges else 0)
    bound = _lower_bound(session, scope, months, edge_twice, top, exact)
    least = math.ceil(bound / parts)
    if least <= 1:
        return grouped(session, scope, period, top)
    seen = _rows_at_least(session, scope, months, least)
    if seen is None:
        return grouped(session, scope, period, top)
    lower, upper = _bounds(seen, edge_twice, bool(edges), len(months), least)
    # The best `top` by what is sure summed exactly first: their `top`-th best total is a
    # floor that every other pair's upper bound must reach to be summed at all.
    first = set(sorted(lower, key=lambda p: (-lower[p], p))[:top])
    totals = exact(first)
    ranked = sorted(totals.values(), reverse=True)
    floor = max(bound, ranked[top - 1] if len(ranked) >= top else 2)
    rest = {p for p in lower if p not in first and upper[p] >= floor}
    if len(rest) > MOST_CONTENDERS:
        return grouped(session, scope, period, top)
    totals.update(exact(rest))
    return _best(totals, top)


def grouped(session: Session, scope: Scope, period: Period, top: int) -> list[Row]:
    """Every village × subclass of the period grouped in the database (the plain way)."""
    source = over(VILLAGE_MONTHS, period.first, period.last,
                  lambda code: grids_in(code, scope), lambda t: (t.reported > 0,))
    village, subclass = source.c.village_code, source.c.subclass
    reports = func.sum(source.c.reported)
    query = (select(village, subclass, reports).group_by(village, subclass)
             .having(reports > 1).order_by(reports.desc(), village, subclass).limit(top))
    return [(v, s, int(n)) for v, s, n in session.execute(query)]


def _months(whole: tuple[date, date] | None) -> list[date]:
    if not whole:
        return []
    out, month = [], whole[0]
    while month <= whole[1]:
        out.append(month)
        month = month_end(month) + timedelta(days=1)
    return out


def _edge_days(scope: Scope, ranges: list[tuple[date, date]], sign: int,
               where: Callable[[ColumnElement], tuple] = lambda village: ()) -> list:
    """grid_daily's reported rows over `ranges` as (village_code, subclass, reported × sign)
    selects, one per range; `where(village code)` their other filters."""
    village = func.substr(GridDaily.grid_code, 1, VILLAGE_CODE_LENGTH)
    reported = GridDaily.reported if sign > 0 else -GridDaily.reported
    return [select(village.label("village_code"), GridDaily.subclass,
                   reported.label("reported"))
            .where(GridDaily.day >= a, GridDaily.day <= b, GridDaily.reported > 0,
                   grids_in(GridDaily.grid_code, scope), *where(village))
            for a, b in ranges]


def _summed(session: Session, parts: list, having=None) -> list[Row]:
    """The parts' reports summed per pair in the database."""
    rows = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
    total = func.sum(rows.c.reported)
    query = (select(rows.c.village_code, rows.c.subclass, total)
             .group_by(rows.c.village_code, rows.c.subclass))
    if having is not None:
        query = query.having(having(total))
    return [(v, s, int(n)) for v, s, n in session.execute(query)]


def _edge_sums(session: Session, scope: Scope, edges: list[tuple[date, date]]
               ) -> dict[Pair, int]:
    """The pairs with two reports or more over the edge days together, with those reports
    (grouped and filtered in the database: exact, and one of the bound's parts; a pair not
    here has at most one)."""
    if not edges:
        return {}
    rows = _summed(session, _edge_days(scope, edges, 1),
                   having=lambda total: total >= 2)
    return {(v, s): n for v, s, n in rows}


def _lower_bound(session: Session, scope: Scope, months: list[date],
                 edge_twice: dict[Pair, int], top: int, exact: _Exact) -> int:
    """The `top`-th best exact total among likely pairs (each month's top rows and the edge
    days' best), never under 2 (a pair needs two reports to be a repeat)."""
    m = VillageMonthly
    likely: dict[Pair, int] = {}
    tops = [select(m.village_code, m.subclass, m.reported)
            .where(m.month == month, m.reported > 1, grids_in(m.village_code, scope))
            .order_by(m.reported.desc(), m.village_code, m.subclass).limit(top).subquery()
            for month in months]
    query = union_all(*(select(t.c.village_code, t.c.subclass, t.c.reported) for t in tops))
    for v, s, n in session.execute(query):
        likely[(v, s)] = max(likely.get((v, s), 0), n)
    likely.update({p: n for p, n in sorted(edge_twice.items(), key=lambda i: -i[1])[:top]
                   if n > likely.get(p, 0)})
    best = sorted(likely, key=lambda p: -likely[p])[:top]
    totals = sorted(exact(set(best)).values(), reverse=True)
    return max(2, totals[top - 1]) if len(totals) >= top else 2


def _rows_at_least(session: Session, scope: Scope, months: list[date], least: int
                   ) -> list[tuple[date, str, str, int]] | None:
    """Every month's rows with at least `least` reports (a short range of the reported
    index per month), or None when there are too many to be worth it."""
    m = VillageMonthly
    query = union_all(*(select(m.month, m.village_code, m.subclass, m.reported).where(
        m.month == month, m.reported >= least, grids_in(m.village_code, scope))
        for month in months)).limit(MOST_CANDIDATE_ROWS + 1)
    rows = session.execute(query).all()
    return None if len(rows) > MOST_CANDIDATE_ROWS else [tuple(r) for r in rows]


def _bounds(seen: list[tuple[date, str, str, int]], edge_twice: dict[Pair, int],
            has_edges: bool, months: int, least: int
            ) -> tuple[dict[Pair, int], dict[Pair, int]]:
    """Each pair that may be in the top: its lower bound (the rows seen, and its edge days
    when it has two or more there) and its upper bound (that, least − 1 in each month not
    seen, and one edge report for a pair not in `edge_twice`, which has at most one)."""
    known: dict[Pair, int] = defaultdict(int)
    counted: dict[Pair, int] = defaultdict(int)
    for _, v, s, n in seen:
        known[(v, s)] += n
        counted[(v, s)] += 1
    pairs = set(known) | {p for p, n in edge_twice.items() if n >= least}
    lower = {p: known.get(p, 0) + edge_twice.get(p, 0) for p in pairs}
    upper = {p: lower[p] + (months - counted.get(p, 0)) * (least - 1)
             + (1 if has_edges and p not in edge_twice else 0) for p in pairs}
    return lower, upper


class _Exact:
    """Pairs' exact reports over the period: their villages' and subclasses' rows month by
    month (the primary key), plus the edge days and less the days taken away from a month
    (grid_daily over those days, only the pairs' villages and subclasses, one statement)."""

    def __init__(self, session: Session, scope: Scope, months: list[date],
                 edges: list[tuple[date, date]], taken: list[tuple[date, date]]):
        self.session, self.scope, self.months = session, scope, months
        self.edges, self.taken = edges, taken

    def __call__(self, pairs: set[Pair]) -> dict[Pair, int]:
        totals = dict.fromkeys(pairs, 0)
        villages = sorted({v for v, _ in pairs})
        subclasses = sorted({s for _, s in pairs})
        if not villages:
            return totals
        m = VillageMonthly
        # Villages × subclasses asked for, a few more rows than the pairs (a village's
        # other subclasses were ~20 times as many rows); the primary key finds each.
        query = union_all(*(select(m.village_code, m.subclass, m.reported)
                            .where(m.month == month, m.village_code.in_(villages),
                                   m.subclass.in_(subclasses))
                            for month in self.months))
        for v, s, n in self.session.execute(query):
            if (v, s) in totals:
                totals[(v, s)] += n
        for v, s, n in self._days(villages, subclasses):
            if (v, s) in totals:
                totals[(v, s)] += n
        return totals

    def _days(self, villages: list[str], subclasses: list[str]) -> list[Row]:
        """The pairs' edge days less their taken days."""
        if not self.edges and not self.taken:
            return []

        def asked(village):
            return village.in_(villages), GridDaily.subclass.in_(subclasses)
        return _summed(self.session, _edge_days(self.scope, self.edges, 1, asked)
                       + _edge_days(self.scope, self.taken, -1, asked))


def _best(totals: dict[Pair, int], top: int) -> list[Row]:
    rows = sorted(((v, s, n) for (v, s), n in totals.items() if n > 1),
                  key=lambda r: (-r[2], r[0], r[1]))
    return rows[:top]
