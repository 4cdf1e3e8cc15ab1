"""Headline indicators: today's counts (live, Redis), open/overdue now, the last hour and 30-day
rates (DB). What each one counts is defined in data_access/indicators.py."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access import indicators as ind
from data_access.counters import Counters
from data_access.models import Case
from data_access.timeutil import as_utc
from data_access.wall_scope import Scope

COUNTED = ("reported", "registered", "closed")
RATES = ("closure_rate", "on_time_rate", "satisfaction")
# The headline counts drawn by hour, today against yesterday, and the time column each
# counts by.
HOURLY = COUNTED
_SINCE = {"reported": Case.reported_at, "registered": Case.registered_at,
          "closed": Case.closed_at}


@dataclass(frozen=True)
class LiveCounts:
    """Today so far, from the Redis counters the write path bumps."""

    reported: int
    registered: int
    closed: int
    workers_online: int


@dataclass(frozen=True)
class DbFigures:
    in_progress: int
    overdue: int
    # Exact to the second, so counted in the database (a few hundred rows through the
    # (county, reported_at) index); Redis keeps reports per minute only.
    reports_last_hour: int
    # The same local time yesterday, for "change since yesterday". Workers online has none:
    # heartbeats live in Redis for minutes only, so yesterday's presence is not known.
    reported_yesterday: int
    registered_yesterday: int
    closed_yesterday: int
    in_progress_yesterday: int
    overdue_yesterday: int
    reports_last_hour_yesterday: int


@dataclass(frozen=True)
class Rates:
    """Over the last indicators.RATE_DAYS local days; None when nothing to divide by."""

    closure_rate: float | None
    on_time_rate: float | None
    satisfaction: float | None


def _signs() -> dict[str, list[tuple[str, int]]]:
    """Counter event -> the counts of today it adds to, with its sign."""
    signs: dict[str, list[tuple[str, int]]] = {}
    for key in COUNTED:
        for event, sign in ind.INDICATORS[key].counter_events:
            signs.setdefault(event, []).append((key, sign))
    return signs


def live_counts(counters: Counters, scope: Scope, now: datetime) -> LiveCounts:
    today = counters.local_day(now)
    if scope.township:
        counted = [(event, n) for (township, event), n in counters.township_counts(today).items()
                   if township == scope.township]
    else:
        counted = [(row.event, row.count) for row in counters.day_counts(today)
                   if row.county_code in scope.counties]
    totals = dict.fromkeys(COUNTED, 0)
    signs = _signs()
    for event, n in counted:
        for key, sign in signs.get(event, ()):
            totals[key] += sign * n
    online = sum(n for grid, n in counters.online_workers(now).items() if scope.covers(grid))
    return LiveCounts(totals["reported"], totals["registered"], totals["closed"], online)


def db_figures(session: Session, scope: Scope, now: datetime, zone: ZoneInfo) -> DbFigures:
    where = scope.case_filter()
    then = now - ind.DAY
    # Open now (the partial index on open cases), overdue now and at this time yesterday;
    # with today's extension: one granted since yesterday makes a case that was overdue
    # then count as in time (the extension's date is in the transitions, not worth a join).
    was_overdue = ind.DUE < ind.minute_of(then)
    in_progress, overdue = session.execute(
        select(func.count(), func.count().filter(ind.overdue_at(now)))
        .where(ind.OPEN, where)).one()
    open_then = overdue_then = 0
    for part in ind.open_at_parts(then):  # open yesterday: still open, closed or rejected since
        n, late = session.execute(select(func.count(), func.count().filter(was_overdue))
                                  .where(part, where)).one()
        open_then, overdue_then = open_then + n, overdue_then + late
    yesterday = ind.today(then, zone)
    hour, hour_then = ind.last_hour(now), ind.last_hour(then)
    # One pass over yesterday's and today's reports (ix_cases_county_reported).
    reported_then, last_hour, last_hour_then = session.execute(
        select(*(func.count().filter(ind.reported_in(w)) for w in (yesterday, hour, hour_then)))
        .where(ind.reported_in(ind.Window(min(yesterday.start, hour_then.start), hour.end)),
               where)
    ).one()
    return DbFigures(
        in_progress, overdue, last_hour, reported_then,
        ind.count(session, "registered", yesterday, where),
        ind.count(session, "closed", yesterday, where),
        open_then, overdue_then, last_hour_then)


def rates(session: Session, scope: Scope, now: datetime, zone: ZoneInfo) -> Rates:
    found = ind.ratios(session, RATES, ind.last_days(ind.RATE_DAYS, now, zone),
                       scope.case_filter())
    return Rates(**{key: ratio.value for key, ratio in found.items()})



@dataclass(frozen=True)
class Hourly:
    """Per local hour, what each of HOURLY counts: today's hours up to the current one
    (that one so far) and yesterday's 24."""

    today: dict[str, list[int]]
    yesterday: dict[str, list[int]]


def _hour_windows(now: datetime, zone: ZoneInfo) -> tuple[list[ind.Window], list[ind.Window]]:
    local = now.astimezone(zone)
    day = local.date()

    def at(d, hour: int) -> datetime:
        return (datetime.combine(d, time(0), tzinfo=zone) + timedelta(hours=hour)).astimezone(UTC)

    yesterday = day - timedelta(days=1)
    past = [ind.Window(at(yesterday, h), at(yesterday, h + 1)) for h in range(24)]
    today = [ind.Window(at(day, h), min(at(day, h + 1), as_utc(now)))
             for h in range(local.hour + 1)]
    return today, past


def hourly(session: Session, scope: Scope, now: datetime, zone: ZoneInfo) -> Hourly:
    """Off the request path (the refresher, once a minute): one statement per indicator, each
    hour a filtered count over yesterday's and today's cases in the view (the indexes on the
    indicator's time column), counted as data_access/indicators.py defines it."""
    today, past = _hour_windows(now, zone)
    counts_today, counts_past = {}, {}
    for key in HOURLY:
        cases = ind.INDICATORS[key].cases
        # Every case an hour can count has its time column since yesterday's midnight.
        found = session.execute(
            select(*(func.count().filter(cases(w)) for w in (*past, *today)))
            .where(_SINCE[key] >= past[0].start, scope.case_filter())).one()
        counts_past[key] = [int(n) for n in found[:len(past)]]
        counts_today[key] = [int(n) for n in found[len(past):]]
    return Hourly(counts_today, counts_past)
