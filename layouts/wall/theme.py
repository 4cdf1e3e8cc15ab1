"""The wall's colours (dark command-center palette) and type scale.

Sizes are design pixels: a canvas multiplies them by its unit (layouts/wall/arrangement.py:
1 at 1920×1080, 2 at 3840×2160 or 5760×2160, 1 at 1080×1920), so text keeps its share of
the screen. Nothing on the wall is smaller than MIN_FONT_PX design pixels.
"""
from __future__ import annotations

BACKGROUND = "#06101f"
PANEL = "#0b1a30"
GRID_LINE = "#1d3557"
TEXT = "#e6f1ff"
MUTED = "#9fb3c8"
ACCENT = "#38bdf8"

RED = "#ff4d4f"
YELLOW = "#fadb14"
NORMAL = "#52c41a"
STATE_COLOURS = {"long_overdue": RED, "overdue": RED, "approaching": YELLOW, "normal": NORMAL}

# Categorical series (disputes by type, resolution levels, sources): the Okabe–Ito palette,
# which stays distinct for red-green colour blindness (tests/layouts/test_wall_palette.py
# checks every pair under simulated deuteranopia); OTHER (light grey) is "the rest".
SERIES = ("#56B4E9", "#E69F00", "#009E73", "#F0E442", "#CC79A7", "#D55E00", "#0072B2")
OTHER = "#BBBBBB"
URGENT = "#ff9f1a"
# The map's classes (layouts/wall/figures.py value_classes): zero is a muted slate that still
# reads as land on the panel; the classes above it are viridis steps (distinct also for
# red-green colour blindness), for overdue yellow to red.
MAP_ZERO = "#24405f"
MAP_CLASSES = ("#3b528b", "#21918c", "#5ec962", "#b5de2b", "#fde725")
MAP_ALERT_CLASSES = ("#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026")
MAP_LINE = "#0b1a30"

FONT_FAMILY = ('"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", '
               "sans-serif")
MIN_FONT_PX = 18  # labels: nothing smaller at 1920×1080 (README "Readable from across the room")
BODY_FONT_PX = 20
FIGURE_FONT_PX = 18


def px(design_px: float, unit: float) -> int:
    return round(max(design_px, MIN_FONT_PX) * unit)
