"""Everything a briefing shows, for one unit and period, as plain values: the page, the
report files and `govwall briefing` all read this one collection."""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from data_access.models import Unit
from data_access.reports.figures import (
    KEYS,
    period_figures,
    prime_open_overdue,
    primed,
    remember_sums,
)
from data_access.reports.periods import Period
from data_access.reports.rankings import DEFAULT_WEIGHTS, rankings
from data_access.reports.topics import TOP as HOT_TOP
from data_access.reports.topics import repeat_places, topics
from data_access.reports.trends import span as trends_span
from data_access.reports.trends import trends
from data_access.unit_names import unit_names
from data_access.wall_scope import scope_for

TOP_N = 5


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts of plain values (NaN and <NA> become None)."""
    out = []
    for row in frame.astype(object).to_dict("records"):
        out.append({k: None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
                    else (int(v) if hasattr(v, "is_integer") and not isinstance(v, float)
                          else v) for k, v in row.items()})
    return out


# A request's reads on four connections at once (the main one and three of these); a few
# requests at a time per process.
_APART = ThreadPoolExecutor(6, thread_name_prefix="briefing")


def _short_reads(session: Session) -> None:
    """PostgreSQL: no parallel workers for this transaction's statements. A briefing's
    reads are a few thousand rollup rows each; starting two workers cost more than they
    saved (~5-10 ms a statement, on two cores already busy with the request's other
    connections)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))


def _apart(session: Session, read: Callable, *args, **kwargs) -> Future:
    """`read(own session, *args)` on a thread with a connection of its own, which starts
    with what `session` has primed (the open overdue cases); SQLite: now, in the caller's
    session (one writer, and its reads are small)."""
    if session.get_bind().dialect.name != "postgresql":
        done: Future = Future()
        done.set_result(read(session, *args, **kwargs))
        return done
    shared = primed(session)

    def run():
        with Session(session.get_bind()) as own:
            own.info.update(shared)
            _short_reads(own)
            return read(own, *args, **kwargs)
    return _APART.submit(run)


def collect(session: Session, unit: str, period: Period, zone: ZoneInfo, now: datetime,
            weights: Mapping[str, float] | None = None, top: int = TOP_N) -> dict:
    """Everything a briefing shows. PostgreSQL: the hot issues, the repeat places and the
    trends each on a connection of its own while this one reads the figures and rankings
    (a city's 45-day span: ~320 ms one after the other on one connection)."""
    weights = dict(weights or DEFAULT_WEIGHTS)
    scope = scope_for(unit)
    _short_reads(session)
    hot = _apart(session, topics, unit, period, with_places=False)  # reads no open cases
    places = _apart(session, repeat_places, unit, period, HOT_TOP)
    # Every part below reads the open overdue cases of some span inside the trends' days.
    prime_open_overdue(session, scope, *trends_span(period), zone, now)
    trend_ahead = _apart(session, trends, unit, period, zone, now)
    remember_sums(session, True)  # the rankings' two periods are the figures' first two
    try:
        figures = period_figures(session, unit, period, zone, now).as_dict()
        ranked = rankings(session, unit, period, zone, now, weights)
    finally:
        remember_sums(session, False)
    trend = trend_ahead.result()
    found = replace(hot.result(), repeat_places=places.result())
    return {
        **figures,
        "unit_name": unit_names(session, [unit]).get(unit, unit),
        "level": scope.level,
        "weights": weights,
        "top": top,
        "rankings": _records(ranked),
        "subclasses": _records(found.subclasses),
        "classes": _records(found.classes),
        "repeat_places": _records(found.repeat_places),
        "disputes": {k: _records(v) for k, v in found.disputes.items()},
        "trends": _records(trend),
        "keys": list(KEYS),
    }


def unit_choices(session: Session, region: str) -> list[tuple[str, str]]:
    """(code, name) of the units a briefing of `region` may be about: the province, the
    region's city, its counties and their townships."""
    scope = scope_for(region)
    codes = ["320000"] + ([region[:4] + "00"] if scope.level != "province" else [])
    codes += list(scope.counties)
    names = unit_names(session, codes)
    townships = session.execute(select(Unit.code, Unit.name).where(
        Unit.level == "township", Unit.parent_code.in_(scope.counties))
        .order_by(Unit.code)).all()
    return [(c, names.get(c, c)) for c in dict.fromkeys(codes)] + [tuple(r) for r in townships]
