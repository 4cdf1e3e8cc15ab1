"""/wall: a fixed design canvas (1920×1080 unless ?canvas=WxH), letterboxed to the window.

Query: canvas=WxH · lang=zh|en · unit=CODE (county or township) · rotate=CODE,CODE&every=S ·
measure=patrol|online|open|overdue (the map).
"""
from __future__ import annotations

import re

from dash import dcc, html

from layouts.i18n import normalize_lang, t
from layouts.wall import alerts, coverage, disputes, ids, kpis, mix, queue

DEFAULT_CANVAS = (1920, 1080)
_CANVAS = re.compile(r"^(\d{3,5})x(\d{3,5})$")
_UNIT = re.compile(r"^\d{6}(\d{3})?$")
REFRESH_SECONDS = {"kpis": 3, "queue": 10, "alerts": 5, "coverage": 30, "disputes": 60,
                   "mix": 15}
DEFAULT_ROTATE_SECONDS = 30
WIDE_ASPECT = 2.2


def parse_canvas(value: str | None) -> tuple[int, int]:
    match = _CANVAS.match((value or "").strip().lower())
    if not match:
        return DEFAULT_CANVAS
    width, height = (min(max(int(x), 480), 15360) for x in match.groups())
    return width, height


def shape_of(width: int, height: int) -> str:
    return "wide" if width / height > WIDE_ASPECT else "standard"


def rows_per_page(shape: str) -> int:
    return 14 if shape == "wide" else 7


def parse_units(rotate: str | None, unit: str | None) -> list[str | None]:
    codes = [c for c in (rotate or "").split(",") if _UNIT.match(c.strip())]
    if codes:
        return [c.strip() for c in codes]
    return [unit] if unit and _UNIT.match(unit) else [None]


def config(canvas: str | None, lang: str | None, unit: str | None, rotate: str | None,
           every: str | None, measure: str | None) -> dict:
    width, height = parse_canvas(canvas)
    seconds = int(every) if (every or "").isdigit() else DEFAULT_ROTATE_SECONDS
    shape = shape_of(width, height)
    return {"width": width, "height": height, "unit_px": height / 1080, "shape": shape,
            "rows": rows_per_page(shape), "lang": normalize_lang(lang),
            "units": parse_units(rotate, unit), "every": max(seconds, 5),
            "measure": measure if measure in coverage.MEASURES else "patrol"}


def layout(canvas: str | None = None, lang: str | None = None, unit: str | None = None,
           rotate: str | None = None, every: str | None = None, measure: str | None = None,
           **_query) -> html.Div:
    cfg = config(canvas, lang, unit, rotate, every, measure)
    lang = cfg["lang"]
    timers = [dcc.Interval(id=ids.tick(p), interval=s * 1000) for p, s in REFRESH_SECONDS.items()]
    return html.Div(className="wall-viewport", children=[
        dcc.Store(id=ids.CONFIG, data=cfg),
        dcc.Store(id=ids.UNIT, data=cfg["units"][0]),
        dcc.Store(id=ids.ZONE),
        dcc.Interval(id=ids.CLOCK_TICK, interval=1000),
        dcc.Interval(id=ids.ROTATE_TICK, interval=cfg["every"] * 1000,
                     disabled=len(cfg["units"]) < 2),
        *timers,
        html.Div(id=ids.CANVAS, className=f"wall-canvas shape-{cfg['shape']}", lang=lang,
                 style={"width": f"{cfg['width']}px", "height": f"{cfg['height']}px",
                        "--u": f"{cfg['unit_px']}px"}, children=[
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
                queue.layout(lang), coverage.layout(lang), alerts.layout(lang),
                mix.layout(lang), disputes.layout(lang),
            ]),
        ]),
    ])
