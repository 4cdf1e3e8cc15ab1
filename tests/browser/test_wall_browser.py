"""/wall in headless Chromium against the real app on a small seeded region."""
from __future__ import annotations

import pytest
from sqlalchemy.orm import sessionmaker

from data_access.db import make_engine
from tests.browser.conftest import ARTIFACTS
from tests.support.wall_region import XSS_TITLE

pytestmark = pytest.mark.browser
PANELS = ("kpis", "queue", "alerts", "coverage", "disputes", "mix")
MIN_FONT_PX = 14
# The smallest rendered text (HTML and plotly SVG), in design pixels of a 1920×1080 canvas.
SMALLEST_TEXT_JS = """() => {
  const canvas = document.getElementById('wall-canvas');
  const unit = canvas.offsetHeight / 1080;
  let smallest = 1e9, where = '';
  for (const el of canvas.querySelectorAll('*')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) continue;
    const size = parseFloat(getComputedStyle(el).fontSize) / unit;
    if (size < smallest) { smallest = size; where = el.className + ' ' + el.textContent; }
  }
  return [smallest, where.slice(0, 80)];
}"""


def _open(browser, url: str, width: int, height: int):
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    dialogs: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(url.split("/wall")[0])
               else (errors.append(f"left the machine: {r.request.url}"), r.abort()))
    page.goto(url)
    for panel in PANELS:
        page.wait_for_function(
            f"(document.getElementById('wall-{panel}-status') || {{}}).textContent"
            f"?.match(/^(更新于|Updated)/)",
            timeout=20_000)
    return page, errors, dialogs


@pytest.mark.parametrize(("canvas", "width", "height"),
                         [("1920x1080", 1920, 1080), ("3840x2160", 3840, 2160)])
def test_every_panel_shows_data_without_errors(live_wall, browser, canvas, width, height):
    page, errors, dialogs = _open(browser, live_wall.wall(f"canvas={canvas}"), width,
                                  height)
    page.wait_for_selector("#wall-coverage-graph .choroplethlocation", timeout=20_000)
    page.wait_for_timeout(1200)  # the number roll
    assert page.inner_text("#wall-kpi-value-in_progress") == "5"
    assert page.locator("#wall-alerts-body .alert-row.red").count() == 2
    assert page.locator("#wall-queue-body .queue-row").count() >= 1
    assert page.locator("#wall-disputes-trend .bars .point").count() >= 1
    smallest, where = page.evaluate(SMALLEST_TEXT_JS)
    assert smallest >= MIN_FONT_PX - 0.01, where
    scroll = page.evaluate("[document.documentElement.scrollWidth, "
                           "document.documentElement.scrollHeight]")
    assert scroll == [width, height]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"wall-{canvas}.png"))
    assert errors == [] and dialogs == []
    page.close()


def test_script_in_a_case_title_is_shown_as_text(live_wall, browser):
    page, errors, dialogs = _open(browser, live_wall.wall("lang=en"), 1920, 1080)
    title = page.locator("#wall-queue-body .q-title", has_text=XSS_TITLE)
    assert title.count() == 1 and title.first.is_visible()
    assert page.locator("#wall-queue-body img").count() == 0
    page.wait_for_timeout(500)
    assert dialogs == [] and errors == []
    page.screenshot(path=str(ARTIFACTS / "wall-en-xss.png"))
    page.close()


def test_tiles_go_stale_when_the_database_dies_and_recover(live_wall, browser, monkeypatch):
    page, _errors, _dialogs = _open(browser, live_wall.wall(), 1920, 1080)
    dead = make_engine("postgresql+psycopg://postgres@127.0.0.1:9/none",
                       connect_args={"connect_timeout": 1})
    monkeypatch.setattr(live_wall.runtime, "sessions", sessionmaker(dead))
    page.wait_for_selector("#wall-alerts-tile.stale", timeout=20_000)
    status = page.inner_text("#wall-alerts-status")
    assert status.startswith("数据已过期 自 ")
    assert page.locator("#wall-alerts-body .alert-row").count() == 3  # last good data kept
    page.screenshot(path=str(ARTIFACTS / "wall-stale.png"))
    monkeypatch.undo()
    dead.dispose()
    page.wait_for_selector("#wall-alerts-tile:not(.stale)", timeout=20_000)
    assert page.inner_text("#wall-alerts-status").startswith("更新于")
    page.close()
