"""Overdue alerts and the red/yellow ranking per county."""
from __future__ import annotations

from dash import Dash, Output

from callbacks.wall.common import (
    built,
    case_href,
    filter_href,
    now,
    register_tile,
    tile_answer,
)
from data_access import alerts
from layouts.wall import ids
from layouts.wall.alerts import alert_board, county_cases, red_ids
from layouts.wall.arrangement import fitted_rows, shape_for

INPUTS = ("alerts",)
# For a config without fitted rows (a page from before they were sent): 1920×1080's.
STANDARD_ROWS = fitted_rows(shape_for(1920, 1080), 1920, 1080)


def build(board: alerts.AlertBoard, view: str, lang: str, rows: int, ranked: int) -> tuple:
    """The built body and the red ids: shared by every screen of a language and shape. A
    county's row opens exactly the red and yellow cases it counts in the view."""
    body = alert_board(board.rows, board.by_county, board.red_total, board.yellow_total, lang,
                       now(), case_href,
                       lambda county: filter_href(**county_cases(county, view)),
                       max_rows=rows, ranked_rows=ranked)
    return body, red_ids(board.rows)


def refresh_alerts(request, unit: str | None, config: dict, state: dict | None):
    # Rows fitted to the tile on this canvas (layouts/wall/arrangement.py).
    lang = config["lang"]
    rows = config.get("alert_rows", STANDARD_ROWS["alerts"])
    ranked = config.get("ranked_rows", STANDARD_ROWS["ranked"])
    return tile_answer("alerts", INPUTS, unit, request, state, config, 2, lambda scope, snaps:
                       built("alerts", scope, snaps,
                             lambda: build(snaps[0].value, scope.unit, lang, rows, ranked),
                             lang=lang, rows=rows, ranked=ranked))


def register(app: Dash) -> None:
    register_tile(app, "alerts", refresh_alerts,
                  [Output(ids.body("alerts"), "children"), Output(ids.ALERT_RED_IDS, "data")])
