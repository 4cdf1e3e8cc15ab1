"""A small hand-made slice of Xuzhou for the wall's tests, with numbers worked out by hand.

Two districts (鼓楼区 320302, 云龙区 320303), three townships, four grids with square
boundaries, nine cases in Xuzhou and one in Nanjing (which no Xuzhou view may count).
The expected figures are in WALL_EXPECTED, relative to `now` (any instant after 14:00 and
before 18:00 local works the same; tests use a fixed Wednesday 14:00 Asia/Shanghai).
"""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from data_access.counter_sync import rebuild_today
from data_access.counters import Counters
from data_access.models import Case, CaseTransition, Unit

ZONE = ZoneInfo("Asia/Shanghai")
FIXED_NOW = datetime(2026, 11, 18, 14, 0, tzinfo=ZONE).astimezone(UTC)
XSS_TITLE = "<img src=x onerror=alert(1)>"

GRIDS = ("320302001001001", "320302001001002", "320302002001001", "320303001001001")


def _square(lon: float, lat: float, size: float) -> str:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size],
            [lon, lat]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def _units() -> list[Unit]:
    units = [Unit(code="320300", name="徐州市", level="city", parent_code=None,
                  boundary=_square(117.0, 34.1, 0.4)),
             Unit(code="320102", name="玄武区", level="county", parent_code=None,
                  county_code="320102")]
    counties = {"320302": ("鼓楼区", 117.1), "320303": ("云龙区", 117.2)}
    for code, (name, lon) in counties.items():
        units.append(Unit(code=code, name=name, level="county", parent_code="320300",
                          county_code=code, boundary=_square(lon, 34.2, 0.1)))
    townships = {"320302001": ("丰财街道", 117.1), "320302002": ("牌楼街道", 117.15),
                 "320303001": ("彭城街道", 117.2), "320102001": ("新街口街道", 118.8)}
    for code, (name, lon) in townships.items():
        units.append(Unit(code=code, name=name, level="township", parent_code=code[:6],
                          county_code=code[:6], boundary=_square(lon, 34.2, 0.05)))
        units.append(Unit(code=code + "001", name=name[:2] + "社区", level="village",
                          parent_code=code, county_code=code[:6]))
    for i, code in enumerate((*GRIDS, "320102001001001")):
        lon = townships[code[:9]][1] + (0.025 if code.endswith("002") else 0)
        units.append(Unit(code=code, name=f"第{i + 1}网格", level="grid",
                          parent_code=code[:12], county_code=code[:6],
                          boundary=_square(lon, 34.2, 0.025),
                          lon=round(lon + 0.0125, 4), lat=34.2125))
    return units


def _local(now: datetime, days_back: int, hour: int) -> datetime:
    day = now.astimezone(ZONE).date() - timedelta(days=days_back)
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZONE).astimezone(UTC)


def seed_wall_region(sessions, counters: Counters, now: datetime = FIXED_NOW) -> None:
    h = timedelta(hours=1)
    d = timedelta(days=1)
    # name: (grid, reported, registered, closed, stage, deadline, source, major, extra)
    specs = {
        "A": (GRIDS[0], max(now - timedelta(minutes=30), _local(now, 0, 0) + timedelta(minutes=1)),
              True, None, "handling", now + 10 * d,
              "grid_patrol", "urban", {"title": XSS_TITLE, "priority": "urgent"}),
        "B": (GRIDS[0], _local(now, 0, 10), True, _local(now, 0, 12), "closed",
              _local(now, 0, 18), "hotline_12345", "environment", {"satisfaction": "satisfied"}),
        "C": (GRIDS[3], now - 3 * d, True, None, "dispatched", now - 2 * h, "police_110",
              "safety", {"supervision_level": 1}),
        "D": (GRIDS[2], now - 20 * d, True, None, "handling", now - 12 * d, "petition", "order",
              {"supervision_level": 3, "acknowledged_at": now - 11 * d,
               "acknowledged_by": "王值班"}),
        "E": (GRIDS[3], now - 2 * d, True, None, "handling", now + 3 * h, "video_iot", "urban",
              {}),
        "F": (GRIDS[1], _local(now, 1, 11), True, _local(now, 1, 13), "closed",
              _local(now, 1, 18), "grid_patrol", "dispute",
              {"dispute_type": "neighbour", "resolved_level": "grid",
               "mediation_type": "people", "mediation_outcome": "agreement",
               "satisfaction": "unsatisfied"}),
        # Far from yellow: 5 days ahead sat exactly on the approaching threshold of its
        # limit and turned yellow seconds after `now`.
        "G": (GRIDS[3], _local(now, 0, 8), True, None, "registered", now + 8 * d,
              "citizen_app", "dispute", {"dispute_type": "labour"}),
        "H": (GRIDS[0], _local(now, 7, 9), True, _local(now, 7, 12), "closed",
              _local(now, 7, 9) + 5 * d, "hotline_12345", "dispute",
              {"dispute_type": "neighbour", "resolved_level": "township",
               "mediation_type": "people", "mediation_outcome": "agreement",
               "satisfaction": "basically"}),
        "I": (GRIDS[0], _local(now, 0, 11), True, None, "rejected", None, "grid_patrol",
              "urban", {}),
        "J": ("320102001001001", _local(now, 0, 9), True, None, "handling", now - 2 * d,
              "grid_patrol", "urban", {}),
    }
    with sessions() as session, session.begin():
        session.add_all(_units())
        session.flush()
        for name, (grid, reported, registered, closed, stage, deadline, source, major,
                   extra) in specs.items():
            extra = dict(extra)
            case = Case(
                external_id=f"T-{name}", source=source, major_class=major,
                subclass="dispute" if major == "dispute" else "garbage",
                title=extra.pop("title", f"测试事件{name}"), grid_code=grid,
                township_code=grid[:9], county_code=grid[:6], stage=stage,
                reported_at=reported, registered_at=reported + timedelta(minutes=5)
                if registered else None, closed_at=closed,
                rejected_at=reported + timedelta(minutes=10) if stage == "rejected" else None,
                deadline_at=deadline, updated_at=now, **extra,
            )
            session.add(case)
            session.flush()
            moves = [("reported", reported)]
            if registered:
                moves.append(("registered", reported + timedelta(minutes=5)))
            if stage == "rejected":  # at registration, as the write path rejects
                moves.append(("rejected", reported + timedelta(minutes=10)))
            if closed:
                moves.append(("closed", closed))
            session.add_all(CaseTransition(case_id=case.id, kind="stage", to_stage=to_stage,
                                           actor="test", at=at) for to_stage, at in moves)
    # Today's counters counted as the write path counts them; a rebuild also marks the day's
    # counts whole (otherwise the wall's refresher would rebuild them from the database first).
    with sessions() as session:
        rebuild_today(session, counters, now)
    counters.mark_patrolled([GRIDS[0]], now)
    counters.heartbeat(1, GRIDS[3], now)


# Worked out by hand from the specs above (see the module docstring).
WALL_EXPECTED = {
    "live": {"reported": 4, "registered": 3, "closed": 1, "workers_online": 1},
    # Yesterday 14:00: C, D, E were open (F had closed at 13:00), D was overdue (C's
    # deadline is today); nothing was reported 13:00-14:00.
    "db": {"in_progress": 5, "overdue": 2, "reports_last_hour": 1, "reported_yesterday": 1,
           "registered_yesterday": 1, "closed_yesterday": 1, "in_progress_yesterday": 3,
           "overdue_yesterday": 1, "reports_last_hour_yesterday": 0},
    # Registered and not rejected, reported in 30 days: A-H (I rejected, J in Nanjing), of
    # which B, F, H closed. Due in 30 days up to now: C, D (open, late), F, H (on time).
    "rates": {"closure_rate": 3 / 8, "on_time_rate": 2 / 4, "satisfaction": 2 / 3},
    "alerts_order": ["T-D", "T-C", "T-E"],
    "alerts_states": ["long_overdue", "overdue", "approaching"],
    "by_county": {"320302": (1, 0), "320303": (1, 1)},
    "queue_order": ["T-A", "T-I", "T-B", "T-G", "T-F", "T-E", "T-C", "T-H", "T-D"],
}
