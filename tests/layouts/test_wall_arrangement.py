"""The wall's arrangement table (layouts/wall/arrangement.py) and its series palette."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from layouts.wall import arrangement, page, theme

MATRIX = {  # canvas: (shape, unit)
    "1280x720": ("standard", 0.6667), "1920x1080": ("standard", 1.0),
    "3840x2160": ("standard", 2.0), "7680x4320": ("standard", 4.0),
    "3840x1080": ("wide", 1.0), "5760x2160": ("wide", 2.0), "7680x2160": ("wide", 2.0),
    "5760x1080": ("ultrawide", 1.0), "1080x1920": ("portrait", 1.0),
    "2160x3840": ("portrait", 2.0),
}


@pytest.mark.parametrize("canvas", MATRIX)
def test_each_canvas_gets_its_shape_and_unit(canvas):
    cfg = page.config(canvas, "zh", None, None, None, None)
    assert (cfg["shape"], cfg["unit_px"]) == MATRIX[canvas]
    # The design canvas fits the real one: its width and height, times the unit, do not
    # exceed the canvas's.
    shape = arrangement.shape_for(cfg["width"], cfg["height"])
    assert shape.design[1] * cfg["unit_px"] <= cfg["height"] + 0.5
    assert min(shape.design[0], cfg["width"] / cfg["unit_px"]) * cfg["unit_px"] \
        <= cfg["width"] + 0.5


@pytest.mark.parametrize(("_start", "shape"), arrangement.SHAPES)
def test_every_shape_places_every_tile_in_one_rectangle(_start, shape):
    grid = [row.split() for row in shape.areas]
    assert len(grid) == len(shape.rows)
    assert all(len(row) == len(shape.columns) for row in grid)
    assert {a for row in grid for a in row} == set(arrangement.TILE_AREAS.values())
    for area in arrangement.TILE_AREAS.values():
        cells = [(i, j) for i, row in enumerate(grid) for j, a in enumerate(row) if a == area]
        rows, cols = {i for i, _ in cells}, {j for _, j in cells}
        assert len(cells) == len(rows) * len(cols), f"{shape.name}: {area} is not a rectangle"
    css = shape.css()
    assert css["--grid-areas"].count('"') == 2 * len(shape.areas)


@pytest.mark.parametrize("canvas", MATRIX)
def test_full_lists_fill_their_tiles(canvas):
    """The rows of a full page take the list's height: at least 80 % of it, never more."""
    width, height = (int(x) for x in canvas.split("x"))
    shape = arrangement.shape_for(width, height)
    unit = arrangement.unit_for(shape, width, height)
    heights = arrangement.tile_heights(shape, height / unit)
    fitted = arrangement.fitted_rows(shape, width, height)
    body = {t: h - 2 * arrangement.TILE_PAD - arrangement.TILE_HEAD for t, h in heights.items()}
    for rows, pitch, fixed, tile in (
            (fitted["queue"], arrangement.QUEUE_ROW, arrangement.QUEUE_FOOT, "queue"),
            (fitted["alerts"], arrangement.ALERT_ROW, arrangement.ALERT_TOTALS, "alerts"),
            (fitted["ranked"], arrangement.RANK_ROW, arrangement.RANK_TITLE, "alerts"),
            (fitted["warnings"], arrangement.WARNING_ROW, arrangement.WARNING_TOTALS,
             "warnings")):
        used = rows * pitch + fixed
        assert 0.8 * body[tile] <= used <= body[tile], (canvas, tile, rows, used, body[tile])


def test_tile_heights_add_up_to_the_canvas():
    shape = arrangement.shape_for(1920, 1080)
    heights = arrangement.tile_heights(shape, 1080)
    chrome = (arrangement.CANVAS_PAD_TOP + arrangement.CANVAS_PAD_BOTTOM + shape.header
              + shape.kpis + 2 * arrangement.GAP)
    # The map and the 预警 tile under it fill the middle column; queue and mix the left one.
    assert heights["coverage"] + heights["warnings"] + arrangement.GAP == \
        pytest.approx(1080 - chrome)
    assert heights["queue"] + heights["mix"] + arrangement.GAP == pytest.approx(1080 - chrome)


# Machado, Oliveira & Fernandes (2009), deuteranopia at severity 1, on linear RGB.
DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                         [-0.011820, 0.042940, 0.968881]])


def _linear(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ linear / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _delta_e(a: str, b: str, deutan: bool) -> float:
    la, lb = _linear(a), _linear(b)
    if deutan:
        la, lb = np.clip(DEUTERANOPIA @ la, 0, 1), np.clip(DEUTERANOPIA @ lb, 0, 1)
    return float(np.linalg.norm(_lab(la) - _lab(lb)))


def test_series_colours_stay_distinct_for_deuteranopia():
    """Every pair of series colours (and "other") differs by ΔE*ab ≥ 12 under simulated
    deuteranopia (≥ 20 with normal vision), and each stands out from the tile's ground."""
    colours = [*theme.SERIES, theme.OTHER]
    for a, b in itertools.combinations(colours, 2):
        assert _delta_e(a, b, deutan=True) >= 12, (a, b, _delta_e(a, b, True))
        assert _delta_e(a, b, deutan=False) >= 20, (a, b)
    for colour in colours:
        assert _delta_e(colour, theme.PANEL, deutan=True) >= 30, colour
    # The old palette failed: two blues 邻里纠纷 / 其他 were near-identical.
    assert _delta_e("#38bdf8", "#60a5fa", deutan=True) < 12
