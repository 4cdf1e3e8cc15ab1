"""EARS C2 on short histories: a series too young for the GLM is tested against its days
t−9 … t−3 only where the region has data over those days. Before the region's first report
there is no history, not a history of zeros: a demo seeded a few days ago must not warn
"expected 0.0" on every busy township."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from data_access.warnings import surges

TODAY = date(2026, 3, 18)  # a plain Wednesday, no holiday near


def _frame(series: dict[str, list[int]]) -> pd.DataFrame:
    """unit -> daily counts ending today (oldest first), as daily_counts returns them."""
    rows = []
    for unit, counts in series.items():
        first = TODAY - timedelta(days=len(counts) - 1)
        rows += [(unit, "城乡建设", first + timedelta(days=i), n)
                 for i, n in enumerate(counts) if n]
    return pd.DataFrame(rows, columns=["unit", "category", "day", "n"])


def _c2(series: dict[str, list[int]]) -> dict[str, surges.Candidate]:
    found = surges.detect({"township": _frame(series)}, TODAY, 1.0, surges.SurgeConfig())
    return {c.unit: c for c in found if c.method == "ears_c2"}


def test_five_days_of_data_give_no_c2_warning():
    # Every day of the region's short history is busy, today more so: nothing to compare with.
    found = _c2({"320311001": [2, 3, 2, 3, 9], "320311002": [1, 2, 1, 1, 7]})
    assert found == {}


def test_a_series_with_two_weeks_of_data_is_tested_against_its_own_days():
    quiet = [1, 2, 1, 2, 1, 1, 2, 1, 2, 1, 2, 1, 1, 2]
    found = _c2({"320311001": quiet + [9], "320311002": quiet + [2]})
    assert set(found) == {"320311001"}
    c = found["320311001"]
    base = quiet[-9:-2]  # days t−9 … t−3
    assert c.observed == 9
    assert abs(c.expected - sum(base) / len(base)) < 1e-9
    assert c.score > surges.SurgeConfig().c2_threshold


def test_a_new_unit_in_a_region_with_history_has_real_zeros():
    # The region reports for two weeks; one community appears only today with 6 reports.
    older = [1, 2, 1, 2, 1, 1, 2, 1, 2, 1, 2, 1, 1, 2, 2]
    found = _c2({"320311001": older, "320311099": [0] * 14 + [6]})
    assert set(found) == {"320311099"}
    assert found["320311099"].expected == 0.0


def test_stray_older_cases_do_not_make_an_empty_fortnight_history():
    # Two cases three weeks ago, then nothing until the region's 5 days of data.
    stray = [1] + [0] * 15 + [2, 3, 2, 3, 9]
    assert _c2({"320311001": stray, "320311002": [0] * 16 + [1, 2, 1, 1, 7]}) == {}


def test_the_region_history_is_the_unbroken_run_of_reported_days():
    frame = _frame({"320311001": [1, 0, 0, 2, 3, 0], "320311002": [0, 0, 0, 0, 1, 0]})
    # Today (the last day) has nothing yet: the run ends yesterday and began two days before.
    assert surges.data_start({"township": frame}, TODAY) == TODAY - timedelta(days=2)
    assert surges.data_start({"township": frame.iloc[0:0]}, TODAY) is None
