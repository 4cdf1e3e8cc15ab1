"""/ops duty queue: the signed-in officer's area, polled (gated in the browser), one cached
computation per area for every browser (data_access/duty_queue.py)."""
from __future__ import annotations

from dash import ClientsideFunction, Dash, Input, Output, State, no_update
from werkzeug.exceptions import BadRequest

from callbacks.context import current
from callbacks.identity import current_identity
from data_access.duty_queue import cached_queue
from layouts import ops_duty


def _seq(request) -> int:
    if not isinstance(request, dict) or not isinstance(request.get("seq"), int) or \
            isinstance(request.get("seq"), bool):
        raise BadRequest("ops-duty-request: not an object with a whole-number seq")
    return request["seq"]


def refresh(request, lang: str):
    """The queue of the person's area (the region when they have none): counts, rows, the
    area's name, when it was computed, and the state the browser announces changes from."""
    seq = _seq(request)
    person = current_identity()
    if person is None:
        return (no_update,) * 5
    ctx = current()
    rt = ctx.runtime
    area = person.area or rt.settings.region
    queue = cached_queue(ctx.cache, rt.redis, rt.sessions, area, rt.settings.region, rt.clock,
                         rt.settings.zone)
    zone = rt.settings.zone
    keys = [k for row in queue.rows for k in ops_duty.row_keys(row)]
    return (ops_duty.area_text(queue.area_name, lang),
            ops_duty.counts_badges(queue.counts, lang),
            ops_duty.queue_rows(queue.rows, queue.counts["total"], lang, zone),
            ops_duty.updated_text(queue.now, lang, zone),
            {"seq": seq, "area": area, "keys": keys})


def register(app: Dash) -> None:
    app.clientside_callback(
        ClientsideFunction("govwall", "opsDutyGate"), Output("ops-duty-request", "data"),
        Input("ops-duty-tick", "n_intervals"), State("ops-duty-request", "data"),
        State("ops-duty-state", "data"), prevent_initial_call=True)
    app.callback(
        Output("ops-duty-area", "children"), Output("ops-duty-counts", "children"),
        Output("ops-duty-body", "children"), Output("ops-duty-updated", "children"),
        Output("ops-duty-state", "data"),
        Input("ops-duty-request", "data"), State("ops-lang", "data"))(refresh)
    app.clientside_callback(ClientsideFunction("govwall", "opsDutyAnnounce"),
                            Output("ops-duty-signal", "children"),
                            Input("ops-duty-state", "data"))
    app.clientside_callback(ClientsideFunction("govwall", "opsDutySound"),
                            Output("ops-duty-sound", "className"),
                            Output("ops-duty-sound", "aria-pressed"),
                            Input("ops-duty-sound", "n_clicks"))
    app.clientside_callback(ClientsideFunction("govwall", "opsView"),
                            Output("ops-view", "data"),
                            Input("ops-view-duty", "n_clicks"),
                            Input("ops-view-list", "n_clicks"), State("ops-view", "data"),
                            prevent_initial_call=True)
    app.clientside_callback(ClientsideFunction("govwall", "opsViewClass"),
                            Output("ops-page", "className"), Input("ops-view", "data"))
