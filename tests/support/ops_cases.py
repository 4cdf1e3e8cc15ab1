"""Hand-counted cases on the tiny territory for the /ops tests.

`NOW` is Wednesday 2026-11-18 10:00 in Shanghai, a working day. Every case is an urban
street-light case (time limit 1 working day = 7 working hours), so by the sla rules:
approaching under 3.5 working hours left, long overdue beyond 7 working hours late.

  key  township  stage       deadline (local)          state
  A    001       handling    Fri 11-20 10:00           normal
  B    001       dispatched  Wed 11-18 11:00           approaching
  C    001       handling    Wed 11-18 09:00           overdue (1 working hour late)
  D    002       handling    Sun 11-15 10:00           long overdue (15 working hours late)
  E    002       closed      —                         closed
  F    001       rejected    —                         closed
  G    001       reported    none                      normal
  H    001       handling    Mon 11-16, extended to Fri 11-20   normal
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from data_access.models import Case, CaseTransition, Unit
from tests.support.tiny_territory import GRIDS, TOWNSHIPS, insert_tiny_territory

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=ZONE).astimezone(UTC)
T1, T2 = TOWNSHIPS
# township 001 grids are GRIDS[:6], township 002 grids GRIDS[6:]
SPEC = {
    "A": (GRIDS[0], "handling", datetime(2026, 11, 20, 10, 0), None, "grid_patrol", "路灯不亮"),
    "B": (GRIDS[1], "dispatched", datetime(2026, 11, 18, 11, 0), None, "hotline_12345",
          "井盖缺失 100%危险"),
    "C": (GRIDS[2], "handling", datetime(2026, 11, 18, 9, 0), None, "hotline_12345", "路灯闪烁"),
    "D": (GRIDS[6], "handling", datetime(2026, 11, 15, 10, 0), None, "grid_patrol", "路灯倒伏"),
    "E": (GRIDS[7], "closed", None, None, "grid_patrol", "路灯已修"),
    "F": (GRIDS[3], "rejected", None, None, "citizen_app", "重复上报"),
    "G": (GRIDS[4], "reported", None, None, "citizen_app", "路灯不亮2"),
    "H": (GRIDS[5], "handling", datetime(2026, 11, 16, 10, 0), datetime(2026, 11, 20, 17, 30),
          "grid_patrol", "路灯线路老化"),
}
EXPECTED_COUNTY = {"normal": 3, "approaching": 1, "overdue": 1, "long_overdue": 1, "open": 6,
                   "closed": 2, "total": 8}


def _local(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=ZONE).astimezone(UTC) if value else None


def insert_ops_cases(sessions) -> dict[str, int]:
    """Insert the territory (if missing) and the eight cases; returns key -> case id.
    Reported one hour apart, A first (A at NOW - 8 h ... H at NOW - 1 h)."""
    ids: dict[str, int] = {}
    with sessions.begin() as session:
        if session.scalar(select(func.count()).select_from(Unit)) == 0:
            insert_tiny_territory(session)
        for i, (key, (grid, stage, deadline, extended, source, title)) in enumerate(SPEC.items()):
            reported = NOW - timedelta(hours=8 - i)
            case = Case(
                external_id=f"OPS-{key}", source=source, major_class="urban",
                subclass="street_light", priority="normal", title=title,
                description=f"描述{key}", reporter_name="王小明", reporter_phone="13812345678",
                address=f"和平路{i}号" if key != "C" else "和平路0号", grid_code=grid,
                township_code=grid[:9], county_code=grid[:6], stage=stage,
                responsible_unit="城管局", handler="李四", reported_at=reported,
                deadline_at=_local(deadline), extended_until=_local(extended),
                closed_at=reported + timedelta(minutes=30) if stage == "closed" else None,
                rejected_at=reported + timedelta(minutes=5) if stage == "rejected" else None,
                resolved_level="grid" if stage == "closed" else None,
                rework_count=0, supervision_level=0, updated_at=reported)
            session.add(case)
            session.flush()
            session.add(CaseTransition(case_id=case.id, kind="stage", from_stage=None,
                                       to_stage="reported", actor="sim", at=reported))
            ids[key] = case.id
    return ids

