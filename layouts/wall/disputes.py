"""Disputes: 30-day trend by type, where they were resolved (721), mediation outcomes,
today against the same weekday last week.

The legends are HTML (coloured keys that wrap to the tile's width) rather than plotly's, so
the chart keeps the height the tile gives it in either language, and every segment of the
trend and of the resolution-level bar is named, with its share for the latter."""
from __future__ import annotations

import pandas as pd
from dash import dcc, html

from layouts.i18n import label, t
from layouts.wall import ids
from layouts.wall.figures import loading_figure, series_colour
from layouts.wall.tile import tile

GRAPH_CONFIG = {"displayModeBar": False, "responsive": True}


def layout(lang: str, unit: float = 1.0) -> html.Section:
    loading = loading_figure(lang, unit)
    return tile("disputes", lang, html.Div(className="disputes", children=[
        html.Div(t("wall.waiting", lang), id=ids.DISPUTES_TODAY, className="disputes-today"),
        html.Div(className="trend", children=[
            dcc.Graph(id=ids.DISPUTES_TREND, className="graph-trend", config=GRAPH_CONFIG,
                      figure=loading),
            html.Div(id=ids.DISPUTES_LEGEND, className="legend"),
        ]),
        html.Div(className="levels", children=[
            html.Span(t("wall.disputes.levels", lang), className="sub-title inline"),
            dcc.Graph(id=ids.DISPUTES_LEVELS, className="graph-levels", config=GRAPH_CONFIG,
                      figure=loading_figure("", unit)),
        ]),
        html.Div(id=ids.DISPUTES_OUTCOMES, className="outcomes"),
    ]))


def today_text(today: int, last_week: int, lang: str) -> str:
    return t("wall.disputes.today", lang).format(today=f"{today:,}", last=f"{last_week:,}")


def _key(colour: str, text: str, number: str | None = None) -> html.Span:
    return html.Span([html.I(className="key", style={"background": colour}), text,
                      html.B(f" {number}") if number is not None else None],
                     className="chip")


def trend_legend(series: list[tuple[str, str, str]], lang: str) -> list:
    """The trend's series (layouts/wall/figures.py dispute_series), named by colour, in a
    column beside the chart (largest first, as stacked from the bottom)."""
    return [html.Span(t("wall.disputes.trend", lang), className="sub-title"),
            *[_key(colour, name) for _kind, name, colour in series]]


def level_legend(levels: pd.DataFrame, lang: str) -> list:
    """Every segment of the resolution-level bar with its share, in the bar's colours."""
    total = int(levels["count"].sum())
    return [_key(series_colour(i), label("resolved", code, lang), f"{n / total:.0%}")
            for i, (code, n) in enumerate(zip(levels["level"], levels["count"], strict=True))
            if n and total]


def outcome_chips(outcomes: pd.DataFrame, lang: str) -> list:
    return [html.Span(t("wall.disputes.outcomes", lang), className="sub-title inline"),
            *[html.Span([label("outcome", code, lang), html.B(f" {n:,}")], className="chip")
              for code, n in zip(outcomes["outcome"], outcomes["count"], strict=True)]]


def footer(levels: pd.DataFrame, outcomes: pd.DataFrame, lang: str) -> list:
    """Below the bar: the levels' legend, then the mediation outcomes."""
    return [html.Div(level_legend(levels, lang), className="level-keys"),
            html.Div(outcome_chips(outcomes, lang), className="outcome-chips")]
