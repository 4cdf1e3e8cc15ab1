"""The alert tile in headless Chromium: it pages through every red and yellow case, and only
a newly overdue row flashes, for a limited time (issue 10, item 7)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from data_access.models import Case, CaseTransition
from layouts.wall.arrangement import fitted_rows, shape_for
from tests.browser.conftest import ARTIFACTS
from tests.support.wall_region import GRIDS

pytestmark = pytest.mark.browser

ROWS = "#wall-alerts-body .alert-row"
PAGE_NO = "#wall-alerts-body .alert-page-no"
CANVAS = (5760, 1080)


def _add_overdue(live_wall, overdue_by: dict[str, timedelta]) -> None:
    """Open cases past their deadline by the given spans, as the seed writes cases."""
    now = live_wall.clock()
    with live_wall.backend.sessions() as session, session.begin():
        for external_id, late in overdue_by.items():
            case = Case(external_id=external_id, source="grid_patrol", major_class="urban",
                        subclass="garbage", title=f"测试超期{external_id}", grid_code=GRIDS[1],
                        township_code=GRIDS[1][:9], county_code=GRIDS[1][:6],
                        stage="handling", reported_at=now - timedelta(days=3),
                        registered_at=now - timedelta(days=3), deadline_at=now - late,
                        updated_at=now)
            session.add(case)
            session.flush()
            session.add(CaseTransition(case_id=case.id, kind="stage", to_stage="registered",
                                       actor="test", at=now - timedelta(days=3)))


def _rows(page) -> list[dict]:
    return page.evaluate(f"""() => [...document.querySelectorAll('{ROWS}')].map(r => ({{
        href: r.getAttribute('href'), flash: r.classList.contains('flash'),
        iterations: getComputedStyle(r).animationIterationCount}}))""")


def test_alerts_page_through_every_case_and_only_a_new_one_flashes_for_a_while(live_wall,
                                                                               browser):
    clock = live_wall.clock
    late = {f"T-L{i}": timedelta(hours=i) for i in range(1, 9)}  # 8 more overdue
    _add_overdue(live_wall, late)
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # An ultra-wide canvas: its tall alert list holds the twelve alerts on two pages, so a
    # cycle of pages ends well within the minute a new case stays new.
    page.goto(live_wall.wall(f"canvas={CANVAS[0]}x{CANVAS[1]}"))
    red_total = "document.querySelector('#wall-alerts-body .total.red b')?.textContent.trim()"
    no_flash = f"""() => {{ const rows = [...document.querySelectorAll('{ROWS}')];
        return rows.length > 0 && rows.every(r => !r.classList.contains('flash')); }}"""
    page.wait_for_function(f"{red_total} === '10'", timeout=30_000)  # D, C and the eight
    # A minute on, those eight are no longer new.
    clock.advance(65)
    page.wait_for_function(no_flash, timeout=30_000)
    _add_overdue(live_wall, {"T-NEW": timedelta(minutes=30)})
    # 3 of the fixture (D, C red; E yellow) + 9 = 12 alerts, on pages of the rows fitted to
    # the tile on this canvas (11 two-line slots) less the page number's line.
    per_page = fitted_rows(shape_for(*CANVAS), *CANVAS)["alerts"] - 1
    pages = -(-12 // per_page)
    assert pages >= 2
    # A page turns every 10 s: page 1 comes round within a cycle of them all.
    page.wait_for_function(f"""() => {red_total} === '11' && document.querySelector('{PAGE_NO}')
        ?.textContent === '第 1/{pages} 页'""", timeout=15_000 * pages)
    first = _rows(page)
    assert len(first) == per_page
    # The newly overdue case leads the page and is the only one flashing; the animation
    # itself ends (a finite count), even if the row were never redrawn.
    assert "T-NEW" in first[0]["href"] and first[0]["flash"]
    assert first[0]["iterations"] == "50"
    assert [r["flash"] for r in first[1:]] == [False] * (per_page - 1)
    page.screenshot(path=str(ARTIFACTS / "wall-alerts-flash.png"))
    seen = {1: [r["href"] for r in first]}
    for number in (*range(2, pages + 1), 1):
        page.wait_for_function(
            f"document.querySelector('{PAGE_NO}')?.textContent === '第 {number}/{pages} 页'",
            timeout=30_000)
        seen.setdefault(number, [r["href"] for r in _rows(page)])
    shown = [href.split("q=")[-1].split("&")[0] for n in range(1, pages + 1) for href in seen[n]]
    # Every red and yellow case once: the new one first, then longest overdue first
    # (D 12 days, T-L8 … T-L3, C 2 hours before the fixture's start, T-L2 2 hours before
    # the test's later start, T-L1), then the yellow one (E).
    assert shown == ["T-NEW", "T-D", *[f"T-L{i}" for i in range(8, 2, -1)], "T-C", "T-L2",
                     "T-L1", "T-E"]
    # A minute after the wall first saw it, the case is still overdue but no longer new.
    clock.advance(65)
    page.wait_for_function(no_flash, timeout=30_000)
    assert page.evaluate(red_total) == "11"
    assert errors == []
    page.close()
