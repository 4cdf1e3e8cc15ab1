"""/ops case detail and the officer's actions on it (签收, 督办, 上报上级, 备注, 回访)."""
from __future__ import annotations

from dash import Dash, Input, Output, State, ctx, html, no_update

from callbacks.context import current
from callbacks.identity import current_identity
from data_access import case_detail, case_store
from layouts import ops_detail
from layouts.i18n import t

BUTTONS = ("acknowledge", "supervise", "escalate", "note", "followup")
VERSION = "ops-action-version"


def _case_id(value) -> int | None:
    """A case id as the table sends it; anything else (text, 10**30) is no case."""
    try:
        case_id = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return case_id if 0 < case_id < 2**63 else None


def _done_text(shown) -> str | None:
    """The text of the confirmation an action has just shown (a serialized html.Span)."""
    props = shown.get("props") if isinstance(shown, dict) else None
    if not isinstance(props, dict) or props.get("id") != ops_detail.DONE_ID:
        return None
    text = props.get("children")
    return text if isinstance(text, str) else None


def detail(case_id, _version: int, lang: str, shown_result=None):
    """The case's detail. Re-rendered after an action (the version changed), it keeps the
    action's confirmation; opening another case clears it."""
    done = _done_text(shown_result) if ctx.triggered_id == VERSION else None
    case_id = _case_id(case_id)
    if case_id is None:
        return html.P(t("ops.pick_case", lang), className="text-muted p-3")
    rt = current().runtime
    now, person = rt.clock(), current_identity()
    with rt.sessions() as session:
        found = case_detail.load(session, case_id, now, rt.settings.zone)
        allowed = case_store.allowed_actions(found.fields) if found else set()
    if found is None:
        return html.P(t("ops.no_case", lang), className="text-danger p-3")
    return ops_detail.detail_panel(found, now, allowed, bool(person and person.may_act),
                                   bool(person and person.may_unmask), lang, rt.settings.zone,
                                   done)


def refusal_text(code: str, lang: str) -> str:
    key = f"refused.{code}"
    text = t(key, lang)
    return text if text != key else code


def act(_a, _s, _e, _n, _f, case_id, level, note, satisfaction, version, lang, addressee=None):
    """Perform the pressed action with the note typed (every action records it); the server
    checks the role again (the guard already did)."""
    action, person, case_id = ctx.triggered_id.removeprefix("ops-act-"), current_identity(), \
        _case_id(case_id)
    if not ctx.triggered[0]["value"] or case_id is None:
        return no_update, no_update
    if person is None or not person.may_act:
        return ops_detail.result_line(refusal_text("not_allowed", lang), ok=False), no_update
    params = {"note": (note or "").strip() or None}
    if action == "supervise":
        params["level"] = level
        params["addressee"] = addressee if isinstance(addressee, str) else None
    if action == "followup":
        params["satisfaction"] = satisfaction
    rt = current().runtime
    at = rt.clock()
    try:
        with case_store.case_change(rt.sessions, rt.counters) as session:
            case_store.perform(session, case_id, action, person.display_name, at, **params)
    except case_store.ActionRefused as exc:
        return ops_detail.result_line(refusal_text(exc.code, lang), ok=False), no_update
    done = ops_detail.done_text(action, params.get("level"), params.get("satisfaction"),
                                at.astimezone(rt.settings.zone), lang)
    return ops_detail.result_line(done), (version or 0) + 1


def unmask(clicks, case_id, lang: str):
    """The reporter's contact in clear, recorded first as an "unmask" transition."""
    person, case_id = current_identity(), _case_id(case_id)
    if not clicks or case_id is None or person is None or not person.may_unmask:
        return no_update
    rt = current().runtime
    with case_store.case_change(rt.sessions, rt.counters) as session:
        case_store.perform(session, case_id, "unmask", person.display_name, rt.clock())
        name, phone = case_detail.contact(session, case_id) or (None, None)
    return f"{name or '—'} {phone or '—'}"


def register(app: Dash) -> None:
    app.callback(Output("ops-detail", "children"), Input("ops-case-id", "data"),
                 Input(VERSION, "data"), State("ops-lang", "data"),
                 State("ops-action-result", "children", allow_optional=True))(detail)
    app.callback(
        Output("ops-action-result", "children"), Output(VERSION, "data"),
        *(Input(f"ops-act-{b}", "n_clicks") for b in BUTTONS),
        State("ops-act-case", "data"), State("ops-act-level", "value"),
        State("ops-act-text", "value"), State("ops-act-satisfaction", "value"),
        State(VERSION, "data"), State("ops-lang", "data"), State("ops-act-addressee", "value"),
        prevent_initial_call=True)(act)
    app.callback(Output("ops-unmask-contact", "children"), Input("ops-unmask-btn", "n_clicks"),
                 State("ops-act-case", "data"), State("ops-lang", "data"),
                 prevent_initial_call=True)(unmask)
