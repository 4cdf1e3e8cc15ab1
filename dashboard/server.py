"""Production serving with gunicorn (`govwall serve`)."""
from __future__ import annotations

from gunicorn.app.base import BaseApplication

from dashboard.metrics_dir import multiprocess_dir, worker_exited
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


def serve(settings: Settings, host: str, port: int, workers: int) -> None:
    # Each worker builds its own app after the fork (no preload): connections are per process.
    with multiprocess_dir():
        _Gunicorn(settings, {"bind": f"{host}:{port}", "workers": workers, "threads": 4,
                             "timeout": 60, "accesslog": "-",
                             "child_exit": worker_exited}).run()
