"""/metrics in the Prometheus text format, and the timing of every request.

One process (`govwall demo`, tests): the default registry. Under `govwall serve` every
gunicorn worker writes its samples to PROMETHEUS_MULTIPROC_DIR (see dashboard/metrics_dir.py)
and whichever worker answers the scrape adds up all of them. The writers' lag and outages
are read from Redis at scrape time, so every worker reports the same.

/metrics needs no sign-in; it answers loopback clients only, unless GOVWALL_METRICS_PUBLIC.
"""
from __future__ import annotations

import ipaddress
import json
import logging
import os
import time
from collections.abc import Iterator

from dash import Dash
from flask import Response, g, request
from prometheus_client import REGISTRY, CollectorRegistry, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from redis.exceptions import RedisError

# Imported for its side effect: the panel metrics exist (and are listed) from the start.
import data_access.metrics  # noqa: F401
from dashboard.health import WRITER_ALIVE_SECONDS
from dashboard.metrics_dir import MULTIPROC_ENV
from dashboard.runtime import Runtime

CALLBACK_PATH = "/_dash-update-component"
# First match wins; a bounded set of label values whatever paths are asked for.
PATH_GROUPS = (
    (CALLBACK_PATH, "callback"),
    ("/wall", "wall"),
    ("/ops/export", "export"),
    ("/ops", "ops"),
    ("/login", "sign-in"),
    ("/logout", "sign-in"),
    ("/assets/", "static"),
    ("/_dash-component-suites/", "static"),
    ("/_dash-", "dash"),
    ("/healthz", "health"),
    ("/metrics", "metrics"),
)
UNKNOWN_CALLBACK = "unknown"

REQUEST_SECONDS = Histogram(
    "govwall_http_request_duration_seconds", "Time to answer a request, by path group.",
    ["group", "status"])
CALLBACK_SECONDS = Histogram(
    "govwall_callback_duration_seconds",
    "Time to answer a Dash callback, by its output ids (the app's own callbacks only).",
    ["callback"])
WORKERS = Gauge("govwall_workers", "Processes serving the app.", multiprocess_mode="livesum")

log = logging.getLogger(__name__)


def path_group(path: str) -> str:
    for prefix, group in PATH_GROUPS:
        if path == prefix.rstrip("/") or path.startswith(prefix):
            return group
    return "other"


def callback_label(output: str) -> str:
    """`..a.children...b.data..` (Dash's key of a callback) -> `a b`; a pattern-matching
    id is named by its type."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    ids = []
    for part in parts:
        raw = part.rsplit(".", 1)[0]
        ids.append(str(json.loads(raw).get("type", "")) if raw.startswith("{") else raw)
    return " ".join(ids)


class CallbackLabels:
    """Labels for the app's registered callbacks only: a forged output id falls under
    UNKNOWN_CALLBACK instead of creating a series."""

    def __init__(self, app: Dash):
        self._app = app
        self._labels: dict[str, str] = {}

    def __call__(self, body: object) -> str:
        output = body.get("output") if isinstance(body, dict) else None
        if not isinstance(output, str) or output not in self._app.callback_map:
            return UNKNOWN_CALLBACK
        if output not in self._labels:
            self._labels[output] = callback_label(output)
        return self._labels[output]


class WritersCollector(Collector):
    """Each writer's last report (counters.writer_status), read from Redis at scrape time."""

    def __init__(self, runtime: Runtime):
        self._runtime = runtime

    def collect(self) -> Iterator[GaugeMetricFamily]:
        readable = GaugeMetricFamily("govwall_writer_status_readable",
                                     "1 if the writers' reports could be read from Redis.")
        try:
            writers = self._runtime.counters.writers()
        except RedisError as exc:
            log.warning("writers' reports not read for /metrics: %s", exc.__class__.__name__)
            readable.add_metric([], 0)
            yield readable
            return
        readable.add_metric([], 1)
        yield readable
        now = self._runtime.clock().timestamp()
        age = GaugeMetricFamily("govwall_writer_report_age_seconds",
                                "Seconds since a writer last reported.", labels=["writer"])
        alive = GaugeMetricFamily("govwall_writer_alive",
                                  f"1 if a writer reported within {WRITER_ALIVE_SECONDS} s.",
                                  labels=["writer"])
        lag = GaugeMetricFamily("govwall_writer_lag_seconds",
                                "How far a writer is behind, as it last reported.",
                                labels=["writer"])
        outage = GaugeMetricFamily("govwall_writer_outage",
                                   "1 while a writer reports an outage.", labels=["writer"])
        for name, status in sorted(writers.items()):
            seconds = now - float(status.get("at", 0))
            age.add_metric([name], seconds)
            alive.add_metric([name], float(seconds < WRITER_ALIVE_SECONDS))
            outage.add_metric([name], float(bool(status.get("outage"))))
            if isinstance(status.get("lag_seconds"), int | float):
                lag.add_metric([name], float(status["lag_seconds"]))
        yield from (age, alive, lag, outage)


def _from_loopback() -> bool:
    # Behind a reverse proxy every client looks local: a forwarded request is never trusted.
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _registry(runtime: Runtime) -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROC_ENV):
        MultiProcessCollector(registry)
    else:
        registry.register(REGISTRY)
    registry.register(WritersCollector(runtime))
    return registry


def install(app: Dash, runtime: Runtime, *, public: bool) -> None:
    """/metrics, and every request timed (from before the sign-in guard)."""
    server = app.server
    labels = CallbackLabels(app)
    WORKERS.set(1)

    def started() -> None:
        g.govwall_started = time.perf_counter()

    def finished(response: Response) -> Response:
        seconds = time.perf_counter() - g.pop("govwall_started", time.perf_counter())
        group = path_group(request.path)
        REQUEST_SECONDS.labels(group, f"{response.status_code // 100}xx").observe(seconds)
        if group == "callback":
            CALLBACK_SECONDS.labels(labels(request.get_json(silent=True))).observe(seconds)
        return response

    def metrics() -> Response:
        if not (public or _from_loopback()):
            return Response("metrics are served to this host only (GOVWALL_METRICS_PUBLIC)",
                            403)
        return Response(generate_latest(_registry(runtime)), content_type=CONTENT_TYPE_LATEST,
                        headers={"Cache-Control": "no-store"})

    server.before_request_funcs.setdefault(None, []).insert(0, started)
    server.after_request(finished)
    server.add_url_rule("/metrics", "metrics", metrics)
