"""预警: the stored early warnings of the view (detection runs off the request path)."""
from __future__ import annotations

from dash import Dash, Output

from callbacks.context import current
from callbacks.wall.common import built, register_tile, tile_answer
from data_access.warnings.store import WarningBoard
from layouts.wall import ids
from layouts.wall.warnings import new_ids, warning_board

INPUTS = ("warnings",)


def warning_href(warning_id: int) -> str:
    return f"/ops/warnings?id={int(warning_id)}"


# Rows the tile has room for in the current arrangement (assets/wall.css: a fifth of the
# height under the map), by the wall's shape: rows_per_page is 7 (standard) or 14 (wide).
ROWS = {7: 3, 14: 4}


def build(board: WarningBoard, lang: str, rows: int, zone) -> tuple:
    body = warning_board(board.rows, board.open_by_kind, board.total_open, lang, zone,
                         warning_href, max_rows=ROWS.get(rows, 3))
    return body, new_ids(board.rows)


def refresh_warnings(request, unit: str | None, config: dict, state: dict | None):
    lang, rows = config["lang"], config["rows"]
    zone = current().runtime.settings.zone
    return tile_answer("warnings", INPUTS, unit, request, state, config, 2, lambda scope, snaps:
                       built("warnings", scope, snaps,
                             lambda: build(snaps[0].value, lang, rows, zone),
                             lang=lang, rows=rows))


def register(app: Dash) -> None:
    register_tile(app, "warnings", refresh_warnings,
                  [Output(ids.body("warnings"), "children"), Output(ids.WARNING_IDS, "data")])
