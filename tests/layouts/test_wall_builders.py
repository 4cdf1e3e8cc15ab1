"""The wall's pure builders on small hand-made frames."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from layouts.wall import alerts, disputes, figures, kpis, map_view, page, queue, theme

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


def test_sparklines_draw_today_against_yesterday_on_one_scale():
    points = kpis.spark_points([0, 5, 10], [10, 0, 0, 2])
    # x: hour h at h × 240/23; y: 38 for 0 up to 2 for the busiest hour of either day (10).
    assert points == {"today": "0,38 10.4,20 20.9,2", "yesterday": "0,2 10.4,38 20.9,38 31.3,30.8"}
    assert kpis.spark_points([], [0] * 24)["yesterday"].split()[-1] == "240,38"
    items = {i["key"]: i for i in kpis.kpi_items(
        {"reported": 15}, {}, {}, "zh", hourly={"reported": ([0, 5, 10], [10, 0, 0, 2])})}
    assert items["reported"]["spark"] == points and "spark" not in items["closed"]
    strip = kpis.layout("en")
    assert "Today by hour" in _texts(strip) and "Yesterday" in _texts(strip)
    assert [kpis.spark_id(k) for k in kpis.SPARKED] == \
        ["wall-kpi-spark-reported", "wall-kpi-spark-registered", "wall-kpi-spark-closed"]


def test_kpi_links_are_case_filters():
    hrefs = kpis.hrefs_for("320303", lambda **f: "|".join(f"{k}={v}" for k, v in f.items()))
    assert hrefs["overdue"] == \
        "unit=320303|open=True|deadline=('overdue', 'long_overdue')|sort=overdue"


def _alert_frame() -> pd.DataFrame:
    return pd.DataFrame([
        {"id": 1, "external_id": "X1", "title": "<b>油烟</b>", "state": "long_overdue",
         "due": NOW - timedelta(days=2, hours=3), "county_code": "320302", "place": "鼓楼区·甲·乙",
         "supervision_level": 3, "acknowledged_at": NOW, "acknowledged_by": "王值班",
         "priority": "normal", "newly_overdue": False},
        {"id": 2, "external_id": "X2", "title": "井盖", "state": "overdue",
         "due": NOW - timedelta(hours=2), "county_code": "320303", "place": "云龙区·丙·丁",
         "supervision_level": 0, "acknowledged_at": None, "acknowledged_by": None,
         "priority": "normal", "newly_overdue": False},
        {"id": 3, "external_id": "X3", "title": "噪声", "state": "approaching",
         "due": NOW + timedelta(hours=3, minutes=5), "county_code": "320303",
         "place": "云龙区·丙·丁", "supervision_level": 0, "acknowledged_at": None,
         "acknowledged_by": None, "priority": "normal", "newly_overdue": False},
    ])


def _case_link(external_id: str, case_id: int) -> str:
    """A row's link reduced to its number: the paging tests read the order by it."""
    return external_id


BY_COUNTY = pd.DataFrame({"unit_code": ["320303", "320302"], "unit_name": ["云龙区", "鼓楼区"],
                          "red": [1, 1], "yellow": [1, 0]})


def test_alert_rows_colour_flash_acknowledgement_and_text():
    board = alerts.alert_board(_alert_frame(), BY_COUNTY, "county", 2, 1, "zh", NOW,
                               lambda e, i: f"/ops?q={e}&case={i}", lambda c: f"/ops?unit={c}",
                               per_page=6)
    rows = board.children[0].children[1:]
    # Nothing newly overdue: nothing flashes, however long overdue and unacknowledged.
    assert [r.className for r in rows] == ["alert-row red", "alert-row red",
                                           "alert-row yellow"]
    texts = _texts(rows[0])
    assert "<b>油烟</b>" in texts and "严重超期" in texts and "挂牌督办" in texts
    assert "已签收·王值班" in texts and "超 2天3时" in texts
    assert "剩 3时5分" in _texts(rows[2])
    assert rows[1].href == "/ops?q=X2&case=2"
    ranking = board.children[1].children
    assert ranking[0].children == "各县区红黄预警"
    assert ranking[1].href == "/ops?unit=320303" and _texts(ranking[1])[0] == "云龙区"
    english = alerts.alert_board(_alert_frame(), BY_COUNTY, "city", 2, 1, "en", NOW, _case_link,
                                 str, 6)
    assert "Ack'd · 王值班" in _texts(english.children[0].children[1])
    assert english.children[1].children[0].children == "Red / yellow by city"
    assert alerts.red_ids(_alert_frame()) == []


def _many_alerts(red: int, yellow: int, newly: tuple[int, ...] = ()) -> pd.DataFrame:
    """`red` overdue cases (X0 the longest overdue), then `yellow` approaching ones."""
    rows = []
    for i in range(red + yellow):
        is_red = i < red
        rows.append({"id": i, "external_id": f"X{i}", "title": f"事件{i}",
                     "state": "overdue" if is_red else "approaching",
                     "due": NOW + (timedelta(hours=i - red) if is_red else timedelta(hours=i)),
                     "county_code": "320303", "place": "云龙区", "supervision_level": 0,
                     "acknowledged_at": None, "acknowledged_by": None, "priority": "normal",
                     "newly_overdue": i in newly})
    return pd.DataFrame(rows)


def _shown(board) -> list[str]:
    return [r.href for r in board.children[0].children if r.className.startswith("alert-row")]


def test_alert_board_pages_through_every_red_and_yellow_case():
    frame = _many_alerts(red=8, yellow=3)
    assert alerts.page_count(frame, 5) == 3
    seen = []
    for n in range(3):
        board = alerts.alert_board(frame, BY_COUNTY, "county", 8, 3, "zh", NOW, _case_link, str,
                                   per_page=5, page=n)
        seen += _shown(board)
        assert board.children[0].children[-1].children == f"第 {n + 1}/3 页"
    assert seen == [f"X{i}" for i in range(11)]  # every case once, longest overdue first
    # Pages wrap around: the fourth turn shows the first page again.
    assert _shown(alerts.alert_board(frame, BY_COUNTY, "county", 8, 3, "zh", NOW, _case_link, str,
                                     per_page=5, page=3)) == seen[:5]
    one_page = alerts.alert_board(frame.head(4), BY_COUNTY, "county", 4, 0, "zh", NOW, _case_link,
                                  str, per_page=5)
    assert len(_shown(one_page)) == 4 and "alert-page-no" not in str(one_page)


def test_only_newly_overdue_unacknowledged_rows_flash_and_lead_every_page():
    frame = _many_alerts(red=8, yellow=3, newly=(6, 7))
    frame.loc[frame["id"] == 7, ["acknowledged_at", "acknowledged_by"]] = [NOW, "李值班"]
    for n in range(3):
        board = alerts.alert_board(frame, BY_COUNTY, "county", 8, 3, "zh", NOW, _case_link, str,
                                   per_page=5, page=n)
        rows = [r for r in board.children[0].children if r.className.startswith("alert-row")]
        if n == 0:
            assert [r.href for r in rows[:2]] == ["X6", "X7"]
            assert [("flash" in r.className) for r in rows] == [True, False, False, False,
                                                               False]
        else:
            assert not any("flash" in r.className for r in rows)
    assert alerts.red_ids(frame) == [6, 7]
    assert theme.STATE_COLOURS["overdue"] == theme.RED == "#ff4d4f"
    assert theme.STATE_COLOURS["approaching"] == theme.YELLOW


def test_queue_pages_put_urgent_open_cases_first_and_page():
    frame = pd.DataFrame([
        {"id": i, "external_id": f"Q{i}", "reported_at": NOW - timedelta(minutes=i),
         "major_class": "urban", "subclass": "garbage", "title": f"事件{i}", "place": "p",
         "source": "grid_patrol", "stage": "handling",
         "priority": "urgent" if i == 5 else "normal", "due": NOW + timedelta(hours=1)}
        for i in range(1, 11)])
    pages = queue.queue_pages(frame, "zh", NOW, ZONE, lambda e, i: f"/ops?q={e}&case={i}",
                              rows_per_page=4)
    assert len(pages) == 3
    first = pages[0].children[0]
    assert first.className == "queue-row urgent" and first.href == "/ops?q=Q5&case=5"
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
    rows = queue.queue_pages(frame, "zh", NOW, ZONE, _case_link, rows_per_page=4)[0].children
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
    # Two shares, two classes: 1–50 % and 51–100 %.
    assert list(fig.data[0].z) == [0, 1] and fig.data[0].geojson == "/g/fill.json"
    assert list(fig.data[0].colorbar.ticktext) == ["1–50%", "51–100%"]
    assert list(fig.data[0].customdata) == [0.5, 1.0]  # the values themselves
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


def test_coverage_patch_carries_classes_scale_title_and_markers_never_geometry():
    values = pd.DataFrame({"code": ["a", "b"], "value": [0.0, 7.0]})
    markers = pd.DataFrame({"lon": [117.123456, 117.2, 117.3], "lat": [34.1, 34.2, 34.3],
                            "kind": ["overdue", "urgent", "overdue"]})
    patch = figures.coverage_patch(values, "overdue", "zh", markers)
    ops = {tuple(op["location"]): op["params"]["value"]
           for op in patch.to_plotly_json()["operations"]}
    zero, first = theme.MAP_ZERO, theme.MAP_ALERT_CLASSES[0]
    assert ops == {
        ("data", 0, "z"): [0, 1], ("data", 0, "customdata"): [0.0, 7.0],
        ("data", 0, "zmin"): -0.5, ("data", 0, "zmax"): 1.5,
        ("data", 0, "colorscale"): [[0.0, zero], [0.5, zero], [0.5, first], [1.0, first]],
        ("data", 0, "colorbar", "title", "text"): "超期事件数",
        ("data", 0, "colorbar", "tickvals"): [0, 1],
        ("data", 0, "colorbar", "ticktext"): ["0", "1–7"],
        ("data", 2, "lon"): [117.12346, 117.3], ("data", 2, "lat"): [34.1, 34.3],
        ("data", 3, "lon"): [117.2], ("data", 3, "lat"): [34.2],
    }


def test_value_classes_separate_skewed_counts_with_zero_apart():
    # Most grids have nothing open; a few have a lot.
    values = [0] * 50 + [1] * 20 + [2] * 10 + [3] * 5 + [5, 8, 9, 14, 40]
    bounds, index = figures.value_classes(values, share=False)
    # Quantiles of the 40 values above zero: a fifth each, so 1, 2 and 3 get classes of
    # their own and the few large values share the top one.
    assert bounds == [(0, 0), (1, 1), (2, 2), (3, 3), (4, 40)]
    assert index[:50] == [0] * 50 and index[50] == 1 and index[-5:] == [4] * 5
    assert [figures.class_label(b, False) for b in bounds] == ["0", "1", "2", "3", "4–40"]
    # Shares in whole percent; no zero class when nothing is zero.
    bounds, index = figures.value_classes([0.31, 0.35, 0.42, 0.48, 0.9], share=True)
    assert bounds == [(1, 31), (32, 35), (36, 42), (43, 48), (49, 90)]
    assert index == [0, 1, 2, 3, 4]
    assert figures.value_classes([0.0, 0.0], share=True) == ([(0, 0)], [0, 0])
    # A linear scale would give 40 the top colour and 1–8 nearly the bottom one; classes
    # give each its own step, and zero a colour that still reads as land.
    style = figures.measure_style(pd.DataFrame({"code": list("abcdef"),
                                                "value": [0, 1, 2, 3, 8, 40]}), "open", "en")
    assert style["z"] == [0, 1, 2, 3, 4, 5] and style["zmax"] == 5.5
    assert style["colorscale"][0][1] == theme.MAP_ZERO != theme.PANEL
    assert style["colorbar"]["ticktext"] == ["0", "1", "2", "3", "4–8", "9–40"]


def test_map_names_its_units_spaced_and_marks_cases_with_a_legend():
    values = pd.DataFrame({"code": ["a", "b"], "value": [0.0, 2.0]})
    labels = pd.DataFrame({"code": ["c1", "c2", "c3"], "name": ["云龙区", "鼓楼区", "泉山区"],
                           "lon": [117.2, 117.201, 117.5], "lat": [34.35, 34.35, 34.5],
                           "area": [10.0, 50.0, 20.0]})
    markers = pd.DataFrame({"lon": [117.21, 117.3], "lat": [34.21, 34.3],
                            "kind": ["overdue", "urgent"]})
    fig = figures.coverage_map(values, "/f", "/o", ["c1", "c2", "c3"], "open", "zh",
                               labels=labels, markers=markers, bounds=(117.0, 34.0, 117.7, 34.7))
    overdue, urgent, names = fig.data[2], fig.data[3], fig.data[4]
    # 云龙区 and 鼓楼区 would overlap: the larger (鼓楼区, 50 km²) keeps its name.
    assert list(names.text) == ["鼓楼区", "泉山区"] and names.mode == "text"
    assert names.textfont.size == 20
    assert (overdue.name, list(overdue.lon), overdue.marker.color) == \
        ("超期事件", [117.21], theme.RED)
    assert (urgent.name, list(urgent.lon)) == ("紧急事件", [117.3])
    assert fig.layout.showlegend and fig.layout.legend.orientation == "h"
    assert not names.showlegend
    # The geography takes the whole graph; the colour bar lies over its bottom left corner.
    assert tuple(fig.layout.geo.domain.y) == (0, 1) and tuple(fig.layout.geo.domain.x) == (0, 1)
    assert fig.data[0].colorbar.orientation == "h" and fig.data[0].colorbar.y == 0


def test_the_map_is_fitted_to_its_graph_and_names_stay_clear_of_its_corners():
    # A territory twice as wide as tall (in Mercator) in a graph as tall as wide: the width
    # binds, the latitude range grows to the graph's aspect.
    bounds = (117.0, 34.0, 118.0, 34.41)
    view = map_view.fit(bounds, (500, 500))
    west, east = (view.to_px(lon, 34.2)[0] for lon in (117.0, 118.0))
    assert west == pytest.approx(10) and east == pytest.approx(490)  # 2 % each side
    top = view.to_px(117.5, view.lat_range[1])[1]
    bottom = view.to_px(117.5, view.lat_range[0])[1]
    assert top == pytest.approx(0, abs=1e-6) and bottom == pytest.approx(500)
    assert view.to_px(*view.center) == pytest.approx((250, 250))
    # The same territory on a portrait graph: the width binds again, on its own scale.
    assert map_view.fit(bounds, (300, 900)).scale == pytest.approx(view.scale * 300 / 500)
    # Names: one under the caption (top left) and one under the colour bar (bottom left)
    # are left out; one in the open is kept; one off the graph is left out.
    names = pd.DataFrame({"name": ["甲镇", "乙镇", "丙镇", "丁镇"],
                          "lon": [117.02, 117.02, 117.5, 116.0],
                          "lat": [view.lat_range[1] - 0.03, view.lat_range[0] + 0.06, 34.2, 34.2],
                          "area": [4.0, 3.0, 2.0, 1.0]})
    kept = figures.spaced_labels(names, 20, view, (500, 500), "zh")
    assert list(kept["name"]) == ["丙镇"]
    fig = figures.coverage_map(pd.DataFrame({"code": ["a"], "value": [1.0]}), "/f", "/o",
                               ["a"], "open", "zh", area_px=(500, 500), bounds=bounds)
    assert fig.layout.geo.lonaxis.range == pytest.approx(view.lon_range)
    assert fig.layout.geo.lataxis.range == pytest.approx(view.lat_range)
    assert fig.layout.geo.fitbounds in (None, False)


def _counties(n: int) -> pd.DataFrame:
    return pd.DataFrame({"unit_code": [f"32{i:04d}" for i in range(n)],
                         "unit_name": [f"县{i}" for i in range(n)],
                         "red": [n - i for i in range(n)], "yellow": [1] * n})


def test_ranking_shows_every_county_of_a_city_and_every_city_of_the_province():
    ranking = alerts.unit_ranking(_counties(13), "zh", lambda c: f"/ops?unit={c}")
    rows = [c for c in ranking.children if "rank-row" in (c.className or "")]
    assert [r.href for r in rows] == [f"/ops?unit=32{i:04d}" for i in range(13)]
    ranking = alerts.unit_ranking(_counties(10), "zh", lambda c: f"/ops?unit={c}")
    rows = [c for c in ranking.children if "rank-row" in (c.className or "")]
    assert [r.href for r in rows] == [f"/ops?unit=32{i:04d}" for i in range(10)]
    assert not any("rank-more" in (c.className or "") for c in ranking.children)


def test_ranking_of_a_county_with_many_townships_says_how_many_more():
    ranking = alerts.unit_ranking(_counties(34), "en", lambda c: c, level="township")
    rows = [c for c in ranking.children if "rank-row" in (c.className or "")]
    assert len(rows) == alerts.RANKED_ROWS - 1 == 12
    more = ranking.children[-1]
    # The rest: townships 12..33, red 22 + 21 + ... + 1, yellow 1 each.
    assert more.className == "rank-more"
    assert more.children == f"+ 22 more · {sum(range(1, 23))} red / 22 yellow"


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
