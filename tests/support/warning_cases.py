"""Hand-built cases for the early-warning tests, on the tiny territory, at a frozen NOW
(Wednesday 2026-11-18 10:00 in Shanghai). Case rows are inserted as the seeder leaves them
(the detectors only read cases)."""
from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from data_access.models import Case, Unit
from tests.support.tiny_territory import insert_tiny_territory

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=ZONE).astimezone(UTC)
TODAY = date(2026, 11, 18)
SECRET = b"test-caller-key"


def at_local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE).astimezone(UTC)


class CaseMaker:
    def __init__(self, sessions):
        self.sessions, self.n = sessions, 0
        with sessions.begin() as session:
            if session.scalar(select(func.count()).select_from(Unit)) == 0:
                insert_tiny_territory(session)

    def add(self, rows: list[dict]) -> list[int]:
        """Insert cases: each row gives grid, reported (UTC) and any other Case field."""
        ids = []
        with self.sessions.begin() as session:
            for row in rows:
                self.n += 1
                row = dict(row)
                grid = row.pop("grid")
                reported = row.pop("reported")
                fields = {"external_id": f"W-{uuid.uuid4().hex[:12]}", "source": "citizen_app",
                          "major_class": "urban", "subclass": "street_light",
                          "priority": "normal", "title": "",
                          "description": hashlib.sha1(str(self.n).encode()).hexdigest(),
                          "reporter_name": None,
                          "reporter_phone": None, "address": None, "stage": "handling",
                          "lon": None, "lat": None, "rework_count": 0,
                          "supervision_level": 0, **row}
                case = Case(grid_code=grid, township_code=grid[:9], county_code=grid[:6],
                            reported_at=reported, updated_at=reported, **fields)
                session.add(case)
                session.flush()
                ids.append(case.id)
        return ids
