"""热点诉求 and the disputes picture over a period, from topic_daily (never the case table):
the top subclasses and major classes with their change against the previous period, the
places with the most repeat reports, and disputes by type, resolution level and mediation
outcome.

A repeat report (重复诉求) is a report of a subclass already reported in the same village or
community (村/社区) in the same period: a place's repeats are its reports of the subclass
less one. They are summed from village_monthly (whole months) and grid_daily (edge days; a
grid's code extends its village's), so the page never scans cases for them.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from data_access import vocabulary as v
from data_access.models import VillageMonthly
from data_access.reports import repeats
from data_access.reports.figures import grids_in, in_scope
from data_access.reports.periods import Period
from data_access.reports.rollup import (
    COUNTY_TOPIC_MONTHS,
    TOPIC_KEY,
    TOPIC_MONTHS,
    over,
    split,
)
from data_access.unit_names import unit_names
from data_access.wall_scope import scope_for

MAJOR_OF = {sub: major for major, subs in v.SUBCLASSES.items() for sub in subs}


PLACE_COLUMNS = ("place_code", "name", "subclass", "major_class", "repeats", "reports")


@dataclass(frozen=True)
class Topics:
    subclasses: pd.DataFrame  # subclass, major_class, cases, previous, change
    classes: pd.DataFrame  # major_class, cases, previous, change
    repeat_places: pd.DataFrame  # place_code, name, subclass, major_class, repeats, reports
    disputes: dict[str, pd.DataFrame]  # by dispute_type / resolved_level / mediation_outcome


@contextmanager
def _hashed(session: Session) -> Iterator[None]:
    """PostgreSQL: the statement's groups made by hashing. After the county filter the
    planner expects ~3 k topic rows where a city's 45-day span has ~56 k, and sorted them by
    four text columns to group them (110-128 ms; hashed: 41-45 ms, EXPLAIN ANALYZE
    2026-12-03). Only for these statements: the repeat places' top ten needs its sort."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    session.execute(text("SET LOCAL enable_sort = off"))
    try:
        yield
    finally:
        session.execute(text("SET LOCAL enable_sort = DEFAULT"))


def _sums(session: Session, unit: str, period: Period, by: tuple[str, ...]) -> pd.DataFrame:
    """topic_daily's reports over the period grouped in the database by `by`: whole months
    from topic_monthly (a township) or county_topic_monthly (a county or a city: a city's
    month is ~4 k rows instead of ~29 k township rows or ~100 k daily rows)."""
    scope = scope_for(unit)
    # A township's rows by township; a county's or a city's by county (a tenth of the rows).
    copy = TOPIC_MONTHS if scope.township else COUNTY_TOPIC_MONTHS
    source = over(copy, period.first, period.last, lambda code: in_scope(code, scope))
    columns = [source.c[c] for c in by]
    with _hashed(session):
        rows = session.execute(select(*columns, func.sum(source.c.cases))
                               .group_by(*columns)).all()
    frame = pd.DataFrame(rows, columns=[*by, "cases"])
    frame["cases"] = frame["cases"].astype("int64")
    return frame[frame["cases"] > 0]


def repeat_places(session: Session, unit: str, period: Period, top: int) -> pd.DataFrame:
    """The villages × subclasses reported more than once in the period, most repeats first
    (ties by place, then subclass), with the place named township·village: whole months from
    village_monthly, edge days from grid_daily's reported rows."""
    scope = scope_for(unit)
    whole, edges = split(period.first, period.last)
    if whole and whole[0] == whole[1] and not edges:
        # One month's rows are one per village × subclass already: no grouping, and its
        # index gives the top rows in order (a city's month: 10 index entries, not ~50 k).
        month = VillageMonthly
        query = (select(month.village_code, month.subclass, month.reported)
                 .where(month.month == whole[0], month.reported > 1,
                        grids_in(month.village_code, scope))
                 .order_by(month.reported.desc(), month.village_code, month.subclass)
                 .limit(top))
        rows = [tuple(r) for r in session.execute(query)]
    else:
        rows = repeats.top_repeats(session, scope, period, top)
    places = pd.DataFrame(rows, columns=["place_code", "subclass", "reports"])
    places["reports"] = places["reports"].astype("int64")
    places["repeats"] = places["reports"] - 1
    names = unit_names(session, {*places["place_code"], *places["place_code"].str[:9]})
    places.insert(1, "name", ["·".join(names.get(c, c) for c in (code[:9], code))
                              for code in places["place_code"]])
    places.insert(3, "major_class", places["subclass"].map(MAJOR_OF).fillna("other"))
    return places[list(PLACE_COLUMNS)]


def _with_change(now: pd.DataFrame, before: pd.DataFrame, key: str) -> pd.DataFrame:
    a = now.groupby(key)["cases"].sum()
    b = before.groupby(key)["cases"].sum()
    out = pd.DataFrame({"cases": a}).join(pd.DataFrame({"previous": b}), how="left")
    out["previous"] = out["previous"].fillna(0).astype("int64")
    out["change"] = [(c - p) / p if p else None for c, p in zip(out["cases"], out["previous"],
                                                                strict=True)]
    return out.reset_index().sort_values(["cases", key], ascending=[False, True])


TOP = 10  # hot subclasses and repeat places listed


def topics(session: Session, unit: str, period: Period, top: int = TOP,
           with_places: bool = True) -> Topics:
    """The period's hot issues; `with_places` False leaves repeat_places empty (a caller that
    reads them on another connection at the same time)."""
    # The period's subclasses and its disputes from one read of its topic rows (a city's
    # month: one scan of ~28 k rows instead of two).
    found = _sums(session, unit, period, TOPIC_KEY)
    now = found.groupby("subclass", as_index=False)["cases"].sum()
    before = _sums(session, unit, period.previous(), ("subclass",))
    for frame in (now, before):
        frame["major_class"] = frame["subclass"].map(MAJOR_OF).fillna("other")
    subclasses = _with_change(now, before, "subclass").head(top)
    subclasses.insert(1, "major_class", subclasses["subclass"].map(MAJOR_OF))
    classes = _with_change(now, before, "major_class")
    places = repeat_places(session, unit, period, top) if with_places else \
        pd.DataFrame(columns=list(PLACE_COLUMNS))
    disputes = found[found["dispute_type"] != ""]
    picture = {key: (disputes.groupby(key)["cases"].sum().reset_index()
                     .sort_values(["cases", key], ascending=[False, True]))
               for key in ("dispute_type", "resolved_level", "mediation_outcome")}
    picture["resolved_level"] = picture["resolved_level"].replace({"resolved_level": {"": "open"}})
    picture["mediation_outcome"] = picture["mediation_outcome"][
        picture["mediation_outcome"]["mediation_outcome"] != ""]
    return Topics(subclasses.reset_index(drop=True), classes.reset_index(drop=True),
                  places.reset_index(drop=True), picture)
