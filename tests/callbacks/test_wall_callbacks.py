"""The wall's callbacks read snapshots that the refresher computes off the request path:
screens never query the database, many screens cost one computation per input, a tile
shows the age of its oldest input, a dead database ages the tiles into stale and they
recover by themselves, and Redis's day counters repair themselves after a loss."""
from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from dash import no_update
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

from data_access.db import make_engine
from data_access.models import CaseTransition
from tests.support.backends import backend_names, open_backend
from tests.support.clock import TickingClock
from tests.support.wall_region import FIXED_NOW, WALL_EXPECTED, seed_wall_region

CONFIG = {"lang": "zh", "rows": 7, "unit_px": 1.0, "measure": "open", "units": [None]}
SCREENS = 20


class WallApp:
    def __init__(self, runtime, refresher, clock, backend):
        self.runtime, self.refresher, self.clock, self.backend = runtime, refresher, clock, backend


@pytest.fixture(scope="module", params=backend_names())
def wall_app(request, tmp_path_factory):
    from callbacks.context import current
    from dashboard.app import create_app
    from dashboard.background import passive_refresher
    from dashboard.runtime import open_runtime
    from dashboard.settings import Settings

    with open_backend(request.param, tmp_path_factory.mktemp("cb")) as backend:
        seed_wall_region(backend.sessions, backend.counters, FIXED_NOW)
        settings = Settings(env="test", database_url=backend.database_url,
                            redis_url=backend.redis_url, redis_namespace=backend.namespace,
                            region="320300", var_dir=tmp_path_factory.mktemp("var"))
        clock = TickingClock(FIXED_NOW)
        runtime = open_runtime(settings, clock=clock)
        # No refresher thread: each test runs its passes itself.
        create_app(settings, runtime, refresher=False)
        yield WallApp(runtime, passive_refresher(runtime, current().snapshots), clock, backend)
        runtime.close()


def _warm(wall_app, unit: str) -> None:
    """A screen has asked for `unit` and the refresher has been round."""
    wall_app.refresher.store.touch(unit, wall_app.clock().timestamp())
    wall_app.refresher.run_pass()


def _statements(engine):
    seen: list[str] = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    return seen, lambda: event.remove(engine, "before_cursor_execute", listener)


def test_screens_never_query_and_an_input_is_computed_once_for_all(wall_app):
    from callbacks.wall.alerts import refresh_alerts

    wall_app.refresher.run_pass()
    wall_app.clock.advance(10)  # every input is now older than its maximum age
    seen, stop = _statements(wall_app.runtime.engine)
    results = []
    try:
        threads = [threading.Thread(target=lambda: results.append(
            refresh_alerts({"seq": 1}, "320300", CONFIG, None))) for _ in range(SCREENS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        on_requests = list(seen)
        # Two processes' refreshers walking at once: one computes, the other finds it done.
        passes = [threading.Thread(target=wall_app.refresher.run_pass) for _ in range(2)]
        for thread in passes:
            thread.start()
        for thread in passes:
            thread.join()
    finally:
        stop()
    assert on_requests == []
    assert len(results) == SCREENS and all(r[4]["ok"] for r in results)
    assert len({str(r[0]) for r in results}) == 1
    alert_queries = [s for s in seen if "FROM cases" in s and "deadline_at" in s
                     and "supervision_level" in s]
    assert len(alert_queries) == 1, alert_queries


def test_a_tile_shows_the_age_of_its_oldest_input(wall_app):
    from callbacks.wall.kpis import refresh_kpis

    wall_app.refresher.run_pass()
    store = wall_app.refresher.store
    rates_at = store.get("kpi-rates", "320300").asof
    wall_app.clock.advance(30)  # live counts and DB figures are recomputed, rates are not
    wall_app.refresher.run_pass()
    assert store.get("kpi-live", "320300").asof >= rates_at + 30
    assert store.get("kpi-rates", "320300").asof == rates_at
    items, status, tile_class, state = refresh_kpis({"seq": 7}, None, CONFIG, None)
    assert state["asof"] == rates_at and state["seq"] == 7 and state["ok"] is True
    assert status.startswith("更新于 14:00:0")  # FIXED_NOW, the rates' instant
    assert {i["key"]: i["value"] for i in items}["in_progress"] == \
        WALL_EXPECTED["db"]["in_progress"]
    # The same snapshots again: the screen already shows them, nothing is resent.
    again = refresh_kpis({"seq": 8}, None, CONFIG, state)
    assert again[0] is no_update and again[3]["seq"] == 8 and again[3]["ok"] is True


def test_a_new_view_waits_then_shows_its_data(wall_app):
    from callbacks.wall.queue import refresh_queue

    first = refresh_queue({"seq": 1}, "320303001", CONFIG, None)
    assert first[0] is no_update and first[1] == "正在获取数据…" and first[3]["ok"] is None
    assert "320303001" in wall_app.refresher.units()
    wall_app.refresher.run_pass()
    second = refresh_queue({"seq": 2}, "320303001", CONFIG, first[3])
    assert second[0] is not no_update and second[3]["ok"] is True


def test_dead_database_ages_the_tile_into_stale_then_it_recovers(wall_app, monkeypatch):
    from callbacks.wall.queue import refresh_queue

    _warm(wall_app, "320302")
    good = refresh_queue({"seq": 1}, "320302", CONFIG, None)
    assert good[3]["ok"] is True and good[2] == "tile tile-queue"
    dead = make_engine("postgresql+psycopg://postgres@127.0.0.1:9/none",
                       connect_args={"connect_timeout": 1})
    monkeypatch.setattr(wall_app.refresher, "sessions", sessionmaker(dead))
    wall_app.clock.advance(20)
    with pytest.raises(OperationalError):  # the pass fails; run() logs it once, carries on
        wall_app.refresher.run_pass()
    # Still within a few refresh intervals: the last value, with its age, not yet stale.
    aging = refresh_queue({"seq": 2}, "320302", CONFIG, good[3])
    assert aging[3]["ok"] is True and aging[3]["asof"] == good[3]["asof"]
    wall_app.clock.advance(60)
    failed = refresh_queue({"seq": 3}, "320302", CONFIG, aging[3])
    assert failed[0] is no_update  # the last frame stays on screen
    assert failed[1].startswith("数据已过期 自 14:00") and failed[2] == "tile tile-queue stale"
    assert failed[3]["ok"] is False and failed[3]["asof"] == good[3]["asof"]
    monkeypatch.undo()
    dead.dispose()
    wall_app.refresher.run_pass()
    back = refresh_queue({"seq": 4}, "320302", CONFIG, failed[3])
    assert back[3]["ok"] is True and back[2] == "tile tile-queue"
    assert back[3]["asof"] > good[3]["asof"] + 80


def test_redis_day_counters_rebuild_themselves_and_say_so_meanwhile(wall_app):
    from callbacks.wall.kpis import refresh_kpis
    from data_access.counter_sync import keep_counters

    counters = wall_app.runtime.counters
    day = counters.local_day(wall_app.clock())
    wall_app.refresher.run_pass()
    # Redis loses the day (as after a restart without persistence) ...
    counters.redis.delete(*counters.flush_day_keys(day), counters.complete_key(day))
    assert not counters.is_complete(day)
    # ... while another process holds the rebuild: the counts say so instead of a number.
    assert counters.begin_recount(60)
    wall_app.clock.advance(5)
    wall_app.refresher.run_pass()
    items = {i["key"]: i for i in refresh_kpis({"seq": 1}, None, CONFIG, None)[0]}
    assert items["reported"]["text"] == "重新统计中" and items["reported"]["value"] is None
    assert items["in_progress"]["value"] == WALL_EXPECTED["db"]["in_progress"]
    counters.end_recount()
    assert keep_counters(wall_app.runtime.sessions, counters, wall_app.clock()) == "rebuilt"
    assert counters.is_complete(day)
    wall_app.clock.advance(5)
    wall_app.refresher.run_pass()
    items = {i["key"]: i for i in refresh_kpis({"seq": 2}, None, CONFIG, None)[0]}
    live = WALL_EXPECTED["live"]
    assert [items[k]["value"] for k in ("reported", "registered", "closed")] == \
        [live["reported"], live["registered"], live["closed"]]


def test_a_rebuild_loses_nothing_written_while_it_runs(wall_app):
    """Writers keep committing and counting while the day is rebuilt: afterwards the counts
    equal the database's, event for event."""
    from data_access import case_store as cs
    from data_access.counter_sync import events_for_day, rebuild_today
    from tests.support.wall_region import GRIDS

    runtime = wall_app.runtime
    counters = runtime.counters
    stop = threading.Event()

    def writer() -> None:
        n = 0
        while not stop.is_set():
            draft = cs.CaseDraft(external_id=f"T-RB-{n}", source="grid_patrol",
                                 major_class="urban", subclass="manhole", priority="normal",
                                 title="重建期间上报", description="", grid_code=GRIDS[n % 4],
                                 lon=None, lat=None, reporter_name=None, reporter_phone=None,
                                 address=None)
            with cs.case_change(runtime.sessions, counters) as session:
                cs.report_case(session, draft, wall_app.clock(), "test", None)
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(3):
            with runtime.sessions() as session:
                rebuild_today(session, counters, wall_app.clock())
    finally:
        stop.set()
        thread.join()
    day = counters.local_day(wall_app.clock())
    counted: dict[str, int] = {}
    for row in counters.day_counts(day):
        counted[row.event] = counted.get(row.event, 0) + row.count
    with runtime.sessions() as session:
        truth: dict[str, int] = {}
        for e in events_for_day(session, day, counters.zone):
            truth[e.event] = truth.get(e.event, 0) + 1
        written = session.scalar(select(func.count()).select_from(CaseTransition)
                                  .where(CaseTransition.actor == "test",
                                         CaseTransition.to_stage == "reported"))
    assert written > 10  # the writer really wrote during the rebuilds
    assert counted == truth


def test_map_measure_change_sends_a_patch_of_values_and_title(wall_app):
    from callbacks.wall.coverage import refresh_map

    config = {**CONFIG, "units": ["320302"]}
    _warm(wall_app, "320302")
    first, key, caption, *_ = refresh_map({"seq": 1}, "320302", "patrol", config, None, None)
    assert first["data"][0]["geojson"].endswith("/320302/grid.json")
    assert caption == "今日巡查覆盖率"
    patch, same_key, caption, _status, tile_class, _state = refresh_map(
        {"seq": 2}, "320302", "open", config, None, key)
    ops = {tuple(op["location"][2:]): op["params"]["value"]
           for op in patch.to_plotly_json()["operations"]}
    assert same_key is no_update and caption == "在办事件数" and tile_class == "tile tile-coverage"
    assert ops[("colorbar", "title", "text")] == "在办事件数"
    assert ops[("z",)] == [1.0, 0.0, 1.0]  # 鼓楼区's three grids: case A, none, case D
    assert not any(k[0] in ("geojson", "locations") for k in ops)


def test_a_snapshot_from_the_future_is_recomputed(wall_app):
    """A clock stepped back (or another host's clock ahead) must not freeze a tile until the
    clock catches up: an input dated ahead of now is recomputed at once."""
    store = wall_app.refresher.store
    wall_app.refresher.run_pass()
    wall_app.clock.advance(3600)
    wall_app.refresher.run_pass()
    ahead = store.get("queue", "320300").asof
    wall_app.clock.advance(-1800)  # the clock steps back half an hour
    wall_app.refresher.run_pass()
    now = wall_app.clock().timestamp()
    assert store.get("queue", "320300").asof <= now < ahead


def test_a_change_said_by_a_writer_makes_the_queue_due_at_once(wall_app):
    """The intake says "the queue changed" after a commit: the next pass recomputes the queue
    (not the other inputs) instead of waiting for its 10 s age."""
    from data_access.snapshots import mark_changed

    refresher = wall_app.refresher
    _warm(wall_app, "320300")
    assert "queue" not in [s.name for s in refresher.due("320300")]
    computed = refresher.store.computed_at("320300")["queue"]
    mark_changed(refresher.store.redis, wall_app.runtime.settings.redis_namespace, "320300",
                 ("queue",), wall_app.clock().timestamp())
    assert [s.name for s in refresher.due("320300")][:1] == ["queue"]
    refresher.run_pass()
    recomputed = refresher.store.computed_at("320300")["queue"]
    assert recomputed > computed
    # The change is taken in: from now on only the queue's age makes it due again.
    assert refresher.store.changed_at()["queue"] <= recomputed


def test_a_changed_queue_goes_before_inputs_that_are_merely_old(wall_app):
    """Every input past its age and the queue said changed: the queue is recomputed first
    in the pass (a case just ingested waits for it; the others only for their age)."""
    from data_access.snapshots import mark_changed

    refresher = wall_app.refresher
    _warm(wall_app, "320300")
    wall_app.clock.advance(3600)  # every input is old now
    stale = [s.name for s in refresher.due("320300")]
    assert len(stale) > 1 and "queue" in stale
    mark_changed(refresher.store.redis, wall_app.runtime.settings.redis_namespace, "320300",
                 ("queue",), wall_app.clock().timestamp())
    assert [s.name for s in refresher.due("320300")] == \
        ["queue", *(name for name in stale if name != "queue")]


def _alert_hrefs(body) -> list[str]:
    rows = body.children[0].children
    return [r.href for r in rows if (r.className or "").startswith("alert-row")]


def test_the_alert_tile_pages_through_every_alert_one_page_per_answer(wall_app):
    from callbacks.wall.alerts import ANSWERS_PER_PAGE, refresh_alerts

    _warm(wall_app, "320300")
    # Two fitted rows: one alert a page and the page number, so the three alerts on three pages.
    config = {**CONFIG, "alert_rows": 2}
    shown, state = [], None
    for seq in range(0, 4 * ANSWERS_PER_PAGE, ANSWERS_PER_PAGE):
        body, red, _status, _cls, state = refresh_alerts({"seq": seq}, "320300", config, None)
        shown.append(_alert_hrefs(body))
        assert body.children[0].children[-1].children == \
            f"第 {seq // ANSWERS_PER_PAGE % 3 + 1}/3 页"
        assert red == []  # nothing newly overdue at FIXED_NOW
    links = [parse_qs(urlsplit(h[0]).query) for h in shown]
    assert [link["q"][0] for link in links] == \
        [*WALL_EXPECTED["alerts_order"], WALL_EXPECTED["alerts_order"][0]]
    # Each row also opens its own case's detail (case=<id>), the same case each time round.
    assert all(link["case"][0].isdigit() for link in links)
    assert links[0]["case"] == links[3]["case"] != links[1]["case"]
    # The next request on the same page, with the same data: the content is not sent again.
    again = refresh_alerts({"seq": 3 * ANSWERS_PER_PAGE + 1}, "320300", config, state)
    assert again[0] is no_update and again[1] is no_update
    # The ranking one level down: Xuzhou's counties, the first with the most red.
    ranking = body.children[1].children
    assert ranking[0].children == "各县区红黄预警"
    assert [r.children[0].children for r in ranking[1:3]] == ["云龙区", "鼓楼区"]


def test_after_an_upgrade_old_snapshots_are_neither_shown_nor_trusted(wall_app, monkeypatch):
    """Snapshots outlive the code that wrote them: a new version must not unpickle an old
    value of another shape, nor skip recomputing because the old instants look fresh."""
    import data_access.snapshots as snapshots
    from callbacks.wall.queue import refresh_queue

    wall_app.refresher.run_pass()
    store = wall_app.refresher.store
    assert store.get("queue", "320300") is not None
    # Old code left a value of another shape under today's key, freshly computed.
    store.cache.set(store._key("queue", "320300"), {"old": "shape"})
    monkeypatch.setattr(snapshots, "CODE_FINGERPRINT", "next-version")
    assert store.get("queue", "320300") is None and store.computed_at("320300") == {}
    from data_access.wall_refresher import INPUTS
    assert {spec.name for spec in wall_app.refresher.due("320300")} == set(INPUTS)
    waiting = refresh_queue({"seq": 1}, "320300", CONFIG, None)
    assert waiting[1] == "正在获取数据…" and waiting[3]["ok"] is None
    wall_app.refresher.run_pass()
    shown = refresh_queue({"seq": 2}, "320300", CONFIG, None)
    assert shown[3]["ok"] is True and "external_id" in store.get("queue", "320300").value
