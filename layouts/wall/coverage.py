"""The grid coverage map: boundaries only (no tiles), coloured by one measure."""
from __future__ import annotations

from dash import dcc, html

from layouts.i18n import t
from layouts.wall import ids
from layouts.wall.figures import loading_figure
from layouts.wall.tile import tile

MEASURES = ("patrol", "online", "open", "overdue")


def layout(lang: str, measures: list[str], seconds: int, unit: float = 1.0) -> html.Section:
    """The map; with several measures it steps through them every `seconds`. Until its
    first data, a themed 加载中… figure (never plotly's white default)."""
    return tile("coverage", lang, html.Div(className="map", children=[
        html.Div(caption(measures[0], lang), id=ids.MAP_CAPTION, className="map-caption"),
        dcc.Graph(id=ids.MAP_GRAPH, className="graph-map", figure=loading_figure(lang, unit),
                  config={"displayModeBar": False, "responsive": True, "scrollZoom": False,
                          # An empty base map served locally: plotly would fetch its world
                          # map from a CDN, and the wall draws only its own boundaries.
                          "topojsonURL": "/assets/topojson/"}),
    ]), extra=[dcc.Store(id=ids.MAP_KEY), dcc.Store(id=ids.MEASURE, data=measures[0]),
               dcc.Interval(id=ids.MEASURE_TICK, interval=seconds * 1000,
                            disabled=len(measures) < 2)])


def caption(measure: str, lang: str, recounting: bool = False) -> str:
    """The map's measure; patrol coverage counts today's check-ins in Redis, so while those
    are being rebuilt the caption says so."""
    text = t(f"wall.measure.{measure}", lang)
    return f"{text} · {t('wall.recounting', lang)}" if recounting else text


def geometry_url(unit: str, level: str) -> str:
    """The cacheable GeoJSON of a view's units of one level (served by callbacks.wall)."""
    return f"/wall/geo/{unit}/{level}.json"
