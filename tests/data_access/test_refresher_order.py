"""The refresher's pass asks which inputs are due again after each one it recomputes: an input
a writer nudges meanwhile (an ingested case: the queue) goes next, not after every input that
was due when the pass began; and each input is recomputed at most once a pass, however often
it is nudged (constant ingestion cannot starve the others)."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from data_access import wall_refresher as wr
from data_access.snapshots import SnapshotStore, mark_changed

START = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)


class DictCache:
    def __init__(self):
        self.values = {}

    def get(self, key):
        return self.values.get(key)

    def set(self, key, value, timeout=None):
        self.values[key] = value


@pytest.fixture
def refresher(backend, monkeypatch):
    namespace = f"order_{uuid.uuid4().hex[:8]}"
    store = SnapshotStore(DictCache(), backend.redis, namespace, "320300")
    now = [START]
    order: list[str] = []
    nudges: dict[str, list[str]] = {}  # computing this input nudges these

    def query(name):
        def run(_ask):
            order.append(name)
            for other in nudges.pop(name, []):
                mark_changed(backend.redis, namespace, "320300", (other,),
                             now[0].timestamp() + 0.5)
            return name
        return run

    inputs = {name: wr.WallInput(name, age, query(name))
              for name, age in (("alerts", 5), ("coverage", 5), ("disputes", 5),
                                ("queue", 10))}
    monkeypatch.setattr(wr, "INPUTS", inputs)
    keeper = wr.WallRefresher(backend.sessions, backend.counters, store, "320300", None,
                              lambda: now[0])
    monkeypatch.setattr(keeper, "keep_counters", lambda: None)
    keeper.run_pass()  # everything computed once, at START
    order.clear()
    yield keeper, now, order, nudges
    for key in backend.redis.scan_iter(f"{namespace}:*"):
        backend.redis.delete(key)


def test_an_input_nudged_during_a_pass_goes_next(refresher):
    keeper, now, order, nudges = refresher
    now[0] = START + timedelta(seconds=6)  # alerts, coverage, disputes due; queue not
    nudges["alerts"] = ["queue"]  # a case ingested while the alert board is computed
    assert keeper.run_pass() == 4
    assert order[0] in ("alerts", "coverage", "disputes")
    if order[0] == "alerts":
        assert order[1] == "queue", order
    else:  # the nudge comes when alerts is computed, whichever went first
        assert order[order.index("alerts") + 1] == "queue", order


def test_each_input_once_a_pass_however_often_it_is_nudged(refresher):
    keeper, now, order, nudges = refresher
    now[0] = START + timedelta(seconds=6)
    nudges.update({"queue": ["queue"], "alerts": ["queue"], "coverage": ["queue"]})
    keeper.run_pass()
    assert sorted(order) == ["alerts", "coverage", "disputes", "queue"], order
    # The last nudge is not lost: the next pass takes the queue first.
    order.clear()
    now[0] += timedelta(seconds=1)
    keeper.run_pass()
    assert order == ["queue"], order


def test_the_fast_lane_computes_only_what_was_nudged(refresher, backend):
    keeper, now, order, nudges = refresher
    lane = wr.WallRefresher(backend.sessions, backend.counters, keeper.store, "320300", None,
                            lambda: now[0], nudged_only=True)
    now[0] = START + timedelta(seconds=6)  # alerts, coverage, disputes due by age
    assert lane.run_pass() == 0 and order == []
    mark_changed(backend.redis, keeper.store.namespace, "320300", ("queue",),
                 now[0].timestamp() - 1)
    assert lane.run_pass() == 1 and order == ["queue"]
    assert lane.run_pass() == 0  # computed since the nudge: nothing more
