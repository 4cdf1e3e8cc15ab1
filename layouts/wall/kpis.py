"""Headline indicators: a strip of numbers that roll from old to new (assets/wall.js)."""
from __future__ import annotations

from collections.abc import Callable, Mapping

from dash import dcc, html

from layouts.i18n import t
from layouts.wall import ids
from layouts.wall.tile import tile

COUNTS = ("reported", "registered", "closed")
KEYS = ("reported", "registered", "closed", "in_progress", "overdue", "closure_rate",
        "on_time_rate", "satisfaction", "workers_online", "reports_last_hour")
RATES = ("closure_rate", "on_time_rate", "satisfaction")
# What the live Redis counters feed (data_access.kpis.LiveCounts).
COUNTED_LIVE = ("reported", "registered", "closed", "reports_last_hour")


def value_id(key: str) -> str:
    return f"wall-kpi-value-{key}"


def delta_id(key: str) -> str:
    return f"wall-kpi-delta-{key}"


def link_id(key: str) -> str:
    return f"wall-kpi-link-{key}"


def layout(lang: str) -> html.Section:
    items = [html.A(id=link_id(key), className=f"kpi kpi-{key}", href="/ops", children=[
        html.Span(t(f"wall.kpi.{key}", lang), className="kpi-label"),
        html.Span("—", id=value_id(key), className="kpi-value"),
        html.Span("", id=delta_id(key), className="kpi-delta"),
    ]) for key in KEYS]
    return tile("kpis", lang, html.Div(items, className="kpi-strip"),
                extra=[dcc.Store(id=ids.KPI_DATA)])


def format_value(key: str, value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1%}" if key in RATES else f"{int(value):,}"


def kpi_items(values: Mapping[str, float | None], yesterday: Mapping[str, int],
              hrefs: Mapping[str, str], lang: str, recounting: bool = False) -> list[dict]:
    """What the strip shows, as plain data for the clientside roll animation.

    `yesterday` holds the counts at the same local time yesterday; `hrefs` the drill-down
    link of each indicator (CaseFilter URLs, built by the caller). While today's counters
    are being rebuilt (`recounting`), the counts they feed say so instead of a number."""
    items = []
    for key in KEYS:
        value = values.get(key)
        if recounting and key in COUNTED_LIVE:
            items.append({"key": key, "value": None, "text": t("wall.recounting", lang),
                          "rate": False, "delta": None, "delta_text": "", "tone": "recount",
                          "href": hrefs.get(key, "/ops")})
            continue
        delta = None
        if key in yesterday and value is not None:
            delta = int(value) - yesterday[key]
        items.append({
            "key": key, "value": value, "text": format_value(key, value),
            "rate": key in RATES,
            "delta": delta,
            "delta_text": "" if delta is None else
            f"{t('wall.kpi.vs_yesterday', lang)} {'+' if delta > 0 else ''}{delta:,}",
            "tone": "red" if key == "overdue" and (value or 0) > 0 else "",
            "href": hrefs.get(key, "/ops"),
        })
    return items


def hrefs_for(unit: str, href: Callable[..., str]) -> dict[str, str]:
    """Drill-down links of the indicators; `href(**CaseFilter fields)` is injected."""
    return {
        "reported": href(unit=unit, period="today"),
        "registered": href(unit=unit, period="today", stage=("registered", "dispatched",
                                                             "handling", "handled",
                                                             "verified", "closed")),
        "closed": href(unit=unit, period="today", stage=("closed",)),
        "in_progress": href(unit=unit, open=True),
        "overdue": href(unit=unit, open=True, deadline=("overdue", "long_overdue")),
        "closure_rate": href(unit=unit, period="30d"),
        "on_time_rate": href(unit=unit, period="30d", stage=("closed",)),
        "satisfaction": href(unit=unit, period="30d", stage=("closed",)),
        "workers_online": href(unit=unit, open=True),
        "reports_last_hour": href(unit=unit, period="today"),
    }
