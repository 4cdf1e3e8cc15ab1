"""The repeat places of a period longer than a month, found by the threshold bound
(data_access/reports/repeats.py), are exactly the ones grouping every village × subclass row
gives — rows, order and ties — for a city, a county and a township, over a year, a quarter and
a span with edge days; and over a year the bound really is what answers (grouping is not
called)."""
from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

import pytest

from data_access.models import GridDaily, VillageMonthly
from data_access.reports import periods, repeats
from data_access.reports.topics import repeat_places
from data_access.wall_scope import scope_for

COUNTIES = ("320303", "320311")
VILLAGES = tuple(f"{county}{t:03d}{v:03d}" for county in COUNTIES for t in (1, 2)
                 for v in range(1, 11))
SUBCLASSES = ("street_light", "road_damage", "noise", "garbage", "parking", "water_supply")
YEAR = periods.parse("year", "2025")
# The first custom span reads January and December as their months less some days
# (rollup.pieces); the second reads their last and first days as added edge days; the third
# is December less four days.
ADDED_EDGES = periods.parse("custom", "2025-01-20..2025-12-10")
PERIODS = [YEAR, periods.parse("quarter", "2025-Q2"),
           periods.parse("custom", "2025-01-10..2025-12-20"), ADDED_EDGES,
           periods.parse("custom", "2025-12-05..2025-12-31")]
EDGE_MONTHS = (date(2025, 1, 1), date(2025, 12, 1))  # kept as days too, for the custom span


def _monthly_reports(rng: random.Random) -> dict[tuple[str, str], list[int]]:
    """Most pairs get 0–2 reports a month; thirty hot ones 3–9 (their year totals well over
    the bound's 12 months), two of them at the top with the same months (a tie)."""
    series = {(v, s): [rng.choice((0, 0, 0, 1, 1, 2)) for _ in range(12)]
              for v in VILLAGES for s in SUBCLASSES}
    hot = rng.sample(sorted(series), 30)
    for pair in hot:
        series[pair] = [rng.randint(3, 9) for _ in range(12)]
    series[hot[0]] = series[hot[1]] = [10] * 12  # both over any 3–9 pair's 108 at most
    return series


@pytest.fixture
def village_months(fresh_backend):
    rng = random.Random(20251)
    series = _monthly_reports(rng)
    with fresh_backend.sessions.begin() as session:
        for (village, subclass), counts in series.items():
            for m, n in enumerate(counts, start=1):
                month = date(2025, m, 1)
                if not n:
                    continue
                session.add(VillageMonthly(month=month, village_code=village,
                                           subclass=subclass, reported=n))
                if month in EDGE_MONTHS:
                    # The month's reports spread over its days and two grids of the village.
                    days = Counter(rng.randrange(28) for _ in range(n))
                    for (offset, grid), k in Counter(
                            (d, village + rng.choice(("001", "002")))
                            for d in days.elements()).items():
                        session.add(GridDaily(day=month + timedelta(days=offset),
                                              grid_code=grid, subclass=subclass, reported=k))
    return fresh_backend


@pytest.mark.parametrize("period", PERIODS, ids=["year", "quarter", "months-less-days",
                                                 "added-edge-days", "a-month-less-days"])
def test_the_bound_finds_what_grouping_finds(village_months, period):
    with village_months.sessions() as session:
        for unit in ("320300", "320303", "320311002"):
            scope = scope_for(unit)
            for top in (1, 3, 10, 40):
                want = repeats.grouped(session, scope, period, top)
                # Lists of nine filled (a township's quarter has fewer than forty repeats,
                # its December nine).
                assert len(want) >= min(top, 9), (unit, top)
                assert repeats.top_repeats(session, scope, period, top) == want, (unit, top)


@pytest.mark.parametrize("period", [YEAR, ADDED_EDGES], ids=["year", "added-edge-days"])
def test_the_bound_answers_not_grouping(village_months, monkeypatch, period):
    with village_months.sessions() as session:
        want = {unit: repeats.grouped(session, scope_for(unit), period, 10)
                for unit in ("320300", "320303")}

        def refuse(*args, **kwargs):
            raise AssertionError("grouped every village × subclass row")

        monkeypatch.setattr(repeats, "grouped", refuse)
        for unit, rows in want.items():
            places = repeat_places(session, unit, period, 10)
            assert places[["place_code", "subclass", "reports"]].values.tolist() == \
                [list(r) for r in rows]
            assert (places["repeats"] == places["reports"] - 1).all()
        # The year's tie at the top (the span's edge days part them) comes out in village,
        # then subclass order, as grouping gives.
        city = want["320300"]
        if period is YEAR:
            assert city[0][2] == city[1][2] and city[0][:2] < city[1][:2]


def test_one_edge_report_can_decide_the_top(fresh_backend):
    """Ten whole months and edge days at both ends (eleven parts). A has 101 reports in the
    months; B 100 in the months and one on an edge day: a tie, which B's village wins. B's
    edge report is below what the edge days' query returns (two or more), so only its upper
    bound's allowance for one unseen edge report keeps it in the race."""
    a, b = ("320303001002", "noise"), ("320303001001", "noise")
    with fresh_backend.sessions.begin() as session:
        for m in range(2, 12):
            month = date(2025, m, 1)
            session.add(VillageMonthly(month=month, village_code=a[0], subclass=a[1],
                                       reported=11 if m == 2 else 10))
            session.add(VillageMonthly(month=month, village_code=b[0], subclass=b[1],
                                       reported=10))
        session.add(GridDaily(day=date(2025, 12, 5), grid_code=b[0] + "001", subclass=b[1],
                              reported=1))
    with fresh_backend.sessions() as session:
        scope = scope_for("320303")
        assert repeats.grouped(session, scope, ADDED_EDGES, 1) == [(*b, 101)]
        assert repeats.top_repeats(session, scope, ADDED_EDGES, 1) == [(*b, 101)]
        assert repeats.top_repeats(session, scope, ADDED_EDGES, 2) == [(*b, 101), (*a, 101)]
