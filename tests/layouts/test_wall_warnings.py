"""The 预警 tile's builder: counts per kind, rows with expected against observed, new ones
marked (and reported for the focus), links to /ops, text escaped, an empty state."""
from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from layouts.wall import warnings

ZONE = ZoneInfo("Asia/Shanghai")
AT = 1795485600.0  # 2026-11-18 10:00 in Shanghai


def _rows() -> list[dict]:
    return [
        {"id": 7, "kind": "surge", "method": "nb_glm", "unit": "320303002",
         "place": "彭城街道", "category": "urban", "observed": 16, "expected": 4.04,
         "status": "new", "created_at": AT, "cases": 16},
        {"id": 5, "kind": "cluster", "method": "minhash", "unit": "320303001",
         "place": "<b>子房</b>街道", "category": "urban", "observed": 3, "expected": None,
         "status": "acknowledged", "created_at": AT - 3600, "cases": 3},
    ]


def _texts(component) -> str:
    return json.dumps(component.to_plotly_json(), default=lambda c: c.to_plotly_json(),
                      ensure_ascii=False)


def test_rows_counts_and_links():
    board = warnings.warning_board(_rows(), {"surge": 1, "cluster": 1}, 2, "zh", ZONE,
                                   lambda i: f"/ops/warnings?id={i}", max_rows=5)
    totals, first, second = board.children
    assert [c.children[1].children for c in totals.children] == [" 2", " 1", " 1"]
    assert first.href == "/ops/warnings?id=7" and "new" in first.className
    assert "red" in first.className
    kind, place, category, figures, when = (c.children for c in first.children)
    assert (kind, place, category, figures, when) == ("激增", "彭城街道", "城市管理",
                                                      "16 件 / 预期 4.0", "10:00")
    assert second.children[3].children == "3 件" and "new" not in second.className
    # A place name is text, never markup.
    assert second.children[1].children == "<b>子房</b>街道"
    assert warnings.new_ids(_rows()) == [7]


def test_english_and_the_row_limit_and_the_empty_state():
    board = warnings.warning_board(_rows(), {"surge": 1, "cluster": 1}, 2, "en", ZONE, str,
                                   max_rows=1)
    assert len(board.children) == 2
    assert board.children[1].children[3].children == "16 vs 4.0 expected"
    empty = warnings.warning_board([], {}, 0, "zh", ZONE, str, max_rows=5)
    assert "近24小时无预警" in _texts(empty)
