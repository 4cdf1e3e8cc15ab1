"""Today's reports by source channel and by major class, as labelled bars."""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from dash import html

from layouts.i18n import label, t
from layouts.wall import theme
from layouts.wall.tile import no_data, tile


def layout(lang: str) -> html.Section:
    return tile("mix", lang, html.Div(t("wall.waiting", lang), className="no-data"))


def _bars(frame: pd.DataFrame, column: str, kind: str, lang: str,
          href: Callable[[str], str]) -> list:
    peak = max(1, int(frame["count"].max()))
    total = max(1, int(frame["count"].sum()))
    return [html.A(className="mix-row", href=href(code), children=[
        html.Span(label(kind, code, lang), className="mix-name"),
        html.Span(className="mix-track", children=html.Span(
            className="mix-bar", style={"width": f"{100 * n / peak:.0f}%",
                                        "background": theme.SERIES[i % len(theme.SERIES)]})),
        html.Span(f"{n:,}", className="mix-n"),
        html.Span(f"{n / total:.0%}", className="mix-share"),
    ]) for i, (code, n) in enumerate(zip(frame[column], frame["count"], strict=True))]


def mix_body(by_source: pd.DataFrame, by_major: pd.DataFrame, lang: str,
             source_href: Callable[[str], str], major_href: Callable[[str], str],
             recounting: bool = False):
    if recounting:
        # Today's counters are being rebuilt from the database: partial counts are not news.
        return html.Div(t("wall.recounting", lang), className="no-data recounting")
    if by_source["count"].sum() == 0:
        return no_data(lang)
    return html.Div(className="mix", children=[
        html.Div([html.Div(t("wall.mix.source", lang), className="sub-title"),
                  *_bars(by_source, "source", "source", lang, source_href)],
                 className="mix-col"),
        html.Div([html.Div(t("wall.mix.major", lang), className="sub-title"),
                  *_bars(by_major, "major_class", "major", lang, major_href)],
                 className="mix-col"),
    ])
