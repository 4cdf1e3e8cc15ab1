"""Early warnings on both backends: a known surge found and a flat series not; a cluster of
paraphrases found and an unrelated text not; a repeat caller by HMAC (never in clear);
reopened and escalated reports; the officers' status changes, link and unlink."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from data_access.case_store import ActionRefused
from data_access.models import Case, CaseTransition, EarlyWarning
from data_access.warnings import store
from data_access.warnings.callers import caller_key
from data_access.warnings.detect import DetectConfig, detect_once, run_locked
from tests.support.tiny_territory import COUNTY, GRIDS, TOWNSHIPS
from tests.support.warning_cases import NOW, SECRET, TODAY, ZONE, CaseMaker, at_local

T1, T2 = TOWNSHIPS
CONFIG = DetectConfig()


def _warnings(backend, kind: str | None = None) -> list[store.StoredWarning]:
    with backend.sessions() as session:
        found = store.recent_warnings(session, NOW - timedelta(days=400))
    return [w for w in found if kind is None or w.kind == kind]


def _daily(maker: CaseMaker, grid: str, per_day: int, days: int, today_count: int,
           category: str = "urban") -> None:
    rows = []
    for back in range(days, 0, -1):
        day = TODAY - timedelta(days=back)
        rows += [{"grid": grid, "reported": at_local(day, 9, i), "major_class": category,
                  "stage": "closed", "closed_at": at_local(day, 12)} for i in range(per_day)]
    rows += [{"grid": grid, "reported": at_local(TODAY, 9, i), "major_class": category}
             for i in range(today_count)]
    maker.add(rows)


def test_an_injected_surge_is_found_and_a_flat_series_is_not(fresh_backend):
    maker = CaseMaker(fresh_backend.sessions)
    days = CONFIG.surge.history_days
    _daily(maker, GRIDS[0], 4, days, 4)  # township 1: flat, 4 a day, 4 today
    _daily(maker, GRIDS[6], 4, days, 16)  # township 2: 4 a day, then 16 today
    summary = detect_once(fresh_backend.sessions, COUNTY, ZONE, NOW, SECRET, CONFIG)
    surges = {(w.unit_code, w.category): w for w in _warnings(fresh_backend, "surge")}
    assert set(surges) == {(T2, "urban"), (COUNTY, "urban")}
    township = surges[(T2, "urban")]
    assert township.method == "nb_glm"
    assert township.observed == 16
    assert township.expected == pytest.approx(4, abs=0.5)
    assert township.evidence["level"] == "township"
    assert township.evidence["recent"][-3:] == [4, 4, 4]
    assert len(township.case_ids) == 16  # today's cases of that township and category
    county = surges[(COUNTY, "urban")]
    assert (county.observed, round(county.expected)) == (20, 8)
    assert summary["saved"] == {"new": 2, "updated": 0}
    assert summary["by_kind"] == {"surge": 2}
    # Run again: the same warnings are updated in place, nothing new.
    again = detect_once(fresh_backend.sessions, COUNTY, ZONE, NOW, SECRET, CONFIG)
    assert again["saved"] == {"new": 0, "updated": 2}


def test_the_day_budget_caps_surge_warnings(fresh_backend):
    maker = CaseMaker(fresh_backend.sessions)
    days = CONFIG.surge.history_days
    _daily(maker, GRIDS[0], 4, days, 16)
    _daily(maker, GRIDS[6], 4, days, 16)
    tight = DetectConfig(surge=type(CONFIG.surge)(budget_per_day=1))
    detect_once(fresh_backend.sessions, COUNTY, ZONE, NOW, SECRET, tight)
    detect_once(fresh_backend.sessions, COUNTY, ZONE, NOW, SECRET, tight)
    assert len(_warnings(fresh_backend, "surge")) == 1


def test_a_cluster_of_paraphrases_is_found_and_an_unrelated_text_is_not(fresh_backend):
    maker = CaseMaker(fresh_backend.sessions)
    texts = ["和平路12号楼下井盖缺失，晚上行人容易踩空，请尽快处理",
             "和平路12号楼下的井盖缺失了，晚上行人容易踩空，请尽快修复",
             "请尽快处理：和平路12号楼下井盖缺失，行人晚上容易踩空"]
    base = {"major_class": "urban", "subclass": "manhole", "title": "井盖"}
    ids = maker.add([{**base, "grid": GRIDS[i], "reported": NOW - timedelta(days=3 - i),
                      "description": t, "lon": 117.20, "lat": 34.22}
                     for i, t in enumerate(texts)])
    unrelated = maker.add([{**base, "grid": GRIDS[1], "reported": NOW - timedelta(hours=2),
                            "subclass": "garbage", "title": "垃圾",
                            "description": "建设路垃圾桶满溢没人清运，气味很大"}])
    # The same words, far away (another township, 20 km off), or in another category, or
    # 20 days earlier: not the same problem.
    maker.add([{**base, "grid": GRIDS[9], "reported": NOW - timedelta(days=1),
                "description": texts[0], "lon": 117.45, "lat": 34.22},
               {**base, "grid": GRIDS[0], "reported": NOW - timedelta(days=1),
                "major_class": "safety", "subclass": "gas", "description": texts[1]},
               {**base, "grid": GRIDS[0], "reported": NOW - timedelta(days=20),
                "description": texts[2]}])
    detect_once(fresh_backend.sessions, COUNTY, ZONE, NOW, SECRET, CONFIG)
    found = _warnings(fresh_backend, "cluster")
    assert [w.case_ids for w in found] == [tuple(ids)]
    assert found[0].observed == 3 and found[0].unit_code == T1
    assert found[0].score >= CONFIG.cluster.threshold
    assert unrelated[0] not in found[0].case_ids


def test_a_repeat_caller_is_found_by_hmac_and_never_shown_in_clear(fresh_backend):
    maker = CaseMaker(fresh_backend.sessions)
    phones = ["13812345678", "138-1234-5678", "138 1234 5678"]
    ids = maker.add([{"grid": GRIDS[i], "reported": NOW - timedelta(days=25 - 10 * i),
                      "source": "hotline_12345", "reporter_phone": p,
                      "subclass": ["street_light", "noise", "garbage"][i],
                      "major_class": ["urban", "environment", "urban"][i],
                      "address": f"和平路{i}号"} for i, p in enumerate(phones)])
    # Twice only; three times but over 30 days; three times by a grid worker: none.
    maker.add([{"grid": GRIDS[3], "reported": NOW - timedelta(days=d), "reporter_phone":
                "13900000001", "address": f"人民路{d}号"} for d in (1, 2)])
    maker.add([{"grid": GRIDS[3], "reported": NOW - timedelta(days=d), "reporter_phone":
                "13900000002", "address": f"人民路{d}号"} for d in (1, 20, 40)])
    maker.add([{"grid": GRIDS[4], "reported": NOW - timedelta(days=d), "reporter_phone":
                "13900000003", "source": "grid_patrol", "address": f"解放路{d}号"}
               for d in (1, 2, 3)])
    detect_once(fresh_backend.sessions, COUNTY, ZONE, NOW, SECRET, CONFIG)
    found = _warnings(fresh_backend, "repeat_caller")
    assert [w.case_ids for w in found] == [tuple(ids)]
    key = caller_key("13812345678", SECRET)
    assert found[0].evidence == {"caller": key[:8]}
    assert key == caller_key("138 1234 5678", SECRET) != caller_key("13812345678", b"other")
    with fresh_backend.sessions() as session:
        stored = session.scalars(select(EarlyWarning.evidence)).all()
    assert not any("1234" in text.replace(key[:8], "") for text in stored)


def test_reopened_and_escalated_reports(fresh_backend):
    maker = CaseMaker(fresh_backend.sessions)
    phone = "13700001111"
    closed, back = maker.add([
        {"grid": GRIDS[0], "reported": NOW - timedelta(days=10), "reporter_phone": phone,
         "stage": "closed", "closed_at": NOW - timedelta(days=8), "address": "和平路1号"},
        {"grid": GRIDS[0], "reported": NOW - timedelta(days=2), "reporter_phone": phone,
         "address": "和平路1号"}])
    local, over = maker.add([
        {"grid": GRIDS[7], "reported": NOW - timedelta(days=5), "reporter_phone": "13600002222",
         "major_class": "dispute", "subclass": "dispute", "address": "人民路8号"},
        {"grid": GRIDS[7], "reported": NOW - timedelta(days=1), "reporter_phone": "13600002222",
         "major_class": "dispute", "subclass": "dispute", "source": "hotline_12345",
         "address": "人民路8号"}])
    # Escalated after the local case was closed: not over the local level's head.
    maker.add([
        {"grid": GRIDS[8], "reported": NOW - timedelta(days=6), "reporter_phone": "13500003333",
         "stage": "closed", "closed_at": NOW - timedelta(days=5), "major_class": "order",
         "subclass": "public_order", "address": "淮海路3号"},
        {"grid": GRIDS[8], "reported": NOW - timedelta(days=1), "reporter_phone": "13500003333",
         "major_class": "order", "subclass": "gathering", "source": "petition",
         "address": "淮海路3号"}])
    detect_once(fresh_backend.sessions, COUNTY, ZONE, NOW, SECRET, CONFIG)
    assert [w.case_ids for w in _warnings(fresh_backend, "reopened")] == [(closed, back)]
    assert [w.case_ids for w in _warnings(fresh_backend, "escalated")] == [(local, over)]


def _cluster_warning(backend) -> tuple[int, list[int]]:
    maker = CaseMaker(backend.sessions)
    ids = maker.add([{"grid": GRIDS[0], "reported": NOW - timedelta(days=i + 1),
                      "subclass": "manhole",
                      "description": "和平路12号楼下井盖缺失，晚上行人容易踩空"}
                     for i in range(3)])
    closed = maker.add([{"grid": GRIDS[0], "reported": NOW - timedelta(days=5),
                         "subclass": "manhole", "stage": "closed",
                         "closed_at": NOW - timedelta(days=4), "resolved_level": "grid",
                         "description": "和平路12号楼下井盖缺失，晚上行人容易踩空。"}])
    detect_once(backend.sessions, COUNTY, ZONE, NOW, SECRET, CONFIG)
    (warning,) = _warnings(backend, "cluster")
    assert sorted(warning.case_ids) == sorted(ids + closed)
    return warning.id, ids + closed


def test_status_changes_acknowledge_dismiss_and_refusals(fresh_backend):
    warning_id, _ids = _cluster_warning(fresh_backend)
    with fresh_backend.sessions.begin() as session:
        store.acknowledge(session, warning_id, "zhang", NOW)
    with pytest.raises(ActionRefused) as refused, fresh_backend.sessions.begin() as session:
        store.acknowledge(session, warning_id, "zhang", NOW)
    assert refused.value.code == "warning_status"
    with pytest.raises(ActionRefused) as refused, fresh_backend.sessions.begin() as session:
        store.dismiss(session, warning_id, "zhang", NOW, "  ")
    assert refused.value.code == "reason_required"
    with fresh_backend.sessions.begin() as session:
        store.dismiss(session, warning_id, "li", NOW + timedelta(minutes=5), "同一井盖已在处理")
    with fresh_backend.sessions() as session:
        w = store.get_warning(session, warning_id)
    assert (w.status, w.status_by, w.status_reason) == ("dismissed", "li", "同一井盖已在处理")
    assert w.status_at == NOW + timedelta(minutes=5)
    # A later run keeps the officer's verdict.
    detect_once(fresh_backend.sessions, COUNTY, ZONE, NOW, SECRET, CONFIG)
    with fresh_backend.sessions() as session:
        assert store.get_warning(session, warning_id).status == "dismissed"


def test_a_warning_becomes_a_supervision_order_through_the_case_write_path(fresh_backend):
    warning_id, ids = _cluster_warning(fresh_backend)
    transitions = store.supervise(fresh_backend.sessions, fresh_backend.counters, warning_id,
                                  "zhang", NOW, level=2)
    assert len(transitions) == 3  # the open cases; the closed one is left alone
    with fresh_backend.sessions() as session:
        levels = dict(session.execute(select(Case.id, Case.supervision_level)
                                      .where(Case.id.in_(ids))).all())
        notes = session.scalars(select(CaseTransition.note)
                                .where(CaseTransition.kind == "supervision")).all()
        assert store.get_warning(session, warning_id).status == "supervised"
    assert sorted(levels.values()) == [0, 2, 2, 2]
    assert notes == [f"预警 #{warning_id}"] * 3
    with pytest.raises(ActionRefused):
        store.supervise(fresh_backend.sessions, fresh_backend.counters, warning_id, "zhang",
                        NOW, level=2)


def test_link_and_unlink_and_the_detector_respects_an_unlink(fresh_backend):
    warning_id, ids = _cluster_warning(fresh_backend)
    other = CaseMaker(fresh_backend.sessions).add([{"grid": GRIDS[1], "reported": NOW}])[0]
    with fresh_backend.sessions.begin() as session:
        store.unlink_case(session, warning_id, ids[0], "zhang", NOW)
        store.link_case(session, warning_id, other, "zhang", NOW)
    with pytest.raises(ActionRefused) as refused, fresh_backend.sessions.begin() as session:
        store.unlink_case(session, warning_id, ids[0], "zhang", NOW)
    assert refused.value.code == "not_linked"
    detect_once(fresh_backend.sessions, COUNTY, ZONE, NOW, SECRET, CONFIG)
    with fresh_backend.sessions() as session:
        w = store.get_warning(session, warning_id)
    assert sorted(w.case_ids) == sorted([*ids[1:], other])
    assert w.observed == 4


def test_one_run_at_a_time_under_the_redis_lock(fresh_backend):
    _cluster_warning(fresh_backend)
    b = fresh_backend
    b.redis.set(f"{b.namespace}:v1:warnings:{COUNTY}:lock", "someone else", ex=60)
    assert run_locked(b.sessions, b.redis, b.namespace, COUNTY, ZONE, NOW, SECRET) is None
    b.redis.delete(f"{b.namespace}:v1:warnings:{COUNTY}:lock")
    summary = run_locked(b.sessions, b.redis, b.namespace, COUNTY, ZONE, NOW, SECRET)
    assert summary["by_kind"] == {"cluster": 1}
    assert json.loads(b.redis.get(f"{b.namespace}:v1:warnings:{COUNTY}:last-run"))[
        "saved"] == {"new": 0, "updated": 1}


def test_the_ops_list_and_the_wall_board_read_what_is_stored(fresh_backend):
    warning_id, ids = _cluster_warning(fresh_backend)
    with fresh_backend.sessions.begin() as session:
        store.acknowledge(session, warning_id, "zhang", NOW)
    with fresh_backend.sessions() as session:
        (row,) = store.warning_list(session, NOW - timedelta(days=1),
                                    lambda code: code.startswith(COUNTY))
        board = store.warning_board(session, lambda code: code.startswith(COUNTY), NOW)
        elsewhere = store.warning_board(session, lambda code: code.startswith("320311"), NOW)
        external = dict(session.execute(select(Case.id, Case.external_id)).all())
    assert (row["id"], row["kind"], row["status"], row["status_by"]) == \
        (warning_id, "cluster", "acknowledged", "zhang")
    assert row["place"] == "第01街道" and row["observed"] == 4
    assert row["cases"] == [external[i] for i in sorted(ids)]
    assert (board.total_open, board.open_by_kind) == (1, {"cluster": 1})
    assert board.rows[0]["place"] == "第01街道" and board.rows[0]["cases"] == 4
    assert elsewhere.total_open == 0 and elsewhere.rows == []


def test_each_run_signs_only_the_new_cases_and_tells_two_buildings_apart(fresh_backend):
    """Run 1 signs the window's four reports (two problems: the same kind of problem at
    buildings 12 and 15 of one community); run 2 signs only the two reported since, and
    the clusters grow from the stored signatures: one warning per building."""
    from data_access.models import CaseSignature

    maker = CaseMaker(fresh_backend.sessions)
    base = {"grid": GRIDS[0], "subclass": "manhole", "title": "井盖缺失"}
    twelve = ["和平路12号楼下井盖缺失，晚上行人容易踩空",
              "十二号楼楼下的窨井盖不见了，夜里走路很危险", "12栋楼下井盖丢了好几天，请尽快处理"]
    fifteen = ["和平路15号楼下井盖缺失，晚上行人容易踩空",
               "十五号楼楼下的窨井盖不见了，夜里走路很危险", "15栋楼下井盖丢了好几天，请尽快处理"]
    first = maker.add([{**base, "reported": NOW - timedelta(days=2, hours=i),
                        "description": text} for i, text in enumerate(twelve[:2] + fifteen[:2])])
    earlier = NOW - timedelta(hours=6)
    summary = detect_once(fresh_backend.sessions, COUNTY, ZONE, earlier, SECRET, CONFIG)
    assert summary["clusters"]["signed"] == 4 and summary["clusters"]["found"] == 0
    later = maker.add([{**base, "reported": NOW - timedelta(hours=2 + i), "description": t}
                       for i, t in enumerate((twelve[2], fifteen[2]))])
    summary = detect_once(fresh_backend.sessions, COUNTY, ZONE, NOW, SECRET, CONFIG)
    assert summary["clusters"]["signed"] == 2
    assert summary["clusters"]["neighbours_read"] == 4
    found = sorted(w.case_ids for w in _warnings(fresh_backend, "cluster"))
    assert found == sorted([(first[0], first[1], later[0]), (first[2], first[3], later[1])])
    with fresh_backend.sessions() as session:
        placed = dict(session.execute(select(CaseSignature.case_id,
                                             CaseSignature.cluster_id)).all())
    assert placed == {first[0]: first[0], first[1]: first[0], later[0]: first[0],
                      first[2]: first[2], first[3]: first[2], later[1]: first[2]}
    again = detect_once(fresh_backend.sessions, COUNTY, ZONE, NOW, SECRET, CONFIG)
    assert again["clusters"]["signed"] == 0 and again["saved"] == {"new": 0, "updated": 2}
