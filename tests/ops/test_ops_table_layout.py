"""The case table's rows and columns as the grid receives them: labels, the place in one
cell, and nothing that the grid would render as HTML."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from layouts import ops_table

ZONE = ZoneInfo("Asia/Shanghai")


def test_rows_show_place_category_and_labels():
    row = {"id": 7, "external_id": "X-1", "title": "<b>井盖</b>缺失", "stage": "handling",
           "deadline_state": "overdue", "source": "hotline_12345", "priority": "urgent",
           "major_class": "urban", "subclass": "street_light", "county_name": "云龙区",
           "township_name": "第02街道", "grid_name": "第07网格",
           "reported_at": datetime(2026, 11, 18, 2, 0, tzinfo=UTC), "deadline_at": None,
           "extended_until": None, "supervision_level": 2, "responsible_unit": "城管局",
           "acknowledged_by": None}
    (out,) = ops_table.grid_rows([row], "zh", ZONE)
    assert out["place"] == "云龙区·第02街道·第07网格"
    assert out["category"] == "城市管理·路灯故障"
    assert (out["source"], out["source_code"]) == ("12345热线", "hotline_12345")
    assert out["deadline_state_code"] == "overdue"
    assert out["reported_at"] == "2026-11-18 10:00"
    assert out["title"] == "<b>井盖</b>缺失"  # raw text: the grid shows it as text


def test_columns_are_text_only_with_tooltips_on_long_text():
    defs = {d["field"]: d for d in ops_table.column_defs("zh")}
    assert not any("cellRenderer" in d for d in defs.values())
    assert {f for f, d in defs.items() if "tooltipField" in d} >= {"title", "place"}
    assert defs["category"]["colId"] == "major_class" and defs["category"]["sortable"]
