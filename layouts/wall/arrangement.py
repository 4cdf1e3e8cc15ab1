"""Where the wall's tiles go on each shape of canvas: one small table, one entry per shape.

A canvas (any W×H) falls in a shape family by its aspect ratio. Each family has a design
canvas: sizes in assets/wall.css are design pixels times `--u`, the canvas unit
(`unit_px`), chosen so the design canvas fits the real one (1920×1080 → u = 1, 3840×2160 →
u = 2, 1080×1920 portrait → u = 1). The tiles are CSS grid areas: a tile is placed by
naming it in a shape's `areas` (adding a tile = one name in each shape's areas).

From the same table the page computes each tile's height in design pixels, and so how many
list rows fit (queue, alerts, ranking): what the server builds is what the tile can show.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

# Vertical sizes shared with assets/wall.css (design px): the canvas's padding and gaps,
# a tile's padding and head, and the pitch of the list rows (row + gap).
CANVAS_PAD_TOP = 12
CANVAS_PAD_BOTTOM = 16
CANVAS_PAD_SIDE = 16
GAP = 12
TILE_PAD = 8  # top and bottom
TILE_PAD_SIDE = 12  # left and right
TILE_BORDER = 1
TILE_HEAD = 40  # the title line (24 px type) and its margin
QUEUE_ROW = 60  # two lines of 19/18 px type, padding; plus its gap
QUEUE_FOOT = 28  # the page number line
ALERT_ROW = 60  # two lines of 19/18 px type, padding; plus its gap (as a queue row)
ALERT_TOTALS = 36
RANK_ROW = 30
RANK_TITLE = 32
WARNING_ROW = 32  # one line of 18 px type, padding; plus its gap
WARNING_TOTALS = 32


@dataclass(frozen=True)
class Shape:
    name: str
    design: tuple[int, int]  # the design canvas (W, H) this family is drawn for
    header: int  # header height, design px
    kpis: int  # headline strip height
    kpi_columns: int  # indicators per line of the strip
    columns: tuple[float, ...]  # grid column fractions
    rows: tuple[float, ...]  # grid row fractions
    areas: tuple[str, ...]  # grid-template-areas, one string per row

    def css(self) -> dict[str, str]:
        return {
            "--header-h": str(self.header), "--kpis-h": str(self.kpis),
            "--kpi-cols": str(self.kpi_columns),
            "--grid-cols": " ".join(f"{c}fr" for c in self.columns),
            "--grid-rows": " ".join(f"minmax(0, {r}fr)" for r in self.rows),
            "--grid-areas": " ".join(f'"{row}"' for row in self.areas),
        }


# Aspect ratio (W / H) from which each family applies, widest last. Portrait's alert row is
# tall enough for 5 slots. Standard has 4 (a page of 3 alerts and its page line) since an
# alert row is two lines; with three lines it had 3, and 4 slots (428 design px) and the
# dispute tile under it (401) did not fit one column of 802.
SHAPES: tuple[tuple[float, Shape], ...] = (
    (0.0, Shape("portrait", (1080, 1920), header=128, kpis=256, kpi_columns=5,
                columns=(0.9, 1.1), rows=(21, 30, 21, 28),
                areas=("map map", "alerts alerts", "queue warnings", "mix disputes"))),
    (1.05, Shape("standard", (1920, 1080), header=76, kpis=150, kpi_columns=10,
                 columns=(31, 38, 31), rows=(50, 25, 25),
                 areas=("queue map alerts", "mix map disputes", "mix warnings disputes"))),
    (2.2, Shape("wide", (2376, 1080), header=76, kpis=150, kpi_columns=10,
                columns=(1, 1.25, 1.1, 1), rows=(2, 1, 1),
                areas=("queue map alerts disputes", "queue map mix disputes",
                       "queue warnings mix disputes"))),
    (4.2, Shape("ultrawide", (4536, 1080), header=76, kpis=150, kpi_columns=10,
                columns=(1, 1.3, 1.3, 1.2), rows=(55, 25, 20),
                areas=("queue map alerts disputes", "queue map alerts mix",
                       "queue warnings alerts mix"))),
)
TILE_AREAS = {"queue": "queue", "coverage": "map", "alerts": "alerts", "mix": "mix",
              "disputes": "disputes", "warnings": "warnings"}


def shape_for(width: int, height: int) -> Shape:
    aspect = width / height
    return [shape for start, shape in SHAPES if aspect >= start][-1]


def unit_for(shape: Shape, width: int, height: int) -> float:
    """Design pixels → canvas pixels: the design canvas scaled to fit the real one."""
    design_w, design_h = shape.design
    return round(min(width / design_w, height / design_h), 4)


def tile_heights(shape: Shape, height_u: float) -> dict[str, float]:
    """Each tile's outer height in design px on a canvas `height_u` design px tall."""
    main = (height_u - CANVAS_PAD_TOP - CANVAS_PAD_BOTTOM - shape.header - shape.kpis
            - 2 * GAP)
    total = sum(shape.rows)
    track = [(main - GAP * (len(shape.rows) - 1)) * r / total for r in shape.rows]
    heights = {}
    for area in {a for row in shape.areas for a in row.split()}:
        spanned = [i for i, row in enumerate(shape.areas) if area in row.split()]
        heights[area] = sum(track[i] for i in spanned) + GAP * (len(spanned) - 1)
    return {tile: heights[area] for tile, area in TILE_AREAS.items() if area in heights}


def map_area(shape: Shape, width: int, height: int) -> tuple[int, int]:
    """The map's graph in design px: its tile less border, padding and title line. The map
    is fitted to it (layouts/wall/map_view.py) and its names are spaced in it."""
    unit = unit_for(shape, width, height)
    main_w = width / unit - 2 * CANVAS_PAD_SIDE
    columns = [(main_w - GAP * (len(shape.columns) - 1)) * c / sum(shape.columns)
               for c in shape.columns]
    area = TILE_AREAS["coverage"]
    spanned = {i for row in shape.areas for i, a in enumerate(row.split()) if a == area}
    tile_w = sum(columns[i] for i in spanned) + GAP * (len(spanned) - 1)
    tile_h = tile_heights(shape, height / unit)["coverage"]
    return (round(tile_w - 2 * (TILE_PAD_SIDE + TILE_BORDER)),
            round(tile_h - 2 * (TILE_PAD + TILE_BORDER) - TILE_HEAD))


def fitted_rows(shape: Shape, width: int, height: int) -> dict[str, int]:
    """How many list rows each list tile shows on this canvas."""
    unit = unit_for(shape, width, height)
    heights = tile_heights(shape, height / unit)
    body = {tile: h - 2 * TILE_PAD - TILE_HEAD for tile, h in heights.items()}
    return {
        "queue": max(2, math.floor((body["queue"] - QUEUE_FOOT) / QUEUE_ROW)),
        "alerts": max(1, math.floor((body["alerts"] - ALERT_TOTALS) / ALERT_ROW)),
        "ranked": max(3, math.floor((body["alerts"] - RANK_TITLE) / RANK_ROW)),
        "warnings": max(1, math.floor((body["warnings"] - WARNING_TOTALS) / WARNING_ROW)),
    }
