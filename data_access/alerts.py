"""Overdue (red) and approaching (yellow) open cases, and their count per unit one level
below the view (province → cities, city → counties, county → townships, township → villages).

Reads open cases whose deadline is near or past only: the partial index
ix_cases_open_deadline (deadline_at, county_code WHERE stage NOT IN closed/rejected).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access.counters import Counters
from data_access.coverage import unit_codes
from data_access.deadlines import RED, deadline_states
from data_access.geography import admin_areas
from data_access.indicators import minute_of
from data_access.models import Case
from data_access.unit_names import place_label, unit_names
from data_access.vocabulary import TERMINAL_STAGES
from data_access.wall_scope import Scope, as_utc

# A deadline further away than this is never yellow, whatever the case's time limit.
HORIZON = timedelta(days=10)
# A case is newly overdue for this long after the wall first saw it red (the refresher
# recomputes alerts every few seconds): its row flashes meanwhile, never more. Only a case
# less than RECENT_DUE past its deadline can be new (not an import of old cases, nor one the
# wall forgot: it forgets what it first saw FORGET_SEEN ago).
NEWLY_OVERDUE = timedelta(minutes=1)
RECENT_DUE = timedelta(days=1)
FORGET_SEEN = timedelta(days=7)
ROW_COLUMNS = ["id", "external_id", "title", "state", "due", "county_code", "place",
               "supervision_level", "acknowledged_at", "acknowledged_by", "priority",
               "newly_overdue"]
# The level a view ranks, one below its own.
CHILD_LEVEL = {"province": "city", "city": "county", "county": "township",
               "township": "village"}


@dataclass(frozen=True)
class AlertBoard:
    """Every red and yellow case of the view (the wall pages through them) and the ranking
    of the units one level down."""

    rows: pd.DataFrame  # ROW_COLUMNS, red first (longest overdue first), then yellow
    by_unit: pd.DataFrame  # unit_code, unit_name, red, yellow (most red first)
    red_total: int
    yellow_total: int


def child_code(scope: Scope, county: str, township: str, grid: str) -> str:
    """The unit one level below the view that a case lies in."""
    level = CHILD_LEVEL[scope.level]
    if level == "city":
        return county[:4] + "00"
    return {"county": county, "township": township, "village": grid[:12]}[level]


def child_units(session: Session, scope: Scope) -> list[str]:
    """Every unit one level below the view, in code order (those without alerts rank too)."""
    level = CHILD_LEVEL[scope.level]
    if level == "city":
        return sorted({c[:4] + "00" for c in scope.counties})
    if level == "county":
        return list(scope.counties)
    return unit_codes(session, scope, level)


def child_names(session: Session, scope: Scope, codes: list[str]) -> dict[str, str]:
    if CHILD_LEVEL[scope.level] in ("city", "county"):
        areas = admin_areas()
        return {c: areas[c].name if c in areas else c for c in codes}
    return unit_names(session, set(codes))


def alert_board(session: Session, counters: Counters, scope: Scope, now: datetime,
                zone: ZoneInfo) -> AlertBoard:
    due = func.coalesce(Case.extended_until, Case.deadline_at)
    found = session.execute(
        select(Case.id, Case.external_id, Case.title, due.label("due"),
               Case.major_class, Case.subclass, Case.source,
               Case.county_code, Case.township_code, Case.grid_code, Case.supervision_level,
               Case.acknowledged_at, Case.acknowledged_by, Case.priority)
        .where(Case.stage.not_in(TERMINAL_STAGES), Case.deadline_at < now + HORIZON,
               due < now + HORIZON, scope.case_filter())
    ).all()
    # Judged at the minute, as /ops judges the cases a county's row links to.
    at = minute_of(now)
    dues = [as_utc(r.due) for r in found]
    states = deadline_states(at, dues, [(r.major_class, r.subclass, r.priority, r.source)
                                        for r in found], zone)
    records = [{**r._asdict(), "state": state, "due": due}
               for r, due, state in zip(found, dues, states.tolist(), strict=True)
               if state != "normal"]
    red = [r for r in records if r["state"] in RED]
    seen = counters.first_seen_red([r["id"] for r in red], now, now - FORGET_SEEN)
    for r in records:
        r["newly_overdue"] = r["state"] in RED and r["id"] in seen and \
            now.timestamp() - seen[r["id"]] <= NEWLY_OVERDUE.total_seconds() and \
            now - r["due"] <= RECENT_DUE
    frame = pd.DataFrame(records, columns=[*ROW_COLUMNS, "township_code", "grid_code"])
    frame["red"] = frame["state"].isin(RED)
    frame = frame.sort_values(["red", "due"], ascending=[False, True], kind="stable")
    counts = {code: [0, 0] for code in child_units(session, scope)}
    for county, township, grid, red in zip(frame["county_code"], frame["township_code"],
                                           frame["grid_code"], frame["red"], strict=True):
        counts.setdefault(child_code(scope, county, township, grid), [0, 0])[0 if red else 1] += 1
    names = child_names(session, scope, list(counts))
    by_unit = pd.DataFrame(
        [(c, names.get(c, c), red, yellow) for c, (red, yellow) in counts.items()],
        columns=["unit_code", "unit_name", "red", "yellow"],
    ).sort_values(["red", "yellow"], ascending=False, kind="stable").reset_index(drop=True)
    top = frame.copy()
    names = unit_names(session, {*top["county_code"], *top["township_code"], *top["grid_code"]})
    top["place"] = [place_label(names, c, t, g) for c, t, g in
                    zip(top["county_code"], top["township_code"], top["grid_code"], strict=True)]
    top["acknowledged_at"] = [as_utc(x) if isinstance(x, datetime) else None
                              for x in top["acknowledged_at"]]
    red_total = int(frame["red"].sum())
    top["newly_overdue"] = top["newly_overdue"].astype(bool)
    return AlertBoard(top[ROW_COLUMNS].reset_index(drop=True), by_unit, red_total,
                      len(frame) - red_total)
