"""The grid coverage map: boundaries only (no tiles), coloured by one measure."""
from __future__ import annotations

from dash import dcc, html

from layouts.wall import ids
from layouts.wall.tile import tile

MEASURES = ("patrol", "online", "open", "overdue")


def layout(lang: str) -> html.Section:
    return tile("coverage", lang, html.Div(className="map", children=[
        dcc.Graph(id=ids.MAP_GRAPH, className="graph-map",
                  config={"displayModeBar": False, "responsive": True, "scrollZoom": False,
                          # An empty base map served locally: plotly would fetch its world
                          # map from a CDN, and the wall draws only its own boundaries.
                          "topojsonURL": "/assets/topojson/"}),
    ]), extra=[dcc.Store(id=ids.MAP_KEY)])


def geometry_url(unit: str, level: str) -> str:
    """The cacheable GeoJSON of a view's units of one level (served by callbacks.wall)."""
    return f"/wall/geo/{unit}/{level}.json"
