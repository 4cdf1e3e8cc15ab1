"""The wall's warning state of an open case, on the working-time clock (data_access.sla)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from data_access import sla

RED = ("overdue", "long_overdue")


def deadline_state(now: datetime, due: datetime, major_class: str, subclass: str,
                   priority: str, source: str, zone: ZoneInfo) -> str:
    """normal | approaching (yellow) | overdue | long_overdue (red), by the case's limit."""
    limit = sla.limit_for(major_class, subclass, priority, source)
    return sla.deadline_state(now, due, limit.span(), zone=zone,
                              calendar_time=limit.calendar_time)
