"""Six hand-worked cases around the 2026 New Year holiday (1–3 January off, Sunday 4 January
a make-up workday) in the tiny territory, written through the write path, for the leaders'
period indicators. The figures each test expects are worked out in tests/data_access/
test_reports.py next to the week they fall in.

Township A = 320303001 (grid GRIDS[0]), township B = 320303002 (grid GRIDS[6]).
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from data_access import case_store as cs
from data_access.reports import rollup
from tests.support.backends import ZONE
from tests.support.tiny_territory import GRIDS, insert_tiny_territory

A, B = "320303001", "320303002"
# "Now" for every figure: Monday 5 January 2026, 10:00 local.
NOW = datetime(2026, 1, 5, 10, 0, tzinfo=ZONE).astimezone(UTC)


def at(month_day: str, hh_mm: str, year: int = 2026) -> datetime:
    month, day = map(int, month_day.split("-"))
    hour, minute = map(int, hh_mm.split(":"))
    return datetime(year, month, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


def _draft(external_id: str, grid: str) -> cs.CaseDraft:
    return cs.CaseDraft(external_id=external_id, source="grid_patrol", major_class="urban",
                        subclass="street_light", priority="normal", title="路灯损坏",
                        description="<b>路灯</b>不亮", grid_code=grid, lon=117.2, lat=34.2,
                        reporter_name="王伟", reporter_phone="13900001111", address="和平路1号")


def insert_briefing_cases(backend) -> dict[str, int]:
    with backend.sessions.begin() as session:
        insert_tiny_territory(session)
        rollup.rebuild(session, ZONE, datetime(2024, 12, 1).date(), datetime(2026, 1, 31).date())
    ids: dict[str, int] = {}

    def change(fn):
        with cs.case_change(backend.sessions, backend.counters) as session:
            return fn(session)

    def report(name, grid, when, deadline):
        ids[name] = change(lambda s: cs.report_case(s, _draft(name, grid), when, "sim",
                                                    deadline))

    def advance(name, stage, when, **fields):
        change(lambda s: cs.advance(s, ids[name], stage, when, "sim", **fields))

    def act(name, action, when, **params):
        change(lambda s: cs.perform(s, ids[name], action, "duty", when, **params))

    # c1 (A): on time across the holiday, acknowledged in time, satisfied, solved in the village.
    report("c1", GRIDS[0], at("12-31", "10:00", 2025), at("01-04", "17:30"))
    advance("c1", "registered", at("12-31", "10:05", 2025))
    advance("c1", "dispatched", at("12-31", "10:10", 2025))
    act("c1", "acknowledge", at("12-31", "10:40", 2025))
    for stage, hh in (("handling", "10:20"), ("handled", "10:30"), ("verified", "10:45")):
        advance("c1", stage, at("01-04", hh))
    advance("c1", "closed", at("01-04", "11:00"), resolved_level="village")
    act("c1", "followup", at("01-05", "09:00"), satisfaction="satisfied")
    # c2 (A): acknowledged late, sent back once, closed late, unsatisfied, solved by the county.
    report("c2", GRIDS[0], at("12-30", "15:00", 2025), at("12-31", "17:30", 2025))
    advance("c2", "registered", at("12-30", "15:01", 2025))
    advance("c2", "dispatched", at("12-30", "15:02", 2025))
    act("c2", "acknowledge", at("12-31", "09:30", 2025))
    advance("c2", "handling", at("12-31", "09:40", 2025))
    advance("c2", "handled", at("12-31", "11:00", 2025))
    advance("c2", "handling", at("12-31", "11:30", 2025))  # 返工
    advance("c2", "handled", at("01-04", "09:10"))
    advance("c2", "verified", at("01-04", "09:30"))
    advance("c2", "closed", at("01-04", "10:00"), resolved_level="county")
    act("c2", "followup", at("01-05", "09:10"), satisfaction="unsatisfied")
    # c3 (B): reported on the holiday, rejected (不予受理).
    report("c3", GRIDS[6], at("01-02", "09:00"), None)
    advance("c3", "registered", at("01-02", "09:05"))
    advance("c3", "rejected", at("01-02", "09:10"))
    # c4 (B): reported on the holiday, due Sunday noon (make-up workday), still open, supervised.
    report("c4", GRIDS[6], at("01-03", "11:00"), at("01-04", "12:00"))
    advance("c4", "registered", at("01-03", "11:02"))
    advance("c4", "dispatched", at("01-03", "11:03"))
    advance("c4", "handling", at("01-03", "11:30"))
    act("c4", "supervise", at("01-04", "14:00"), level=1)
    # c5 (B): reported the week before, due in the week but extended past it, supervised.
    report("c5", GRIDS[6], at("12-24", "10:00", 2025), at("12-29", "17:30", 2025))
    advance("c5", "registered", at("12-24", "10:01", 2025))
    advance("c5", "dispatched", at("12-24", "10:02", 2025))
    advance("c5", "handling", at("12-24", "11:00", 2025))
    act("c5", "supervise", at("12-29", "09:30", 2025), level=1)
    act("c5", "extend", at("12-29", "10:00", 2025), until=at("01-05", "17:30"))
    # c6 (A): a year before, closed the same day, on time.
    report("c6", GRIDS[0], at("01-02", "10:00", 2025), at("01-03", "17:30", 2025))
    for i, stage in enumerate(("registered", "dispatched", "handling", "handled", "verified")):
        advance("c6", stage, at("01-02", f"10:{10 + i}", 2025))
    advance("c6", "closed", at("01-02", "15:00", 2025), resolved_level="grid")
    assert all(ids.values()) and timedelta(0) < NOW - at("01-05", "09:10")
    return ids
