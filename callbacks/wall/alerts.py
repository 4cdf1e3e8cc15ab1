"""Overdue alerts, paged, and the red/yellow ranking one level down."""
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
from data_access.wall_scope import Scope
from layouts.wall import ids
from layouts.wall.alerts import alert_board, page_count, red_ids, unit_cases
from layouts.wall.arrangement import fitted_rows, shape_for

INPUTS = ("alerts",)
# For a config without fitted rows (a page from before they were sent): 1920×1080's.
STANDARD_ROWS = fitted_rows(shape_for(1920, 1080), 1920, 1080)
# The tile asks every REFRESH_SECONDS["alerts"] (5 s); a page stays for this many answers.
ANSWERS_PER_PAGE = 2


def turn(request: dict | None) -> int:
    """How many pages this screen has turned: its requests count up, so every screen pages
    on its own, without a timer of its own, and the server sends one page at a time."""
    seq = (request or {}).get("seq", 0)
    seq = seq if isinstance(seq, int) and not isinstance(seq, bool) and seq >= 0 else 0
    return seq // ANSWERS_PER_PAGE


def page_of(request: dict | None, board: alerts.AlertBoard, per_page: int) -> int:
    return turn(request) % page_count(board.rows, per_page)


def per_page(board: alerts.AlertBoard, rows: int) -> int:
    """The tile's fitted rows, one of them left to the page number when they do not all fit."""
    return rows if len(board.rows) <= rows else max(1, rows - 1)


def build(board: alerts.AlertBoard, scope: Scope, lang: str, rows: int, ranked: int,
          page: int) -> tuple:
    """One page of the body and the newly overdue ids: shared by every screen of a language,
    shape and page. A ranking row opens exactly the red and yellow cases it counts."""
    body = alert_board(board.rows, board.by_unit, alerts.CHILD_LEVEL[scope.level],
                       board.red_total, board.yellow_total, lang, now(), case_href,
                       lambda unit: filter_href(**unit_cases(unit)), per_page(board, rows), page,
                       ranked_rows=ranked)
    return body, red_ids(board.rows)


def refresh_alerts(request, unit: str | None, config: dict, state: dict | None):
    # Rows fitted to the tile on this canvas (layouts/wall/arrangement.py).
    lang = config["lang"]
    rows = config.get("alert_rows", STANDARD_ROWS["alerts"])
    ranked = config.get("ranked_rows", STANDARD_ROWS["ranked"])

    def content(scope, snaps):
        page = page_of(request, snaps[0].value, per_page(snaps[0].value, rows))
        return built("alerts", scope, snaps,
                     lambda: build(snaps[0].value, scope, lang, rows, ranked, page),
                     lang=lang, rows=rows, ranked=ranked, page=page)

    return tile_answer("alerts", INPUTS, unit, request, state, config, 2, content,
                       variant=str(turn(request)))


def register(app: Dash) -> None:
    register_tile(app, "alerts", refresh_alerts,
                  [Output(ids.body("alerts"), "children"), Output(ids.ALERT_RED_IDS, "data")])
