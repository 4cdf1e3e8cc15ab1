"""Overdue alerts and the red/yellow ranking per county."""
from __future__ import annotations

from dash import Dash, Output, no_update

from callbacks.context import current
from callbacks.wall.common import (
    FAILURES,
    case_href,
    filter_href,
    fresh,
    load,
    now,
    register_tile,
    stale,
    view,
)
from data_access import alerts
from layouts.wall import ids
from layouts.wall.alerts import alert_board, red_ids

BUCKET_SECONDS = 5
RED = ("overdue", "long_overdue")


def build(board: alerts.AlertBoard, lang: str, rows: int) -> tuple:
    """The built body and the red ids are what is cached: a warm refresh is one cache read."""
    body = alert_board(board.rows, board.by_county, board.red_total, board.yellow_total, lang,
                       now(), case_href,
                       lambda county: filter_href(unit=county, open=True, deadline=RED),
                       max_rows=rows - 2)  # an alert row is taller than a queue row
    return body, red_ids(board.rows)


def refresh_alerts(_n, unit: str | None, config: dict, state: dict | None):
    lang, rows = config["lang"], config["rows"]
    zone = current().runtime.settings.zone
    try:
        scope = view(unit)
        got = load("alerts", scope, BUCKET_SECONDS,
                   lambda s: build(alerts.alert_board(s, scope, now(), zone), lang, rows),
                   lang=lang, rows=rows)
    except FAILURES:
        return no_update, no_update, *stale("alerts", state, lang)
    return *got.value, *fresh("alerts", got, lang)


def register(app: Dash) -> None:
    register_tile(app, "alerts", refresh_alerts,
                  [Output(ids.body("alerts"), "children"), Output(ids.ALERT_RED_IDS, "data")])
