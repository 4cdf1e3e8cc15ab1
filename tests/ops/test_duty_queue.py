"""The duty queue (issue 9, item 2) against hand-counted cases, the clock frozen at ops_cases.NOW
(Wednesday 2026-11-18 10:00 in Shanghai; street-light cases: a 7-working-hour limit,
approaching under 3.5 working hours left).

Besides ops_cases' eight (A–H; A and H acknowledged here), this module adds:

  key   township  reported   acknowledged  deadline (local)   supervision order to
  OLD   001       3 days ago no            Fri 11-20 12:00    —
  SUPT  001       3 days ago yes           Fri 11-20 12:00    its township (the default)
  SUPC  002       3 days ago yes           Thu 11-19 15:00    its county
  URG   001       10 min ago no            none (urgent)      —

so that, for the county: overdue C, D; approaching B; new and not acknowledged B, C, D, G,
URG; supervised SUPT, SUPC; in urgency order D, C, B, SUPC, SUPT, URG, G.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import redis
from cachelib import RedisCache
from sqlalchemy import select

from data_access import case_store
from data_access.duty_queue import cached_queue, duty_queue
from data_access.models import Case, CaseTransition
from tests.support.backends import backend_names, open_backend
from tests.support.ops_cases import NOW, ZONE, insert_ops_cases
from tests.support.tiny_territory import COUNTY, GRIDS, TOWNSHIPS

T1, T2 = TOWNSHIPS
EXTRA = {
    # key: (grid, reported hours before NOW, acknowledged, local deadline, priority)
    "OLD": (GRIDS[0], 72, False, datetime(2026, 11, 20, 12, 0), "normal"),
    "SUPT": (GRIDS[1], 72, True, datetime(2026, 11, 20, 12, 0), "normal"),
    "SUPC": (GRIDS[8], 72, True, datetime(2026, 11, 19, 15, 0), "normal"),
    "URG": (GRIDS[3], 1 / 6, False, None, "urgent"),
}


def _add(sessions, counters) -> dict[str, int]:
    ids = {}
    with sessions.begin() as session:
        for key, (grid, hours, _ack, deadline, priority) in EXTRA.items():
            reported = NOW - timedelta(hours=hours)
            case = Case(external_id=f"DQ-{key}", source="grid_patrol", major_class="urban",
                        subclass="street_light", priority=priority, title=f"<b>{key}</b>",
                        description="", grid_code=grid, township_code=grid[:9],
                        county_code=COUNTY, stage="handling", reported_at=reported,
                        deadline_at=deadline.replace(tzinfo=ZONE) if deadline else None,
                        rework_count=0, supervision_level=0, updated_at=reported)
            session.add(case)
            session.flush()
            ids[key] = case.id
    return ids


@pytest.fixture(scope="module", params=backend_names())
def queue_backend(request, tmp_path_factory):
    with open_backend(request.param, tmp_path_factory.mktemp(f"dq-{request.param}")) as b:
        ids = insert_ops_cases(b.sessions)
        ids.update(_add(b.sessions, b.counters))
        at = NOW - timedelta(minutes=30)
        with case_store.case_change(b.sessions, b.counters) as session:
            for key in ("A", "H", "SUPT", "SUPC"):
                case_store.perform(session, ids[key], "acknowledge", "值班员甲", at)
            case_store.perform(session, ids["SUPT"], "supervise", "指挥中心", at, level=1,
                               note="请加快办理")
            case_store.perform(session, ids["SUPC"], "supervise", "指挥中心", at, level=2,
                               note="请区里协调", addressee=COUNTY)
        b.case_ids = ids
        yield b


def _queue(b, area: str, now=NOW):
    with b.sessions() as session:
        return duty_queue(session, area, now, ZONE)


def _keys(b, q) -> list[str]:
    by_id = {v: k for k, v in b.case_ids.items()}
    return [by_id[r["id"]] for r in q.rows]


def test_the_county_queue_holds_its_groups_counted_and_ordered_by_urgency(queue_backend):
    q = _queue(queue_backend, COUNTY)
    assert q.counts == {"overdue": 2, "approaching": 1, "unacknowledged": 5, "supervised": 2,
                        "total": 7}
    assert _keys(queue_backend, q) == ["D", "C", "B", "SUPC", "SUPT", "URG", "G"]
    groups = {k: r["groups"] for k, r in zip(_keys(queue_backend, q), q.rows, strict=True)}
    assert groups == {"D": ["overdue", "unacknowledged"], "C": ["overdue", "unacknowledged"],
                      "B": ["approaching", "unacknowledged"], "SUPC": ["supervised"],
                      "SUPT": ["supervised"], "URG": ["unacknowledged"],
                      "G": ["unacknowledged"]}
    d = q.rows[0]
    # D: due Sun 11-15 10:00, judged Wed 10:00: Mon and Tue (7 h each) and Wed's first hour.
    assert (d["deadline_state"], d["overdue_for"]) == ("overdue", (2, 1, 0))
    assert [r["deadline_state"] for r in q.rows] == ["overdue", "overdue", "approaching",
                                                      "normal", "normal", "normal", "normal"]
    assert (d["township_name"], d["grid_name"]) == ("第02街道", "第07网格")


def test_a_township_sees_only_its_cases_and_the_orders_addressed_inside_it(queue_backend):
    q1 = _queue(queue_backend, T1)
    assert q1.counts == {"overdue": 1, "approaching": 1, "unacknowledged": 4, "supervised": 1,
                         "total": 5}
    assert _keys(queue_backend, q1) == ["C", "B", "SUPT", "URG", "G"]
    # SUPC lies in township 002 but its order went to the county: not that township's to act.
    q2 = _queue(queue_backend, T2)
    assert q2.counts == {"overdue": 1, "approaching": 0, "unacknowledged": 1, "supervised": 0,
                         "total": 1}
    assert _keys(queue_backend, q2) == ["D"]
    grid = _queue(queue_backend, GRIDS[2])
    assert (grid.counts["total"], _keys(queue_backend, grid)) == (1, ["C"])
    # The whole region (the city) is the county here.
    assert _queue(queue_backend, "320300").counts == _queue(queue_backend, COUNTY).counts


def test_a_case_becomes_overdue_in_the_queue_as_the_clock_passes_its_deadline(queue_backend):
    # B is due at 11:00; judged at the minute, it is overdue from 11:01.
    before = _queue(queue_backend, T1, NOW + timedelta(minutes=60))
    after = _queue(queue_backend, T1, NOW + timedelta(minutes=61))
    assert (before.counts["overdue"], before.counts["approaching"]) == (1, 1)
    assert (after.counts["overdue"], after.counts["approaching"]) == (2, 0)
    assert "overdue" in after.rows[1]["groups"] and _keys(queue_backend, after)[:2] == ["C", "B"]
    # A day later nothing reported on Wednesday morning is new any more.
    later = _queue(queue_backend, T1, NOW + timedelta(hours=25))
    assert later.counts["unacknowledged"] == 0


def test_supervision_orders_carry_their_addressee(queue_backend):
    b, ids = queue_backend, queue_backend.case_ids
    with b.sessions() as session:
        rows = dict(session.execute(select(CaseTransition.case_id, CaseTransition.addressee)
                                    .where(CaseTransition.kind == "supervision")).all())
        on_case = dict(session.execute(select(Case.id, Case.supervision_addressee)
                                       .where(Case.supervision_level > 0)).all())
    assert rows == {ids["SUPT"]: T1, ids["SUPC"]: COUNTY}
    assert on_case == {ids["SUPT"]: T1, ids["SUPC"]: COUNTY}
    # Only the case's own township or county: another unit is refused, nothing written.
    with pytest.raises(case_store.ActionRefused) as refused:
        with case_store.case_change(b.sessions, b.counters) as session:
            case_store.perform(session, ids["D"], "supervise", "指挥中心", NOW, level=1,
                               addressee=T1)
    assert refused.value.code == "bad_addressee"
    with b.sessions() as session:
        assert session.scalar(select(Case.supervision_level).where(Case.id == ids["D"])) == 0


def test_the_cached_queue_is_computed_once_per_area_and_bucket(queue_backend):
    b = queue_backend
    # As the app's flask-caching cache: pickles, on a client that does not decode replies.
    cache = RedisCache(host=redis.Redis.from_url(b.redis_url), key_prefix=f"{b.namespace}:dq:")
    seconds = [1_000_000.0]

    def ask():
        return cached_queue(cache, b.redis, b.sessions, T2, "320300", lambda: NOW, ZONE,
                            clock=lambda: seconds[0])

    first = ask()
    assert first.counts["total"] == 1
    with case_store.case_change(b.sessions, b.counters) as session:
        new_id = case_store.report_case(session, case_store.CaseDraft(
            "DQ-NEW", "hotline_12345", "urban", "street_light", "urgent", "新的紧急案件", "",
            GRIDS[9], None, None, None, None, None), NOW - timedelta(minutes=1), "12345",
            None)
    try:
        assert ask().counts["total"] == 1  # the same 5-second bucket: the computed answer
        seconds[0] += 5
        fresh = ask()
        assert fresh.counts == {"overdue": 1, "approaching": 0, "unacknowledged": 2,
                                "supervised": 0, "total": 2}
        assert [r["id"] for r in fresh.rows][-1] == new_id
    finally:
        with b.sessions.begin() as session:
            session.query(CaseTransition).filter(CaseTransition.case_id == new_id).delete()
            session.query(Case).filter(Case.id == new_id).delete()
