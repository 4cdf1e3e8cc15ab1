"""/intake: admins see each source's data quality today; others are refused."""
from __future__ import annotations

from tests.dashboard.intake.test_api import body
from tests.support.kiosk import add_people, sign_in

ORIGIN = {"Origin": "http://localhost"}


def quality_callback(lang: str = "zh") -> dict:
    return {"output": "intake-quality-body.children",
            "outputs": {"id": "intake-quality-body", "property": "children"},
            "inputs": [{"id": "intake-quality-tick", "property": "n_intervals", "value": 1}],
            "state": [{"id": "intake-quality-lang", "property": "data", "value": lang}],
            "changedPropIds": ["intake-quality-tick.n_intervals"]}


def cells(answer) -> dict[str, list[str]]:
    """The table's rows by source name, from the callback's JSON answer."""
    table = answer.json["response"]["intake-quality-body"]["children"]["props"]["children"][1]
    rows = table["props"]["children"][1]["props"]["children"]
    out = {}
    for row in rows:
        values = [td["props"]["children"] for td in row["props"]["children"]]
        out[values[0]] = values[1:]
    return out


def test_admins_see_the_figures_and_others_are_refused(api, source, api_backend):
    client, _ = api
    ref, headers = source
    add_people(api_backend.sessions)
    client.post("/api/v1/cases", json=body("Q-1"), headers=headers)
    client.post("/api/v1/cases", json=body("Q-2", grid_code=None, category="??"),
                headers=headers)
    client.post("/api/v1/cases", json=body("Q-3", grid_code=None, lat=32.05, lon=118.78),
                headers=headers)
    app = client.application
    admin = app.test_client()
    assert sign_in(admin, "admin").status_code == 302
    assert admin.get("/intake").status_code == 200
    answer = admin.post("/_dash-update-component", json=quality_callback(), headers=ORIGIN)
    assert answer.status_code == 200
    row = cells(answer)[ref.name]
    # state, received, rejected, unplaced, unknown codes; then the lag p50 and p95: reported
    # 30 minutes before NOW, received at the app's clock (NOW and the package's run so far)
    assert row[:5] == ["启用", "2", "1", "1", "1"]
    lags = [float(cell.removesuffix(" 分钟")) for cell in row[5:]]
    assert 30 <= lags[0] <= lags[1] < 40
    duty = app.test_client()
    assert sign_in(duty, "duty").status_code == 302
    assert duty.get("/intake").status_code == 403
    assert duty.post("/_dash-update-component", json=quality_callback(),
                     headers=ORIGIN).status_code == 403
    assert app.test_client().get("/intake").status_code == 302  # to /login
