"""/healthz: whether this process can serve — the database and Redis answer — and how the
writers are doing. No sign-in and no case data; the answer comes within CHECK_TIMEOUT_SECONDS
whatever the services do.

The checks are a small registry of named functions, each returning an Outcome (ok + detail).
The answer is 503 when a critical check fails, 200 otherwise. Another check is one line:
`health.checks(app.server).add("wall_panels", oldest_panel_check, critical=False)`.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask, jsonify

from dashboard.runtime import Runtime
from data_access.counters import Counters
from data_access.db import ping, probe_engine
from data_access.wall_refresher import WallRefresher, oldest_inputs

CHECK_TIMEOUT_SECONDS = 2.0
# A writer reports at least this often while it runs (counters.writer_status).
WRITER_ALIVE_SECONDS = 60
EXTENSION = "govwall_health"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)


Check = Callable[[], Outcome]


class _Run:
    """One run of a check in a daemon thread: a check that hangs holds only its own thread
    (never the request, never the process's exit), and is not started again until it ends."""

    def __init__(self, name: str, check: Check):
        self.done = threading.Event()
        self.outcome = Outcome(False)
        threading.Thread(target=self._run, args=(name, check), daemon=True,
                         name=f"healthz-{name}").start()

    def _run(self, name: str, check: Check) -> None:
        try:
            self.outcome = check()
        except Exception as exc:  # whatever a service raises, the check has failed
            log.warning("health check %s failed: %r", name, exc)
            # The class only: the answer is public and must not show hosts or credentials.
            self.outcome = Outcome(False, {"error": exc.__class__.__name__})
        finally:
            self.done.set()


class HealthChecks:
    def __init__(self, timeout: float = CHECK_TIMEOUT_SECONDS):
        self.timeout = timeout
        self._checks: dict[str, tuple[Check, bool]] = {}
        self._runs: dict[str, _Run] = {}
        self._lock = threading.Lock()

    def add(self, name: str, check: Check, *, critical: bool = True) -> None:
        """A named check; a failed critical one makes /healthz answer 503."""
        self._checks[name] = (check, critical)

    def run(self) -> tuple[bool, dict[str, dict[str, Any]]]:
        """Every check at once, each waited for until the common deadline."""
        deadline = time.monotonic() + self.timeout
        with self._lock:
            for name, (check, _critical) in self._checks.items():
                if name not in self._runs or self._runs[name].done.is_set():
                    self._runs[name] = _Run(name, check)
            runs = dict(self._runs)
        healthy = True
        report: dict[str, dict[str, Any]] = {}
        for name, (_check, critical) in self._checks.items():
            run = runs[name]
            if run.done.wait(max(0.0, deadline - time.monotonic())):
                outcome = run.outcome
            else:
                outcome = Outcome(False, {"error": f"no answer within {self.timeout:g} s"})
            healthy = healthy and (outcome.ok or not critical)
            report[name] = {"ok": outcome.ok, "critical": critical, **outcome.detail}
        return healthy, report


def _timed(probe: Callable[[], object]) -> Outcome:
    started = time.perf_counter()
    probe()
    return Outcome(True, {"latency_ms": round((time.perf_counter() - started) * 1000, 1)})


def writers_outcome(counters: Counters, now: datetime) -> Outcome:
    """Every writer's last report (counters.writer_status); alive if under a minute old."""
    writers = {}
    for name, status in counters.writers().items():
        age = now.timestamp() - float(status.get("at", 0))
        writers[name] = {"alive": age < WRITER_ALIVE_SECONDS, "age_seconds": round(age, 1),
                         **{k: v for k, v in status.items() if k != "at"}}
    return Outcome(all(w["alive"] for w in writers.values()), {"writers": writers})


def panels_outcome(refresher: WallRefresher) -> Outcome:
    """The wall's inputs over the views in use: failed when one is past its stale age (the
    refresher is dead or cannot reach the database), with each input's oldest age."""
    inputs = oldest_inputs(refresher)
    return Outcome(not any(i["stale"] for i in inputs.values()), {"inputs": inputs})


def install(server: Flask, runtime: Runtime) -> HealthChecks:
    """/healthz with the database, Redis and writers checks."""
    probe = probe_engine(runtime.settings.effective_database_url, CHECK_TIMEOUT_SECONDS)
    registry = HealthChecks()
    registry.add("database", lambda: _timed(lambda: ping(probe)))
    registry.add("redis", lambda: _timed(runtime.redis.ping))
    registry.add("writers", lambda: writers_outcome(runtime.counters, runtime.clock()),
                 critical=False)
    server.extensions[EXTENSION] = registry

    def healthz():
        healthy, report = registry.run()
        response = jsonify(status="ok" if healthy else "unavailable", checks=report)
        response.status_code = 200 if healthy else 503
        response.headers["Cache-Control"] = "no-store"
        return response

    server.add_url_rule("/healthz", "healthz", healthz)
    return registry


def checks(server: Flask) -> HealthChecks:
    """The app's health checks, to add one."""
    return server.extensions[EXTENSION]
