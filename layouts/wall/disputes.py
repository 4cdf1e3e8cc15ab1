"""Disputes: 30-day trend by type, where they were resolved (721), mediation outcomes,
today against the same weekday last week."""
from __future__ import annotations

import pandas as pd
from dash import dcc, html

from layouts.i18n import label, t
from layouts.wall import ids
from layouts.wall.tile import tile

GRAPH_CONFIG = {"displayModeBar": False}


def layout(lang: str) -> html.Section:
    return tile("disputes", lang, html.Div(className="disputes", children=[
        html.Div(t("wall.waiting", lang), id=ids.DISPUTES_TODAY, className="disputes-today"),
        html.Div(t("wall.disputes.trend", lang), className="sub-title"),
        dcc.Graph(id=ids.DISPUTES_TREND, className="graph-trend", config=GRAPH_CONFIG),
        html.Div(t("wall.disputes.levels", lang), className="sub-title"),
        dcc.Graph(id=ids.DISPUTES_LEVELS, className="graph-levels", config=GRAPH_CONFIG),
        html.Div(id=ids.DISPUTES_OUTCOMES, className="outcomes"),
    ]))


def today_text(today: int, last_week: int, lang: str) -> str:
    return t("wall.disputes.today", lang).format(today=today, last=last_week)


def outcome_chips(outcomes: pd.DataFrame, lang: str) -> list:
    return [html.Span(t("wall.disputes.outcomes", lang), className="sub-title inline"),
            *[html.Span([label("outcome", code, lang), html.B(f" {n}")], className="chip")
              for code, n in zip(outcomes["outcome"], outcomes["count"], strict=True)]]
