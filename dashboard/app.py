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
REFRESHERS = "govwall_wall_refreshers"  # every refresher thread of this process
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
               refresher: bool = True, background_process: bool = False) -> Dash:
    """The app; with `refresher`, threads that keep the wall's inputs computed, poll the
    staging tables and detect warnings (dashboard/background.py; tests that drive the
    refresher themselves turn it off) — or, with `background_process`, none: a process of
    their own does that work (`govwall serve`'s web workers), and /healthz reads the ages
    of what it computes."""
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

    from callbacks import register_all
    from layouts import pages

    pages.register(dash.register_page)
    bound = register_all(app, runtime, cache)
    if refresher:
        from dashboard.background import passive_refresher, start_background

        if background_process:
            keepers = [passive_refresher(runtime, bound.snapshots)]
        else:
            keepers = start_background(runtime, bound.snapshots)
        server.extensions[REFRESHER] = keeper = keepers[0]
        server.extensions[REFRESHERS] = keepers
        health.checks(server).add("wall_panels", lambda: health.panels_outcome(keeper))
    return app
