"""Today's mix by source and major class."""
from __future__ import annotations

from dash import Dash, Input, Output, State, no_update

from callbacks.context import current
from callbacks.wall.common import FAILURES, filter_href, fresh, load, now, stale, view
from data_access import mix
from layouts.wall import ids
from layouts.wall.mix import mix_body

BUCKET_SECONDS = 15


def refresh_mix(_n, unit: str | None, config: dict, state: dict | None):
    lang = config["lang"]
    rt = current().runtime
    try:
        scope = view(unit)
        got = load("mix", scope, BUCKET_SECONDS,
                   lambda s: mix.today_mix(s, rt.counters, scope, now(), rt.settings.zone))
    except FAILURES:
        return no_update, *stale("mix", state, lang)
    body = mix_body(got.value.by_source, got.value.by_major, lang,
                    lambda code: filter_href(unit=scope.unit, period="today", source=(code,)),
                    lambda code: filter_href(unit=scope.unit, period="today", major=(code,)))
    return body, *fresh("mix", got, lang)


def register(app: Dash) -> None:
    app.callback(
        Output(ids.body("mix"), "children"), Output(ids.status("mix"), "children"),
        Output(ids.tile("mix"), "className"), Output(ids.state("mix"), "data"),
        Input(ids.tick("mix"), "n_intervals"), Input(ids.UNIT, "data"),
        State(ids.CONFIG, "data"), State(ids.state("mix"), "data"),
    )(refresh_mix)
