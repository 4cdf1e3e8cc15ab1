"""A case's related cases: the same grid, the same phone, or the same address -- which is the
same address text *in the same village*, never the text alone (第17村57号 exists in many
villages of many counties)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from data_access import case_detail
from data_access import case_store as cs
from data_access.models import Unit
from tests.support.ops_cases import ZONE
from tests.support.tiny_territory import GRIDS, insert_tiny_territory

T0 = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)
ADDRESS = "第17村57号"
# 沛县: another county, whose village has an address written the same way.
OTHER_GRID = "320322001001001"


def _other_county(session) -> None:
    session.add_all([
        Unit(code="320322", name="沛县", level="county", parent_code="320300",
             county_code="320322"),
        Unit(code="320322001", name="沛城街道", level="township", parent_code="320322",
             county_code="320322"),
        Unit(code="320322001001", name="第17村", level="village", parent_code="320322001",
             county_code="320322"),
        Unit(code=OTHER_GRID, name="第01网格", level="grid", parent_code="320322001001",
             county_code="320322"),
    ])


def _report(session, key: str, grid: str, address: str, phone: str, hours: int) -> int:
    draft = cs.CaseDraft(
        external_id=key, source="hotline_12345", major_class="urban",
        subclass="street_light", priority="normal", title=f"路灯不亮 {key}", description="",
        grid_code=grid, lon=None, lat=None, reporter_name="王伟", reporter_phone=phone,
        address=address)
    return cs.report_case(session, draft, T0 + timedelta(hours=hours), "sim", None)


def test_same_address_means_the_same_village_and_the_same_text(fresh_backend):
    # GRIDS[0] and GRIDS[1] lie in one village (320303001001); GRIDS[3] in the next one.
    with cs.case_change(fresh_backend.sessions, fresh_backend.counters) as session:
        insert_tiny_territory(session)
        _other_county(session)
        session.flush()
        case = _report(session, "P", GRIDS[0], ADDRESS, "13900000001", 5)
        _report(session, "SAME-VILLAGE", GRIDS[1], ADDRESS, "13900000002", 4)
        _report(session, "OTHER-VILLAGE", GRIDS[3], ADDRESS, "13900000003", 3)
        _report(session, "OTHER-COUNTY", OTHER_GRID, ADDRESS, "13900000004", 2)
        _report(session, "SAME-GRID", GRIDS[0], "和平路1号", "13900000005", 1)
        _report(session, "SAME-PHONE", OTHER_GRID, "解放路9号", "13900000001", 0)
    with fresh_backend.sessions() as session:
        found = case_detail.load(session, case, T0 + timedelta(hours=6), ZONE)
    related = {r.external_id: r.why for r in found.related}
    assert related == {"SAME-VILLAGE": ("address",), "SAME-GRID": ("grid",),
                       "SAME-PHONE": ("phone",)}
    # Repeat callers and addresses first, then the grid's other cases.
    assert [r.external_id for r in found.related][-1] == "SAME-GRID"
