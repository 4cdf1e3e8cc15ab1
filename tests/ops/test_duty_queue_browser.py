"""The duty queue in Chromium (issue 9, item 2): an officer whose area is township 001 signs in
and /ops opens on that township's queue; a new urgent case written through case_store, and a
case passing its deadline as the (ticking) clock is moved on, appear without a reload,
highlighted, with a beep once the officer has turned the sound on (kept across a reload); the
full case list is one click away. Case text stays text.

ops_cases at NOW (Wednesday 2026-11-18 10:00 in Shanghai), township 001: C overdue, B
approaching (due 11:00), A, H normal, G without a deadline; all reported in the last 8 hours
and not acknowledged, so all five are new and unacknowledged.
"""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from data_access import case_store
from data_access.accounts import create_user
from data_access.models import CaseTransition
from tests.support.backends import backend_names, open_backend
from tests.support.browser import ARTIFACTS, chromium, serve, sign_in
from tests.support.clock import TickingClock
from tests.support.kiosk import PASSWORD, add_people
from tests.support.ops_cases import NOW, SPEC, insert_ops_cases
from tests.support.tiny_territory import GRIDS, TOWNSHIPS

pytestmark = pytest.mark.browser

IMG = '<img src=x onerror="document.title=1">'
ROWS = "() => Array.from(document.querySelectorAll('.duty-row'))"
TITLES = f"() => ({ROWS})().map(r => r.querySelector('.duty-title').textContent)"
NEW = f"() => ({ROWS})().filter(r => r.classList.contains('duty-new')).map(r => r.dataset.case)"


@pytest.fixture(scope="module", params=backend_names())
def live(request, tmp_path_factory):
    with open_backend(request.param, tmp_path_factory.mktemp(f"dqb-{request.param}")) as b:
        ids = insert_ops_cases(b.sessions)
        add_people(b.sessions)
        with b.sessions.begin() as session:
            create_user(session, "area-duty", "片区值班员", "duty_officer", PASSWORD,
                        datetime.now(UTC), area=TOWNSHIPS[0])
        clock = TickingClock(NOW)
        with serve(b, clock) as url:
            yield url, b, ids, clock


def count(page, group: str) -> str:
    return page.locator(f"#ops-duty-count-{group}").text_content()


def test_the_queue_announces_new_and_newly_overdue_cases_without_a_reload(live):
    base_url, b, ids, clock = live
    with chromium(1600, 1000) as page:
        problems = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("dialog", lambda d: (problems.append(d.message), d.dismiss()))
        sign_in(page, base_url, "/ops", "area-duty")
        page.locator(".duty-row").first.wait_for()
        assert page.locator("#ops-duty-view").is_visible()
        assert not page.locator("#ops-list-view").is_visible()
        assert page.locator("#ops-duty-area").text_content() == "责任区域：第01街道"
        assert [count(page, g) for g in ("overdue", "approaching", "unacknowledged",
                                         "supervised", "total")] == ["1", "1", "5", "0", "5"]
        assert page.evaluate(TITLES) == [SPEC[k][5] for k in ("C", "B", "A", "H", "G")]
        assert page.evaluate(NEW) == []  # the first answer announces nothing

        # The sound is off until the officer turns it on; turning it on says so once.
        assert page.evaluate("window.govwallDuty.soundOn()") is False
        page.click("#ops-duty-sound")
        page.wait_for_function("window.govwallDuty.beeps === 1")
        assert page.locator("#ops-duty-sound").get_attribute("aria-pressed") == "true"
        assert page.locator("#ops-duty-sound").inner_text() == "提示音：开"

        # A new urgent case in the area, through the write path.
        with case_store.case_change(b.sessions, b.counters) as session:
            new_id = case_store.report_case(session, case_store.CaseDraft(
                "DQB-NEW", "hotline_12345", "urban", "street_light", "urgent", IMG, "",
                GRIDS[1], None, None, None, None, None), clock(), "12345", None)
        page.wait_for_function(f"({NEW})().includes('{new_id}')", timeout=30_000)
        assert count(page, "total") == "6" and count(page, "unacknowledged") == "6"
        row = page.locator(f".duty-row[data-case='{new_id}']")
        assert row.locator(".duty-title").text_content() == IMG  # text, not an element
        assert row.locator(".duty-title img").count() == 0
        assert "紧急" in row.locator(".duty-badges").text_content()
        assert page.evaluate("window.govwallDuty.beeps") == 2
        page.screenshot(path=str(ARTIFACTS / "duty-queue-new-case.png"))

        # B is due at 11:00: an hour and two minutes on, it is overdue; it moves up and
        # lights up, and nothing was reloaded (the page's own state is still there). The
        # clock moves in two steps, a poll in between, as a session idle for an hour ends.
        page.evaluate("window.__notReloaded = true")
        clock.advance(40 * 60)
        page.wait_for_function("document.querySelector('#ops-duty-updated').textContent"
                               ".includes(' 10:4')", timeout=30_000)
        # (its highlight lasts a minute of the browser's own time, which a loaded machine
        # may have spent by now: only its place in the queue is checked here)
        assert page.locator(f".duty-row[data-case='{new_id}']").count() == 1
        clock.advance(22 * 60)
        page.wait_for_function(f"({NEW})().includes('{ids['B']}')", timeout=30_000)
        assert count(page, "overdue") == "2" and count(page, "approaching") == "0"
        assert page.evaluate(TITLES)[:2] == [SPEC["C"][5], SPEC["B"][5]]
        assert "超 0时" in page.locator(f".duty-row[data-case='{ids['B']}'] .duty-when") \
            .text_content()
        assert page.evaluate("window.__notReloaded") is True
        assert page.evaluate("window.govwallDuty.beeps") == 3
        assert page.evaluate("document.title") != "1" and problems == []

        # The sound stays on across a reload; the case list is one click away.
        page.reload()
        page.locator(".duty-row").first.wait_for()
        assert page.locator("#ops-duty-sound").get_attribute("aria-pressed") == "true"
        # The hidden list counts nothing until it is opened.
        assert page.locator("#ops-count-total").count() == 0
        page.click("#ops-view-list")
        page.locator("#ops-count-total").wait_for()
        assert page.locator("#ops-list-view").is_visible()
        assert not page.locator("#ops-duty-view").is_visible()
        page.wait_for_function("location.search.includes('view=list')")
        page.locator(".ag-row").first.wait_for()
        # ... and a queue row opens its case in the list.
        page.click("#ops-view-duty")
        page.locator(f".duty-row[data-case='{ids['C']}']").click()
        page.locator("#ops-detail-title", has_text=SPEC["C"][5]).wait_for()
        assert page.locator("#ops-list-view").is_visible()


def test_a_supervision_order_reaches_the_queue_of_the_area_it_is_addressed_to(live):
    """The township officer orders 督办 on C to the county (the 督办对象 selector) and on B
    to the township (its default): only B's order is theirs; both orders keep their
    addressee in the database."""
    base_url, b, ids, _clock = live
    with chromium(1600, 1000) as page:
        sign_in(page, base_url, "/ops", "area-duty")
        page.locator(".duty-row").first.wait_for()
        assert count(page, "supervised") == "0"
        for key, addressee in (("C", "云龙区"), ("B", None)):
            page.goto(f"{base_url}/ops?case={ids[key]}&unit={TOWNSHIPS[0]}")
            page.locator("#ops-detail-title").wait_for()
            assert page.locator("#ops-act-addressee").inner_text() == "督办对象：第01街道"
            if addressee:
                page.click("#ops-act-addressee")
                page.locator("[role=option]", has_text=addressee).first.click()
            page.fill("#ops-act-text", f"督办{key}")
            page.click("#ops-act-supervise")
            page.locator("#ops-events li", has_text=f"督办{key}").wait_for()
        page.click("#ops-view-duty")
        page.wait_for_function("document.querySelector('#ops-duty-count-supervised')"
                               ".textContent == '1'", timeout=30_000)
        row = page.locator(f".duty-row[data-case='{ids['B']}'] .duty-badges")
        assert "督办" in row.text_content()
    with b.sessions() as session:
        orders = dict(session.execute(
            select(CaseTransition.case_id, CaseTransition.addressee)
            .where(CaseTransition.kind == "supervision")).all())
    assert orders == {ids["C"]: TOWNSHIPS[0][:6], ids["B"]: TOWNSHIPS[0]}


def test_an_account_without_an_area_watches_the_whole_region(live):
    base_url, _b, _ids, _clock = live
    with chromium(1366, 768) as page:
        sign_in(page, base_url, "/ops", "duty")
        page.locator(".duty-row").first.wait_for()
        assert page.locator("#ops-duty-area").text_content() == "责任区域：徐州市"
        # Township 002's long-overdue D is in it too, first (the longest overdue).
        assert page.evaluate(TITLES)[0] == SPEC["D"][5]
        page.screenshot(path=str(ARTIFACTS / "duty-queue-1366.png"))


def test_a_link_naming_cases_still_opens_the_list(live):
    base_url, _b, _ids, _clock = live
    with chromium(1600, 1000) as page:
        sign_in(page, base_url, f"/ops?unit={TOWNSHIPS[1]}", "duty")
        page.locator("#ops-count-total").wait_for()
        assert page.locator("#ops-list-view").is_visible()
        assert not page.locator("#ops-duty-view").is_visible()
        assert page.evaluate("location.search") == f"?unit={TOWNSHIPS[1]}"
