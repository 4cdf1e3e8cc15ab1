"""How long each step of a case takes (hours, log-normal), shared by the history seed
(vectorized over many cases) and the live simulator (one case at a time)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from data_access.sla import add_working_time, limit_for
from simulation import catalog

MAX_HANDLING_HOURS = 14 * 24.0  # the long tail is cut: Xuzhou closes 100 % in the end
# Median hours and log-spread of the short steps; urgent cases move about 3× faster.
_STEP = {"registered": (0.25, 0.6), "dispatched": (0.2, 0.6), "handling": (0.6, 0.7),
         "verified": (1.2, 0.6), "closed": (0.5, 0.5), "followup": (20.0, 0.7),
         "return": (2.0, 0.6)}


def step_hours(rng: np.random.Generator, step: str, urgent: np.ndarray) -> np.ndarray:
    """Hours until `step` (a stage reached, or 'followup'/'return') for each case."""
    median, sigma = _STEP[step]
    hours = median * np.exp(sigma * rng.standard_normal(len(urgent)))
    return np.where(urgent, hours / 3.0, hours)


def handling_hours(rng: np.random.Generator, major_class: np.ndarray, subclass: np.ndarray,
                   urgent: np.ndarray) -> np.ndarray:
    """Hours from handling to handled: hours for simple fixes, days for disputes."""
    median = np.array([catalog.HANDLING_HOURS[m] for m in major_class]) if len(major_class) \
        else np.zeros(0)
    for sub, hours in catalog.SLOW_SUBCLASS_HOURS.items():
        median = np.where(subclass == sub, hours, median)
    hours = median * np.exp(0.9 * rng.standard_normal(len(median)))
    hours = np.where(urgent, hours * 0.4, hours)
    return np.clip(hours, 0.25, MAX_HANDLING_HOURS)


def deadlines(reported: np.ndarray, major_class: np.ndarray, subclass: np.ndarray,
              priority: np.ndarray, source: np.ndarray, zone: ZoneInfo) -> np.ndarray:
    """Each case's deadline (UTC datetime64[us]) by the working-time clock (data_access.sla).
    A working-day deadline depends only on the local day of the report, so those are
    computed once per (limit, day); hour limits once per case."""
    out = np.empty(len(reported), dtype="datetime64[us]")
    keys = pd.DataFrame({"m": major_class, "s": subclass, "p": priority, "src": source})
    # Local day numbers without boxing timestamps: the zone's offset is fixed (China has no
    # daylight saving time since 1991).
    offset = np.timedelta64(int(zone.utcoffset(datetime(2000, 1, 1)).total_seconds()), "s")
    local_days = (reported + offset).astype("datetime64[D]").astype(np.int64)
    for (major, sub, pri, src), index in keys.groupby(["m", "s", "p", "src"]).indices.items():
        limit = limit_for(major, sub, pri, src)
        if limit.minutes is not None:
            out[index] = reported[index] + np.timedelta64(int(limit.minutes * 60e6), "us")
            continue
        cache: dict = {}
        for i in index:
            key = local_days[i] if limit.working_days is not None else i
            if key not in cache:
                start = pd.Timestamp(reported[i]).tz_localize("UTC").to_pydatetime()
                cache[key] = np.datetime64(
                    int(add_working_time(start, limit, zone=zone).timestamp() * 1e6), "us")
            out[i] = cache[key]
    return out
