"""Thin callbacks: inputs -> one data_access call -> one builder. One module per panel."""
from __future__ import annotations

from dash import Dash

from callbacks import context, wall


def register_all(app: Dash, runtime, cache) -> None:
    context.bind(runtime, cache)
    wall.register(app)
