"""The deadline clock, against examples worked out by hand.

Working windows: 09:00–12:00 (3 h) and 13:30–17:30 (4 h) = 7 h per working day.
What chinesecalendar 1.11 says about the 2026 dates used here (checked with the library):
- 2026-03-06 Fri workday; 03-07 Sat, 03-08 Sun off; 03-09 Mon .. 03-13 Fri workdays.
- Spring Festival: 02-14 Sat is a make-up workday; 02-15 Sun .. 02-23 Mon off; 02-24 Tue back;
  02-28 Sat is a make-up workday.
- National Day (+ Mid-autumn): 09-26 Sat, 09-27 Sun off; 10-01 Thu .. 10-07 Wed off; 10-08 Thu
  is a working day (the library does not list it as a holiday); 10-10 Sat is a make-up workday;
  09-20 Sun too.
- 2026-12-31 Thu workday. 2027 is unknown to the library (NotImplementedError); 2027-01-01 is
  a Friday.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from data_access.sla import (
    DEFAULT_LIMITS,
    DISPATCH_LIMITS,
    FALLBACK_LIMIT,
    SHANGHAI,
    TimeLimit,
    WorkCalendar,
    add_working_time,
    deadline_state,
    limit_for,
    load_limits,
    time_left,
    working_time_between,
)

CAL = WorkCalendar()
H = timedelta(hours=1)
M = timedelta(minutes=1)


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=SHANGHAI)


def deadline(start: datetime, cal: WorkCalendar = CAL, **limit: float) -> datetime:
    result = add_working_time(start, TimeLimit(**limit), cal, SHANGHAI)
    assert result.tzinfo is UTC
    return result


# --- the library says what the module docstring and the tests assume -------------------------


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (date(2026, 2, 14), True),  # Sat, Spring Festival make-up
        (date(2026, 2, 23), False),  # Mon, last day of the holiday
        (date(2026, 2, 28), True),  # Sat, make-up
        (date(2026, 10, 7), False),
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),  # Sat, make-up
        (date(2026, 10, 11), False),
    ],
)
def test_calendar_follows_chinese_calendar(day: date, workday: bool) -> None:
    assert chinese_calendar.is_workday(day) is workday
    assert CAL.is_workday(day) is workday


# --- working hours -----------------------------------------------------------------------------


def test_hours_across_a_weekend() -> None:
    # Fri 03-06 16:00 + 4 h: Fri 16:00–17:30 uses 1.5 h, 2.5 h left; Sat/Sun off;
    # Mon 09:00 + 2.5 h = Mon 11:30.
    assert deadline(sh(2026, 3, 6, 16), working_hours=4) == sh(2026, 3, 9, 11, 30)
    # + 6 h: 1.5 Fri, 3 Mon morning (4.5), 1.5 more after lunch: Mon 13:30 + 1.5 = 15:00.
    assert deadline(sh(2026, 3, 6, 16), working_hours=6) == sh(2026, 3, 9, 15, 0)


def test_hours_start_outside_working_hours() -> None:
    # Tue 03-10. Before opening: 07:00 + 2 h = 09:00 + 2 h = 11:00.
    assert deadline(sh(2026, 3, 10, 7), working_hours=2) == sh(2026, 3, 10, 11)
    # Lunch: 12:30 + 1 h = 13:30 + 1 h = 14:30.
    assert deadline(sh(2026, 3, 10, 12, 30), working_hours=1) == sh(2026, 3, 10, 14, 30)
    # Evening: 19:00 + 1 h = Wed 09:00 + 1 h = Wed 10:00.
    assert deadline(sh(2026, 3, 10, 19), working_hours=1) == sh(2026, 3, 11, 10)
    # Exactly at noon + 3 h: 13:30–16:30.
    assert deadline(sh(2026, 3, 10, 12), working_hours=3) == sh(2026, 3, 10, 16, 30)


def test_hours_ending_on_a_window_end_stay_there() -> None:
    # 10:00 + 2 h is 12:00 — not 13:30.
    assert deadline(sh(2026, 3, 10, 10), working_hours=2) == sh(2026, 3, 10, 12)
    # 09:00 + 7 h is the whole day: 17:30 the same day, not 09:00 the next.
    assert deadline(sh(2026, 3, 10, 9), working_hours=7) == sh(2026, 3, 10, 17, 30)


def test_fractional_hours() -> None:
    # 11:45 + 0.5 h: 15 min before noon, 15 min after 13:30 = 13:45.
    assert deadline(sh(2026, 3, 10, 11, 45), working_hours=0.5) == sh(2026, 3, 10, 13, 45)


# --- working days ------------------------------------------------------------------------------


def test_days_from_friday_morning() -> None:
    # Fri 10:00 + 1 working day: Friday never counts, day 1 = Monday → Mon 17:30.
    assert deadline(sh(2026, 3, 6, 10), working_days=1) == sh(2026, 3, 9, 17, 30)
    # Before opening, the start day still does not count: Tue 07:00 + 1 = Wed 17:30.
    assert deadline(sh(2026, 3, 10, 7), working_days=1) == sh(2026, 3, 11, 17, 30)
    # On a weekend day: Sat + 1 = Mon 17:30 (counting starts on the next working day).
    assert deadline(sh(2026, 3, 7, 15), working_days=1) == sh(2026, 3, 9, 17, 30)
    # Mon 03-09 + 5 = Tue, Wed, Thu, Fri, next Mon 03-16 17:30.
    assert deadline(sh(2026, 3, 9, 11), working_days=5) == sh(2026, 3, 16, 17, 30)


def test_national_day_2026() -> None:
    # Wed 09-30 15:00 + 1 day: 10-01..10-07 off → day 1 = Thu 10-08.
    assert deadline(sh(2026, 9, 30, 15), working_days=1) == sh(2026, 10, 8, 17, 30)
    # + 3: 10-08 (1), 10-09 Fri (2), 10-10 make-up Sat (3).
    assert deadline(sh(2026, 9, 30, 15), working_days=3) == sh(2026, 10, 10, 17, 30)
    # + 4: 10-11 Sun off → Mon 10-12.
    assert deadline(sh(2026, 9, 30, 15), working_days=4) == sh(2026, 10, 12, 17, 30)
    # Hours: 09-30 16:00 + 4 h: 1.5 h on 09-30, 2.5 h on 10-08 → 10-08 11:30.
    assert deadline(sh(2026, 9, 30, 16), working_hours=4) == sh(2026, 10, 8, 11, 30)


def test_spring_festival_2026() -> None:
    # Fri 02-13 10:00 + 1: the next working day is the make-up Saturday 02-14.
    assert deadline(sh(2026, 2, 13, 10), working_days=1) == sh(2026, 2, 14, 17, 30)
    # From that Saturday + 1: 02-15..02-23 off → Tue 02-24.
    assert deadline(sh(2026, 2, 14, 10), working_days=1) == sh(2026, 2, 24, 17, 30)
    # Reported during the holiday (Wed 02-18): day 1 = 02-24; + 5 = 24, 25, 26, 27, Sat 28.
    assert deadline(sh(2026, 2, 18, 10), working_days=1) == sh(2026, 2, 24, 17, 30)
    assert deadline(sh(2026, 2, 18, 10), working_days=5) == sh(2026, 2, 28, 17, 30)
    # Hours during the holiday wait for 02-24 09:00: + 2 h = 11:00.
    assert deadline(sh(2026, 2, 18, 10), working_hours=2) == sh(2026, 2, 24, 11)


def test_make_up_saturday_has_working_hours() -> None:
    # Sat 10-10 is a workday: 09:00 + 7 h = 17:30 that Saturday; 12:30 + 1 h = 14:30.
    assert deadline(sh(2026, 10, 10, 9), working_hours=7) == sh(2026, 10, 10, 17, 30)
    assert deadline(sh(2026, 10, 10, 12, 30), working_hours=1) == sh(2026, 10, 10, 14, 30)
    # An ordinary Saturday has none: Sat 03-07 10:00 + 1 h = Mon 10:00.
    assert deadline(sh(2026, 3, 7, 10), working_hours=1) == sh(2026, 3, 9, 10)


# --- calendar minutes --------------------------------------------------------------------------


def test_minutes_run_around_the_clock() -> None:
    # Sat 23:55 + 10 min = Sun 00:05, weekend and night included.
    assert deadline(sh(2026, 3, 7, 23, 55), minutes=10) == sh(2026, 3, 8, 0, 5)
    # A holiday does not stop the 30-minute dispatch clock.
    start = sh(2026, 10, 1, 12, 40)
    assert add_working_time(start, DISPATCH_LIMITS["normal"]) == sh(2026, 10, 1, 13, 10)
    assert add_working_time(start, DISPATCH_LIMITS["urgent"]) == sh(2026, 10, 1, 12, 50)


# --- years the library does not know -----------------------------------------------------------


def test_2027_falls_back_to_monday_to_friday() -> None:
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))
    assert not CAL.has_official_schedule(2027)
    assert CAL.has_official_schedule(2026)
    # Without a table, Fri 2027-01-01 is taken for a workday: Thu 12-31 + 1 = Fri 01-01.
    assert deadline(sh(2026, 12, 31, 10), working_days=1) == sh(2027, 1, 1, 17, 30)
    assert CAL.is_workday(date(2027, 1, 2)) is False  # Saturday


def test_2027_override_table(tmp_path) -> None:
    # Hypothetical dates for the test only (not the official 2027 schedule): New Year's Day
    # off, and an imaginary make-up Sunday 2027-01-10.
    table = tmp_path / "holidays_2027.json"
    table.write_text(
        json.dumps({"_note": "test", "holidays": ["2027-01-01"], "workdays": ["2027-01-10"]})
    )
    cal = WorkCalendar.from_file(table)
    assert cal.has_official_schedule(2027)
    # Thu 12-31 + 1: Fri 01-01 off, weekend → Mon 01-04.
    assert deadline(sh(2026, 12, 31, 10), cal, working_days=1) == sh(2027, 1, 4, 17, 30)
    # Fri 01-08 + 1: Sat 01-09 off, Sun 01-10 declared a workday.
    assert deadline(sh(2027, 1, 8, 10), cal, working_days=1) == sh(2027, 1, 10, 17, 30)
    # Hours across the year: 12-31 16:00 + 4 h = 1.5 h, then Mon 01-04 09:00 + 2.5 h.
    assert deadline(sh(2026, 12, 31, 16), cal, working_hours=4) == sh(2027, 1, 4, 11, 30)
    # Elapsed 12-31 09:00 → 01-04 09:00: 7 h (Dec 31) with the table, 14 h without.
    assert working_time_between(sh(2026, 12, 31, 9), sh(2027, 1, 4, 9), cal) == 7 * H
    assert working_time_between(sh(2026, 12, 31, 9), sh(2027, 1, 4, 9), CAL) == 14 * H


@pytest.mark.parametrize(
    "raw",
    [
        {"holidays": ["2027-01-01"], "workdays": ["2027-01-01"]},  # both
        {"holidays": ["2027-13-01"]},  # not a date
        {"holidays": ["2027-01-01"], "holyday": []},  # typo in a key
        ["2027-01-01"],  # not an object
    ],
)
def test_bad_override_tables_are_refused(tmp_path, raw: object) -> None:
    table = tmp_path / "t.json"
    table.write_text(json.dumps(raw))
    with pytest.raises(ValueError):
        WorkCalendar.from_file(table)


def test_bundled_tables_load_and_keep_the_library_years() -> None:
    cal = WorkCalendar.bundled()
    assert cal.is_workday(date(2026, 10, 10)) and not cal.is_workday(date(2026, 10, 1))


# --- elapsed working time ----------------------------------------------------------------------


def test_working_time_between_by_hand() -> None:
    # The weekend example backwards: Fri 16:00 → Mon 11:30 = 1.5 + 2.5 = 4 h.
    assert working_time_between(sh(2026, 3, 6, 16), sh(2026, 3, 9, 11, 30)) == 4 * H
    # Lunch inside: 11:00 → 14:00 = 1 h + 0.5 h.
    assert working_time_between(sh(2026, 3, 10, 11), sh(2026, 3, 10, 14)) == 90 * M
    # A plain week: Mon 09:00 → next Mon 09:00 = 5 × 7 h.
    assert working_time_between(sh(2026, 3, 9, 9), sh(2026, 3, 16, 9)) == 35 * H
    # National Day: 09-30 09:00 → 10-08 09:00 = only 09-30.
    assert working_time_between(sh(2026, 9, 30, 9), sh(2026, 10, 8, 9)) == 7 * H
    # Reversed is negative; a weekend alone is zero.
    assert working_time_between(sh(2026, 3, 9, 11, 30), sh(2026, 3, 6, 16)) == -4 * H
    assert working_time_between(sh(2026, 3, 7, 9), sh(2026, 3, 8, 18)) == timedelta(0)


def _brute_force_between(a: datetime, b: datetime) -> timedelta:
    """Day by day, window by window: the slow obvious way."""
    la, lb = a.astimezone(SHANGHAI), b.astimezone(SHANGHAI)
    total = timedelta(0)
    day = la.date()
    while day <= lb.date():
        if chinese_calendar.is_workday(day):
            for start, end in ((time(9), time(12)), (time(13, 30), time(17, 30))):
                lo = max(la, datetime.combine(day, start, SHANGHAI))
                hi = min(lb, datetime.combine(day, end, SHANGHAI))
                total += max(timedelta(0), hi - lo)
        day += timedelta(days=1)
    return total


def test_working_time_between_matches_brute_force_over_random_spans() -> None:
    rng = random.Random(20260101)
    origin = sh(2024, 1, 1)
    for _ in range(300):
        a = origin + timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60))
        # The brute force asks the library directly, which stops at 2026.
        b = min(a + timedelta(minutes=rng.randrange(0, 400 * 24 * 60)), sh(2026, 12, 31, 23))
        assert working_time_between(a, b) == _brute_force_between(a, b), (a, b)


def test_adding_hours_then_measuring_gives_the_hours_back() -> None:
    rng = random.Random(7)
    for _ in range(300):
        start = sh(2026, 1, 1) + timedelta(minutes=rng.randrange(0, 360 * 24 * 60))
        hours = rng.choice([0.5, 1, 2, 4, 7, 9.5, 30])
        end = add_working_time(start, TimeLimit(working_hours=hours))
        assert working_time_between(start, end) == timedelta(hours=hours), start


# --- time left and warning states --------------------------------------------------------------


def test_time_left_is_negative_when_overdue() -> None:
    due = sh(2026, 3, 9, 17, 30)
    # Mon 15:00: 2.5 h left.
    assert time_left(sh(2026, 3, 9, 15), due) == 150 * M
    # Tue 10:00: 1 h of working time past the deadline.
    assert time_left(sh(2026, 3, 10, 10), due) == -1 * H
    # Mon evening: overdue, but no working time has passed since 17:30 yet.
    assert time_left(sh(2026, 3, 9, 20), due) == timedelta(0)
    # Calendar minutes: 20:00 for a 19:50 deadline is 10 min late.
    assert time_left(sh(2026, 3, 9, 20), sh(2026, 3, 9, 19, 50), calendar_time=True) == -10 * M


# One working day limit, due Mon 03-09 17:30. L = 7 h.
# approaching below max(0.2 × 7 h = 1.4 h, min(4 h, 3.5 h)) = 3.5 h left → from 14:00 on.
# long overdue beyond min(7 h, 35 h) = 7 h of working time late → Tue 17:30 still "overdue",
# Wed 09:01 "long_overdue".
ONE_DAY_DUE = sh(2026, 3, 9, 17, 30)
ONE_DAY = TimeLimit(working_days=1).span()


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (sh(2026, 3, 9, 13, 59), "normal"),  # 3 h 31 min left
        (sh(2026, 3, 9, 14, 0), "normal"),  # exactly 3.5 h: not below the threshold
        (sh(2026, 3, 9, 14, 0, 1), "approaching"),
        (sh(2026, 3, 9, 17, 30), "approaching"),  # the deadline instant is still in time
        (sh(2026, 3, 9, 17, 30, 1), "overdue"),
        (sh(2026, 3, 9, 22, 0), "overdue"),  # red the same evening
        (sh(2026, 3, 10, 17, 29), "overdue"),  # 6 h 59 min late
        (sh(2026, 3, 10, 17, 30), "overdue"),  # exactly 7 h late: not more than the limit
        (sh(2026, 3, 11, 9, 1), "long_overdue"),  # 7 h 1 min late
    ],
)
def test_states_for_one_working_day(now: datetime, state: str) -> None:
    assert ONE_DAY == 7 * H
    assert deadline_state(now, ONE_DAY_DUE, ONE_DAY) == state


def test_states_for_a_dispute_use_the_five_day_cap() -> None:
    # 15 working days: L = 105 h; approaching below max(21 h, min(4 h, 52.5 h)) = 21 h
    # (3 working days); long overdue beyond min(105 h, 35 h) = 35 h (5 working days).
    limit = TimeLimit(working_days=15)
    due = sh(2026, 3, 16, 17, 30)  # Mon
    assert deadline_state(sh(2026, 3, 11, 17, 30), due, limit.span()) == "normal"  # 21 h left
    assert deadline_state(sh(2026, 3, 12, 9, 1), due, limit.span()) == "approaching"
    # 35 h late = 5 working days: Mon 03-23 17:30 still "overdue", Tue 09:01 beyond.
    assert deadline_state(sh(2026, 3, 23, 17, 30), due, limit.span()) == "overdue"
    assert deadline_state(sh(2026, 3, 24, 9, 1), due, limit.span()) == "long_overdue"


def test_states_for_short_urgent_and_minute_limits() -> None:
    # Urgent 2 h: approaching below max(0.4 h, min(4 h, 1 h)) = 1 h, so not yellow at once.
    due = add_working_time(sh(2026, 3, 10, 9), TimeLimit(working_hours=2))  # 11:00
    span = TimeLimit(working_hours=2).span()
    assert deadline_state(sh(2026, 3, 10, 9), due, span) == "normal"
    assert deadline_state(sh(2026, 3, 10, 10, 1), due, span) == "approaching"
    # 2 h late (11:00 → 14:30 is 1 + 1 = 2 h) is not more than L; 14:31 is.
    assert deadline_state(sh(2026, 3, 10, 14, 30), due, span) == "overdue"
    assert deadline_state(sh(2026, 3, 10, 14, 31), due, span) == "long_overdue"
    # 30-minute dispatch at night, calendar time: approaching below max(6, min(240, 15)) = 15
    # min; long overdue beyond 30 min late.
    limit = DISPATCH_LIMITS["normal"]
    due = add_working_time(sh(2026, 3, 10, 20), limit)  # 20:30
    for now, state in [
        ((20, 15), "normal"),
        ((20, 16), "approaching"),
        ((20, 31), "overdue"),
        ((21, 0), "overdue"),
        ((21, 1), "long_overdue"),
    ]:
        got = deadline_state(sh(2026, 3, 10, *now), due, limit.span(), calendar_time=True)
        assert got == state, now


def test_state_thresholds_are_parameters() -> None:
    # Fraction 0.5: threshold max(3.5 h, 3.5 h) = 3.5 h, so 13:31 (3 h 59 min left) is normal;
    # fraction 0.6: max(4.2 h, 3.5 h) = 4.2 h, so 13:32 (3 h 58 min left) is yellow.
    # long_overdue_after = 1 h: Tue 10:01 is 1 h 1 min late, beyond min(7 h, 1 h).
    assert deadline_state(sh(2026, 3, 9, 13, 31), ONE_DAY_DUE, ONE_DAY, 0.5) == "normal"
    assert deadline_state(sh(2026, 3, 9, 13, 32), ONE_DAY_DUE, ONE_DAY, 0.6) == "approaching"
    late = sh(2026, 3, 10, 10, 1)
    assert deadline_state(late, ONE_DAY_DUE, ONE_DAY, long_overdue_after=H) == "long_overdue"


# --- time zones --------------------------------------------------------------------------------


def test_any_zone_in_utc_out() -> None:
    # Fri 16:00 Shanghai = 08:00 UTC = 03:00 New York (EST, UTC−5).
    expected = sh(2026, 3, 9, 11, 30)
    for start in (
        sh(2026, 3, 6, 16),
        datetime(2026, 3, 6, 8, tzinfo=UTC),
        datetime(2026, 3, 6, 3, tzinfo=ZoneInfo("America/New_York")),
    ):
        result = add_working_time(start, TimeLimit(working_hours=4))
        assert result == expected and result.tzinfo is UTC
        assert result == datetime(2026, 3, 9, 3, 30, tzinfo=UTC)
    assert (
        working_time_between(
            datetime(2026, 3, 6, 8, tzinfo=UTC), datetime(2026, 3, 9, 3, 30, tzinfo=UTC)
        )
        == 4 * H
    )


def test_counting_in_another_zone() -> None:
    # 08:00 UTC is 16:00 in Shanghai but 08:00 in UTC's own working day: + 1 h = 10:00 UTC.
    start = datetime(2026, 3, 6, 8, tzinfo=UTC)
    assert add_working_time(start, TimeLimit(working_hours=1), CAL, ZoneInfo("UTC")) == (
        datetime(2026, 3, 6, 10, tzinfo=UTC)
    )


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        add_working_time(datetime(2026, 3, 6, 16), TimeLimit(working_hours=1))


def test_a_limit_has_exactly_one_positive_amount() -> None:
    for bad in ({}, {"working_days": 1, "minutes": 5}, {"working_hours": 0}):
        with pytest.raises(ValueError):
            TimeLimit(**bad)


# --- the limit table ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("major", "subclass", "priority", "expected"),
    [
        ("urban", "road_damage", "normal", TimeLimit(working_days=1)),
        ("urban", "road_damage", "urgent", TimeLimit(working_hours=4)),
        ("urban", "illegal_building", "urgent", TimeLimit(working_days=15)),
        ("environment", "noise", "urgent", TimeLimit(working_days=3)),
        ("safety", "fire_exit", "normal", TimeLimit(working_days=2)),
        ("safety", "fire_exit", "urgent", TimeLimit(working_hours=4)),
        ("order", "fight", "normal", TimeLimit(working_days=1)),
        ("order", "fight", "urgent", TimeLimit(working_hours=2)),
        ("dispute", "neighbours", "normal", TimeLimit(working_days=15)),
        ("dispute", "neighbours", "urgent", TimeLimit(working_days=5)),
        ("service", "consultation", "normal", TimeLimit(working_days=2)),
        ("service", "help", "normal", TimeLimit(working_days=10)),
        ("service", "suggestion", "normal", TimeLimit(working_days=10)),
        ("service", "complaint", "urgent", TimeLimit(working_days=15)),
        ("service", "report", "normal", TimeLimit(working_days=15)),
        ("service", "other", "normal", FALLBACK_LIMIT),
        ("unknown", "x", "normal", TimeLimit(working_days=5)),
    ],
)
def test_default_limits(major: str, subclass: str, priority: str, expected: TimeLimit) -> None:
    assert limit_for(major, subclass, priority, "grid_patrol") == expected


def test_overrides_from_a_file(tmp_path) -> None:
    path = tmp_path / "limits.json"
    path.write_text(
        json.dumps(
            {
                "limits": [
                    {"major_class": "urban", "working_days": 2},
                    {"major_class": "urban", "source": "hotline", "working_days": 3},
                    {"major_class": "service", "subclass": "help", "working_days": 7},
                ]
            }
        )
    )
    overrides = load_limits(path)
    assert limit_for("urban", "x", "normal", "grid_patrol", overrides) == TimeLimit(working_days=2)
    # A more specific default still wins over a generic override.
    assert limit_for("urban", "x", "urgent", "grid_patrol", overrides) == (
        TimeLimit(working_hours=4)
    )
    assert limit_for("urban", "x", "normal", "hotline", overrides) == TimeLimit(working_days=3)
    assert limit_for("service", "help", "normal", "hotline", overrides) == (
        TimeLimit(working_days=7)
    )
    # The defaults themselves are untouched.
    assert DEFAULT_LIMITS[("urban", "*", "*", "*")] == TimeLimit(working_days=1)


def test_the_vectorised_clock_agrees_with_working_time_between_everywhere() -> None:
    """working_us_before's differences against the scalar clock over random instants of
    2023-2027 (holidays, make-up Saturdays, nights, lunch breaks, both orders), in two
    zones' inputs, with the bundled calendar and one with local adjustments."""
    import numpy as np

    from data_access.sla import WorkCalendar, working_us_before

    rng = random.Random(20261203)
    base = datetime(2023, 1, 1, tzinfo=UTC)
    one_us = timedelta(microseconds=1)
    adjusted = WorkCalendar(extra_holidays={date(2026, 3, 10)},
                            extra_workdays={date(2026, 3, 8)})
    for cal in (CAL, adjusted):
        starts = [base + timedelta(seconds=rng.randrange(5 * 365 * 86_400),
                                   microseconds=rng.randrange(10**6)) for _ in range(3_000)]
        starts += [sh(2026, 3, 8, 9), sh(2026, 3, 10, 12), sh(2026, 3, 10, 13, 30)]
        for end in (sh(2026, 3, 10, 11, 15), datetime(2026, 10, 1, 4, 0, tzinfo=UTC)):
            got = working_us_before([end], cal)[0] - working_us_before(starts, cal)
            want = np.array([working_time_between(a, end, cal) // one_us for a in starts])
            assert np.array_equal(got, want)
    assert len(working_us_before([], CAL)) == 0
    with pytest.raises(ValueError, match="2099"):
        working_us_before([datetime(1999, 12, 31, 12, tzinfo=UTC)], CAL)


def test_deadline_states_match_the_scalar_state_case_by_case() -> None:
    """The alert board's vectorised states against `deadline_state` for every kind of limit
    (working days, working hours, calendar minutes, odd spans whose thresholds round), around
    holidays and make-up Saturdays, with deadlines at the instant, a microsecond either side,
    and exactly at each threshold; and the two parameters that move them."""
    import numpy as np

    from data_access.sla import deadline_states

    rng = random.Random(202612031)
    limits = [TimeLimit(working_days=1), TimeLimit(working_days=15), TimeLimit(working_hours=2),
              TimeLimit(working_hours=4), TimeLimit(minutes=10), TimeLimit(minutes=30),
              TimeLimit(working_hours=0.0001), TimeLimit(minutes=7)]
    nows = [sh(2026, 10, 8, 9, 0), sh(2026, 2, 14, 10, 7), sh(2026, 12, 3, 17, 31),
            sh(2026, 9, 30, 23, 59)]
    for now in nows:
        dues, spans, minutes, want = [], [], [], {}
        for _ in range(1_500):
            limit = rng.choice(limits)
            due = now + timedelta(seconds=rng.randrange(-20 * 86_400, 20 * 86_400))
            dues.append(due)
            spans.append(limit.span(CAL))
            minutes.append(limit.calendar_time)
        for limit in limits:  # deadlines on the edges: the instant, ± 1 µs, each threshold
            span = limit.span(CAL)
            for edge in (timedelta(0), span * 0.2, span / 2, timedelta(hours=4), span,
                         timedelta(hours=35)):
                for due in (now + edge, now - edge, now + edge + timedelta(microseconds=1),
                            now - edge - timedelta(microseconds=1)):
                    dues.append(due)
                    spans.append(span)
                    minutes.append(limit.calendar_time)
        for kwargs in ({}, {"approaching_fraction": 0.5, "long_overdue_after":
                            timedelta(hours=3)}):
            got = deadline_states(now, dues, np.array(spans, dtype="timedelta64[us]"),
                                  minutes, **kwargs)
            want = [deadline_state(now, d, s, calendar_time=m, **kwargs)
                    for d, s, m in zip(dues, spans, minutes, strict=True)]
            assert got.tolist() == want
            assert {"normal", "approaching", "overdue", "long_overdue"} <= set(want)
