"""/ops: the filter bar, the counts, the case table and the detail panel.

The page is built from the raw URL query (validated by the callbacks, which show a message
for a bad value); the URL is the state, so every control starts from it.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ops_duty, ops_table
from layouts.i18n import codes, label, normalize_lang, t
from layouts.i18n.widgets import dropdown_labels

LIST_FILTERS = ("major", "dispute", "source", "stage", "deadline", "priority", "satisfaction")
TERRITORY = ("county", "township", "village", "grid")
UNIT_DIGITS = {"county": 6, "township": 9, "village": 12, "grid": 15}
_KIND = {"major": "major", "dispute": "dispute", "source": "source", "stage": "stage",
         "deadline": "deadline", "priority": "priority", "satisfaction": "satisfaction"}
# CaseFilter's periods and the dates a range selects on (data_access/case_filters.py).
PERIODS = ("1h", "today", "7d", "30d")
DATES = ("reported", "registered", "closed", "due")


def _split(raw: str | None) -> list[str]:
    return [x for x in (raw or "").split(",") if x]


def territory_values(unit: str | None) -> dict[str, str | None]:
    """The dropdown values a unit code selects: its county, township, village and grid."""
    unit = unit or ""
    return {level: unit[:n] if len(unit) >= n else None for level, n in UNIT_DIGITS.items()}


def _multi(name: str, raw: str | None, lang: str) -> dcc.Dropdown:
    kind = _KIND[name]
    return dcc.Dropdown(
        id=f"ops-{name}", multi=True, placeholder=t(f"ops.{name}", lang),
        options=[{"label": label(kind, c, lang), "value": c} for c in codes(kind)],
        value=_split(raw), className="ops-filter", labels=dropdown_labels(lang))


def filter_bar(query: dict[str, str], lang: str) -> html.Div:
    units = territory_values(query.get("unit"))
    # The chosen unit starts as its own option (named by its code until the names arrive):
    # dcc.Dropdown drops a value missing from options that arrive later, and when they come
    # quickly it checks them against the initial ones, losing the URL's unit.
    territory = [dcc.Dropdown(id=f"ops-{level}", placeholder=t(f"ops.{level}", lang),
                              value=units[level], className="ops-filter",
                              labels=dropdown_labels(lang),
                              options=[{"label": units[level], "value": units[level]}]
                              if units[level] else [])
                 for level in TERRITORY]
    on = dcc.Dropdown(
        id="ops-on", placeholder=t("ops.on.reported", lang), value=query.get("on") or None,
        options=[{"label": t(f"ops.on.{d}", lang), "value": d} for d in DATES],
        className="ops-filter", labels=dropdown_labels(lang))
    period = dcc.Dropdown(
        id="ops-period", placeholder=t("ops.period", lang), value=query.get("period") or None,
        options=[{"label": t(f"ops.period.{p}", lang), "value": p} for p in PERIODS],
        className="ops-filter", labels=dropdown_labels(lang))
    # Month and weekday names come from the page's date-fns locale (assets/ops.js).
    dates = dcc.DatePickerRange(id="ops-dates", start_date=query.get("from") or None,
                                end_date=query.get("to") or None, display_format="YYYY-MM-DD",
                                first_day_of_week=1,
                                start_date_placeholder_text=t("ops.from", lang),
                                end_date_placeholder_text=t("ops.to", lang), clearable=True)
    flags = dcc.Checklist(
        id="ops-flags", inline=True, inputClassName="me-1", labelClassName="me-3",
        options=[{"label": t("ops.open_only", lang), "value": "open"},
                 {"label": t("ops.supervised", lang), "value": "supervised"}],
        value=[f for f in ("open", "supervised") if query.get(f) in ("1", "true")])
    search = dcc.Input(id="ops-q", type="search", debounce=True, value=query.get("q") or "",
                       placeholder=t("ops.q", lang), className="form-control")
    return html.Div(className="ops-filter-bar", children=[
        html.Div([*territory, *(_multi(n, query.get(n), lang) for n in LIST_FILTERS)],
                 className="ops-row"),
        html.Div([on, period, dates, html.Div(search, className="ops-search"), flags,
                  html.A(t("ops.reset", lang), href=f"/ops?lang={lang}" if lang != "zh"
                         else "/ops", className="btn btn-outline-secondary btn-sm")],
                 className="ops-row ops-row-tight"),
    ])


VIEWS = ("duty", "list")


def first_view(query: dict[str, str]) -> str:
    """/ops opens on the duty queue, unless the address names cases (a filter or a case: a
    link from the wall, a copied list) or asks for a view (`view=list|duty`)."""
    if query.get("view") in VIEWS:
        return query["view"]
    return "list" if any(k not in ("lang", "view") for k in query) else "duty"


def _view_tab(view: str, lang: str, active: bool) -> html.Button:
    key = "duty.tab" if view == "duty" else "duty.list_tab"
    return html.Button(t(key, lang), id=f"ops-view-{view}", n_clicks=0,
                       className=f"btn btn-sm ops-view-tab ops-view-tab-{view}"
                       + (" active" if active else ""))


def layout(lang: str | None = None, **query: str) -> html.Div:
    lang = normalize_lang(lang)
    view = first_view(query)
    return html.Div(id="ops-page", className=f"ops-page view-{view}",
                    lang="zh-CN" if lang == "zh" else "en", children=[
        dcc.Store(id="ops-lang", data=lang),
        dcc.Store(id="ops-query", data=query),
        dcc.Store(id="ops-filter"),
        dcc.Store(id="ops-case-id", data=query.get("case")),
        dcc.Store(id="ops-action-version", data=0),
        dcc.Store(id="ops-view", data=view),
        html.Div(id="ops-url-sync", hidden=True),
        html.Header(className="ops-header", children=[
            html.H1(t("ops.title", lang), className="h4 m-0 me-3"),
            html.Nav(className="ops-view-tabs", children=[
                _view_tab(v, lang, v == view) for v in VIEWS]),
            html.Span(id="ops-who", className="ms-auto me-3 text-muted"),
            html.A(t("ops.logout", lang), href="/logout", className="btn btn-sm btn-outline-dark"),
        ]),
        ops_duty.panel(lang),
        html.Div(id="ops-list-view", className="ops-list-view", children=list_view(query, lang)),
    ])


def list_view(query: dict[str, str], lang: str) -> list:
    """The full, filtered case list (the filter bar, counts, table and case detail)."""
    return [
        filter_bar(query, lang),
        dbc.Alert(id="ops-filter-error", color="danger", is_open=False, className="py-1 my-1"),
        html.Div(className="ops-summary", children=[
            html.Div(id="ops-counts", className="ops-counts"),
            html.Div(className="ms-auto", children=[
                html.A(t("ops.export_csv", lang), id="ops-export-csv", href="/ops/export.csv",
                       className="btn btn-sm btn-outline-primary me-2"),
                html.A(t("ops.export_xlsx", lang), id="ops-export-xlsx",
                       href="/ops/export.xlsx", className="btn btn-sm btn-outline-primary"),
            ]),
        ]),
        # The detail column appears only while a case is open (assets/ops.css, `has-case`),
        # so that the table has the whole width otherwise.
        html.Div(id="ops-main", className="ops-main", children=[
            html.Div(ops_table.grid(lang, query.get("sort")), className="ops-table"),
            html.Aside(className="ops-detail", children=[
                html.Button(id="ops-detail-close", className="btn-close ops-detail-close",
                            title=t("ops.close_detail", lang),
                            **{"aria-label": t("ops.close_detail", lang)}),
                html.Div(id="ops-detail"),
            ]),
        ]),
    ]
