"""How many reports, and when: volume scaled by the territory's grid count, with the weekly,
daily and seasonal rhythm and a few local hot spots."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

# Xuzhou: 1.49 M grid-reported events in 2020 on 10,840 grids (≈ 4,080 a day on average).
# Weekdays carry more: 4,400 on a weekday and 0.7 of that on a rest day average to ≈ 4,080.
XUZHOU_GRIDS = 10_840
XUZHOU_WORKDAY_REPORTS = 4_400.0
REST_DAY_FACTOR = 0.7
MONTH_FACTOR = {1: 0.9, 2: 0.8, 3: 0.97, 4: 1.0, 5: 1.02, 6: 1.08, 7: 1.1, 8: 1.06, 9: 1.0,
                10: 0.97, 11: 0.98, 12: 0.95}
# Share of a day's reports by local hour: quiet nights, a mid-morning peak (patrols start)
# and an afternoon one.
_HOURLY = np.array([0.6, 0.4, 0.3, 0.3, 0.4, 0.8, 2.0, 4.0, 7.0, 9.0, 9.5, 8.0,
                    5.5, 6.0, 7.5, 8.0, 7.5, 6.0, 4.0, 3.0, 2.5, 2.0, 1.5, 1.0])
HOURLY_SHARE = _HOURLY / _HOURLY.sum()

HOT_SPOT_SUBCLASSES = (("environment", "noise"), ("environment", "burning_straw"),
                       ("urban", "garbage"), ("safety", "electric_bike_charging"),
                       ("urban", "illegal_parking"))
HOT_SPOT_EXTRA = 0.8  # extra reports of the subclass, as a share of the township's usual day


def is_workday(day: date) -> bool:
    """Chinese working day (holidays and make-up workdays) where the calendar knows the
    year; weekdays otherwise."""
    from chinese_calendar import is_workday as calendar_workday

    try:
        return calendar_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def expected_reports(day: date, grid_count: int) -> float:
    """Mean reports on a local day for a territory of `grid_count` grids."""
    base = XUZHOU_WORKDAY_REPORTS * grid_count / XUZHOU_GRIDS
    return base * MONTH_FACTOR[day.month] * (1.0 if is_workday(day) else REST_DAY_FACTOR)


@dataclass(frozen=True)
class HotSpot:
    township_code: str
    major_class: str
    subclass: str
    first_day: date
    last_day: date


def hot_spots(rng: np.random.Generator, township_codes: list[str], first: date,
              last: date) -> list[HotSpot]:
    """Two or three townships with a run of one kind of report over 3–6 days; the last one
    runs into `last` so the wall shows a live spike."""
    if not township_codes:
        return []
    count = min(len(township_codes), int(rng.integers(2, 4)))
    chosen = rng.choice(len(township_codes), size=count, replace=False)
    span = max((last - first).days, 0)
    spots = []
    for i, index in enumerate(chosen):
        major, sub = HOT_SPOT_SUBCLASSES[int(rng.integers(len(HOT_SPOT_SUBCLASSES)))]
        length = int(rng.integers(3, 7))
        end = last if i == 0 else first + timedelta(days=int(rng.integers(0, span + 1)))
        spots.append(HotSpot(township_codes[int(index)], major, sub,
                             max(first, end - timedelta(days=length - 1)), end))
    return spots
