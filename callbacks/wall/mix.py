"""Today's mix by source and major class."""
from __future__ import annotations

from dash import Dash, Output

from callbacks.wall.common import built, filter_href, register_tile, tile_answer
from data_access import mix
from layouts.wall import ids
from layouts.wall.mix import mix_body

INPUTS = ("mix",)


def build(today: mix.TodayMix, unit: str, lang: str, recounting: bool):
    return mix_body(today.by_source, today.by_major, lang,
                    lambda code: filter_href(unit=unit, period="today", source=(code,)),
                    lambda code: filter_href(unit=unit, period="today", major=(code,)),
                    recounting=recounting)


def refresh_mix(request, unit: str | None, config: dict, state: dict | None):
    lang = config["lang"]
    return tile_answer("mix", INPUTS, unit, request, state, config, 1, lambda scope, snaps: (
        built("mix", scope, snaps,
              lambda: build(snaps[0].value, scope.unit, lang, snaps[0].recounting),
              lang=lang),))


def register(app: Dash) -> None:
    register_tile(app, "mix", refresh_mix, [Output(ids.body("mix"), "children")])
