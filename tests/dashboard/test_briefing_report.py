"""The briefing's files on the hand-worked holiday cases: the Word document opened with
python-docx and its tables read back, the XLSX's sheets, the PDF printed by Chromium, the
page's download over HTTP, and the scheduled generation into a folder."""
from __future__ import annotations

import io

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook

from dashboard.app import create_app
from dashboard.briefing_files import generate
from dashboard.briefing_report import Block, blocks, render, to_html
from dashboard.settings import Settings
from data_access.reports import periods
from data_access.reports.briefing import collect
from tests.support.backends import ZONE, backend_names, open_backend
from tests.support.briefing_cases import NOW, insert_briefing_cases
from tests.support.kiosk import add_people, sign_in

WEEK = periods.parse("week", "2026-W01")


@pytest.fixture(scope="module", params=backend_names())
def briefing_backend(request, tmp_path_factory):
    with open_backend(request.param, tmp_path_factory.mktemp("report")) as backend:
        insert_briefing_cases(backend)
        with backend.sessions() as session:
            backend.data = collect(session, "320303", WEEK, ZONE, NOW)
        yield backend


def _tables(doc) -> list[list[list[str]]]:
    return [[[cell.text for cell in row.cells] for row in table.rows] for table in doc.tables]


def test_the_word_document_reads_back(briefing_backend):
    doc = Document(io.BytesIO(render(briefing_backend.data, "docx")))
    section = doc.sections[0]
    mm = [round(x.mm) for x in (section.page_width, section.page_height, section.top_margin,
                                section.bottom_margin, section.left_margin,
                                section.right_margin)]
    assert mm == [210, 297, 37, 35, 28, 26]  # A4, GB/T 9704-2012's margins
    assert doc.paragraphs[0].text == "云龙区社会治理运行简报"
    fonts = doc.paragraphs[0].runs[0]._element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    body = next(p for p in doc.paragraphs if p.text.startswith("本期共上报"))
    assert body.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert body.text == ("本期共上报事件4件，环比+300.0%，同比+300.0%；办结2件；"
                         "按期办结率33.3%，环比—。")
    tables = _tables(doc)
    figures = tables[0]
    assert figures[0] == ["指标", "本期", "上期", "环比", "上年同期", "同比"]
    assert figures[1] == ["上报数", "4", "1", "↑ +300.0%", "1", "↑ +300.0%"]
    assert figures[5] == ["按期办结率", "33.3%", "—", "→ —", "100.0%", "↓ -66.7个百分点"]
    assert figures[11] == ["超期天数", "0.9 天", "0.0 天", "→ —", "0.0 天", "→ —"]
    rankings = tables[1]
    assert [row[:3] for row in rankings[1:]] == [["1", "第01街道", "50.00"],
                                                 ["2", "第02街道", "0.00"]]
    assert rankings[2][-1] == "-1"  # 第02街道 was first the week before
    assert tables[2][1] == ["城市管理", "路灯故障", "4", "1", "+300.0%"]
    assert len(doc.inline_shapes) == 2  # the hot issues' bars and the trends


def test_xlsx_has_one_sheet_per_table_and_pdf_is_printed(briefing_backend):
    book = load_workbook(io.BytesIO(render(briefing_backend.data, "xlsx")))
    assert book.sheetnames[:4] == ["指标", "红黑榜", "热点小类", "重复诉求"]
    assert [c.value for c in book["指标"][2]] == ["上报数", "4", "1", "↑ +300.0%", "1",
                                                 "↑ +300.0%"]
    assert [c.value for c in book["重复诉求"][1]] == ["地点", "热点小类", "重复件数", "上报数"]
    assert [c.value for c in book["重复诉求"][2]] == ["第01街道·第01社区", "路灯故障", "1", "2"]
    assert book["趋势"].max_row == 13  # a header and 12 weeks
    pdf = render(briefing_backend.data, "pdf", "en")
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 3


def test_html_escapes_what_it_shows():
    page = to_html([Block("p", "<script>alert(1)</script>"),
                    Block("table", head=("<b>",), rows=(("a&b",),))])
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "<th>&lt;b&gt;</th>" in page and "<td>a&amp;b</td>" in page


def test_english_blocks_name_the_lists(briefing_backend):
    items = blocks(briefing_backend.data, "en")
    texts = [b.text for b in items]
    assert "Red list：第01街道；Black list：第02街道。" in texts


def test_download_over_http_and_scheduled_files(briefing_backend, tmp_path):
    add_people(briefing_backend.sessions)
    settings = Settings(env="test", database_url=briefing_backend.database_url,
                        redis_url=briefing_backend.redis_url,
                        redis_namespace=briefing_backend.namespace, region="320303")
    app = create_app(settings, refresher=False)
    runtime = app.server.config["GOVWALL_RUNTIME"]
    runtime.clock = lambda: NOW
    try:
        anonymous = app.server.test_client()
        query = "period=week&date=2026-W01&unit=320303"
        assert anonymous.get(f"/briefing/download.xlsx?{query}").status_code in (302, 401)
        client = app.server.test_client()
        assert sign_in(client, "duty").status_code == 302
        answer = client.get(f"/briefing/download.xlsx?{query}")
        assert answer.status_code == 200
        assert 'filename="briefing-320303-2026-W01.xlsx"' in answer.headers["Content-Disposition"]
        sheet = load_workbook(io.BytesIO(answer.data))["指标"]
        assert sheet["B2"].value == "4"
        assert client.get("/briefing/download.xlsx?period=month&date=2026-13").status_code == 400
        assert client.get(f"/briefing/download.exe?{query}").status_code == 404
    finally:
        runtime.close()
    # Now is 5 January 2026: the last whole month is December 2025, made once.
    made = generate(briefing_backend.sessions, tmp_path, "320303", "month", ["xlsx"], ZONE, NOW)
    assert [(p.name, w) for p, w in made] == [("briefing-320303-2025-12.xlsx", True)]
    again = generate(briefing_backend.sessions, tmp_path, "320303", "month", ["xlsx"], ZONE,
                     NOW, back=2)
    assert [(p.name, w) for p, w in again] == [("briefing-320303-2025-11.xlsx", True),
                                               ("briefing-320303-2025-12.xlsx", False)]
    december = load_workbook(tmp_path / "briefing-320303-2025-12.xlsx")["指标"]
    # December 2025: c1 c2 c5 reported; c1 c2 c5 registered; nothing closed in December.
    assert [december[f"B{r}"].value for r in (2, 3, 4)] == ["3", "3", "0"]


def test_weights_come_from_the_settings(briefing_backend):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="weight 'on_time'"):
        Settings(briefing_weights="on_time=3")
    weights = Settings(briefing_weights="satisfaction=1").weights
    assert weights == {"satisfaction": 1.0} and Settings().weights is None
    with briefing_backend.sessions() as session:
        data = collect(session, "320303", WEEK, ZONE, NOW, weights)
    # Only 满意率 counts: A 1/2 → 50; B has no answered follow-up → no score, ranked after.
    assert [(r["name"], r["score"], r["rank"]) for r in data["rankings"]] == [
        ("第01街道", 50.0, 1), ("第02街道", None, 2)]
    items = blocks(data, "zh")
    assert "综合得分权重（满分100）：满意率 1。" in [b.text for b in items]
    # A unit without a score is on neither list (the page tints neither).
    assert "红榜：第01街道；黑榜：无。" in [b.text for b in items]
    from layouts.briefing import rankings_table

    body = rankings_table(data, "zh").children[0].children[1].children
    assert [row.className for row in body] == ["bf-red", ""]


def test_the_command_prints_the_figures(briefing_backend, monkeypatch, capsys, tmp_path):
    import json

    from dashboard.cli import main

    for name, value in (("DATABASE_URL", briefing_backend.database_url),
                        ("REDIS_URL", briefing_backend.redis_url),
                        ("REDIS_NAMESPACE", briefing_backend.namespace), ("REGION", "320303"),
                        ("VAR_DIR", str(tmp_path)), ("ENV", "test")):
        monkeypatch.setenv(f"GOVWALL_{name}", value)
    assert main(["briefing", "--period", "week", "--date", "2026-W01", "--format",
                 "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    figures = {f["key"]: f for f in printed["figures"]}
    # Past figures only: the open case's overdue time grows with the real clock.
    assert (figures["reported"]["value"], figures["overdue_in_period"]["value"]) == (4, 2)
    assert printed["period"] == "2026-W01" and printed["year_before"] == "2025-W01"
    assert main(["briefing", "--date", "2026-01-02", "--unit", "320303001"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].startswith("320303001 2026-01 (2026-01-01–2026-01-31)")
    assert main(["briefing", "--period", "month", "--date", "2026-13"]) == 2
    assert "bad --date '2026-13'" in capsys.readouterr().err
