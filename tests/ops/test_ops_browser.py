"""/ops in Chromium: sign in, drill to a county, open a case, issue a 督办, see it."""
from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from dashboard.app import create_app
from dashboard.settings import Settings
from tests.support.kiosk import PASSWORD, add_people
from tests.support.ops_cases import EXPECTED_COUNTY
from tests.support.tiny_territory import COUNTY

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def base_url(ops_backend):
    add_people(ops_backend.sessions)
    settings = Settings(env="test", database_url=ops_backend.database_url,
                        redis_url=ops_backend.redis_url, redis_namespace=ops_backend.namespace)
    app = create_app(settings)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = make_server("127.0.0.1", port, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    app.server.config["GOVWALL_RUNTIME"].close()


@pytest.fixture(scope="module")
def page(base_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        yield page
        browser.close()


def test_drill_open_and_supervise(base_url, page, ops_backend):
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{base_url}/ops?unit={COUNTY}")
    page.fill("#username", "duty")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"**/ops?unit={COUNTY}")
    total = page.locator("#ops-count-total")
    total.wait_for()
    page.wait_for_function("document.querySelector('#ops-count-total').textContent == '8'")
    assert total.text_content() == str(EXPECTED_COUNTY["total"])
    page.locator(".ag-row .ag-cell", has_text="OPS-C").first.click()
    page.locator("#ops-detail-title").wait_for()
    assert page.locator("#ops-detail-title").text_content() == "路灯闪烁"
    assert page.locator("#ops-detail-reporter_phone").text_content() == "138****5678"
    assert "case=" in page.url
    page.fill("#ops-act-note", "请今日处理完毕")
    page.click("#ops-act-supervise")
    page.locator("#ops-action-result .text-success").wait_for()
    page.wait_for_function(
        "[...document.querySelectorAll('#ops-timeline text')].some(t => t.textContent == '督办')")
    page.screenshot(path=str(ARTIFACTS / "ops-supervised.png"), full_page=True)
    page.click("#ops-act-acknowledge")
    page.locator("#ops-detail-ack").filter(has_text="duty-name").wait_for()
