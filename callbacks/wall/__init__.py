"""The wall's callbacks: one module per panel, plus the header and the clientside glue."""
from __future__ import annotations

from dash import Dash

from callbacks.wall import (
    alerts,
    clientside,
    coverage,
    disputes,
    header,
    kpis,
    mix,
    queue,
    warnings,
)


def register(app: Dash) -> None:
    for module in (header, kpis, queue, alerts, coverage, disputes, mix, warnings,
                   clientside):
        module.register(app)
