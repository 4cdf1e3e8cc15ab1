"""/ops/warnings: the list of early warnings, and the officer's actions on one of them."""
from __future__ import annotations

from datetime import timedelta

from dash import ALL, Dash, Input, Output, State, ctx, no_update

from callbacks.context import current
from callbacks.identity import current_identity
from callbacks.ops_detail import refusal_text
from data_access.case_filters import CaseFilter
from data_access.case_store import ActionRefused
from data_access.wall_scope import scope_for
from data_access.warnings import store
from layouts import ops_detail
from layouts import ops_warnings as page
from layouts.i18n import t

LIST_DAYS = 14


def _id(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 < number < 2**63 else None


def warning_list(_tick, _version, picked, lang: str):
    rt = current().runtime
    scope = scope_for(rt.settings.region)
    with rt.sessions() as session:
        rows = store.warning_list(session, rt.clock() - timedelta(days=LIST_DAYS), scope.covers)
    return page.warning_table(rows, lang, rt.settings.zone, _id(picked),
                              lambda external: CaseFilter(q=external).href())


def pick_row(_clicks) -> int:
    """A click on a warning's row picks it; a list drawn anew (no click) picks nothing."""
    if not ctx.triggered_id or not ctx.triggered[0]["value"]:
        return no_update
    return ctx.triggered_id["index"]


def act(_a, _d, _s, _l, _u, picked, reason, level, number, version, lang: str):
    """The pressed action on the picked warning; the role is checked again here."""
    action, person, warning_id = ctx.triggered_id.removeprefix("ops-action-warning-"), \
        current_identity(), _id(picked)
    if not ctx.triggered[0]["value"]:
        return no_update, no_update
    if person is None or not person.may_act:
        return ops_detail.result_line(refusal_text("not_allowed", lang), ok=False), no_update
    if warning_id is None:
        return ops_detail.result_line(refusal_text("warning_not_found", lang), ok=False), \
            no_update
    rt, n = current().runtime, 0
    at = rt.clock()
    try:
        if action == "supervise":
            n = len(store.supervise(rt.sessions, rt.counters, warning_id, person.display_name,
                                    at, level=level if level in (1, 2, 3) else 1))
        else:
            with rt.sessions.begin() as session:
                if action == "acknowledge":
                    store.acknowledge(session, warning_id, person.display_name, at)
                elif action == "dismiss":
                    store.dismiss(session, warning_id, person.display_name, at, reason or "")
                else:
                    store.change_link(session, warning_id, action, number or "",
                                      person.display_name, at)
    except ActionRefused as exc:
        return ops_detail.result_line(refusal_text(exc.code, lang), ok=False), no_update
    done = t(f"ops.warnings.done.{action}", lang).format(id=warning_id, n=n,
                                                         case=(number or "").strip())
    return ops_detail.result_line(done), (version or 0) + 1


def register(app: Dash) -> None:
    app.callback(Output(page.LIST_ID, "children"), Input(page.TICK_ID, "n_intervals"),
                 Input(page.VERSION_ID, "data"), Input(page.PICK_ID, "value"),
                 State(page.LANG_ID, "data"))(warning_list)
    app.callback(Output(page.PICK_ID, "value"),
                 Input({"type": page.ROW_TYPE, "index": ALL}, "n_clicks"),
                 prevent_initial_call=True)(pick_row)
    app.callback(Output(page.RESULT_ID, "children"), Output(page.VERSION_ID, "data"),
                 *(Input(page.button_id(b), "n_clicks") for b in page.BUTTONS),
                 State(page.PICK_ID, "value"), State(page.REASON_ID, "value"),
                 State(page.LEVEL_ID, "value"), State(page.CASE_NUMBER_ID, "value"),
                 State(page.VERSION_ID, "data"),
                 State(page.LANG_ID, "data"), prevent_initial_call=True)(act)
