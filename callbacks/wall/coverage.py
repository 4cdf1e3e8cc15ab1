"""The grid map. The geometry travels once, as a cacheable JSON route the figure points to,
and the names written on it with the first figure of a view; each refresh sends only the
values (a Patch of the classes, and of the colour scale and title when the measure rotates)
and the markers' positions, unless the view changed."""
from __future__ import annotations

import json

import pandas as pd
from dash import Dash, Input, Output, State, no_update
from flask import Response, abort

from callbacks.wall.common import built, load, register_tile, tile_answer, view
from data_access import coverage
from data_access.snapshots import Snapshot
from data_access.wall_scope import Scope, ScopeError
from layouts.wall import ids
from layouts.wall.coverage import caption, geometry_url
from layouts.wall.figures import MAP_DESIGN_PX, coverage_map, coverage_patch

GEOMETRY_SECONDS = 3600
LEVELS = ("city", "county", "township", "village", "grid")


def refresh_map(request, unit: str | None, measure: str | None, config: dict,
                state: dict | None, shown_key: str | None):
    lang = config["lang"]
    measure = measure if measure in coverage.MEASURES else config["measure"]
    # The map's drawing area on this canvas (layouts/wall/arrangement.py), which its names are
    # spaced for; a page from before it was sent: 1920×1080's.
    area_px = tuple(config.get("map_px", MAP_DESIGN_PX))

    def content(scope: Scope, snaps: list[Snapshot]) -> tuple:
        values, markers = snaps[0].value, snaps[1].value
        title = caption(measure, lang, recounting=snaps[0].recounting)
        # What the figure on screen was drawn for: the same units send values only, even
        # when the measure changed (its colours, range and title travel in the Patch).
        key = f"{scope.unit}|{lang}|{len(values)}"
        if key == shown_key:
            return coverage_patch(values, measure, lang, markers), no_update, title
        # A screen's first frame (or a new view): the whole figure, built once for every
        # screen of that language and scale.
        figure = built("coverage", scope, snaps,
                       lambda: build(scope, values, markers, measure, lang, config["unit_px"],
                                     area_px),
                       measure=measure, lang=lang, scale=config["unit_px"], area=area_px)
        return figure, key, title

    return tile_answer("coverage", (f"coverage-{measure}", "map-markers"), unit, request, state,
                       config, 3, content)


def build(scope: Scope, values: pd.DataFrame, markers: pd.DataFrame, measure: str, lang: str,
          unit_px: float, area_px: tuple[float, float] = MAP_DESIGN_PX) -> dict:
    # A plain dict: it is cached, and a pickled go.Figure re-validates on load.
    fill, outline = coverage.map_levels(scope)
    # The outlined units are the named ones; like the geometry, read once per view an hour.
    labels = load("map-labels", scope, GEOMETRY_SECONDS,
                  lambda s: coverage.map_labels(s, scope)).value
    bounds = load("map-bounds", scope, GEOMETRY_SECONDS,
                  lambda s: coverage.map_bounds(s, scope)).value
    return coverage_map(values, geometry_url(scope.unit, fill), geometry_url(scope.unit, outline),
                        labels["code"].tolist(), measure, lang, unit_px, labels=labels,
                        markers=markers, area_px=area_px, 
                        bounds=tuple(bounds) if bounds else None).to_dict()


def geometry_json(unit: str, level: str) -> Response:
    """GeoJSON of a view's units; cached in Redis and by the browser (it changes on import)."""
    if level not in LEVELS:
        abort(404)
    try:
        scope = view(unit)
        got = load("geometry", scope, GEOMETRY_SECONDS,
                   lambda s: json.dumps(coverage.geometry(s, scope, level),
                                        separators=(",", ":")), level=level)
    except ScopeError:
        abort(404)
    response = Response(got.value, mimetype="application/json")
    response.headers["Cache-Control"] = f"public, max-age={GEOMETRY_SECONDS}"
    return response


def register(app: Dash) -> None:
    app.server.add_url_rule("/wall/geo/<unit>/<level>.json", "wall_geometry", geometry_json)
    register_tile(app, "coverage", refresh_map,
                  [Output(ids.MAP_GRAPH, "figure"), Output(ids.MAP_KEY, "data"),
                   Output(ids.MAP_CAPTION, "children")],
                  extra_inputs=(Input(ids.MEASURE, "data"),),
                  extra_states=(State(ids.MAP_KEY, "data"),))
