"""Grid workers on duty: who is on shift at a local time, and who of them is sending the grid
app's heartbeats right now.

Each worker has a rota: most work a day shift on working days (with a lunch break), a
rotating quarter of them also on rest days; a few work an evening or a night rota, five days
in seven, staggered. Start, end and meal times differ a little from person to person, and
some keep the app on over their meal. While on shift a worker goes quiet now and then for a
short break (phone away, a meeting, no signal); a break shorter than the heartbeat's time to
live does not show on the wall.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from simulation.rhythm import is_workday
from simulation.territory import GridTable

DAY, EVENING, NIGHT = 0, 1, 2
ROTA_SHARES = (0.81, 0.14, 0.05)
# Local hours [start, end) of each rota's shift (a night shift ends the next morning) and
# its meal break.
SHIFT_HOURS = {DAY: (8.0, 17.5), EVENING: (14.0, 22.0), NIGHT: (21.5, 24.0 + 7.5)}
MEAL_HOURS = {DAY: (12.0, 13.5), EVENING: (17.5, 18.25)}
SPREAD_HOURS = 0.2  # personal start, end and meal times around the rota's
OFFLINE_AT_MEAL = 0.7  # share of workers whose app goes quiet over their meal
REST_DAY_DUTY_EVERY = 4  # a day-shift worker is on duty one rest day in four
ROTA_CYCLE_DAYS, ROTA_DAYS_ON = 7, 5
BREAK_EVERY_MINUTES = 80.0  # mean time on shift between two short breaks
BREAK_MINUTES = 12.0  # mean length of a break


class Workforce:
    """The grid workers of a GridTable, with rotas drawn once from `rng`."""

    def __init__(self, grids: GridTable, rng: np.random.Generator, zone: ZoneInfo):
        workers = grids.workers
        n = len(workers)
        self.ids = workers.ids
        self.grid_codes = grids.codes[workers.grid]
        self.in_service = workers.in_service
        self.zone, self.rng = zone, rng
        self.rota = rng.choice(len(ROTA_SHARES), size=n, p=ROTA_SHARES)
        starts = np.array([SHIFT_HOURS[r][0] for r in range(len(ROTA_SHARES))])[self.rota]
        ends = np.array([SHIFT_HOURS[r][1] for r in range(len(ROTA_SHARES))])[self.rota]
        self.start = starts + rng.normal(0, SPREAD_HOURS, n)
        self.end = ends + rng.normal(0, SPREAD_HOURS, n)
        meals = np.array([MEAL_HOURS.get(r, (0.0, 0.0)) for r in range(len(ROTA_SHARES))])
        self.meal_start = meals[self.rota, 0] + rng.normal(0, SPREAD_HOURS, n)
        self.meal_end = self.meal_start + (meals[self.rota, 1] - meals[self.rota, 0])
        self.meal_offline = rng.random(n) < OFFLINE_AT_MEAL
        self.phase = rng.integers(0, ROTA_CYCLE_DAYS * REST_DAY_DUTY_EVERY, n)
        self.away_until = np.zeros(n)  # epoch seconds: on a break until then
        self.last_beat: datetime | None = None

    def _works_on(self, day: date) -> np.ndarray:
        """Whose shift starts on local `day`."""
        slot = day.toordinal() + self.phase
        day_shift = is_workday(day) | (slot % REST_DAY_DUTY_EVERY == 0)
        rotating = slot % ROTA_CYCLE_DAYS < ROTA_DAYS_ON
        return self.in_service & np.where(self.rota == DAY, day_shift, rotating)

    def on_shift(self, at: datetime) -> np.ndarray:
        """Who is on shift at `at` and online (meals taken offline excluded)."""
        local = at.astimezone(self.zone)
        hour = local.hour + local.minute / 60 + local.second / 3600
        today = self._works_on(local.date()) & (self.start <= hour) & (hour < self.end)
        # A night shift that started yesterday evening runs past midnight.
        overnight = (self.rota == NIGHT) & self._works_on(local.date() - timedelta(days=1)) \
            & (hour + 24 < self.end)
        meal = self.meal_offline & (self.meal_start <= hour) & (hour < self.meal_end)
        return (today | overnight) & ~meal

    def beat(self, now: datetime) -> list[tuple[int, str, datetime]]:
        """The heartbeats sent at `now`: (worker id, grid code, now) for each worker on
        shift and not on a break. Breaks start at random between two beats; after a long
        gap (or on the first beat) as many are on one as at an ordinary moment."""
        t = now.timestamp()
        start_share = BREAK_MINUTES / (BREAK_MINUTES + BREAK_EVERY_MINUTES)
        if self.last_beat is not None:
            minutes = max((now - self.last_beat).total_seconds(), 0.0) / 60
            start_share = min(start_share, 1 - np.exp(-minutes / BREAK_EVERY_MINUTES))
        self.last_beat = now
        on = self.on_shift(now)
        starting = on & (self.away_until <= t) & (self.rng.random(len(on)) < start_share)
        self.away_until[starting] = t + 60 * self.rng.exponential(BREAK_MINUTES,
                                                                   int(starting.sum()))
        online = np.flatnonzero(on & (self.away_until <= t))
        return [(int(self.ids[i]), self.grid_codes[i], now) for i in online]
