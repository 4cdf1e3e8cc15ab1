"""Leaders' period indicators: summed from township_daily, worked out by hand on the cases of
tests/support/briefing_cases.py, equal to the indicators' SQL over the case table, and the
same after a rebuild as the write path left them.

The week is ISO 2026-W01, 29 December 2025 – 4 January 2026: it crosses the year and the New
Year holiday (1–3 January off; Sunday 4 January a make-up workday). 环比 is 2025-W52
(22–28 December), 同比 2025-W01 (30 December 2024 – 5 January 2025). Now is Monday 5
January 10:00. Working hours are 09:00–12:00 and 13:30–17:30 (7 h).
"""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import select

from data_access import indicators as ind
from data_access.models import GridDaily, TopicDaily, TownshipDaily
from data_access.reports import periods, rollup
from data_access.reports.figures import bounds, period_figures
from data_access.reports.rankings import competition_rank, parse_weights, rankings
from data_access.reports.topics import topics
from data_access.reports.trends import trends
from data_access.wall_scope import scope_for
from tests.support.backends import ZONE
from tests.support.briefing_cases import NOW, insert_briefing_cases

WEEK = periods.parse("week", "2026-W01")

# The week, case by case (c1, c2 in township A; c3, c4 in B; c5 reported the week before):
# reported c1 c2 c3 c4 = 4; registered c1 c2 c4 = 3 (c3 rejected); closed c1 c2 (4 Jan) = 2.
# 办结率: of c1 c2 c4 (accepted, reported in the week) c1 c2 closed = 2/3.
# 按期办结率: due in the week c1 (4 Jan 17:30), c2 (31 Dec 17:30), c4 (4 Jan 12:00); c5's
#   deadline (29 Dec) was extended to 5 Jan, out of the week; on time c1 only = 1/3.
# 满意率 c1 satisfied, c2 not = 1/2. 返工率: 1 rework over 2 closed = 1/2.
# 及时签收率: dispatched c1 c2 c4; c1 acknowledged 30 min after dispatch (limit 1 working
#   hour), c2 the next morning, c4 never = 1/3. 在镇村化解率 c1 village, c2 county = 1/2.
# Overdue: c2 closed late + c4 open past its deadline now = 2. Overdue working time: c2 from
#   31 Dec 17:30 to 4 Jan 10:00 = 60 min (31 Dec after hours, 1–3 Jan holidays, 4 Jan
#   09:00–10:00); c4 from 4 Jan 12:00 to now = 240 (13:30–17:30) + 60 (5 Jan 09:00–10:00);
#   (60 + 300) / 420 = 6/7 working days.
# Handling time: c1 31 Dec 10:05 → 4 Jan 11:00 = 115 + 240 + 120 = 475 min; c2 30 Dec 15:01 →
#   4 Jan 10:00 = 149 + 420 + 60 = 629 min; (475 + 629) / 2 / 60 = 9.2 h.
# Supervision orders: c5 on 29 Dec, c4 on 4 Jan = 2.
EXPECTED = {"reported": 4, "registered": 3, "closed": 2, "closure_rate": 2 / 3,
            "on_time_rate": 1 / 3, "satisfaction": 1 / 2, "rework_rate": 1 / 2,
            "ack_in_time_rate": 1 / 3, "resolved_at_or_below_township": 1 / 2,
            "overdue_in_period": 2, "overdue_days": 6 / 7, "handling_hours": 9.2,
            "supervisions": 2}
# 2025-W52: c5 reported and registered; nothing closed or due (c5's deadline moved out).
PREVIOUS = {"reported": 1, "registered": 1, "closed": 0, "closure_rate": 0.0,
            "on_time_rate": None, "overdue_in_period": 0, "supervisions": 0}
# 2025-W01: c6 reported, registered, closed on time the same day, solved in the grid.
YEAR_BEFORE = {"reported": 1, "registered": 1, "closed": 1, "closure_rate": 1.0,
               "on_time_rate": 1.0, "resolved_at_or_below_township": 1.0, "satisfaction": None}


@pytest.fixture
def briefing(fresh_backend):
    insert_briefing_cases(fresh_backend)
    return fresh_backend


def test_periods_around_the_new_year():
    assert (WEEK.first, WEEK.last) == (date(2025, 12, 29), date(2026, 1, 4))
    assert WEEK.previous().label == "2025-W52" and WEEK.year_before().first == date(2024, 12, 30)
    month = periods.parse("month", "2026-03")
    assert (month.previous().first, month.previous().last) == (date(2026, 2, 1),
                                                               date(2026, 2, 28))
    assert periods.parse("quarter", "2026-01-15").label == "2026-Q1"
    assert periods.parse("quarter", "2026-Q1").previous().label == "2025-Q4"
    custom = periods.parse("custom", "2025-12-30..2026-01-02")
    assert (custom.previous().first, custom.previous().last) == (date(2025, 12, 26),
                                                                 date(2025, 12, 29))
    assert periods.parse("year", "2024").year_before().label == "2023"
    assert periods.of("day", date(2024, 2, 29)).year_before().first == date(2023, 2, 28)
    with pytest.raises(ValueError, match="bad --date"):
        periods.parse("month", "2026-13")


@pytest.mark.parametrize("unit", ["320303", "320300", "320000"])
def test_each_indicator_of_the_week_by_hand(briefing, unit):
    with briefing.sessions() as session:
        result = period_figures(session, unit, WEEK, ZONE, NOW)
    figures = result.by_key()
    assert result.unbuilt_days == 0
    for key, value in EXPECTED.items():
        assert figures[key].value == pytest.approx(value), key
    for key, value in PREVIOUS.items():
        assert figures[key].previous == pytest.approx(value), key
    for key, value in YEAR_BEFORE.items():
        assert figures[key].year_before == pytest.approx(value), key
    assert figures["reported"].mom == pytest.approx(3.0)  # 4 against 1: +300 %
    assert figures["closure_rate"].yoy == pytest.approx(2 / 3 - 1)  # points, as a fraction
    assert figures["on_time_rate"].formula_zh.startswith("按期办结率 = ")


def test_a_township_counts_only_its_own_cases(briefing):
    with briefing.sessions() as session:
        a = period_figures(session, "320303001", WEEK, ZONE, NOW).by_key()
        b = period_figures(session, "320303002", WEEK, ZONE, NOW).by_key()
    assert (a["reported"].value, b["reported"].value) == (2, 2)
    assert (a["overdue_in_period"].value, b["overdue_in_period"].value) == (1, 1)
    assert a["overdue_days"].value == pytest.approx(60 / 420)
    assert b["overdue_days"].value == pytest.approx(300 / 420)
    assert (a["supervisions"].value, b["supervisions"].value) == (0, 2)
    assert b["closure_rate"].value == 0.0 and b["on_time_rate"].value == 0.0


def test_the_rollup_counts_what_the_indicators_sql_counts(briefing):
    window = bounds(WEEK, ZONE)
    where = scope_for("320303").case_filter()
    with briefing.sessions() as session:
        figures = period_figures(session, "320303", WEEK, ZONE, NOW).by_key()
        for key in ("reported", "registered", "closed", "overdue_in_period"):
            assert ind.count(session, key, window, where) == figures[key].value, key
        rates = ind.ratios(session, ("closure_rate", "on_time_rate", "satisfaction",
                                     "rework_rate", "resolved_at_or_below_township"),
                           window, where)
        for key, ratio in rates.items():
            assert ratio.value == pytest.approx(figures[key].value), key
        # The new indicators' cases: the rate's denominator, the average's cases, the cases
        # that were given orders (c4, c5: one order each).
        assert ind.count(session, "ack_in_time_rate", window, where) == 3
        assert ind.count(session, "handling_hours", window, where) == 2
        assert ind.count(session, "supervisions", window, where) == 2


def _table(backend, model, key: int) -> set[tuple]:
    """The rows with a count (the write path leaves a row at 0 when a case moves away)."""
    with backend.sessions() as session:
        return {tuple(r) for r in session.execute(select(*model.__table__.columns))
                if any(r[key:])}


def test_rebuild_gives_back_what_the_write_path_kept(briefing):
    kept = _table(briefing, TownshipDaily, 2), _table(briefing, TopicDaily, 6)
    assert any(r[:2] == (date(2026, 1, 4), "320303002") for r in kept[0])
    with briefing.sessions.begin() as session:
        rollup.rebuild(session, ZONE, date(2024, 12, 1), date(2026, 1, 31))
    assert (_table(briefing, TownshipDaily, 2), _table(briefing, TopicDaily, 6)) == kept
    with briefing.sessions() as session:
        assert len(rollup.built_days(session, date(2024, 12, 1), date(2026, 1, 31))) == 427


def test_days_the_rollup_has_not_built_are_counted(fresh_backend):
    with fresh_backend.sessions() as session:
        result = period_figures(session, "320303", WEEK, ZONE, NOW)
    assert result.unbuilt_days == 7 * 3
    assert result.by_key()["reported"].value == 0




# 红黑榜 of the county's two townships in the week. A (c1, c2): 按期 1/2, 满意 1/2, 及时签收
# 1/2, 在镇村 1/2, 返工率 1/2 → score 50 with any weights. B (c3 rejected, c4 open): 按期 0/1,
# 及时签收 0/1, nothing else → 0. The week before only B had a case (c5: dispatched, not
# acknowledged → 及时签收 0/1 → score 0, rank 1); A had no data (no previous rank).
def test_rankings_order_scores_and_rank_change(briefing):
    with briefing.sessions() as session:
        table = rankings(session, "320303", WEEK, ZONE, NOW)
    assert list(table["code"]) == ["320303001", "320303002"]
    assert list(table["score"]) == [50.0, 0.0]
    assert list(table["rank"]) == [1, 2]
    assert table["previous_rank"].isna().tolist() == [True, False]
    assert table.loc[1, "previous_rank"] == 1 and table.loc[1, "rank_change"] == -1
    assert list(table["rank_reported"]) == [1, 1]  # 2 reports each: a tie
    assert list(table["rank_overdue_in_period"]) == [1, 1]  # one each (lower is better)
    assert list(table["rank_supervisions"]) == [1, 2]  # A none, B two


def test_rankings_ties_share_a_rank_and_missing_values_come_last(briefing):
    with briefing.sessions() as session:
        before = rankings(session, "320303", WEEK.previous(), ZONE, NOW,
                          weights={"on_time_rate": 1})
    # Neither township had a case due the week before: no score, both ranked 1, by code.
    assert before["score"].isna().all() and list(before["rank"]) == [1, 1]
    assert list(before["code"]) == ["320303001", "320303002"]
    ranked = competition_rank(pd.Series([50.0, 80.0, 50.0, None, 10.0]), 1)
    assert list(ranked) == [2, 1, 2, 5, 4]
    assert list(competition_rank(pd.Series([3.0, 1.0, 1.0]), -1)) == [3, 1, 1]
    assert parse_weights("on_time_rate=2, satisfaction=1") == {"on_time_rate": 2.0,
                                                               "satisfaction": 1.0}
    with pytest.raises(ValueError, match="one of"):
        parse_weights("reported=1")


def test_hot_issues_and_repeat_places(briefing):
    with briefing.sessions() as session:
        found = topics(session, "320303", WEEK)
    assert found.subclasses.to_dict("records") == [
        {"subclass": "street_light", "major_class": "urban", "cases": 4, "previous": 1,
         "change": 3.0}]
    assert found.classes[["major_class", "cases"]].values.tolist() == [["urban", 4]]
    # Street lights reported twice in each of two communities (c1, c2 in grid 1 of 第01社区;
    # c3, c4 in grid 1 of 第03社区): one repeat each, ties listed by place code.
    assert found.repeat_places[["place_code", "subclass", "repeats", "reports"]
                               ].values.tolist() == [
        ["320303001001", "street_light", 1, 2], ["320303002001", "street_light", 1, 2]]
    assert found.repeat_places["name"].tolist() == ["第01街道·第01社区", "第02街道·第03社区"]
    assert all(frame.empty for frame in found.disputes.values())


def test_trends_end_with_the_week_and_show_the_year_before(briefing):
    with briefing.sessions() as session:
        frame = trends(session, "320303", WEEK, ZONE, NOW)
    assert len(frame) == 12 and frame["period"].iloc[-1] == "2026-W01"
    assert frame["period"].iloc[0] == "2025-W42"
    last = frame.iloc[-1]
    for key, value in EXPECTED.items():
        assert last[key] == pytest.approx(value), key
    assert last["reported_ly"] == 1 and last["on_time_rate_ly"] == 1.0
    assert frame["reported"].iloc[-2] == 1 and frame["reported"].iloc[:-2].sum() == 0


def _signed_for_in_time(backend, name: str, grid: str) -> None:
    """A street-light report in the week (Tuesday 30 December), dispatched and signed for
    20 minutes later, still being handled: 及时签收 1/1, nothing else rated."""
    from data_access import case_store as cs
    from tests.support.briefing_cases import _draft, at

    def change(fn):
        with cs.case_change(backend.sessions, backend.counters) as session:
            return fn(session)

    case_id = change(lambda s: cs.report_case(s, _draft(name, grid), at("12-30", "10:00", 2025),
                                              "sim", at("01-09", "17:30")))
    change(lambda s: cs.advance(s, case_id, "registered", at("12-30", "10:05", 2025), "sim"))
    change(lambda s: cs.advance(s, case_id, "dispatched", at("12-30", "10:10", 2025), "sim"))
    change(lambda s: cs.perform(s, case_id, "acknowledge", "duty", at("12-30", "10:30", 2025)))


# A township's grids (from grid_daily). By 及时签收率 alone: grids 2 and 3 (one case each,
# signed for in time) 100 %, tied first; grid 1 (c1 in time, c2 late) 50 %, third; the other
# three grids of 第01街道 have no case: no score, ranked together after all, by code.
def test_a_townships_grids_are_ranked_with_ties(briefing):
    from tests.support.tiny_territory import GRIDS

    _signed_for_in_time(briefing, "g2", GRIDS[1])
    _signed_for_in_time(briefing, "g3", GRIDS[2])
    with briefing.sessions() as session:
        table = rankings(session, "320303001", WEEK, ZONE, NOW, weights={"ack_in_time_rate": 1})
    assert list(table["code"]) == [GRIDS[1], GRIDS[2], GRIDS[0], *GRIDS[3:6]]
    assert list(table["rank"]) == [1, 1, 3, 4, 4, 4]
    assert table["score"].tolist()[:3] == [100.0, 100.0, 50.0]
    assert table["score"].iloc[3:].isna().all()
    assert list(table["name"][:3]) == ["第02网格", "第03网格", "第01网格"]
    assert list(table["reported"]) == [1, 1, 2, 0, 0, 0]
    # By reports (a volume: the most first): grid 1's two, then the tie of one each.
    assert list(table["rank_reported"]) == [2, 2, 1, 4, 4, 4]
    # The live part per grid: c4 is open past its deadline in grid 7 (第02街道), not here.
    assert table["overdue_in_period"].tolist() == [0, 0, 1, 0, 0, 0]
    with briefing.sessions() as session:
        other = rankings(session, "320303002", WEEK, ZONE, NOW)
    assert other.loc[other["code"] == GRIDS[6], "overdue_in_period"].item() == 1
    # The write path kept grid_daily as a rebuild computes it.
    kept = _table(briefing, GridDaily, 3)
    with briefing.sessions.begin() as session:
        rollup.rebuild(session, ZONE, date(2024, 12, 1), date(2026, 1, 31))
    assert _table(briefing, GridDaily, 3) == kept


def test_repeat_places_are_villages_and_subclasses(briefing):
    from tests.support.tiny_territory import GRIDS

    _signed_for_in_time(briefing, "g2", GRIDS[1])
    _signed_for_in_time(briefing, "g3", GRIDS[2])
    with briefing.sessions() as session:
        places = topics(session, "320303", WEEK).repeat_places
        alone = topics(session, "320303002", WEEK).repeat_places
    # 第01社区 (grids 1–3): c1, c2, g2, g3, four street-light reports = 3 repeats.
    assert places[["place_code", "repeats", "reports"]].values.tolist() == [
        ["320303001001", 3, 4], ["320303002001", 1, 2]]
    assert alone["place_code"].tolist() == ["320303002001"]


@pytest.mark.parametrize("kind,label", [("day", "2026-01-03"), ("week", "2026-W01"),
                                        ("custom", "2025-12-20..2026-01-02"),
                                        # January less 1-3 January (c3, c4; a year before,
                                        # c6): days taken away from a month
                                        ("custom", "2026-01-04..2026-02-02")])
def test_trends_of_days_weeks_and_spans_are_each_periods_own_figures(briefing, kind, label):
    """Trends read each period as months and days added or taken away, summed together for
    all 24: each row must still be that period's figures, and its _ly those of its twin."""
    period = periods.parse(kind, label)
    with briefing.sessions() as session:
        frame = trends(session, "320303", period, ZONE, NOW).set_index("period")
        shown = [period.shifted(i - 11) for i in range(12)]
        for p in shown:
            now_ = period_figures(session, "320303", p, ZONE, NOW).by_key()
            ly = period_figures(session, "320303", p.year_before(), ZONE, NOW).by_key()
            for key in ("reported", "closed", "on_time_rate", "overdue_in_period"):
                for column, want in ((key, now_[key].value), (f"{key}_ly", ly[key].value)):
                    got = frame.loc[p.label, column]
                    assert (pd.isna(got) and want is None) or got == pytest.approx(want), \
                        (p, column, got, want)
    assert frame["reported"].sum() > 0 and frame["reported_ly"].sum() > 0
