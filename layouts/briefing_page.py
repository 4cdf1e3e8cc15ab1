"""/briefing: the leaders' page. Pickers for the period and the unit, then the briefing
(layouts/briefing.py builds it from the callback's data). The URL's query sets the pickers:
?period=month&date=2026-11&unit=320303&lang=en."""
from __future__ import annotations

from dash import dcc, html

from layouts.i18n import normalize_lang, t
from layouts.i18n.widgets import dropdown_labels

KINDS = ("day", "week", "month", "quarter", "year", "custom")
FORMATS = ("docx", "pdf", "xlsx")


def layout(lang: str | None = None, period: str | None = None, date: str | None = None,
           unit: str | None = None, **_query: str) -> html.Div:
    lang = normalize_lang(lang)
    kind = period if period in KINDS else "month"
    return html.Div(className="bf-page", lang="zh-CN" if lang == "zh" else "en", children=[
        dcc.Store(id="briefing-lang", data=lang),
        dcc.Store(id="briefing-data"),
        html.Header(className="bf-header no-print", children=[
            html.H1(t("briefing.title", lang), className="h4 m-0"),
            html.A(t("ops.title", lang), href="/ops" + ("?lang=en" if lang == "en" else ""),
                   className="ms-auto me-3"),
            html.A(t("ops.logout", lang), href="/logout", className="btn btn-sm btn-outline-dark"),
        ]),
        html.Div(className="bf-controls no-print", children=[
            dcc.Dropdown(id="briefing-period", value=kind, clearable=False,
                         options=[{"label": t(f"briefing.period.{k}", lang), "value": k}
                                  for k in KINDS], className="bf-picker",
                         labels=dropdown_labels(lang)),
            dcc.Input(id="briefing-date", value=date or "", debounce=True,
                      placeholder=t("briefing.date", lang), className="form-control bf-date"),
            dcc.Dropdown(id="briefing-unit", value=unit, placeholder=t("briefing.unit", lang),
                         options=[{"label": unit, "value": unit}] if unit else [],
                         className="bf-picker bf-unit", labels=dropdown_labels(lang)),
            dcc.Dropdown(id="briefing-rank-by", value="score", clearable=False,
                         options=[{"label": t("briefing.score", lang), "value": "score"}],
                         className="bf-picker", labels=dropdown_labels(lang)),
            html.Div(id="briefing-downloads", className="bf-downloads", children=[
                html.A(f"{t('briefing.download', lang)} {f.upper()}", id=f"briefing-{f}",
                       href="#", className="btn btn-sm btn-outline-primary me-1")
                for f in FORMATS]),
            html.Button(t("briefing.print", lang), id="briefing-print",
                        className="btn btn-sm btn-outline-secondary"),
        ]),
        html.Div(id="briefing-error", className="bf-warning"),
        html.Div(id="briefing-content", className="bf-content"),
    ])
