"""/ops in Chromium: sign in, drill to a county, open a case, issue a 督办, see it (and on
the wall); the table shows exactly the cases the counts above it count; a county on the
wall leads to /ops with the same count."""
from __future__ import annotations

import pytest

from tests.support.browser import ARTIFACTS, chromium, serve, sign_in
from tests.support.kiosk import add_people
from tests.support.ops_cases import EXPECTED_COUNTY, SPEC
from tests.support.tiny_territory import COUNTY, TOWNSHIPS

pytestmark = pytest.mark.browser

# Every row the grid holds, and the row count it reports (-1 while the last row is unknown).
GRID_STATE = """() => {
    const api = window.dash_ag_grid.getApi('ops-cases');
    const rows = [];
    api.forEachNode(n => { if (n.data) { rows.push(n.data); } });
    return {rows: rows, count: api.isLastRowIndexKnown() ? api.getDisplayedRowCount() : -1};
}"""


@pytest.fixture(scope="module")
def base_url(ops_backend):
    add_people(ops_backend.sessions)
    with serve(ops_backend) as url:
        yield url


@pytest.fixture(scope="module")
def page(base_url):
    with chromium() as page:
        yield page


def settled_grid(page) -> dict:
    """The grid once its rows agree with the total shown above it (or the timeout)."""
    page.locator("#ops-count-total").wait_for()
    try:
        page.wait_for_function(
            f"() => {{ const s = ({GRID_STATE})(); return s.count == Number(document"
            ".querySelector('#ops-count-total').textContent.replace(/,/g, '')); }",
            timeout=10_000)
    except Exception:  # noqa: BLE001 - the assertions below say what is wrong
        pass
    page.wait_for_timeout(300)  # a late stale response would land here
    return page.evaluate(GRID_STATE)


@pytest.mark.parametrize(("query", "wanted"), [
    ("deadline=overdue,long_overdue&open=1",
     lambda r: r["deadline_state_code"] in ("overdue", "long_overdue")),
    (f"unit={TOWNSHIPS[1]}", lambda r: r["place"].startswith("云龙区·第02街道·")),
])
def test_table_rows_match_the_counts_on_first_load(base_url, page, query, wanted):
    sign_in(page, base_url, f"/ops?{query}")
    state = settled_grid(page)
    total = int(page.locator("#ops-count-total").text_content().replace(",", ""))
    page.screenshot(path=str(ARTIFACTS / f"ops-filtered-{query.split('=')[0]}.png"))
    assert 0 < total < len(SPEC), "the fixture must make the filter matter"
    assert state["count"] == total
    assert len(state["rows"]) == total
    assert all(wanted(r) for r in state["rows"]), state["rows"]


def test_table_follows_a_filter_change(base_url, page):
    sign_in(page, base_url, f"/ops?unit={COUNTY}")
    assert settled_grid(page)["count"] == EXPECTED_COUNTY["total"]
    assert page.locator("#ops-county").text_content() == "云龙区"
    page.locator("#ops-township").click()
    page.locator(f"[role=option]:has(input[value='{TOWNSHIPS[1]}'])").click()
    page.wait_for_function("location.search.includes('unit=" + TOWNSHIPS[1] + "')")
    page.wait_for_function("document.querySelector('#ops-count-total').textContent == '2'")
    state = settled_grid(page)
    assert state["count"] == 2
    assert {r["place"].split("·")[1] for r in state["rows"]} == {"第02街道"}


def test_drill_open_and_supervise(base_url, page, ops_backend):
    ARTIFACTS.mkdir(exist_ok=True)
    sign_in(page, base_url, f"/ops?unit={COUNTY}")
    total = page.locator("#ops-count-total")
    total.wait_for()
    page.wait_for_function("document.querySelector('#ops-count-total').textContent == '8'")
    assert total.text_content() == str(EXPECTED_COUNTY["total"])
    page.locator(".ag-row .ag-cell", has_text="OPS-C").first.click()
    page.locator("#ops-detail-title").wait_for()
    assert page.locator("#ops-detail-title").text_content() == "路灯闪烁"
    assert page.locator("#ops-detail-reporter_phone").text_content() == "138****5678"
    assert "case=" in page.url
    page.fill("#ops-act-text", "请今日处理完毕")
    page.click("#ops-act-supervise")
    page.locator("#ops-action-result .text-success").wait_for()
    page.wait_for_function(
        "[...document.querySelectorAll('#ops-timeline text')].some(t => t.textContent == '督办')")
    page.screenshot(path=str(ARTIFACTS / "ops-supervised.png"), full_page=True)
    ops_url = page.url
    # The wall's alert panel shows the order (its cache lives a few seconds: wait for it).
    row = wall_row(page, "路灯闪烁")
    row.locator(".a-sup", has_text="督办").wait_for(timeout=30_000)
    page.goto(ops_url)
    page.locator("#ops-act-acknowledge").click()
    page.locator("#ops-detail-ack").filter(has_text="duty-name").wait_for()
    row = wall_row(page, "路灯闪烁")
    row.locator(".a-ack", has_text="duty-name").wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "wall-acknowledged.png"))


def test_a_county_on_the_wall_opens_ops_with_the_same_count(base_url, page):
    sign_in(page, base_url, "/wall")
    county = page.locator(".rank-row", has_text="云龙区").first
    county.wait_for(timeout=30_000)
    # The row counts the county's red and yellow cases: it opens exactly those.
    shown = int(county.locator(".n-red").text_content()) + \
        int(county.locator(".n-yellow").text_content())
    county.click()
    page.wait_for_url("**/ops?*")
    page.wait_for_function(f"document.querySelector('#ops-count-total') && document"
                           f".querySelector('#ops-count-total').textContent == '{shown}'")
    assert f"unit={COUNTY}" in page.url and "deadline=" in page.url
    state = settled_grid(page)
    assert state["count"] == shown
    assert {r["deadline_state_code"] for r in state["rows"]} <= \
        {"approaching", "overdue", "long_overdue"}


def wall_row(page, title: str):
    """The wall's alert row of a case, once the wall has refreshed."""
    page.goto(page.url.split("/ops")[0] + "/wall")
    row = page.locator(".alert-row", has_text=title).first
    row.wait_for(timeout=30_000)
    return row


@pytest.mark.parametrize(("query", "named"), [("period=week", "period"), ("unit=abc", "unit")])
def test_a_bad_url_parameter_is_named_and_counts_nothing(base_url, page, query, named):
    """Not the whole database under an empty table: the bad parameter is named, and the
    counts say 0 while the officer has set no filter of their own."""
    sign_in(page, base_url, f"/ops?{query}")
    error = page.locator("#ops-filter-error")
    error.wait_for(state="visible", timeout=30_000)
    assert named in error.inner_text()
    page.wait_for_function("document.querySelector('#ops-count-total') && document"
                           ".querySelector('#ops-count-total').textContent == '0'",
                           timeout=30_000)
    page.wait_for_timeout(2000)  # the dropdowns fill in: the figures stay at 0
    assert page.inner_text("#ops-count-total") == "0"
    assert error.is_visible()
