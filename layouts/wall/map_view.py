"""Where the map's territory is drawn in its tile: our own Mercator fit, not plotly's.

Plotly's `fitbounds` fits the territory into a square frame (it first fits the whole world,
a Mercator square, into the figure, then zooms into the locations inside that square and
clips to it): on a wide or tall tile the territory took the shorter side only (1/5 of a
portrait tile's width). Given lon/lat ranges instead, plotly fits exactly that rectangle into
the figure and clips to it; so the ranges here are the territory's box, grown along one axis
to the tile's aspect: the rectangle fills the tile, and the territory spans it along the
binding dimension (less FILL_PAD each side).

The same fit places the map's names in design pixels (layouts/wall/figures.py spaced_labels),
so names are spaced for where they are drawn, not for an estimate.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

# The territory's margin inside the tile along the binding dimension, each side: its
# outline stroke and the markers on its edge stay inside the frame.
FILL_PAD = 0.02


def _merc_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _merc_lat(y: float) -> float:
    return math.degrees(2 * math.atan(math.exp(y)) - math.pi / 2)


@dataclass(frozen=True)
class MapView:
    lon_range: tuple[float, float]
    lat_range: tuple[float, float]
    center: tuple[float, float]  # lon, lat of the tile's middle
    scale: float  # design px per radian of Mercator x
    left: float  # Mercator x (radians) of the tile's left edge
    top: float  # Mercator y of the tile's top edge

    def to_px(self, lon: float, lat: float) -> tuple[float, float]:
        """Design px from the tile's top-left corner."""
        return ((math.radians(lon) - self.left) * self.scale,
                (self.top - _merc_y(lat)) * self.scale)


def fit(bounds: tuple[float, float, float, float], area_px: tuple[float, float],
        pad: float = FILL_PAD) -> MapView:
    """The view that draws `bounds` (west, south, east, north) as large as fits in
    `area_px` (width, height, design px) less `pad` of it each side, centred."""
    west, south, east, north = bounds
    width, height = area_px
    x0, x1 = math.radians(west), math.radians(east)
    y0, y1 = _merc_y(south), _merc_y(north)
    # A point or a line still gets an area (a township of one grid, or bad data).
    span_x, span_y = max(x1 - x0, 1e-5), max(y1 - y0, 1e-5)
    scale = min(width * (1 - 2 * pad) / span_x, height * (1 - 2 * pad) / span_y)
    mid_x, mid_y = (x0 + x1) / 2, (y0 + y1) / 2
    half_x, half_y = width / 2 / scale, height / 2 / scale
    return MapView(
        lon_range=(math.degrees(mid_x - half_x), math.degrees(mid_x + half_x)),
        lat_range=(_merc_lat(mid_y - half_y), _merc_lat(mid_y + half_y)),
        center=(math.degrees(mid_x), _merc_lat(mid_y)),
        scale=scale, left=mid_x - half_x, top=mid_y + half_y)
