"""The app factory: Flask + Dash, pages, callbacks, the shared response cache.

Nothing happens at import time; `create_app(settings)` opens the services it needs.
"""
from __future__ import annotations

from pathlib import Path

import dash
from dash import Dash
from flask import Flask
from flask_caching import Cache

from dashboard.runtime import Runtime, open_runtime
from dashboard.sessions import session_limits
from dashboard.settings import Settings

REFRESHER = "govwall_wall_refresher"
ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"


def make_cache(server: Flask, runtime: Runtime) -> Cache:
    """One response cache shared by every worker and host: it lives in the same Redis."""
    cache = Cache()
    cache.init_app(server, config={
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_URL": runtime.redis_url,
        "CACHE_KEY_PREFIX": f"{runtime.settings.redis_namespace}:v1:cache:",
        "CACHE_DEFAULT_TIMEOUT": 300,
    })
    return cache


def create_app(settings: Settings, runtime: Runtime | None = None, *,
               refresher: bool = True) -> Dash:
    """The app; with `refresher`, a thread that keeps the wall's inputs computed (tests that
    drive the refresher themselves turn it off)."""
    runtime = runtime or open_runtime(settings)
    server = Flask("govwall")
    server.config["SECRET_KEY"] = settings.secret_key
    server.config["GOVWALL_RUNTIME"] = runtime
    cache = make_cache(server, runtime)

    from dashboard import (
        auth,
        briefing_files,
        export,
        health,
        intake_api,
        metrics_routes,
        open311,
    )

    export.add_routes(server, runtime)
    briefing_files.add_routes(server, runtime)
    health.install(server, runtime)
    server.extensions["govwall_intake_api"] = api = intake_api.install(server, runtime)
    open311.install(server, api)

    app = Dash(
        "govwall",
        server=server,
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS_DIR),
        compress=True,
        suppress_callback_exceptions=True,
        title="govwall",
        update_title=None,
    )
    app.enable_dev_tools(dev_tools_disable_version_check=True, debug=False)
    auth.install(app, runtime, required=settings.auth_required,
                 limits=session_limits(settings), cookie_secure=settings.cookie_secure)
    metrics_routes.install(app, runtime, public=settings.metrics_public)

    from callbacks import register_all, wall_refresher
    from data_access.wall_refresher import start
    from layouts import pages

    pages.register(dash.register_page)
    bound = register_all(app, runtime, cache)
    if refresher:
        server.extensions[REFRESHER] = keeper = wall_refresher(bound)
        thread, stop = start(keeper)
        runtime.on_close.append(lambda: (stop.set(), thread.join(timeout=10)))
        health.checks(server).add("wall_panels", lambda: health.panels_outcome(keeper))
        runtime.on_close.extend(intake_api.start_pollers(runtime))
        if settings.warning_every_minutes:
            detector = warning_detector(runtime).start()
            runtime.on_close.append(lambda: (detector.stop(),
                                             detector.thread.join(timeout=10)))
    return app


def warning_detector(runtime: Runtime):
    """The early-warning detector thread: every GOVWALL_WARNING_EVERY_MINUTES, in whichever
    process of the cluster finds the last run that old first (under a Redis lock)."""
    from data_access.warnings import surges
    from data_access.warnings.detect import DetectConfig, DetectorThread, run_if_due

    settings = runtime.settings
    every = settings.warning_every_minutes * 60
    config = DetectConfig(surge=surges.configured(settings.warning_budget,
                                                  settings.warning_cusum_share))
    # Not forced at a process's start: every worker of `serve` would run the whole detection
    # (a minute of CPU on a city) in turn; `seed --replace` forgets the last run instead.
    return DetectorThread(lambda _first: run_if_due(
        runtime.sessions, runtime.redis, settings.redis_namespace, settings.region,
        settings.zone, runtime.clock(), settings.caller_secret, every, config),
        every=min(every, 60))
