"""Importing a center's own township, village or grid boundaries (`govwall geo import`).

The file is a GeoJSON FeatureCollection; each feature has properties `code`, `name` and
optionally `households` and `parent_code`. Features replace the name, geometry and
households of the units with the same code and add the others; nothing is deleted.
Everything is checked before anything is written, and the whole import is one
transaction: on any problem the database is left exactly as it was.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry import shape
from shapely.validation import explain_validity
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from data_access.db import transaction
from data_access.models import Unit
from data_access.territory_synth import area_km2
from data_access.vocabulary import CODE_LENGTH, LEVELS

IMPORTABLE_LEVELS = ("township", "village", "grid")
OUTSIDE_TOLERANCE = 0.01  # share of a feature's area allowed outside its parent (edge noise)
MAX_NAME = Unit.__table__.c.name.type.length  # what the units table holds
MAX_REPORTED = 20  # problems listed in one error; more would drown the first ones


class GeoImportError(ValueError):
    """The file cannot be imported; the message says which features and why."""


@dataclass(frozen=True)
class ImportResult:
    level: str
    inserted: int
    updated: int


@dataclass(frozen=True)
class Feature:
    index: int
    code: str
    name: str
    households: int | None
    geometry: shapely.Geometry
    geojson: dict


def import_boundaries(
    session_factory: sessionmaker[Session], path: Path, level: str
) -> ImportResult:
    if level not in IMPORTABLE_LEVELS:
        raise GeoImportError(f"level must be one of {', '.join(IMPORTABLE_LEVELS)}, not {level!r}")
    features = parse_features(read_collection(path), level)
    with transaction(session_factory) as session:
        parents = check_parents(session, features, level)
        existing = set(
            session.scalars(select(Unit.code).where(Unit.code.in_([f.code for f in features])))
        )
        write(session, features, level, parents, existing)
    inserted = sum(f.code not in existing for f in features)
    return ImportResult(level, inserted=inserted, updated=len(features) - inserted)


def read_collection(path: Path) -> list:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise GeoImportError(f"{path}: cannot read it as JSON ({error})") from error
    except RecursionError as error:  # e.g. "[" * 100000: no boundary nests that deep
        raise GeoImportError(f"{path}: cannot read it as JSON (nested too deeply)") from error
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise GeoImportError(f"{path}: not a GeoJSON FeatureCollection")
    if not isinstance(data.get("features"), list) or not data["features"]:
        raise GeoImportError(f"{path}: the FeatureCollection has no features")
    return data["features"]


def fail_if_any(problems: list[str]) -> None:
    if not problems:
        return
    shown = problems[:MAX_REPORTED]
    more = len(problems) - len(shown)
    tail = [f"... and {more} more"] if more else []
    raise GeoImportError(
        f"{len(problems)} problem(s), nothing was imported:\n" + "\n".join(shown + tail)
    )


def parse_features(raw_features: list, level: str) -> list[Feature]:
    problems: list[str] = []
    features: list[Feature] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_features):
        try:
            feature = parse_feature(index, raw, level)
        except GeoImportError as error:
            problems.append(str(error))
            continue
        if feature.code in seen:
            problems.append(
                f"feature {index} (code {feature.code}): duplicate code, "
                f"already used by feature {seen[feature.code]}"
            )
            continue
        seen[feature.code] = index
        features.append(feature)
    fail_if_any(problems)
    return features


def parse_feature(index: int, raw: object, level: str) -> Feature:
    where = f"feature {index}"
    if not isinstance(raw, dict) or not isinstance(raw.get("properties"), dict):
        raise GeoImportError(f"{where}: not a GeoJSON Feature with properties")
    properties = raw["properties"]
    code = properties.get("code")
    code = str(code) if isinstance(code, (str, int)) and not isinstance(code, bool) else ""
    where = f"feature {index} (code {code or 'missing'})"
    length = CODE_LENGTH[level]
    if not (code.isdigit() and len(code) == length):
        raise GeoImportError(f"{where}: a {level} code must be {length} digits")
    parent_code = properties.get("parent_code")
    if parent_code is not None and str(parent_code) != code[:-3]:
        raise GeoImportError(
            f"{where}: parent_code {parent_code} does not match the code's prefix {code[:-3]}"
        )
    name = properties.get("name")
    if not isinstance(name, str) or not name.strip():
        raise GeoImportError(f"{where}: missing name")
    if len(name.strip()) > MAX_NAME:
        raise GeoImportError(f"{where}: name longer than {MAX_NAME} characters")
    households = properties.get("households")
    if households is not None and (
        not isinstance(households, int) or isinstance(households, bool) or households < 0
    ):
        raise GeoImportError(f"{where}: households must be a whole number >= 0")
    geometry = parse_geometry(where, raw.get("geometry"))
    return Feature(index, code, name.strip(), households, geometry, raw["geometry"])


def parse_geometry(where: str, geojson: object) -> shapely.Geometry:
    if not isinstance(geojson, dict) or geojson.get("type") not in ("Polygon", "MultiPolygon"):
        kind = geojson.get("type") if isinstance(geojson, dict) else "no geometry"
        raise GeoImportError(f"{where}: geometry must be a Polygon or MultiPolygon, not {kind}")
    try:
        geometry = shape(geojson)
    except (ValueError, TypeError, IndexError, KeyError, shapely.errors.ShapelyError) as error:
        raise GeoImportError(f"{where}: malformed coordinates ({error})") from error
    if geometry.is_empty:
        raise GeoImportError(f"{where}: empty geometry")
    if not geometry.is_valid:
        raise GeoImportError(f"{where}: invalid geometry ({explain_validity(geometry)})")
    return geometry


def parent_level(level: str) -> str:
    return LEVELS[LEVELS.index(level) - 1]


def check_parents(session: Session, features: list[Feature], level: str) -> dict[str, Unit]:
    """The parent units, after checking each feature has one and lies within it."""
    wanted = {f.code[:-3] for f in features}
    parents = {
        unit.code: unit
        for unit in session.scalars(
            select(Unit).where(Unit.level == parent_level(level), Unit.code.in_(wanted))
        )
    }
    problems: list[str] = []
    for feature in features:
        where = f"feature {feature.index} (code {feature.code})"
        parent = parents.get(feature.code[:-3])
        if parent is None:
            problems.append(f"{where}: no {parent_level(level)} {feature.code[:-3]} to belong to")
        elif parent.boundary:
            outside = feature.geometry.difference(shape(json.loads(parent.boundary))).area
            if outside > OUTSIDE_TOLERANCE * feature.geometry.area:
                share = outside / feature.geometry.area
                problems.append(f"{where}: {share:.1%} of it lies outside {parent.code}")
    fail_if_any(problems)
    return parents


def unit_values(feature: Feature) -> dict:
    anchor = shapely.point_on_surface(feature.geometry)
    values = {
        "code": feature.code,
        "name": feature.name,
        "boundary": json.dumps(feature.geojson, separators=(",", ":"), ensure_ascii=False),
        "lon": round(anchor.x, 6),
        "lat": round(anchor.y, 6),
        "area_km2": round(area_km2(feature.geometry), 4),
        "synthesized": False,
    }
    if feature.households is not None:
        values["households"] = feature.households
    return values


def write(
    session: Session,
    features: list[Feature],
    level: str,
    parents: dict[str, Unit],
    existing: set[str],
) -> None:
    updates = [unit_values(f) for f in features if f.code in existing]
    inserts = [
        unit_values(f)
        | {
            "level": level,
            "parent_code": f.code[:-3],
            "county_code": f.code[:6],
            "urban": parents[f.code[:-3]].urban,
            "households": f.households,
        }
        for f in features
        if f.code not in existing
    ]
    if updates:
        # Rows in one executemany must share keys; split by whether households is given.
        for with_households in (True, False):
            batch = [u for u in updates if ("households" in u) == with_households]
            if batch:
                session.execute(update(Unit), batch)
    if inserts:
        session.execute(insert(Unit), inserts)
