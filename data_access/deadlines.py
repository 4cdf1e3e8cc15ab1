"""The wall's warning state of an open case: normal, approaching (yellow), overdue (red).

Delegates to the working-time clock (data_access.sla) when it is present; until then a
calendar-time version of the same rules.
"""
from __future__ import annotations

from datetime import datetime, timedelta

APPROACHING_FRACTION = 0.2
APPROACHING_FLOOR = timedelta(hours=4)
LONG_OVERDUE_AFTER = timedelta(hours=35)
RED = ("overdue", "long_overdue")


def deadline_state(now: datetime, due: datetime, started: datetime) -> str:
    span = max(due - started, timedelta(minutes=1))
    left = due - now
    if now > due:
        return "long_overdue" if -left > min(span, LONG_OVERDUE_AFTER) else "overdue"
    threshold = max(span * APPROACHING_FRACTION, min(APPROACHING_FLOOR, span / 2))
    return "approaching" if left < threshold else "normal"
