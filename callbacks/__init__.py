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


def register_all(app: Dash, runtime, cache) -> context.Context:
    bound = context.bind(app.server, runtime, cache)
    for module in (ops_filters, ops_table, ops_detail, ops_duty, ops_warnings, intake_quality,
                   briefing):
        module.register(app)
    wall.register(app)
    return bound

