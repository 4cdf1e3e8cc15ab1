"""township_monthly, topic_monthly, grid_monthly and village_monthly: each month's row is the
sum of its days' rows after the write path (one case, a batch, a case that moves on), after a
rebuild from the case table, and a period that crosses the New Year — whole months from the
monthly rows, the edge days from the daily rows — counts what the indicators' SQL counts over
the case table, and ranks grids and finds repeat places as grid_daily alone does.

The cases are tests/support/briefing_cases.py's: c1 c2 (township A) and c5 (B) reported in
December 2025, c3 c4 (B) in January 2026, c6 (A) in January 2025.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from data_access import case_store as cs
from data_access import indicators as ind
from data_access.models import (
    CountyTopicMonthly,
    GridDaily,
    GridMonthly,
    TopicDaily,
    TopicMonthly,
    TownshipDaily,
    TownshipMonthly,
    VillageMonthly,
)
from data_access.reports import periods, rollup
from data_access.reports.figures import bounds, period_figures, sums_by_grid
from data_access.reports.rankings import rankings
from data_access.reports.rollup import MEASURES
from data_access.reports.topics import repeat_places, topics
from data_access.reports.trends import trends
from data_access.wall_scope import scope_for
from tests.support.backends import ZONE
from tests.support.briefing_cases import NOW, A, B, at, insert_briefing_cases
from tests.support.tiny_territory import GRIDS

# Each month table: its daily table, the daily key columns, and (said here again, apart from
# rollup.MonthCopy) how a daily row's key becomes the month row's after its month, and which
# of the daily row's values it sums.
DAILY_KEY = {TownshipDaily: 2, TopicDaily: 6, GridDaily: 3}
MONTHS = {
    TownshipMonthly: (TownshipDaily, lambda key: key, None),
    TopicMonthly: (TopicDaily, lambda key: key, None),
    CountyTopicMonthly: (TopicDaily, lambda key: (key[0][:6], *key[1:]), None),
    GridMonthly: (GridDaily, lambda key: key[:1], None),  # (grid, subclass) → grid
    VillageMonthly: (GridDaily, lambda key: (key[0][:12], key[1]), ("reported",)),
}


@pytest.fixture
def briefing(fresh_backend):
    insert_briefing_cases(fresh_backend)
    return fresh_backend


def _rows(backend, model, key: int, names: tuple[str, ...] | None = None) -> dict[tuple, tuple]:
    """key columns → the other columns (or those of `names`), for the rows with a count (the
    write path leaves a row at 0 when a case moves away)."""
    columns = model.__table__.columns
    values = [c for c in list(columns)[key:] if names is None or c.name in names]
    with backend.sessions() as session:
        return {tuple(r[:key]): tuple(r[key:])
                for r in session.execute(select(*list(columns)[:key], *values)) if any(r[key:])}


def _days_by_month(backend, monthly) -> dict[tuple, tuple]:
    daily, fold, names = MONTHS[monthly]
    sums: dict[tuple, Counter] = {}
    for (day, *rest), values in _rows(backend, daily, DAILY_KEY[daily], names).items():
        total = sums.setdefault((day.replace(day=1), *fold(tuple(rest))), Counter())
        total.update(dict(enumerate(values)))
    return {k: tuple(c[i] for i in range(len(c))) for k, c in sums.items() if any(c.values())}


def assert_months_are_their_days(backend) -> dict:
    kept = {}
    for monthly in MONTHS:
        kept[monthly] = _rows(backend, monthly, len(monthly.__table__.primary_key.columns))
        assert kept[monthly] == _days_by_month(backend, monthly), monthly.__tablename__
    return kept


def test_months_are_their_days_and_a_rebuild_from_the_cases_agrees(briefing):
    kept = assert_months_are_their_days(briefing)
    township = kept[TownshipMonthly]
    reported = TownshipMonthly.__table__.columns.keys().index("reported") - 2
    assert {k: v[reported] for k, v in township.items() if v[reported]} == {
        (date(2025, 1, 1), A): 1, (date(2025, 12, 1), A): 2, (date(2025, 12, 1), B): 1,
        (date(2026, 1, 1), B): 2}
    topic = kept[TopicMonthly]
    assert topic[(date(2025, 12, 1), A, "street_light", "", "county", "")] == (1,)  # c2
    grid = kept[GridMonthly]
    supervisions = GridMonthly.__table__.columns.keys().index("supervisions") - 2
    assert {k: (v[reported], v[supervisions]) for k, v in grid.items()
            if v[reported] or v[supervisions]} == {
        (date(2025, 1, 1), GRIDS[0]): (1, 0), (date(2025, 12, 1), GRIDS[0]): (2, 0),
        (date(2025, 12, 1), GRIDS[6]): (1, 1), (date(2026, 1, 1), GRIDS[6]): (2, 1)}  # c5; c4
    assert kept[VillageMonthly] == {
        (date(2025, 1, 1), A + "001", "street_light"): (1,),  # c6
        (date(2025, 12, 1), A + "001", "street_light"): (2,),  # c1 c2
        (date(2025, 12, 1), B + "001", "street_light"): (1,),  # c5
        (date(2026, 1, 1), B + "001", "street_light"): (2,)}  # c3 c4
    # Rebuilt from the case table: the whole span, then a span inside two months (the
    # months are summed again from all their days, not only the rebuilt ones).
    for first, last in ((date(2024, 12, 1), date(2026, 1, 31)),
                        (date(2025, 12, 20), date(2026, 1, 2))):
        with briefing.sessions.begin() as session:
            rollup.rebuild(session, ZONE, first, last)
        assert assert_months_are_their_days(briefing) == kept


# Across the New Year: ten edge days of December and the whole of January; and two whole
# months, December and January.
CROSSING = [periods.parse("custom", "2025-12-22..2026-01-31"),
            periods.parse("custom", "2025-12-01..2026-01-31")]
# No whole month, most of one (rollup.pieces): December less 24-31 December (c5, c2, c1
# were reported then), January less 1-3 January (c3, c4) — taken away, not added.
MOSTLY = [periods.parse("custom", "2025-11-20..2025-12-23"),
          periods.parse("custom", "2026-01-04..2026-02-10")]


@pytest.mark.parametrize("period", [*CROSSING, *MOSTLY],
                         ids=["edge-days-and-a-month", "two-months", "december-less-days",
                              "january-less-days"])
@pytest.mark.parametrize("unit", ["320303", "320300"])
def test_a_period_across_the_new_year_counts_what_the_case_table_counts(briefing, period,
                                                                        unit):
    months, _, taken = rollup.pieces(period.first, period.last)
    assert months  # a month from the month tables (less `taken` days)
    assert (period in MOSTLY) == bool(taken)
    where = scope_for(unit).case_filter()
    with briefing.sessions() as session:
        result = period_figures(session, unit, period, ZONE, NOW)
        figures = result.by_key()
        for label, p in (("value", period), ("previous", period.previous()),
                         ("year_before", period.year_before())):
            window = bounds(p, ZONE)
            # (not overdue_in_period: the case table's reads the clock, the figures NOW)
            for key in ("reported", "registered", "closed"):
                assert getattr(figures[key], label) == ind.count(session, key, window,
                                                                 where), (label, key)
            rates = ind.ratios(session, ("closure_rate", "on_time_rate", "satisfaction",
                                         "rework_rate", "resolved_at_or_below_township"),
                               window, where)
            for key, ratio in rates.items():
                assert getattr(figures[key], label) == pytest.approx(ratio.value), (label, key)
        # c1 c2 c5 in December, c3 c4 in January; none in the days MOSTLY keeps.
        assert figures["reported"].value == (0 if period in MOSTLY else 5)
        hot = topics(session, unit, period)
        reported = ind.count(session, "reported", bounds(period, ZONE), where)
    assert hot.subclasses[["subclass", "cases"]].values.tolist() == \
        ([["street_light", reported]] if reported else [])
    assert hot.classes["cases"].sum() == reported


def _grid_sums_from_days(session, township: str, period) -> dict[str, dict]:
    """A township's grid sums over the period from grid_daily alone."""
    rows = session.execute(
        select(GridDaily.grid_code, *(func.sum(getattr(GridDaily, m)) for m in MEASURES))
        .where(GridDaily.day >= period.first, GridDaily.day <= period.last,
               GridDaily.grid_code.startswith(township))
        .group_by(GridDaily.grid_code)).all()
    return {grid: dict(zip(MEASURES, map(int, sums), strict=True))
            for grid, *sums in rows if any(sums)}


def _repeats_from_days(session, unit: str, period, top: int = 10) -> list[list]:
    """Repeat places over the period from grid_daily alone: village × subclass reported
    more than once, most first."""
    village = func.substr(GridDaily.grid_code, 1, 12)
    reports = func.sum(GridDaily.reported)
    return [list(r) for r in session.execute(
        select(village, GridDaily.subclass, reports)
        .where(GridDaily.day >= period.first, GridDaily.day <= period.last,
               GridDaily.grid_code.startswith(unit[:9] if len(unit) == 9 else unit[:4]))
        .group_by(village, GridDaily.subclass).having(reports > 1)
        .order_by(reports.desc(), village, GridDaily.subclass).limit(top))]


BOTH = [[B + "001", "street_light", 3], [A + "001", "street_light", 2]]  # c5 c3 c4; c1 c2
MONTH_READS = [(CROSSING[0], BOTH), (CROSSING[1], BOTH),
               (periods.parse("month", "2025-12"), [[A + "001", "street_light", 2]]),
               (periods.parse("month", "2026-01"), [[B + "001", "street_light", 2]]),
               (periods.parse("quarter", "2025-Q4"), [[A + "001", "street_light", 2]]),
               (MOSTLY[0], []), (MOSTLY[1], [])]


@pytest.mark.parametrize(("period", "city_repeats"), MONTH_READS,
                         ids=["edge-days-and-a-month", "two-months", "december", "january",
                              "a-quarter", "december-less-days", "january-less-days"])
def test_grids_and_repeat_places_read_from_months_are_what_the_days_give(briefing, period,
                                                                         city_repeats):
    """A township's grid sums and the repeat places, read from grid_monthly and
    village_monthly (and edge days), equal grid_daily's alone — before and after a
    rebuild."""
    for rebuilt in (False, True):
        if rebuilt:
            with briefing.sessions.begin() as session:
                rollup.rebuild(session, ZONE, date(2024, 12, 1), date(2026, 1, 31))
        with briefing.sessions() as session:
            for township in (A, B):
                got = sums_by_grid(session, scope_for(township), period, ZONE, NOW)
                got = {g: {m: int(row[m]) for m in MEASURES}
                       for g, row in got.iterrows() if any(row[m] for m in MEASURES)}
                assert got == _grid_sums_from_days(session, township, period), township
            for unit in ("320300", "320303", A, B):
                places = repeat_places(session, unit, period, 10)
                assert places[["place_code", "subclass", "reports"]].values.tolist() == \
                    _repeats_from_days(session, unit, period), unit
            city = repeat_places(session, "320300", period, 10)
        assert city[["place_code", "subclass", "reports"]].values.tolist() == city_repeats


def test_whole_months_come_from_the_monthly_rows(briefing):
    """A month reads the month tables, and so does a span of most of a month (less its
    other days); a span of fewer days reads the daily rows (a monthly row put out of step
    shows which was read)."""
    with briefing.sessions.begin() as session:
        session.execute(update(TownshipMonthly).where(
            TownshipMonthly.month == date(2026, 1, 1), TownshipMonthly.township_code == B)
            .values(reported=TownshipMonthly.reported + 100))
        session.execute(update(TopicMonthly).where(
            TopicMonthly.month == date(2026, 1, 1), TopicMonthly.township_code == B)
            .values(cases=TopicMonthly.cases + 100))
        session.execute(update(CountyTopicMonthly).where(
            CountyTopicMonthly.month == date(2026, 1, 1),
            CountyTopicMonthly.county_code == "320303")
            .values(cases=CountyTopicMonthly.cases + 1000))
        session.execute(update(GridMonthly).where(
            GridMonthly.month == date(2026, 1, 1), GridMonthly.grid_code == GRIDS[6])
            .values(reported=GridMonthly.reported + 100))
        session.execute(update(VillageMonthly).where(
            VillageMonthly.month == date(2026, 1, 1), VillageMonthly.village_code == B + "001")
            .values(reported=VillageMonthly.reported + 100))
    january = periods.parse("month", "2026-01")
    days = periods.parse("custom", "2026-01-01..2026-01-15")
    # 30 of January's 31 days: its month less the 31st (a month row out of step shows it).
    mostly = periods.parse("custom", "2026-01-01..2026-01-30")
    with briefing.sessions() as session:
        assert period_figures(session, "320303", january, ZONE, NOW).by_key()[
            "reported"].value == 102
        assert period_figures(session, "320303", days, ZONE, NOW).by_key()[
            "reported"].value == 2
        # A county reads county_topic_monthly, a township topic_monthly.
        assert topics(session, "320303", january).subclasses["cases"].tolist() == [1002]
        assert topics(session, B, january).subclasses["cases"].tolist() == [102]
        assert topics(session, "320303", days).subclasses["cases"].tolist() == [2]
        assert topics(session, B, days).subclasses["cases"].tolist() == [2]
        assert period_figures(session, "320303", mostly, ZONE, NOW).by_key()[
            "reported"].value == 102
        assert topics(session, "320303", mostly).subclasses["cases"].tolist() == [1002]
        assert topics(session, B, mostly).subclasses["cases"].tolist() == [102]
        shown = trends(session, "320303", january, ZONE, NOW).set_index("period")
        for period, reported in ((january, 102), (days, 2)):
            ranked = rankings(session, B, period, ZONE, NOW).set_index("code")
            assert ranked.loc[GRIDS[6], "reported"] == reported
            assert repeat_places(session, "320300", period, 10)["reports"].tolist() == [reported]
        # Two whole months: grouped from the monthly rows (December's c5 adds one).
        assert repeat_places(session, B, CROSSING[1], 10)["reports"].tolist() == [103]
    assert shown.loc["2026-01", "reported"] == 102 and shown.loc["2025-12", "reported"] == 3


def test_a_write_moves_the_months_with_the_days(briefing):
    b = briefing
    january = periods.parse("month", "2026-01")
    february = periods.parse("month", "2026-02")

    def draft(external_id: str, grid: str, subclass: str = "street_light") -> cs.CaseDraft:
        return cs.CaseDraft(external_id=external_id, source="grid_patrol", major_class="urban",
                            subclass=subclass, priority="normal", title="路灯损坏",
                            description="路灯不亮", grid_code=grid, lon=117.2, lat=34.2,
                            reporter_name="王伟", reporter_phone="13900001111",
                            address="和平路1号")

    # One case (the ORM path), reported 20 January and closed 2 February; two more in a
    # batch (the bulk path), 31 January and 1 February, either side of the month's end.
    with cs.case_change(b.sessions, b.counters) as session:
        one = cs.report_case(session, draft("m1", GRIDS[0]), at("01-20", "10:00"), "sim",
                             at("02-06", "17:30"))
    for i, stage in enumerate(("registered", "dispatched", "handling", "handled", "verified",
                               "closed")):
        with cs.case_change(b.sessions, b.counters) as session:
            extra = {"resolved_level": "village"} if stage == "closed" else {}
            cs.advance(session, one, stage, at("02-02", f"10:{10 + i}"), "sim", **extra)
    with cs.case_change(b.sessions, b.counters) as session:
        cs.report_cases(session, [(draft("m2", GRIDS[6], "road_damage"), at("01-31", "23:30"),
                                   None),
                                  (draft("m3", GRIDS[6], "road_damage"), at("02-01", "00:30"),
                                   None)], "sim")
    kept = assert_months_are_their_days(b)
    where = scope_for("320303").case_filter()
    with b.sessions() as session:
        jan = period_figures(session, "320303", january, ZONE, NOW).by_key()
        feb = period_figures(session, "320303", february, ZONE, NOW).by_key()
        assert (jan["reported"].value, feb["reported"].value) == (4, 1)  # c3 c4 m1 m2; m3
        assert (jan["closed"].value, feb["closed"].value) == (2, 1)  # c1 c2 4 Jan; m1 2 Feb
        for p, got in ((january, jan), (february, feb)):
            for key in ("reported", "registered", "closed"):
                assert got[key].value == ind.count(session, key, bounds(p, ZONE), where), key
        hot = topics(session, "320303", january).subclasses
        ranked = rankings(session, B, january, ZONE, NOW).set_index("code")
        quarter = repeat_places(session, "320303", periods.parse("quarter", "2026-Q1"), 10)
        january_places = repeat_places(session, "320303", january, 10)
    assert hot[["subclass", "cases"]].values.tolist() == [["street_light", 3],
                                                          ["road_damage", 1]]
    assert ranked.loc[GRIDS[6], "reported"] == 3  # c3 c4 m2
    # m2 and m3 fall in two months: a repeat over the quarter, not in January.
    assert january_places[["place_code", "subclass", "reports"]].values.tolist() == [
        [B + "001", "street_light", 2]]
    assert quarter[["place_code", "subclass", "reports"]].values.tolist() == [
        [B + "001", "road_damage", 2], [B + "001", "street_light", 2]]
    with b.sessions.begin() as session:
        rollup.rebuild(session, ZONE, date(2026, 1, 1), date(2026, 2, 28))
    assert assert_months_are_their_days(b) == kept
    assert rollup.month_end(date(2024, 2, 1)) == date(2024, 2, 29)
    assert rollup.month_end(date(2025, 12, 1)) + timedelta(days=1) == date(2026, 1, 1)


def test_removing_the_history_empties_the_month_tables(briefing):
    """`govwall seed --replace` removes every rollup with the cases: a month row left behind
    would count again after the next seed (only the rebuilt days' months are summed anew)."""
    from data_access.history_reset import remove_case_history

    removed = remove_case_history(briefing.engine, briefing.counters, NOW)
    assert removed["village_monthly"] == 4 and removed["grid_monthly"] >= 4
    assert removed["township_monthly"] >= 3 and removed["topic_monthly"] >= 4
    with briefing.sessions() as session:
        for monthly in MONTHS:
            assert session.scalar(select(func.count()).select_from(monthly)) == 0, monthly
