"""/ops/warnings in Chromium (issue 13): on a repeat-complaint warning an officer unlinks a
case and links another by its number; both are read back from the database (the links,
and who and when in warning_events), the page shows the change as text (a case number
holding markup stays text), and a later detection run does not put the unlinked case back.

The app's clock starts at warning_cases.NOW (Wednesday 2026-11-18 10:00 in Shanghai).
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from data_access.models import Case, User, WarningCase
from data_access.warnings import store
from data_access.warnings.detect import detect_once
from tests.support.backends import backend_names, open_backend
from tests.support.browser import ARTIFACTS, FLAGS, serve, sign_in
from tests.support.clock import TickingClock
from tests.support.kiosk import add_people
from tests.support.tiny_territory import COUNTY, GRIDS
from tests.support.warning_cases import NOW, SECRET, ZONE, CaseMaker

pytestmark = pytest.mark.browser

MARKUP_NUMBER = "<img src=x onerror=alert(1)>"
TEXTS = ("和平路12号楼下井盖缺失，晚上行人容易踩空，请尽快处理",
         "和平路十二号楼下面的窨井盖不见了，夜里走路很危险",
         "请有关部门赶紧补上：和平路12号楼楼下井盖丢了好几天，电动车经过容易摔倒")


@pytest.fixture(scope="module", params=backend_names())
def live(request, tmp_path_factory):
    """(base URL, backend, warning id, the cluster's case ids, the case to link)."""
    with open_backend(request.param, tmp_path_factory.mktemp(f"warn-{request.param}")) as b:
        maker = CaseMaker(b.sessions)
        ids = maker.add([{"grid": GRIDS[0], "reported": NOW - timedelta(days=3 - i),
                          "subclass": "manhole", "title": "井盖缺失", "description": text,
                          "external_id": f"WC-{i + 1}"} for i, text in enumerate(TEXTS)])
        other = maker.add([{"grid": GRIDS[0], "reported": NOW - timedelta(hours=5),
                            "subclass": "manhole", "title": "井盖",
                            "description": "解放路3号门口雨水井盖破损下沉",
                            "external_id": MARKUP_NUMBER}])[0]
        detect_once(b.sessions, COUNTY, ZONE, NOW, SECRET)
        with b.sessions() as session:
            (warning,) = [w for w in store.recent_warnings(session, NOW - timedelta(days=1))
                          if w.kind == "cluster"]
        assert sorted(warning.case_ids) == sorted(ids)
        add_people(b.sessions)
        with serve(b, TickingClock(NOW)) as url:
            yield url, b, warning.id, ids, other


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.problems = []
        page.on("pageerror", lambda e: page.problems.append(f"pageerror: {e}"))
        page.on("dialog", lambda d: (page.problems.append(f"dialog: {d.message}"),
                                     d.dismiss()))
        yield page
        browser.close()


def _press(page, number: str, button: str) -> str:
    """Type the number, press the button and return the result line once it has changed
    (consecutive presses here never say the same thing)."""
    result = page.locator("#ops-action-warning-result")
    before = result.text_content()
    page.fill("#ops-warnings-case-number", number)
    page.click(f"#ops-action-warning-{button}")
    page.wait_for_function(
        "before => document.querySelector('#ops-action-warning-result').textContent"
        " !== before", arg=before)
    return result.text_content()


def _links(backend, warning_id: int) -> dict[int, tuple[str, str | None]]:
    with backend.sessions() as session:
        return {c: (added, removed) for c, added, removed in session.execute(
            select(WarningCase.case_id, WarningCase.added_by, WarningCase.removed_by)
            .where(WarningCase.warning_id == warning_id))}


def test_a_click_on_a_row_picks_its_warning(live, page):
    url, backend, warning_id, _ids, _other = live
    sign_in(page, url, "/ops/warnings", "duty")
    row = page.locator(f"tr.ops-warnings-row:has(td:first-child:text-is('{warning_id}'))")
    row.wait_for()
    assert page.locator("tr.table-warning").count() == 0  # nothing picked yet
    assert page.input_value("#ops-warnings-pick") == ""
    row.locator("td").nth(2).click()
    page.wait_for_function(
        "id => document.querySelector('tr.table-warning td')?.textContent === String(id)",
        arg=warning_id)
    assert page.input_value("#ops-warnings-pick") == str(warning_id)
    assert page.locator("tr.table-warning").count() == 1
    assert page.problems == []


def test_an_officer_unlinks_a_case_and_links_another_by_its_number(live, page):
    url, backend, warning_id, ids, other = live
    sign_in(page, url, f"/ops/warnings?id={warning_id}", "duty")
    row = page.locator("table.ops-warnings tr.table-warning")
    row.wait_for()
    assert row.locator("td").nth(7).text_content() == "WC-1WC-2WC-3"

    said = _press(page, "WC-2", "unlink")
    assert said == f"案件 WC-2 已移出预警 #{warning_id}，以后不会再归入"
    page.wait_for_function(
        "() => document.querySelector('tr.table-warning td:nth-child(8)').textContent"
        " === 'WC-1WC-3'")
    said = _press(page, MARKUP_NUMBER, "link")
    assert said == f"案件 {MARKUP_NUMBER} 已加入预警 #{warning_id}"
    cases = row.locator("td").nth(7)
    page.wait_for_function(
        "() => document.querySelectorAll('tr.table-warning td:nth-child(8) a').length === 3")
    assert cases.locator("a").all_text_contents() == ["WC-1", "WC-3", MARKUP_NUMBER]
    assert page.locator("table.ops-warnings img").count() == 0  # text, never markup
    assert row.locator("td").nth(4).text_content() == "3 件"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ops_warnings_link_unlink.png"))

    # Refusals are said, and change nothing.
    assert _press(page, "NO-SUCH-CASE", "link") == "案件不存在"
    assert _press(page, "WC-2", "unlink") == "案件不在该预警中"

    with backend.sessions() as session:
        duty_name = session.scalar(select(User.display_name).where(User.username == "duty"))
        events = store.case_events(session, warning_id)
        observed = store.get_warning(session, warning_id).observed
    assert _links(backend, warning_id) == {ids[0]: ("detector", None),
                                           ids[1]: ("detector", duty_name),
                                           ids[2]: ("detector", None),
                                           other: (duty_name, None)}
    assert [(a, c, who) for a, c, who, _at in events] == \
        [("unlink", ids[1], duty_name), ("link", other, duty_name)]
    # The page's clock started at NOW and ticks: the events are within the test's minutes.
    assert all(NOW <= at < NOW + timedelta(minutes=10) for *_x, at in events)
    assert observed == 3

    # A later run keeps the officer's verdict: the unlinked case does not come back.
    detect_once(backend.sessions, COUNTY, ZONE, NOW + timedelta(hours=1), SECRET)
    with backend.sessions() as session:
        assert sorted(store.get_warning(session, warning_id).case_ids) == \
            sorted([ids[0], ids[2], other])
        assert session.scalar(select(Case.external_id).where(Case.id == other)) == \
            MARKUP_NUMBER
    assert page.problems == []
