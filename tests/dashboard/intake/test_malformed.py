"""A corpus of malformed payloads: each is answered 4xx as problem+json with its reasons, and
nothing of it is written (the source has no case afterwards)."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.dashboard.intake.test_api import body, cases_of
from tests.support.intake import NOW, ZONE

LOCAL = NOW.astimezone(ZONE)


def raw(value: dict) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def batch(*items: dict) -> bytes:
    return raw({"cases": list(items)})


NESTED = b'{"source_case_id":"N-1","title":' + b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b"}"
DEEP_LIST = b"[" * 200_000 + b"]" * 200_000
TEN_MB = batch(*[body(f"M-{i}", description="长" * 1000) for i in range(3500)])
CORPUS: dict[str, tuple[str, bytes, int]] = {
    "title is a number": ("/cases", raw(body("W-1", title=123)), 422),
    "reported_at is a number": ("/cases", raw(body("W-2", reported_at=5)), 422),
    "lat is text": ("/cases", raw(body("W-3", lat="north", lon=117.2)), 422),
    "cases is not a list": ("/cases/batch", raw({"cases": "x"}), 422),
    "body is a list": ("/cases", raw([body("W-4")]), 422),
    "unknown field": ("/cases", raw(body("W-5", colour="red")), 422),
    "missing title": ("/cases", raw({k: v for k, v in body("W-6").items() if k != "title"}),
                      422),
    "huge title": ("/cases", raw(body("H-1", title="长" * 10_000)), 422),
    "huge description": ("/cases", raw(body("H-2", description="x" * 100_000)), 422),
    "huge id": ("/cases", raw(body("H-3" + "9" * 100)), 422),
    "NUL in title": ("/cases", raw(body("Z-1", title="路灯\u0000不亮")), 422),
    "NUL in description": ("/cases", raw(body("Z-2", description="a\u0000b")), 422),
    "NUL in id": ("/cases", raw(body("Z-3\u0000")), 422),
    "invalid UTF-8": ("/cases", raw(body("U-1")).replace("路灯不亮".encode(), b"\xff\xfe\xfd"),
                      422),
    "not JSON": ("/cases", b"source_case_id=1&title=x", 422),
    "empty body": ("/cases", b"", 422),
    "deeply nested object": ("/cases", NESTED, 422),
    "deeply nested list": ("/cases/batch", DEEP_LIST, 422),
    "10 MB body": ("/cases/batch", TEN_MB, 413),
    "future date": ("/cases", raw(body("F-1", reported_at=(LOCAL + timedelta(days=2))
                                       .isoformat())), 422),
    "ancient date": ("/cases", raw(body("F-2", reported_at="1970-01-01T00:00:00+08:00")), 422),
    "no UTC offset": ("/cases", raw(body("F-3", reported_at="2026-11-18T09:00:00")), 422),
    "coordinates outside the region": ("/cases", raw(body("G-1", grid_code=None, lat=32.05,
                                                          lon=118.78)), 422),
    "coordinates off the earth": ("/cases", raw(body("G-2", lat=123.0, lon=500.0)), 422),
    "lat without lon": ("/cases", raw(body("G-3", lat=34.2)), 422),
    "grid code not 15 digits": ("/cases", raw(body("G-4", grid_code="3203")), 422),
    "duplicate ids in a batch": ("/cases/batch", batch(body("D-1"), body("D-2"), body("D-1")),
                                 422),
    "one bad item in a batch": ("/cases/batch", batch(body("D-3"), body("D-4", title="")), 422),
    "batch over 1,000": ("/cases/batch", batch(*[body(f"L-{i}") for i in range(1001)]), 422),
    "empty batch": ("/cases/batch", raw({"cases": []}), 422),
    "event of unknown kind": ("/events", raw({"source_case_id": "X", "kind": "teleport",
                                              "at": LOCAL.isoformat()}), 422),
    "stage event without stage": ("/events", raw({"source_case_id": "X", "kind": "stage",
                                                  "at": LOCAL.isoformat()}), 422),
}


@pytest.mark.parametrize("name", list(CORPUS))
def test_malformed_payload_is_refused_with_reasons_and_writes_nothing(api, source, api_backend,
                                                                      name):
    client, _ = api
    ref, headers = source
    path, payload, status = CORPUS[name]
    answer = client.post(f"/api/v1{path}", data=payload,
                         headers={**headers, "Content-Type": "application/json"})
    assert answer.status_code == status, answer.get_data(as_text=True)[:500]
    assert answer.mimetype == "application/problem+json"
    problem = answer.json
    assert problem["status"] == status
    assert problem.get("errors") or problem.get("detail")
    assert cases_of(api_backend, ref) == 0


def test_unknown_codes_on_a_case_are_taken_as_unclassified_but_on_an_event_refused(
        api, source, api_backend):
    """The issue asks both: an unknown code never refuses a case (未分类, counted); an
    event whose stage code is unknown cannot be applied, so it is refused with its reason."""
    client, _ = api
    ref, headers = source
    taken = client.post("/api/v1/cases", headers=headers,
                        json=body("K-1", category="??", urgency="??", channel="??"))
    assert taken.status_code == 201
    held = client.get("/api/v1/cases/K-1", headers=headers).json
    assert (held["major_class"], held["unknown_codes"]) == (
        "unclassified", "category=??;channel=??;urgency=??")
    refused = client.post("/api/v1/events", headers=headers, json={
        "source_case_id": "K-1", "kind": "stage", "at": LOCAL.isoformat(), "stage": "??"})
    assert refused.status_code == 422
    assert "unknown stage code" in refused.json["detail"]
    assert held["case_id"] and cases_of(api_backend, ref) == 1


def test_wrong_content_type_is_415(api, source):
    client, _ = api
    _, headers = source
    answer = client.post("/api/v1/cases", data=raw(body("CT-1")),
                         headers={**headers, "Content-Type": "text/plain"})
    assert (answer.status_code, answer.mimetype) == (415, "application/problem+json")
