"""The case's timeline: its stages as bars, the officers' actions as markers (plotly), and
the same actions as a list with their notes.

Plotly renders a subset of HTML (<a href>, <b>, <br>...) in hover and text labels, so case
and officer text goes into them as entities (`plotly_text`); in the list it is component
text, which React escapes.
"""
from __future__ import annotations

import html as html_text
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
from dash import html

from layouts.i18n import codes, label, t
from layouts.ops_table import duration_text, local_text

STAGE_KINDS = ("stage", "return", "rework")
# plotly date ticks in words of the page (its own defaults are English: "Nov 18, 2026").
TICK_FORMATS = {"zh": ("%H:%M<br>%Y年%-m月%-d日", "%Y年%-m月%-d日"),
                "en": ("%H:%M<br>%Y-%m-%d", "%Y-%m-%d")}
STAGE_COLOURS = {"reported": "#6c757d", "registered": "#0d6efd", "dispatched": "#6610f2",
                 "handling": "#fd7e14", "handled": "#20c997", "verified": "#198754",
                 "closed": "#343a40", "rejected": "#adb5bd"}


def plotly_text(value: object) -> str:
    """Text for a plotly label: plotly renders tags such as <a href> and <b> in hover and
    text labels, so <, > and & go in as entities (shown literally)."""
    return html_text.escape(str(value), quote=False)


def qualified(text: str, detail: str, lang: str) -> str:
    return f"{text} ({detail})" if lang == "en" else f"{text}({detail})"


def event_text(tr, lang: str) -> str:
    """A side event in words: its kind, and its supervision level if it has one."""
    text = label("event", tr.kind, lang)
    return qualified(text, label("supervision", str(tr.level), lang), lang) if tr.level \
        else text


def timeline_figure(transitions: list, deadline: datetime | None, now: datetime,
                    lang: str, zone: ZoneInfo) -> go.Figure:
    """Stages as bars from one stage change to the next (hover and text: the duration),
    side events as markers on their own row, the deadline and now as vertical lines."""
    def local(x: datetime) -> datetime:
        return x.astimezone(zone).replace(tzinfo=None)

    stages = [tr for tr in transitions if tr.kind in STAGE_KINDS]
    events = [tr for tr in transitions if tr.kind not in STAGE_KINDS]
    fig = go.Figure()
    for i, tr in enumerate(stages):
        end = stages[i + 1].at if i + 1 < len(stages) else (
            tr.at if tr.to_stage in ("closed", "rejected") else now)
        name = label("stage", tr.to_stage, lang)
        span = end - tr.at
        fig.add_trace(go.Bar(
            x=[max(span.total_seconds() * 1000, 60_000)], base=[local(tr.at)], y=[name],
            orientation="h", marker_color=STAGE_COLOURS.get(tr.to_stage or "", "#999"),
            text=[duration_text(span, lang)], textposition="inside", insidetextanchor="start",
            hovertext=[plotly_text(f"{name} · {tr.actor} · {local_text(tr.at, zone)}")],
            hoverinfo="text", showlegend=False))
    # The instants the x axis spans; event labels lean away from its nearer end.
    instants = [tr.at for tr in transitions] + [now] + ([deadline] if deadline else [])
    first, last = min(instants), max(instants)
    middle = first + (last - first) / 2
    if events:
        fig.add_trace(go.Scatter(
            x=[local(e.at) for e in events], y=[t("action.title", lang)] * len(events),
            mode="markers+text", marker={"size": 12, "symbol": "diamond", "color": "#dc3545"},
            text=[label("event", e.kind, lang) for e in events], cliponaxis=False,
            textposition=["top left" if e.at > middle else "top right" for e in events],
            hovertext=[plotly_text(f"{event_text(e, lang)} · {e.actor} · "
                                   f"{local_text(e.at, zone)}"
                                   + (f" · {e.note}" if e.note else ""))
                       for e in events],
            hoverinfo="text", showlegend=False, name="events"))
    lines = [(now, t("detail.now", lang), "#6c757d")]
    if deadline is not None:
        lines.append((deadline, t("detail.deadline", lang), "#dc3545"))
    for when, text, colour in lines:
        fig.add_shape(type="line", x0=local(when), x1=local(when), y0=0, y1=1, yref="paper",
                      line={"color": colour, "dash": "dash", "width": 2})
        fig.add_annotation(x=local(when), y=1, yref="paper", text=text, showarrow=False,
                           font={"color": colour}, yanchor="bottom")
    # Rows for the stages the case went through (in the stages' order) and its events.
    present = {tr.to_stage for tr in stages}
    rows = [label("stage", s, lang) for s in codes("stage") if s in present][::-1]
    rows = ([t("action.title", lang)] if events else []) + rows
    pad = max((last - first) * 0.08, timedelta(minutes=20))  # the lines off the frame
    within_day, days = TICK_FORMATS["en" if lang == "en" else "zh"]
    fig.update_layout(
        barmode="overlay", height=260, margin={"l": 80, "r": 20, "t": 30, "b": 40},
        font={"family": "Noto Sans CJK SC, sans-serif", "size": 12},
        plot_bgcolor="white", paper_bgcolor="white",
        # No zooming: plotly's zoom hint ("Double-click to zoom back out") is English only.
        xaxis={"type": "date", "gridcolor": "#eee", "fixedrange": True, "nticks": 6,
               "range": [local(first - pad), local(last + pad)],
               "tickformatstops": [{"dtickrange": [None, 86_400_000], "value": within_day},
                                   {"dtickrange": [86_400_000, None], "value": days}]},
        yaxis={"categoryorder": "array", "categoryarray": rows, "fixedrange": True})
    return fig


def events_list(transitions: list, lang: str, zone: ZoneInfo) -> html.Div:
    """The side events, newest first, with their notes: what the timeline's markers say on
    hover, readable without hovering."""
    events = [tr for tr in transitions if tr.kind not in STAGE_KINDS][::-1]
    if not events:
        return html.P(t("detail.no_events", lang), className="text-muted small", id="ops-events")
    return html.Ol(id="ops-events", className="ops-events list-unstyled small", children=[
        html.Li([html.Span(local_text(e.at, zone), className="text-muted me-2"),
                 html.B(event_text(e, lang), className="me-2"), e.actor,
                 html.Div(e.note, className="ops-event-note") if e.note else None])
        for e in events])
