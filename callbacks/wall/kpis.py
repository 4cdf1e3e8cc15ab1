"""Headline indicators: live counters every few seconds, DB figures and rates less often."""
from __future__ import annotations

from dash import Dash, Output, no_update

from callbacks.context import current
from callbacks.wall.common import (
    FAILURES,
    filter_href,
    fresh,
    load,
    now,
    register_tile,
    stale,
    view,
)
from data_access import kpis
from data_access.wall_scope import Scope
from layouts.wall import ids
from layouts.wall.kpis import hrefs_for, kpi_items

LIVE_SECONDS, DB_SECONDS, RATE_SECONDS = 3, 15, 300
# The counts with a figure for the same time yesterday (see kpis.DbFigures: not workers
# online; rates have their own 30-day window).
YESTERDAY = ("reported", "registered", "closed", "in_progress", "overdue",
             "reports_last_hour")


def build(scope: Scope, lang: str) -> list[dict]:
    """Live counters every few seconds over DB figures and rates cached longer; the built
    items are cached per live bucket, so a warm refresh is one cache read."""
    rt = current().runtime
    live = kpis.live_counts(rt.counters, scope, now())
    db = load("kpi-db", scope, DB_SECONDS,
              lambda s: kpis.db_figures(s, scope, now(), rt.settings.zone)).value
    rates = load("kpi-rates", scope, RATE_SECONDS,
                 lambda s: kpis.rates(s, scope, now(), rt.settings.zone)).value
    yesterday = {key: getattr(db, f"{key}_yesterday") for key in YESTERDAY}
    return kpi_items({**live.__dict__, **db.__dict__, **rates.__dict__}, yesterday,
                     hrefs_for(scope.unit, filter_href), lang)


def refresh_kpis(_n, unit: str | None, config: dict, state: dict | None):
    lang = config["lang"]
    try:
        scope = view(unit)
        got = load("kpis", scope, LIVE_SECONDS, lambda _s: build(scope, lang), lang=lang)
    except FAILURES:
        return no_update, *stale("kpis", state, lang)
    return got.value, *fresh("kpis", got, lang)


def register(app: Dash) -> None:
    register_tile(app, "kpis", refresh_kpis, [Output(ids.KPI_DATA, "data")])
