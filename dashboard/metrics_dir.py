"""prometheus-client's multiprocess mode for `govwall serve`.

The mode is chosen when prometheus_client is first imported, so PROMETHEUS_MULTIPROC_DIR is
set in the gunicorn master before the workers fork and import the app (nothing the master
imports loads prometheus_client). The directory is fresh and private to this run — samples
of an earlier run would be added to this one's — and removed when the server stops.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def multiprocess_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="govwall-metrics-"))
    owner = os.getpid()
    previous = os.environ.get(MULTIPROC_ENV)
    os.environ[MULTIPROC_ENV] = str(path)
    try:
        yield path
    finally:
        # A gunicorn worker is a fork of the master and leaves through this same stack when
        # it exits: only the master, which made the directory, removes it.
        if os.getpid() == owner:
            if previous is None:
                os.environ.pop(MULTIPROC_ENV, None)
            else:
                os.environ[MULTIPROC_ENV] = previous
            shutil.rmtree(path, ignore_errors=True)


def worker_exited(_arbiter, worker) -> None:
    """gunicorn's child_exit hook: a dead worker's live gauges (e.g. govwall_workers) go."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
