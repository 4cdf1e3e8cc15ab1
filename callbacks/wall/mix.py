"""Today's mix by source and major class."""
from __future__ import annotations

from dash import Dash, Output, no_update

from callbacks.context import current
from callbacks.wall.common import (
    FAILURES,
    filter_href,
    fresh,
    load,
    now,
    register_tile,
    stale,
    view,
)
from data_access import mix
from layouts.wall import ids
from layouts.wall.mix import mix_body

BUCKET_SECONDS = 15


def build(today: mix.TodayMix, unit: str, lang: str):
    """The built body is what is cached: a warm refresh is one cache read."""
    return mix_body(today.by_source, today.by_major, lang,
                    lambda code: filter_href(unit=unit, period="today", source=(code,)),
                    lambda code: filter_href(unit=unit, period="today", major=(code,)))


def refresh_mix(_n, unit: str | None, config: dict, state: dict | None):
    lang = config["lang"]
    rt = current().runtime
    try:
        scope = view(unit)
        got = load("mix", scope, BUCKET_SECONDS,
                   lambda s: build(mix.today_mix(s, rt.counters, scope, now(), rt.settings.zone),
                                   scope.unit, lang), lang=lang)
    except FAILURES:
        return no_update, *stale("mix", state, lang)
    return got.value, *fresh("mix", got, lang)


def register(app: Dash) -> None:
    register_tile(app, "mix", refresh_mix, [Output(ids.body("mix"), "children")])
