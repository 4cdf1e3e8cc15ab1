"""The case detail panel: fields, actions, the timeline (layouts/ops_timeline.py), the grid
map, related cases.

Builders take the plain data of data_access.case_detail (passed in as its attributes) and
never read anything themselves; all case text reaches the page as component text (escaped).
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from layouts.i18n import codes, label, t
from layouts.i18n.widgets import dropdown_labels
from layouts.ops_table import STATE_COLOURS, duration_text, local_text
from layouts.ops_timeline import events_list, qualified, timeline_figure

FIELD_ROWS = ("external_id", "source", "major_class", "subclass", "dispute_type", "priority",
              "stage", "reported_at", "deadline_at", "responsible_unit", "handler",
              "supervision_level", "satisfaction", "address", "reporter_name",
              "reporter_phone", "description")
_CODED = {"source": "source", "major_class": "major", "subclass": "subclass",
          "dispute_type": "dispute", "priority": "priority", "stage": "stage",
          "satisfaction": "satisfaction"}
SUPERVISION_LEVELS = (1, 2, 3)
DONE_ID = "ops-action-done"


def _field_value(name: str, fields: dict, lang: str, zone: ZoneInfo) -> str:
    value = fields.get(name)
    if name in _CODED:
        return label(_CODED[name], value, lang) if value else "—"
    if name == "deadline_at":
        value = fields.get("extended_until") or value
    if name == "supervision_level":
        return label("supervision", str(value), lang) if value else "—"
    if isinstance(value, datetime):
        return local_text(value, zone)
    return str(value) if value not in (None, "") else "—"


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


def supervision_choice(current: int) -> int:
    """The level the 督办 selector starts at: the case's own (a repeat order keeps it;
    raising it is a choice), the first level for a case under no order yet."""
    return min(max(current, SUPERVISION_LEVELS[0]), SUPERVISION_LEVELS[-1])


def action_panel(fields: dict, allowed: set[str], may_act: bool, lang: str,
                 done: str | None = None,
                 addressees: tuple[tuple[str, str], ...] = ()) -> html.Div:
    """The actions, the note that goes with any of them, and their selectors showing the
    case's state; `done` is the confirmation of the action just taken, kept across the
    re-render that action caused. `addressees` are (code, name) of the units a 督办 may go
    to (the case's township first, the default, then its county)."""
    def disabled(action: str) -> bool:
        return not may_act or action not in allowed

    current = fields.get("supervision_level") or 0
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
            dbc.Col(dcc.Dropdown(
                id="ops-act-level", clearable=False, value=supervision_choice(current),
                disabled=disabled("supervise"), labels=dropdown_labels(lang),
                # A lower order than the case's would change nothing: perform() keeps the
                # highest level.
                options=[{"label": label("supervision", str(n), lang), "value": n,
                          "disabled": n < current} for n in SUPERVISION_LEVELS]), width=4),
            dbc.Col(dcc.Dropdown(
                id="ops-act-addressee", clearable=False, disabled=disabled("supervise"),
                labels=dropdown_labels(lang), placeholder=t("duty.addressee", lang),
                value=fields.get("supervision_addressee") or
                (addressees[0][0] if addressees else None),
                options=[{"label": f"{t('duty.addressee', lang)}：{name}" if lang == "zh"
                          else f"{t('duty.addressee', lang)}: {name}", "value": code}
                         for code, name in addressees]), width=5),
            dbc.Col(dcc.Dropdown(
                id="ops-act-satisfaction", clearable=True, value=fields.get("satisfaction"),
                disabled=disabled("followup"), labels=dropdown_labels(lang),
                placeholder=t("action.satisfaction", lang),
                options=[{"label": label("satisfaction", s, lang), "value": s}
                         for s in codes("satisfaction")]), width=3),
        ]),
        dcc.Textarea(id="ops-act-text", placeholder=t("action.note_placeholder", lang),
                     className="form-control mb-1", style={"height": "3.2em"},
                     disabled=not may_act),
        html.Div(buttons),
        html.Div(result_line(done) if done else None, id="ops-action-result",
                 className="small mt-1"),
        dcc.Store(id="ops-act-case", data=fields["id"]),
    ])


def result_line(text: str, ok: bool = True) -> html.Span:
    return html.Span(text, className="text-success" if ok else "text-danger",
                     id=DONE_ID if ok else "ops-action-refused")


def done_text(action: str, level: int | None, satisfaction: str | None, at: datetime,
              lang: str) -> str:
    """督办(重点督办) · 已记录 14:05: what was recorded, with the level or outcome chosen, and
    when (`at` in local time)."""
    what = t(f"action.{action}", lang)
    if level:
        what = qualified(what, label("supervision", str(level), lang), lang)
    if satisfaction:
        what = qualified(what, label("satisfaction", satisfaction, lang), lang)
    return f"{what} · {t('action.done', lang)} {at:%H:%M}"


def _related(related: list, lang: str, zone: ZoneInfo) -> html.Div:
    if not related:
        return html.P(t("detail.no_related", lang), className="text-muted")
    return html.Ul(className="ops-related list-unstyled", children=[
        html.Li([html.A(r.external_id,
                        href="/ops?" + urlencode({"q": r.external_id, "case": r.id})),
                 f" {r.title} · {label('stage', r.stage, lang)} · "
                 f"{r.reported_at.astimezone(zone):%Y-%m-%d} · ",
                 html.Span(" / ".join(t(f"detail.related.{w}", lang) for w in r.why),
                           className="badge bg-warning text-dark")])
        for r in related])


def detail_panel(d, now: datetime, allowed: set[str], may_act: bool, may_unmask: bool,
                 lang: str, zone: ZoneInfo, done: str | None = None) -> html.Div:
    """`d` is a data_access.case_detail.CaseDetail; `done` as for action_panel."""
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
        action_panel(f, allowed, may_act, lang, done,
                     tuple(d.places[level] for level in ("township", "county")
                           if level in d.places)),
        html.H3(t("detail.timeline", lang), className="h6 mt-3"),
        dcc.Graph(id="ops-timeline", figure=timeline_figure(d.transitions, deadline, now,
                                                            lang, zone),
                  config={"displayModeBar": False}),
        html.H3(t("detail.events", lang), className="h6 mt-2"),
        events_list(d.transitions, lang, zone),
        html.H3(t("detail.fields", lang), className="h6 mt-2"),
        html.Table(html.Tbody(rows), className="table table-sm ops-fields"),
        html.Div([unmask, html.Span(id="ops-unmask-contact", className="ms-2")]),
        html.H3(f"{t('detail.place', lang)}: {place}", className="h6 mt-3"),
        grid_map(d.grid_boundary, (f.get("lon"), f.get("lat")), lang),
        html.P(f"{t('detail.workers', lang)}: " + "、".join(
            f"{name} {phone}" for name, phone in d.grid_workers), className="small"),
        html.H3(t("detail.related", lang), className="h6 mt-3"),
        _related(d.related, lang, zone),
    ])
