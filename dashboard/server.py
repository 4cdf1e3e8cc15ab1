"""Production serving with gunicorn (`govwall serve`)."""
from __future__ import annotations

from gunicorn.app.base import BaseApplication

from dashboard.settings import Settings


class _Gunicorn(BaseApplication):
    def __init__(self, settings: Settings, options: dict):
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from dashboard.app import create_app

        return create_app(self.settings).server


def serve(settings: Settings, host: str, port: int, workers: int, access_log: bool) -> None:
    # Each worker builds its own app after the fork (no preload): connections are per process.
    # Errors go to standard error either way; the access log (a line per request, a wall
    # polls several times a second) only when asked for.
    _Gunicorn(settings, {"bind": f"{host}:{port}", "workers": workers, "threads": 4,
                         "timeout": 60, "accesslog": "-" if access_log else None}).run()
