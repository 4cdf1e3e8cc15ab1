"""Importing boundaries: a good file lands in one go; every bad one changes nothing."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from shapely.geometry import box, mapping, shape
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data_access.db import make_engine, session_factory, transaction
from data_access.geo_import import GeoImportError, import_boundaries
from data_access.migrate import upgrade
from data_access.models import GridWorker, Unit
from data_access.territory_store import (
    TerritoryExists,
    create_grid_workers,
    replace_territory,
    units_count_by_level,
)
from data_access.territory_synth import UnitRecord, synthesize_region

COUNTY = "320303"  # 云龙区: small, so the fixture stays quick


@pytest.fixture(scope="module")
def geo_county_units() -> list[UnitRecord]:
    return synthesize_region(COUNTY, seed=7)


@pytest.fixture
def geo_db(tmp_path, geo_county_units) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'geo.db'}")
    upgrade(engine)
    factory = session_factory(engine)
    with transaction(factory) as session:
        replace_territory(session, geo_county_units)
    yield factory
    engine.dispose()


def units_checksum(factory: sessionmaker[Session]) -> str:
    digest = hashlib.sha256()
    with factory() as session:
        for unit in session.scalars(select(Unit).order_by(Unit.code)):
            digest.update(repr([getattr(unit, c.key) for c in Unit.__table__.columns]).encode())
    return digest.hexdigest()


def first_unit(factory: sessionmaker[Session], level: str) -> Unit:
    with factory() as session:
        return session.scalars(select(Unit).where(Unit.level == level).order_by(Unit.code)).first()


def feature(code: str, geometry: dict | None, **properties) -> dict:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": f"导入{code[-3:]}", **properties},
        "geometry": geometry,
    }


def write_collection(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def shrunk(unit: Unit) -> dict:
    """A geometry safely inside the unit: its boundary pulled in a little."""
    return mapping(shape(json.loads(unit.boundary)).buffer(-0.0002))


def test_store_refuses_a_second_territory_and_adds_workers(geo_db, geo_county_units):
    with transaction(geo_db) as session:
        counts = units_count_by_level(session)
        with pytest.raises(TerritoryExists):
            replace_territory(session, geo_county_units)
        workers = create_grid_workers(session, seed=3)
    assert counts["county"] == 1 and counts["grid"] == len(
        [u for u in geo_county_units if u.level == "grid"]
    )
    assert 2.2 * counts["grid"] < workers < 2.6 * counts["grid"]
    with geo_db() as session:
        sample = session.scalars(select(GridWorker).order_by(GridWorker.code)).first()
    assert sample.code == f"W{sample.grid_code}01"
    assert len(sample.phone) == 11 and sample.phone.startswith("1") and sample.phone.isdigit()
    assert 2 <= len(sample.name) <= 3


def test_a_valid_file_updates_and_inserts(geo_db, tmp_path):
    grid = first_unit(geo_db, "grid")
    village = grid.parent_code
    new_code = f"{village}099"
    path = write_collection(
        tmp_path / "grids.geojson",
        [
            feature(grid.code, shrunk(grid), households=420),
            feature(new_code, shrunk(grid), parent_code=village),
        ],
    )
    result = import_boundaries(geo_db, path, "grid")
    assert (result.inserted, result.updated) == (1, 1)
    with geo_db() as session:
        updated = session.get(Unit, grid.code)
        added = session.get(Unit, new_code)
    assert updated.households == 420 and updated.name == f"导入{grid.code[-3:]}"
    assert shape(json.loads(updated.boundary)).area < shape(json.loads(grid.boundary)).area
    assert not updated.synthesized
    assert added.parent_code == village and added.county_code == COUNTY and added.urban
    assert added.area_km2 > 0


def test_an_update_without_households_keeps_them(geo_db, tmp_path):
    township = first_unit(geo_db, "township")
    path = write_collection(tmp_path / "t.geojson", [feature(township.code, shrunk(township))])
    assert import_boundaries(geo_db, path, "township").updated == 1
    with geo_db() as session:
        assert session.get(Unit, township.code).households == township.households


def bad_cases(grid: Unit, other_grid: Unit) -> dict[str, tuple[list[dict], str]]:
    """name -> (features, text the error must contain)."""
    inside = shrunk(grid)
    far_away = mapping(box(100.0, 20.0, 100.01, 20.01))
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    orphan = "320303999001001"
    return {
        "short code": ([feature(grid.code[:-1], inside)], grid.code[:-1]),
        "letters in code": ([feature(grid.code[:-1] + "x", inside)], grid.code[:-1] + "x"),
        "wrong parent_code": (
            [feature(grid.code, inside, parent_code="320303001")], "parent_code"
        ),
        "missing parent": ([feature(orphan, inside)], orphan),
        "duplicate": ([feature(grid.code, inside), feature(grid.code, inside)], "duplicate"),
        "no geometry": ([feature(grid.code, None)], grid.code),
        "a point": ([feature(grid.code, {"type": "Point", "coordinates": [117, 34]})], "Point"),
        "self-intersecting": ([feature(grid.code, bowtie)], "Self-intersection"),
        "outside parent": ([feature(grid.code, far_away)], "outside"),
        "name too long": ([feature(grid.code, inside, name="某" * 65)], "longer than 64"),
        "good then bad": (
            [feature(other_grid.code, shrunk(other_grid)), feature(grid.code, far_away)],
            grid.code,
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "short code", "letters in code", "wrong parent_code", "missing parent", "duplicate",
        "no geometry", "a point", "self-intersecting", "outside parent", "name too long",
        "good then bad",
    ],
)
def test_a_bad_file_changes_nothing(geo_db, tmp_path, case):
    with geo_db() as session:
        grids = session.scalars(
            select(Unit).where(Unit.level == "grid").order_by(Unit.code).limit(2)
        ).all()
    features, expected = bad_cases(grids[0], grids[1])[case]
    path = write_collection(tmp_path / "bad.geojson", features)
    before = units_checksum(geo_db)
    with pytest.raises(GeoImportError) as raised:
        import_boundaries(geo_db, path, "grid")
    assert expected in str(raised.value)
    if case != "no geometry":
        assert "feature " in str(raised.value)
    assert units_checksum(geo_db) == before


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "cannot read it as JSON"),
        ('{"type": "Feature", "geometry": null}', "not a GeoJSON FeatureCollection"),
        ('{"type": "FeatureCollection", "features": []}', "no features"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_an_unreadable_file_is_refused(geo_db, tmp_path, content, expected):
    path = tmp_path / "broken.geojson"
    path.write_text(content, "utf-8")
    before = units_checksum(geo_db)
    with pytest.raises(GeoImportError, match=expected):
        import_boundaries(geo_db, path, "village")
    assert units_checksum(geo_db) == before


def test_an_unknown_level_is_refused(geo_db, tmp_path):
    with pytest.raises(GeoImportError, match="level"):
        import_boundaries(geo_db, tmp_path / "x.geojson", "county")
