"""case_daily: rebuilt from the case table, kept in step by the write path in the same
transaction, and read by the disputes panel with the same answer as the case table."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from data_access import case_store as cs
from data_access import rollups
from data_access.models import CaseDaily
from tests.data_access.test_case_store import T0, draft, move
from tests.support.backends import ZONE
from tests.support.tiny_territory import insert_tiny_territory

DAY = T0.astimezone(ZONE).date()


def _rows(backend) -> dict[tuple, int]:
    with backend.sessions() as session:
        return {tuple(r[:-1]): r[-1] for r in session.execute(
            select(CaseDaily.day, *(getattr(CaseDaily, n) for n in rollups.KEY),
                   CaseDaily.cases)) if r[-1]}


def test_write_path_moves_a_dispute_between_keys_and_rebuild_agrees(fresh_backend):
    b = fresh_backend
    with b.sessions.begin() as session:
        insert_tiny_territory(session)
        rollups.rebuild(session, ZONE, DAY - timedelta(days=1), DAY)
    with cs.case_change(b.sessions, b.counters) as session:
        case_id = cs.report_case(session, draft(major_class="dispute", subclass="dispute",
                                                dispute_type="neighbour"), T0, "sim", None)
    open_key = (DAY, "320303", "dispute", "grid_patrol", "neighbour", "", "")
    assert _rows(b) == {open_key: 1}
    move(b, case_id, "registered", "dispatched", "handling", "handled", "verified")
    with pytest.raises(cs.ActionRefused), cs.case_change(b.sessions, b.counters) as session:
        cs.advance(session, case_id, "closed", T0, "sim", mediation_outcome="agreement")
    assert _rows(b) == {open_key: 1}  # refused: nothing moved
    with cs.case_change(b.sessions, b.counters) as session:
        cs.advance(session, case_id, "closed", T0 + timedelta(hours=1), "sim",
                   resolved_level="village", mediation_outcome="agreement")
    closed_key = (DAY, "320303", "dispute", "grid_patrol", "neighbour", "village", "agreement")
    assert _rows(b) == {closed_key: 1}
    with b.sessions.begin() as session:
        assert rollups.built_days(session, DAY - timedelta(days=2), DAY) == \
            {DAY - timedelta(days=1), DAY}
        rollups.rebuild(session, ZONE, DAY, DAY)
    assert _rows(b) == {closed_key: 1}
