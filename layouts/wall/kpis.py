"""Headline indicators: a strip of numbers that roll from old to new (assets/wall.js); the
counts of the day carry a sparkline behind them, today against yesterday by hour."""
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
# Drawn by hour behind their number (data_access.kpis.HOURLY), in a SPARK_BOX viewBox that
# the SVG stretches to whatever room the indicator has.
SPARKED = ("reported", "registered", "closed")
SPARK_BOX = (240, 40)


def value_id(key: str) -> str:
    return f"wall-kpi-value-{key}"


def delta_id(key: str) -> str:
    return f"wall-kpi-delta-{key}"


def link_id(key: str) -> str:
    return f"wall-kpi-link-{key}"


def spark_id(key: str) -> str:
    return f"wall-kpi-spark-{key}"


def _item(key: str, lang: str) -> html.A | html.Div:
    spark = [html.Span(id=spark_id(key), className="kpi-spark")] if key in SPARKED else []
    children = [*spark, html.Span(t(f"wall.kpi.{key}", lang), className="kpi-label"),
                html.Span("—", id=value_id(key), className="kpi-value"),
                html.Span("", id=delta_id(key), className="kpi-delta")]
    if key in UNLINKED:
        return html.Div(className=f"kpi kpi-{key}", children=children)
    return html.A(id=link_id(key), className=f"kpi kpi-{key}", href="/ops", children=children)


def layout(lang: str) -> html.Section:
    items = [_item(key, lang) for key in KEYS]
    legend = html.Div(className="kpi-spark-legend", children=[
        html.Span(className="swatch today"), t("wall.kpi.spark_today", lang),
        html.Span(className="swatch yesterday"), t("wall.kpi.spark_yesterday", lang)])
    # In the tile's head row (positioned against the tile), not in the strip's room.
    return tile("kpis", lang, html.Div(items, className="kpi-strip"),
                extra=[dcc.Store(id=ids.KPI_DATA), legend])


def spark_points(today: list[int], yesterday: list[int]) -> dict[str, str]:
    """SVG polyline points of the two days' hourly counts on one scale (the larger day's
    busiest hour at the top): x by hour 0–23, y up with the count."""
    width, height = SPARK_BOX
    peak = max([1, *today, *yesterday])

    def points(series: list[int]) -> str:
        xy = [(round(h * width / 23, 1), round(height - 2 - (height - 4) * n / peak, 1))
              for h, n in enumerate(series)]
        return " ".join(f"{x:g},{y:g}" for x, y in xy)

    return {"today": points(today), "yesterday": points(yesterday)}


def format_value(key: str, value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1%}" if key in RATES else f"{int(value):,}"


def kpi_items(values: Mapping[str, float | None], yesterday: Mapping[str, int],
              hrefs: Mapping[str, str], lang: str, recounting: bool = False,
              hourly: Mapping[str, tuple[list[int], list[int]]] | None = None) -> list[dict]:
    """What the strip shows, as plain data for the clientside roll animation.

    `yesterday` holds the counts at the same local time yesterday; `hrefs` the drill-down
    link of each linked indicator (CaseFilter URLs, built by the caller; see hrefs_for).
    While today's counters are being rebuilt (`recounting`), the counts they feed say so
    instead of a number. `hourly` holds, per SPARKED key, (today, yesterday) counts by hour.
    """
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
            **({"spark": spark_points(*hourly[key])} if hourly and key in hourly else {}),
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
