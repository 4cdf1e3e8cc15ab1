"""/briefing in Debian's Chromium, as a leader uses it: sign in, pick the period and the unit,
read the indicators with their 环比/同比 arrows, drill from a ranking row into its unit,
download the report (opened with python-docx and openpyxl), and print the page on A4.

Data: the hand-worked holiday cases of tests/support/briefing_cases.py (云龙区 320303, its
townships 320303001 and 320303002), the app's clock frozen at their "now" (5 January 2026).
"""
from __future__ import annotations

import io
import re
import socket
import threading

import pytest
from werkzeug.serving import make_server

from dashboard.app import create_app
from dashboard.runtime import open_runtime
from dashboard.settings import Settings
from tests.support.backends import backend_names, open_backend
from tests.support.briefing_cases import NOW, insert_briefing_cases
from tests.support.browser import ARTIFACTS, chromium, sign_in
from tests.support.clock import TickingClock
from tests.support.kiosk import add_people

A4_POINTS = (595.92, 842.88)  # Chromium's A4 media box, 210 × 297 mm in points
A4_TEXT_WIDTH_PX = round((210 - 2 * 12) / 25.4 * 96)  # assets/briefing.css: @page margin 12 mm


@pytest.fixture(scope="module", params=backend_names())
def briefing_url(request, tmp_path_factory):
    with open_backend(request.param, tmp_path_factory.mktemp("briefing-browser")) as backend:
        insert_briefing_cases(backend)
        add_people(backend.sessions)
        settings = Settings(env="test", database_url=backend.database_url,
                            redis_url=backend.redis_url, redis_namespace=backend.namespace,
                            region="320303", var_dir=tmp_path_factory.mktemp("var"))
        app = create_app(settings, open_runtime(settings, clock=TickingClock(NOW)))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = make_server("127.0.0.1", port, app.server, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.shutdown()
            app.server.config["GOVWALL_RUNTIME"].close()


def _pick(page, dropdown: str, option_text: str) -> None:
    """Choose an option of a dcc.Dropdown by its visible text, as a person does."""
    page.click(f"#{dropdown}")
    page.locator("[role=option]", has_text=option_text).first.click()


def _card(page, name: str) -> dict[str, str]:
    card = page.locator(".bf-card", has=page.locator(".bf-card-name", has_text=name)).first
    changes = card.locator(".bf-change")
    return {"value": card.locator(".bf-card-value").inner_text(),
            "mom": changes.nth(0).inner_text(), "yoy": changes.nth(1).inner_text()}


def _wait_for_briefing(page, head: str) -> None:
    page.wait_for_function(
        "h => document.querySelector('#briefing-content') && "
        "document.querySelector('#briefing-content').innerText.includes(h) && "
        "document.querySelectorAll('.bf-card').length === 13", arg=head, timeout=30_000)


def test_a_leader_briefing_in_chromium(briefing_url, tmp_path):
    from docx import Document
    from openpyxl import load_workbook

    ARTIFACTS.mkdir(exist_ok=True)
    with chromium(1400, 1000) as page:
        sign_in(page, briefing_url, "/briefing", username="lead")
        # The default: last month (December 2025) for the region; then a person's picks.
        _wait_for_briefing(page, "2025-12")
        _pick(page, "briefing-period", "周")
        page.fill("#briefing-date", "2026-W01")
        page.press("#briefing-date", "Enter")
        _pick(page, "briefing-unit", "云龙区（320303）")
        _wait_for_briefing(page, "云龙区 · 2026-W01（2025-12-29 — 2026-01-04）")

        # Reported: 4 this week, 1 the week before, 0 a year before (c6 was the week after).
        reported = _card(page, "上报数")
        assert reported["value"] == "4"
        assert reported["mom"] == "环比 ↑ +300.0%" and reported["yoy"].startswith("同比 ")
        assert _card(page, "按期办结率")["value"] == "33.3%"
        arrows = page.locator(".bf-change").all_inner_texts()
        assert len(arrows) == 26 and all(re.search("[↑↓→]|—", a) for a in arrows)
        page.screenshot(path=str(ARTIFACTS / "briefing-week.png"), full_page=True)

        # The report: the page's links give files that python-docx and openpyxl read back.
        with page.expect_download(timeout=120_000) as got:
            page.click("#briefing-xlsx")
        book = load_workbook(io.BytesIO(got.value.path().read_bytes()))
        indicators = book[book.sheetnames[0]]
        assert [c.value for c in indicators[1]][:2] == ["指标", "本期"]
        assert [c.value for c in indicators[2]][:2] == ["上报数", "4"]
        with page.expect_download(timeout=180_000) as got:
            page.click("#briefing-docx")
        document = Document(io.BytesIO(got.value.path().read_bytes()))
        assert document.tables[0].cell(1, 0).text == "上报数"
        assert document.tables[0].cell(1, 1).text == "4"
        ranked = [row.cells[1].text for row in document.tables[1].rows[1:]]
        assert ranked == ["第01街道", "第02街道"]

        # A4: the printed page keeps every table inside the text block, on A4 pages.
        page.emulate_media(media="print")
        page.set_viewport_size({"width": A4_TEXT_WIDTH_PX, "height": 1000})
        overflow = page.evaluate(
            "() => [...document.querySelectorAll('#briefing-content table')].map(t => "
            "[t.getBoundingClientRect().right, t.scrollWidth, t.parentElement.clientWidth])")
        assert overflow, "the briefing has tables"
        for right, scroll_width, room in overflow:
            assert right <= A4_TEXT_WIDTH_PX + 0.5 and scroll_width <= room + 0.5, overflow
        pdf = page.pdf(format="A4", print_background=True)
        (ARTIFACTS / "briefing-week.pdf").write_bytes(pdf)
        boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
        pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
        assert 1 <= pages <= 4 and len(boxes) >= pages
        assert all(abs(float(w) - A4_POINTS[0]) < 1 and abs(float(h) - A4_POINTS[1]) < 1
                   for w, h in boxes)
        page.emulate_media(media="screen")
        page.set_viewport_size({"width": 1400, "height": 1000})

        # A ranking row opens its unit's briefing over the same period.
        page.locator(".bf-rankings a.bf-drill", has_text="第02街道").click()
        page.wait_for_url(re.compile(r"unit=320303002"))
        _wait_for_briefing(page, "第02街道 · 2026-W01")
        assert _card(page, "上报数")["value"] == "2"  # c3 and c4, on the holiday
