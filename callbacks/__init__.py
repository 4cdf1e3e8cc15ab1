"""Thin callbacks: inputs -> one data_access call -> one builder. One module per panel."""
from __future__ import annotations

from dash import Dash

from callbacks import context, ops_detail, ops_filters, ops_table, wall


def register_all(app: Dash, runtime, cache) -> None:
    context.bind(app.server, runtime, cache)
    for module in (ops_filters, ops_table, ops_detail):
        module.register(app)
    wall.register(app)
