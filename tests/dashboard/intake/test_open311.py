"""Open311 GeoReport v2 on the ingest path: services, a new request by form, the source's own
requests with date, status and paging filters, one by id; api_key is a source token."""
from __future__ import annotations

from datetime import timedelta

from tests.support.intake import INSIDE, NOW, OUTSIDE
from tests.support.tiny_territory import GRIDS


def test_services_list_govwalls_categories(api, source):
    client, _ = api
    _, headers = source
    key = headers["Authorization"][7:]
    services = client.get(f"/open311/v2/services.json?api_key={key}")
    assert services.status_code == 200
    by_code = {s["service_code"]: s for s in services.json}
    assert by_code["urban/street_light"]["service_name"] == "路灯故障"
    assert by_code["urban/street_light"]["group"] == "城市管理"
    assert len(by_code) == 32


def test_post_then_read_back_with_filters_and_paging(api, source):
    client, intake_api = api
    ref, headers = source
    key = headers["Authorization"][7:]
    lat, lon = INSIDE[GRIDS[7]]
    ids = []
    for i in range(3):
        answer = client.post("/open311/v2/requests.json", data={
            "api_key": key, "service_code": "urban/street_light", "lat": str(lat),
            "long": str(lon), "description": f"路灯不亮{i}\n第二行", "first_name": "小明"})
        assert answer.status_code == 201, answer.json
        ids.append(answer.json[0]["service_request_id"])
        intake_api.runtime.clock.advance(1)
    one = client.get(f"/open311/v2/requests/{ids[0]}.json?api_key={key}")
    assert one.status_code == 200
    [request] = one.json
    assert (request["status"], request["service_code"], request["description"],
            request["lat"], request["long"]) == ("open", "urban/street_light",
                                                 "路灯不亮0\n第二行", lat, lon)
    listed = client.get(f"/open311/v2/requests.json?api_key={key}")
    assert [r["service_request_id"] for r in listed.json] == ids[::-1]  # newest first
    page2 = client.get(f"/open311/v2/requests.json?api_key={key}&page=2&page_size=2")
    assert [r["service_request_id"] for r in page2.json] == [ids[0]]
    later = (NOW + timedelta(days=1)).isoformat()
    assert client.get("/open311/v2/requests.json", query_string={
        "api_key": key, "start_date": later, "end_date": later}).json == []
    assert client.get(f"/open311/v2/requests.json?api_key={key}&status=closed").json == []
    picked = client.get(f"/open311/v2/requests.json?api_key={key}"
                        f"&service_request_id={ids[1]},o311-nothing")
    assert [r["service_request_id"] for r in picked.json] == [ids[1]]


def test_open311_errors_are_the_specs_list(api, source):
    client, _ = api
    _, headers = source
    key = headers["Authorization"][7:]
    no_key = client.get("/open311/v2/services.json")
    assert no_key.status_code == 403 and no_key.json[0]["code"] == 403
    unknown = client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "nope"})
    assert unknown.status_code == 400 and "service_code" in unknown.json[0]["description"]
    away = client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "urban/street_light", "lat": str(OUTSIDE[0]),
        "long": str(OUTSIDE[1])})
    assert away.status_code == 400 and "outside the territory" in away.json[0]["description"]
    other = client.get(f"/open311/v2/requests/o311-0000.json?api_key={key}")
    assert other.status_code == 404
    bad = client.get(f"/open311/v2/requests.json?api_key={key}&start_date=yesterday")
    assert bad.status_code == 400
