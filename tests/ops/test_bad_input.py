"""The probes of issue 9 that answered 500: each is now a 4xx naming what is wrong (or, for a
case id no case can have, simply no case) — never a crash, and nothing is written."""
from __future__ import annotations

import pytest

ORIGIN = {"Origin": "http://localhost"}


def body(app, output: str, values: dict) -> dict:
    """A callback request shaped as the app registered it, with these input/state values."""
    key, spec = next((k, s) for k, s in app.callback_map.items() if output in k)
    return {
        "output": key,
        "outputs": {"id": key.split(".")[0], "property": key.split(".")[1]},
        "inputs": [{**i, "value": values.get(f"{i['id']}.{i['property']}")}
                   for i in spec["inputs"]],
        "state": [{**s, "value": values.get(f"{s['id']}.{s['property']}")}
                  for s in spec["state"]],
        "changedPropIds": [f"{spec['inputs'][0]['id']}.{spec['inputs'][0]['property']}"],
    }


@pytest.mark.parametrize(("query", "named"), [
    ("q=%00", "NUL"), ("from=9999-12-31", "from"), ("from=0001-01-01&to=0001-01-02", "from"),
    ("period=week", "period"), ("unit=abc", "unit")])
def test_a_bad_export_filter_is_a_400_naming_it(admin, query, named):
    _app, client = admin
    response = client.get(f"/ops/export.csv?{query}")
    assert response.status_code == 400 and named in response.get_data(as_text=True)


@pytest.mark.parametrize("request_", [{"startRow": "x", "endRow": 100},
                                      {"startRow": 0, "endRow": 10**9},
                                      {"startRow": 0, "endRow": 100, "sortModel": "x"},
                                      "not an object"])
def test_a_bad_grid_request_is_a_400(admin, request_):
    app, client = admin
    payload = body(app, "getRowsResponse", {"ops-cases.getRowsRequest": request_,
                                            "ops-filter.data": {"unit": "320303"},
                                            "ops-lang.data": "zh"})
    response = client.post("/_dash-update-component", json=payload, headers=ORIGIN)
    assert response.status_code == 400 and "ops-cases" in response.get_data(as_text=True)


@pytest.mark.parametrize("ops_filter", ["320303", {"q": ["路灯"]}, {"unit": 320303}])
def test_a_filter_store_of_the_wrong_shape_counts_nothing(admin, ops_filter):
    app, client = admin
    payload = body(app, "getRowsResponse", {"ops-cases.getRowsRequest":
                                            {"startRow": 0, "endRow": 100},
                                            "ops-filter.data": ops_filter,
                                            "ops-lang.data": "zh"})
    response = client.post("/_dash-update-component", json=payload, headers=ORIGIN)
    assert response.status_code == 200
    answer = response.get_json()["response"]["ops-cases"]["getRowsResponse"]
    assert answer == {"rowData": [], "rowCount": 0}


def test_a_case_id_no_case_can_have_opens_no_case(admin):
    app, client = admin
    payload = body(app, "ops-detail.children", {"ops-case-id.data": 10**30,
                                                "ops-action-version.data": 0,
                                                "ops-lang.data": "zh"})
    response = client.post("/_dash-update-component", json=payload, headers=ORIGIN)
    assert response.status_code in (200, 204)
