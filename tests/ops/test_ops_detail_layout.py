"""The /ops builders without a browser: ids unique on the page, the action selectors showing
the case's state, officers' text kept as text in plotly labels, Chinese words in the widgets
and on the timeline's axis."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from data_access.case_detail import CaseDetail, Transition
from layouts import ops_detail, ops_page, ops_timeline
from layouts.i18n.widgets import DROPDOWN, GRID, dropdown_labels, grid_locale

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
LINK = '<a href="https://example.invalid/">x</a>'


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


def _find(component, wanted: str):
    return next(node for node in _walk(component) if getattr(node, "id", None) == wanted)


def test_every_id_on_the_page_is_unique():
    """The grid (网格) filter and the case table were both "ops-grid", the note box and the
    添加备注 button both "ops-act-note": Dash then wires the wrong component."""
    page = ops_page.layout(lang="zh")
    detail = ops_detail.detail_panel(_detail(), NOW, {"note"}, True, True, "zh", ZONE)
    ids = _ids(page) + _ids(detail)
    assert len(ids) > 30
    assert sorted(i for i in set(ids) if ids.count(i) > 1) == []


@pytest.mark.parametrize(("level", "chosen", "enabled"), [
    (0, 1, [1, 2, 3]), (2, 2, [2, 3]), (3, 3, [3])])
def test_the_supervision_selector_starts_at_the_cases_level(level, chosen, enabled):
    panel = ops_detail.action_panel(_detail(level).fields, {"supervise"}, True, "zh")
    selector = _find(panel, "ops-act-level")
    assert selector.value == chosen
    assert [o["value"] for o in selector.options if not o["disabled"]] == enabled
    assert not selector.disabled


def test_selectors_show_a_followed_up_case_and_lock_what_is_not_allowed():
    panel = ops_detail.action_panel(_detail(2, "basically").fields, {"note"}, True, "zh")
    assert _find(panel, "ops-act-satisfaction").value == "basically"
    assert _find(panel, "ops-act-satisfaction").disabled
    assert _find(panel, "ops-act-level").disabled
    assert _find(panel, "ops-act-note").disabled is False  # the 添加备注 button


def test_a_kept_confirmation_is_shown_in_the_new_panel():
    panel = ops_detail.action_panel(_detail().fields, {"note"}, True, "zh",
                                    done="添加备注 · 已记录 10:00")
    assert _find(panel, ops_detail.DONE_ID).children == "添加备注 · 已记录 10:00"
    assert _find(panel, "ops-action-result").children is not None
    assert _find(ops_detail.action_panel(_detail().fields, {"note"}, True, "zh"),
                 "ops-action-result").children is None


def test_done_text_names_the_level_or_outcome_and_the_local_time():
    at = datetime(2026, 11, 18, 14, 5)
    assert ops_detail.done_text("supervise", 3, None, at, "zh") == "督办(挂牌督办) · 已记录 14:05"
    assert ops_detail.done_text("followup", None, "satisfied", at, "en") == \
        "Record follow-up (Satisfied) · Recorded 14:05"


def test_officers_text_in_plotly_labels_is_escaped():
    transitions = [
        Transition(NOW - timedelta(hours=6), "stage", None, "reported", None, "a&b<i>", None),
        Transition(NOW - timedelta(hours=1), "note", None, None, None, "duty", LINK),
        Transition(NOW, "supervision", None, None, 2, "duty", "1 < 2 & 3 > 2"),
    ]
    fig = ops_timeline.timeline_figure(transitions, NOW + timedelta(hours=2), NOW, "zh", ZONE)
    stage_hover = fig.data[0].hovertext[0]
    note_hover, order_hover = fig.data[1].hovertext
    assert stage_hover == "上报 · a&amp;b&lt;i&gt; · 2026-11-18 04:00"
    assert note_hover == ("备注 · duty · 2026-11-18 09:00 · "
                          "&lt;a href=\"https://example.invalid/\"&gt;x&lt;/a&gt;")
    assert order_hover == "督办(重点督办) · duty · 2026-11-18 10:00 · 1 &lt; 2 &amp; 3 &gt; 2"
    assert not any("<" in text for trace in fig.data for text in trace.hovertext)


@pytest.mark.parametrize(("lang", "formats"), [
    ("zh", ("%H:%M<br>%Y年%-m月%-d日", "%Y年%-m月%-d日")),
    ("en", ("%H:%M<br>%Y-%m-%d", "%Y-%m-%d"))])
def test_timeline_dates_never_use_month_names(lang, formats):
    transitions = [Transition(NOW - timedelta(days=3), "stage", None, "reported", None, "s",
                              None)]
    fig = ops_timeline.timeline_figure(transitions, None, NOW, lang, ZONE)
    stops = fig.layout.xaxis.tickformatstops
    assert tuple(s.value for s in stops) == formats
    assert fig.layout.xaxis.fixedrange  # no zoom, so no English "Double-click" hint
    # Only the stages the case went through get a row.
    assert list(fig.layout.yaxis.categoryarray) == ["上报" if lang == "zh" else "Reported"]


def test_events_list_keeps_notes_as_text_newest_first():
    transitions = [Transition(NOW - timedelta(hours=1), "acknowledgement", None, None, None,
                              "duty", None),
                   Transition(NOW, "note", None, None, None, "duty", LINK)]
    listing = ops_timeline.events_list(transitions, "zh", ZONE)
    first, second = listing.children
    assert first.children[1].children == "备注"
    assert first.children[3].children == LINK  # component text: React escapes it
    assert second.children[1].children == "签收"
    assert ops_timeline.events_list([], "en", ZONE).children == "No actions yet"


def test_widgets_speak_the_pages_language():
    assert set(grid_locale("zh")) == set(GRID) == set(grid_locale("en"))
    assert grid_locale("zh")["noRowsToShow"] == "没有符合条件的案件"
    assert grid_locale("en")["noRowsToShow"] == "No cases match"
    # Chinese but for the names of keys (Alt, Ctrl) and the date pattern.
    assert all(not any("a" <= c.lower() <= "z" for c in
                       text.replace("Alt", "").replace("Ctrl", ""))
               for key, text in grid_locale("zh").items() if key != "dateFormatOoo")
    assert set(dropdown_labels("zh")) == set(DROPDOWN)
    assert dropdown_labels("zh")["selected_count"] == "已选 {num_selected} 项"
    page = ops_page.layout(lang="zh")
    assert _find(page, "ops-major").labels == dropdown_labels("zh")
    assert _find(page, "ops-cases").dashGridOptions["localeText"] == grid_locale("zh")
