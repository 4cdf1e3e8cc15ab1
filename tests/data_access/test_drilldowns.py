"""Every wall number that links to /ops opens exactly the cases it counts: the figure equals
what /ops counts for its link (parsed back with CaseFilter, counted with case_query), on the
hand-made slice and on a seeded county after live changes; and `govwall stats` agrees with
the wall on every indicator both show, for the same data and instant."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

import pytest
from sqlalchemy import func, select

from callbacks.wall.common import filter_href
from callbacks.wall.mix import build as build_mix
from data_access import alerts, coverage, disputes, kpis, mix
from data_access import case_query as cq
from data_access import case_store as cs
from data_access import indicators as ind
from data_access import vocabulary as v
from data_access.case_filters import CaseFilter
from data_access.models import Case, Unit
from data_access.stats import collect_stats
from data_access.wall_scope import scope_for
from layouts.wall import kpis as kpi_layout
from layouts.wall.alerts import ALERT_STATES, unit_cases
from layouts.wall.figures import dispute_trend
from simulation.bootstrap import ensure_territory
from simulation.seed import seed_history
from tests.support.backends import backend_names, open_backend
from tests.support.wall_region import FIXED_NOW, ZONE, seed_wall_region

SEEDED = "320303"
SEEDED_AT = datetime(2026, 11, 18, 9, 0, tzinfo=ZONE).astimezone(UTC)  # a Wednesday
LIVE_NOW = datetime(2026, 11, 18, 14, 0, 30, tzinfo=ZONE).astimezone(UTC)  # after the changes
ZEROS_CHECKED = 3  # per map measure and trend: areas and segments showing 0 (the rest all)


def _local(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A local time in November 2026, as the UTC instant everything is stored in."""
    return datetime(2026, 11, day, hour, minute, second, tzinfo=ZONE).astimezone(UTC)


def ops_counts(session, href: str, now: datetime) -> dict[str, int]:
    """What /ops counts for a wall link."""
    path, _, query = href.partition("?")
    assert path == "/ops"
    wanted = CaseFilter.from_query(dict(parse_qsl(query)))
    assert wanted.href() == href
    return cq.count_by_state(session, wanted, now, ZONE)


def _links(component) -> list:
    """Every link (html.A) in a component tree."""
    children = getattr(component, "children", None)
    found = [component] if getattr(component, "href", None) else []
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str):
            found += _links(child)
    return found


def _text(component, class_name: str) -> str:
    return next(c.children for c in component.children if c.className == class_name)


def _some_zeros(pairs):
    """All the non-zero (key, figure) pairs and a few zero ones."""
    zeros = [p for p in pairs if p[1] == 0][:ZEROS_CHECKED]
    return [p for p in pairs if p[1] != 0] + zeros


def check_view(session, counters, unit: str, now: datetime) -> int:
    """Compare every linked number of one wall view with /ops; returns how many matched."""
    scope = scope_for(unit)
    checked = 0

    def same(figure, href, key="total", what=""):
        nonlocal checked
        assert figure == ops_counts(session, href, now)[key], (unit, what, href)
        checked += 1

    # Headline indicators: counts, and the cases each rate is over (its denominator).
    hrefs = kpi_layout.hrefs_for(unit, filter_href)
    assert set(hrefs) == set(kpi_layout.KEYS) - set(kpi_layout.UNLINKED)
    figures = {**kpis.live_counts(counters, scope, now).__dict__,
               **kpis.db_figures(session, scope, now, ZONE).__dict__}
    for key in ("reported", "registered", "closed", "in_progress", "overdue",
                "reports_last_hour"):
        same(figures[key], hrefs[key], what=key)
    rates = kpis.rates(session, scope, now, ZONE)
    window = ind.last_days(ind.RATE_DAYS, now, ZONE)
    found = ind.ratios(session, kpis.RATES, window, scope.case_filter())
    for key in kpis.RATES:
        assert getattr(rates, key) == found[key].value, (unit, key)
        same(found[key].whole, hrefs[key], what=key)
        # each case the rate is over, alone: it counts in the numerator or not
        alone = ind.ratios(session, (key,), window, scope.case_filter())[key]
        assert alone == found[key], (unit, key)
    same(found["closure_rate"].part, hrefs["closure_rate"], "closed", "closed, closure rate")

    # The alert ranking: a county's red and yellow, and the cases its row opens.
    board = alerts.alert_board(session, counters, scope, now, ZONE)
    for row in board.by_unit.itertuples():
        href = filter_href(**unit_cases(row.unit_code))
        got = ops_counts(session, href, now)
        assert (row.red, row.yellow) == (got["overdue"] + got["long_overdue"],
                                         got["approaching"]), (unit, href)
        checked += 1

    # Sources and categories today, as the mix tile links them.
    body = build_mix(mix.today_mix(session, counters, scope, now, ZONE), unit, "zh", False)
    rows = [a for a in _links(body) if a.className == "mix-row"]
    assert len(rows) == 13  # 7 sources, 6 major classes
    for row in rows:
        same(int(_text(row, "mix-n").replace(",", "")), row.href, what="mix")

    # The map's areas (assets/wall.js followClick): open cases, or overdue ones.
    for measure, fields in (("open", {"open": True}),
                            ("overdue", {"deadline": ("overdue", "long_overdue"),
                                         "sort": "overdue"})):
        frame = coverage.measure_values(session, counters, scope, measure, now)
        for code, value in _some_zeros(list(zip(frame["code"], frame["value"], strict=True))):
            same(value, CaseFilter(unit=code, **fields).href(), what=measure)

    # The dispute trend's segments (assets/wall.js followDispute): a type on a day.
    summary = disputes.dispute_summary(session, scope, now, ZONE)
    segments = [((types, day), height) for trace in dispute_trend(summary.daily, "zh").data
                if trace.customdata is not None
                for (types, day), height in zip(trace.customdata, trace.y, strict=True)]
    for (types, day), height in _some_zeros(segments):
        wanted = CaseFilter(unit=unit, dispute=tuple(types.split(",")),
                            date_from=datetime.fromisoformat(day).date(),
                            date_to=datetime.fromisoformat(day).date())
        same(height, wanted.href(), what="dispute trend")
    return checked


def check_stats(session, counters, region: str, now: datetime) -> None:
    scope = scope_for(region)
    stats = collect_stats(session, region, ZONE, now)
    live = kpis.live_counts(counters, scope, now)
    db = kpis.db_figures(session, scope, now, ZONE)
    rates = kpis.rates(session, scope, now, ZONE)
    assert stats["today"] == {"reported": live.reported, "registered": live.registered,
                              "closed": live.closed, "reports_last_hour": db.reports_last_hour}
    assert stats["reports_per_day"][now.astimezone(ZONE).date().isoformat()] == live.reported
    assert (stats["in_progress"], stats["overdue_open"]) == (db.in_progress, db.overdue)
    for key in kpis.RATES:
        value = getattr(rates, key)
        assert stats[f"{key}_30d"] == (None if value is None else round(value, 4)), key


# -- the hand-made slice ---------------------------------------------------------------------

@pytest.fixture(scope="module", params=backend_names())
def hand_made(request, tmp_path_factory):
    with open_backend(request.param, tmp_path_factory.mktemp("drill-hand")) as backend:
        seed_wall_region(backend.sessions, backend.counters)
        yield backend


@pytest.mark.parametrize("unit", ["320300", "320302", "320303", "320302001"])
def test_each_linked_number_opens_its_cases_on_the_hand_made_slice(hand_made, unit):
    with hand_made.sessions() as session:
        assert check_view(session, hand_made.counters, unit, FIXED_NOW) > 20


def test_the_hand_made_figures_are_the_ones_worked_out(hand_made):
    """Anchors for the comparisons above: I was registered then rejected today, so it is
    reported but not registered; A is in the last hour; Nanjing's J is in no Xuzhou view."""
    xuzhou = scope_for("320300")
    with hand_made.sessions() as session:
        live = kpis.live_counts(hand_made.counters, xuzhou, FIXED_NOW)
        hrefs = kpi_layout.hrefs_for("320300", filter_href)
        assert (live.reported, live.registered, live.closed) == (4, 3, 1)
        assert ops_counts(session, hrefs["registered"], FIXED_NOW) == {  # A, G open; B
            "normal": 2, "approaching": 0, "overdue": 0, "long_overdue": 0, "open": 2,
            "closed": 1, "total": 3}
        assert ops_counts(session, hrefs["reports_last_hour"], FIXED_NOW)["total"] == 1
        check_stats(session, hand_made.counters, "320300", FIXED_NOW)
        stats = collect_stats(session, "320300", ZONE, FIXED_NOW)
    assert stats["closure_rate_30d"] == round(3 / 8, 4)
    assert stats["on_time_rate_30d"] == 0.5
    assert stats["cases_by_stage"]["rejected"] == 1 and sum(stats["cases_by_stage"].values()) == 9


def test_overdue_drill_downs_open_the_longest_overdue_first():
    """The headline overdue count and an alert ranking row open /ops sorted by how long
    overdue (the map's overdue areas: check_view, as assets/wall.js followClick builds them)."""
    hrefs = kpi_layout.hrefs_for("320303", filter_href)
    assert hrefs["overdue"] == \
        "/ops?unit=320303&deadline=overdue%2Clong_overdue&open=1&sort=overdue"
    assert filter_href(**unit_cases("320303")) == \
        "/ops?unit=320303&deadline=approaching%2Coverdue%2Clong_overdue&sort=overdue"
    assert "sort" not in CaseFilter.from_query(dict(parse_qsl(
        hrefs["in_progress"].partition("?")[2]))).to_query()


def test_workers_online_link_nowhere():
    strip = kpi_layout.layout("zh")
    ids = {getattr(c, "id", None) for c in _walk(strip)}
    assert kpi_layout.link_id("reported") in ids
    assert kpi_layout.link_id("workers_online") not in ids
    assert kpi_layout.value_id("workers_online") in ids
    items = kpi_layout.kpi_items({}, {}, kpi_layout.hrefs_for("320300", filter_href), "zh")
    assert [i["href"] is None for i in items] == [k in kpi_layout.UNLINKED
                                                  for k in kpi_layout.KEYS]


def _walk(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str):
            yield from _walk(child)


def test_the_layouts_words_are_the_indicators():
    assert kpi_layout.ACCEPTED == ind.ACCEPTED_STAGES
    assert kpi_layout.ANSWERED == v.SATISFACTION
    assert set(ALERT_STATES) == set(v.DEADLINE_STATES) - {"normal"}


# -- a seeded county after live changes ------------------------------------------------------

def _draft(n: int, grid: str, major: str = "urban", dispute: str | None = None) -> cs.CaseDraft:
    return cs.CaseDraft(
        external_id=f"LIVE-{n}", source="hotline_12345" if n % 2 else "grid_patrol",
        major_class=major, subclass="dispute" if major == "dispute" else "garbage",
        priority="normal", title=f"实时事件{n}", description="", grid_code=grid, lon=None,
        lat=None, reporter_name=None, reporter_phone=None, address=None,
        dispute_type=dispute)


FORWARD = {"reported": "registered", "registered": "dispatched", "dispatched": "handling",
           "handling": "handled", "handled": "verified", "verified": "closed"}


def live_changes(backend) -> dict[str, int]:
    """Reports, registrations, rejections (one across midnight), a return, closures, a
    follow-up, an extension and side events, through the write path; returns case ids."""
    with backend.sessions() as session:
        grids = list(session.scalars(select(Unit.code).where(
            Unit.level == "grid", Unit.county_code == SEEDED).order_by(Unit.code).limit(40)))
        returned = session.scalar(select(Case.id).where(
            Case.stage == "handling", Case.registered_at < _local(18, 0)).order_by(Case.id))
        to_close = list(session.scalars(select(Case.id).where(
            Case.stage.in_(("handling", "handled", "verified")), Case.id != returned)
            .order_by(Case.id.desc()).limit(3)))
    assert returned is not None and len(to_close) == 3
    ids: dict[str, int] = {}

    def change(at: datetime, step) -> None:
        with cs.case_change(backend.sessions, backend.counters) as session:
            step(session, at)

    def report(name: str, n: int, at: datetime, deadline: datetime, **kind) -> None:
        def step(session, at):
            ids[name] = cs.report_case(session, _draft(n, grids[n % len(grids)], **kind), at,
                                       "test", deadline)
        change(at, step)

    def advance(name_or_id, at: datetime, to_stage: str, **fields) -> None:
        case_id = ids.get(name_or_id, name_or_id)
        change(at, lambda s, at: cs.advance(s, case_id, to_stage, at, "test", **fields))

    # Registered yesterday 23:55, rejected today 00:05: yesterday's 立案 falls, not today's.
    report("late", 1, _local(17, 23, 50), _local(19, 12))
    advance("late", _local(17, 23, 55), "registered")
    advance("late", _local(18, 0, 5), "rejected")
    # Registered and rejected this morning: reported today, never 立案.
    report("rejected", 2, _local(18, 9, 30), _local(19, 12), major="dispute",
           dispute="neighbour")
    advance("rejected", _local(18, 9, 35), "registered")
    advance("rejected", _local(18, 9, 40), "rejected")
    # Due at 14:00:10: at 14:00:30 not overdue yet (judged at the minute), at 14:01 it is.
    report("due_now", 3, _local(18, 9, 45), _local(18, 14, 0, 10))
    advance("due_now", _local(18, 9, 50), "registered")
    advance("due_now", _local(18, 9, 55), "dispatched")
    # Overdue since 11:00; another one extended at 12:00 to tomorrow.
    for name, n in (("late_open", 4), ("extended", 5)):
        report(name, n, _local(18, 9, 0), _local(18, 11))
        advance(name, _local(18, 9, 5), "registered")
        advance(name, _local(18, 9, 10), "dispatched")
    change(_local(18, 12), lambda s, at: cs.perform(s, ids["extended"], "extend", "test", at,
                                                     until=_local(19, 12)))
    # A return to registration (a case registered before today) is not a new 立案.
    advance(returned, _local(18, 10), "registered")
    advance(returned, _local(18, 10, 10), "dispatched")
    # Closed today, one followed up.
    for i, case_id in enumerate(to_close):
        at = _local(18, 11, i)
        with backend.sessions() as session:
            stage = session.get(Case, case_id).stage
        while stage != "closed":
            stage = FORWARD[stage]
            advance(case_id, at, stage, **({"resolved_level": ("grid", "county")[i % 2]}
                                           if stage == "closed" else {}))
            at += timedelta(seconds=5)
    change(_local(18, 11, 30), lambda s, at: cs.perform(s, to_close[0], "followup", "test", at,
                                                         satisfaction="basically"))
    change(_local(18, 13, 10), lambda s, at: cs.perform(s, ids["late_open"], "supervise",
                                                         "test", at, level=2))
    # Around the last hour before 14:00:30: 13:00:29 is out, 13:00:30 and 14:00:29 in.
    for name, n, at in (("hour_out", 6, _local(18, 13, 0, 29)),
                        ("hour_in", 7, _local(18, 13, 0, 30)),
                        ("hour_last", 8, _local(18, 14, 0, 29))):
        report(name, n, at, _local(19, 17), major="dispute", dispute="labour")
    ids["returned"] = returned
    return ids


@pytest.fixture(scope="module", params=backend_names())
def seeded(request, tmp_path_factory):
    with open_backend(request.param, tmp_path_factory.mktemp("drill-seed")) as backend:
        ensure_territory(backend.sessions, SEEDED, seed=7)
        seed_history(backend.sessions, backend.counters, SEEDED, days=3, seed=7, zone=ZONE,
                     now=SEEDED_AT)
        backend.live_ids = live_changes(backend)
        yield backend


def _township(backend) -> str:
    with backend.sessions() as session:
        return session.get(Case, backend.live_ids["rejected"]).township_code


@pytest.mark.parametrize("view", ["320300", SEEDED, "township"])
def test_each_linked_number_opens_its_cases_after_live_changes(seeded, view):
    unit = _township(seeded) if view == "township" else view
    with seeded.sessions() as session:
        assert check_view(session, seeded.counters, unit, LIVE_NOW) > 30


def test_stats_and_the_wall_agree_after_live_changes(seeded):
    with seeded.sessions() as session:
        check_stats(session, seeded.counters, SEEDED, LIVE_NOW)
        check_stats(session, seeded.counters, "320300", LIVE_NOW)


def test_what_the_live_changes_did_to_the_figures(seeded):
    """The comparisons above on the cases that test each rule."""
    ids, scope = seeded.live_ids, scope_for(SEEDED)
    hrefs = kpi_layout.hrefs_for(SEEDED, filter_href)

    def listed(key: str, name: str, now: datetime = LIVE_NOW) -> bool:
        query = dict(parse_qsl(hrefs[key].partition("?")[2]))
        wanted = CaseFilter.from_query(query)
        with seeded.sessions() as session:
            return session.scalar(select(func.count()).select_from(Case).where(
                cq.where_clause(wanted, now, ZONE), Case.id == ids[name])) == 1

    assert listed("reported", "rejected") and not listed("registered", "rejected")
    assert not listed("registered", "late") and not listed("reported", "late")
    assert not listed("registered", "returned")
    assert listed("registered", "due_now")
    assert [listed("reports_last_hour", n) for n in ("hour_out", "hour_in", "hour_last")] == \
        [False, True, True]
    assert listed("overdue", "late_open") and not listed("overdue", "extended")
    assert not listed("overdue", "due_now")
    assert listed("overdue", "due_now", LIVE_NOW + timedelta(seconds=30))
    with seeded.sessions() as session:
        now = kpis.db_figures(session, scope, LIVE_NOW, ZONE).overdue
        later = kpis.db_figures(session, scope, LIVE_NOW + timedelta(seconds=30), ZONE).overdue
        assert later == now + 1

    # A rejection is counted on its registration's day: "late" (registered yesterday 23:55,
    # rejected today 00:05) in yesterday's counts, the only ones there (the seed counts today
    # only); today's rejections are those of cases registered today.
    def counted(at: datetime) -> dict[str, int]:
        out = dict.fromkeys(("registered", "rejected"), 0)
        for row in seeded.counters.day_counts(seeded.counters.local_day(at)):
            if row.event in out:
                out[row.event] += row.count
        return out

    assert counted(LIVE_NOW - ind.DAY) == {"registered": 1, "rejected": 1}
    today = ind.today(LIVE_NOW, ZONE)
    with seeded.sessions() as session:
        rejected_today = session.scalar(select(func.count()).select_from(Case).where(
            Case.registered_at >= today.start, Case.rejected_at.is_not(None)))
    assert counted(LIVE_NOW)["rejected"] == rejected_today >= 1
