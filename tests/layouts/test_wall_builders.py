"""The wall's pure builders on small hand-made frames."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from layouts.wall import alerts, disputes, figures, kpis, page, queue, theme

NOW = datetime(2026, 11, 18, 6, 0, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Shanghai")


def _texts(component) -> list[str]:
    """Every string in a component tree, in order."""
    if isinstance(component, str):
        return [component]
    children = getattr(component, "children", None)
    if children is None:
        return []
    if not isinstance(children, list | tuple):
        children = [children]
    return [text for child in children if child is not None for text in _texts(child)]


def test_kpi_items_values_deltas_tone_and_labels():
    values = {"reported": 12, "registered": 9, "closed": 5, "in_progress": 30, "overdue": 2,
              "closure_rate": 0.375, "on_time_rate": None, "satisfaction": 2 / 3,
              "workers_online": 7, "reports_last_hour": 3}
    items = {i["key"]: i for i in kpis.kpi_items(values, {"reported": 10, "registered": 9,
                                                          "closed": 8}, {}, "zh")}
    assert items["reported"]["delta"] == 2 and items["reported"]["delta_text"] == "较昨日同时 +2"
    assert items["closed"]["delta_text"] == "较昨日同时 -3"
    assert items["registered"]["delta"] == 0
    assert items["in_progress"]["delta"] is None
    assert items["closure_rate"]["text"] == "37.5%" and items["on_time_rate"]["text"] == "—"
    assert items["overdue"]["tone"] == "red" and items["reported"]["tone"] == ""
    more = {i["key"]: i for i in kpis.kpi_items(
        values, {"in_progress": 33, "overdue": 1, "reports_last_hour": 3}, {}, "zh")}
    assert more["in_progress"]["delta_text"] == "较昨日同时 -3"
    assert more["overdue"]["delta"] == 1 and more["reports_last_hour"]["delta"] == 0
    assert more["workers_online"]["delta_text"] == ""
    english = {i["key"]: i for i in kpis.kpi_items(values, {"reported": 10}, {}, "en")}
    assert english["reported"]["delta_text"] == "vs. yesterday +2"


def test_kpi_links_are_case_filters():
    hrefs = kpis.hrefs_for("320303", lambda **f: "|".join(f"{k}={v}" for k, v in f.items()))
    assert hrefs["overdue"] == \
        "unit=320303|open=True|deadline=('overdue', 'long_overdue')|sort=overdue"


def _alert_frame() -> pd.DataFrame:
    return pd.DataFrame([
        {"id": 1, "external_id": "X1", "title": "<b>油烟</b>", "state": "long_overdue",
         "due": NOW - timedelta(days=2, hours=3), "county_code": "320302", "place": "鼓楼区·甲·乙",
         "supervision_level": 3, "acknowledged_at": NOW, "acknowledged_by": "王值班",
         "priority": "normal"},
        {"id": 2, "external_id": "X2", "title": "井盖", "state": "overdue",
         "due": NOW - timedelta(hours=2), "county_code": "320303", "place": "云龙区·丙·丁",
         "supervision_level": 0, "acknowledged_at": None, "acknowledged_by": None,
         "priority": "normal"},
        {"id": 3, "external_id": "X3", "title": "噪声", "state": "approaching",
         "due": NOW + timedelta(hours=3, minutes=5), "county_code": "320303",
         "place": "云龙区·丙·丁", "supervision_level": 0, "acknowledged_at": None,
         "acknowledged_by": None, "priority": "normal"},
    ])


def test_alert_rows_colour_flash_acknowledgement_and_text():
    by_county = pd.DataFrame({"county_code": ["320303", "320302"],
                              "county_name": ["云龙区", "鼓楼区"], "red": [1, 1], "yellow": [1, 0]})
    board = alerts.alert_board(_alert_frame(), by_county, 2, 1, "zh", NOW,
                               lambda e: f"/ops?q={e}", lambda c: f"/ops?unit={c}", max_rows=6)
    rows = board.children[0].children[1:]
    assert [r.className for r in rows] == ["alert-row red", "alert-row red flash",
                                           "alert-row yellow"]
    texts = _texts(rows[0])
    assert "<b>油烟</b>" in texts and "严重超期" in texts and "挂牌督办" in texts
    assert "已签收·王值班" in texts and "超 2天3时" in texts
    assert "剩 3时5分" in _texts(rows[2])
    assert rows[1].href == "/ops?q=X2"
    ranking = board.children[1].children[1:]
    assert ranking[0].href == "/ops?unit=320303" and _texts(ranking[0])[0] == "云龙区"
    english = alerts.alert_board(_alert_frame(), by_county, 2, 1, "en", NOW, str, str, 6)
    assert "Acknowledged · 王值班" in _texts(english.children[0].children[1])
    assert alerts.red_ids(_alert_frame()) == [1, 2]
    assert theme.STATE_COLOURS["overdue"] == theme.RED == "#ff4d4f"
    assert theme.STATE_COLOURS["approaching"] == theme.YELLOW


def test_queue_pages_put_urgent_open_cases_first_and_page():
    frame = pd.DataFrame([
        {"id": i, "external_id": f"Q{i}", "reported_at": NOW - timedelta(minutes=i),
         "major_class": "urban", "subclass": "garbage", "title": f"事件{i}", "place": "p",
         "source": "grid_patrol", "stage": "handling",
         "priority": "urgent" if i == 5 else "normal", "due": NOW + timedelta(hours=1)}
        for i in range(1, 11)])
    pages = queue.queue_pages(frame, "zh", NOW, ZONE, lambda e: f"/ops?q={e}", rows_per_page=4)
    assert len(pages) == 3
    first = pages[0].children[0]
    assert first.className == "queue-row urgent" and first.href == "/ops?q=Q5"
    assert pages[0].children[1].className == "queue-row new"  # 1 minute old
    assert _texts(pages[2].children[-1]) == ["第 3/3 页"]
    assert _texts(pages[0].children[0])[1:4] == ["紧急", "事件5", ""]


def test_queue_row_of_a_case_without_deadline_shows_a_dash():
    """A case reported but not yet registered has no deadline: NaT in the frame."""
    frame = pd.DataFrame([
        {"id": i, "external_id": f"Q{i}", "reported_at": NOW - timedelta(minutes=10 * i),
         "major_class": "urban", "subclass": "garbage", "title": f"事件{i}", "place": "p",
         "source": "grid_patrol", "stage": "reported" if i == 2 else "handling",
         "priority": "normal", "due": None if i == 2 else NOW + timedelta(hours=1)}
        for i in (1, 2)])
    assert frame["due"].isna().tolist() == [False, True]
    rows = queue.queue_pages(frame, "zh", NOW, ZONE, str, rows_per_page=4)[0].children
    countdowns = [next(c for c in row.children if "countdown" in (c.className or ""))
                  for row in rows[:2]]
    assert [c.children for c in countdowns] == ["", "—"]
    assert countdowns[0].to_plotly_json()["props"]["data-due"] == \
        int((NOW + timedelta(hours=1)).timestamp() * 1000)
    assert "data-due" not in countdowns[1].to_plotly_json()["props"]


def test_figures_carry_values_and_theme():
    daily = pd.DataFrame({"day": [NOW.date()] * 2, "dispute_type": ["labour", "neighbour"],
                          "count": [2, 5]})
    trend = figures.dispute_trend(daily, "en")
    assert [bar.name for bar in trend.data] == ["Neighbours", "Labour & wages"]
    # a click on a segment names its type and day (hover on, for clicks; no labels)
    assert list(trend.data[0].customdata[0]) == ["neighbour", NOW.date().isoformat()]
    assert (trend.layout.hovermode, trend.data[0].hoverinfo) == ("closest", "none")
    assert trend.layout.legend.traceorder == "normal"  # the legend reads largest first
    assert trend.layout.font.size >= theme.MIN_FONT_PX
    levels = pd.DataFrame({"level": ["grid", "village", "township"], "count": [7, 2, 1]})
    share = figures.share_bar(levels, "level", "resolved", "zh")
    assert [round(b.x[0], 2) for b in share.data] == [0.7, 0.2, 0.1]
    # No label squeezed into a thin segment: every segment is named with its share in the
    # tile's legend, in the segment's colour.
    assert share.data[0].text is None
    keys = disputes.level_legend(levels, "zh")
    assert [(k.children[0].style["background"], k.children[1], k.children[2].children)
            for k in keys] == [(b.marker.color, b.name, f" {s}") for b, s in
                               zip(share.data, ("70%", "20%", "10%"), strict=True)]
    assert trend.layout.separators == ".," and trend.layout.yaxis.tickformat == ",d"
    assert trend.layout.height is None and not trend.layout.showlegend
    legend = disputes.trend_legend(figures.dispute_series(daily, "en"), "en")
    assert [k.children[1] for k in legend[1:]] == ["Neighbours", "Labour & wages"]
    assert [k.children[0].style["background"] for k in legend[1:]] == \
        [bar.marker.color for bar in trend.data]
    assert figures.empty_figure("暂无数据").layout.annotations[0].text == "暂无数据"
    values = pd.DataFrame({"code": ["a", "b"], "value": [0.5, 1.0]})
    fig = figures.coverage_map(values, "/g/fill.json", "/g/outline.json", ["c"], "patrol",
                               "zh", unit=2.0)
    assert list(fig.data[0].z) == [0.5, 1.0] and fig.data[0].geojson == "/g/fill.json"
    assert fig.data[0].colorbar.tickformat == ".0%"
    # clicks need hover: none shown, the fill clickable, the outlines transparent to it
    assert (fig.layout.hovermode, fig.data[0].hoverinfo, fig.data[1].hoverinfo) == \
        ("closest", "none", "skip")
    assert fig.layout.font.size == 2 * theme.FIGURE_FONT_PX


def test_page_config_parses_canvas_rotation_and_falls_back():
    cfg = page.config("5760x2160", "en", None, "320300,320302,bad", "45", "overdue")
    assert (cfg["width"], cfg["height"], cfg["unit_px"], cfg["shape"]) == (5760, 2160, 2.0, "wide")
    assert cfg["units"] == ["320300", "320302"] and cfg["every"] == 45
    assert cfg["measures"] == ["overdue"] and cfg["lang"] == "en"
    default = page.config("huge", "fr", "320303", None, None, "nope")
    assert (default["width"], default["height"], default["shape"]) == (1920, 1080, "standard")
    assert default["units"] == ["320303"] and default["lang"] == "zh"
    # No measure pinned: the map steps through all four, patrol coverage first.
    assert default["measures"] == ["patrol", "online", "open", "overdue"]
    assert default["measure"] == "patrol" and default["measure_every"] == 20
    assert page.config(None, None, None, None, None, None, "2")["measure_every"] == 5


def test_coverage_patch_carries_values_scale_and_title_never_geometry():
    values = pd.DataFrame({"code": ["a", "b"], "value": [0.0, 7.0]})
    ops = {tuple(op["location"]): op["params"]["value"]
           for op in figures.coverage_patch(values, "overdue", "zh").to_plotly_json()["operations"]}
    assert ops == {
        ("data", 0, "z"): [0.0, 7.0], ("data", 0, "zmax"): 7.0,
        ("data", 0, "colorscale"): theme.MAP_ALERT_SCALE,
        ("data", 0, "colorbar", "title", "text"): "超期事件数",
        ("data", 0, "colorbar", "tickformat"): "d", ("data", 0, "colorbar", "dtick"): 2,
    }


def _counties(n: int) -> pd.DataFrame:
    return pd.DataFrame({"county_code": [f"32{i:04d}" for i in range(n)],
                         "county_name": [f"县{i}" for i in range(n)],
                         "red": [n - i for i in range(n)], "yellow": [1] * n})


def test_county_ranking_shows_every_county_of_a_city():
    ranking = alerts.county_ranking(_counties(10), "zh", lambda c: f"/ops?unit={c}")
    rows = [c for c in ranking.children if "rank-row" in (c.className or "")]
    assert [r.href for r in rows] == [f"/ops?unit=32{i:04d}" for i in range(10)]
    assert not any("rank-more" in (c.className or "") for c in ranking.children)


def test_county_ranking_of_the_province_says_how_many_more():
    ranking = alerts.county_ranking(_counties(95), "en", lambda c: c)
    rows = [c for c in ranking.children if "rank-row" in (c.className or "")]
    assert len(rows) == alerts.RANKED_ROWS - 1
    more = ranking.children[-1]
    # The rest: counties 11..94, red 84 + 83 + ... + 1, yellow 1 each.
    assert more.className == "rank-more"
    assert more.children == f"+ 84 more · {sum(range(1, 85))} red / 84 yellow"


def test_trend_ticks_are_whole_distinct_steps_and_clear_of_the_y_axis():
    days = [NOW.date() - timedelta(days=29 - i) for i in range(30)]
    daily = pd.DataFrame({"day": days, "dispute_type": ["labour"] * 30,
                          "count": [1] * 29 + [0]})
    trend = figures.dispute_trend(daily, "zh")
    assert trend.layout.yaxis.dtick == 1  # peak 1: ticks 0, 1 — never "1, 1, 0"
    # every 7th day back from the last, none of the first three (they would meet the y axis)
    assert list(trend.layout.xaxis.tickvals) == [d.strftime("%m-%d") for d in days[8::7]]
    assert [figures.nice_step(x) for x in (0.3, 1.2, 3, 12, 160, 4000)] == \
        [1, 2, 5, 20, 200, 5000]
