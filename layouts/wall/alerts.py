"""Overdue (red) and approaching (yellow) cases, longest overdue first, paged through like
the queue, and a ranking of red/yellow per unit one level down. Only a newly overdue,
unacknowledged row flashes, for its first minute (data_access.alerts.NEWLY_OVERDUE), and it
leads every page meanwhile; acknowledged rows say who signed."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pandas as pd
from dash import dcc, html

from layouts.i18n import label, t
from layouts.wall import ids
from layouts.wall.tile import tile

# Rows the ranking has room for, the "+ k more" line included: the province's 13 cities and
# every county of the largest city (Nanjing, 11) fit; a county with more townships (铜山, 34)
# shows its top ones and says how many more there are, rather than dropping any silently.
RANKED_ROWS = 13
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


def _alert_row(case, lang: str, now: datetime, href: Callable[[str, int], str]) -> html.A:
    red = case.state in RED_STATES
    acknowledged = bool(case.acknowledged_by) and not pd.isna(case.acknowledged_at)
    flash = bool(case.newly_overdue) and not acknowledged
    when = (t("wall.alerts.overdue_by", lang) if red else t("wall.alerts.due_in", lang)) \
        .format(time=span_text(case.due - now, lang))
    supervision = int(case.supervision_level or 0)
    return html.A(className="alert-row " + ("red" if red else "yellow") +
                  (" flash" if flash else ""), href=href(case.external_id, case.id), children=[
        html.Span(label("deadline", case.state, lang), className="a-state"),
        html.Span(case.title, className="a-title"),
        html.Span(when, className="a-when"),
        # Two lines a row (three until 3 December: two alerts a page at 1920×1080): where,
        # then who has signed for it, share the second line; the supervision order ends it.
        html.Span(className="a-where", children=[
            html.Span(case.place, className="a-place"),
            html.Span(t("wall.alerts.acknowledged", lang).format(who=case.acknowledged_by or "—")
                      if acknowledged else t("wall.alerts.unacknowledged", lang),
                      className="a-ack" + ("" if acknowledged else " pending"))]),
        html.Span(label("supervision", str(supervision), lang) if supervision else "",
                  className=f"a-sup sup-{supervision}"),
    ])


def unit_cases(unit: str) -> dict:
    """The CaseFilter fields of the cases a ranking row counts: the unit's red and yellow
    ones (a unit one level below the view lies inside it), the longest overdue first. This is
    what a duty officer acts on, so a row opens /ops with them rather than another wall view."""
    return {"unit": unit, "deadline": ALERT_STATES, "sort": "overdue"}


def unit_ranking(by_unit: pd.DataFrame, lang: str, href: Callable[[str], str],
                 max_rows: int = RANKED_ROWS, level: str = "county") -> html.Div:
    """Small bars: red and yellow per unit one level down; each row links to the cases it
    counts (`href(unit)`, the URL of unit_cases).

    Every unit when they fit in `max_rows`; else the top ones and a "+ k more" line with
    the red and yellow of the rest."""
    fits = len(by_unit) <= max_rows
    top = by_unit if fits else by_unit.head(max_rows - 1)
    rest = by_unit.iloc[len(top):]
    peak = max(1, int((top["red"] + top["yellow"]).max()) if len(top) else 1)
    rows = [html.A(className="rank-row", href=href(row.unit_code), children=[
        html.Span(row.unit_name, className="rank-name"),
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
        html.Div(t(f"wall.alerts.by_{level}", lang), className="sub-title"), *rows])


def order_for_board(rows: pd.DataFrame) -> pd.DataFrame:
    """Newly overdue rows first (they must not wait for their page), then as given: red
    longest overdue first, then yellow soonest due first."""
    newly = rows["newly_overdue"].astype(bool)
    return pd.concat([rows[newly], rows[~newly]])


def page_count(rows: pd.DataFrame, per_page: int) -> int:
    return max(1, -(-len(rows) // per_page))


def alert_board(rows: pd.DataFrame, by_unit: pd.DataFrame, level: str, red_total: int,
                yellow_total: int, lang: str, now: datetime, case_href: Callable[[str, int], str],
                unit_href: Callable[[str], str], per_page: int, page: int = 0,
                ranked_rows: int = RANKED_ROWS) -> html.Div:
    """Page `page` (modulo the pages there are) of every red and yellow case, and the
    ranking of the view's units of `level` (one below the view)."""
    pages = page_count(rows, per_page)
    page %= pages
    shown = order_for_board(rows).iloc[page * per_page:(page + 1) * per_page]
    listing = [_alert_row(c, lang, now, case_href) for c in shown.itertuples(index=False)]
    if pages > 1:
        listing.append(html.Div(t("wall.queue.page", lang).format(page=page + 1, pages=pages),
                                className="queue-page-no alert-page-no"))
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
        unit_ranking(by_unit, lang, unit_href, ranked_rows, level=level),
    ])


def red_ids(rows: pd.DataFrame) -> list[int]:
    """Ids of the newly overdue alerts, so the page can signal a new one (and the answer
    stays small however many cases are red)."""
    newly = rows["newly_overdue"].astype(bool) & rows["state"].isin(RED_STATES)
    return [int(i) for i in rows.loc[newly, "id"]]
