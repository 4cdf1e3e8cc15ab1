"""A wall screen over plain HTTP, for tests that run the server as a process: a cookie
jar per screen, and the alerts panel's callback request."""
from __future__ import annotations

import json
import urllib.request
from http.cookiejar import CookieJar

CONFIG = {"lang": "zh", "rows": 7, "unit_px": 1.0, "measure": "patrol", "measures": ["patrol"],
          "units": [None]}


def new_screen() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))


def alerts_request(deps: list[dict], unit: str, seq: int = 1) -> dict:
    """The body of the alerts panel's refresh for `unit`, from /_dash-dependencies: the
    screen's `seq`-th ask (the tile's request store changed)."""
    spec = next(d for d in deps if "wall-alerts-body.children" in d["output"])
    values = {"wall-alerts-request": {"seq": seq, "at": 0}, "wall-unit": unit,
              "wall-config": CONFIG}
    return {
        "output": spec["output"],
        "outputs": [{"id": o.split(".")[0], "property": o.split(".")[1]}
                    for o in spec["output"].strip(".").split("...")],
        "inputs": [{**i, "value": values.get(i["id"])} for i in spec["inputs"]],
        "state": [{**s, "value": values.get(s["id"])} for s in spec["state"]],
        "changedPropIds": ["wall-alerts-request.data"],
    }


def refresh_alerts(opener: urllib.request.OpenerDirector, base: str, unit: str,
                   seq: int = 1, deps: list[dict] | None = None) -> dict:
    """One refresh of the alerts panel, as the screen's browser sends it; the answer."""
    if deps is None:
        deps = json.loads(opener.open(f"{base}/_dash-dependencies", timeout=60).read())
    request = urllib.request.Request(
        f"{base}/_dash-update-component",
        data=json.dumps(alerts_request(deps, unit, seq)).encode(),
        headers={"Content-Type": "application/json", "Origin": base})
    return json.loads(opener.open(request, timeout=60).read())


def alerts_state(answer: dict) -> dict:
    return answer["response"]["wall-alerts-state"]["data"]
