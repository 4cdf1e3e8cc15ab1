"""Office hours of the simulated steps, on hand-worked instants (Asia/Shanghai = UTC+8)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from simulation.lifecycle import in_office_hours

ZONE = ZoneInfo("Asia/Shanghai")


def utc64(local: datetime) -> np.datetime64:
    return np.datetime64(int(local.replace(tzinfo=ZONE).timestamp() * 1_000_000), "us")


def local(at: np.datetime64) -> datetime:
    return datetime.fromtimestamp(at.astype("int64") / 1e6, ZONE).replace(tzinfo=None)


def test_a_step_outside_its_hours_waits_for_the_next_opening():
    rng = np.random.default_rng(3)
    times = np.array([utc64(datetime(2026, 11, 20, 23, 30)),   # Friday night: next morning
                      utc64(datetime(2026, 11, 21, 5, 0)),     # early: the same morning
                      utc64(datetime(2026, 11, 21, 14, 0)),    # open: unchanged
                      utc64(datetime(2026, 11, 21, 20, 0)),    # closing time is outside
                      utc64(datetime(2026, 11, 21, 2, 0)),     # urgent: unchanged
                      np.datetime64("NaT", "us")])
    urgent = np.array([False, False, False, False, True, False])
    out = [local(t) if not np.isnat(t) else None
           for t in in_office_hours(rng, times, "closed", urgent, ZONE)]
    assert datetime(2026, 11, 21, 8) <= out[0] < datetime(2026, 11, 21, 20)
    assert datetime(2026, 11, 21, 8) <= out[1] < datetime(2026, 11, 21, 20)
    assert out[2] == datetime(2026, 11, 21, 14)
    assert datetime(2026, 11, 22, 8) <= out[3] < datetime(2026, 11, 22, 20)
    assert out[4] == datetime(2026, 11, 21, 2)
    assert out[5] is None


def test_mornings_are_spread_not_all_at_opening_time():
    rng = np.random.default_rng(5)
    night = np.array([utc64(datetime(2026, 11, 20, 23, 0))] * 2000)
    out = in_office_hours(rng, night, "closed", np.zeros(2000, dtype=bool), ZONE)
    waits = (out - utc64(datetime(2026, 11, 21, 8))) / np.timedelta64(1, "h")
    assert waits.min() >= 0 and waits.max() < 12
    assert 1.2 <= waits.mean() <= 1.8  # the exponential spread's mean, 1.5 h
    assert len(set(out.tolist())) > 1900


def test_the_hotline_and_registration_run_day_and_night():
    times = np.array([utc64(datetime(2026, 11, 21, 3, 0))])
    out = in_office_hours(np.random.default_rng(1), times, "registered", np.array([False]), ZONE)
    assert local(out[0]) == datetime(2026, 11, 21, 3, 0)
