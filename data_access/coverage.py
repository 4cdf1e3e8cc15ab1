"""The grid map: which units a view colours, their geometry, and one measure per unit.

A city view colours its townships (county lines drawn over them); a county or township view
colours its grids. Geometry (units.boundary, GeoJSON) is heavy and changes only on import:
it is served once as a cacheable JSON document; refreshes carry values only.
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from data_access.counters import Counters
from data_access.geography import boundary_geojson
from data_access.indicators import OPEN, overdue_at
from data_access.models import Case, Unit
from data_access.vocabulary import CODE_LENGTH
from data_access.wall_scope import Scope

MEASURES = ("patrol", "online", "open", "overdue")


def map_levels(scope: Scope) -> tuple[str, str]:
    """(level coloured, level outlined) for a view."""
    if scope.level in ("province", "city"):
        return "township", "county"
    return "grid", ("township" if scope.level == "township" else "county")


def _units_under(scope: Scope, level: str):
    clause = and_(Unit.level == level, Unit.county_code.in_(scope.counties))
    if scope.township and level in ("village", "grid", "township"):
        clause = and_(clause, Unit.code.startswith(scope.township))
    return clause


def unit_codes(session: Session, scope: Scope, level: str) -> list[str]:
    return list(session.scalars(select(Unit.code).where(_units_under(scope, level))
                                .order_by(Unit.code)))


def geometry(session: Session, scope: Scope, level: str) -> dict:
    """A FeatureCollection (feature id = unit code) of the units of `level` in the view.

    Counties fall back to the shipped real boundaries when the database has none."""
    if level == "county":
        codes = [scope.township[:6]] if scope.township else list(scope.counties)
        stored = dict(session.execute(select(Unit.code, Unit.boundary).where(
            Unit.code.in_(codes), Unit.boundary.is_not(None))).all())
        shapes = [(c, json.loads(stored[c]) if c in stored else _shipped_boundary(c))
                  for c in codes]
        shapes = [(c, shape) for c, shape in shapes if shape is not None]
    elif level == "township" and scope.township:
        shapes = [(c, json.loads(b)) for c, b in session.execute(select(
            Unit.code, Unit.boundary).where(Unit.code == scope.township,
                                            Unit.boundary.is_not(None))).all()]
    else:
        shapes = [(c, json.loads(b)) for c, b in session.execute(
            select(Unit.code, Unit.boundary)
            .where(_units_under(scope, level), Unit.boundary.is_not(None))
            .order_by(Unit.code)).all()]
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "id": code, "properties": {}, "geometry": shape}
                         for code, shape in shapes]}


def _shipped_boundary(code: str) -> dict | None:
    try:
        return boundary_geojson(code)
    except FileNotFoundError:
        return None


def measure_values(session: Session, counters: Counters, scope: Scope, measure: str,
                   now: datetime) -> pd.DataFrame:
    """One value per coloured unit: code, value (patrol coverage is a share 0..1)."""
    if measure not in MEASURES:
        raise ValueError(f"unknown map measure {measure!r}")
    level, _ = map_levels(scope)
    width = CODE_LENGTH[level]
    codes = unit_codes(session, scope, level)
    if measure in ("patrol", "online"):
        grids = codes if level == "grid" else unit_codes(session, scope, "grid")
        if measure == "patrol":
            patrolled = counters.patrolled_grids(counters.local_day(now))
            done = Counter(g[:width] for g in grids if g in patrolled)
            total = Counter(g[:width] for g in grids)
            values = {c: done[c] / total[c] if total[c] else 0.0 for c in codes}
        else:
            online = Counter()
            for grid, n in counters.online_workers(now).items():
                if scope.covers(grid):
                    online[grid[:width]] += n
            values = {c: float(online[c]) for c in codes}
    else:
        column = Case.grid_code if level == "grid" else Case.township_code
        where = [overdue_at(now) if measure == "overdue" else OPEN, scope.case_filter()]
        found = dict(session.execute(select(column, func.count()).where(*where)
                                     .group_by(column)).all())
        values = {c: float(found.get(c, 0)) for c in codes}
    return pd.DataFrame({"code": list(values), "value": list(values.values())})
