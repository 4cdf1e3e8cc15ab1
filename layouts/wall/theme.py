"""The wall's colours (dark command-center palette) and type scale.

Sizes are design pixels at 1920×1080; a canvas of another height multiplies them by
`unit = height / 1080` so text stays the same share of the screen.
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

# Categorical series (disputes by type, sources): distinct on a dark ground.
SERIES = ("#38bdf8", "#f59e0b", "#a78bfa", "#34d399", "#f472b6", "#60a5fa", "#fb923c",
          "#94a3b8")
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
MIN_FONT_PX = 14  # nothing smaller at 1920×1080
BODY_FONT_PX = 16
FIGURE_FONT_PX = 15


def px(design_px: float, unit: float) -> int:
    return round(max(design_px, MIN_FONT_PX) * unit)
