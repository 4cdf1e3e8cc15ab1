"""The grid map: which units a view colours, their geometry, one measure per unit, the names
written on it and the urgent and overdue cases marked on it.

The province colours its counties (city lines and names over them); a city its townships
(county lines and names); a county its grids (township lines and names); a township its
grids (village lines and names). Geometry (units.boundary, GeoJSON) is heavy and changes
only on import: it is served once as a cacheable JSON document; refreshes carry values only.
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

import pandas as pd
import shapely
from shapely.geometry import shape
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from data_access.counters import Counters
from data_access.geography import admin_areas, boundary_geojson
from data_access.indicators import DUE, OPEN, minute_of, overdue_at
from data_access.models import Case, Unit
from data_access.vocabulary import CODE_LENGTH
from data_access.wall_scope import Scope

MEASURES = ("patrol", "online", "open", "overdue")


# More markers than this say nothing more on a map (and would weigh on every refresh): the
# longest overdue are kept, and the urgent ones soonest due (a province has over a thousand
# overdue cases: urgent ones keep their own share).
MAX_MARKERS = {"overdue": 450, "urgent": 150}
_LEVELS = {"province": ("county", "city"), "city": ("township", "county"),
           "county": ("grid", "township"), "township": ("grid", "village")}
# Territory a view outlines that the shipped real boundaries cover.
REAL_LEVELS = ("city", "county")


def map_levels(scope: Scope) -> tuple[str, str]:
    """(level coloured, level outlined and named) for a view."""
    return _LEVELS[scope.level]


def _real_codes(scope: Scope, level: str) -> list[str]:
    if level == "city":
        return sorted({c[:4] + "00" for c in scope.counties})
    return [scope.township[:6]] if scope.township else list(scope.counties)


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

    Cities and counties fall back to the shipped real boundaries when the database has none."""
    if level in REAL_LEVELS:
        codes = _real_codes(scope, level)
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


def map_bounds(session: Session, scope: Scope) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the view's territory: the box of its outlined units,
    which the map is fitted to (layouts/wall/map_view.py), else of its coloured units (a
    township whose villages have no boundary); None when none has one."""
    fill, outline = map_levels(scope)
    features = geometry(session, scope, outline)["features"] or \
        geometry(session, scope, fill)["features"]
    if not features:
        return None
    boxes = [shape(f["geometry"]).bounds for f in features]
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


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
    codes = unit_codes(session, scope, level) if level != "county" else list(scope.counties)
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
        column = {"grid": Case.grid_code, "township": Case.township_code,
                  "county": Case.county_code}[level]
        where = [overdue_at(now) if measure == "overdue" else OPEN, scope.case_filter()]
        found = dict(session.execute(select(column, func.count()).where(*where)
                                     .group_by(column)).all())
        values = {c: float(found.get(c, 0)) for c in codes}
    return pd.DataFrame({"code": list(values), "value": list(values.values())})


def map_labels(session: Session, scope: Scope) -> pd.DataFrame:
    """The names written on the map: the outlined units (see map_levels), each at a point
    inside it (code, name, lon, lat, area in km²: the map names the largest first). Real
    areas missing from the database take their name and shipped boundary."""
    _, level = map_levels(scope)
    codes = _real_codes(scope, level) if level in REAL_LEVELS else \
        unit_codes(session, scope, level)
    stored = {row.code: row for row in session.execute(
        select(Unit.code, Unit.name, Unit.lon, Unit.lat, Unit.area_km2, Unit.boundary)
        .where(Unit.code.in_(codes))).all()}
    rows = []
    areas = admin_areas()
    for code in codes:
        row = stored.get(code)
        name = row.name if row else (areas[code].name if code in areas else None)
        lon, lat, area = (row.lon, row.lat, row.area_km2) if row else (None, None, None)
        if lon is None or lat is None:
            # A point inside its boundary: the stored one, else the shipped real one.
            outline = json.loads(row.boundary) if row and row.boundary else \
                _shipped_boundary(code)
            if outline is None or name is None:
                continue
            outline = shape(outline)
            point = shapely.point_on_surface(outline)
            lon, lat = point.x, point.y
            area = area or outline.area * 1e4  # deg² → about km² at Jiangsu's latitude
        rows.append((code, name, lon, lat, float(area or 0.0)))
    return pd.DataFrame(rows, columns=["code", "name", "lon", "lat", "area"])


def map_markers(session: Session, scope: Scope, now: datetime) -> pd.DataFrame:
    """Open cases that are overdue or urgent, where they are (the case's own position, else
    its grid's): lon, lat, kind ("overdue" | "urgent"; an urgent overdue case is overdue).
    Longest overdue first, then urgent by deadline; at most MAX_MARKERS of each kind."""
    grid = aliased(Unit)
    late = DUE < minute_of(now)
    rows = []
    for kind, which in (("overdue", late), ("urgent", and_(Case.priority == "urgent",
                                                          or_(DUE.is_(None), ~late)))):
        rows += [(lon, lat, kind) for lon, lat in session.execute(
            select(func.coalesce(Case.lon, grid.lon), func.coalesce(Case.lat, grid.lat))
            .join(grid, grid.code == Case.grid_code)
            .where(OPEN, scope.case_filter(), which)
            .order_by(DUE, Case.id).limit(MAX_MARKERS[kind])).all()]
    frame = pd.DataFrame(rows, columns=["lon", "lat", "kind"])
    return frame.dropna(subset=["lon", "lat"]).reset_index(drop=True)
