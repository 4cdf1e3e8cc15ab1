"""The work that answers no request — the wall's refresher, the staging-table pollers, the
early-warning detector — and, under `govwall serve`, the process of its own it runs in.

Under `serve` it used to run as threads in every web worker (one at a time under Redis
locks). A thread shares its worker's GIL with the request threads, and those wait for it
after every database round trip and behind every long C call that holds it (a fetch of
thousands of rows, a pandas step). py-spy --gil on a worker during the intake bench (3 Dec,
13:20 UTC) found the refresher holding the GIL in 82 % of the samples where anyone held it
(its alert board: the deadline state of every open case), and the detector's minute of CPU
a run would stall a worker the same way. In a process of its own, it shares the cores with
the workers through the operating system's scheduler instead, and the workers only answer.

`govwall serve`'s master starts `govwall background`, starts it again if it ends (a crash,
a kill: the wall would otherwise go stale), and stops it on shutdown
(dashboard/supervisor.py). The web workers then only read the snapshots it writes (their
/healthz reads the same ages).
`govwall demo` and a bare `create_app` keep the threads in their one process.
"""
from __future__ import annotations

import logging
import os
import signal
import threading

from flask import Flask

from dashboard.runtime import Runtime, open_runtime
from dashboard.settings import Settings
from data_access.snapshots import SnapshotStore
from data_access.wall_refresher import FAST_LANE_SECONDS, WallRefresher, start

log = logging.getLogger(__name__)

# Refreshers walking the views side by side (each input under its own Redis lock, so never
# twice at once), and a fast lane for what a writer nudged (the queue after an ingest):
# with one refresher the queue waited behind a slow input (a city's alert board over
# ~100 k open cases took seconds): commit-to-wall p95 15.7 s after the API phases
# (3 December 14:35 UTC); with two and no fast lane, 6.0 s (14:39).
REFRESHER_THREADS = 2


def passive_refresher(runtime: Runtime, snapshots: SnapshotStore,
                      **options) -> WallRefresher:
    """A refresher of this runtime, not started (what /healthz reads the inputs' ages
    through; start_background starts its own). `options`: WallRefresher's keywords."""
    settings = runtime.settings
    return WallRefresher(runtime.sessions, runtime.counters, snapshots, settings.region,
                         settings.zone, runtime.clock, **options)


def start_background(runtime: Runtime, snapshots: SnapshotStore) -> list[WallRefresher]:
    """Start the refreshers, the pollers and (when configured) the detector as threads of
    this process; their stoppers go on runtime.on_close. Returns the refreshers (they share
    the store: /healthz reads the ages through the first)."""
    from dashboard import intake_api

    keepers = [passive_refresher(runtime, snapshots) for _ in range(REFRESHER_THREADS)]
    keepers.append(passive_refresher(runtime, snapshots, nudged_only=True,
                                     pass_seconds=FAST_LANE_SECONDS))  # the fast lane
    for keeper in keepers:
        thread, stop = start(keeper)
        runtime.on_close.append(lambda s=stop, t=thread: (s.set(), t.join(timeout=10)))
    runtime.on_close.extend(intake_api.start_pollers(runtime))
    if runtime.settings.warning_every_minutes:
        detector = warning_detector(runtime).start()
        runtime.on_close.append(lambda: (detector.stop(), detector.thread.join(timeout=10)))
    return keepers


def warning_detector(runtime: Runtime):
    """The early-warning detector thread: every GOVWALL_WARNING_EVERY_MINUTES, in whichever
    process of the cluster finds the last run that old first (under a Redis lock)."""
    from data_access.warnings import surges
    from data_access.warnings.detect import DetectConfig, DetectorThread, run_if_due

    settings = runtime.settings
    every = settings.warning_every_minutes * 60
    config = DetectConfig(surge=surges.configured(settings.warning_budget,
                                                  settings.warning_cusum_share))
    # Not forced at a process's start: every process would run the whole detection (a
    # minute of CPU on a city) in turn; `seed --replace` forgets the last run instead.
    return DetectorThread(lambda _first: run_if_due(
        runtime.sessions, runtime.redis, settings.redis_namespace, settings.region,
        settings.zone, runtime.clock(), settings.caller_secret, every, config),
        every=min(every, 60))


def run(settings: Settings) -> int:
    """`govwall background`: the threads above until SIGTERM or SIGINT."""
    from dashboard.app import make_cache

    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s [background %(process)d] %(levelname)s %(name)s: "
                        "%(message)s")
    # Before anything starts: a stop that comes while the runtime opens (the master's
    # shutdown) still ends it through runtime.close().
    done = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: done.set())
    runtime = open_runtime(settings)
    try:
        server = Flask("govwall-background")
        snapshots = SnapshotStore(make_cache(server, runtime), runtime.redis,
                                  settings.redis_namespace, settings.region)
        start_background(runtime, snapshots)
        log.info("background: refresher, pollers and detector running (pid %s)",
                 os.getpid())
        done.wait()
    finally:
        runtime.close()
    return 0
