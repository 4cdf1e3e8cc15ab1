"""The live incident board."""
from __future__ import annotations

from dash import Dash, Output, no_update

from callbacks.context import current
from callbacks.wall.common import FAILURES, case_href, fresh, load, now, register_tile, stale, view
from data_access import queue
from layouts.wall import ids
from layouts.wall.queue import queue_pages

BUCKET_SECONDS = 10


def refresh_queue(_n, unit: str | None, config: dict, state: dict | None):
    lang, rows = config["lang"], config["rows"]
    zone = current().runtime.settings.zone
    try:
        scope = view(unit)
        # The built pages are cached (per language and page size): every screen of a
        # shape shows the same, and a warm refresh is one cache read.
        got = load("queue", scope, BUCKET_SECONDS,
                   lambda s: queue_pages(queue.latest_cases(s, scope, now(), limit=4 * rows),
                                         lang, now(), zone, case_href, rows),
                   rows=rows, lang=lang)
    except FAILURES:
        return no_update, *stale("queue", state, lang)
    return got.value, *fresh("queue", got, lang)


def register(app: Dash) -> None:
    register_tile(app, "queue", refresh_queue, [Output(ids.body("queue"), "children")])
