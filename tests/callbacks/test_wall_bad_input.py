"""What a screen sends the wall's callbacks is checked: a bad request gets a 400 that names
the field, never a 500 (issue: a config store missing rows, measure or unit_px crashed)."""
from __future__ import annotations

import pytest

from tests.support.backends import open_backend

GOOD = {"lang": "zh", "rows": 7, "unit_px": 1.0, "measure": "open", "units": [None]}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from dashboard.app import create_app
    from dashboard.settings import Settings

    with open_backend("embedded", tmp_path_factory.mktemp("bad")) as backend:
        settings = Settings(env="test", database_url=backend.database_url,
                            redis_url=backend.redis_url, redis_namespace=backend.namespace,
                            region="320300", var_dir=tmp_path_factory.mktemp("var"),
                            auth_required=False)
        app = create_app(settings, refresher=False)
        yield app.server.test_client()
        app.server.config["GOVWALL_RUNTIME"].close()


def queue_request(config, unit="320300", request=None) -> dict:
    outputs = [("wall-queue-body", "children"), ("wall-queue-status", "children"),
               ("wall-queue-tile", "className"), ("wall-queue-state", "data")]
    return {
        "output": ".." + "...".join(f"{i}.{p}" for i, p in outputs) + "..",
        "outputs": [{"id": i, "property": p} for i, p in outputs],
        "inputs": [{"id": "wall-queue-request", "property": "data",
                    "value": request if request is not None else {"seq": 1, "at": 0}},
                   {"id": "wall-unit", "property": "data", "value": unit}],
        "state": [{"id": "wall-config", "property": "data", "value": config},
                  {"id": "wall-queue-state", "property": "data", "value": None}],
        "changedPropIds": ["wall-queue-request.data"],
    }


@pytest.mark.parametrize(("config", "unit", "request_", "named"), [
    ({k: v for k, v in GOOD.items() if k != "rows"}, "320300", None, "rows"),
    ({k: v for k, v in GOOD.items() if k != "measure"}, "320300", None, "measure"),
    ({k: v for k, v in GOOD.items() if k != "unit_px"}, "320300", None, "unit_px"),
    ({**GOOD, "lang": "fr"}, "320300", None, "lang"),
    ({**GOOD, "rows": "x"}, "320300", None, "rows"),
    ({**GOOD, "alert_rows": "x"}, "320300", None, "alert_rows"),
    ({**GOOD, "ranked_rows": 10 ** 9}, "320300", None, "ranked_rows"),
    ("a string", "320300", None, "wall-config"),
    (GOOD, ["320300"], None, "wall-unit"),
    (GOOD, "320300", "seq", "wall-queue-request"),
])
def test_a_bad_request_is_a_400_naming_the_field(client, config, unit, request_, named):
    response = client.post("/_dash-update-component",
                           json=queue_request(config, unit, request_),
                           headers={"Origin": "http://localhost"})
    assert response.status_code == 400
    assert named in response.get_data(as_text=True)


def test_a_good_request_is_answered(client):
    response = client.post("/_dash-update-component", json=queue_request(GOOD),
                           headers={"Origin": "http://localhost"})
    assert response.status_code == 200
    state = response.get_json()["response"]["wall-queue-state"]["data"]
    assert state["seq"] == 1 and state["ok"] is None  # waiting: nothing computed yet
