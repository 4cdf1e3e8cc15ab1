"""Where an ingested case belongs: its grid code; else its point (GCJ-02, the datum of the
boundaries in the units table and of China's web maps) inside a grid's polygon; else its
address naming a village (the village's first grid); else unplaced — accepted into the
source's county under a "未定位" unit, flagged, never dropped.

A point outside every county of the territory is refused: it is not this center's case.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.prepared import prep
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from data_access.geography import boundary_geojson, known_region_codes
from data_access.models import Unit

UNPLACED_LEVEL = "unplaced"
UNPLACED_NAME = "未定位"


def unplaced_code(county_code: str) -> str:
    """The unit unplaced cases of a county hang on: the county's code and nine zeros (no
    real township, village or grid is numbered 000)."""
    return county_code + "0" * 9


class OutsideRegion(ValueError):
    """A point that lies in none of the territory's counties."""


class TerritoryMissing(RuntimeError):
    """The units table holds no county: nothing can be placed (a schema made by an old
    `govwall init-db`, which built no territory)."""

    def __init__(self) -> None:
        super().__init__("the database holds no territory (no county units): `govwall "
                         "init-db` builds the region's territory, `govwall geo import` "
                         "loads a center's own boundaries")


@dataclass(frozen=True)
class Place:
    grid_code: str
    how: str  # grid | point | address | unplaced


class Placer:
    """The territory's grids and villages, loaded once (units change rarely: a process
    builds a new Placer when the territory is replaced)."""

    def __init__(self, session: Session):
        rows = session.execute(select(Unit.code, Unit.level, Unit.name, Unit.parent_code,
                                      Unit.boundary, Unit.county_code)
                               .where(Unit.level.in_(("county", "township", "village",
                                                      "grid")))).all()
        self.grids = {r.code for r in rows if r.level == "grid"}
        self.counties = sorted({r.code for r in rows if r.level == "county"})
        if not self.counties:
            raise TerritoryMissing()
        polygons, codes = [], []
        for r in rows:
            if r.level == "grid" and r.boundary:
                polygons.append(shape(json.loads(r.boundary)))
                codes.append(r.code)
        self._tree = STRtree(polygons) if polygons else None
        self._polygons, self._codes = polygons, codes
        self._county_shapes = [prep(shape(boundary_geojson(c))) for c in self.counties
                               if c in known_region_codes()]
        first_grid: dict[str, str] = {}
        for code in sorted(self.grids):
            first_grid.setdefault(code[:12], code)
        townships = {r.code: r.name for r in rows if r.level == "township"}
        # Village names → (name, township name, first grid), looked up by the address's
        # substrings of each name length: a few hundred dict probes per address instead of
        # a scan of every village (2,821 in Xuzhou) — placement must not be what limits
        # a bulk import.
        self._villages: dict[str, list[tuple[str, str, str]]] = {}
        for r in rows:
            if r.level == "village" and r.code in first_grid and r.name:
                self._villages.setdefault(r.name, []).append(
                    (r.name, townships.get(r.parent_code or "", ""), first_grid[r.code]))
        self._name_lengths = sorted({len(name) for name in self._villages}, reverse=True)

    def place(self, grid_code: str | None, lat: float | None, lon: float | None,
              address: str | None, county_code: str) -> Place:
        if grid_code and grid_code in self.grids:
            return Place(grid_code, "grid")
        if lat is not None and lon is not None:
            found = self._at_point(lon, lat)
            if found:
                return Place(found, "point")
        if address:
            found = self._by_address(address)
            if found:
                return Place(found, "address")
        return Place(unplaced_code(county_code), "unplaced")

    def _at_point(self, lon: float, lat: float) -> str | None:
        point = Point(lon, lat)
        if self._county_shapes and not any(s.contains(point) for s in self._county_shapes):
            raise OutsideRegion(f"lat {lat}, lon {lon} (GCJ-02) is outside the territory")
        if self._tree is None:
            return None
        for index in self._tree.query(point, predicate="intersects"):
            return self._codes[int(index)]
        return None

    def _by_address(self, address: str) -> str | None:
        """The longest village name the address contains; when two villages share it, the
        one whose township the address also names; still two: not placed."""
        for length in self._name_lengths:
            longest = [v for start in range(len(address) - length + 1)
                       for v in self._villages.get(address[start:start + length], ())]
            if not longest:
                continue
            longest = list(dict.fromkeys(longest))  # a name the address repeats counts once
            if len(longest) > 1:
                longest = [m for m in longest if m[1] and m[1] in address]
            return longest[0][2] if len(longest) == 1 else None
        return None


def ensure_unplaced_unit(session: Session, county_code: str) -> str:
    """The county's 未定位 unit, created if missing (concurrent callers are fine)."""
    code = unplaced_code(county_code)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(Unit).values(
        code=code, name=UNPLACED_NAME, level=UNPLACED_LEVEL, parent_code=county_code,
        county_code=county_code, urban=False, synthesized=False).on_conflict_do_nothing())
    return code
