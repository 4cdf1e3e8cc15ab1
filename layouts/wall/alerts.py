"""Overdue (red) and approaching (yellow) cases, longest overdue first, and a ranking of
red/yellow per county. Unacknowledged red rows flash; acknowledged ones say who signed."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pandas as pd
from dash import dcc, html

from layouts.i18n import label, t
from layouts.wall import ids
from layouts.wall.tile import tile

# Rows the ranking has room for, the "+ k more" line included: every county of the largest
# city (Nanjing, 11) fits; the province (95 counties) shows its top ones and says how many
# more there are, rather than dropping counties silently.
RANKED_ROWS = 12
RED_STATES = ("overdue", "long_overdue")
ALERT_STATES = ("approaching", *RED_STATES)


def layout(lang: str) -> html.Section:
    return tile("alerts", lang, html.Div(t("wall.waiting", lang), className="no-data"),
                extra=[dcc.Store(id=ids.ALERT_RED_IDS, data=[])])


def span_text(delta: timedelta, lang: str) -> str:
    """A duration as 2天3时 / 3时15分 / 2d 3h / 3h 15m."""
    minutes = max(int(abs(delta).total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if lang == "zh":
        return f"{days}天{hours}时" if days else f"{hours}时{mins}分"
    return f"{days}d {hours}h" if days else f"{hours}h {mins}m"


def _alert_row(case, lang: str, now: datetime, href: Callable[[str], str]) -> html.A:
    red = case.state in RED_STATES
    acknowledged = bool(case.acknowledged_by) and not pd.isna(case.acknowledged_at)
    flash = red and not acknowledged
    when = (t("wall.alerts.overdue_by", lang) if red else t("wall.alerts.due_in", lang)) \
        .format(time=span_text(case.due - now, lang))
    supervision = int(case.supervision_level or 0)
    return html.A(className="alert-row " + ("red" if red else "yellow") +
                  (" flash" if flash else ""), href=href(case.external_id), children=[
        html.Span(label("deadline", case.state, lang), className="a-state"),
        html.Span(case.title, className="a-title"),
        html.Span(when, className="a-when"),
        html.Span(case.place, className="a-place"),
        html.Span(label("supervision", str(supervision), lang) if supervision else "",
                  className=f"a-sup sup-{supervision}"),
        html.Span(t("wall.alerts.acknowledged", lang).format(who=case.acknowledged_by or "—")
                  if acknowledged else t("wall.alerts.unacknowledged", lang),
                  className="a-ack" + ("" if acknowledged else " pending")),
    ])


def county_cases(county: str, view: str) -> dict:
    """The CaseFilter fields of the cases a county's row counts: its red and yellow ones in
    the view (a township view ranks its one county by the township's cases), the longest
    overdue first."""
    return {"unit": view if len(view) > len(county) else county, "deadline": ALERT_STATES,
            "sort": "overdue"}


def county_ranking(by_county: pd.DataFrame, lang: str, href: Callable[[str], str],
                   max_rows: int = RANKED_ROWS) -> html.Div:
    """Small bars: red and yellow per county; each row links to the cases it counts
    (`href(county)`, the URL of county_cases in the view).

    Every county when they fit in `max_rows`; else the top ones and a "+ k more" line with
    the red and yellow of the rest."""
    fits = len(by_county) <= max_rows
    top = by_county if fits else by_county.head(max_rows - 1)
    rest = by_county.iloc[len(top):]
    peak = max(1, int((top["red"] + top["yellow"]).max()) if len(top) else 1)
    rows = [html.A(className="rank-row", href=href(row.county_code), children=[
        html.Span(row.county_name, className="rank-name"),
        html.Span(className="rank-bars", children=[
            html.Span(className="bar red", style={"width": f"{100 * row.red / peak:.0f}%"}),
            html.Span(className="bar yellow",
                      style={"width": f"{100 * row.yellow / peak:.0f}%"}),
        ]),
        html.Span([html.B(f"{row.red:,}", className="n-red"), "/",
                   html.B(f"{row.yellow:,}", className="n-yellow")], className="rank-n"),
    ]) for row in top.itertuples(index=False)]
    if len(rest):
        rows.append(html.Div(t("wall.alerts.more", lang).format(
            n=len(rest), red=int(rest["red"].sum()), yellow=int(rest["yellow"].sum())),
            className="rank-more"))
    return html.Div(className="rank", children=[
        html.Div(t("wall.alerts.by_county", lang), className="sub-title"), *rows])


def alert_board(rows: pd.DataFrame, by_county: pd.DataFrame, red_total: int,
                yellow_total: int, lang: str, now: datetime, case_href: Callable[[str], str],
                county_href: Callable[[str], str], max_rows: int,
                ranked_rows: int = RANKED_ROWS) -> html.Div:
    listing = [_alert_row(c, lang, now, case_href)
               for c in rows.head(max_rows).itertuples(index=False)]
    return html.Div(className="alerts", children=[
        html.Div(className="alert-list", children=[
            html.Div(className="alert-totals", children=[
                html.Span([t("wall.alerts.red", lang), html.B(f" {red_total:,}")],
                          className="total red"),
                html.Span([t("wall.alerts.yellow", lang), html.B(f" {yellow_total:,}")],
                          className="total yellow"),
            ]),
            *(listing or [html.Div(t("wall.alerts.none", lang), className="no-data calm")]),
        ]),
        county_ranking(by_county, lang, county_href, ranked_rows),
    ])


def red_ids(rows: pd.DataFrame) -> list[int]:
    """Ids of the red alerts shown, so the page can signal a new one."""
    return [int(i) for i in rows.loc[rows["state"].isin(RED_STATES), "id"]]
