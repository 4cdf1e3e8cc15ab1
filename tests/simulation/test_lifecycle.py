"""Office hours of the simulated steps, on hand-worked instants (Asia/Shanghai = UTC+8), and
the draw of a step still to come for a case that entered its stage some time ago."""
from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from simulation.lifecycle import as_span, in_office_hours, next_step_at, step_duration

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


def test_a_step_not_taken_yet_is_drawn_from_what_remains_of_its_duration():
    """A registration (median 0.25 h, spread 0.6, no office hours) pending for 0.25 h: half
    of those are registered by 0.25 h, so the remaining half's median is where a quarter of
    all would still wait, 0.25 × e^(0.6 × 0.674) ≈ 0.375 h after entering."""
    rng = np.random.default_rng(7)
    now = utc64(datetime(2026, 11, 19, 3, 0))
    n = 20_000
    urgent = np.zeros(n, dtype=bool)
    entered = np.full(n, now - as_span(0.25))
    at = next_step_at(rng, "registered", step_duration("registered", urgent), entered, now,
                      urgent, ZONE)
    hours = (at - entered) / np.timedelta64(1, "h")
    assert (at > now).all()
    assert abs(np.median(hours) - 0.25 * math.exp(0.6 * 0.6745)) < 0.01


def test_a_step_far_in_its_tail_is_soon_but_after_now():
    """Pending for 5 h, 5 spreads past the median: rejection would almost never place it; the
    tail itself does, after now, 0.63 h later on average (the log-normal's mean residual
    life there, by numerical integration)."""
    rng = np.random.default_rng(8)
    now = utc64(datetime(2026, 11, 19, 3, 0))
    urgent = np.zeros(4000, dtype=bool)
    entered = np.full(4000, now - as_span(5.0))
    at = next_step_at(rng, "registered", step_duration("registered", urgent), entered, now,
                      urgent, ZONE)
    waits = (at - now) / np.timedelta64(1, "h")
    assert (waits > 0).all()
    assert abs(waits.mean() - 0.63) < 0.05


def test_a_step_held_overnight_is_still_waiting_for_the_morning():
    """Verified at 19:50, a normal case closes after 20:00 only the next morning, from 08:00
    plus an exponential spread (mean 1.5 h). At 10:00 those not closed yet close over the
    next hours (the spread has no memory), not all at once at the start."""
    rng = np.random.default_rng(9)
    now = utc64(datetime(2026, 11, 19, 10, 0))
    n = 5_000
    urgent = np.zeros(n, dtype=bool)
    entered = np.full(n, utc64(datetime(2026, 11, 18, 19, 50)))
    at = next_step_at(rng, "closed", step_duration("closed", urgent), entered, now, urgent,
                      ZONE)
    waits = (at - now) / np.timedelta64(1, "h")
    assert (waits > 0).all() and waits.max() < 10
    assert 1.3 <= waits.mean() <= 1.7
