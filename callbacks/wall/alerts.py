"""Overdue alerts and the red/yellow ranking per county."""
from __future__ import annotations

from dash import Dash, Input, Output, State, no_update

from callbacks.context import current
from callbacks.wall.common import FAILURES, case_href, filter_href, fresh, load, now, stale, view
from data_access import alerts
from layouts.wall import ids
from layouts.wall.alerts import alert_board, red_ids

BUCKET_SECONDS = 5
RED = ("overdue", "long_overdue")


def refresh_alerts(_n, unit: str | None, config: dict, state: dict | None):
    lang = config["lang"]
    try:
        scope = view(unit)
        got = load("alerts", scope, BUCKET_SECONDS,
                   lambda s: alerts.alert_board(s, scope, now(), current().runtime.settings.zone))
    except FAILURES:
        return no_update, no_update, *stale("alerts", state, lang)
    board = got.value
    body = alert_board(board.rows, board.by_county, board.red_total, board.yellow_total, lang,
                       now(), case_href,
                       lambda county: filter_href(unit=county, open=True, deadline=RED),
                       max_rows=config["rows"] - 2)  # an alert row is taller than a queue row
    return body, red_ids(board.rows), *fresh("alerts", got, lang)


def register(app: Dash) -> None:
    app.callback(
        Output(ids.body("alerts"), "children"), Output(ids.ALERT_RED_IDS, "data"),
        Output(ids.status("alerts"), "children"), Output(ids.tile("alerts"), "className"),
        Output(ids.state("alerts"), "data"),
        Input(ids.tick("alerts"), "n_intervals"), Input(ids.UNIT, "data"),
        State(ids.CONFIG, "data"), State(ids.state("alerts"), "data"),
    )(refresh_alerts)
