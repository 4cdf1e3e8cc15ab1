"""The /ops builders without a browser: ids unique on the page."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from data_access.case_detail import CaseDetail, Transition
from layouts import ops_detail, ops_page

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def _detail(supervision_level: int = 0, satisfaction: str | None = None,
            transitions: list[Transition] | None = None) -> CaseDetail:
    fields = {"id": 7, "external_id": "X-1", "title": "<img src=x onerror=alert(1)>",
              "stage": "handling", "reported_at": NOW - timedelta(hours=6),
              "deadline_at": NOW + timedelta(hours=2), "extended_until": None,
              "supervision_level": supervision_level, "satisfaction": satisfaction,
              "acknowledged_at": None, "address": "和平路1号", "reporter_phone": "138****5678"}
    return CaseDetail(fields=fields, deadline_state="normal", time_left=timedelta(hours=2),
                      transitions=transitions or [], places={}, grid_boundary=None,
                      grid_workers=[])


def _walk(component):
    stack = [component]
    while stack:
        node = stack.pop()
        if isinstance(node, list | tuple):
            stack.extend(node)
        elif hasattr(node, "to_plotly_json"):
            yield node
            children = getattr(node, "children", None)
            if children is not None:
                stack.append(children)


def _ids(component) -> list[str]:
    return [node.id for node in _walk(component) if getattr(node, "id", None) is not None]


def test_every_id_on_the_page_is_unique():
    """The grid (网格) filter and the case table were both "ops-grid", the note box and the
    添加备注 button both "ops-act-note": Dash then wires the wrong component."""
    page = ops_page.layout(lang="zh")
    detail = ops_detail.detail_panel(_detail(), NOW, {"note"}, True, True, "zh", ZONE)
    ids = _ids(page) + _ids(detail)
    assert len(ids) > 30
    assert sorted(i for i in set(ids) if ids.count(i) > 1) == []
