"""Wall screens replayed over HTTP the way a browser runs /wall (Dash 4's renderer and
assets/wall.js), with nothing of the product imported: what the server sees is what screens
send.

A screen is one browser profile (its own cookie session, up to six keep-alive connections,
gzip accepted). It opens /wall?kiosk=TOKEN, fetches the app's layout and callback list, asks
for the page's content (Dash pages: a callback on the location), then fires the callbacks
the page starts with. From then on, on each tick of the wall's 1-second clock, it runs
wall.js's `gate` for every tile: a tile asks (its request store gets {"seq", "at"}) when its
previous answer is in (the tile state echoes `seq`) and REFRESH seconds have passed since it
asked (2 s while it has no data); a lost answer is asked again after 30 s. The map's measure
rotates as the page's interval does. Every exchange is recorded.
"""
from __future__ import annotations

import gzip
import http.client
import json
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

TICK_SECONDS = 1.0  # the wall's clock interval, which runs the gate
FIRST_ASK_SECONDS = 0.5  # wall.js FIRST_ASK_MS
IN_FLIGHT_SECONDS = 30.0  # wall.js IN_FLIGHT_MS: an answer not in by then is asked again
CONNECTIONS = 6  # a browser's connections per host
# What a reused keep-alive connection raises when the server closed it meanwhile.
STALE_CONNECTION = (http.client.RemoteDisconnected, http.client.CannotSendRequest,
                    ConnectionResetError, BrokenPipeError)
GEOMETRY = re.compile(r'"(/wall/geo/[^"]+\.json)"')
CALLBACK = "/_dash-update-component"
PANELS = ("kpis", "queue", "alerts", "coverage", "disputes", "mix")
MEASURE = "wall-coverage-measure"


@dataclass(frozen=True)
class Exchange:
    screen: int
    what: str  # a panel, or the page's other requests ("page", "layout", "geometry", ...)
    sent: float  # epoch seconds
    done: float
    up: int  # request body bytes
    down: int  # response body bytes as received (gzip when the server compressed)
    status: int  # HTTP status, 0 when no answer came (timeout, refused)
    warm: bool = False  # the tile already had data when it asked


class Browser:
    """One browser profile: its cookies and its keep-alive connections to one server."""

    def __init__(self, port: int):
        self.port = port
        self.origin = f"http://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}
        self.idle: list[http.client.HTTPConnection] = []
        self.lock = threading.Lock()

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        with self.lock:
            if self.idle:
                return self.idle.pop(), True
        return http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=IN_FLIGHT_SECONDS), False

    def fetch(self, method: str, path: str, body: bytes | None = None
              ) -> tuple[int, int, Any]:
        """Status, body bytes as received, and the body decoded (JSON when it is)."""
        headers = {"Accept-Encoding": "gzip", "Accept": "application/json"}
        if body is not None:
            headers |= {"Content-Type": "application/json", "Origin": self.origin}
        with self.lock:
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        while True:
            conn, reused = self._connection()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                raw = response.read()
                break
            except STALE_CONNECTION:
                conn.close()
                if not reused:
                    raise
        self._keep(conn, response)
        data = gzip.decompress(raw) if response.getheader("Content-Encoding") == "gzip" \
            else raw
        kind = response.getheader("Content-Type") or ""
        decoded = json.loads(data) if data and "json" in kind else data
        return response.status, len(raw), decoded

    def _keep(self, conn: http.client.HTTPConnection,
              response: http.client.HTTPResponse) -> None:
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            with self.lock:
                self.cookies[name.strip()] = value.strip()
        with self.lock:
            if response.will_close or len(self.idle) >= CONNECTIONS:
                conn.close()
            else:
                self.idle.append(conn)

    def close(self) -> None:
        with self.lock:
            for conn in self.idle:
                conn.close()
            self.idle.clear()


def _props(tree: Any, into: dict[tuple[str, str], Any]) -> None:
    """Every (id, property) → value of a Dash component tree (string ids only)."""
    if isinstance(tree, list):
        for item in tree:
            _props(item, into)
    elif isinstance(tree, dict) and "props" in tree and "type" in tree:
        props = tree["props"]
        ident = props.get("id")
        for name, value in props.items():
            if isinstance(ident, str):
                into[(ident, name)] = value
            _props(value, into)


def _split(output: str) -> dict[str, str]:
    ident, _, prop = output.rpartition(".")
    return {"id": ident, "property": prop}


def callback_body(dep: dict, props: dict[tuple[str, str], Any],
                  changed: list[str]) -> dict:
    """The POST Dash's renderer sends for callback `dep` with the page's current props."""
    output = dep["output"]
    outputs: Any = [_split(o) for o in output.strip(".").split("...")] \
        if output.startswith("..") else _split(output)

    def valued(items: list[dict]) -> list[dict]:
        return [{**i, "value": props.get((i["id"], i["property"]))} for i in items]

    return {"output": output, "outputs": outputs, "inputs": valued(dep["inputs"]),
            "state": valued(dep["state"]), "changedPropIds": changed}


def _output_ids(dep: dict) -> list[str]:
    return [_split(o)["id"] for o in dep["output"].strip(".").split("...")]


@dataclass
class Lane:
    """One tile: the callback that answers it and when its data first came."""

    panel: str
    dep: dict
    measure_pending: bool = False
    busy: bool = False
    first_data: float | None = None


@dataclass
class Screen:
    number: int
    port: int
    kiosk: str
    pool: Executor
    record: Callable[[Exchange], None]
    browser: Browser = field(init=False)
    props: dict[tuple[str, str], Any] = field(default_factory=dict)
    lanes: dict[str, Lane] = field(default_factory=dict)
    opened: float = 0.0
    loaded: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    _geometry_fetched: bool = False
    thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.browser = Browser(self.port)

    # -- HTTP, recorded ------------------------------------------------------------------

    def _exchange(self, what: str, method: str, path: str, body: dict | None = None,
                  warm: bool = False) -> Any:
        payload = json.dumps(body).encode() if body is not None else None
        sent = time.time()
        try:
            status, down, data = self.browser.fetch(method, path, payload)
        except OSError:
            status, down, data = 0, 0, None
        self.record(Exchange(self.number, what, sent, time.time(),
                             len(payload or b""), down, status, warm))
        return data if status == 200 else None

    def _callback(self, what: str, dep: dict, changed: list[str], warm: bool = False) -> None:
        with self.lock:
            body = callback_body(dep, self.props, changed)
        data = self._exchange(what, "POST", CALLBACK, body, warm)
        if isinstance(data, dict):
            with self.lock:
                for ident, values in (data.get("response") or {}).items():
                    for prop, value in values.items():
                        self.props[(ident, prop)] = value

    # -- opening the page -----------------------------------------------------------------

    def open(self, deps: list[dict] | None = None) -> None:
        """Load /wall as a browser does and start its tick; returns once the page's first
        callbacks are sent (their answers arrive on the pool)."""
        self.opened = time.time()
        if self._exchange("page", "GET", f"/wall?kiosk={quote(self.kiosk)}") is None:
            raise RuntimeError(f"screen {self.number}: /wall?kiosk= was refused")
        _props(self._exchange("layout", "GET", "/_dash-layout"), self.props)
        deps = self._exchange("dependencies", "GET", "/_dash-dependencies")
        if not isinstance(deps, list):
            raise RuntimeError(f"screen {self.number}: no callback list")
        server_side = [d for d in deps if not d.get("clientside_function")]
        router = next(d for d in server_side if "_pages_content.children" in d["output"])
        self.props[("_pages_location", "pathname")] = "/wall"
        self.props[("_pages_location", "search")] = f"?kiosk={quote(self.kiosk)}"
        self._callback("content", router, ["_pages_location.pathname"])
        content = self.props.get(("_pages_content", "children"))
        _props(content, self.props)
        if ("wall-config", "data") not in self.props:
            raise RuntimeError(f"screen {self.number}: the page has no wall-config")
        present = {ident for ident, _prop in self.props}
        for panel in PANELS:
            request = f"wall-{panel}-request"
            dep = next(d for d in server_side
                       if any(i["id"] == request for i in d["inputs"]))
            self.lanes[panel] = Lane(panel, dep)
        self.loaded = time.time()
        # The callbacks a freshly inserted page starts with: every server callback whose
        # inputs and outputs are all on the page (the tiles' first asks among them).
        for dep in server_side:
            if dep.get("prevent_initial_call") or dep is router:
                continue
            if not all(i["id"] in present for i in dep["inputs"]) or \
                    not all(o in present for o in _output_ids(dep)):
                continue
            lane = next((ln for ln in self.lanes.values() if ln.dep is dep), None)
            if lane is None:
                self.pool.submit(self._callback, "page-callback", dep, [])
            else:
                lane.busy = True
                self.pool.submit(self._ask, lane, [])
        self.thread = threading.Thread(target=self._run, name=f"screen-{self.number}",
                                       daemon=True)
        self.thread.start()

    # -- the tick: wall.js gate and the map's measure rotation ----------------------------

    def _run(self) -> None:
        config = self.props[("wall-config", "data")]
        measures = config.get("measures") or [config.get("measure")]
        measure_every = float(config.get("measure_every", 20))
        tick, turns = 1, 0
        while not self.stop.wait(max(0.0, self.loaded + tick * TICK_SECONDS - time.time())):
            tick += 1
            now = time.time()
            if len(measures) > 1 and now - self.loaded >= (turns + 1) * measure_every:
                turns += 1
                self._rotate_measure(measures[turns % len(measures)])
            for lane in self.lanes.values():
                self._gate(lane, config, now)

    def _gate(self, lane: Lane, config: dict, now: float) -> None:
        request = f"wall-{lane.panel}-request"
        with self.lock:
            asked = self.props.get((request, "data")) or {"seq": 0, "at": 0}
            state = self.props.get((f"wall-{lane.panel}-state", "data")) or {}
            asked_at = asked["at"] / 1000 if asked.get("at") else self.loaded
            seq = state.get("seq")
            answered = (-1 if seq is None else seq) >= asked["seq"]
            if not answered and now - asked_at < IN_FLIGHT_SECONDS:
                return
            every = float(config["refresh"].get(lane.panel, 5)) if state.get("asof") \
                else FIRST_ASK_SECONDS
            if answered and now - asked_at < every:
                return
            if lane.busy:  # the measure's own ask is out; the gate's goes after it
                return
            self.props[(request, "data")] = {"seq": asked["seq"] + 1, "at": int(now * 1000)}
            lane.busy = True
        self.pool.submit(self._ask, lane, [f"{request}.data"])

    def _rotate_measure(self, measure: str) -> None:
        with self.lock:
            if self.props.get((MEASURE, "data")) == measure:
                return
            self.props[(MEASURE, "data")] = measure
            lane = self.lanes["coverage"]
            if lane.busy:
                lane.measure_pending = True
                return
            lane.busy = True
        self.pool.submit(self._ask, lane, [f"{MEASURE}.data"])

    def _ask(self, lane: Lane, changed: list[str]) -> None:
        while True:
            warm = self.has_data(lane.panel)
            self._callback(lane.panel, lane.dep, changed, warm)
            if lane.first_data is None and self.has_data(lane.panel):
                lane.first_data = time.time()
            if lane.panel == "coverage":
                self._fetch_geometry()
            with self.lock:
                if not lane.measure_pending or self.stop.is_set():
                    lane.busy = False
                    return
                lane.measure_pending = False
            changed = [f"{MEASURE}.data"]

    def _fetch_geometry(self) -> None:
        """Once per browser (then cached for an hour): the boundaries the map points to."""
        if self._geometry_fetched:
            return
        with self.lock:
            figure = self.props.get(("wall-coverage-graph", "figure"))
        if not figure:
            return
        self._geometry_fetched = True
        for url in sorted(set(GEOMETRY.findall(json.dumps(figure)))):
            self._exchange("geometry", "GET", url)

    # -- what the screen shows ------------------------------------------------------------

    def state(self, panel: str) -> dict:
        with self.lock:
            return self.props.get((f"wall-{panel}-state", "data")) or {}

    def has_data(self, panel: str) -> bool:
        return self.state(panel).get("asof") is not None

    def all_data_at(self) -> float | None:
        """When the last tile got its first data (epoch seconds), or None if some has none."""
        firsts = [lane.first_data for lane in self.lanes.values()]
        return None if not firsts or None in firsts else max(firsts)

    def ages(self, now: float) -> dict[str, float] | None:
        """Each tile's data age (now − state.asof: its oldest input's); None while a tile has
        no data."""
        ages = {}
        for panel in PANELS:
            asof = self.state(panel).get("asof")
            if asof is None:
                return None
            ages[panel] = now - asof
        return ages

    def close(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join()
        self.browser.close()
