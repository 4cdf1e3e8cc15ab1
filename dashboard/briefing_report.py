"""The briefing as a document: Word (official style), PDF and XLSX, from one list of blocks.

`blocks(data, lang)` turns data_access/reports/briefing.collect's values into a title,
headings, paragraphs, tables and charts; each format renders the same blocks:

- DOCX (python-docx) in the layout of GB/T 9704-2012: A4, margins 37/35/28/26 mm, body 仿宋
  三号 (16 pt), level-one headings 黑体, level-two 楷体, the title 小标宋 二号 (22 pt). The
  document names those faces, which official machines have; see README for the faces that
  stand in for them offline (PDF).
- PDF: the same blocks as an HTML page printed by headless Chromium (no LibreOffice).
- XLSX: one sheet per table.

Charts are plotly figures: in Word, PNG images rendered offline by kaleido driving Debian's
Chromium (BROWSER_PATH=/usr/bin/chromium), one browser for all of a report's charts; in the
PDF, drawn by the bundled plotly.js in the page Chromium prints (one browser, not two).
"""
from __future__ import annotations

import html
import io
import os
import subprocess
import tempfile
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from dashboard.export import spreadsheet_text
from layouts.briefing import RANK_COLUMNS, trends_figure
from layouts.briefing_format import arrow, change_text, value_text
from layouts.i18n import label, t

CHROMIUM = os.environ.get("BROWSER_PATH", "/usr/bin/chromium")
FORMATS = ("docx", "pdf", "xlsx")
MEDIA = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "pdf": "application/pdf",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# GB/T 9704-2012 faces, as Word names them; the PDF's offline stand-ins follow each.
FACES = {"title": ("方正小标宋简体", "Noto Serif CJK SC"), "h1": ("黑体", "Noto Sans CJK SC"),
         "h2": ("楷体_GB2312", "AR PL UKai CN"), "body": ("仿宋_GB2312", "AR PL UMing CN")}
_CHARTS = threading.Lock()
CHART_WIDTH_MM = 156  # A4's 210 mm less GB/T 9704's 28 + 26 mm margins


@dataclass(frozen=True)
class Block:
    kind: str  # title | subtitle | h1 | h2 | p | table | image
    text: str = ""
    head: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    figure: go.Figure | None = None
    sheet: str = ""  # a table's sheet name in the XLSX


def _name(f: dict, lang: str) -> str:
    return f["name_zh"] if lang == "zh" else f["name_en"]


def _hot_figure(data: dict, lang: str) -> go.Figure:
    rows = data["subclasses"][::-1]
    fig = go.Figure(go.Bar(x=[r["cases"] for r in rows], orientation="h",
                           y=[label("subclass", r["subclass"], lang) for r in rows],
                           marker_color="#b5121b", text=[r["cases"] for r in rows],
                           textposition="outside"))
    fig.update_layout(width=900, height=420, margin={"l": 140, "r": 40, "t": 20, "b": 30},
                      paper_bgcolor="white", plot_bgcolor="white",
                      font={"family": "Noto Sans CJK SC, sans-serif", "size": 14})
    return fig


def pngs(figures: list[go.Figure]) -> list[bytes]:
    """The figures as PNG: one Chromium for all (kaleido's server starts it once, ~4 s; each
    chart is then ~0.5 s), one report at a time per process."""
    import kaleido

    os.environ.setdefault("BROWSER_PATH", CHROMIUM)
    with _CHARTS, warnings.catch_warnings():
        # plotly warns that its kaleido options do not apply to a running server.
        warnings.simplefilter("ignore", UserWarning)
        # No MathJax: kaleido's default fetches it from a CDN, which on a closed network
        # stalls the first chart until the request fails (and loads nothing from outside).
        kaleido.start_sync_server(silence_warnings=True, mathjax=False)
        try:
            return [pio.to_image(f, format="png", scale=2) for f in figures]
        finally:
            kaleido.stop_sync_server(silence_warnings=True)


def blocks(data: dict, lang: str = "zh") -> list[Block]:
    zh = lang == "zh"
    meta = {f["key"]: f for f in data["figures"]}
    out = [Block("title", f"{data['unit_name']}社会治理运行简报" if zh else
                 f"{data['unit_name']}: social-governance briefing"),
           Block("subtitle", f"{data['period']}（{data['first']} — {data['last']}）"),
           Block("p", f"{t('briefing.as_of', lang)} {data['as_of'][:16].replace('T', ' ')} UTC")]
    if data["unbuilt_days"]:
        out.append(Block("p", t("briefing.unbuilt", lang).format(n=data["unbuilt_days"])))
    reported, closed, on_time = meta["reported"], meta["closed"], meta["on_time_rate"]
    n_reported, n_closed = value_text(reported, lang=lang), value_text(closed, lang=lang)
    r_mom, r_yoy = (change_text(reported, reported[w], lang) for w in ("mom", "yoy"))
    rate, rate_mom = value_text(on_time, lang=lang), change_text(on_time, on_time["mom"], lang)
    summary = (f"本期共上报事件{n_reported}件，环比{r_mom}，同比{r_yoy}；办结{n_closed}件；"
               f"按期办结率{rate}，环比{rate_mom}。" if zh else
               f"{n_reported} cases reported, {r_mom} on the previous period and {r_yoy} on a "
               f"year before; {n_closed} closed; on-time rate {rate} ({rate_mom}).")
    out += [Block("h1", t("briefing.indicators", lang)), Block("p", summary), Block(
        "table", sheet="指标" if zh else "Indicators",
        head=(t("briefing.name", lang) if not zh else "指标", "本期" if zh else "This period",
              "上期" if zh else "Previous", t("briefing.mom", lang),
              "上年同期" if zh else "A year before", t("briefing.yoy", lang)),
        rows=tuple((_name(f, lang), value_text(f, lang=lang),
                    value_text(f, f["previous"], lang),
                    f"{arrow(f['mom'])} {change_text(f, f['mom'], lang)}",
                    value_text(f, f["year_before"], lang),
                    f"{arrow(f['yoy'])} {change_text(f, f['yoy'], lang)}")
                   for f in data["figures"]))]
    out.append(Block("h1", t("briefing.rankings", lang)))
    ranked = data["rankings"]
    if ranked:
        weights = "，".join(f"{_name(meta[k], lang)} {w:g}" for k, w in data["weights"].items())
        scored = [r for r in ranked if r["score"] is not None]
        n = min(data["top"], len(scored) // 2 or 1)
        red = "、".join(r["name"] for r in scored[:n]) or t("briefing.none", lang)
        black = "、".join(r["name"] for r in scored[::-1][:n] if r not in scored[:n]) or \
            t("briefing.none", lang)
        out += [Block("p", f"{t('briefing.weights', lang)}：{weights}。"),
                Block("p", f"{t('briefing.red', lang)}：{red}；{t('briefing.black', lang)}："
                      f"{black}。"),
                Block("table", sheet="红黑榜" if zh else "Rankings",
                      head=(t("briefing.rank", lang), t("briefing.name", lang),
                            t("briefing.score", lang), *(_name(meta[k], lang)
                                                         for k in RANK_COLUMNS),
                            t("briefing.rank_change", lang)),
                      rows=tuple((str(r["rank"]), r["name"],
                                  "—" if r["score"] is None else f"{r['score']:.2f}",
                                  *(value_text(meta[k], r[k], lang) for k in RANK_COLUMNS),
                                  "—" if r["rank_change"] is None else f"{r['rank_change']:+d}")
                                 for r in ranked))]
    else:
        out.append(Block("p", t("briefing.no_children", lang)))
    out += [Block("h1", t("briefing.hot", lang)), Block("h2", t("briefing.subclasses", lang)),
            Block("table", sheet="热点小类" if zh else "Sub-categories",
                  head=(t("ops.major", lang), t("briefing.subclasses", lang),
                        t("briefing.cases", lang), t("briefing.previous", lang),
                        t("briefing.change", lang)),
                  rows=tuple((label("major", r["major_class"], lang),
                              label("subclass", r["subclass"], lang), f"{r['cases']:,}",
                              f"{r['previous']:,}",
                              "—" if r["change"] is None else f"{r['change'] * 100:+.1f}%")
                             for r in data["subclasses"])),
            Block("image", figure=_hot_figure(data, lang)),
            Block("h2", t("briefing.repeat_places", lang)),
            Block("table", sheet="重复诉求" if zh else "Repeat reports",
                  head=(t("briefing.place", lang), t("briefing.subclasses", lang),
                        t("briefing.repeats", lang), t("briefing.reports", lang)),
                  rows=tuple((r["name"], label("subclass", r["subclass"], lang),
                              f"{r['repeats']:,}", f"{r['reports']:,}")
                             for r in data["repeat_places"])),
            Block("h2", t("briefing.disputes", lang))]
    kinds = {"dispute_type": "dispute", "resolved_level": "resolved",
             "mediation_outcome": "outcome"}
    for key, rows in data["disputes"].items():
        out.append(Block("table", sheet=t(f"briefing.{key}", lang),
                         head=(t(f"briefing.{key}", lang), t("briefing.cases", lang)),
                         rows=tuple((t("briefing.resolved_open", lang) if r[key] == "open"
                                     else label(kinds[key], r[key], lang), f"{r['cases']:,}")
                                    for r in rows)))
    out += [Block("h1", t("briefing.trends", lang)),
            Block("image", figure=go.Figure(trends_figure(data, lang))),
            Block("table", sheet="趋势" if zh else "Trends",
                  head=("周期" if zh else "Period", *(_name(f, lang) for f in data["figures"])),
                  rows=tuple((r["period"], *(value_text(f, r[f["key"]], lang)
                                             for f in data["figures"]))
                             for r in data["trends"])),
            Block("h1", "附：指标口径" if zh else "Annex: definitions"),
            Block("table", sheet="口径" if zh else "Definitions",
                  head=("指标" if zh else "Indicator", t("briefing.formula", lang)),
                  rows=tuple((_name(f, lang), f["formula_zh"] if zh else f["formula_en"])
                             for f in data["figures"]))]
    return out


# -- Word -------------------------------------------------------------------------------------

def _face(run, face: str, size: float, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = face
    run.font.size = Pt(size)
    run.font.bold = bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), face)


def to_docx(items: list[Block]) -> bytes:
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    images = iter(pngs([b.figure for b in items if b.kind == "image"]))
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    styles = {"title": (FACES["title"][0], 22, False), "subtitle": (FACES["body"][0], 16, False),
              "h1": (FACES["h1"][0], 16, False), "h2": (FACES["h2"][0], 16, False),
              "p": (FACES["body"][0], 16, False)}
    for block in items:
        if block.kind == "table":
            table = doc.add_table(rows=1, cols=len(block.head))
            table.style = "Table Grid"
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
            for cell, text in zip(table.rows[0].cells, block.head, strict=True):
                _face(cell.paragraphs[0].add_run(text), FACES["h1"][0], 10.5)
            for row in block.rows:
                for cell, text in zip(table.add_row().cells, row, strict=True):
                    _face(cell.paragraphs[0].add_run(text), FACES["body"][0], 10.5)
            doc.add_paragraph()
            continue
        if block.kind == "image":
            doc.add_picture(io.BytesIO(next(images)), width=Mm(CHART_WIDTH_MM))
            doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            continue
        face, size, bold = styles[block.kind]
        paragraph = doc.add_paragraph()
        _face(paragraph.add_run(block.text), face, size, bold)
        paragraph.paragraph_format.line_spacing = Pt(28)  # 22 lines a page, as the standard
        if block.kind in ("title", "subtitle"):
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif block.kind == "p":
            paragraph.paragraph_format.first_line_indent = Pt(32)  # two characters
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# -- PDF --------------------------------------------------------------------------------------

def _css_face(kind: str) -> str:
    name, stand_in = FACES[kind]
    return f'"{name}", "{stand_in}", serif'


def _to_text_width(figure: go.Figure) -> go.Figure:
    """The figure drawn at the text block's width (CSS px), its height in proportion."""
    width = round(CHART_WIDTH_MM / 25.4 * 96)
    scale = width / (figure.layout.width or 900)
    return go.Figure(figure).update_layout(width=width, autosize=False,
                                           height=round((figure.layout.height or 450) * scale))


def to_html(items: list[Block]) -> str:
    e = html.escape
    parts = []
    for block in items:
        if block.kind == "table":
            head = "".join(f"<th>{e(h)}</th>" for h in block.head)
            rows = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>"
                           for row in block.rows)
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif block.kind == "image":
            parts.append(pio.to_html(_to_text_width(block.figure), full_html=False,
                                     include_plotlyjs=False, config={"staticPlot": True}))
        else:
            tag = {"title": "h1", "subtitle": "p", "h1": "h2", "h2": "h3", "p": "p"}[block.kind]
            parts.append(f'<{tag} class="{block.kind}">{e(block.text)}</{tag}>')
    style = f"""
@page {{ size: A4; margin: 37mm 26mm 35mm 28mm; }}
body {{ font-family: {_css_face("body")}; font-size: 16pt; line-height: 28pt; color: #000; }}
h1 {{ font-family: {_css_face("title")}; font-size: 22pt; text-align: center; margin: 0 0 8pt;
     line-height: 34pt; font-weight: 700; }}
.subtitle {{ text-align: center; margin: 0; }}
h2 {{ font-family: {_css_face("h1")}; font-size: 16pt; margin: 14pt 0 4pt; }}
h3 {{ font-family: {_css_face("h2")}; font-size: 16pt; font-weight: 400; margin: 8pt 0 4pt; }}
p.p {{ text-indent: 2em; margin: 0; }}
table {{ border-collapse: collapse; width: 100%; font-size: 10.5pt; line-height: 14pt;
        margin: 6pt 0 10pt; }}
th {{ font-family: {_css_face("h1")}; font-weight: 400; background: #eee; }}
th, td {{ border: 0.6pt solid #000; padding: 2pt 4pt; }}
tr {{ break-inside: avoid; }}
.plotly-graph-div {{ margin: 6pt auto; break-inside: avoid; }}
"""
    script = f"<script>{get_plotlyjs()}</script>" if any(b.kind == "image" for b in items) \
        else ""
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">{script}'
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")


def to_pdf(items: list[Block]) -> bytes:
    with tempfile.TemporaryDirectory(prefix="govwall-pdf-") as folder:
        page, pdf = Path(folder) / "briefing.html", Path(folder) / "briefing.pdf"
        page.write_text(to_html(items), encoding="utf-8")
        # The virtual time budget lets plotly.js draw before the page is printed.
        subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                        "--no-pdf-header-footer", "--disable-background-networking",
                        "--virtual-time-budget=15000",
                        f"--user-data-dir={folder}/profile", f"--print-to-pdf={pdf}",
                        page.as_uri()], check=True, capture_output=True, timeout=120)
        return pdf.read_bytes()


# -- XLSX -------------------------------------------------------------------------------------

def to_xlsx(items: list[Block]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for block in items:
        if block.kind != "table":
            continue
        name = block.sheet[:31] or "Sheet"
        while name in used:
            name = f"{name[:28]}_{len(used)}"
        used.add(name)
        sheet = book.create_sheet(name)
        sheet.append([spreadsheet_text(h) for h in block.head])
        for row in block.rows:
            sheet.append([spreadsheet_text(c) for c in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render(data: dict, fmt: str, lang: str = "zh") -> bytes:
    items = blocks(data, lang)
    return {"docx": to_docx, "pdf": to_pdf, "xlsx": to_xlsx}[fmt](items)
