"""Production serving with gunicorn (`govwall serve`)."""
from __future__ import annotations

import sys

from dash import Dash
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from dashboard.metrics_dir import multiprocess_dir, worker_exited
from dashboard.settings import Settings
from dashboard.supervisor import Supervisor


def render_index_once(app: Dash) -> None:
    """Dash learns which component-suite files it may serve only while rendering its index
    page, in its first-request setup; until then it answers them 500 ("dash" is not a
    registered library). A worker whose first requests are for those files (the page came
    from another worker), or that takes them in threads while its setup runs, left the
    wall blank. Going through that setup and the index once, before serving, closes both.
    """
    with app.server.test_request_context("/wall"):
        # The guard (the first before-request hook) would redirect an anonymous /wall
        # before Dash's setup hook ran, so Dash's setup is called, not the hook chain.
        app._setup_server()
        app.index()


class _Arbiter(Arbiter):
    """gunicorn's master, also keeping `govwall background` running from its loop."""

    def __init__(self, app, background: Supervisor):
        self.background = background
        super().__init__(app)

    def manage_workers(self) -> None:
        super().manage_workers()
        self.background.keep()


class _Gunicorn(BaseApplication):
    def __init__(self, settings: Settings, options: dict):
        self.settings = settings
        self.options = options
        self.background = Supervisor()
        super().__init__()

    def run(self) -> None:
        try:
            _Arbiter(self, self.background).run()
        except RuntimeError as exc:  # what BaseApplication.run does with it
            print(f"\nError: {exc}\n", file=sys.stderr)
            sys.exit(1)
        finally:
            self.background.stop()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from dashboard.app import create_app

        # The refresher, pollers and detector run in the master's `govwall background`.
        app = create_app(self.settings, background_process=True)
        render_index_once(app)
        return app.server


def serve(settings: Settings, host: str, port: int, workers: int, access_log: bool) -> None:
    # Each worker builds its own app after the fork (no preload): connections are per process.
    # Errors go to standard error either way; the access log (a line per request, a wall
    # polls several times a second) only when asked for. The work that answers no request
    # runs in one more process, `govwall background`, that the master starts after its
    # workers and keeps running (dashboard/background.py says why; dashboard/supervisor.py).
    with multiprocess_dir():
        _Gunicorn(settings, {"bind": f"{host}:{port}", "workers": workers, "threads": 4,
                             "timeout": 60, "accesslog": "-" if access_log else None,
                             "child_exit": worker_exited}).run()
