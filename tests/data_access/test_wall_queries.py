"""The wall's queries on both backends, against the hand-made slice in tests/support/wall_region."""
from __future__ import annotations

from datetime import timedelta

import pytest

from data_access import alerts, coverage, disputes, kpis, mix, queue, rollups
from data_access.counters import CountedEvent, CountedEvents, Counters
from data_access.wall_scope import ScopeError, scope_for
from tests.support.wall_region import FIXED_NOW, GRIDS, WALL_EXPECTED, ZONE, seed_wall_region

XUZHOU = scope_for("320300")


@pytest.fixture(scope="module")
def region(tmp_path_factory, request):
    from tests.support.backends import backend_names, open_backend

    opened = []
    for name in backend_names():
        ctx = open_backend(name, tmp_path_factory.mktemp(f"wall-{name}"))
        backend = ctx.__enter__()
        seed_wall_region(backend.sessions, backend.counters)
        opened.append((ctx, backend))
    yield [b for _, b in opened]
    for ctx, _ in opened:
        ctx.__exit__(None, None, None)


def _each(region):
    for backend in region:
        with backend.sessions() as session:
            yield backend, session


def test_scope_of_city_county_and_township():
    assert "320302" in XUZHOU.counties and "320102" not in XUZHOU.counties
    assert scope_for("320303").counties == ("320303",)
    township = scope_for("320302001")
    assert (township.level, township.counties, township.township) == \
        ("township", ("320302",), "320302001")
    with pytest.raises(ScopeError):
        scope_for("999999")


def test_headline_counts_and_rates(region):
    for backend, session in _each(region):
        live = kpis.live_counts(backend.counters, XUZHOU, FIXED_NOW)
        got = {k: getattr(live, k) for k in WALL_EXPECTED["live"]}
        assert got == WALL_EXPECTED["live"], backend.name
        db = kpis.db_figures(session, XUZHOU, FIXED_NOW, ZONE)
        assert db.__dict__ == WALL_EXPECTED["db"], backend.name
        # At 11:30, the hour before 11:30 yesterday holds F (reported 11:00).
        earlier = kpis.db_figures(session, XUZHOU, FIXED_NOW - timedelta(hours=2.5), ZONE)
        assert earlier.reports_last_hour_yesterday == 1
        rates = kpis.rates(session, XUZHOU, FIXED_NOW, ZONE)
        for name, value in WALL_EXPECTED["rates"].items():
            assert getattr(rates, name) == pytest.approx(value), (backend.name, name)


def test_last_hour_is_exactly_the_60_minutes_before_now(region):
    """Case A was reported at 13:30: in the last hour until 14:30, out of it a microsecond
    later; the same hour yesterday is counted the same way."""
    tick = timedelta(microseconds=1)
    for _backend, session in _each(region):
        def last_hour(at, unit="320300", session=session):
            db = kpis.db_figures(session, scope_for(unit), at, ZONE)
            return db.reports_last_hour, db.reports_last_hour_yesterday

        half_past = FIXED_NOW + timedelta(minutes=30)
        assert last_hour(half_past) == (1, 0)
        assert last_hour(half_past + tick) == (0, 0)
        assert last_hour(FIXED_NOW - timedelta(minutes=30) + tick) == (1, 0)
        assert last_hour(FIXED_NOW - timedelta(minutes=30)) == (0, 0)  # 13:30 is not before
        assert {u: last_hour(FIXED_NOW, u)[0] for u in ("320302", "320303", "320302001",
                                                         "320302002")} == \
            {"320302": 1, "320303": 0, "320302001": 1, "320302002": 0}
        # I (today 11:00) and F (yesterday 11:00) are in the hour before 12:00, not after.
        assert last_hour(FIXED_NOW - timedelta(hours=2.5)) == (1, 1)
        assert last_hour(FIXED_NOW - timedelta(hours=2)) == (1, 1)
        assert last_hour(FIXED_NOW - timedelta(hours=2) + tick) == (0, 0)


def test_counters_keep_reports_per_minute_per_county_and_township(region):
    for backend in region:
        counters = Counters(backend.redis, f"{backend.namespace}-hour", ZONE)
        ago = lambda minutes: FIXED_NOW - timedelta(minutes=minutes)  # noqa: E731
        events = [  # (transition id, minutes ago, township, event)
            CountedEvent(1, ago(10), "320302", "320302001", "reported", "urban", "grid_patrol"),
            CountedEvent(2, ago(50), "320302", "320302001", "reported", "urban", "police_110"),
            CountedEvent(3, ago(20), "320302", "320302002", "reported", "safety", "petition"),
            CountedEvent(4, ago(70), "320302", "320302001", "reported", "urban", "grid_patrol"),
            CountedEvent(5, ago(5), "320302", "320302001", "registered", "urban",
                         "grid_patrol"),
            CountedEvent(6, ago(30), "320303", "320303001", "reported", "order", "citizen_app"),
        ]
        try:
            assert counters.apply(events) == 6
            assert counters.apply(events) == 0  # replayed: nothing counted twice
            assert counters.reports_last_hour(FIXED_NOW, ["320302"]) == \
                {"grid_patrol": 1, "police_110": 1, "petition": 1}
            assert sum(counters.reports_last_hour(FIXED_NOW, None, "320302001").values()) == 2
        finally:
            counters.delete_namespace()


def test_a_group_of_events_counts_as_its_events_one_by_one(region):
    """CountedEvents (a file import's cases per minute and place) leave the counts the same
    events leave one by one, and a group replayed, or partly counted already, adds only the
    ids not counted before."""
    for backend in region:
        one_by_one = Counters(backend.redis, f"{backend.namespace}-single", ZONE)
        grouped = Counters(backend.redis, f"{backend.namespace}-group", ZONE)
        at = FIXED_NOW - timedelta(minutes=12, seconds=7)
        ids = list(range(100, 112))
        try:
            assert one_by_one.apply([CountedEvent(i, at, "320302", "320302001", "reported",
                                                  "urban", "grid_patrol") for i in ids]) == 12
            assert grouped.apply([CountedEvent(100, at, "320302", "320302001", "reported",
                                               "urban", "grid_patrol")]) == 1
            group = CountedEvents(tuple(ids), at.replace(second=0), "320302", "320302001",
                                  "reported", "urban", "grid_patrol")
            assert grouped.apply([group]) == 11  # id 100 was counted already
            assert grouped.apply([group]) == 0
            day = grouped.local_day(at)
            assert grouped.day_counts(day) == one_by_one.day_counts(day)
            assert grouped.township_counts(day) == one_by_one.township_counts(day)
            assert grouped.reports_last_hour(FIXED_NOW, ["320302"]) == \
                one_by_one.reports_last_hour(FIXED_NOW, ["320302"]) == {"grid_patrol": 12}
        finally:
            one_by_one.delete_namespace()
            grouped.delete_namespace()


def test_township_view_counts_only_its_township(region):
    for backend, session in _each(region):
        township = scope_for("320302001")
        live = kpis.live_counts(backend.counters, township, FIXED_NOW)
        assert (live.reported, live.registered, live.closed) == (3, 2, 1)
        assert kpis.db_figures(session, township, FIXED_NOW, ZONE).in_progress == 1


def test_alert_board_order_states_and_county_counts(region):
    for _backend, session in _each(region):
        board = alerts.alert_board(session, _backend.counters, XUZHOU, FIXED_NOW, ZONE)
        assert list(board.rows["external_id"]) == WALL_EXPECTED["alerts_order"]
        assert list(board.rows["state"]) == WALL_EXPECTED["alerts_states"]
        assert (board.red_total, board.yellow_total) == (2, 1)
        counts = {r.unit_code: (r.red, r.yellow) for r in board.by_unit.itertuples()
                  if r.red or r.yellow}
        assert counts == WALL_EXPECTED["by_county"]
        assert board.by_unit.iloc[0]["unit_code"] == "320303"
        assert list(board.rows["newly_overdue"]) == [False, False, False]
        d = board.rows.iloc[0]
        assert (d["supervision_level"], d["acknowledged_by"]) == (3, "王值班")
        assert d["place"] == "鼓楼区·牌楼街道·第3网格"


def test_queue_newest_first_and_escaped_title_kept_verbatim(region):
    for _backend, session in _each(region):
        frame = queue.latest_cases(session, XUZHOU, FIXED_NOW)
        assert list(frame["external_id"]) == WALL_EXPECTED["queue_order"]
        a = frame.set_index("external_id").loc["T-A"]
        assert a["title"] == "<img src=x onerror=alert(1)>"
        assert a["place"] == "鼓楼区·丰财街道·第1网格"


def test_disputes_summary(region):
    for _backend, session in _each(region):
        summary = disputes.dispute_summary(session, XUZHOU, FIXED_NOW, ZONE)
        assert len(summary.daily) == 30 * 2  # 30 days × {labour, neighbour}
        assert summary.daily["count"].sum() == 3
        assert dict(zip(summary.resolved_levels["level"], summary.resolved_levels["count"],
                        strict=True)) == {"grid": 1, "village": 0, "township": 1,
                                          "county": 0, "city": 0}
        assert summary.outcomes.set_index("outcome").loc["agreement", "count"] == 2
        assert (summary.today, summary.same_weekday_last_week) == (1, 1)


def test_disputes_from_the_rollup_equal_those_from_the_case_table(region):
    first = FIXED_NOW.astimezone(ZONE).date() - timedelta(days=disputes.TREND_DAYS - 1)
    for backend, session in _each(region):
        live = disputes.dispute_summary(session, XUZHOU, FIXED_NOW, ZONE)
        rollups.rebuild(session, ZONE, first, FIXED_NOW.astimezone(ZONE).date(), FIXED_NOW)
        assert len(rollups.built_days(session, first, first + timedelta(days=40))) == 30
        rolled = disputes.dispute_summary(session, XUZHOU, FIXED_NOW, ZONE)
        session.rollback()  # the other tests read the case table
        assert rolled.daily.equals(live.daily), backend.name
        assert rolled.resolved_levels.equals(live.resolved_levels)
        assert rolled.outcomes.equals(live.outcomes)
        assert (rolled.today, rolled.same_weekday_last_week) == (1, 1)


def test_today_mix_from_counters_and_for_a_township_from_the_database(region):
    for backend, session in _each(region):
        today = mix.today_mix(session, backend.counters, XUZHOU, FIXED_NOW, ZONE)
        assert today.by_source.iloc[0].tolist() == ["grid_patrol", 2]
        assert today.by_source["count"].sum() == 4
        assert today.by_major.iloc[0].tolist() == ["urban", 2]
        township = mix.today_mix(session, backend.counters, scope_for("320302001"),
                                 FIXED_NOW, ZONE)
        assert township.by_source["count"].sum() == 3


def test_map_measures_per_township_and_per_grid(region):
    for backend, session in _each(region):
        def values(scope, measure, session=session, counters=backend.counters):
            frame = coverage.measure_values(session, counters, scope, measure, FIXED_NOW)
            return dict(zip(frame["code"], frame["value"], strict=True))

        assert values(XUZHOU, "open") == {"320302001": 1, "320302002": 1, "320303001": 3}
        assert values(XUZHOU, "overdue") == {"320302001": 0, "320302002": 1, "320303001": 1}
        assert values(XUZHOU, "patrol") == {"320302001": 0.5, "320302002": 0, "320303001": 0}
        assert values(XUZHOU, "online") == {"320302001": 0, "320302002": 0, "320303001": 1}
        assert values(scope_for("320303"), "open") == {GRIDS[3]: 3}
        shapes = coverage.geometry(session, XUZHOU, "township")
        assert [f["id"] for f in shapes["features"]] == ["320302001", "320302002",
                                                         "320303001"]
        counties = [f["id"] for f in coverage.geometry(session, XUZHOU, "county")["features"]]
        assert {"320302", "320303"} <= set(counties) <= set(XUZHOU.counties)


def test_alert_ranking_is_one_level_below_every_view(region):
    for backend, session in _each(region):
        ranked = {}
        for unit in ("320000", "320300", "320302", "320303", "320303001"):
            board = alerts.alert_board(session, backend.counters, scope_for(unit), FIXED_NOW,
                                       ZONE)
            ranked[unit] = [(r.unit_code, r.unit_name, r.red, r.yellow)
                            for r in board.by_unit.itertuples()]
        # The province: its 13 cities (Nanjing has J, overdue), most red first.
        assert len(ranked["320000"]) == 13
        assert ranked["320000"][:2] == [("320300", "徐州市", 2, 1), ("320100", "南京市", 1, 0)]
        assert {c for c, *_ in ranked["320000"]} == {f"32{i:02d}00" for i in range(1, 14)}
        # A city: its 10 counties.
        assert len(ranked["320300"]) == 10
        assert ranked["320300"][:3] == [("320303", "云龙区", 1, 1), ("320302", "鼓楼区", 1, 0),
                                        ("320305", "贾汪区", 0, 0)]
        # A county: its townships, those without alerts too.
        assert ranked["320302"] == [("320302002", "牌楼街道", 1, 0),
                                    ("320302001", "丰财街道", 0, 0)]
        assert ranked["320303"] == [("320303001", "彭城街道", 1, 1)]
        # A township: its villages and communities.
        assert ranked["320303001"] == [("320303001001", "彭城社区", 1, 1)]


def test_a_case_is_newly_overdue_for_a_minute_after_the_wall_first_sees_it_red(region):
    due_e = FIXED_NOW + timedelta(hours=3)  # case E's deadline, on a minute
    for backend, session in _each(region):
        counters = backend.counters
        counters.redis.delete(counters.red_seen_key())

        def newly(at, session=session, counters=counters):
            board = alerts.alert_board(session, counters, XUZHOU, at, ZONE)
            rows = board.rows.set_index("external_id")
            return {e: rows.loc[e, "state"] for e in rows.index if rows.loc[e, "newly_overdue"]}

        # The wall's first look: C and D are red already, but not new (a start, or a lost
        # Redis, never makes every red case flash).
        assert newly(FIXED_NOW) == {}
        # E turns red (judged at the minute: from 17:01); first seen at 17:01:30, it is new
        # for a minute from then, and then never again.
        first = due_e + timedelta(seconds=90)
        assert newly(due_e + timedelta(seconds=30)) == {}  # 17:00:30: still approaching
        assert newly(first) == {"T-E": "overdue"}
        assert newly(first + timedelta(seconds=59)) == {"T-E": "overdue"}
        assert newly(first + timedelta(seconds=61)) == {}
        assert newly(first + timedelta(hours=1)) == {}
        # A week on, the wall has forgotten E (first seen 7 days ago) and sees it again: it is
        # long overdue by then, never new again.
        assert newly(first + timedelta(days=7, seconds=1)) == {}
        counters.redis.delete(counters.red_seen_key())


def test_map_levels_names_and_markers_of_every_view(region):
    for backend, session in _each(region):
        assert [coverage.map_levels(scope_for(u)) for u in
                ("320000", "320300", "320302", "320302001")] == \
            [("county", "city"), ("township", "county"), ("grid", "township"),
             ("grid", "village")]
        # The province colours its counties: open cases per county (J is Nanjing's).
        frame = coverage.measure_values(session, backend.counters, scope_for("320000"), "open",
                                        FIXED_NOW)
        got = dict(zip(frame["code"], frame["value"], strict=True))
        assert (got["320302"], got["320303"], got["320102"], got["320105"]) == (2, 3, 1, 0)
        assert len(got) == len(scope_for("320000").counties)

        def names(unit, session=session):
            return list(coverage.map_labels(session, scope_for(unit))["name"])

        assert names("320000")[:3] == ["南京市", "无锡市", "徐州市"] and len(names("320000")) == 13
        assert "云龙区" in names("320300") and len(names("320300")) == 10
        assert names("320302") == ["丰财街道", "牌楼街道"]
        # The fixture's villages have neither a boundary nor a position: nothing to name.
        assert names("320302001") == []
        labels = coverage.map_labels(session, scope_for("320302"))
        assert labels["lon"].between(117.1, 117.2).all()

        markers = coverage.map_markers(session, XUZHOU, FIXED_NOW)
        # D (12 days overdue), C (2 hours), then A (urgent, due in 10 days), at their grids.
        assert list(markers["kind"]) == ["overdue", "overdue", "urgent"]
        assert list(markers["lon"]) == [117.1625, 117.2125, 117.1125]
        assert list(markers["lat"]) == [34.2125] * 3
        township = coverage.map_markers(session, scope_for("320302001"), FIXED_NOW)
        assert list(township["kind"]) == ["urgent"]


def test_map_bounds_are_the_box_of_the_outlined_units_else_of_the_coloured_ones(region):
    for _backend, session in _each(region):
        # A county: its two townships' squares side by side.
        assert coverage.map_bounds(session, scope_for("320302")) == \
            pytest.approx((117.1, 34.2, 117.2, 34.25))
        # A township: its villages have no boundary, so its two grids' squares.
        assert coverage.map_bounds(session, scope_for("320302001")) == \
            pytest.approx((117.1, 34.2, 117.15, 34.225))
        # The city: its counties, two stored squares and the rest the shipped real outlines,
        # which reach out to Xuzhou's real edges (丰县 in the west, 新沂 in the east).
        west, south, east, north = coverage.map_bounds(session, scope_for("320300"))
        assert 116.2 < west < 116.6 and 118.5 < east < 118.9
        assert 33.6 < south < 33.9 and 34.8 < north < 35.1


def test_hourly_counts_today_against_yesterday(region):
    def hours(pairs, n):
        out = [0] * n
        for hour, count in pairs:
            out[hour] = count
        return out

    for _backend, session in _each(region):
        got = kpis.hourly(session, XUZHOU, FIXED_NOW, ZONE)
        # Today up to 14:00 local (hour 14 has just begun): G 08:00, B 10:00, I 11:00 (then
        # rejected: reported, never registered for good), A 13:30; yesterday F 11:00.
        assert got.today["reported"] == hours([(8, 1), (10, 1), (11, 1), (13, 1)], 15)
        assert got.today["registered"] == hours([(8, 1), (10, 1), (13, 1)], 15)
        assert got.today["closed"] == hours([(12, 1)], 15)  # B at 12:00
        assert got.yesterday["reported"] == hours([(11, 1)], 24)
        assert got.yesterday["registered"] == hours([(11, 1)], 24)
        assert got.yesterday["closed"] == hours([(13, 1)], 24)  # F at 13:00
        # The day's totals are the headline counts (Redis counters).
        live = WALL_EXPECTED["live"]
        assert [sum(got.today[k]) for k in ("reported", "registered", "closed")] == \
            [live["reported"], live["registered"], live["closed"]]
        # A township: only its own cases (丰财街道: A, B, I, and F yesterday).
        township = kpis.hourly(session, scope_for("320302001"), FIXED_NOW, ZONE)
        assert township.today["reported"] == hours([(10, 1), (11, 1), (13, 1)], 15)
        assert township.yesterday["reported"] == hours([(11, 1)], 24)
