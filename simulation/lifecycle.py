"""How long each step of a case takes (hours, log-normal), shared by the history seed and
the live simulator (vectorized over many cases: a seed's chunk, the open cases at a start),
and when a step still to come happens for a case already some time in its stage."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import NormalDist
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from data_access.sla import TimeLimit, add_working_time, limit_for
from simulation import catalog

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
MAX_HANDLING_HOURS = 14 * 24.0  # the long tail is cut: Xuzhou closes 100 % in the end
# Draws per case before a step still due is taken from its distribution's tail.
REJECTION_ROUNDS = 64
# Median hours and log-spread of the short steps; urgent cases move about 3× faster.
_STEP = {"registered": (0.25, 0.6), "dispatched": (0.2, 0.6), "handling": (0.6, 0.7),
         "acknowledged": (0.2, 0.8),
         "verified": (1.2, 0.6), "closed": (0.5, 0.5), "followup": (20.0, 0.7),
         "return": (2.0, 0.6)}


def as_span(hours) -> np.ndarray:
    """Hours (float or array) as numpy durations, to the microsecond."""
    return (np.asarray(hours) * 3_600_000_000).astype("timedelta64[us]")


# Local hours [open, close) in which people finish each step of a normal case: field work
# by grid workers and departments mostly by day and evening, verification and closing at the
# center's desks, follow-up calls in calling hours. A step falling outside its hours waits
# for the next opening (plus a spread): without this, closures ran round the clock and the
# wall showed 800 cases closed by 4 a.m. Urgent cases keep the clock running at night.
# Reporting and registering are not listed: the hotline and the center work 24 × 7.
# A unit signs for (签收) a dispatched case at its desk: minutes after dispatch by day, the
# next morning for a case dispatched at night, and it starts handling only after. Against
# the 1-working-hour limit of 及时签收率 (data_access.indicators.ACK_LIMIT) this gives the
# mid-to-high 90s that units are assessed on, with room between units for a ranking.
OFFICE_HOURS = {"handled": (7, 21), "verified": (8, 20), "closed": (8, 20),
                "followup": (9, 20), "acknowledged": (8, 18)}
_MORNING_SPREAD_HOURS = 1.5


def in_office_hours(rng: np.random.Generator, at: np.ndarray, step: str, urgent: np.ndarray,
                    zone: ZoneInfo) -> np.ndarray:
    """`at` (UTC datetime64[us], NaT allowed), with the times of normal cases that fall
    outside `step`'s office hours moved to the next opening plus an exponential spread.
    Chinese zones have no daylight saving: one UTC offset serves every date."""
    window = OFFICE_HOURS.get(step)
    if window is None or len(at) == 0:
        return at
    opens, closes = window
    offset = np.timedelta64(int(zone.utcoffset(datetime(2000, 1, 1)).total_seconds()), "s")
    local = at + offset
    day = local.astype("datetime64[D]")
    hour = (local - day) / np.timedelta64(1, "h")
    outside = ((hour < opens) | (hour >= closes)) & ~urgent & ~np.isnat(at)
    next_day = np.where(hour >= closes, day + np.timedelta64(1, "D"), day)
    spread = np.minimum(rng.exponential(_MORNING_SPREAD_HOURS, len(at)), closes - opens - 0.1)
    opening = next_day.astype("datetime64[us]") + np.timedelta64(opens, "h") + as_span(spread)
    return np.where(outside, opening - offset, at)


@dataclass(frozen=True)
class Duration:
    """How long a step takes, per case: log-normal hours (a median per case, one spread),
    clipped to [low, high]."""

    median: np.ndarray
    sigma: float
    low: float = 0.0
    high: float = np.inf

    def __getitem__(self, index: np.ndarray) -> Duration:
        return Duration(self.median[index], self.sigma, self.low, self.high)

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        hours = self.median * np.exp(self.sigma * rng.standard_normal(len(self.median)))
        return np.clip(hours, self.low, self.high)

    def draw_beyond(self, rng: np.random.Generator, elapsed: np.ndarray) -> np.ndarray:
        """Hours conditioned on exceeding `elapsed` (inverse distribution function of the
        upper tail; the clip is ignored: a case past it is near its end)."""
        z_elapsed = np.log(np.maximum(elapsed, 1e-9) / self.median) / self.sigma
        survival = np.array([0.5 * math.erfc(z / math.sqrt(2)) for z in z_elapsed])
        beyond = survival * rng.random(len(elapsed))
        z = np.empty(len(elapsed))
        far = beyond <= 0
        z[~far] = [-_NORMAL.inv_cdf(b) for b in beyond[~far]]
        # So far in the tail that the share beyond underflows, Z - z is about Exp(1) / z.
        z[far] = z_elapsed[far] + rng.exponential(1.0, int(far.sum())) / z_elapsed[far]
        return np.maximum(self.median * np.exp(self.sigma * z), elapsed)


_NORMAL = NormalDist()


def step_duration(step: str, urgent: np.ndarray) -> Duration:
    """The duration of `step` (a stage reached, or 'followup'/'return'); urgent cases move
    about 3× faster."""
    median, sigma = _STEP[step]
    return Duration(np.where(urgent, median / 3.0, median), sigma)


def handling_duration(major_class: np.ndarray, subclass: np.ndarray,
                      urgent: np.ndarray) -> Duration:
    """From handling to handled: hours for simple fixes, days for disputes."""
    median = np.array([catalog.HANDLING_HOURS[m] for m in major_class]) if len(major_class) \
        else np.zeros(0)
    for sub, hours in catalog.SLOW_SUBCLASS_HOURS.items():
        median = np.where(subclass == sub, hours, median)
    return Duration(np.where(urgent, median * 0.4, median), 0.9, 0.25, MAX_HANDLING_HOURS)


def step_hours(rng: np.random.Generator, step: str, urgent: np.ndarray) -> np.ndarray:
    """Hours until `step` for each case."""
    return step_duration(step, urgent).draw(rng)


def handling_hours(rng: np.random.Generator, major_class: np.ndarray, subclass: np.ndarray,
                   urgent: np.ndarray) -> np.ndarray:
    return handling_duration(major_class, subclass, urgent).draw(rng)


def next_step_at(rng: np.random.Generator, step: str, duration: Duration, entered: np.ndarray,
                 now: np.datetime64, urgent: np.ndarray, zone: ZoneInfo) -> np.ndarray:
    """When `step` happens (UTC datetime64[us], after `now`) for cases that entered their
    stage at `entered` and have not taken the step by `now`: the step's time (its duration,
    then its office hours) drawn conditioned on being after `now`. Rejection sampling keeps
    the office hours exact (a case handled "at night" is still waiting for the morning);
    cases deep in the tail, which it would rarely place, draw from the tail itself.
    Scheduling from `now` instead leaves a dead period after each start and then a burst."""
    at = np.full(len(entered), np.datetime64("NaT", "us"))
    pending = np.arange(len(entered))
    for _ in range(REJECTION_ROUNDS):
        if not len(pending):
            return at
        drawn = in_office_hours(rng, entered[pending] + as_span(duration[pending].draw(rng)),
                                step, urgent[pending], zone)
        later = drawn > now
        at[pending[later]] = drawn[later]
        pending = pending[~later]
    if len(pending):
        elapsed = (now - entered[pending]) / np.timedelta64(1, "h")
        drawn = entered[pending] + as_span(duration[pending].draw_beyond(rng, elapsed))
        at[pending] = np.maximum(in_office_hours(rng, drawn, step, urgent[pending], zone),
                                 now + np.timedelta64(1, "us"))
    return at


def deadlines(reported: np.ndarray, major_class: np.ndarray, subclass: np.ndarray,
              priority: np.ndarray, source: np.ndarray, zone: ZoneInfo) -> np.ndarray:
    """Each case's deadline (UTC datetime64[us]) by the working-time clock (data_access.sla).
    A working-day deadline depends only on the local day of the report, so those are
    computed once per (limit, day); hour limits (urgent cases only) once per case."""
    out = np.empty(len(reported), dtype="datetime64[us]")
    keys = pd.DataFrame({"m": major_class, "s": subclass, "p": priority, "src": source})
    # Local day numbers without boxing timestamps: the zone's offset is fixed (China has no
    # daylight saving time since 1991).
    offset = np.timedelta64(int(zone.utcoffset(datetime(2000, 1, 1)).total_seconds()), "s")
    local_days = (reported + offset).astype("datetime64[D]")
    for (major, sub, pri, src), index in keys.groupby(["m", "s", "p", "src"]).indices.items():
        limit = limit_for(major, sub, pri, src)
        starts = reported[index]
        if limit.minutes is not None:
            out[index] = starts + np.timedelta64(int(limit.minutes * 60e6), "us")
        elif limit.working_days is not None:
            _, first, inverse = np.unique(local_days[index], return_index=True,
                                          return_inverse=True)
            out[index] = _working_deadlines(starts[first], limit, zone)[inverse]
        else:
            out[index] = _working_deadlines(starts, limit, zone)
    return out


def _working_deadlines(starts: np.ndarray, limit: TimeLimit, zone: ZoneInfo) -> np.ndarray:
    micros = starts.astype("datetime64[us]").astype(np.int64).tolist()
    return np.array([(add_working_time(_EPOCH + timedelta(microseconds=us), limit, zone=zone)
                      - _EPOCH) // _ONE_US for us in micros], dtype="datetime64[us]")
