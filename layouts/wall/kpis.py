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
# Workers online count people, not cases: nothing in /ops to open.
UNLINKED = ("workers_online",)
# A registered case not rejected (data_access/indicators.ACCEPTED_STAGES), and every
# follow-up answer: layouts do not import data_access, tests hold the two equal.
ACCEPTED = ("registered", "dispatched", "handling", "handled", "verified", "closed")
ANSWERED = ("satisfied", "basically", "unsatisfied")
# What the live Redis counters feed (data_access.kpis.LiveCounts; the last hour is counted
# in the database, to the second).
COUNTED_LIVE = ("reported", "registered", "closed")


def value_id(key: str) -> str:
    return f"wall-kpi-value-{key}"


def delta_id(key: str) -> str:
    return f"wall-kpi-delta-{key}"


def link_id(key: str) -> str:
    return f"wall-kpi-link-{key}"


def _item(key: str, lang: str) -> html.A | html.Div:
    children = [html.Span(t(f"wall.kpi.{key}", lang), className="kpi-label"),
                html.Span("—", id=value_id(key), className="kpi-value"),
                html.Span("", id=delta_id(key), className="kpi-delta")]
    if key in UNLINKED:
        return html.Div(className=f"kpi kpi-{key}", children=children)
    return html.A(id=link_id(key), className=f"kpi kpi-{key}", href="/ops", children=children)


def layout(lang: str) -> html.Section:
    items = [_item(key, lang) for key in KEYS]
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
    link of each linked indicator (CaseFilter URLs, built by the caller; see hrefs_for).
    While today's counters are being rebuilt (`recounting`), the counts they feed say so
    instead of a number."""
    items = []
    for key in KEYS:
        value = values.get(key)
        if recounting and key in COUNTED_LIVE:
            items.append({"key": key, "value": None, "text": t("wall.recounting", lang),
                          "rate": False, "delta": None, "delta_text": "", "tone": "recount",
                          "href": hrefs.get(key)})
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
            "href": hrefs.get(key),
        })
    return items


def hrefs_for(unit: str, href: Callable[..., str]) -> dict[str, str]:
    """Drill-down links of the indicators; `href(**CaseFilter fields)` is injected.

    Each opens exactly the cases its number counts (data_access/indicators.py), a rate the
    cases it is over (its denominator); workers online (UNLINKED) have none."""
    return {
        "reported": href(unit=unit, period="today"),
        "registered": href(unit=unit, on="registered", period="today"),
        "closed": href(unit=unit, on="closed", period="today"),
        "in_progress": href(unit=unit, open=True),
        "overdue": href(unit=unit, open=True, deadline=("overdue", "long_overdue"),
                        sort="overdue"),
        "closure_rate": href(unit=unit, period="30d", stage=ACCEPTED),
        "on_time_rate": href(unit=unit, on="due", period="30d", stage=ACCEPTED),
        "satisfaction": href(unit=unit, period="30d", satisfaction=ANSWERED),
        "reports_last_hour": href(unit=unit, period="1h"),
    }
