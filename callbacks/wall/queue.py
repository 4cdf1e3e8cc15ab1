"""The live incident board."""
from __future__ import annotations

from dash import Dash, Input, Output, State, no_update

from callbacks.context import current
from callbacks.wall.common import FAILURES, case_href, fresh, load, now, stale, view
from data_access import queue
from layouts.wall import ids
from layouts.wall.queue import queue_pages

BUCKET_SECONDS = 10


def refresh_queue(_n, unit: str | None, config: dict, state: dict | None):
    lang = config["lang"]
    try:
        scope = view(unit)
        got = load("queue", scope, BUCKET_SECONDS,
                   lambda s: queue.latest_cases(s, scope, now(), limit=4 * config["rows"]),
                   rows=config["rows"])
    except FAILURES:
        return no_update, *stale("queue", state, lang)
    pages = queue_pages(got.value, lang, now(), current().runtime.settings.zone, case_href,
                        config["rows"])
    return pages, *fresh("queue", got, lang)


def register(app: Dash) -> None:
    app.callback(
        Output(ids.body("queue"), "children"), Output(ids.status("queue"), "children"),
        Output(ids.tile("queue"), "className"), Output(ids.state("queue"), "data"),
        Input(ids.tick("queue"), "n_intervals"), Input(ids.UNIT, "data"),
        State(ids.CONFIG, "data"), State(ids.state("queue"), "data"),
    )(refresh_queue)
