"""/ops/warnings: the early warnings, newest first, and the officer's actions on one of them
(签收 acknowledge, 排除 dismiss with a reason, 督办 turn into a supervision order; on a
repeat complaint or a caller's warning, link a case by its number or unlink one)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts.i18n import label, normalize_lang, t

LIST_ID = "ops-warnings-list"
PICK_ID = "ops-warnings-pick"
REASON_ID = "ops-warnings-reason"
LEVEL_ID = "ops-warnings-level"
RESULT_ID = "ops-action-warning-result"
VERSION_ID = "ops-action-warning-version"
LANG_ID = "ops-warnings-lang"
TICK_ID = "ops-warnings-tick"
CASE_NUMBER_ID = "ops-warnings-case-number"
ROW_TYPE = "ops-warnings-row"  # a row's id: {"type": ROW_TYPE, "index": warning id}
BUTTONS = ("acknowledge", "dismiss", "supervise", "link", "unlink")
SHOWN_CASES = 6


def button_id(action: str) -> str:
    return f"ops-action-warning-{action}"


def layout(lang: str | None = None, id: str | None = None, **_query) -> html.Div:
    lang = normalize_lang(lang)
    picked = int(id) if (id or "").isdigit() else None
    return dbc.Container(fluid=True, className="ops-page p-3", children=[
        dcc.Store(id=LANG_ID, data=lang),
        dcc.Store(id=VERSION_ID, data=0),
        dcc.Interval(id=TICK_ID, interval=30_000),
        html.Div(className="d-flex align-items-center gap-3 mb-2", children=[
            html.H4(t("ops.warnings.title", lang), className="m-0"),
            html.A(t("ops.title", lang), href="/ops" + ("?lang=en" if lang == "en" else "")),
        ]),
        html.Div(className="d-flex flex-wrap align-items-end gap-2 mb-2", children=[
            dcc.Input(id=PICK_ID, type="number", min=1, value=picked, debounce=True,
                      placeholder=t("ops.warnings.pick", lang), style={"width": "8em"}),
            dbc.Button(t("ops.warnings.acknowledge", lang), id=button_id("acknowledge"),
                       color="primary", size="sm"),
            dcc.Input(id=REASON_ID, type="text", maxLength=500, style={"width": "22em"},
                      placeholder=t("ops.warnings.reason", lang)),
            dbc.Button(t("ops.warnings.dismiss", lang), id=button_id("dismiss"),
                       color="secondary", size="sm"),
            dcc.Dropdown(id=LEVEL_ID, options=[{"label": label("supervision", str(n), lang),
                                                "value": n} for n in (1, 2, 3)],
                         value=1, clearable=False, style={"width": "9em"}),
            dbc.Button(t("ops.warnings.supervise", lang), id=button_id("supervise"),
                       color="danger", size="sm"),
        ]),
        html.Div(className="d-flex flex-wrap align-items-end gap-2 mb-2", children=[
            dcc.Input(id=CASE_NUMBER_ID, type="text", maxLength=64, style={"width": "16em"},
                      placeholder=t("ops.warnings.case_number", lang)),
            dbc.Button(t("ops.warnings.link", lang), id=button_id("link"),
                       color="secondary", size="sm"),
            dbc.Button(t("ops.warnings.unlink", lang), id=button_id("unlink"),
                       color="secondary", size="sm", outline=True),
            html.Span(id=RESULT_ID, className="ms-2"),
        ]),
        html.Div(id=LIST_ID, children=html.P(t("wall.waiting", lang))),
    ])


def _figures(row: dict, lang: str) -> str:
    if row["expected"] is not None:
        return t("wall.warnings.vs", lang).format(observed=row["observed"],
                                                  expected=f"{row['expected']:.1f}")
    return t("wall.warnings.cases", lang).format(n=row["observed"])


def warning_table(rows: list[dict], lang: str, zone: ZoneInfo, picked: int | None,
                  case_href: Callable[[str], str]) -> html.Div:
    """Every value is text (place names and external ids included): nothing is markup."""
    if not rows:
        return html.P(t("wall.warnings.none", lang), className="text-muted")

    def when(epoch: float) -> str:
        return datetime.fromtimestamp(epoch, zone).strftime("%m-%d %H:%M")

    head = html.Thead(html.Tr([html.Th(t(f"ops.warnings.col.{c}", lang)) for c in (
        "id", "kind", "place", "category", "figures", "window", "status", "cases")]))
    body = []
    for r in rows:
        status = t(f"ops.warnings.status.{r['status']}", lang)
        if r["status_by"]:
            status += f" · {r['status_by']}"
        cases = [html.A(c, href=case_href(c), className="me-1") for c in r["cases"][:SHOWN_CASES]]
        if len(r["cases"]) > SHOWN_CASES:
            cases.append(html.Span(f"+{len(r['cases']) - SHOWN_CASES}"))
        # A click on the row picks the warning (the number field still takes one typed).
        body.append(html.Tr(id={"type": ROW_TYPE, "index": r["id"]}, n_clicks=0,
                            className="ops-warnings-row"
                            + (" table-warning" if r["id"] == picked else ""), children=[
            html.Td(str(r["id"])), html.Td(t(f"wall.warnings.kind.{r['kind']}", lang)),
            html.Td(r["place"]), html.Td(label("major", r["category"], lang)),
            html.Td(_figures(r, lang)),
            html.Td(f"{when(r['window_start'])} – {when(r['window_end'])}"),
            html.Td([status, html.Div(r["reason"], className="small text-muted")
                     if r["reason"] else None]),
            html.Td(cases)]))
    return dbc.Table([head, html.Tbody(body)], size="sm", striped=True, hover=True,
                     className="ops-warnings")
