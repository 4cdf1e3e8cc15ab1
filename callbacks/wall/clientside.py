"""Browser-side behaviour (assets/wall.js): canvas letterboxing, clock and countdowns,
data freshness, number roll, queue paging, rotation, new-alert signal, click-through."""
from __future__ import annotations

from dash import ClientsideFunction, Dash, Input, Output, State

from layouts.wall import ids


def _js(name: str) -> ClientsideFunction:
    return ClientsideFunction(namespace="govwall", function_name=name)


def register(app: Dash) -> None:
    app.clientside_callback(_js("fitCanvas"), Output(ids.CANVAS, "data-fit"),
                            Input(ids.CONFIG, "data"))
    app.clientside_callback(
        _js("tick"), Output(ids.CLOCK, "children"), Output(ids.DATE, "children"),
        Output(ids.FRESHNESS, "children"), Output(ids.FRESHNESS, "className"),
        Input(ids.CLOCK_TICK, "n_intervals"), State(ids.CONFIG, "data"), State(ids.ZONE, "data"),
        *[State(ids.state(p), "data") for p in ids.PANELS],
    )
    # Each tile asks for its data only when its previous answer is in (see common.py).
    app.clientside_callback(
        _js("gate"), *[Output(ids.request(p), "data") for p in ids.PANELS],
        Input(ids.CLOCK_TICK, "n_intervals"), State(ids.CONFIG, "data"),
        *[State(ids.request(p), "data") for p in ids.PANELS],
        *[State(ids.state(p), "data") for p in ids.PANELS], prevent_initial_call=True,
    )
    app.clientside_callback(_js("rollKpis"), Output(ids.KPI_DATA, "modified_timestamp"),
                            Input(ids.KPI_DATA, "data"))
    app.clientside_callback(_js("pageQueue"), Output(ids.body("queue"), "className"),
                            Input(ids.QUEUE_PAGER, "n_intervals"))
    app.clientside_callback(_js("rotate"), Output(ids.UNIT, "data"),
                            Input(ids.ROTATE_TICK, "n_intervals"), State(ids.CONFIG, "data"),
                            prevent_initial_call=True)
    app.clientside_callback(_js("rotateMeasure"), Output(ids.MEASURE, "data"),
                            Input(ids.MEASURE_TICK, "n_intervals"), State(ids.CONFIG, "data"),
                            prevent_initial_call=True)
    app.clientside_callback(_js("signalAlerts"), Output(ids.ALERT_SIGNAL, "className"),
                            Input(ids.ALERT_RED_IDS, "data"))
    app.clientside_callback(_js("signalWarnings"), Output(ids.tile("warnings"), "data-focus"),
                            Input(ids.WARNING_IDS, "data"))
    app.clientside_callback(_js("followClick"), Output(ids.MAP_GRAPH, "className"),
                            Input(ids.MAP_GRAPH, "clickData"), State(ids.MEASURE, "data"),
                            prevent_initial_call=True)
    app.clientside_callback(_js("followDispute"), Output(ids.DISPUTES_TREND, "className"),
                            Input(ids.DISPUTES_TREND, "clickData"), State(ids.UNIT, "data"),
                            prevent_initial_call=True)
