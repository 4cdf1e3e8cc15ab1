"""Who may do what, at the HTTP level: pages, Dash callback POSTs, exports, kiosk screens."""
from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from dashboard.app import create_app
from dashboard.auth import CALLBACK_PATH
from dashboard.settings import Settings
from data_access.accounts import revoke_kiosk_tokens
from data_access.models import CaseTransition
from tests.support.kiosk import add_people, kiosk_token, sign_in
from tests.support.tiny_territory import COUNTY

ORIGIN = {"Origin": "http://localhost"}


@pytest.fixture(scope="module")
def app(ops_backend):
    add_people(ops_backend.sessions)
    settings = Settings(env="test", database_url=ops_backend.database_url,
                        redis_url=ops_backend.redis_url, redis_namespace=ops_backend.namespace)
    dash_app = create_app(settings)
    yield dash_app
    dash_app.server.config["GOVWALL_RUNTIME"].close()


def callback(outputs: list[tuple[str, str]], inputs: list[tuple[str, str, object]],
             state: list[tuple[str, str, object]] = (), changed: int = 0) -> dict:
    outs = [{"id": i, "property": p} for i, p in outputs]
    return {
        "output": outs[0]["id"] + "." + outs[0]["property"] if len(outs) == 1
        else ".." + "...".join(f"{i}.{p}" for i, p in outputs) + "..",
        "outputs": outs[0] if len(outs) == 1 else outs,
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
        "changedPropIds": [f"{inputs[changed][0]}.{inputs[changed][1]}"],
    }


COUNTS = callback([("ops-counts", "children")],
                  [("ops-filter", "data", {"unit": COUNTY}), ("ops-action-version", "data", 0),
                   ("ops-view", "data", "list")],
                  [("ops-lang", "data", "zh"), ("ops-query", "data", {"unit": COUNTY})])
# The wall's alert board (a real wall callback): it lists the overdue cases of the fixture.
WALL = callback(
    [("wall-alerts-body", "children"), ("wall-alerts-red-ids", "data"),
     ("wall-alerts-status", "children"), ("wall-alerts-tile", "className"),
     ("wall-alerts-state", "data")],
    [("wall-alerts-request", "data", {"seq": 1, "at": 0}), ("wall-unit", "data", COUNTY)],
    [("wall-config", "data", {"lang": "zh", "rows": 12, "unit_px": 1.0, "measure": "open",
                              "units": [COUNTY]}),
     ("wall-alerts-state", "data", None)])
REPORTER = ("王小明", "13812345678", "138****5678", "王*")


def pages(path: str) -> dict:
    return callback([("_pages_content", "children"), ("_pages_store", "data")],
                    [("_pages_location", "pathname", path), ("_pages_location", "search", "")])


def supervise(case_id: int) -> dict:
    return callback(
        [("ops-action-result", "children"), ("ops-action-version", "data")],
        [("ops-act-acknowledge", "n_clicks", None), ("ops-act-supervise", "n_clicks", 1),
         ("ops-act-escalate", "n_clicks", None), ("ops-act-note", "n_clicks", None),
         ("ops-act-followup", "n_clicks", None)],
        [("ops-act-case", "data", case_id), ("ops-act-level", "value", 2),
         ("ops-act-text", "value", "请今日处理"), ("ops-act-satisfaction", "value", None),
         ("ops-action-version", "data", 0), ("ops-lang", "data", "zh"),
         ("ops-act-addressee", "value", None)], changed=1)


def post(client, body: dict, headers=ORIGIN):
    return client.post("/_dash-update-component", json=body, headers=headers)


def wall_answer(client):
    """The alert board's answer once the app's refresher has computed the view (a view is
    computed off the request path within a second or two of a screen first asking)."""
    for _ in range(100):
        response = post(client, WALL)
        if response.status_code != 200 or \
                response.get_json()["response"]["wall-alerts-state"]["data"]["ok"] is not None:
            return response
        time.sleep(0.1)
    raise AssertionError("the wall's refresher never computed the view")


def client_as(app, who: str | None, ops_backend=None):
    client = app.server.test_client()
    if who == "kiosk":
        assert client.get(f"/wall?kiosk={kiosk_token(ops_backend.sessions)}").status_code == 200
    elif who:
        assert sign_in(client, who).status_code == 302
    return client


def test_public_paths_need_nobody(app):
    client = app.server.test_client()
    for path in ("/login", "/_dash-layout", "/_dash-dependencies", "/assets/ops.css"):
        assert client.get(path).status_code == 200, path


def test_nobody_is_sent_to_sign_in_or_refused(app):
    client = app.server.test_client()
    page = client.get("/ops?unit=320303")
    assert page.status_code == 302
    assert page.headers["Location"].startswith("/login?next=/ops")
    deep = client.get("/ops?deadline=overdue,long_overdue&open=1").headers["Location"]
    login = client.get(deep).get_data(as_text=True)
    assert 'name="next" value="/ops?deadline=overdue,long_overdue&amp;open=1"' in login
    assert client.get("/wall").status_code == 302
    assert post(client, COUNTS).status_code == 401
    assert post(client, WALL).status_code == 401
    assert post(client, pages("/ops")).status_code == 401
    assert client.get("/ops/export.csv").status_code == 401


def test_wall_callbacks_answer_a_kiosk_without_personal_data(app, ops_backend):
    response = wall_answer(client_as(app, "kiosk", ops_backend))
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "OPS-D" in text  # the long-overdue case is on the board...
    assert not [r for r in REPORTER if r in text]  # ...without who reported it


def test_kiosk_screen_sees_the_wall_only(app, ops_backend):
    client = client_as(app, "kiosk", ops_backend)
    assert client.get("/wall").status_code == 200  # the cookie carries the screen on
    assert post(client, WALL).status_code == 200
    assert post(client, pages("/wall")).status_code == 200
    assert post(client, COUNTS).status_code == 403
    assert post(client, pages("/ops")).status_code == 403
    assert client.get("/ops").status_code == 403
    assert client.get("/ops/export.csv").status_code == 403


def test_bad_or_revoked_kiosk_token_is_refused(app, ops_backend):
    client = app.server.test_client()
    assert client.get("/wall?kiosk=not-a-token").status_code == 403
    token = kiosk_token(ops_backend.sessions, label="to revoke")
    with ops_backend.sessions.begin() as session:
        revoke_kiosk_tokens(session, datetime.now(UTC), label="to revoke")
    assert client.get(f"/wall?kiosk={token}").status_code == 403


@pytest.mark.parametrize("who", ["duty", "lead", "admin"])
def test_people_see_ops_and_the_wall(app, who):
    client = client_as(app, who)
    assert client.get("/ops").status_code == 200
    assert client.get("/wall").status_code == 200
    response = post(client, COUNTS)
    assert response.status_code == 200
    assert "8" in response.get_data(as_text=True)
    assert post(client, WALL).status_code == 200
    assert client.get(f"/ops/export.csv?unit={COUNTY}").status_code == 200


@pytest.mark.parametrize(("who", "status"), [("duty", 200), ("admin", 200), ("lead", 403),
                                             ("kiosk", 403), (None, 401)])
def test_actions_need_a_duty_officer_or_admin(app, ops_backend, who, status):
    client = client_as(app, who, ops_backend)
    case_id = ops_backend.case_ids["C"]
    with ops_backend.sessions() as session:
        before = len(session.scalars(select(CaseTransition.id)
                                     .where(CaseTransition.case_id == case_id)).all())
    assert post(client, supervise(case_id)).status_code == status
    with ops_backend.sessions() as session:
        after = len(session.scalars(select(CaseTransition.id)
                                    .where(CaseTransition.case_id == case_id)).all())
    assert after - before == (1 if status == 200 else 0)


def test_posts_from_another_origin_are_refused(app):
    client = client_as(app, "duty")
    assert post(client, COUNTS, headers={"Origin": "http://evil.example"}).status_code == 403
    assert post(client, COUNTS, headers={"Referer": "http://evil.example/x"}).status_code == 403
    assert post(client, COUNTS, headers={}).status_code == 403
    assert post(client, COUNTS, headers={"Referer": "http://localhost/ops"}).status_code == 200


def test_sign_in_form_needs_its_csrf_token_and_the_right_password(app):
    client = app.server.test_client()
    client.get("/login")
    forged = client.post("/login", data={"username": "duty", "password": "test-password-1",
                                         "csrf": "guess"}, headers=ORIGIN)
    assert forged.status_code == 400
    assert sign_in(client, "duty", password="wrong-password").status_code == 401
    assert sign_in(client, "nobody").status_code == 401
    ok = sign_in(client, "duty")
    assert ok.status_code == 302
    cookie = ok.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert client.get("/logout").status_code == 302
    assert client.get("/ops").status_code == 302


def test_next_never_leaves_the_site(app):
    client = app.server.test_client()
    client.get("/login")
    response = sign_in(client, "duty")
    assert response.headers["Location"] == "/ops"
    page = client.get("/login?next=//evil.example/x").get_data(as_text=True)
    assert 'name="next" value="/ops"' in page


def unmask(case_id: int) -> dict:
    return callback([("ops-unmask-contact", "children")], [("ops-unmask-btn", "n_clicks", 1)],
                    [("ops-act-case", "data", case_id), ("ops-lang", "data", "zh")])


def unmask_records(ops_backend, case_id: int) -> list[str]:
    with ops_backend.sessions() as session:
        return list(session.scalars(select(CaseTransition.actor).where(
            CaseTransition.case_id == case_id, CaseTransition.kind == "unmask")))


def test_a_leader_unmasks_once_and_it_is_recorded(app, ops_backend):
    case_id = ops_backend.case_ids["G"]
    before = unmask_records(ops_backend, case_id)
    response = post(client_as(app, "lead"), unmask(case_id))
    assert response.status_code == 200
    assert "13812345678" in response.get_data(as_text=True)
    assert unmask_records(ops_backend, case_id) == [*before, "lead-name"]


@pytest.mark.parametrize(("who", "status"), [("duty", 403), ("kiosk", 403), (None, 401)])
def test_others_cannot_unmask(app, ops_backend, who, status):
    case_id = ops_backend.case_ids["G"]
    before = unmask_records(ops_backend, case_id)
    response = post(client_as(app, who, ops_backend), unmask(case_id))
    assert response.status_code == status
    assert "13812345678" not in response.get_data(as_text=True)
    assert unmask_records(ops_backend, case_id) == before


def test_sign_in_page_in_english(app):
    page = app.server.test_client().get("/login?lang=en&next=/ops")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and '<html lang="en">' in text
    assert "Duty sign-in" in text and ">Sign in</button>" in text
    assert 'name="lang" value="en"' in text and "值班登录" not in text


# The tester's probe: Dash binds inputs by position, so the pages callback renders the value
# of its first input ("/ops"), whatever the body calls it.
PROBE = {
    "output": ".._pages_content.children..._pages_store.data..",
    "outputs": [{"id": "_pages_content", "property": "children"},
                {"id": "_pages_store", "property": "data"}],
    "inputs": [{"id": "_pages_location", "property": "search", "value": "/ops"},
               {"id": "_pages_location", "property": "pathname", "value": "/login"}],
    "changedPropIds": ["_pages_location.pathname"],
}


@pytest.mark.parametrize(("who", "status"), [(None, 401), ("kiosk", 403)])
def test_the_pages_probe_is_judged_by_the_path_dash_renders(app, ops_backend, who, status):
    response = post(client_as(app, who, ops_backend), PROBE)
    assert response.status_code == status
    assert "ops-cases" not in response.get_data(as_text=True)


def test_a_person_sending_the_probe_is_refused_for_its_shape(app):
    response = post(client_as(app, "duty"), PROBE)
    assert response.status_code == 400
    assert response.get_data(as_text=True) == \
        "the callback's inputs are not the registered ones, in order"


@pytest.mark.parametrize("body", [[], "x", {"output": 3}, {"output": "nothing.children"},
                                  # a clientside callback: the browser runs it, never us
                                  {"output": "_pages_dummy.children"}],
                         ids=["list", "string", "number", "unknown", "clientside"])
def test_a_body_that_runs_no_server_callback_is_refused(app, body):
    response = post(client_as(app, "admin"), body)
    assert response.status_code == 400


def _server_callbacks(app) -> dict[str, dict]:
    app.server.test_client().get("/login")  # Dash registers the pages callback on first use
    return {key: spec for key, spec in app.callback_map.items() if "callback" in spec}


def _shaped(key: str, spec: dict) -> dict:
    """A body of the registered shape (values are the guard's business only as paths)."""
    outputs = [tuple(part.rsplit(".", 1)) for part in
               (key[2:-2].split("...") if key.startswith("..") else [key])]
    # The pages callback's location values all read /wall, so that a swap keeps the path.
    inputs = [(i["id"], i["property"], "/wall" if i["id"] == "_pages_location" else None)
              for i in spec["inputs"]]
    state = [(s["id"], s["property"], None) for s in spec["state"]]
    body = callback(outputs, inputs, state)
    body["output"] = key  # as registered, for single and multiple outputs alike
    # A pattern-matching input (an ALL wildcard, e.g. /ops/warnings' rows) comes as the list
    # of the components it matched: here one, with a concrete index.
    for k, item in enumerate(spec["inputs"]):
        if isinstance(item["id"], str) and item["id"].startswith("{"):
            pattern = json.loads(item["id"])
            concrete = {name: (1 if isinstance(want, list) else want)
                        for name, want in pattern.items()}
            body["inputs"][k] = [{"id": concrete, "property": item["property"], "value": 1}]
    return body


def _least_role(key: str) -> str:
    if key.startswith(("..wall-", "wall-", ".._pages_content")):
        return "kiosk"
    if "ops-action" in key:
        return "duty"
    if key.startswith("intake-"):
        return "admin"  # the intake's data quality (/intake)
    return "lead" if "ops-unmask" in key else "duty"


def _passes_guard(app, client, body: dict) -> int | None:
    """The guard's answer to `body` from `client`'s session (None: it lets the call through);
    the callback itself is not run."""
    cookie = client.get_cookie("session").value
    with app.server.test_request_context(CALLBACK_PATH, method="POST", json=body,
                                         headers={**ORIGIN, "Cookie": f"session={cookie}"}):
        refused = app.server.preprocess_request()
        return None if refused is None else refused.status_code


def test_every_callback_passes_in_its_shape_and_is_refused_out_of_it(app, ops_backend):
    callbacks = _server_callbacks(app)
    assert len(callbacks) >= 20 and ".._pages_content.children..._pages_store.data.." in callbacks
    clients = {who: client_as(app, who, ops_backend)
               for who in ("kiosk", "duty", "lead", "admin")}
    for key, spec in callbacks.items():
        client = clients[_least_role(key)]
        body = _shaped(key, spec)
        assert _passes_guard(app, client, body) is None, key
        swapped = copy.deepcopy(body)
        if len(swapped["inputs"]) > 1:
            swapped["inputs"].reverse()
        elif isinstance(swapped["inputs"][0], list):  # a wildcard's matched components
            swapped["inputs"][0][0]["property"] += "-renamed"
        else:
            swapped["inputs"][0]["property"] += "-renamed"
        assert _passes_guard(app, client, swapped) == 400, key
        renamed = copy.deepcopy(body)
        outputs = renamed["outputs"] if isinstance(renamed["outputs"], list) \
            else [renamed["outputs"]]
        outputs[0]["id"] += "-other"
        assert _passes_guard(app, client, renamed) == 400, key
        if spec["state"]:
            dropped = copy.deepcopy(body)
            dropped["state"] = dropped["state"][1:]
            assert _passes_guard(app, client, dropped) == 400, key
    # A role below the callback's is refused as before, whatever the shape.
    duty_only = _shaped("ops-unmask-contact.children", callbacks["ops-unmask-contact.children"])
    assert _passes_guard(app, clients["duty"], duty_only) == 403
