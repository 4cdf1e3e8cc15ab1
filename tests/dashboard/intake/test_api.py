"""/api/v1 over HTTP: tokens, per-item batch answers, Idempotency-Key, events, problem+json,
429 with Retry-After, the OpenAPI document, and the sign-in guard letting only /api/v1/
through to the token check."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from data_access.intake.sources import revoke
from data_access.models import Case
from tests.support.intake import NOW, ZONE
from tests.support.tiny_territory import GRIDS

AT = (NOW.astimezone(ZONE) - timedelta(minutes=30)).isoformat()


def body(sid: str, **changes) -> dict:
    values = {"source_case_id": sid, "reported_at": AT, "category": "路灯故障",
              "channel": "12345", "title": "路灯不亮", "grid_code": GRIDS[2]}
    values.update(changes)
    return values


def cases_of(backend, source) -> int:
    with backend.sessions() as s:
        return s.scalar(select(func.count()).select_from(Case).where(
            Case.external_id.startswith(f"{source.name}:")))


def test_create_one_then_a_retry_is_a_duplicate(api, source, api_backend):
    client, _ = api
    ref, headers = source
    first = client.post("/api/v1/cases", json=body("C-1"), headers=headers)
    assert first.status_code == 201
    assert first.json["status"] == "accepted"
    again = client.post("/api/v1/cases", json=body("C-1"), headers=headers)
    assert (again.status_code, again.json["status"], again.json["case_id"]) == (
        200, "duplicate", first.json["case_id"])
    held = client.get("/api/v1/cases/C-1", headers=headers)
    assert held.status_code == 200
    assert (held.json["stage"], held.json["grid_code"], held.json["subclass"],
            held.json["placement"]) == ("reported", GRIDS[2], "street_light", "grid")
    assert cases_of(api_backend, ref) == 1


def test_a_batch_answers_per_item(api, source, api_backend):
    client, _ = api
    ref, headers = source
    client.post("/api/v1/cases", json=body("B-0"), headers=headers)
    answer = client.post("/api/v1/cases/batch", headers=headers, json={"cases": [
        body("B-0"), body("B-1"), body("B-2", lat=32.05, lon=118.78, grid_code=None),
        body("B-3", category="不认识的代码")]})
    assert answer.status_code == 200
    assert [r["status"] for r in answer.json["results"]] == [
        "duplicate", "accepted", "rejected", "accepted"]
    assert (answer.json["accepted"], answer.json["duplicate"], answer.json["rejected"]) == \
        (2, 1, 1)
    assert "outside the territory" in answer.json["results"][2]["reasons"][0]
    assert cases_of(api_backend, ref) == 3


def test_idempotency_key_replays_and_refuses_another_body(api, source, api_backend):
    client, _ = api
    ref, headers = source
    keyed = {**headers, "Idempotency-Key": "req-42"}
    first = client.post("/api/v1/cases", json=body("I-1"), headers=keyed)
    replay = client.post("/api/v1/cases", json=body("I-1"), headers=keyed)
    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json == first.json and replay.headers["Idempotent-Replayed"] == "true"
    other = client.post("/api/v1/cases", json=body("I-2"), headers=keyed)
    assert other.status_code == 409
    assert other.mimetype == "application/problem+json"
    assert "another request body" in other.json["detail"]
    assert cases_of(api_backend, ref) == 1


def test_events_reach_only_the_sources_own_cases(api, source, api_backend):
    client, _ = api
    ref, headers = source
    client.post("/api/v1/cases", json=body("EV-1"), headers=headers)
    at = (NOW.astimezone(ZONE) - timedelta(minutes=5)).isoformat()
    moved = client.post("/api/v1/events", headers=headers, json={
        "source_case_id": "EV-1", "kind": "stage", "at": at, "stage": "派遣"})
    assert (moved.status_code, moved.json["status"]) == (200, "applied")
    late = client.post("/api/v1/events", headers=headers, json={
        "source_case_id": "EV-1", "kind": "stage", "at": at, "stage": "受理"})
    assert (late.status_code, late.json["status"]) == (200, "ignored")
    assert client.get("/api/v1/cases/EV-1", headers=headers).json["stage"] == "dispatched"
    _, other_token = _other(api_backend)
    foreign = client.post("/api/v1/events", headers=other_token, json={
        "source_case_id": "EV-1", "kind": "stage", "at": at, "stage": "处置"})
    assert foreign.status_code == 404
    assert client.get("/api/v1/cases/EV-1", headers=other_token).status_code == 404
    assert client.get("/api/v1/cases/EV-1", headers=headers).json["stage"] == "dispatched"


def _other(backend):
    from tests.support.intake import make_source

    ref, token = make_source(backend, f"oth{id(backend) % 10**6}"[:16])
    return ref, {"Authorization": f"Bearer {token}"}


def test_tokens_missing_wrong_or_revoked_are_401(api, source, api_backend):
    client, _ = api
    ref, headers = source
    for h in ({}, {"Authorization": "Bearer gws_wrong"}, {"Authorization": "Basic x"}):
        answer = client.post("/api/v1/cases", json=body("T-1"), headers=h)
        assert answer.status_code == 401
        assert answer.mimetype == "application/problem+json"
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    with api_backend.sessions.begin() as s:
        revoke(s, ref.name, NOW)
    assert client.post("/api/v1/cases", json=body("T-1"), headers=headers).status_code == 401
    assert cases_of(api_backend, ref) == 0


def test_rate_limit_answers_429_with_retry_after(api, source):
    client, intake_api = api
    _, headers = source
    intake_api.per_minute = 3
    try:
        codes = [client.get("/api/v1/cases/none", headers=headers).status_code
                 for _ in range(5)]
        limited = client.get("/api/v1/cases/none", headers=headers)
    finally:
        intake_api.per_minute = 600
    assert codes == [404, 404, 404, 429, 429]
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 61
    assert limited.mimetype == "application/problem+json"


def test_openapi_document_is_served_without_a_token(api):
    client, _ = api
    doc = client.get("/api/v1/openapi.json")
    assert doc.status_code == 200
    assert doc.json["openapi"].startswith("3.1")
    assert set(doc.json["paths"]) == {"/api/v1/cases", "/api/v1/cases/batch",
                                      "/api/v1/events", "/api/v1/cases/{source_case_id}"}
    schemas = doc.json["components"]["schemas"]
    assert schemas["BatchIn"]["properties"]["cases"]["maxItems"] == 1000
    assert "GCJ-02" in doc.json["info"]["description"]


def test_the_guard_lets_only_the_api_prefix_through_to_its_token_check(api):
    client, _ = api
    # No Origin, no session: the guard would say 403 (cross-origin) or send to /login.
    assert client.post("/api/v1/cases", json={}).status_code == 401
    assert client.post("/api/v1x", json={}).status_code == 403
    assert client.get("/api/v2/cases").status_code == 302
    assert client.get("/ops").status_code == 302
    # Not the Dash page that answers any other GET: no such API path.
    missing = client.get("/api/v1/nothing-here", headers={"Authorization": "Bearer x"})
    assert (missing.status_code, missing.mimetype) == (404, "application/problem+json")
    wrong_method = client.delete("/api/v1/cases")
    assert wrong_method.status_code == 405
    assert wrong_method.mimetype == "application/problem+json"


def test_an_accepted_case_nudges_the_wall_refresher(api, source, api_backend):
    from data_access.snapshots import changed_key

    client, intake_api = api
    _, headers = source
    key = changed_key(f"{api_backend.namespace}:v1:wall:320303")
    api_backend.redis.delete(key)
    client.post("/api/v1/cases", json=body("N-1"), headers=headers)
    said = float(api_backend.redis.hget(key, "queue"))
    assert abs(said - intake_api.runtime.clock().timestamp()) < 5
    api_backend.redis.delete(key)
    client.post("/api/v1/cases", json=body("N-1"), headers=headers)  # a duplicate: no news
    assert api_backend.redis.hget(key, "queue") is None


def test_a_database_outage_is_503_with_retry_after(api, source, api_backend, tmp_path,
                                                    monkeypatch):
    from data_access.db import make_engine, session_factory

    client, intake_api = api
    _, headers = source
    url = ("postgresql+psycopg://postgres@127.0.0.1:1/none" if api_backend.name == "server"
           else f"sqlite:///{tmp_path / 'no-tables.sqlite3'}")
    monkeypatch.setattr(intake_api.runtime, "sessions", session_factory(make_engine(url,
                                                                                    timeout=1)))
    answer = client.post("/api/v1/cases", json=body("O-1"), headers=headers)
    assert (answer.status_code, answer.mimetype) == (503, "application/problem+json")
    assert answer.headers["Retry-After"] == "5"
