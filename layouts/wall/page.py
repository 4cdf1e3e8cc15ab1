"""/wall: a fixed design canvas (1920×1080 unless ?canvas=WxH), letterboxed to the window.

Query: canvas=WxH · lang=zh|en · unit=CODE (county or township) · rotate=CODE,CODE&every=S ·
measure=patrol|online|open|overdue pins the map's measure; without it the map steps through
all four every 20 s (measure_every=S).
"""
from __future__ import annotations

import re

from dash import dcc, html

from layouts.i18n import normalize_lang, t
from layouts.wall import (
    alerts,
    arrangement,
    coverage,
    disputes,
    ids,
    kpis,
    mix,
    queue,
    warnings,
)

DEFAULT_CANVAS = (1920, 1080)
_CANVAS = re.compile(r"^(\d{3,5})x(\d{3,5})$")
_UNIT = re.compile(r"^\d{6}(\d{3})?$")
# How often each tile asks (its inputs are recomputed on the server at their own pace; see
# data_access/wall_refresher.py): about as often as its fastest input changes. The queue
# asks every 3 s: an ingested case is recomputed into its snapshot within a pass or two
# (mark_changed), and the "commit to the live queue within 5 s at p95" cannot
# afford a 5 s wait on top (bench/intake.py's wall phase: p95 5.15–8 s at 5 s under load).
REFRESH_SECONDS = {"kpis": 3, "queue": 3, "alerts": 5, "coverage": 15, "disputes": 30,
                   "mix": 10, "warnings": 5}
DEFAULT_ROTATE_SECONDS = 30
DEFAULT_MEASURE_SECONDS = 20


def parse_canvas(value: str | None) -> tuple[int, int]:
    match = _CANVAS.match((value or "").strip().lower())
    if not match:
        return DEFAULT_CANVAS
    width, height = (min(max(int(x), 480), 15360) for x in match.groups())
    return width, height


def parse_units(rotate: str | None, unit: str | None) -> list[str | None]:
    codes = [c for c in (rotate or "").split(",") if _UNIT.match(c.strip())]
    if codes:
        return [c.strip() for c in codes]
    return [unit] if unit and _UNIT.match(unit) else [None]


def _seconds(value: str | None, default: int) -> int:
    return max(int(value) if (value or "").isdigit() else default, 5)


def config(canvas: str | None, lang: str | None, unit: str | None, rotate: str | None,
           every: str | None, measure: str | None, measure_every: str | None = None) -> dict:
    width, height = parse_canvas(canvas)
    # At night today's patrol coverage is truly 0 % and would leave the map dark: unless
    # one is pinned, the map shows each measure in turn.
    measures = [measure] if measure in coverage.MEASURES else list(coverage.MEASURES)
    shape = arrangement.shape_for(width, height)
    fitted = arrangement.fitted_rows(shape, width, height)
    # rows: the queue's rows per page; alert_rows and ranked_rows: the alert tile's list and
    # ranking (layouts/wall/arrangement.py fits them to the tile's height on this canvas).
    return {"width": width, "height": height,
            "unit_px": arrangement.unit_for(shape, width, height), "shape": shape.name,
            "rows": fitted["queue"], "alert_rows": fitted["alerts"],
            "ranked_rows": fitted["ranked"], "warning_rows": fitted["warnings"],
            "map_px": list(arrangement.map_area(shape, width, height)),
            "lang": normalize_lang(lang),
            "units": parse_units(rotate, unit),
            "every": _seconds(every, DEFAULT_ROTATE_SECONDS),
            "measures": measures, "measure": measures[0],
            "refresh": REFRESH_SECONDS, "panels": list(ids.PANELS),
            "measure_every": _seconds(measure_every, DEFAULT_MEASURE_SECONDS)}


def layout(canvas: str | None = None, lang: str | None = None, unit: str | None = None,
           rotate: str | None = None, every: str | None = None, measure: str | None = None,
           measure_every: str | None = None, **_query) -> html.Div:
    cfg = config(canvas, lang, unit, rotate, every, measure, measure_every)
    lang = cfg["lang"]
    requests = [dcc.Store(id=ids.request(p), data={"seq": 0, "at": 0}) for p in ids.PANELS]
    return html.Div(className="wall-viewport", children=[
        dcc.Store(id=ids.CONFIG, data=cfg),
        dcc.Store(id=ids.UNIT, data=cfg["units"][0]),
        dcc.Store(id=ids.ZONE),
        dcc.Interval(id=ids.CLOCK_TICK, interval=1000),
        dcc.Interval(id=ids.ROTATE_TICK, interval=cfg["every"] * 1000,
                     disabled=len(cfg["units"]) < 2),
        *requests,
        html.Div(id=ids.CANVAS, className=f"wall-canvas shape-{cfg['shape']}", lang=lang,
                 style={"width": f"{cfg['width']}px", "height": f"{cfg['height']}px",
                        "--u": f"{cfg['unit_px']}px", "--queue-rows": str(cfg["rows"]),
                        "--alert-rows": str(cfg["alert_rows"]),
                        **arrangement.shape_for(cfg["width"], cfg["height"]).css()},
                 children=[
            html.Header(className="wall-header", children=[
                html.Div(className="brand", children=[
                    html.H1("", id=ids.VIEW_NAME),
                ]),
                html.Div(className="when", children=[
                    html.Span("", id=ids.DATE, className="date"),
                    html.Span("", id=ids.CLOCK, className="clock"),
                ]),
                html.Div(t("wall.online", lang), id=ids.FRESHNESS, className="freshness ok"),
            ]),
            html.Div(t("wall.new_red", lang), id=ids.ALERT_SIGNAL, className="alert-signal"),
            kpis.layout(lang),
            html.Main(className="wall-grid", children=[
                queue.layout(lang),
                coverage.layout(lang, cfg["measures"], cfg["measure_every"], cfg["unit_px"]),
                alerts.layout(lang), mix.layout(lang), disputes.layout(lang, cfg["unit_px"]),
                warnings.layout(lang),
            ]),
        ]),
    ])
