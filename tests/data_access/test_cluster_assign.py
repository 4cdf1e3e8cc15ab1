"""Placing reports in clusters (clusters.assign), without a database: a paraphrase joins
the cluster of the report it is most alike, a report naming another building starts its own
even when its words are the same, a report never joins through a case an officer unlinked,
and the neighbourhood holds only the same category's reports nearby."""
from __future__ import annotations

from data_access.warnings import clusters

CONFIG = clusters.ClusterConfig()
GRID = "320303001001001"
DAY = 86_400.0


def _case(i: int, text: str, grid: str = GRID, category: str = "urban", day: float = 0.0,
          lon: float = 117.2, lat: float = 34.2) -> clusters.TextCase:
    return clusters.TextCase(i, category, grid, lon, lat, 1_000_000 + day * DAY + i, text)


def _place(cases, excluded=frozenset()) -> dict[int, int]:
    sigs = clusters.signatures(cases)
    placed = clusters.assign(list(zip(cases, sigs, strict=True)), clusters.Neighbourhood(),
                             CONFIG, excluded)
    return {m.case.id: m.cluster_id for m, _s in placed}


def test_paraphrases_join_and_another_building_starts_its_own():
    cases = [_case(1, "和平路12号楼下井盖缺失，晚上行人容易踩空"),
             _case(2, "十二号楼楼下的窨井盖不见了，夜里走路很危险"),
             _case(3, "和平路15号楼下井盖缺失，晚上行人容易踩空"),
             _case(4, "12栋楼下井盖丢了好几天，请尽快处理")]
    assert _place(cases) == {1: 1, 2: 1, 3: 3, 4: 1}


def test_other_category_far_away_or_too_late_never_joins():
    text = "和平路12号楼下井盖缺失，晚上行人容易踩空"
    cases = [_case(1, text), _case(2, text, category="safety"),
             _case(3, text, grid="320303002001001", lon=117.4),
             _case(4, text, day=15), _case(5, text, day=1)]
    assert _place(cases) == {1: 1, 2: 2, 3: 3, 4: 4, 5: 1}


def test_no_report_joins_through_an_unlinked_case():
    cases = [_case(1, "解放路垃圾桶满了没人清运，臭味熏人"),
             _case(2, "幸福路上的路灯一直不亮，晚上一片漆黑"),
             _case(3, "幸福路上的路灯一直不亮了，晚上一片漆黑，请尽快维修")]
    assert _place(cases) == {1: 1, 2: 2, 3: 2}
    assert _place(cases, excluded=frozenset({2})) == {1: 1, 2: 2, 3: 3}


def test_cells_cover_a_kilometre():
    a = clusters.cell(117.2000, 34.2000)
    east = clusters.cell(117.2000 + 1.0 / (111.2 * 0.827), 34.2000)  # 1 km east
    north = clusters.cell(117.2000, 34.2000 + 1.0 / 111.2)
    assert east in clusters.cells_around(117.2000, 34.2000)
    assert north in clusters.cells_around(117.2000, 34.2000)
    assert a != east
    assert clusters.cell(None, 34.2) == "" and clusters.cells_around(None, None) == []
