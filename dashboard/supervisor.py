"""`govwall background` kept running by `govwall serve`'s gunicorn master (what runs in it
and why: dashboard/background.py).

The standard library only: the master must not import prometheus_client before it sets
PROMETHEUS_MULTIPROC_DIR (dashboard/metrics_dir.py), and the app's modules do.
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

log = logging.getLogger(__name__)

GOVWALL = Path(sys.executable).parent / "govwall"
# A background process that keeps dying is started again, but not in a tight loop.
RESTART_DELAYS = (1, 2, 5, 10, 30)
# Alive this long: its next death starts the delays again.
HEALTHY_AFTER = 60


class Supervisor:
    """In the gunicorn master: `govwall background` as a child, started again when it ends
    (after RESTART_DELAYS), stopped with the server.

    Kept from the master's own loop (`keep`, about once a second), never from a thread of
    its own: a child started from a thread while the master forks a worker left the pipe
    through which Popen learns that the exec worked open in that worker, and the thread
    hung in Popen until the worker ended. The master also reaps every child that ends (its
    SIGCHLD handler waits for any pid), so the end is seen by polling."""

    def __init__(self, command: list[str] | None = None):
        self.command = command or [str(GOVWALL), "background"]
        self.child: subprocess.Popen | None = None
        self.started_at = 0.0
        self.restart_at: float | None = None  # set when an end is seen
        self.failures = 0
        self.owner = os.getpid()

    def keep(self) -> None:
        if self.child is not None and self.child.poll() is None:
            return
        now = time.monotonic()
        if self.child is not None and self.restart_at is None:
            self.failures = 0 if now - self.started_at > HEALTHY_AFTER else self.failures + 1
            delay = RESTART_DELAYS[min(self.failures, len(RESTART_DELAYS) - 1)]
            # The code is 0 when the master reaped it first.
            log.warning("govwall background (pid %s) ended (%s); starting it again in %s s",
                        self.child.pid, self.child.returncode, delay)
            self.restart_at = now + delay
        if self.restart_at is not None and now < self.restart_at:
            return
        self.child = subprocess.Popen(self.command)
        self.started_at, self.restart_at = now, None

    def stop(self, timeout: float = 20) -> None:
        # A gunicorn worker is a fork of the master and leaves through the master's stack:
        # only the master stops the child.
        if os.getpid() != self.owner:
            return
        child = self.child
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
