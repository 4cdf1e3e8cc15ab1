"""The synthesized territory: real names, Xuzhou's published grid count, exact nesting,
determinism."""
from __future__ import annotations

import re
from collections import Counter

import pytest
import shapely
from shapely.geometry import shape

from data_access.geography import admin_areas
from data_access.territory_synth import UnitRecord, apportion, place_names, synthesize_region
from data_access.vocabulary import CODE_LENGTH

XUZHOU = "320300"
TILING_COUNTIES = ("320302", "320305", "320321")  # a city core, a large district, a county


@pytest.fixture(scope="module")
def xuzhou_units() -> list[UnitRecord]:
    return synthesize_region(XUZHOU, seed=7)


def by_level(units: list[UnitRecord], level: str, county: str | None = None) -> list[UnitRecord]:
    return [u for u in units if u.level == level and (county is None or u.county_code == county)]


def test_xuzhou_has_its_real_units_and_published_grids(xuzhou_units):
    levels = Counter(u.level for u in xuzhou_units)
    assert levels["city"] == 1 and "province" not in levels
    assert levels["county"] == 10
    # jionlp lists 184 township-level units and 2,835 villages/communities; 13 units have
    # no residents' committee (zones, farms, a forest farm) and 14 communities are virtual.
    assert levels["township"] == 171
    assert levels["village"] == 2_821
    assert abs(levels["grid"] - 10_840) <= 0.03 * 10_840
    assert 3 <= levels["grid"] / levels["village"] <= 6


def test_townships_and_villages_carry_their_real_names(xuzhou_units):
    yunlong = {u.name for u in by_level(xuzhou_units, "township", "320303")}
    assert yunlong == {"彭城街道", "子房街道", "黄山街道", "大郭庄街道", "翠屏山街道",
                       "骆驼山街道", "大龙湖街道", "潘塘街道"}
    # The development zone's streets join 铜山区: it has no boundary of its own.
    assert {"金山桥街道", "大黄山街道"} <= {u.name for u in by_level(xuzhou_units, "township",
                                                                 "320312")}
    invented = re.compile(r"第\d+(街道|镇|乡|村|社区)")
    assert not [u.name for u in xuzhou_units if invented.search(u.name)]
    names = {u.code: u.name for u in xuzhou_units}
    pengcheng = next(u.code for u in by_level(xuzhou_units, "township", "320303")
                     if u.name == "彭城街道")
    villages = [u for u in by_level(xuzhou_units, "village") if u.parent_code == pengcheng]
    assert [v.name for v in villages] == list(dict(place_names()["320303"])["彭城街道"])
    assert all(v.name.endswith(("社区", "村")) for v in villages)
    for grid in by_level(xuzhou_units, "grid", "320303"):
        assert re.fullmatch(re.escape(names[grid.parent_code]) + r"第\d+网格", grid.name)
        assert grid.name.endswith(f"第{int(grid.code[-3:])}网格")


def test_every_county_of_the_province_has_names():
    counties = {a.code for a in admin_areas().values() if a.level == "county"}
    names = place_names()
    assert set(names) == counties
    for townships in names.values():
        assert townships and all(villages for _, villages in townships)
        assert len({t for t, _ in townships}) == len(townships)


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


def test_communities_get_more_grids_than_villages(xuzhou_units):
    grids = Counter(u.parent_code for u in by_level(xuzhou_units, "grid"))
    by_township: dict[str, dict[bool, list[int]]] = {}
    for village in by_level(xuzhou_units, "village"):
        kinds = by_township.setdefault(village.parent_code, {True: [], False: []})
        kinds[village.name.endswith("社区")].append(grids[village.code])
    mixed = [kinds for kinds in by_township.values() if kinds[True] and kinds[False]]
    assert len(mixed) > 50
    for kinds in mixed:
        assert min(kinds[True]) >= max(kinds[False]) >= 1
    assert set(grids) == {v.code for v in by_level(xuzhou_units, "village")}


def test_households_and_flags(xuzhou_units):
    gulou_township = by_level(xuzhou_units, "township", "320302")[0]
    feng_township = by_level(xuzhou_units, "township", "320321")[0]
    assert gulou_township.urban and not feng_township.urban
    for grid in by_level(xuzhou_units, "grid"):
        assert grid.synthesized
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


def test_apportion_respects_a_minimum_per_share():
    assert apportion(10, [1, 1], minimum=[7, 1]) == [8, 2]
    assert apportion(12, [1, 0, 1], minimum=[2, 5, 1]) == [4, 5, 3]
