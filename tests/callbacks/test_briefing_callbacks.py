"""/briefing's callbacks on the hand-worked holiday cases (tests/support/briefing_cases.py):
the figures, the rankings by each indicator, the download links, bad input, and who may read
the page (every signed-in role; nobody else), through HTTP as a browser asks."""
from __future__ import annotations

import json

import pytest
from dash import no_update

from dashboard.app import create_app
from dashboard.settings import Settings
from tests.ops.test_auth import callback, post
from tests.support.backends import backend_names, open_backend
from tests.support.briefing_cases import NOW, insert_briefing_cases
from tests.support.kiosk import add_people, sign_in


@pytest.fixture(scope="module", params=backend_names())
def briefing_app(request, tmp_path_factory):
    with open_backend(request.param, tmp_path_factory.mktemp("briefing")) as backend:
        insert_briefing_cases(backend)
        add_people(backend.sessions)
        settings = Settings(env="test", database_url=backend.database_url,
                            redis_url=backend.redis_url, redis_namespace=backend.namespace,
                            region="320303")
        app = create_app(settings, refresher=False)
        runtime = app.server.config["GOVWALL_RUNTIME"]
        runtime.clock = lambda: NOW
        yield app
        runtime.close()


def _text(component) -> str:
    """Every string a component tree shows, joined (what a reader sees)."""
    return json.dumps(component.to_plotly_json() if hasattr(component, "to_plotly_json")
                      else component, default=lambda c: c.to_plotly_json(), ensure_ascii=False)


def test_the_week_across_the_new_year(briefing_app):
    from callbacks import briefing as cb

    with briefing_app.server.app_context():
        data, error, content, options, rank_by = cb.update("week", "2026-W01", "320303", "zh")
    assert error == "" and rank_by == "score"
    figures = {f["key"]: f for f in data["figures"]}
    assert figures["reported"]["value"] == 4 and figures["reported"]["previous"] == 1
    assert figures["on_time_rate"]["value"] == pytest.approx(1 / 3)
    assert figures["overdue_days"]["value"] == pytest.approx(6 / 7)
    shown = _text(content)
    assert "云龙区 · 2026-W01（2025-12-29 — 2026-01-04）" in shown
    assert "33.3%" in shown and "0.9 天" in shown and "9.2 小时" in shown
    assert "环比" in shown and "按期办结率 = 按期办结数" in shown  # the formula on demand
    assert [o["value"] for o in options][:3] == ["score", "reported", "registered"]
    assert [r["code"] for r in data["rankings"]] == ["320303001", "320303002"]


def test_rank_by_an_indicator_and_english(briefing_app):
    from callbacks import briefing as cb

    with briefing_app.server.app_context():
        data, *_ = cb.update("week", "2026-W01", "320303", "en")
        table = _text(cb.rankings("supervisions", data, "en"))
        assert cb.rankings("score", None, "en") is no_update
        links = cb.downloads(data, "en")
    # By supervision orders (fewer is better): 第01街道 (none) before 第02街道 (two).
    assert table.index("第01街道") < table.index("第02街道")
    assert "Supervision orders" in table and "Composite score weights" in table
    assert links[0] == "/briefing/download.docx?period=week&date=2026-W01&unit=320303&lang=en"


def test_bad_input_says_why(briefing_app):
    from callbacks import briefing as cb

    with briefing_app.server.app_context():
        data, error, content, *_ = cb.update("month", "2026-13", "320303", "zh")
        assert data is None and content == [] and "2026-13" in error
        data, error, *_ = cb.update("month", "2026-11", "999999", "zh")
        assert data is None and "999999" in error
        # No date: the last whole period before the clock's day (5 January 2026).
        assert cb.default_date("month") == "2025-12"
        assert cb.default_date("week") == "2026-W01"


PAGE = callback([("briefing-data", "data"), ("briefing-error", "children"),
                 ("briefing-content", "children"), ("briefing-rank-by", "options"),
                 ("briefing-rank-by", "value")],
                [("briefing-period", "value", "week"), ("briefing-date", "value", "2026-W01"),
                 ("briefing-unit", "value", "320303")],
                [("briefing-lang", "data", "zh")])


@pytest.mark.parametrize("who", ["duty", "lead", "admin"])
def test_every_role_reads_the_briefing(briefing_app, who):
    client = briefing_app.server.test_client()
    assert sign_in(client, who).status_code == 302
    assert client.get("/briefing").status_code == 200
    answer = post(client, PAGE)
    assert answer.status_code == 200
    data = answer.get_json()["response"]["briefing-data"]["data"]
    assert data["figures"][0]["value"] == 4


def test_nobody_signed_in_reads_nothing(briefing_app):
    client = briefing_app.server.test_client()
    assert client.get("/briefing").status_code in (302, 401)
    assert post(client, PAGE).status_code in (401, 403)
