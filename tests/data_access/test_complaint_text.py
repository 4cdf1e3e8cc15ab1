"""What of a report's text the repeat-complaint test compares: the content without place
names and channel boilerplate, numbered spots in Arabic numerals, and the spot agreement
that tells two buildings' problems apart."""
from __future__ import annotations

import pytest

from data_access.warnings import complaint_text as ct


@pytest.mark.parametrize(("text", "number"), [
    ("5", 5), ("一", 1), ("十", 10), ("十二", 12), ("二十", 20), ("二十七", 27),
    ("三百零五", 305), ("两", 2), ("号", None)])
def test_chinese_numbers(text, number):
    assert ct.chinese_number(text) == number


def test_spots_are_read_whatever_the_writing():
    assert ct.spots("和平路12号楼下井盖缺失") == {"building:12"}
    assert ct.spots("十二号楼楼下") == {"building:12"}
    assert ct.spots("１２栋三单元门口") == {"building:12", "unit:3"}
    assert ct.spots("王庄村二组15号") == {"group:2", "house:15"}
    assert ct.spots("文化路44号") == {"house:文化路44"}
    assert not ct.spots_agree(ct.spots("文化路44号"), ct.spots("复兴路44号"))
    village = ct.place_names(("五号井社区",))
    assert ct.spots("五号井社区光明路233号", village) == {"house:光明路233"}
    assert ct.spots("小区东门路灯不亮") == frozenset()


def test_spots_agree_unless_both_name_a_kind_and_no_number_in_common():
    five, twelve = ct.spots("5号楼"), ct.spots("12栋")
    assert not ct.spots_agree(five, twelve)
    assert ct.spots_agree(five, ct.spots("五号楼"))
    assert ct.spots_agree(five, frozenset())  # one says no building: text decides
    assert ct.spots_agree(ct.spots("5号楼"), ct.spots("3单元"))  # different kinds


def test_content_strips_places_boilerplate_and_punctuation():
    places = ct.place_names(("云龙区", "彭城街道", "子房社区"))
    assert set(places[:2]) == {"彭城街道", "子房社区"}
    assert "子房" in places and "彭城" in places and "云龙" in places
    text = "来电人反映：云龙区彭城街道子房社区和平路五十七号，窨井盖缺失。请相关部门尽快处理。"
    assert ct.content(text, places) == "和平路57号井盖缺失"  # 窨井盖 is 井盖
    # Callers say 子房小区 for 子房社区; sides of a place are one wording.
    assert ct.content("子房小区3号楼东边", places) == ct.content("子房社区三号楼东面", places)


def test_bigram_shingles_of_the_content():
    assert ct.shingles("您好，井盖缺失！", k=2) == {"井盖", "盖缺", "缺失"}
    assert ct.shingles("井", k=2) == {"井"}
    assert ct.shingles("请尽快处理。", k=2) == set()
