"""预警: the stored early warnings of the view (detection runs off the request path)."""
from __future__ import annotations

from dash import Dash, Output

from callbacks.context import current
from callbacks.wall.common import built, register_tile, tile_answer
from data_access.warnings.store import WarningBoard
from layouts.wall import ids
from layouts.wall.arrangement import fitted_rows, shape_for
from layouts.wall.warnings import new_ids, warning_board

INPUTS = ("warnings",)


def warning_href(warning_id: int) -> str:
    return f"/ops/warnings?id={int(warning_id)}"


# For a config without fitted rows (a page from before they were sent): 1920×1080's.
STANDARD_ROWS = fitted_rows(shape_for(1920, 1080), 1920, 1080)["warnings"]


def build(board: WarningBoard, lang: str, rows: int, zone) -> tuple:
    body = warning_board(board.rows, board.open_by_kind, board.total_open, lang, zone,
                         warning_href, max_rows=rows)
    return body, new_ids(board.rows)


def refresh_warnings(request, unit: str | None, config: dict, state: dict | None):
    # Rows fitted to the tile on this canvas (layouts/wall/arrangement.py).
    lang, rows = config["lang"], config.get("warning_rows", STANDARD_ROWS)
    zone = current().runtime.settings.zone
    return tile_answer("warnings", INPUTS, unit, request, state, config, 2, lambda scope, snaps:
                       built("warnings", scope, snaps,
                             lambda: build(snaps[0].value, lang, rows, zone),
                             lang=lang, rows=rows))


def register(app: Dash) -> None:
    register_tile(app, "warnings", refresh_warnings,
                  [Output(ids.body("warnings"), "children"), Output(ids.WARNING_IDS, "data")])
