"""A clock that starts at a fixed instant and runs at real speed from there: tests that
depend on the date or the time of day freeze "now" this way, while cache buckets, intervals
and timeouts still see time pass."""
from __future__ import annotations

import time
from datetime import datetime, timedelta


class TickingClock:
    def __init__(self, start: datetime):
        self.start = start
        self.started = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.started)

    def advance(self, seconds: float) -> None:
        """Jump ahead, as if that much time had passed."""
        self.start += timedelta(seconds=seconds)
