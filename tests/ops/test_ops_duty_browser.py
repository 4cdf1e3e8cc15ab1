"""The duty officer's console in Chromium (issue 9): every action records its note (and level
or outcome) and says so until the officer moves on; selectors show the case's state; no
English and no console warning on the way; the key columns stay in view at 1366×768; case
and officer text never becomes markup.

The app's clock starts at ops_cases.NOW (Wednesday 2026-11-18 10:00 in Shanghai) and ticks;
each action's result is read back from the database (its transition, whose time the page
must show) and from the page's timeline.
"""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from data_access.models import Case, CaseTransition
from data_access.timeutil import as_utc
from tests.support.backends import backend_names, open_backend
from tests.support.browser import ARTIFACTS, FLAGS, serve, sign_in
from tests.support.clock import TickingClock
from tests.support.kiosk import add_people
from tests.support.ops_cases import NOW, insert_ops_cases
from tests.support.tiny_territory import COUNTY, GRIDS, TOWNSHIPS

pytestmark = pytest.mark.browser

ZONE = ZoneInfo("Asia/Shanghai")

LINK = '<a href="https://example.invalid/">x</a>'
IMG = "<img src=x onerror=alert(1)>"
KEY_HEADERS = ("reported_at", "title", "place", "deadline_state", "deadline_at")
# Cases of this module besides ops_cases': key -> (stage, supervision level, title).
CASES = {
    "ACK": ("handling", 0, "井盖松动待签收"),
    "SUP": ("handling", 2, "占道经营重点督办"),
    "ESC": ("handling", 0, "噪声扰民需上报"),
    "NOTE": ("dispatched", 0, "路面坑洼待备注"),
    "FUP": ("closed", 0, "垃圾清运已结案"),
    "XSS": ("handling", 0, IMG),
}
# Everything in an events trace of the timeline, as plotly holds it.
TIMELINE_EVENTS = """() => {
    const plot = document.querySelector('#ops-timeline .js-plotly-plot');
    const trace = plot && plot.data.find(t => t.name === 'events');
    return trace ? trace.hovertext : [];
}"""


@pytest.fixture(scope="module", params=backend_names())
def live(request, tmp_path_factory):
    """(base URL, backend, case ids) of the app on its own database, clock frozen at NOW."""
    with open_backend(request.param, tmp_path_factory.mktemp(f"duty-{request.param}")) as b:
        ids = insert_ops_cases(b.sessions)
        ids.update(_add_cases(b.sessions))
        add_people(b.sessions)
        with serve(b, TickingClock(NOW)) as url:
            yield url, b, ids


def _add_cases(sessions) -> dict[str, int]:
    ids = {}
    with sessions.begin() as session:
        for i, (key, (stage, level, title)) in enumerate(CASES.items()):
            reported = NOW - timedelta(hours=20 + i)
            case = Case(
                external_id=f"DUTY-{key}", source="hotline_12345", major_class="urban",
                subclass="street_light", priority="normal", title=title, description="",
                reporter_name="李华", reporter_phone="13900001111", address=f"解放路{i}号",
                grid_code=GRIDS[8], township_code=GRIDS[8][:9], county_code=COUNTY,
                stage=stage, responsible_unit="城管局", handler="张三", reported_at=reported,
                deadline_at=NOW + timedelta(days=2),
                closed_at=reported + timedelta(hours=2) if stage == "closed" else None,
                resolved_level="grid" if stage == "closed" else None, rework_count=0,
                supervision_level=level, updated_at=reported)
            session.add(case)
            session.flush()
            session.add(CaseTransition(case_id=case.id, kind="stage", to_stage="reported",
                                       actor="sim", at=reported))
            ids[key] = case.id
    return ids


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A page of its own (cookies included) that records console warnings, errors, page
    errors and dialogs."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: page.problems.append(f"{m.type}: {m.text}")
            if m.type in ("warning", "error") else None)
    page.on("pageerror", lambda e: page.problems.append(f"pageerror: {e}"))
    page.on("dialog", lambda d: (page.problems.append(f"dialog: {d.message}"), d.dismiss()))
    yield page
    context.close()


def open_case(page, base_url: str, case_id: int, who: str = "duty") -> None:
    sign_in(page, base_url, f"/ops?unit={COUNTY}&case={case_id}", who)
    page.locator("#ops-detail-title").wait_for()


def choose(page, dropdown: str, option: str) -> None:
    page.click(f"#{dropdown}")
    page.locator("[role=option]", has_text=option).first.click()


def act(page, button: str, note: str) -> str:
    """Type the note, press the action, and return the confirmation once the detail has
    re-rendered with the action in its history (the note in the list proves it)."""
    page.fill("#ops-act-text", note)
    page.click(f"#ops-act-{button}")
    page.locator("#ops-events li", has_text=note).wait_for()
    return page.locator("#ops-action-done").text_content()


def recorded(backend, case_id: int, kind: str) -> list[tuple]:
    """(actor, level, note, local time as the page writes it) of the case's `kind` rows."""
    with backend.sessions() as session:
        return [(actor, level, note, f"{as_utc(at).astimezone(ZONE):%Y-%m-%d %H:%M}")
                for actor, level, note, at in session.execute(
                    select(CaseTransition.actor, CaseTransition.level, CaseTransition.note,
                           CaseTransition.at)
                    .where(CaseTransition.case_id == case_id, CaseTransition.kind == kind))]


def timeline_hovers(page) -> list[str]:
    return page.evaluate(TIMELINE_EVENTS)


def test_acknowledge_with_a_note(live, page):
    base_url, backend, ids = live
    open_case(page, base_url, ids["ACK"])
    done = act(page, "acknowledge", "已联系责任单位")
    [(actor, level, note, at)] = recorded(backend, ids["ACK"], "acknowledgement")
    assert (actor, level, note) == ("duty-name", None, "已联系责任单位")
    assert at.startswith("2026-11-18 ")  # the app's day, not today
    assert done == f"签收 · 已记录 {at[-5:]}"
    assert page.locator("#ops-detail-ack").text_content() == f"已签收: duty-name {at}"
    assert page.locator("#ops-act-acknowledge").is_disabled()  # once only
    assert timeline_hovers(page) == [f"签收 · duty-name · {at} · 已联系责任单位"]
    assert page.problems == []


def test_supervise_at_the_level_chosen_with_a_note(live, page):
    base_url, backend, ids = live
    open_case(page, base_url, ids["SUP"])
    # The case is under a 重点督办 order: the selector starts there, not at 一般督办.
    assert page.locator("#ops-act-level-value").text_content() == "重点督办"
    choose(page, "ops-act-level", "挂牌督办")
    done = act(page, "supervise", "限今日17时前办结")
    [(actor, level, note, at)] = recorded(backend, ids["SUP"], "supervision")
    assert (actor, level, note) == ("duty-name", 3, "限今日17时前办结")
    assert done == f"督办(挂牌督办) · 已记录 {at[-5:]}"
    with backend.sessions() as session:
        assert session.get(Case, ids["SUP"]).supervision_level == 3
    assert page.locator("#ops-act-level-value").text_content() == "挂牌督办"
    assert page.locator("#ops-events li").first.text_content() == \
        f"{at}督办(挂牌督办)duty-name限今日17时前办结"
    assert timeline_hovers(page) == [f"督办(挂牌督办) · duty-name · {at} · 限今日17时前办结"]
    page.screenshot(path=str(ARTIFACTS / "ops-duty-supervised.png"), full_page=True)
    assert page.problems == []


def test_escalate_with_a_note(live, page):
    base_url, backend, ids = live
    open_case(page, base_url, ids["ESC"])
    done = act(page, "escalate", "涉及多部门，请区级协调")
    [(actor, level, note, at)] = recorded(backend, ids["ESC"], "escalation")
    assert (actor, level, note) == ("duty-name", None, "涉及多部门，请区级协调")
    assert done == f"上报上级 · 已记录 {at[-5:]}"
    assert timeline_hovers(page) == [f"上报上级 · duty-name · {at} · 涉及多部门，请区级协调"]
    assert page.problems == []


def test_add_a_note_and_the_confirmation_lasts_until_another_case(live, page):
    base_url, backend, ids = live
    open_case(page, base_url, ids["NOTE"])
    page.click("#ops-act-note")  # nothing typed: refused, and nothing recorded
    assert page.locator("#ops-action-refused").text_content() == "请填写备注内容"
    assert recorded(backend, ids["NOTE"], "note") == []
    done = act(page, "note", "市民来电催办")
    [(actor, level, note, at)] = recorded(backend, ids["NOTE"], "note")
    assert (actor, level, note) == ("duty-name", None, "市民来电催办")
    assert done == f"添加备注 · 已记录 {at[-5:]}"
    assert page.input_value("#ops-act-text") == ""  # ready for the next action
    assert timeline_hovers(page) == [f"备注 · duty-name · {at} · 市民来电催办"]
    page.locator(".ag-row .ag-cell", has_text="路灯闪烁").first.click()
    page.locator("#ops-detail-title", has_text="路灯闪烁").wait_for()
    assert page.locator("#ops-action-done").count() == 0
    assert page.problems == []


def test_follow_up_with_its_outcome_and_a_note(live, page):
    base_url, backend, ids = live
    open_case(page, base_url, ids["FUP"])
    assert page.locator("#ops-act-supervise").is_disabled()  # the case is closed
    choose(page, "ops-act-satisfaction", "基本满意")
    done = act(page, "followup", "市民表示路面已清理")
    [(actor, level, note, at)] = recorded(backend, ids["FUP"], "followup")
    assert (actor, level, note) == ("duty-name", None, "市民表示路面已清理")
    assert done == f"登记回访(基本满意) · 已记录 {at[-5:]}"
    with backend.sessions() as session:
        assert session.get(Case, ids["FUP"]).satisfaction == "basically"
    assert page.locator("#ops-act-satisfaction-value").text_content() == "基本满意"
    assert page.locator("#ops-act-followup").is_disabled()
    assert timeline_hovers(page) == [f"回访 · duty-name · {at} · 市民表示路面已清理"]
    assert page.problems == []


def test_a_leader_reads_but_does_not_act(live, page):
    base_url, _backend, ids = live
    open_case(page, base_url, ids["ESC"], who="lead")
    assert page.locator(".ops-actions", has_text="当前角色只能查看").count() == 1
    for action in ("acknowledge", "supervise", "escalate", "note", "followup"):
        assert page.locator(f"#ops-act-{action}").is_disabled()
    assert page.locator("#ops-act-text").is_disabled()


def test_no_console_warning_and_no_english_while_working(live, page):
    """Open /ops, filter by township and search, open a case from the table and act: not a
    warning or error in the console, and the grid, pickers and dropdowns speak Chinese."""
    base_url, backend, ids = live
    sign_in(page, base_url, "/ops")
    page.click("#ops-view-list")  # /ops opens on the duty queue; the case list is a click away
    page.locator("#ops-count-total").wait_for()
    page.click("#ops-county")
    page.locator("[role=option]", has_text="云龙区").first.click()
    page.click("#ops-township")
    page.locator(f"[role=option]:has(input[value='{TOWNSHIPS[1]}'])").click()
    page.wait_for_function(f"location.search.includes('unit={TOWNSHIPS[1]}')")
    page.click("#ops-stage")
    page.locator("[role=option]", has_text="处置中").first.click()
    page.locator("[role=option]", has_text="派遣").first.click()
    assert page.locator("#ops-stage-value-count").text_content() == "已选 2 项"
    page.keyboard.press("Escape")
    page.fill("#ops-q", "没有这样的案件")
    page.press("#ops-q", "Enter")
    page.wait_for_function("document.querySelector('#ops-count-total').textContent == '0'")
    page.locator(".ag-overlay", has_text="没有符合条件的案件").wait_for()
    page.click("#ops-dates")
    page.locator(".dash-datepicker-calendar-container, [role=dialog]").first.wait_for()
    calendar = page.locator("[role=dialog]").first.text_content()
    assert "一" in calendar and "日" in calendar and "Mo" not in calendar
    page.keyboard.press("Escape")
    page.fill("#ops-q", "")
    page.press("#ops-q", "Enter")
    page.wait_for_function("document.querySelector('#ops-count-total').textContent != '0'")
    page.locator(".ag-row .ag-cell", has_text="路灯倒伏").first.click()
    page.locator("#ops-detail-title", has_text="路灯倒伏").wait_for()
    assert act(page, "note", "已通知网格员复核").startswith("添加备注 · 已记录 ")
    ticks = page.locator("#ops-timeline .xtick text").all_text_contents()
    assert ticks and all("年" in tick and "月" in tick for tick in ticks), ticks
    page.screenshot(path=str(ARTIFACTS / "ops-duty-console.png"))
    assert page.problems == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_key_columns_stay_in_view_at_1366x768(live, browser, lang):
    base_url, _backend, ids = live
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    try:
        query = f"unit={COUNTY}" + ("&lang=en" if lang == "en" else "")
        sign_in(page, base_url, f"/ops?{query}")
        page.locator(".ag-row .ag-cell", has_text="路灯闪烁").first.click()
        page.locator("#ops-detail-title").wait_for()
        page.locator("#ops-timeline .js-plotly-plot").wait_for()
        detail = page.locator(".ops-detail").bounding_box()
        table = page.locator(".ops-table .ag-body-viewport").bounding_box()
        assert detail["width"] > 400
        for col in KEY_HEADERS:
            header = page.locator(f".ag-header-cell[col-id={col}]")
            box = header.bounding_box()
            assert box is not None, col
            assert table["x"] <= box["x"] and box["x"] + box["width"] <= table["x"] + \
                table["width"] + 1, (col, box, table)
            assert box["x"] + box["width"] <= detail["x"], (col, box, detail)
            # Nothing covers it: the element at its centre is the header itself.
            assert page.evaluate(
                "([x, y, col]) => !!document.elementFromPoint(x, y)"
                ".closest(`.ag-header-cell[col-id=${col}]`)",
                [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, col]), col
        row = page.locator(".ag-row", has_text="路灯闪烁").first
        for col in KEY_HEADERS:
            cell = row.locator(f".ag-cell[col-id={col}]").bounding_box()
            assert cell["x"] + cell["width"] <= detail["x"], col
        page.screenshot(path=str(ARTIFACTS / f"ops-1366x768-{lang}.png"))
    finally:
        page.close()


def test_case_text_stays_text_in_the_table_and_the_timeline(live, page):
    """A title that is an <img onerror> and a note that is a link show as typed: in the
    table, the detail, the list of actions and the timeline's hover label."""
    base_url, backend, ids = live
    sign_in(page, base_url, f"/ops?unit={GRIDS[8]}")
    cell = page.locator(".ag-row .ag-cell[col-id=title]", has_text="<img").first
    cell.wait_for()
    assert cell.text_content() == IMG
    cell.click()
    page.locator("#ops-detail-title").wait_for()
    assert page.locator("#ops-detail-title").text_content() == IMG
    act(page, "note", LINK)
    [(_actor, _level, note, at)] = recorded(backend, ids["XSS"], "note")
    assert note == LINK
    assert page.locator("#ops-events li").first.text_content().endswith(LINK)
    point = page.locator("#ops-timeline .scatterlayer .point").last
    box = point.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    label = page.locator("#ops-timeline .hoverlayer .hovertext")
    label.wait_for()
    assert label.text_content() == f"备注 · duty-name · {at} · {LINK}"
    page.screenshot(path=str(ARTIFACTS / "ops-duty-text-stays-text.png"))
    assert page.locator("img").count() == 0
    assert page.locator('a[href*="example.invalid"], [*|href*="example.invalid"]').count() == 0
    assert page.problems == []
