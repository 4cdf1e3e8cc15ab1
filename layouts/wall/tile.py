"""A panel's frame: title, data age/status line, body. The three states are explicit:
data (age shown), no data (a message in the body), error (last data kept, greyed, stale)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dash import dcc, html

from layouts.i18n import t
from layouts.wall import ids


def tile(panel: str, lang: str, body, *, extra=None) -> html.Section:
    return html.Section(id=ids.tile(panel), className=f"tile tile-{panel}", children=[
        html.Header(className="tile-head", children=[
            html.H2(t(f"wall.panel.{panel}", lang)),
            html.Span(status_waiting(lang), id=ids.status(panel), className="tile-status"),
        ]),
        html.Div(body, id=ids.body(panel), className="tile-body"),
        # seq -1: the page's first request (seq 0) is not answered yet.
        dcc.Store(id=ids.state(panel), data={"ok": None, "asof": None, "seq": -1}),
        *(extra or []),
    ])


def clock_text(epoch: float, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(epoch, zone).strftime("%H:%M:%S")


def status_fresh(asof: float, lang: str, zone: ZoneInfo) -> str:
    return t("wall.as_of", lang).format(time=clock_text(asof, zone))


def status_waiting(lang: str) -> str:
    return t("wall.waiting", lang)


def status_stale(since: float | None, lang: str, zone: ZoneInfo) -> str:
    if since is None:
        return t("wall.error", lang)
    return t("wall.stale_since", lang).format(time=clock_text(since, zone))


def tile_class(panel: str, ok: bool) -> str:
    return f"tile tile-{panel}" + ("" if ok else " stale")


def no_data(lang: str) -> html.Div:
    return html.Div(t("wall.no_data", lang), className="no-data")
