"""Thin callbacks: inputs -> one data_access call -> one builder. One module per panel."""
from __future__ import annotations

from dash import Dash

from callbacks import (
    briefing,
    context,
    intake_quality,
    ops_detail,
    ops_duty,
    ops_filters,
    ops_table,
    ops_warnings,
    wall,
)
from data_access.wall_refresher import WallRefresher


def register_all(app: Dash, runtime, cache) -> context.Context:
    bound = context.bind(app.server, runtime, cache)
    for module in (ops_filters, ops_table, ops_detail, ops_duty, ops_warnings, intake_quality,
                   briefing):
        module.register(app)
    wall.register(app)
    return bound


def wall_refresher(bound: context.Context) -> WallRefresher:
    """The refresher that keeps this app's wall inputs computed (started by the app)."""
    rt = bound.runtime
    return WallRefresher(rt.sessions, rt.counters, bound.snapshots, rt.settings.region,
                         rt.settings.zone, rt.clock)
