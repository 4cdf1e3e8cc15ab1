"""The write path: stage rules, officer actions and their refusals, one transition per change,
all-or-nothing transactions."""
from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from data_access import case_store as cs
from data_access.models import Case, CaseTransition, Unit
from data_access.timeutil import as_utc
from tests.support.tiny_territory import GRIDS, insert_tiny_territory

T0 = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)
_ids = itertools.count()


@pytest.fixture
def store(backend):
    with backend.sessions.begin() as session:
        if session.scalar(select(func.count()).select_from(Unit)) == 0:
            insert_tiny_territory(session)
    return backend


def draft(**changes) -> cs.CaseDraft:
    values = dict(external_id=f"T-{next(_ids)}", source="grid_patrol", major_class="urban",
                  subclass="street_light", priority="normal", title="路灯损坏",
                  description="路灯不亮", grid_code=GRIDS[0], lon=117.2, lat=34.2,
                  reporter_name="王伟", reporter_phone="13900001111", address="和平路1号")
    values.update(changes)
    return cs.CaseDraft(**values)


def new_case(backend, **changes) -> int:
    with cs.case_change(backend.sessions, backend.counters) as session:
        return cs.report_case(session, draft(**changes), T0, "sim", T0 + timedelta(days=1))


def move(backend, case_id: int, *stages: str, **fields) -> None:
    for i, stage in enumerate(stages):
        with cs.case_change(backend.sessions, backend.counters) as session:
            extra = {"resolved_level": "village"} if stage == "closed" else {}
            cs.advance(session, case_id, stage, T0 + timedelta(minutes=i + 1), "sim",
                       **extra, **fields)


def transitions(backend, case_id: int) -> list[tuple[str, str | None, str | None]]:
    with backend.sessions() as session:
        return [tuple(row) for row in session.execute(
            select(CaseTransition.kind, CaseTransition.from_stage, CaseTransition.to_stage)
            .where(CaseTransition.case_id == case_id).order_by(CaseTransition.id))]


def test_report_is_idempotent_on_external_id(store):
    d = draft()
    with cs.case_change(store.sessions, store.counters) as session:
        first = cs.report_case(session, d, T0, "sim", None)
    with cs.case_change(store.sessions, store.counters) as session:
        again = cs.report_case(session, d, T0, "sim", None)
    assert first is not None and again is None
    with store.sessions() as session:
        case = session.get(Case, first)
        assert (case.township_code, case.county_code) == (GRIDS[0][:9], "320303")
    assert transitions(store, first) == [("stage", None, "reported")]


def test_full_loop_with_rework_records_one_transition_per_change(store):
    case_id = new_case(store)
    move(store, case_id, "registered", "dispatched", "handling", "handled", "handling",
         "handled", "verified", "closed")
    with store.sessions() as session:
        case = session.get(Case, case_id)
        assert (case.stage, case.rework_count, case.resolved_level) == ("closed", 1, "village")
        assert as_utc(case.closed_at) == T0 + timedelta(minutes=8)
    kinds = transitions(store, case_id)
    assert len(kinds) == 9
    assert kinds[5] == ("rework", "handled", "handling")


def test_return_sends_a_misrouted_case_back_to_registration(store):
    case_id = new_case(store)
    move(store, case_id, "registered", "dispatched", "handling", "registered", "dispatched")
    assert transitions(store, case_id)[4] == ("return", "handling", "registered")


@pytest.mark.parametrize(("path", "target", "code"), [
    ((), "dispatched", "illegal_stage"),
    ((), "closed", "illegal_stage"),
    (("registered",), "handled", "illegal_stage"),
    (("registered", "dispatched", "handling"), "verified", "illegal_stage"),
    (("registered", "rejected"), "dispatched", "rejected_case"),
    (("registered", "dispatched", "handling", "handled", "verified", "closed"), "handling",
     "closed_case"),
])
def test_stage_order_is_enforced(store, path, target, code):
    case_id = new_case(store)
    move(store, case_id, *path)
    with pytest.raises(cs.ActionRefused) as refused, store.sessions.begin() as session:
        cs.advance(session, case_id, target, T0 + timedelta(hours=1), "sim")
    assert refused.value.code == code
    assert len(transitions(store, case_id)) == 1 + len(path)


def test_closing_needs_the_resolution_level(store):
    case_id = new_case(store)
    move(store, case_id, "registered", "dispatched", "handling", "handled", "verified")
    with pytest.raises(cs.ActionRefused) as refused, store.sessions.begin() as session:
        cs.advance(session, case_id, "closed", T0 + timedelta(hours=1), "sim")
    assert refused.value.code == "resolved_level_required"


CLOSED = ("registered", "dispatched", "handling", "handled", "verified", "closed")
REJECTED = ("registered", "rejected")


@pytest.mark.parametrize(("path", "action", "params", "code"), [
    (CLOSED, "acknowledge", {}, "closed_case"),
    (REJECTED, "acknowledge", {}, "rejected_case"),
    (CLOSED, "supervise", {"level": 1}, "closed_case"),
    (REJECTED, "supervise", {"level": 1}, "rejected_case"),
    ((), "supervise", {"level": 4}, "bad_level"),
    (CLOSED, "escalate", {"note": "x"}, "closed_case"),
    ((), "note", {"note": "  "}, "note_required"),
    ((), "note", {"note": "长" * 2001}, "note_too_long"),
    ((), "followup", {"satisfaction": "satisfied"}, "not_closed"),
    (CLOSED, "followup", {"satisfaction": "happy"}, "bad_satisfaction"),
    (("registered",), "extend", {"until": T0}, "wrong_stage"),
    ((), "teleport", {}, "unknown_action"),
])
def test_actions_refused_with_a_code(store, path, action, params, code):
    case_id = new_case(store)
    move(store, case_id, *path)
    before = len(transitions(store, case_id))
    with pytest.raises(cs.ActionRefused) as refused, store.sessions.begin() as session:
        cs.perform(session, case_id, action, "officer", T0 + timedelta(hours=2), **params)
    assert refused.value.code == code
    assert str(refused.value)
    assert len(transitions(store, case_id)) == before


def test_acknowledge_once_and_followup_once(store):
    case_id = new_case(store)
    with cs.case_change(store.sessions, store.counters) as session:
        cs.perform(session, case_id, "acknowledge", "li", T0)
    with pytest.raises(cs.ActionRefused) as refused, store.sessions.begin() as session:
        cs.perform(session, case_id, "acknowledge", "wang", T0)
    assert refused.value.code == "already_acknowledged"
    move(store, case_id, *CLOSED)
    with cs.case_change(store.sessions, store.counters) as session:
        cs.perform(session, case_id, "followup", "sim", T0, satisfaction="basically")
    with pytest.raises(cs.ActionRefused) as refused, store.sessions.begin() as session:
        cs.perform(session, case_id, "followup", "sim", T0, satisfaction="satisfied")
    assert refused.value.code == "already_followed_up"
    with store.sessions() as session:
        case = session.get(Case, case_id)
        assert (case.acknowledged_by, case.satisfaction) == ("li", "basically")


def test_supervision_keeps_the_highest_level_and_records_each_order(store):
    case_id = new_case(store)
    for level in (2, 1, 3):
        with cs.case_change(store.sessions, store.counters) as session:
            cs.perform(session, case_id, "supervise", "chief", T0, level=level, note="抓紧办理")
    with store.sessions() as session:
        assert session.get(Case, case_id).supervision_level == 3
        levels = session.scalars(select(CaseTransition.level).where(
            CaseTransition.case_id == case_id, CaseTransition.kind == "supervision")
            .order_by(CaseTransition.id)).all()
    assert levels == [2, 1, 3]


def test_allowed_actions_follow_the_same_table(store):
    case_id = new_case(store)
    with store.sessions() as session:
        assert cs.allowed_actions(session.get(Case, case_id)) == {
            "acknowledge", "supervise", "escalate", "note", "unmask"}
    move(store, case_id, *CLOSED)
    with store.sessions() as session:
        assert cs.allowed_actions(session.get(Case, case_id)) == {"note", "followup", "unmask"}
    assert cs.allowed_actions({"stage": "handling", "acknowledged_at": T0,
                               "followed_up_at": None}) == {
        "supervise", "escalate", "extend", "note", "unmask"}


def test_a_failure_mid_change_leaves_neither_row(store):
    case_id = new_case(store)
    with pytest.raises(RuntimeError), \
            cs.case_change(store.sessions, store.counters) as session:
        cs.advance(session, case_id, "registered", T0, "sim")
        raise RuntimeError("power cut")
    with store.sessions() as session:
        assert session.get(Case, case_id).stage == "reported"
    assert len(transitions(store, case_id)) == 1


def test_counted_events_follow_the_commit(store):
    case_id = new_case(store)
    day = store.counters.local_day(T0)
    with cs.case_change(store.sessions, store.counters) as session:
        tid = cs.advance(session, case_id, "registered", T0, "sim")
    assert store.counters.applied_ids(day, [tid]) == {tid}
    with store.sessions.begin() as session:
        tid2 = cs.perform(session, case_id, "unmask", "officer", T0)
        events = cs.pending_events(session)
    assert [(e.transition_id, e.event) for e in events] == [(tid2, "unmask")]
    assert cs.pending_events(session) == []


def test_a_crash_between_commit_and_counting_is_repaired_by_catch_up(fresh_backend):
    from data_access.counter_sync import catch_up_today, rebuild_today

    backend = fresh_backend
    now = datetime.now(UTC)
    with backend.sessions.begin() as session:
        insert_tiny_territory(session)
    with cs.case_change(backend.sessions, backend.counters) as session:
        case_id = cs.report_case(session, draft(), now, "sim", None)
    day = backend.counters.local_day(now)

    def counted() -> dict:
        return {(r.county_code, r.event): r.count for r in backend.counters.day_counts(day)}

    with pytest.raises(ConnectionError), backend.sessions() as session:
        with session.begin():
            cs.advance(session, case_id, "registered", now, "sim")
        cs.pending_events(session)
        raise ConnectionError("the process died before Counters.apply")
    assert counted() == {("320303", "reported"): 1}  # short by exactly the registration
    with backend.sessions() as session:
        assert catch_up_today(session, backend.counters, now) == 1
        after_catch_up = counted()
        assert catch_up_today(session, backend.counters, now) == 0
        assert counted() == after_catch_up
        rebuild_today(session, backend.counters, now)
    assert counted() == after_catch_up == {("320303", "reported"): 1,
                                           ("320303", "registered"): 1}


def test_a_redis_outage_does_not_undo_the_change(store, monkeypatch):
    import redis

    def down(events):
        raise redis.ConnectionError("redis is down")

    monkeypatch.setattr(store.counters, "apply", down)
    with cs.case_change(store.sessions, store.counters) as session:
        case_id = cs.report_case(session, draft(), T0, "sim", None)
    assert transitions(store, case_id) == [("stage", None, "reported")]


def test_a_rejection_is_counted_on_its_registrations_day_by_both_counting_paths(fresh_backend):
    """不予受理 takes back a 立案: the write path counts a rejection on the registration's
    local day, and a rebuild of the day from the database counts the same (a return to
    registration is counted as a return, never as a registration)."""
    from data_access.counter_sync import rebuild_today

    backend, zone = fresh_backend, fresh_backend.counters.zone
    with backend.sessions.begin() as session:
        insert_tiny_territory(session)

    def at(day: int, hour: int, minute: int) -> datetime:
        return datetime(2026, 11, day, hour, minute, tzinfo=zone).astimezone(UTC)

    def change(when: datetime, step) -> int:
        with cs.case_change(backend.sessions, backend.counters) as session:
            return step(session, when)

    late, today, back = (change(at(17, 23, 50), lambda s, t: cs.report_case(
        s, draft(), t, "sim", t + timedelta(days=2))) for _ in range(3))
    for case_id, steps in ((late, [(at(17, 23, 55), "registered"), (at(18, 0, 5), "rejected")]),
                           (today, [(at(18, 9, 0), "registered"), (at(18, 9, 5), "rejected")]),
                           (back, [(at(17, 23, 56), "registered"), (at(18, 8, 0), "dispatched"),
                                   (at(18, 9, 0), "registered")])):
        for when, stage in steps:
            change(when, lambda s, t, c=case_id, st=stage: cs.advance(s, c, st, t, "sim"))

    def counted(day: int) -> dict[str, int]:
        return {r.event: r.count for r in backend.counters.day_counts(date(2026, 11, day))}

    yesterday = {"reported": 3, "registered": 2, "rejected": 1}
    today_counts = {"registered": 1, "rejected": 1, "dispatched": 1, "return": 1}
    assert (counted(17), counted(18)) == (yesterday, today_counts)
    with backend.sessions() as session:
        assert rebuild_today(session, backend.counters, at(18, 12, 0)) == 4
    assert (counted(17), counted(18)) == (yesterday, today_counts)
