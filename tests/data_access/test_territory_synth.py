"""The synthesized territory: Xuzhou's published counts, exact nesting, determinism."""
from __future__ import annotations

from collections import Counter

import pytest
import shapely
from shapely.geometry import shape

from data_access.territory_synth import UnitRecord, apportion, synthesize_region
from data_access.vocabulary import CODE_LENGTH

XUZHOU = "320300"
TILING_COUNTIES = ("320302", "320305", "320321")  # a city core, a large district, a county


@pytest.fixture(scope="module")
def xuzhou_units() -> list[UnitRecord]:
    return synthesize_region(XUZHOU, seed=7)


def by_level(units: list[UnitRecord], level: str, county: str | None = None) -> list[UnitRecord]:
    return [u for u in units if u.level == level and (county is None or u.county_code == county)]


def test_xuzhou_matches_the_published_counts(xuzhou_units):
    levels = Counter(u.level for u in xuzhou_units)
    assert levels["city"] == 1 and "province" not in levels
    assert levels["county"] == 10
    assert levels["township"] == 165
    assert abs(levels["grid"] - 10_840) <= 0.03 * 10_840
    assert 3 <= levels["grid"] / levels["village"] <= 6


def test_codes_nest_and_parents_come_first(xuzhou_units):
    seen: set[str] = set()
    for unit in xuzhou_units:
        assert len(unit.code) == CODE_LENGTH[unit.level] and unit.code.isdigit()
        if unit.level in ("township", "village", "grid"):
            assert unit.code[:-3] == unit.parent_code
            assert unit.code[:6] == unit.county_code
        assert unit.parent_code is None or unit.parent_code in seen
        seen.add(unit.code)
    assert len(seen) == len(xuzhou_units)


def test_names_households_and_flags(xuzhou_units):
    gulou_township = by_level(xuzhou_units, "township", "320302")[0]
    feng_township = by_level(xuzhou_units, "township", "320321")[0]
    assert gulou_township.name == "第01街道" and gulou_township.urban
    assert feng_township.name == "第01镇" and not feng_township.urban
    assert by_level(xuzhou_units, "village", "320321")[0].name.endswith("村")
    for grid in by_level(xuzhou_units, "grid"):
        assert grid.synthesized and grid.name.endswith("网格")
        assert (300 <= grid.households <= 500) if grid.urban else (250 <= grid.households <= 350)
    county = by_level(xuzhou_units, "county", "320302")[0]
    assert not county.synthesized and county.name == "鼓楼区"
    grids_households = sum(g.households for g in by_level(xuzhou_units, "grid", "320302"))
    assert county.households == grids_households


@pytest.mark.parametrize("county_code", TILING_COUNTIES)
def test_each_level_tiles_the_county(xuzhou_units, county_code):
    county = shape(by_level(xuzhou_units, "county", county_code)[0].boundary)
    for level in ("township", "village", "grid"):
        cells = [shape(u.boundary) for u in by_level(xuzhou_units, level, county_code)]
        assert all(c.geom_type in ("Polygon", "MultiPolygon") for c in cells)
        assert all(c.is_valid and not c.is_empty for c in cells)
        union = shapely.union_all(cells)
        assert union.area == pytest.approx(county.area, rel=0.005)
        assert county.symmetric_difference(union).area < 0.005 * county.area
        overlap = sum(c.area for c in cells) - union.area
        assert overlap < 0.001 * county.area


def test_grids_lie_in_their_village(xuzhou_units):
    villages = {u.code: shape(u.boundary) for u in by_level(xuzhou_units, "village", "320302")}
    for grid in by_level(xuzhou_units, "grid", "320302"):
        cell = shape(grid.boundary)
        outside = cell.difference(villages[grid.parent_code]).area
        assert outside < 0.01 * cell.area


def test_same_seed_same_territory(xuzhou_units):
    again = synthesize_region("320302", seed=7)
    mine = [u for u in xuzhou_units if u.county_code == "320302"]
    assert [u.code for u in again[1:]] == [u.code for u in mine]
    assert again[1:] == mine  # a county alone equals the same county inside its city
    other = synthesize_region("320302", seed=8)
    assert [u.boundary for u in other[2:6]] != [u.boundary for u in again[2:6]]


def test_a_county_is_a_fraction_of_its_city(xuzhou_units):
    single = synthesize_region("320381")  # 新沂市, an average rural county-level city
    assert [u.level for u in single[:2]] == ["city", "county"]
    assert single[0].parent_code is None and single[1].parent_code == XUZHOU
    grids = len(by_level(single, "grid"))
    assert 0.05 * 10_840 < grids < 0.2 * 10_840


def test_unknown_region_is_refused():
    with pytest.raises(KeyError):
        synthesize_region("329999")


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (10, [1, 1], [5, 5]),
        (10, [3, 1], [7, 3]),
        (7, [1, 1, 1], [3, 2, 2]),
        (3, [9, 1, 1], [1, 1, 1]),
    ],
)
def test_apportion_is_exact_and_respects_the_minimum(total, weights, expected):
    assert apportion(total, weights) == expected
