"""Headline indicators: today's live counts, open/overdue now with yesterday's figures, and
30-day rates — three inputs of different ages; the tile shows the age of the oldest."""
from __future__ import annotations

from dash import Dash, Output

from callbacks.wall.common import built, filter_href, register_tile, tile_answer, values
from data_access.snapshots import Snapshot
from data_access.wall_scope import Scope
from layouts.wall import ids
from layouts.wall.kpis import hrefs_for, kpi_items

INPUTS = ("kpi-live", "kpi-db", "kpi-rates", "kpi-hourly")
# The counts with a figure for the same time yesterday (see kpis.DbFigures: not workers
# online; rates have their own 30-day window).
YESTERDAY = ("reported", "registered", "closed", "in_progress", "overdue",
             "reports_last_hour")


def build(scope: Scope, snaps: list[Snapshot], lang: str) -> list[dict]:
    live, db, rates, hourly = values(snaps)
    yesterday = {key: getattr(db, f"{key}_yesterday") for key in YESTERDAY}
    return kpi_items({**live.__dict__, **db.__dict__, **rates.__dict__}, yesterday,
                     hrefs_for(scope.unit, filter_href), lang, recounting=snaps[0].recounting,
                     hourly={k: (hourly.today[k], hourly.yesterday[k]) for k in hourly.today})


def refresh_kpis(_request, unit: str | None, config: dict, state: dict | None):
    lang = config["lang"]
    return tile_answer("kpis", INPUTS, unit, _request, state, config, 1,
                       lambda scope, snaps: (built("kpis", scope, snaps,
                                                   lambda: build(scope, snaps, lang),
                                                   lang=lang),))


def register(app: Dash) -> None:
    register_tile(app, "kpis", refresh_kpis, [Output(ids.KPI_DATA, "data")])
