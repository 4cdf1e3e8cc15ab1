"""Overdue (red) and approaching (yellow) open cases, and their count per county.

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

from data_access.deadlines import RED, deadline_state
from data_access.geography import admin_areas
from data_access.indicators import minute_of
from data_access.models import Case
from data_access.unit_names import place_label, unit_names
from data_access.vocabulary import TERMINAL_STAGES
from data_access.wall_scope import Scope, as_utc

# A deadline further away than this is never yellow, whatever the case's time limit.
HORIZON = timedelta(days=10)
BOARD_ROWS = 30
ROW_COLUMNS = ["id", "external_id", "title", "state", "due", "county_code", "place",
               "supervision_level", "acknowledged_at", "acknowledged_by", "priority"]


@dataclass(frozen=True)
class AlertBoard:
    rows: pd.DataFrame  # ROW_COLUMNS, red first (longest overdue first), then yellow
    by_county: pd.DataFrame  # county_code, county_name, red, yellow
    red_total: int
    yellow_total: int


def alert_board(session: Session, scope: Scope, now: datetime, zone: ZoneInfo,
                limit: int = BOARD_ROWS) -> AlertBoard:
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
    records = []
    for r in found:
        state = deadline_state(at, as_utc(r.due), r.major_class, r.subclass, r.priority,
                               r.source, zone)
        if state != "normal":
            records.append({**r._asdict(), "state": state, "due": as_utc(r.due)})
    frame = pd.DataFrame(records, columns=[*ROW_COLUMNS, "township_code", "grid_code"])
    frame["red"] = frame["state"].isin(RED)
    frame = frame.sort_values(["red", "due"], ascending=[False, True], kind="stable")
    counts = {code: [0, 0] for code in scope.counties}
    for county, red in zip(frame["county_code"], frame["red"], strict=True):
        counts.setdefault(county, [0, 0])[0 if red else 1] += 1
    areas = admin_areas()
    by_county = pd.DataFrame(
        [(c, areas[c].name if c in areas else c, red, yellow)
         for c, (red, yellow) in counts.items()],
        columns=["county_code", "county_name", "red", "yellow"],
    ).sort_values(["red", "yellow"], ascending=False, kind="stable").reset_index(drop=True)
    top = frame.head(limit).copy()
    names = unit_names(session, {*top["county_code"], *top["township_code"], *top["grid_code"]})
    top["place"] = [place_label(names, c, t, g) for c, t, g in
                    zip(top["county_code"], top["township_code"], top["grid_code"], strict=True)]
    top["acknowledged_at"] = [as_utc(x) if isinstance(x, datetime) else None
                              for x in top["acknowledged_at"]]
    red_total = int(frame["red"].sum())
    return AlertBoard(top[ROW_COLUMNS].reset_index(drop=True), by_county, red_total,
                      len(frame) - red_total)
