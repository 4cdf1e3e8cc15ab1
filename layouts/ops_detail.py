"""The case detail panel: fields, actions, the timeline figure, the grid map, related cases.

Builders take the plain data of data_access.case_detail (passed in as its attributes) and
never read anything themselves; all case text reaches the page as component text (escaped).
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from layouts.i18n import codes, label, t
from layouts.ops_table import STATE_COLOURS, duration_text, local_text

FIELD_ROWS = ("external_id", "source", "major_class", "subclass", "dispute_type", "priority",
              "stage", "reported_at", "deadline_at", "responsible_unit", "handler", "address",
              "reporter_name", "reporter_phone", "description")
_CODED = {"source": "source", "major_class": "major", "subclass": "subclass",
          "dispute_type": "dispute", "priority": "priority", "stage": "stage"}
STAGE_COLOURS = {"reported": "#6c757d", "registered": "#0d6efd", "dispatched": "#6610f2",
                 "handling": "#fd7e14", "handled": "#20c997", "verified": "#198754",
                 "closed": "#343a40", "rejected": "#adb5bd"}


def _field_value(name: str, fields: dict, lang: str, zone: ZoneInfo) -> str:
    value = fields.get(name)
    if name in _CODED:
        return label(_CODED[name], value, lang) if value else "—"
    if name == "deadline_at":
        value = fields.get("extended_until") or value
    if isinstance(value, datetime):
        return local_text(value, zone)
    return str(value) if value not in (None, "") else "—"


def timeline_figure(transitions: list, deadline: datetime | None, now: datetime,
                    lang: str, zone: ZoneInfo) -> go.Figure:
    """Stages as bars from one stage change to the next (hover and text: the duration),
    side events as markers on their own row, the deadline and now as vertical lines."""
    def local(x: datetime) -> datetime:
        return x.astimezone(zone).replace(tzinfo=None)

    stages = [tr for tr in transitions if tr.kind in ("stage", "return", "rework")]
    events = [tr for tr in transitions if tr.kind not in ("stage", "return", "rework")]
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
            hovertext=[f"{name} · {tr.actor} · {local_text(tr.at, zone)}"], hoverinfo="text",
            showlegend=False))
    if events:
        fig.add_trace(go.Scatter(
            x=[local(e.at) for e in events], y=[t("action.title", lang)] * len(events),
            mode="markers+text", marker={"size": 12, "symbol": "diamond", "color": "#dc3545"},
            text=[label("event", e.kind, lang) for e in events], textposition="top center",
            hovertext=[f"{label('event', e.kind, lang)} · {e.actor} · "
                       f"{local_text(e.at, zone)}" + (f" · {e.note}" if e.note else "")
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
    order = [label("stage", s, lang) for s in codes("stage")]
    fig.update_layout(
        barmode="overlay", height=260, margin={"l": 80, "r": 20, "t": 30, "b": 30},
        font={"family": "Noto Sans CJK SC, sans-serif", "size": 12},
        plot_bgcolor="white", paper_bgcolor="white",
        xaxis={"type": "date", "gridcolor": "#eee"},
        yaxis={"categoryorder": "array",
               "categoryarray": [t("action.title", lang)] + order[::-1], "autorange": True})
    return fig


def _rings(geometry: dict) -> list[list[list[float]]]:
    if geometry.get("type") == "Polygon":
        return [geometry["coordinates"][0]]
    if geometry.get("type") == "MultiPolygon":
        return [poly[0] for poly in geometry["coordinates"]]
    return []


def grid_map(boundary: str | None, point: tuple[float | None, float | None],
             lang: str) -> go.Figure | html.P:
    """The grid's outline (no map tiles: the network is closed) and the case's point."""
    rings = _rings(json.loads(boundary)) if boundary else []
    if not rings:
        return html.P(t("detail.no_boundary", lang), className="text-muted")
    fig = go.Figure()
    for ring in rings:
        fig.add_trace(go.Scatter(x=[p[0] for p in ring], y=[p[1] for p in ring], fill="toself",
                                 mode="lines", line={"color": "#0d6efd"},
                                 fillcolor="rgba(13,110,253,0.12)", hoverinfo="skip",
                                 showlegend=False))
    if point[0] is not None and point[1] is not None:
        fig.add_trace(go.Scatter(x=[point[0]], y=[point[1]], mode="markers",
                                 marker={"size": 12, "color": "#dc3545"}, showlegend=False,
                                 hoverinfo="skip"))
    fig.update_layout(height=200, margin={"l": 0, "r": 0, "t": 0, "b": 0},
                      plot_bgcolor="white", paper_bgcolor="white",
                      xaxis={"visible": False},
                      yaxis={"visible": False, "scaleanchor": "x", "scaleratio": 1.2})
    return dcc.Graph(figure=fig, config={"displayModeBar": False, "staticPlot": True},
                     id="ops-detail-map")


def action_panel(case_id: int, allowed: set[str], may_act: bool, lang: str) -> html.Div:
    def disabled(action: str) -> bool:
        return not may_act or action not in allowed

    buttons = [dbc.Button(t(f"action.{a}", lang), id=f"ops-act-{a}", size="sm",
                          color="danger" if a == "supervise" else "primary",
                          outline=a != "supervise", className="me-2 mb-1",
                          disabled=disabled(a))
               for a in ("acknowledge", "supervise", "escalate", "note", "followup")]
    return html.Div(className="ops-actions", children=[
        html.H2(t("action.title", lang), className="h6"),
        html.Div(t("action.read_only", lang), className="text-muted small") if not may_act
        else None,
        dbc.Row(className="g-1 mb-1", children=[
            dbc.Col(dcc.Dropdown(id="ops-act-level", clearable=False, value=1,
                                 options=[{"label": label("supervision", str(n), lang),
                                           "value": n} for n in (1, 2, 3)]), width=4),
            dbc.Col(dcc.Dropdown(id="ops-act-satisfaction", clearable=True,
                                 placeholder=t("action.satisfaction", lang),
                                 options=[{"label": label("satisfaction", s, lang), "value": s}
                                          for s in codes("satisfaction")]), width=4),
        ]),
        dcc.Textarea(id="ops-act-text", placeholder=t("action.note_placeholder", lang),
                     className="form-control mb-1", style={"height": "3.2em"}),
        html.Div(buttons),
        html.Div(id="ops-action-result", className="small mt-1"),
        dcc.Store(id="ops-act-case", data=case_id),
    ])


def _related(related: list, lang: str) -> html.Div:
    if not related:
        return html.P(t("detail.no_related", lang), className="text-muted")
    return html.Ul(className="ops-related list-unstyled", children=[
        html.Li([html.A(r.external_id, href=f"/ops?q={r.external_id}&case={r.id}"),
                 f" {r.title} · {label('stage', r.stage, lang)} · "
                 f"{r.reported_at:%m-%d} · ",
                 html.Span(" / ".join(t(f"detail.related.{w}", lang) for w in r.why),
                           className="badge bg-warning text-dark")])
        for r in related])


def detail_panel(d, now: datetime, allowed: set[str], may_act: bool, may_unmask: bool,
                 lang: str, zone: ZoneInfo) -> html.Div:
    """`d` is a data_access.case_detail.CaseDetail."""
    f = d.fields
    left = d.time_left
    state_text = label("deadline", d.deadline_state, lang) if d.deadline_state != "closed" \
        else label("stage", f["stage"], lang)
    deadline = f.get("extended_until") or f.get("deadline_at")
    colour = STATE_COLOURS.get(d.deadline_state, "secondary")
    head = html.Div(className="ops-detail-head", children=[
        html.H2(f["title"], className="h5 mb-1", id="ops-detail-title"),
        html.Span(state_text, className=f"badge bg-{colour} me-2", id="ops-detail-state"),
        html.Span(f"{t('detail.left', lang)} {duration_text(left, lang)}"
                  if left is not None and left >= timedelta(0) and d.deadline_state
                  in ("normal", "approaching") else "", className="me-2"),
        html.Span(f"{t('detail.acknowledged', lang)}: {f['acknowledged_by']} "
                  f"{local_text(f['acknowledged_at'], zone)}" if f.get("acknowledged_at")
                  else "", className="text-success", id="ops-detail-ack"),
    ])
    rows = [html.Tr([html.Th(t(f"col.{name}", lang)),
                     html.Td(_field_value(name, f, lang, zone), id=f"ops-detail-{name}")])
            for name in FIELD_ROWS]
    place = " / ".join(name for _, name in d.places.values())
    unmask = dbc.Button(t("detail.unmask", lang), id="ops-unmask-btn", size="sm",
                        color="link", className="p-0") if may_unmask and \
        not d.contact_revealed and f.get("reporter_phone") else None
    return html.Div(className="ops-detail-body", children=[
        head,
        action_panel(f["id"], allowed, may_act, lang),
        html.H3(t("detail.timeline", lang), className="h6 mt-3"),
        dcc.Graph(id="ops-timeline", figure=timeline_figure(d.transitions, deadline, now,
                                                            lang, zone),
                  config={"displayModeBar": False}),
        html.H3(t("detail.fields", lang), className="h6 mt-2"),
        html.Table(html.Tbody(rows), className="table table-sm ops-fields"),
        html.Div([unmask, html.Span(id="ops-unmask-contact", className="ms-2")]),
        html.H3(f"{t('detail.place', lang)}: {place}", className="h6 mt-3"),
        grid_map(d.grid_boundary, (f.get("lon"), f.get("lat")), lang),
        html.P(f"{t('detail.workers', lang)}: " + "、".join(
            f"{name} {phone}" for name, phone in d.grid_workers), className="small"),
        html.H3(t("detail.related", lang), className="h6 mt-3"),
        _related(d.related, lang),
    ])
