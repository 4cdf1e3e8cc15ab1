"""The grid map. The geometry travels once, as a cacheable JSON route the figure points to;
each refresh sends only the values (a Patch of the z array) unless the view changed."""
from __future__ import annotations

import json

from dash import Dash, Input, Output, Patch, State, no_update
from flask import Response, abort

from callbacks.context import current
from callbacks.wall.common import FAILURES, fresh, load, now, stale, view
from data_access import coverage
from data_access.wall_scope import ScopeError
from layouts.wall import ids
from layouts.wall.coverage import geometry_url
from layouts.wall.figures import coverage_map

BUCKET_SECONDS = 30
GEOMETRY_SECONDS = 3600
LEVELS = ("county", "township", "grid")


def refresh_map(_n, unit: str | None, config: dict, state: dict | None, shown_key: str | None):
    lang, measure = config["lang"], config["measure"]
    rt = current().runtime
    try:
        scope = view(unit)
        got = load("coverage", scope, BUCKET_SECONDS,
                   lambda s: coverage.measure_values(s, rt.counters, scope, measure, now()),
                   measure=measure)
    except FAILURES:
        return no_update, no_update, *stale("coverage", state, lang)
    values = got.value
    key = f"{scope.unit}|{measure}|{lang}|{len(values)}"
    if key == shown_key:
        patch = Patch()
        patch["data"][0]["z"] = values["value"].tolist()
        patch["data"][0]["zmax"] = 1.0 if measure == "patrol" else max(1.0, values["value"].max())
        return patch, no_update, *fresh("coverage", got, lang)
    fill, outline = coverage.map_levels(scope)
    outline_codes = [scope.township] if outline == "township" else list(scope.counties)
    figure = coverage_map(values, geometry_url(scope.unit, fill), geometry_url(scope.unit, outline),
                          outline_codes, measure, lang, config["unit_px"])
    return figure, key, *fresh("coverage", got, lang)


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
    app.callback(
        Output(ids.MAP_GRAPH, "figure"), Output(ids.MAP_KEY, "data"),
        Output(ids.status("coverage"), "children"), Output(ids.tile("coverage"), "className"),
        Output(ids.state("coverage"), "data"),
        Input(ids.tick("coverage"), "n_intervals"), Input(ids.UNIT, "data"),
        State(ids.CONFIG, "data"), State(ids.state("coverage"), "data"),
        State(ids.MAP_KEY, "data"),
    )(refresh_map)
