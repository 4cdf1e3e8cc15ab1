"""Synthesized townships, villages and grids inside the real county boundaries.

Township, village and grid boundaries are not public, so the demo builds them: nested,
relaxed Voronoi cells clipped to their parent, so that grids tile villages, villages tile
townships and townships tile each (simplified) county. Their names are real: each county
gets its real townships and each township its real villages and communities
(geodata/jiangsu_places.json.gz, from jionlp); only where they lie is invented. Pure
computation: no database.

How many grids a county gets follows its area times a density factor, calibrated so that
Xuzhou gets its published 10,840 grids (DOMAIN.md); every other region follows the same
rules. Each county draws from its own random stream (seed, county code), so a county comes
out the same whether synthesized alone or as part of its city.
"""
from __future__ import annotations

import gzip
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape

from data_access.geography import (
    GEODATA,
    AdminArea,
    admin_areas,
    boundary_geojson,
    counties_of,
)

KM_PER_DEGREE = math.pi * 6371.0088 / 180
GRID_SIZE = 1e-5  # degrees (≈1 m): the precision every synthesized boundary is snapped to
NOISE_AREA = 1e-12  # deg², ≈0.01 m²: pieces this small are floating-point debris

# Calibration against Xuzhou (320300), DOMAIN.md "Real figures".
CALIBRATION_REGION = "320300"
CALIBRATION_GRIDS = 10_840
# A community (社区) houses several times a village's (村) households, so it gets more grids.
COMMUNITY_GRID_WEIGHT = 2.0
RELAX_ITERATIONS = 2  # Lloyd steps: evens out cell sizes so counts by area stay plausible

URBAN_HOUSEHOLDS = (300, 500)
RURAL_HOUSEHOLDS = (250, 350)


@dataclass(frozen=True)
class UnitRecord:
    """One row of the `units` table, ready to insert."""

    code: str
    name: str
    level: str
    parent_code: str | None
    county_code: str | None
    boundary: dict
    lon: float
    lat: float
    area_km2: float
    households: int | None
    urban: bool
    synthesized: bool


def is_urban(county: AdminArea) -> bool:
    """Districts (区) are urban; counties (县) and county-level cities (市) are rural."""
    return county.name.endswith("区")


def area_km2(geometry: shapely.Geometry) -> float:
    """Area with a local equal-area approximation; fine at county scale and below."""
    lat = shapely.point_on_surface(geometry).y
    return geometry.area * KM_PER_DEGREE**2 * math.cos(math.radians(lat))


@cache
def county_geometry(code: str) -> shapely.Geometry:
    return shape(boundary_geojson(code))


@cache
def county_area_km2(code: str) -> float:
    return area_km2(county_geometry(code))


def density_factor(county: AdminArea) -> float:
    """Units per km² relative to a rural county. Districts are denser, and the small ones
    (the old city cores) much denser than the large ones (former counties, still half
    rural), hence the square root of a reference core size over the district's area.
    The constants put the province at ≈107,800 grids (published: 105,000) while Xuzhou
    stays calibrated."""
    if not is_urban(county):
        return 1.0
    return 1.0 + 2.0 * math.sqrt(100.0 / county_area_km2(county.code))


def weight(county: AdminArea) -> float:
    return county_area_km2(county.code) * density_factor(county)


def calibrated_rate(weights: Sequence[float], target: int) -> float:
    """The units per unit of weight for which the rounded per-county counts sum to target
    (bisection; the sum is monotonic in the rate)."""
    low, high = 0.0, 2.0 * target / sum(weights) + 1.0
    for _ in range(100):
        rate = (low + high) / 2
        total = sum(max(1, round(rate * w)) for w in weights)
        if total == target:
            return rate
        low, high = (rate, high) if total < target else (low, rate)
    return (low + high) / 2


@cache
def grid_rate() -> float:
    """Grids per unit of weight, calibrated on Xuzhou."""
    weights = [weight(c) for c in counties_of(CALIBRATION_REGION)]
    return calibrated_rate(weights, CALIBRATION_GRIDS)


Township = tuple[str, tuple[str, ...]]  # a township's name and its villages' names


@cache
def place_names() -> dict[str, tuple[Township, ...]]:
    """Every county's real townships and their villages/communities, by county code."""
    with resources.files(GEODATA).joinpath("jiangsu_places.json.gz").open("rb") as handle:
        counties = json.loads(gzip.decompress(handle.read()))["counties"]
    return {county: tuple((name, tuple(villages)) for name, villages in townships)
            for county, townships in counties.items()}


def village_weight(name: str) -> float:
    return COMMUNITY_GRID_WEIGHT if name.endswith("社区") else 1.0


def county_grids(county: AdminArea) -> int:
    """The county's grids: by its weight, and at least one per village."""
    villages = sum(len(v) for _, v in place_names()[county.code])
    return max(villages, round(grid_rate() * weight(county)))


def apportion(total: int, weights: Sequence[float], minimum: int | Sequence[int] = 1
              ) -> list[int]:
    """Split total into integers proportional to weights (largest remainder), each at
    least its minimum (one for all, or one per weight). Requires total >= sum of minimums."""
    floor = np.broadcast_to(np.asarray(minimum, dtype=int), (len(weights),))
    spare = total - int(floor.sum())
    shares = np.asarray(weights, dtype=float)
    shares = spare * shares / shares.sum()
    counts = np.floor(shares).astype(int)
    leftover = spare - int(counts.sum())
    order = np.argsort(-(shares - counts), kind="stable")
    counts[order[:leftover]] += 1
    return [int(c) for c in counts + floor]


def polygonal(geometry: shapely.Geometry) -> Polygon | MultiPolygon:
    """The areal part of an overlay result: drops the lines, points and debris that
    clipping leaves behind, so every unit is a plain Polygon or MultiPolygon."""
    parts = shapely.get_parts(shapely.get_parts(geometry))
    polygons = [p for p in parts if isinstance(p, Polygon) and p.area > NOISE_AREA]
    if len(polygons) == 1:
        return polygons[0]
    return MultiPolygon(polygons)


def snapped(geometry: Polygon | MultiPolygon) -> Polygon | MultiPolygon:
    """Snap to the stored precision, keeping the geometry valid and non-empty."""
    result = polygonal(shapely.set_precision(geometry, GRID_SIZE))
    if not result.is_valid:
        result = polygonal(shapely.make_valid(result))
    # A cell too thin to survive snapping keeps its exact shape rather than vanish.
    return geometry if result.is_empty else result


def random_points_inside(polygon: shapely.Geometry, n: int, rng: np.random.Generator) -> np.ndarray:
    minx, miny, maxx, maxy = polygon.bounds
    shapely.prepare(polygon)
    found: list[np.ndarray] = []
    count = 0
    while count < n:
        batch = rng.uniform((minx, miny), (maxx, maxy), size=(max(4 * n, 64), 2))
        inside = batch[shapely.contains_xy(polygon, batch[:, 0], batch[:, 1])]
        found.append(inside)
        count += len(inside)
    return np.concatenate(found)[:n]


def voronoi_cells(parent: shapely.Geometry, points: np.ndarray) -> list[shapely.Geometry]:
    """One cell per point, in point order, clipped to parent: together they tile it."""
    diagram = shapely.voronoi_polygons(
        shapely.multipoints(points), extend_to=parent, ordered=True
    )
    return list(shapely.intersection(shapely.get_parts(diagram), parent))


def split(
    parent: Polygon | MultiPolygon, n: int, rng: np.random.Generator
) -> list[Polygon | MultiPolygon]:
    """Tile parent with n relaxed Voronoi cells, numbered north to south, west to east."""
    if n == 1:
        return [parent]
    points = random_points_inside(parent, n, rng)
    for _ in range(RELAX_ITERATIONS):
        cells = voronoi_cells(parent, points)
        centroids = shapely.get_coordinates(shapely.centroid(cells))
        # A centroid can fall outside a non-convex cell; the cell's own seed is then kept.
        inside = shapely.contains_xy(parent, centroids[:, 0], centroids[:, 1])
        points = np.where(inside[:, None], centroids, points)
        if len(np.unique(points, axis=0)) < n:
            break
    cells = [snapped(polygonal(c)) for c in voronoi_cells(parent, points)]
    cells = [c for c in cells if not c.is_empty]
    anchors = [shapely.point_on_surface(c) for c in cells]
    order = sorted(range(len(cells)), key=lambda i: (-round(anchors[i].y, 3), anchors[i].x))
    return [cells[i] for i in order]


def round_coordinates(value):
    if isinstance(value, float):
        return round(value, 5)
    return [round_coordinates(v) for v in value]


def geojson(geometry: shapely.Geometry) -> dict:
    geo = mapping(geometry)
    return {"type": geo["type"], "coordinates": round_coordinates(geo["coordinates"])}


def record(
    code: str,
    name: str,
    level: str,
    parent_code: str | None,
    county_code: str | None,
    geometry: shapely.Geometry,
    households: int | None,
    urban: bool,
    synthesized: bool,
) -> UnitRecord:
    anchor = shapely.point_on_surface(geometry)
    return UnitRecord(
        code=code,
        name=name,
        level=level,
        parent_code=parent_code,
        county_code=county_code,
        boundary=geojson(geometry),
        lon=round(anchor.x, 6),
        lat=round(anchor.y, 6),
        area_km2=round(area_km2(geometry), 4),
        households=households,
        urban=urban,
        synthesized=synthesized,
    )


@dataclass
class CountyUnits:
    townships: list[UnitRecord]
    villages: list[UnitRecord]
    grids: list[UnitRecord]

    @property
    def households(self) -> int:
        return sum(t.households or 0 for t in self.townships)


def synthesize_village(
    village_code: str,
    name: str,
    geometry: Polygon | MultiPolygon,
    grids: int,
    urban: bool,
    rng: np.random.Generator,
    out: CountyUnits,
) -> int:
    """Append the village's grids to out; return the village's households."""
    low, high = URBAN_HOUSEHOLDS if urban else RURAL_HOUSEHOLDS
    total = 0
    for k, cell in enumerate(split(geometry, grids, rng), start=1):
        households = int(rng.integers(low, high + 1))
        total += households
        out.grids.append(
            record(f"{village_code}{k:03d}", f"{name}第{k}网格", "grid",
                   village_code, village_code[:6], cell, households, urban, True)
        )
    return total


def synthesize_township(
    township_code: str,
    villages: tuple[str, ...],
    geometry: Polygon | MultiPolygon,
    grids: int,
    urban: bool,
    rng: np.random.Generator,
    out: CountyUnits,
) -> int:
    """Append the township's villages and grids to out; return its households."""
    cells = split(geometry, len(villages), rng)
    per_village = apportion(grids, [village_weight(v) for v in villages])
    total = 0
    for j, (name, cell, count) in enumerate(zip(villages, cells, per_village, strict=True),
                                            start=1):
        code = f"{township_code}{j:03d}"
        households = synthesize_village(code, name, cell, count, urban, rng, out)
        total += households
        out.villages.append(
            record(code, name, "village", township_code, township_code[:6], cell,
                   households, urban, True)
        )
    return total


def synthesize_county(county: AdminArea, seed: int) -> CountyUnits:
    """The county's real townships and villages, on cells numbered north to south in the
    order of their names; grids shared out by village (communities count double)."""
    rng = np.random.default_rng([seed, int(county.code)])
    urban = is_urban(county)
    townships = place_names()[county.code]
    cells = split(county_geometry(county.code), len(townships), rng)
    per_township = apportion(
        county_grids(county),
        [sum(village_weight(v) for v in villages) for _, villages in townships],
        minimum=[len(villages) for _, villages in townships],
    )
    out = CountyUnits([], [], [])
    for i, ((name, villages), cell, count) in enumerate(
            zip(townships, cells, per_township, strict=True), start=1):
        code = f"{county.code}{i:03d}"
        households = synthesize_township(code, villages, cell, count, urban, rng, out)
        out.townships.append(
            record(code, name, "township", county.code, county.code, cell, households,
                   urban, True)
        )
    return out


def real_area_record(
    area: AdminArea, present: set[str], households: int, urban: bool
) -> UnitRecord:
    """A province, city or county row. The top row of a region has no parent in the
    list, so its parent_code is None (the units table references parents by key)."""
    parent = area.parent_code if area.parent_code in present else None
    county_code = area.code if area.level == "county" else None
    return record(area.code, area.name, area.level, parent, county_code,
                  county_geometry(area.code), households, urban, False)


def synthesize_region(region_code: str, seed: int = 7) -> list[UnitRecord]:
    """The territory of a region (the province 320000, a city or a county), parents first:
    province, cities, real counties, then synthesized townships, villages and grids."""
    areas = admin_areas()
    if region_code not in areas:
        raise KeyError(f"unknown region code {region_code}")
    counties = counties_of(region_code)
    synthesized = {c.code: synthesize_county(c, seed) for c in counties}
    city_codes = sorted({c.parent_code for c in counties if c.parent_code})
    present = set(synthesized) | set(city_codes)
    if areas[region_code].level == "province":
        present.add(region_code)

    county_rows = [
        real_area_record(c, present, synthesized[c.code].households, is_urban(c))
        for c in counties
    ]
    city_rows = [
        real_area_record(
            areas[code], present,
            sum(r.households or 0 for r in county_rows if r.parent_code == code), False,
        )
        for code in city_codes
    ]
    province_rows = [
        real_area_record(areas[region_code], present,
                         sum(r.households or 0 for r in county_rows), False)
        for _ in [region_code] if areas[region_code].level == "province"
    ]
    units = province_rows + city_rows + county_rows
    for level in ("townships", "villages", "grids"):
        for county in counties:
            units.extend(getattr(synthesized[county.code], level))
    return units
