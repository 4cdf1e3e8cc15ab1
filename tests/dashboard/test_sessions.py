"""Sessions end when they should, over HTTP against the running app with a clock the test
moves: sign-out ends a session whatever copies of its cookie exist, a person's session has an
idle timeout and a cap that use does not push back, the cookie says nothing about anyone,
wall screens run unattended for days, and a bad cookie is only a missing sign-in."""
from __future__ import annotations

import base64

import pytest
import requests

from data_access.session_store import SESSION_ID_LENGTH
from tests.dashboard.live_app import alerts_callback, app_settings, live_app, tile_state
from tests.support.kiosk import add_people, kiosk_token

MINUTE, HOUR = 60, 3600
DETAIL = {
    "output": "ops-detail.children",
    "outputs": {"id": "ops-detail", "property": "children"},
    "inputs": [{"id": "ops-case-id", "property": "data", "value": 1},
               {"id": "ops-action-version", "property": "data", "value": 0}],
    "state": [{"id": "ops-lang", "property": "data", "value": "zh"},
              {"id": "ops-action-result", "property": "children", "value": None}],
    "changedPropIds": ["ops-case-id.data"],
}


@pytest.fixture(scope="module")
def live(backend):
    add_people(backend.sessions)
    settings = app_settings(backend.database_url, backend.redis_url, backend.namespace)
    with live_app(settings, refresher=False) as app:
        app.backend = backend
        yield app


def with_cookie(live, value: str) -> requests.Session:
    client = live.client()
    client.cookies.set("session", value, domain="127.0.0.1", path="/")
    return client


def reaches_ops(live, client) -> bool:
    response = live.get(client, "/ops")
    assert response.status_code in (200, 302), response.text
    return response.status_code == 200


def test_sign_out_ends_the_session_for_every_copy_of_its_cookie(live):
    person = live.person("duty")
    saved = person.cookies["session"]
    assert reaches_ops(live, person)
    assert person.post(live.url + "/_dash-update-component", json=DETAIL,
                       timeout=30).status_code == 200
    assert live.get(person, "/ops/export.csv?period=today").status_code == 200
    assert live.get(person, "/logout").headers["Location"] == "/login"
    replay = with_cookie(live, saved)
    assert live.get(replay, "/ops").headers["Location"].startswith("/login")
    detail = replay.post(live.url + "/_dash-update-component", json=DETAIL, timeout=30)
    assert (detail.status_code, detail.text) == (401, "sign in required")
    assert live.get(replay, "/ops/export.csv?period=today").status_code == 401


def test_the_cookie_is_a_random_id_that_names_nobody(live):
    first, second = live.person("admin"), live.person("admin")
    cookies = [first.cookies["session"], second.cookies["session"]]
    assert cookies[0] != cookies[1]
    for value in cookies:
        assert len(value) == SESSION_ID_LENGTH
        decoded = base64.urlsafe_b64decode(value + "=")
        for secret in ("admin", "role", "uid", "name"):
            assert secret not in value and secret.encode() not in decoded


def test_an_idle_session_ends_after_the_idle_timeout(live):
    person = live.person("lead")
    live.advance(59 * MINUTE)
    assert reaches_ops(live, person)  # a request restarts the idle time...
    live.advance(59 * MINUTE)
    assert reaches_ops(live, person)
    live.advance(61 * MINUTE)  # ...but not an hour of silence
    assert not reaches_ops(live, person)


def test_use_does_not_push_the_cap_back(live):
    person = live.person("duty")
    for _ in range(27):  # 13.5 hours of requests every half hour
        live.advance(30 * MINUTE)
        assert reaches_ops(live, person)
    live.advance(29 * MINUTE)
    assert reaches_ops(live, person)  # 13 h 59 min
    live.advance(2 * MINUTE)
    assert not reaches_ops(live, person)  # 14 h 1 min: the cap, however busy
    assert reaches_ops(live, live.person("duty"))  # signing in again starts a new one


def test_a_wall_screen_runs_unattended_for_days(live):
    screen = live.screen(kiosk_token(live.backend.sessions, "unattended"))
    for _ in range(2 * 24 * 2):  # two days, a page load every half hour
        live.advance(30 * MINUTE)
        assert live.get(screen, "/wall").status_code == 200


def test_a_wall_screen_whose_session_was_lost_is_recognised_by_its_address(live):
    token = kiosk_token(live.backend.sessions, "lost session")
    screen = live.screen(token)
    live.advance(2 * HOUR)  # the display slept past the idle timeout: the session is gone
    assert live.get(screen, "/wall").headers["Location"].startswith("/login")
    # The page still open in the browser asks with its address as Referer, as browsers do.
    response = screen.post(live.url + "/_dash-update-component", json=alerts_callback(12),
                           headers={"Referer": f"{live.url}/wall?kiosk={token}"}, timeout=30)
    assert response.status_code == 200
    tile_state(response)
    assert live.get(screen, "/wall").status_code == 200  # with the session it was given
    other = screen.post(live.url + "/_dash-update-component", json=alerts_callback(12),
                        headers={"Referer": f"{live.url}/wall?kiosk=forged"}, timeout=30)
    assert other.status_code == 200  # its own session holds; the Referer is not read
    stranger = live.client().post(live.url + "/_dash-update-component",
                                  json=alerts_callback(12),
                                  headers={"Referer": f"{live.url}/wall?kiosk=forged"},
                                  timeout=30)
    assert stranger.status_code == 403


@pytest.mark.parametrize("cookie", ["garbage", "x" * 4000, "A" * SESSION_ID_LENGTH,
                                    "a%00b", "..%2f..%2f"],
                         ids=["garbage", "long", "unknown", "nul", "path"])
def test_a_forged_or_garbage_cookie_is_no_sign_in_and_never_500(live, cookie):
    client = with_cookie(live, cookie)
    assert live.get(client, "/ops").headers["Location"].startswith("/login")
    refused = client.post(live.url + "/_dash-update-component", json=DETAIL, timeout=30)
    assert (refused.status_code, refused.text) == (401, "sign in required")
    login = live.get(client, "/login")
    assert login.status_code == 200
    # The bad cookie is replaced by one of ours.
    assert len(client.cookies["session"]) == SESSION_ID_LENGTH
