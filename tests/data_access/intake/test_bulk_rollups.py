"""The bulk path's rollup deltas are written once, at the commit (case_store.report_cases):
kept when a later case of the batch fails in its savepoint, dropped with a rolled-back
transaction, right when several batches write at once; bulk_load.add_rows_together adds
as add_rows adds."""
from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from data_access import bulk_load, rollups
from data_access import case_store as cs
from data_access.models import CaseDaily, TownshipDaily
from data_access.reports import rollup as township_daily
from tests.data_access.intake.test_ingest import case
from tests.support.intake import (
    NOW,
    ZONE,
    assert_counts_match_a_rebuild,
    make_intake,
    make_source,
)
from tests.support.tiny_territory import GRIDS


def test_a_case_refused_in_its_savepoint_keeps_the_batchs_rollups(fresh_backend):
    """Four new cases (the bulk part), then two that arrive closed (a savepoint each, after
    the bulk part): one lacks its resolved level and is refused — its savepoint rolled back
    must not take the four's deltas with it — the other is accepted."""
    intake = make_intake(fresh_backend)
    src, _ = make_source(fresh_backend, "mixed")
    items = [case(f"M-{i}", grid_code=GRIDS[i % 3]) for i in range(4)] + [
        case("M-closed-bad", stage="办结"),
        case("M-closed", stage="办结", resolved_level="grid")]
    out = intake.create(src, items, "api")
    assert [o.status for o in out] == ["accepted"] * 4 + ["rejected", "accepted"]
    tallies = assert_counts_match_a_rebuild(fresh_backend)
    reported = {(d, t): n for d, t, n, *_ in tallies["township_daily"]}
    assert sum(reported.values()) == 5


def test_a_rolled_back_transaction_leaves_no_deltas_for_the_next(fresh_backend):
    """report_cases in a transaction that fails after it: neither its rows nor its rollup
    deltas are written — not even by the next transaction of the same session."""
    make_intake(fresh_backend)  # the territory
    draft = cs.CaseDraft(
        external_id="x:1", source="hotline_12345", major_class="urban",
        subclass="street_light", priority="normal", title="路灯", description="",
        grid_code=GRIDS[1], lon=None, lat=None, reporter_name=None, reporter_phone=None,
        address=None)
    with fresh_backend.sessions() as session:
        rollups.track(session, ZONE)
        township_daily.track(session, ZONE)
        with pytest.raises(RuntimeError), session.begin():
            cs.report_cases(session, [(draft, NOW - timedelta(minutes=5), None)], "t")
            raise RuntimeError("after the insert")
        cs.pending_events(session)  # its counted events go too (case_change: with the session)
        with session.begin():
            cs.report_cases(session, [(replace(draft, external_id="x:2"),
                                       NOW - timedelta(minutes=4), None)], "t")
        cs.apply_counts(fresh_backend.counters, cs.pending_events(session))
    tallies = assert_counts_match_a_rebuild(fresh_backend)
    assert sum(row[-1] for row in tallies["case_daily"]) == 1


def test_batches_written_at_once_count_every_case_once(fresh_backend):
    """Three writers, each sending batches of 20 new cases of the same township and day at
    the same time: every case accepted once, no deadlock, rollups equal a rebuild."""
    intake = make_intake(fresh_backend)
    src, _ = make_source(fresh_backend, "many")
    errors: list[BaseException] = []
    statuses: list[str] = []
    lock = threading.Lock()

    def writer(k: int) -> None:
        try:
            for n in range(4):
                out = intake.create(src, [case(f"W{k}-{n}-{i}", grid_code=GRIDS[i % 4])
                                          for i in range(20)], "api")
                with lock:
                    statuses.extend(o.status for o in out)
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert statuses == ["accepted"] * 240
    tallies = assert_counts_match_a_rebuild(fresh_backend)
    assert sum(r[2] for r in tallies["township_daily"]) == 240


def test_add_rows_together_adds_as_add_rows_adds(fresh_backend):
    """Two tables in one call: existing rows get the deltas added (a column no row moves
    stays as it was), missing rows are created with zeros in the columns not given."""
    day = date(2026, 11, 18)
    measures = {m: 0 for m in township_daily.MEASURES}
    with fresh_backend.sessions.begin() as session:
        session.add(TownshipDaily(day=day, township_code="T1",
                                  **{**measures, "reported": 2, "closed": 1, "due": 4}))
        session.add(CaseDaily(day=day, county_code="C", major_class="urban", source="s",
                              dispute_type="", resolved_level="", mediation_outcome="",
                              cases=5))
    key = {"county_code": "C", "major_class": "urban", "source": "s", "dispute_type": "",
           "resolved_level": "", "mediation_outcome": ""}
    with fresh_backend.sessions.begin() as session:
        bulk_load.add_rows_together(session.connection(), [
            (TownshipDaily.__table__, ("day", "township_code"), [
                {"day": day, "township_code": "T1", **{**measures, "reported": 3}},
                {"day": day, "township_code": "T2", **{**measures, "reported": 1,
                                                       "late_minutes": 7}}]),
            (CaseDaily.__table__, ("day", *rollups.KEY), [
                {"day": day, **key, "cases": 2},
                {"day": day, **{**key, "source": "t"}, "cases": 1}]),
            (TownshipDaily.__table__, ("day", "township_code"), [])])
    with fresh_backend.sessions() as session:
        got = {r.township_code: (r.reported, r.closed, r.due, r.late_minutes, r.registered)
               for r in session.scalars(select(TownshipDaily))}
        cases = {r.source: r.cases for r in session.scalars(select(CaseDaily))}
    assert got == {"T1": (5, 1, 4, 0, 0), "T2": (1, 0, 0, 7, 0)}
    assert cases == {"s": 7, "t": 1}
