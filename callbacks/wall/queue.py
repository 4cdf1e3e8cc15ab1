"""The live incident board."""
from __future__ import annotations

from dash import Dash, Output

from callbacks.context import current
from callbacks.wall.common import built, case_href, now, register_tile, tile_answer
from layouts.wall import ids
from layouts.wall.queue import queue_pages

INPUTS = ("queue",)


def refresh_queue(request, unit: str | None, config: dict, state: dict | None):
    lang, rows = config["lang"], config["rows"]
    zone = current().runtime.settings.zone
    # The built pages are shared by every screen of a language and page size.
    return tile_answer("queue", INPUTS, unit, request, state, config, 1, lambda scope, snaps: (
        built("queue", scope, snaps,
              lambda: queue_pages(snaps[0].value.head(4 * rows), lang, now(), zone, case_href,
                                  rows), rows=rows, lang=lang),))


def register(app: Dash) -> None:
    register_tile(app, "queue", refresh_queue, [Output(ids.body("queue"), "children")])
