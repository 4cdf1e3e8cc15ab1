"""The duty queue: what needs the signed-in officer now, in their area (issue 9).

An open case of the area is in the queue when it is

- overdue (超期, long overdue included) or approaching its deadline (临期), by the deadline
  states of case_query (the working-time clock, judged at the minute);
- new and not acknowledged (未签收): reported in the last NEW_HOURS and nobody has 签收'd it;
- under a supervision order (督办) addressed to a unit inside the area: the order goes from
  the center to the unit answerable for the case (its township by default, or its county),
  and the officers whose area holds that unit see it. Orders recorded before addressees
  existed count as addressed to the case's township.

Urgency orders it: the longest overdue first (the earliest deadline after any extension,
which on the working-time clock is the longest overdue), then the nearest deadline, then
urgent before normal, then the newest report. Counts are per group (a case can be in several)
and of distinct cases.

Only open cases are read (the open-case partial index `ix_cases_open_deadline`), so the cost
follows the open cases of the area, never the history. `cached_queue` computes one answer per
area every BUCKET_SECONDS for every browser and worker (the shared cache, under a Redis lock).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from data_access import case_query
from data_access.accounts import region_prefix
from data_access.cache import CacheBackend, cached
from data_access.indicators import DUE, OPEN, minute_of
from data_access.models import Case
from data_access.timeutil import as_utc

GROUPS = ("overdue", "approaching", "unacknowledged", "supervised")
NEW_HOURS = 24
ROW_LIMIT = 50
BUCKET_SECONDS = 5


@dataclass(frozen=True)
class DutyQueue:
    area: str
    area_name: str
    now: datetime
    counts: dict[str, int]  # per group, and "total" distinct cases
    rows: list[dict]  # the ROW_LIMIT most urgent; plain values, UTC datetimes


def _prefix(area: str) -> str:
    return region_prefix(area) if len(area) == 6 else area


def addressed_within(area: str) -> ColumnElement[bool]:
    """The case's supervision order is addressed to a unit inside `area`."""
    addressee = func.coalesce(Case.supervision_addressee, Case.township_code)
    return and_(Case.supervision_level > 0, addressee.like(_prefix(area) + "%"))


def _groups(now: datetime, zone: ZoneInfo, area: str) -> dict[str, ColumnElement[bool]]:
    # The deadline states of case_query.state_expression as ranges of the deadline: overdue
    # (long overdue included) before the minute, approaching before the row's limit's cut.
    minute = minute_of(now)
    due_now = literal(minute, Case.deadline_at.type)
    new_since = literal(as_utc(now) - timedelta(hours=NEW_HOURS), Case.reported_at.type)
    return {
        "overdue": DUE < due_now,
        "approaching": and_(DUE >= due_now,
                            DUE < case_query.cut_expression(minute, zone, "approaching")),
        "unacknowledged": and_(Case.acknowledged_at.is_(None), Case.reported_at >= new_since),
        "supervised": addressed_within(area),
    }


def _where(groups: dict[str, ColumnElement[bool]], area: str) -> ColumnElement[bool]:
    return and_(OPEN, case_query.unit_condition(area), or_(*groups.values()))


def duty_queue(session: Session, area: str, now: datetime, zone: ZoneInfo,
               limit: int = ROW_LIMIT) -> DutyQueue:
    """The queue of `area` (a unit code: the region for a whole-region account)."""
    groups = _groups(now, zone, area)
    where = _where(groups, area)
    sums = [func.coalesce(func.sum(case((cond, 1), else_=0)), 0).label(name)
            for name, cond in groups.items()]
    counted = session.execute(select(*sums, func.count().label("total")).where(where)).one()
    flags = [case((cond, 1), else_=0).label(f"in_{name}") for name, cond in groups.items()]
    query = (select(*case_query.ROW_COLUMNS, Case.supervision_addressee, *flags)
             .where(where)
             # Spelled apart from the deadline index, which would walk the whole history's
             # deadlines in order: the area's open cases are few, sorting them is cheap.
             .order_by(case_query.UNINDEXED_DEADLINE.asc().nulls_last(),
                       case((Case.priority == "urgent", 0), else_=1), Case.reported_at.desc(),
                       Case.id.desc())
             .limit(limit))
    rows = []
    for row in session.execute(query):
        out = dict(row._mapping)
        out["groups"] = [name for name in GROUPS if out.pop(f"in_{name}")]
        # The state as the groups say it (long overdue is not told apart from overdue here:
        # a third cut-off expression per row for one shade of red).
        out["deadline_state"] = next((g for g in ("overdue", "approaching")
                                      if g in out["groups"]), "normal")
        for key in ("reported_at", "deadline_at", "extended_until", "acknowledged_at"):
            if out[key] is not None:
                out[key] = as_utc(out[key])
        out["overdue_for"] = case_query.overdue_for(out, now, zone)
        rows.append(out)
    names = case_query.unit_names(session, {area} | {r[k] for r in rows
                                                      for k in ("county_code", "township_code",
                                                                "grid_code")})
    for r in rows:
        for key in ("county", "township", "grid"):
            r[f"{key}_name"] = names.get(r[f"{key}_code"], r[f"{key}_code"])
    return DutyQueue(area, names.get(area, area), as_utc(now), {**counted._asdict()}, rows)


def cached_queue(cache: CacheBackend, lock, sessions: Callable[[], Session], area: str,
                 region: str, now: Callable[[], datetime], zone: ZoneInfo,
                 clock: Callable[[], float] = time.time) -> DutyQueue:
    """The area's queue as computed at most once per BUCKET_SECONDS (of `clock`, epoch
    seconds) for every browser and worker asking."""
    def compute() -> DutyQueue:
        with sessions() as session:
            return duty_queue(session, area, now(), zone)

    return cached(cache, "duty-queue", {"area": area}, BUCKET_SECONDS, compute, region=region,
                  lock=lock, clock=clock).value
