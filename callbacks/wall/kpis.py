"""Headline indicators: live counters every few seconds, DB figures and rates less often."""
from __future__ import annotations

from dash import Dash, Input, Output, State, no_update

from callbacks.context import current
from callbacks.wall.common import FAILURES, filter_href, fresh, load, now, stale, view
from data_access import kpis
from layouts.wall import ids
from layouts.wall.kpis import hrefs_for, kpi_items

LIVE_SECONDS, DB_SECONDS, RATE_SECONDS = 3, 15, 300


def refresh_kpis(_n, unit: str | None, config: dict, state: dict | None):
    lang = config["lang"]
    rt = current().runtime
    try:
        scope = view(unit)
        live = load("kpi-live", scope, LIVE_SECONDS,
                    lambda _s: kpis.live_counts(rt.counters, scope, now()))
        db = load("kpi-db", scope, DB_SECONDS,
                  lambda s: kpis.db_figures(s, scope, now(), rt.settings.zone))
        rates = load("kpi-rates", scope, RATE_SECONDS,
                     lambda s: kpis.rates(s, scope, now(), rt.settings.zone))
    except FAILURES:
        return no_update, *stale("kpis", state, lang)
    yesterday = {"reported": db.value.reported_yesterday,
                 "registered": db.value.registered_yesterday,
                 "closed": db.value.closed_yesterday}
    items = kpi_items({**live.value.__dict__, **db.value.__dict__, **rates.value.__dict__},
                      yesterday, hrefs_for(scope.unit, filter_href), lang)
    return items, *fresh("kpis", live, lang)


def register(app: Dash) -> None:
    app.callback(
        Output(ids.KPI_DATA, "data"), Output(ids.status("kpis"), "children"),
        Output(ids.tile("kpis"), "className"), Output(ids.state("kpis"), "data"),
        Input(ids.tick("kpis"), "n_intervals"), Input(ids.UNIT, "data"),
        State(ids.CONFIG, "data"), State(ids.state("kpis"), "data"),
    )(refresh_kpis)
