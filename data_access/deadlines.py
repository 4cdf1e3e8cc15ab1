"""The wall's warning state of an open case, on the working-time clock (data_access.sla)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from data_access import sla

RED = ("overdue", "long_overdue")


def deadline_state(now: datetime, due: datetime, major_class: str, subclass: str,
                   priority: str, source: str, zone: ZoneInfo) -> str:
    """normal | approaching (yellow) | overdue | long_overdue (red), by the case's limit."""
    limit = sla.limit_for(major_class, subclass, priority, source)
    return sla.deadline_state(now, due, limit.span(), zone=zone,
                              calendar_time=limit.calendar_time)


@lru_cache(maxsize=4096)
def _limit(major_class: str, subclass: str, priority: str, source: str
           ) -> tuple[np.timedelta64, bool]:
    limit = sla.limit_for(major_class, subclass, priority, source)
    return np.timedelta64(limit.span(), "us"), limit.calendar_time


def deadline_states(now: datetime, dues: Sequence[datetime],
                    kinds: Sequence[tuple[str, str, str, str]], zone: ZoneInfo) -> np.ndarray:
    """`deadline_state` of many cases at once: each case's due instant and its (major class,
    subclass, priority, source)."""
    limits = [_limit(*kind) for kind in kinds]
    return sla.deadline_states(now, dues, np.array([s for s, _ in limits],
                                                   dtype="timedelta64[us]"),
                               np.array([c for _, c in limits], dtype=bool), zone=zone)
