"""Every component ID of the wall. All start with "wall-" so an auth guard can tell them."""
from __future__ import annotations

PANELS = ("kpis", "queue", "alerts", "coverage", "disputes", "mix", "warnings")

CANVAS = "wall-canvas"
CONFIG = "wall-config"  # store: lang, unit list for rotation, canvas size, measure
ZONE = "wall-zone"  # store: the configured time zone, for the clock
UNIT = "wall-unit"  # store: the unit shown now (rotation changes it)
CLOCK_TICK = "wall-clock-tick"
ROTATE_TICK = "wall-rotate-tick"
CLOCK = "wall-clock"
DATE = "wall-date"
FRESHNESS = "wall-freshness"
VIEW_NAME = "wall-view-name"
QUEUE_PAGER = "wall-queue-pager"
ALERT_SIGNAL = "wall-alert-signal"
KPI_DATA = "wall-kpis-data"
ALERT_RED_IDS = "wall-alerts-red-ids"
WARNING_IDS = "wall-warnings-new-ids"
MAP_GRAPH = "wall-coverage-graph"
MAP_KEY = "wall-coverage-key"
MAP_CAPTION = "wall-coverage-caption"
MEASURE = "wall-coverage-measure"  # store: the map's measure now (rotation changes it)
MEASURE_TICK = "wall-coverage-measure-tick"
DISPUTES_TREND = "wall-disputes-trend"
DISPUTES_LEGEND = "wall-disputes-legend"
DISPUTES_LEVELS = "wall-disputes-levels"
DISPUTES_OUTCOMES = "wall-disputes-outcomes"
DISPUTES_TODAY = "wall-disputes-today"


def tile(panel: str) -> str:
    return f"wall-{panel}-tile"


def body(panel: str) -> str:
    return f"wall-{panel}-body"


def status(panel: str) -> str:
    return f"wall-{panel}-status"


def state(panel: str) -> str:
    """Store: {"ok": bool | None (waiting), "asof": epoch seconds of the oldest input shown,
    "seq": the request answered, "now": the server's clock at the answer}."""
    return f"wall-{panel}-state"


def request(panel: str) -> str:
    """Store: {"seq": n, "at": ms}: the browser asks for the tile's data (assets/wall.js
    gate) only when the previous answer is in."""
    return f"wall-{panel}-request"


def kpi_value(key: str) -> dict[str, str]:
    return {"type": "wall-kpi-value", "key": key}
