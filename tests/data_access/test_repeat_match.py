"""Fixed pairs for the repeat-complaint matcher (智能比对): paraphrases of one problem that
must be found alike, and near misses that must not — the same place with another object,
the same object at another building or another landmark, another category. Written by
hand, not by the bench's generator; if the vocabulary, the marks or the thresholds regress,
these fail."""
from __future__ import annotations

import pytest

from data_access.warnings import clusters
from data_access.warnings import complaint_text as ct
from data_access.warnings.signatures import _spots_column

CONFIG = clusters.ClusterConfig()
GRID = "320303001001001"
PLACES = ct.place_names(("云龙区", "彭城街道", "子房社区"))


def _alike(a: str, b: str, category: str = "urban", other: str = "urban") -> float | None:
    ca = clusters.TextCase(1, category, GRID, 117.2, 34.2, 1_000_000.0, a, PLACES)
    cb = clusters.TextCase(2, other, GRID, 117.2, 34.2, 1_000_000.0 + 3_600, b, PLACES)
    sa, sb = clusters.signatures([ca, cb])
    return clusters.alike(ca, cb, sa, sb, CONFIG)


SAME_PROBLEM = [
    # the same building, other words
    ("3号楼楼下的窨井盖不见了，晚上走路很危险", "三号楼楼底下井盖被人偷走了，存在安全隐患"),
    # no building; the same gate said two ways, 路灯坏了 / 路边的灯一直不亮
    ("北大门旁边的路灯坏了好几天，晚上一片漆黑",
     "您好，子房小区北门口路边的灯一直不亮，夜里出行不方便，希望早点修好"),
    # 菜场 / 农贸市场, 垃圾箱 / 垃圾桶, 没人清运 / 没人收, 臭味熏人 / 气味很大
    ("菜场边上垃圾箱满了没人清运，臭味熏人",
     "来电人反映：农贸市场旁的垃圾桶好几天没人收，气味很大，请环卫部门来清理。"),
    # 单元门前 / 楼道口, 下水道 / 排水管, 往外冒水 / 污水外溢
    ("单元门前的下水道堵住了往外冒水，臭气熏天", "楼道口排水管堵塞，污水外溢，麻烦赶紧来看看"),
    # 工地打桩 / 夜间施工, 噪音 / 噪声, the same side of the place
    ("东边工地打桩噪音太大，半夜吵得睡不着觉",
     "小区东面夜间施工噪声扰民，严重影响休息，请执法部门处理"),
]

NEAR_MISSES = [
    # the same place, another object
    ("北门口的路灯一直不亮，晚上一片漆黑", "北门口的井盖不见了，晚上一片漆黑"),
    # the same object and words, another building
    ("5号楼楼下井盖缺失，晚上行人容易踩空", "12号楼楼下井盖缺失，晚上行人容易踩空"),
    # the same object in one community, two landmarks
    ("东门的路灯坏了，晚上一片漆黑", "菜市场旁边路灯一直不亮，天黑后看不清路"),
    ("东门的路灯一直不亮，晚上一片漆黑", "菜市场旁边的路灯一直不亮，晚上一片漆黑"),
    # one building, two spots of it: the building alone does not make them one problem
    ("二十二号楼楼跟前污水井堵住了往外冒水，路面全是污水",
     "22栋幼儿园那里的排水管排水不畅，积水越来越多"),
    # the same object, one names a landmark, the other a different unit of a building
    ("3号楼2单元门口下水道堵了", "3号楼5单元门口下水道堵了"),
]


@pytest.mark.parametrize(("a", "b"), SAME_PROBLEM)
def test_paraphrases_of_one_problem_are_alike(a, b):
    assert _alike(a, b) is not None
    assert _alike(b, a) is not None


@pytest.mark.parametrize(("a", "b"), NEAR_MISSES)
def test_near_misses_are_not(a, b):
    assert _alike(a, b) is None
    assert _alike(b, a) is None


def test_two_landmarks_need_a_near_copy():
    """Naming two different landmarks is not a veto (a caller may name the gate once and
    the market beside it the next time): the words must then be a near copy (≥ 0.7)."""
    copy = ("北大门旁边的路灯坏了好几天，晚上一片漆黑", "菜市场旁边的路灯坏了好几天，晚上一片漆黑")
    assert _alike(*copy) is not None and _alike(*copy) >= CONFIG.other_place_threshold
    assert CONFIG.other_place_threshold > CONFIG.threshold > CONFIG.place_threshold


def test_another_category_is_never_alike_even_word_for_word():
    text = "北门口的路灯一直不亮，晚上一片漆黑"
    assert _alike(text, text) is not None
    assert _alike(text, text, other="safety") is None


def test_vocabulary_is_said_one_way():
    assert ct.content("窨井盖不见了") == ct.content("井盖被人偷走了") == "井盖缺失"
    assert ct.content("路灯坏了") == ct.content("路边的灯一直不亮") == "路灯不亮"
    assert ct.content("农贸市场旁边") == ct.content("菜场边上") == "菜市场旁"
    # a canonical word is not read again as a shorter variant (菜市场 is not 菜市 + 场)
    assert ct.content("菜市场旁边") == "菜市场旁"
    assert ct.content("北大门") == ct.content("北门那里") == ct.content("北门口") != ""
    # requests and asides say nothing of the problem
    assert ct.content("已经打过好几次电话了，井盖缺失，请有关部门赶紧补上") == "井盖缺失"
    assert ct.content("井盖缺失 麻烦尽快派人来看看") == "井盖缺失"
    # but a record without punctuation that opens with 请 keeps its problem
    assert ct.content("请相关部门来看下北门口的井盖被人偷走了晚上很危险") != ""
    # without the table the words stay as said
    assert ct.content("窨井盖不见了", vocabulary=False) == "窨井盖不见了"


def test_marks_objects_and_landmarks():
    assert ct.marks("北大门旁边的路灯坏了") == {"obj:路灯", "place:北门"}
    assert ct.marks("菜场边上垃圾箱满了") == {"obj:垃圾", "place:菜市场"}
    assert ct.marks("子房社区有人反映情况", PLACES) == frozenset()
    # objects disagree only when both name one and none is the same
    assert not ct.spots_agree(ct.marks("路灯不亮"), ct.marks("井盖缺失"))
    assert ct.spots_agree(ct.marks("井盖被水顶开，下水道堵塞"), ct.marks("下水道堵了"))
    assert ct.spots_agree(ct.marks("路灯不亮"), ct.marks("晚上一片漆黑"))
    # landmarks never veto by themselves (clusters.alike raises the threshold instead)
    assert ct.spots_agree(ct.marks("北门"), ct.marks("东门"))


def test_a_cluster_takes_the_paraphrase_not_the_near_miss():
    texts = ["北大门旁边的路灯坏了好几天，晚上一片漆黑",
             "北门口的井盖不见了，晚上一片漆黑",           # same place, another object
             "子房小区北门口路边的灯一直不亮，夜里出行不方便",
             "菜市场旁边路灯一直不亮，天黑后看不清路",     # same object, another landmark
             "北门那里的路灯晚上不亮，老人晚上不敢出门"]
    cases = [clusters.TextCase(i + 1, "urban", GRID, 117.2, 34.2, 1_000_000.0 + i * 3_600, t,
                               PLACES) for i, t in enumerate(texts)]
    placed = clusters.assign(list(zip(cases, clusters.signatures(cases), strict=True)),
                             clusters.Neighbourhood(), CONFIG)
    assert {m.case.id: m.cluster_id for m, _s in placed} == {1: 1, 2: 2, 3: 1, 4: 4, 5: 1}


def test_the_spots_column_keeps_whole_marks_numbered_first():
    marks = frozenset({"building:5", "obj:路灯"} | {f"place:地标{i:03d}" for i in range(60)})
    kept = _spots_column(marks, width=60)
    assert len(kept) <= 60
    parts = kept.split(",")
    assert "building:5" in parts and "obj:路灯" in parts
    assert all(p in marks for p in parts)  # none cut in the middle
    assert _spots_column(frozenset()) == ""
