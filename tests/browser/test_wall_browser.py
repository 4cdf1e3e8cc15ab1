"""/wall in headless Chromium against the real app on a small seeded region."""
from __future__ import annotations

import re
import threading
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy.orm import sessionmaker
from werkzeug.serving import make_server

from data_access.accounts import create_kiosk_token
from data_access.case_filters import CaseFilter
from data_access.db import make_engine
from layouts.wall.ids import DISPUTES_TREND, MAP_GRAPH
from tests.browser.conftest import ARTIFACTS
from tests.support.browser import sign_in
from tests.support.clock import TickingClock
from tests.support.kiosk import add_people
from tests.support.redis_server import RedisServer
from tests.support.wall_region import FIXED_NOW, GRIDS, XSS_TITLE, seed_wall_region

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


# A point on screen inside the n-th area of the map's fill trace (areas are drawn in the
# order of the trace's locations): of the inside points of a 20×20 sampling, the one nearest
# the box's centre — plotly hit-tests whole-pixel mouse offsets, so a point near the edge
# of a small area may fall just outside it.
INSIDE_AREA = """([graph, n]) => {
    const path = document.querySelector(graph + ' .trace.choropleth')
        .querySelectorAll('.choroplethlocation')[n];
    const box = path.getBBox(), matrix = path.getScreenCTM();
    let best = null, bestDistance = Infinity;
    for (let i = 0; i < 400; i++) {
        const fx = ((i % 20) + 0.5) / 20, fy = (Math.floor(i / 20) + 0.5) / 20;
        const p = new DOMPoint(box.x + box.width * fx, box.y + box.height * fy);
        const distance = (fx - 0.5) ** 2 + (fy - 0.5) ** 2;
        if (distance < bestDistance && path.isPointInFill(p)) {
            best = p;
            bestDistance = distance;
        }
    }
    if (!best) throw new Error('no point inside area ' + n);
    const s = best.matrixTransform(matrix);
    return [s.x, s.y];
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
    # Every county of the city is ranked, and every row lies inside the tile.
    inside = page.evaluate("""() => {
      const tile = document.getElementById('wall-alerts-tile').getBoundingClientRect();
      return [...document.querySelectorAll('#wall-alerts-body .rank-row')]
        .map(r => r.getBoundingClientRect().bottom <= tile.bottom + 0.5); }""")
    assert inside == [True] * 10
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
    assert title.count() == 1
    # Its page may be turned away on a slow machine; the pages come round again.
    title.first.wait_for(state="visible", timeout=30_000)
    assert page.locator("#wall-queue-body img").count() == 0
    page.wait_for_timeout(500)
    assert dialogs == [] and errors == []
    page.screenshot(path=str(ARTIFACTS / "wall-en-xss.png"))
    page.close()


def test_tiles_go_stale_when_the_database_dies_and_recover(live_wall, browser, monkeypatch):
    """The refresher cannot reach the database: tiles keep their last frame with its true
    age, then, once it is old for the tile, say stale; they recover by themselves."""
    from dashboard.app import REFRESHERS

    page, _errors, _dialogs = _open(browser, live_wall.wall(), 1920, 1080)
    rows = page.locator("#wall-alerts-body .alert-row").count()
    assert rows == 3  # WALL_EXPECTED["alerts_order"]
    dead = make_engine("postgresql+psycopg://postgres@127.0.0.1:9/none",
                       connect_args={"connect_timeout": 1})
    for refresher in live_wall.app.server.extensions[REFRESHERS]:  # the fast lane too
        monkeypatch.setattr(refresher, "sessions", sessionmaker(dead))
    live_wall.clock.advance(120)  # two minutes without a refresh
    page.wait_for_selector("#wall-alerts-tile.stale", timeout=20_000)
    status = page.inner_text("#wall-alerts-status")
    assert status.startswith("数据已过期 自 14:0")  # the time of the last good data
    assert page.locator("#wall-alerts-body .alert-row").count() == rows  # last good data kept
    page.screenshot(path=str(ARTIFACTS / "wall-stale.png"))
    monkeypatch.undo()
    dead.dispose()
    for panel in PANELS:
        page.wait_for_selector(f"#wall-{panel}-tile:not(.stale)", timeout=20_000)
    assert page.inner_text("#wall-alerts-status").startswith("更新于 14:0")
    page.close()


def test_rotation_of_units_and_of_map_measures(live_wall, browser):
    page, errors, _dialogs = _open(
        browser, live_wall.wall("rotate=320300,320302&every=5&measure_every=5"), 1920, 1080)
    # The view may have rotated while every tile filled: wait for the region's turn.
    page.wait_for_function("document.getElementById('wall-view-name').textContent"
                           " === '徐州市社会治理现代化指挥中心'", timeout=10_000)
    caption = page.locator("#wall-coverage-caption")
    first_caption = caption.inner_text()
    assert first_caption in ("今日巡查覆盖率", "在线网格员", "在办事件数", "超期事件数")
    page.wait_for_function("document.getElementById('wall-view-name').textContent"
                           ".endsWith('· 鼓楼区')", timeout=10_000)
    page.wait_for_function(f"document.getElementById('wall-coverage-caption').textContent"
                           f" !== '{first_caption}'", timeout=10_000)
    # The colour bar's title follows the caption (a Patch, not a new figure).
    page.wait_for_function("""() => {
      const t = document.querySelector('#wall-coverage-graph .cbtitle');
      return t && t.textContent ===
        document.getElementById('wall-coverage-caption').textContent; }""", timeout=10_000)
    page.wait_for_function("document.getElementById('wall-view-name').textContent"
                           " === '徐州市社会治理现代化指挥中心'", timeout=10_000)
    assert errors == []
    page.close()


def test_new_overdue_case_signals_rolls_the_count_and_the_queue_pages(live_wall, browser):
    from data_access import case_store as cs

    page, errors, _dialogs = _open(browser, live_wall.wall(), 1920, 1080)
    page.wait_for_timeout(1200)  # the first number roll
    reported = int(page.inner_text("#wall-kpi-value-reported"))
    now = live_wall.clock()

    def report(n: int, title: str, deadline: datetime) -> None:
        draft = cs.CaseDraft(external_id=f"T-NEW-{n}", source="grid_patrol",
                             major_class="urban", subclass="manhole", priority="normal",
                             title=title, description="", grid_code=GRIDS[n % 4], lon=None,
                             lat=None, reporter_name=None, reporter_phone=None, address=None)
        with cs.case_change(live_wall.runtime.sessions, live_wall.runtime.counters) as session:
            cs.report_case(session, draft, now - timedelta(minutes=2), "test", deadline)

    # Enough new reports for two pages of the board whatever the hour, then one overdue.
    for n in range(8):
        report(n, f"例行上报{n}", now + timedelta(days=3))
    report(8, "井盖缺失 新告警", now - timedelta(minutes=30))
    page.wait_for_selector("#wall-alert-signal.on", timeout=15_000)
    assert "alert-focus" in page.get_attribute("#wall-canvas", "class")
    # The signal and the alert list are two outputs of the answer: the row may follow it.
    flashing = page.locator("#wall-alerts-body .alert-row.red.flash", has_text="井盖缺失 新告警")
    flashing.first.wait_for(timeout=15_000)
    assert flashing.count() == 1
    # The roll ends on the new figure, not somewhere on the way.
    page.wait_for_function(f"document.getElementById('wall-kpi-value-reported').textContent"
                           f" === '{reported + 9}'", timeout=10_000)
    page.wait_for_timeout(1200)
    value = page.locator("#wall-kpi-value-reported")
    assert value.inner_text() == str(reported + 9)
    assert value.get_attribute("data-value") == str(reported + 9)
    # The board pages on its own (8 s a page): once it has several pages, the one shown
    # changes with no input.
    shown = """() => { const p = [...document.querySelectorAll('#wall-queue-body .queue-page-no')]
      .find(p => p.offsetParent); return p ? p.textContent : ''; }"""
    page.wait_for_function(f"/^第 \\d\\/[2-9] 页$/.test(({shown})())", timeout=15_000)
    first = page.evaluate(shown)
    page.wait_for_function(f"({shown})() !== '{first}'", timeout=10_000)
    # The next page (the count of pages may grow meanwhile: the simulated reports of the
    # fixture keep the queue filling, so only the page number is compared).
    assert re.fullmatch(r"第 \d+/\d+ 页", page.evaluate(shown))
    page.screenshot(path=str(ARTIFACTS / "wall-new-alert.png"))
    assert errors == []
    page.close()


@pytest.fixture
def wall_on_a_stoppable_redis(tmp_path):
    """The app on a redis-server of this test's own, which the test stops and starts."""
    from dashboard.app import create_app
    from dashboard.runtime import open_runtime
    from dashboard.settings import Settings
    from tests.support.backends import open_backend

    redis_server = RedisServer(tmp_path).start()
    clock = TickingClock(FIXED_NOW)
    with open_backend("embedded", tmp_path / "db") as backend:
        seed_wall_region(backend.sessions, backend.counters, FIXED_NOW)
        with backend.sessions.begin() as session:
            _info, kiosk = create_kiosk_token(session, "redis test", clock())
        settings = Settings(env="test", database_url=backend.database_url,
                            redis_url=redis_server.url, redis_namespace=backend.namespace,
                            region="320300", var_dir=tmp_path / "var")
        runtime = open_runtime(settings, clock=clock)
        server = make_server("127.0.0.1", 0, create_app(settings, runtime).server, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server_port}/wall?kiosk={kiosk}", redis_server
        finally:
            server.shutdown()
            runtime.close()
            redis_server.stop()


def test_tiles_go_stale_when_redis_goes_away_and_recover(wall_on_a_stoppable_redis, browser):
    url, redis_server = wall_on_a_stoppable_redis
    page, _errors, _dialogs = _open(browser, url, 1920, 1080)
    rows = page.locator("#wall-alerts-body .alert-row").count()
    redis_server.stop()
    page.wait_for_selector("#wall-alerts-tile.stale", timeout=20_000)
    assert page.inner_text("#wall-alerts-status").startswith("数据已过期 自 ")
    assert page.locator("#wall-alerts-body .alert-row").count() == rows  # last frame kept
    page.screenshot(path=str(ARTIFACTS / "wall-redis-down.png"))
    redis_server.start()
    for panel in PANELS:
        page.wait_for_selector(f"#wall-{panel}-tile:not(.stale)", timeout=30_000)
    assert page.inner_text("#wall-alerts-status").startswith("更新于")
    page.close()


def _signed_in(live_wall, browser, path: str):
    """A 1920×1080 page with a duty officer signed in (so that /ops opens), at `path`."""
    add_people(live_wall.backend.sessions)
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    sign_in(page, live_wall.url, path)
    return page


def _first_trace(page, graph: str, keys: tuple[str, str]) -> dict:
    """`keys` of the first trace of the plotly figure in `graph`, once the first is filled."""
    plot = f"document.querySelector('{graph} .js-plotly-plot')"
    page.wait_for_function(f"() => {{ const g = {plot}; const t = g && g.data && g.data[0]; "
                           f"return t && t.{keys[0]} && t.{keys[0]}.length > 0; }}",
                           timeout=30_000)
    return page.evaluate(f"() => {{ const t = {plot}.data[0]; "
                         f"return {{{keys[0]}: t.{keys[0]}, {keys[1]}: t.{keys[1]}}}; }}")


def _ops_shows(page, live_wall, wanted: CaseFilter, count: int) -> None:
    """The click led to /ops on exactly `wanted`, and /ops counts `count` cases."""
    page.wait_for_url("**/ops?*", timeout=10_000)
    assert page.url == live_wall.url + wanted.href()
    page.wait_for_function("document.querySelector('#ops-count-total') && document"
                           f".querySelector('#ops-count-total').textContent == '{count}'")


@pytest.mark.parametrize(("measure", "cases"), [
    ("open", {"open": True}),
    ("overdue", {"deadline": ("overdue", "long_overdue"), "sort": "overdue"})])
def test_an_area_on_the_map_opens_ops_with_the_same_count(live_wall, browser, measure, cases):
    """The map pinned to a count of cases: clicking an area opens /ops on exactly the cases
    its colour counts (the URL CaseFilter.href() makes), and /ops shows the same number."""
    page = _signed_in(live_wall, browser, f"/wall?measure={measure}")
    graph = f"#{MAP_GRAPH}"
    # The colour is a class; the unit's own count travels beside it (customdata).
    fill = _first_trace(page, graph, ("locations", "customdata"))
    value = max(fill["customdata"])
    n = fill["customdata"].index(value)
    assert value > 0  # the seeded region has open and overdue cases
    # the areas come from a GeoJSON URL: wait until they are drawn
    page.wait_for_function(f"() => {{ const p = document.querySelector('{graph} .trace.choropleth"
                           " .choroplethlocation'); return p && p.getBBox().width > 0; }",
                           timeout=30_000)
    page.mouse.click(*page.evaluate(INSIDE_AREA, [graph, n]))
    _ops_shows(page, live_wall, CaseFilter(unit=fill["locations"][n], **cases), int(value))
    page.close()


def test_a_dispute_segment_opens_ops_on_its_cases(live_wall, browser):
    """A segment of the dispute trend (a type on a day) opens /ops on exactly those disputes:
    the URL CaseFilter.href() makes, and /ops counts the segment's height."""
    page = _signed_in(live_wall, browser, "/wall?unit=320302")
    graph = f"#{DISPUTES_TREND}"
    bars = _first_trace(page, graph, ("customdata", "y"))
    # the tallest segment of the first type
    n = bars["y"].index(max(bars["y"]))
    types, day = bars["customdata"][n]
    box = page.locator(f"{graph} .trace.bars").first.locator(".point").nth(n).bounding_box()
    assert box and box["height"] > 0
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wanted = CaseFilter(unit="320302", dispute=tuple(types.split(",")),
                        date_from=date.fromisoformat(day), date_to=date.fromisoformat(day))
    _ops_shows(page, live_wall, wanted, max(bars["y"]))
    page.close()


def test_a_tile_never_asks_again_while_its_request_is_in_flight(live_wall, browser):
    """The alert tile's first request is held unanswered: for three of its intervals it sends
    no other (a tile that re-asks under load never gets an answer applied), while the other
    tiles fill; once the answer arrives it asks again at its own pace."""
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    held, asked = [], []

    def is_alerts(request) -> bool:
        return "/_dash-update-component" in request.url and \
            "wall-alerts-body" in (request.post_data or "")

    def hold_first(route) -> None:
        if is_alerts(route.request) and not held:
            held.append(route)  # answered later, from the test
            return
        route.continue_()

    page.on("request", lambda r: is_alerts(r) and asked.append(r.post_data))
    page.route("**/_dash-update-component*", hold_first)
    page.goto(live_wall.wall())
    page.wait_for_function("(document.getElementById('wall-queue-status') || {}).textContent"
                           "?.startsWith('更新于')", timeout=20_000)
    page.wait_for_timeout(3 * 5000)  # three of the alert tile's intervals
    assert len(held) == 1 and len(asked) == 1
    assert page.inner_text("#wall-alerts-status") == "正在获取数据…"
    held[0].continue_()
    page.wait_for_function("document.getElementById('wall-alerts-status').textContent"
                           ".startsWith('更新于')", timeout=20_000)
    page.wait_for_timeout(7000)  # its interval is 5 s
    assert len(asked) >= 2
    page.close()
