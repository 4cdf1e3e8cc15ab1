"""CaseFilter -> SQL: exact counts, paging and order on the hand-counted cases."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from data_access import case_query as cq
from data_access import sla
from data_access.case_filters import CaseFilter
from data_access.models import Case
from tests.support.ops_cases import EXPECTED_COUNTY, NOW, T1, T2, ZONE
from tests.support.tiny_territory import COUNTY, GRIDS


def counts(backend, **args) -> dict[str, int]:
    with backend.sessions() as session:
        return cq.count_by_state(session, CaseFilter.from_query(args), NOW, ZONE)


def keys(backend, sort=cq.DEFAULT_SORT, offset=0, limit=100, **args) -> list[str]:
    with backend.sessions() as session:
        rows = cq.page(session, CaseFilter.from_query(args), NOW, ZONE, sort, offset, limit)
    return [r["external_id"].removeprefix("OPS-") for r in rows]


def test_counts_per_state_in_the_county(ops_backend):
    assert counts(ops_backend, unit=COUNTY) == EXPECTED_COUNTY
    assert counts(ops_backend, unit="320300") == EXPECTED_COUNTY  # the city holds the county


@pytest.mark.parametrize(("args", "expected"), [
    ({"unit": T2}, {"long_overdue": 1, "closed": 1, "total": 2}),
    ({"unit": GRIDS[0][:12]}, {"normal": 1, "approaching": 1, "overdue": 1, "total": 3}),
    ({"unit": GRIDS[1]}, {"approaching": 1, "total": 1}),
    ({"deadline": "overdue,long_overdue"}, {"overdue": 1, "long_overdue": 1, "total": 2}),
    ({"source": "hotline_12345"}, {"approaching": 1, "overdue": 1, "total": 2}),
    ({"stage": "closed,rejected"}, {"closed": 2, "total": 2}),
    ({"open": "1", "unit": T1}, {"normal": 3, "approaching": 1, "overdue": 1, "total": 5}),
    ({"q": "井盖"}, {"approaching": 1, "total": 1}),
    ({"q": "100%"}, {"approaching": 1, "total": 1}),  # % is a character, not a wildcard
    ({"q": "%"}, {"approaching": 1, "total": 1}),
    ({"q": "ops-e"}, {"closed": 1, "total": 1}),  # the external id, case-insensitively
    ({"q": "灯倒伏"}, {"long_overdue": 1, "total": 1}),  # long enough for the trigram index
    ({"q": "描述h"}, {"normal": 1, "total": 1}),  # the description
    # all reported between 02:00 and 09:00 local
    ({"period": "today"}, {k: n for k, n in EXPECTED_COUNTY.items() if k != "open"}),
    ({"from": "2026-11-19"}, {}),
    ({"major": "dispute"}, {}),
    # exactly the 60 minutes before 10:00: H, reported at 09:00, and nothing earlier
    ({"period": "1h"}, {"normal": 1, "total": 1}),
    ({"on": "closed", "period": "today"}, {"closed": 1, "total": 1}),  # E, closed 06:30
    ({"on": "closed", "from": "2026-11-17", "to": "2026-11-17"}, {}),
    ({"on": "closed"}, {"closed": 1, "total": 1}),
    ({"on": "registered"}, {}),  # none was registered (the /ops cases skip that stage)
    # due today up to now: C (09:00); B is due at 11:00, later today
    ({"on": "due", "period": "today"}, {"overdue": 1, "total": 1}),
    ({"on": "due", "from": "2026-11-18", "to": "2026-11-18"},
     {"approaching": 1, "overdue": 1, "total": 2}),
    ({"on": "due"}, {"normal": 2, "approaching": 1, "overdue": 1, "long_overdue": 1,
                     "total": 5}),  # H counts by its extension, to Friday
    ({"on": "reported", "period": "1h"}, {"normal": 1, "total": 1}),
    ({"satisfaction": "satisfied,basically,unsatisfied"}, {}),
])
def test_counts_for_each_filter_parameter(ops_backend, args, expected):
    got = counts(ops_backend, **args)
    assert {k: n for k, n in got.items() if n and k != "open"} == expected


def test_states_agree_with_the_sla_clock(ops_backend):
    with ops_backend.sessions() as session:
        rows = cq.page(session, CaseFilter(open=True), NOW, ZONE, limit=100)
    span = sla.limit_for("urban", "street_light", "normal", "grid_patrol").span()
    for row in rows:
        deadline = row["extended_until"] or row["deadline_at"]
        want = "normal" if deadline is None else sla.deadline_state(NOW, deadline, span,
                                                                    zone=ZONE)
        assert row["deadline_state"] == want, row["external_id"]


def test_cutoffs_are_exact_to_the_microsecond():
    span = timedelta(hours=7)
    cut = cq.cutoffs(NOW, span, ZONE)
    tick = timedelta(microseconds=1)
    state = lambda d: sla.deadline_state(NOW, d, span, zone=ZONE)  # noqa: E731
    assert (state(cut.approaching - tick), state(cut.approaching)) == ("approaching", "normal")
    assert (state(cut.long_overdue - tick), state(cut.long_overdue)) == ("long_overdue",
                                                                         "overdue")


def test_paging_and_sorting(ops_backend):
    assert keys(ops_backend) == list("HGFEDCBA")  # newest first by default
    assert keys(ops_backend, sort=(("reported_at", "asc"),), offset=2, limit=3) == list("CDE")
    assert keys(ops_backend, sort=(("deadline_at", "asc"),), open="1") == list("DCBAHG")
    # within a period the deadline is sorted through another spelling: same order
    assert keys(ops_backend, sort=(("deadline_at", "asc"),), open="1", period="today") == \
        list("DCBAHG")
    assert keys(ops_backend, sort=(("deadline_at", "desc"),), open="1", period="7d") == \
        list("HABCDG")
    # a range of due dates, read along the deadline index
    assert keys(ops_backend, sort=(("deadline_at", "asc"),), on="due", period="7d") == \
        list("DC")
    assert keys(ops_backend, sort=(("stage", "asc"), ("reported_at", "asc"))) == \
        list("EBACDHFG")
    assert keys(ops_backend, sort=(("no_such_column", "asc"),), limit=2) == list("AB")


def test_page_names_the_places(ops_backend):
    with ops_backend.sessions() as session:
        row = cq.page(session, CaseFilter(unit=GRIDS[6]), NOW, ZONE)[0]
    assert (row["county_name"], row["township_name"], row["grid_name"]) == \
        ("云龙区", "第02街道", "第07网格")


def test_search_is_served_by_the_trigram_indexes_on_postgresql(ops_backend):
    """On PostgreSQL each searched column has a trigram index that the search's ILIKE can use
    (with sequential scans priced out, as on a big table); SQLite has none and scans."""
    query = select(Case.id).where(cq.where_clause(CaseFilter(q="灯倒伏"), NOW, ZONE))
    with ops_backend.sessions() as session:
        if ops_backend.engine.dialect.name != "postgresql":
            assert not session.execute(text(
                "SELECT name FROM sqlite_master WHERE name LIKE '%trgm%'")).all()
            return
        session.execute(text("SET LOCAL enable_seqscan = off"))
        compiled = query.compile(dialect=session.bind.dialect)
        plan = "\n".join(session.connection().exec_driver_sql(
            "EXPLAIN " + str(compiled), compiled.params).scalars())
    for column in ("title", "description", "external_id"):
        assert f"ix_cases_{column}_trgm" in plan, plan


# Working time is 09:00–12:00 and 13:30–17:30 (7 h a working day); NOW is Wed 10:00.
# C, due Wed 09:00: 1 h late. D, due Sun 11-15 10:00 (a weekend): Mon 7 h + Tue 7 h + Wed
# 09:00–10:00 = 15 h = 2 working days 1 h. A, B, H are not yet due; G has no deadline.
OVERDUE_BY = {"C": (0, 1, 0), "D": (2, 1, 0)}


def overdue(backend, sort, **args) -> list[tuple[str, tuple[int, int, int] | None]]:
    with backend.sessions() as session:
        rows = cq.page(session, CaseFilter.from_query(args), NOW, ZONE, sort)
    return [(r["external_id"].removeprefix("OPS-"), r["overdue_for"]) for r in rows]


def test_the_overdue_drill_down_lists_the_longest_overdue_first(ops_backend):
    longest = cq.NAMED_SORTS["overdue"]
    assert overdue(ops_backend, longest, deadline="overdue,long_overdue") == \
        [("D", OVERDUE_BY["D"]), ("C", OVERDUE_BY["C"])]
    # the alert ranking's row: red longest overdue first, then yellow, soonest due first
    assert [k for k, _ in overdue(ops_backend, longest, deadline="approaching,overdue,"
                                  "long_overdue")] == ["D", "C", "B"]


def test_overdue_sort_over_open_and_closed_cases(ops_backend):
    """Closed cases have old deadlines or none but are overdue by nothing: after the open
    ones, whichever way the column is sorted."""
    got = overdue(ops_backend, (("overdue_for", "desc"),), unit=COUNTY)
    assert [k for k, _ in got] == ["D", "C", "B", "A", "H", "G", "E", "F"]
    assert {k: v for k, v in got if v is not None} == OVERDUE_BY
    assert keys(ops_backend, (("overdue_for", "asc"),), unit=COUNTY) == \
        ["H", "A", "B", "C", "D", "G", "F", "E"]
    # pages of the sort neither repeat nor skip a case
    assert [k for i in range(4) for k in keys(ops_backend, (("overdue_for", "desc"),), i * 2,
                                               2, unit=COUNTY)] == [k for k, _ in got]


def test_overdue_time_stops_outside_working_hours(ops_backend):
    """At Wed 20:00, C has been late the rest of Wednesday's working time (09:00–17:30 less
    the lunch break: 7 h); at Thu 09:30 half an hour more."""
    evening = NOW + timedelta(hours=10)
    morning = NOW + timedelta(hours=23, minutes=30)
    with ops_backend.sessions() as session:
        for now, want in ((evening, (1, 0, 0)), (morning, (1, 0, 30))):
            rows = cq.page(session, CaseFilter(deadline=("overdue", "long_overdue")), now,
                           ZONE, cq.NAMED_SORTS["overdue"])
            assert {r["external_id"]: r["overdue_for"] for r in rows}["OPS-C"] == want
