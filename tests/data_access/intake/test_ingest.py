"""The one ingest path: placement, code mapping, uniqueness by (source, source case id),
events that never move a case backwards, savepoints per case in a batch, and counters and
rollups kept as for every other change."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from data_access.case_filters import CaseFilter
from data_access.intake import codes
from data_access.intake.ingest import Intake, _forward_path
from data_access.intake.placement import unplaced_code
from data_access.intake.quality import day_quality
from data_access.intake.schema import CaseIn, EventIn
from data_access.intake.sources import add_source, find
from data_access.mix import today_mix
from data_access.models import (
    Case,
    CaseDaily,
    CaseTransition,
    IntakeRecord,
    IntakeRejection,
    IntakeSource,
)
from data_access.wall_scope import scope_for
from tests.support.clock import TickingClock
from tests.support.intake import (
    IN_COUNTY_NO_GRID,
    INSIDE,
    NOW,
    OUTSIDE,
    ZONE,
    assert_counts_match_a_rebuild,
    make_intake,
    make_source,
)
from tests.support.tiny_territory import COUNTY, GRIDS

LOCAL_NOW = NOW.astimezone(ZONE)


def case(sid: str, **changes) -> CaseIn:
    values = dict(source_case_id=sid, reported_at=LOCAL_NOW - timedelta(minutes=30),
                  category="0102", channel="12345", title="路灯不亮", grid_code=GRIDS[1])
    values.update(changes)
    return CaseIn(**values)


def event(sid: str, kind: str, minutes: int, **fields) -> EventIn:
    return EventIn(source_case_id=sid, kind=kind, at=LOCAL_NOW - timedelta(minutes=20 - minutes),
                   **fields)


def reported_today(backend) -> int:
    day = backend.counters.local_day(NOW)
    return sum(r.count for r in backend.counters.day_counts(day) if r.event == "reported")


def test_a_case_is_written_like_any_other_and_a_resend_is_a_duplicate(fresh_backend):
    intake = make_intake(fresh_backend)
    src, _ = make_source(fresh_backend, "demo12345")
    [first] = intake.create(src, [case("A-1")], "api")
    assert first.status == "accepted"
    again = intake.create(src, [case("A-1", title="改了标题")], "api")
    assert [o.status for o in again] == ["duplicate"]
    assert again[0].case_id == first.case_id
    with fresh_backend.sessions() as s:
        row = s.get(Case, first.case_id)
        assert (row.external_id, row.source, row.major_class, row.subclass, row.grid_code,
                row.township_code, row.stage, row.title) == (
            "demo12345:A-1", "hotline_12345", "urban", "street_light", GRIDS[1], GRIDS[1][:9],
            "reported", "路灯不亮")
        assert row.deadline_at is not None
        assert s.scalar(select(func.count()).select_from(Case)) == 1
        assert s.scalar(select(func.count()).select_from(CaseTransition)) == 1
        assert s.scalar(select(func.sum(CaseDaily.cases))) == 1
        record = s.scalar(select(IntakeRecord))
        assert (record.placement, record.unknown_codes) == ("grid", "")
    assert reported_today(fresh_backend) == 1


def test_placement_by_grid_point_address_or_unplaced_and_outside_refused(fresh_backend):
    intake = make_intake(fresh_backend)
    src, _ = make_source(fresh_backend, "gridapp")
    lat, lon = INSIDE[GRIDS[7]]
    out = intake.create(src, [
        case("P-grid", grid_code=GRIDS[3]),
        case("P-point", grid_code=None, lat=lat, lon=lon),
        case("P-addr", grid_code=None, address="云龙区第02街道第04社区东门"),
        case("P-unknown-grid", grid_code="320303009009009"),
        case("P-none", grid_code=None),
        case("P-county", grid_code=None, lat=IN_COUNTY_NO_GRID[0], lon=IN_COUNTY_NO_GRID[1]),
        case("P-out", grid_code=None, lat=OUTSIDE[0], lon=OUTSIDE[1]),
    ], "api")
    assert [o.status for o in out] == ["accepted"] * 6 + ["rejected"]
    assert "outside the territory" in out[-1].reasons[0]
    with fresh_backend.sessions() as s:
        placed = dict(s.execute(select(Case.external_id, Case.grid_code)).all())
        how = dict(s.execute(select(IntakeRecord.source_case_id, IntakeRecord.placement))
                   .all())
        assert s.scalar(select(IntakeRejection.reason)).startswith("lat 32.05")
    unplaced = unplaced_code(COUNTY)
    assert placed == {"gridapp:P-grid": GRIDS[3], "gridapp:P-point": GRIDS[7],
                      "gridapp:P-addr": GRIDS[9], "gridapp:P-unknown-grid": unplaced,
                      "gridapp:P-none": unplaced, "gridapp:P-county": unplaced}
    assert how == {"P-grid": "grid", "P-point": "point", "P-addr": "address",
                   "P-unknown-grid": "unplaced", "P-none": "unplaced", "P-county": "unplaced"}


def test_unknown_codes_are_taken_as_unclassified_and_counted(fresh_backend):
    intake = make_intake(fresh_backend)
    src, _ = make_source(fresh_backend, "demo12345")
    out = intake.create(src, [case("U-1", category="9999", channel="??", urgency="紧急"),
                              case("U-2", category="0301", urgency="火急"),
                              case("U-3", grid_code=None)], "api")
    assert [o.status for o in out] == ["accepted"] * 3
    with fresh_backend.sessions() as s:
        rows = {r.external_id: (r.major_class, r.subclass, r.source, r.priority)
                for r in s.scalars(select(Case))}
        codes = dict(s.execute(select(IntakeRecord.source_case_id, IntakeRecord.unknown_codes))
                     .all())
        [quality] = day_quality(s, LOCAL_NOW.date(), ZONE)
    assert rows["demo12345:U-1"] == ("unclassified", "unclassified", "hotline_12345", "urgent")
    assert rows["demo12345:U-2"] == ("environment", "noise", "hotline_12345", "normal")
    assert codes == {"U-1": "category=9999;channel=??", "U-2": "urgency=火急", "U-3": ""}
    assert (quality.name, quality.received, quality.rejected, quality.unplaced,
            quality.unknown_codes) == ("demo12345", 3, 0, 1, 2)
    assert round(quality.lag_p50_s) == 30 * 60  # the clock ticks on from NOW
    with fresh_backend.sessions() as s:
        mixed = today_mix(s, fresh_backend.counters, scope_for(COUNTY), NOW, ZONE)
    by_major = dict(zip(mixed.by_major["major_class"], mixed.by_major["count"], strict=True))
    assert (by_major["unclassified"], by_major["environment"], by_major["urban"]) == (1, 1, 1)
    assert CaseFilter.from_query({"major": "unclassified"}).major == ("unclassified",)


def test_dates_in_the_future_or_too_old_are_refused_and_counted(fresh_backend):
    intake = make_intake(fresh_backend)
    src, _ = make_source(fresh_backend, "hot")
    out = intake.create(src, [case("D-future", reported_at=LOCAL_NOW + timedelta(hours=2)),
                              case("D-old", reported_at=LOCAL_NOW - timedelta(days=400)),
                              case("D-ok")], "file")
    assert [o.status for o in out] == ["rejected", "rejected", "accepted"]
    assert "in the future" in out[0].reasons[0] and "days ago" in out[1].reasons[0]
    with fresh_backend.sessions() as s:
        [quality] = day_quality(s, LOCAL_NOW.date(), ZONE)
        assert s.scalar(select(func.count()).select_from(Case)) == 1
    assert (quality.received, quality.rejected) == (1, 2)


def test_a_failing_case_in_a_batch_leaves_nothing_and_the_others_are_kept(fresh_backend):
    intake = make_intake(fresh_backend)
    src, _ = make_source(fresh_backend, "hot")
    out = intake.create(src, [case("B-1"), case("B-closed", stage="结案"),
                              case("B-closed-ok", stage="结案", resolved_level="village"),
                              case("B-2")], "api")
    assert [o.status for o in out] == ["accepted", "rejected", "accepted", "accepted"]
    assert "resolved" in out[1].reasons[0]
    with fresh_backend.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 3
        assert s.scalar(select(func.sum(CaseDaily.cases))) == 3
        closed = s.scalar(select(Case).where(Case.external_id == "hot:B-closed-ok"))
        assert (closed.stage, closed.resolved_level) == ("closed", "village")
        steps = s.scalars(select(CaseTransition.to_stage).where(
            CaseTransition.case_id == closed.id).order_by(CaseTransition.id)).all()
    assert steps == ["reported", "registered", "dispatched", "handling", "handled",
                     "verified", "closed"]
    assert reported_today(fresh_backend) == 3
    day = fresh_backend.counters.local_day(NOW)
    closed_count = sum(r.count for r in fresh_backend.counters.day_counts(day)
                       if r.event == "closed")
    assert closed_count == 1
    assert_counts_match_a_rebuild(fresh_backend)


def test_a_large_batch_is_written_in_bulk_and_counted_as_a_rebuild_counts(fresh_backend):
    """500 cases of several categories, places and channels in one call: every one
    accepted with its own case, intake record and first transition, and the rollups and
    counters equal a rebuild from the case table."""
    intake = make_intake(fresh_backend)
    src, _ = make_source(fresh_backend, "bulk")
    categories, channels = ("0101", "0102", "0301", "噪声", "??"), ("12345", "网格员", "??")
    places = [dict(grid_code=GRIDS[i]) for i in range(len(GRIDS))] + [
        dict(grid_code=None, lat=INSIDE[GRIDS[0]][0], lon=INSIDE[GRIDS[0]][1]),
        dict(grid_code=None, lat=IN_COUNTY_NO_GRID[0], lon=IN_COUNTY_NO_GRID[1])]
    items = [case(f"K-{i:04d}", category=categories[i % 5], channel=channels[i % 3],
                  reported_at=LOCAL_NOW - timedelta(hours=i % 30), **places[i % len(places)])
             for i in range(500)]
    out = intake.create(src, items, "api")
    assert [o.status for o in out] == ["accepted"] * 500
    assert len({o.case_id for o in out}) == 500
    with fresh_backend.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 500
        assert s.scalar(select(func.count()).select_from(IntakeRecord)) == 500
        assert s.scalar(select(func.count()).select_from(CaseTransition)) == 500
        unplaced = s.scalar(select(func.count()).select_from(IntakeRecord)
                            .where(IntakeRecord.placement == "unplaced"))
        ids = dict(s.execute(select(Case.external_id, Case.id)).all())
    assert unplaced == sum(1 for i in range(500) if i % len(places) == len(places) - 1)
    assert [o.case_id for o in out] == [ids[f"bulk:K-{i:04d}"] for i in range(500)]
    tallies = assert_counts_match_a_rebuild(fresh_backend)
    assert sum(n for *_, n in tallies["county counters"]) == sum(
        1 for i in range(500) if LOCAL_NOW - timedelta(hours=i % 30) >=
        LOCAL_NOW.replace(hour=0, minute=0, second=0, microsecond=0))
    again = intake.create(src, items[:10] + [case("K-new")], "api")
    assert [o.status for o in again] == ["duplicate"] * 10 + ["accepted"]
    assert [o.case_id for o in again[:10]] == [o.case_id for o in out[:10]]


def test_a_case_a_racing_writer_committed_first_is_a_duplicate_and_the_rest_kept(
        fresh_backend):
    """The bulk insert meets a case whose external id another writer committed after the
    lookup (here: the case row without its intake record, as a racing transaction leaves
    it between its two inserts): the batch is written again case by case, that one is a
    duplicate, the others are accepted once, and the counts stay right."""
    from data_access import case_store as cs

    intake = make_intake(fresh_backend)
    src, _ = make_source(fresh_backend, "race")
    with cs.case_change(fresh_backend.sessions, fresh_backend.counters) as session:
        cs.report_case(session, cs.CaseDraft(
            external_id="race:R-2", source="hotline_12345", major_class="urban",
            subclass="street_light", priority="normal", title="先到", description="",
            grid_code=GRIDS[1], lon=None, lat=None, reporter_name=None, reporter_phone=None,
            address=None), NOW - timedelta(minutes=40), "other", None)
    out = intake.create(src, [case("R-1"), case("R-2"), case("R-3")], "api")
    assert [o.status for o in out] == ["accepted", "duplicate", "accepted"]
    with fresh_backend.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 3
        assert s.scalar(select(func.count()).select_from(IntakeRecord)) == 2
    assert reported_today(fresh_backend) == 3
    assert_counts_match_a_rebuild(fresh_backend)


def test_events_never_move_a_case_backwards(fresh_backend):
    intake = make_intake(fresh_backend)
    src, _ = make_source(fresh_backend, "hot")
    [created] = intake.create(src, [case("E-1")], "api")
    results = intake.apply_events(src, [
        event("E-1", "stage", 5, stage="派遣"),
        event("E-1", "stage", 2, stage="受理"),  # late: already dispatched
        event("E-1", "followup", 6, satisfaction="满意"),  # not closed yet
        event("E-1", "extension", 7, until=LOCAL_NOW + timedelta(days=10)),
        event("E-1", "extension", 8, until=LOCAL_NOW + timedelta(days=3)),  # shorter
        event("E-1", "stage", 9, stage="办结", resolved_level="grid"),
        event("E-1", "stage", 10, stage="处置"),  # late: closed
        event("E-1", "followup", 11, satisfaction="基本满意"),
        event("E-1", "followup", 12, satisfaction="不满意"),  # second one
        event("E-1", "stage", 13, stage="挂起"),  # unknown code
        event("E-9", "stage", 13, stage="受理"),  # no such case
    ], "api")
    assert [r.status for r in results] == [
        "applied", "ignored", "rejected", "applied", "ignored", "applied", "ignored",
        "applied", "ignored", "rejected", "rejected"]
    with fresh_backend.sessions() as s:
        row = s.get(Case, created.case_id)
        assert (row.stage, row.satisfaction, row.resolved_level) == (
            "closed", "basically", "grid")
        assert row.extended_until.date() == (LOCAL_NOW + timedelta(days=10)).date()
        kinds = s.scalars(select(CaseTransition.kind).where(
            CaseTransition.case_id == created.case_id).order_by(CaseTransition.id)).all()
        assert kinds.count("extension") == 1 and kinds.count("followup") == 1
        assert s.scalar(select(func.count()).select_from(IntakeRejection)) == 3
    assert_counts_match_a_rebuild(fresh_backend)


def test_a_source_touches_only_its_own_cases(fresh_backend):
    intake = make_intake(fresh_backend)
    mine, _ = make_source(fresh_backend, "mine")
    other, _ = make_source(fresh_backend, "other")
    [created] = intake.create(mine, [case("S-1")], "api")
    [answer] = intake.apply_events(other, [event("S-1", "stage", 1, stage="受理")], "api")
    assert answer.status == "rejected" and answer.case_id is None
    [same_id] = intake.create(other, [case("S-1")], "api")  # its own S-1: a different case
    assert same_id.status == "accepted" and same_id.case_id != created.case_id
    with fresh_backend.sessions() as s:
        assert s.get(Case, created.case_id).stage == "reported"


def test_forward_path():
    assert _forward_path("reported", "dispatched") == ["registered", "dispatched"]
    assert _forward_path("handling", "registered") == []
    assert _forward_path("reported", "rejected") == ["registered", "rejected"]
    assert _forward_path("dispatched", "rejected") == []
    assert _forward_path("closed", "closed") == []


def test_a_batch_costs_the_same_statements_whatever_its_size(fresh_backend):
    """The bulk path: the statements a batch sends do not grow with its cases (10 or 200
    new cases: the same count). COPY (PostgreSQL) goes past SQLAlchemy's events, so these
    are the other statements: the lookup, the ids, the inserts on SQLite, the rollups."""
    from sqlalchemy import event as sa_event

    intake = make_intake(fresh_backend)
    src, _ = make_source(fresh_backend, "count")
    intake.create(src, [case("warm-up")], "api")  # the placer's territory read, once
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa_event.listen(fresh_backend.engine, "before_cursor_execute", count)
    try:
        sizes = {}
        for size in (10, 200):
            statements.clear()
            out = intake.create(src, [case(f"S{size}-{i}", category=("0101", "0301")[i % 2])
                                      for i in range(size)], "api")
            assert {o.status for o in out} == {"accepted"}
            sizes[size] = len(statements)
    finally:
        sa_event.remove(fresh_backend.engine, "before_cursor_execute", count)
    # 15: one upsert per rollup table a new case moves (the month tables grid_monthly,
    # village_monthly and county_topic_monthly added three to the 12 before them).
    assert sizes[10] == sizes[200] <= 15, sizes


def test_only_a_case_already_stored_is_a_duplicate_another_refusal_is_a_rejection(
        fresh_backend):
    """The source's county is not in the territory: its unplaced case's 未定位 unit breaks
    the units' foreign key. That used to come back "duplicate" with nothing stored."""
    intake = make_intake(fresh_backend)
    src, _ = make_source(fresh_backend, "other_county")
    with fresh_backend.sessions.begin() as session:
        session.execute(update(IntakeSource).where(IntakeSource.id == src.id)
                        .values(county_code="320311"))  # 泉山区: not in the tiny territory
        src = find(session, "other_county")
    [outcome] = intake.create(src, [case("X-1", grid_code=None)], "api")
    assert outcome.status == "rejected"
    assert outcome.reasons[0].startswith("the database refused it: ")
    assert outcome.case_id is None
    with fresh_backend.sessions() as session:
        assert session.scalar(select(func.count()).select_from(IntakeRecord)) == 0
    # A real duplicate is still one, with its case.
    good, _ = make_source(fresh_backend, "tiny_county")
    [first] = intake.create(good, [case("X-1")], "api")
    [again] = intake._create_each(good, [case("X-1")], NOW)
    assert (first.status, again.status, again.case_id) == ("accepted", "duplicate",
                                                           first.case_id)


def test_an_empty_territory_is_said_not_counted(fresh_backend):
    from data_access.intake.placement import TerritoryMissing

    intake = Intake(fresh_backend.sessions, fresh_backend.counters, codes.load(), ZONE,
                    TickingClock(NOW))
    with fresh_backend.sessions.begin() as session:
        token = add_source(session, "early", COUNTY, NOW)
        assert token
        src = find(session, "early")
    with pytest.raises(TerritoryMissing, match="govwall init-db"):
        intake.create(src, [case("E-1")], "api")
