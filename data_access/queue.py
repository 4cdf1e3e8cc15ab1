"""The newest cases of a view, for the live incident board."""
from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access.models import Case
from data_access.unit_names import place_label, unit_names
from data_access.wall_scope import Scope, as_utc

QUEUE_ROWS = 40
COLUMNS = ["id", "external_id", "reported_at", "major_class", "subclass", "title", "place",
           "source", "stage", "priority", "due"]


def latest_cases(session: Session, scope: Scope, now: datetime,
                 limit: int = QUEUE_ROWS) -> pd.DataFrame:
    """Newest first (ix_cases_county_reported); `due` is the deadline after any extension."""
    rows = session.execute(
        select(Case.id, Case.external_id, Case.reported_at, Case.major_class, Case.subclass,
               Case.title, Case.county_code, Case.township_code, Case.grid_code, Case.source,
               Case.stage, Case.priority,
               func.coalesce(Case.extended_until, Case.deadline_at).label("due"))
        .where(scope.case_filter(), Case.reported_at <= now)
        .order_by(Case.reported_at.desc(), Case.id.desc())
        .limit(limit)
    ).all()
    names = unit_names(session, {code for r in rows
                                 for code in (r.county_code, r.township_code, r.grid_code)})
    return pd.DataFrame(
        [{**r._asdict(), "reported_at": as_utc(r.reported_at),
          "due": as_utc(r.due) if r.due else None,
          "place": place_label(names, r.county_code, r.township_code, r.grid_code)}
         for r in rows],
        columns=[*COLUMNS, "county_code", "township_code", "grid_code"],
    )[COLUMNS]
