"""/intake (admins): each source's data quality today, as centers publish it monthly —
received, rejected, unplaced, unknown codes, lag from the source's report to arrival."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dash import dcc, html

from layouts.i18n import normalize_lang

BODY = "intake-quality-body"
TICK = "intake-quality-tick"
LANG = "intake-quality-lang"
REFRESH_MS = 60_000

_COLUMNS = (("name", "来源系统", "Source"), ("active", "状态", "State"),
            ("received", "今日接收", "Received"), ("rejected", "拒收", "Rejected"),
            ("unplaced", "未定位", "Unplaced"), ("unknown_codes", "未知代码", "Unknown codes"),
            ("lag_p50_s", "时延中位数", "Lag p50"), ("lag_p95_s", "时延P95", "Lag p95"))


def layout(lang: str | None = None, **_query) -> html.Div:
    lang = normalize_lang(lang)
    zh = lang == "zh"
    return html.Div(className="intake-quality", style={"padding": "24px"}, children=[
        html.H1("数据接入质量" if zh else "Intake data quality"),
        html.P("今日（本地日）各来源系统的接收情况；每分钟更新。" if zh else
               "Today (local day), per source system; updated every minute."),
        dcc.Store(id=LANG, data=lang),
        dcc.Interval(id=TICK, interval=REFRESH_MS),
        html.Div(id=BODY),
    ])


def _cell(name: str, value: Any, zh: bool) -> str:
    if name == "active":
        return ("启用" if zh else "active") if value else ("已吊销" if zh else "revoked")
    if name.startswith("lag"):
        return "—" if value is None else f"{value / 60:.1f} 分钟" if zh else f"{value / 60:.1f} min"
    return str(value)


def quality_table(rows: Sequence[dict[str, Any]], day: str, lang: str) -> html.Div:
    """The figures as a table (text only: source names are escaped like any text)."""
    zh = normalize_lang(lang) == "zh"
    if not rows:
        return html.P("尚无来源系统：govwall source add NAME" if zh else
                      "No sources yet: govwall source add NAME")
    head = html.Tr([html.Th(zh_label if zh else en) for _, zh_label, en in _COLUMNS])
    body = [html.Tr([html.Td(_cell(name, row[name], zh)) for name, _, _ in _COLUMNS])
            for row in rows]
    return html.Div([html.P(day), html.Table([html.Thead(head), html.Tbody(body)],
                                             className="table table-sm table-dark")])
