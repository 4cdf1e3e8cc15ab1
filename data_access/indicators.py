"""The indicators (指标), each defined once: its name and its DOMAIN.md formula (zh and en, for
showing the formula on demand), the cases it counts as SQL over the `cases` table, and for
today's counts that the wall reads live from Redis, the counter events that count the same
cases. Read by the wall's headline tiles (kpis.py), `govwall stats` (stats.py), the /ops
filters the wall's numbers link to (case_query.py) and, later, leaders' reports.

What the formulas leave open is decided here, once:

- 不予受理 (rejected) is not 立案. The center rejects a report at registration instead of
  accepting it as a case, so a rejected case is in no registered count and in the
  denominator of no rate: a closure rate over cases that can never close could not reach
  the 100 % real centers report. The write path enters the `registered` stage before it
  rejects, so a rejection takes back a registration: the counters count it as a minus on
  the registration's day (case_store._append, counter_sync.events_for_day), and today's
  立案 falls by one when a case registered today is rejected.
- 立案 is the first registration. A return to registration (退回) is not a new one: the
  case keeps its first registered_at, and the counters count only the stage change
  reported → registered, never a return.
- Windows are half-open, [start, end), in UTC, and a figure over a window stands as of its
  end. "Today" runs from local midnight to now, "N days" from local midnight N − 1 days ago
  to now, the last hour is exactly the 60 minutes before now; the same time yesterday is
  the same window computed for now − 1 day.
- A rate over a period is over the cases reported in it (read through the (county,
  reported_at) index; registration follows a report within minutes): the 30-day closure
  rate is, of the cases reported in the last 30 days and registered, the share closed by
  now. 按期办结率 is over the cases due in the period: their deadline, after any extension,
  fell in it.
- Overdue is judged at the current minute, as the /ops deadline states are (case_query works
  their cut-off instants out once a minute), so that the figure and its cases agree.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, or_, select, text, true
from sqlalchemy.orm import Session

from data_access import sla
from data_access import vocabulary as v
from data_access.models import Case, CaseTransition
from data_access.timeutil import as_utc

# Spelled as in the partial index ix_cases_open_deadline (literal values, not parameters),
# so that PostgreSQL can prove the index applies.
OPEN: ColumnElement[bool] = text(
    "cases.stage NOT IN (" + ", ".join(f"'{s}'" for s in v.TERMINAL_STAGES) + ")")
# The stages of a case that was registered (立案) and not rejected.
ACCEPTED_STAGES = tuple(s for s in v.STAGES if s != "reported")
# The deadline after any extension (the expression of the index ix_cases_effective_deadline).
DUE = func.coalesce(Case.extended_until, Case.deadline_at)
SATISFIED = ("satisfied", "basically")
RATE_DAYS = 30
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


# -- windows ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Window:
    """[start, end) in UTC; None leaves that side open."""

    start: datetime | None
    end: datetime | None


def local_midnight(now: datetime, zone: ZoneInfo, days_back: int = 0) -> datetime:
    """The UTC instant of local midnight, `days_back` local days before `now`'s."""
    day = as_utc(now).astimezone(zone).date() - timedelta(days=days_back)
    return datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC)


def last_days(days: int, now: datetime, zone: ZoneInfo) -> Window:
    """From local midnight `days` − 1 days ago to now ("today" is one day)."""
    return Window(local_midnight(now, zone, days - 1), as_utc(now))


def today(now: datetime, zone: ZoneInfo) -> Window:
    return last_days(1, now, zone)


def last_hour(now: datetime) -> Window:
    return Window(as_utc(now) - HOUR, as_utc(now))


def minute_of(now: datetime) -> datetime:
    """`now` to the minute, in UTC: the instant deadline states are judged at."""
    return as_utc(now).replace(second=0, microsecond=0)


def _within(column: ColumnElement, w: Window) -> ColumnElement[bool]:
    return and_(true(), *([column >= w.start] if w.start is not None else []),
                *([column < w.end] if w.end is not None else []))


# -- the cases each indicator counts ---------------------------------------------------------

def reported_in(w: Window) -> ColumnElement[bool]:
    return _within(Case.reported_at, w)


def registered_in(w: Window) -> ColumnElement[bool]:
    """First registered in the window (registered_at is set by the stage change reported →
    registered, and a return leaves it as it was) and not rejected by the window's end."""
    kept = Case.rejected_at.is_(None) if w.end is None else \
        or_(Case.rejected_at.is_(None), Case.rejected_at >= w.end)
    return and_(Case.registered_at.is_not(None), _within(Case.registered_at, w), kept)


def closed_in(w: Window) -> ColumnElement[bool]:
    return and_(Case.closed_at.is_not(None), _within(Case.closed_at, w))


def due_in(w: Window) -> ColumnElement[bool]:
    return and_(DUE.is_not(None), _within(DUE, w))


def overdue_at(now: datetime) -> ColumnElement[bool]:
    """Open and past its deadline at the current minute: the /ops states overdue and long
    overdue."""
    return and_(OPEN, DUE < minute_of(now))


def open_at_parts(at: datetime) -> tuple[ColumnElement[bool], ...]:
    """The cases open at a past instant `at`, as three disjoint parts that indexes find: open
    now, closed since, rejected since (their transitions). Count each and add."""
    at = as_utc(at)
    before = Case.reported_at < at
    rejected_since = select(CaseTransition.case_id).where(
        CaseTransition.at >= at, CaseTransition.kind == v.STAGE_CHANGE,
        CaseTransition.to_stage == "rejected")
    return (and_(OPEN, before), and_(Case.closed_at >= at, before),
            and_(Case.id.in_(rejected_since), before))


# -- the indicators --------------------------------------------------------------------------

@dataclass(frozen=True)
class Indicator:
    """`cases(window)`: the cases a count counts, or the cases a rate is over (its
    denominator), as of the window's end; the /ops drill-down opens exactly these.
    `counter_events`: for today's count read from Redis, each counted event and the sign it
    adds. A rate's cases are those of its `cohort` (reported or due in the window) `among`
    which it counts, and its numerator sums `part` over them; rates of one cohort are counted
    in one pass (ratios)."""

    key: str
    name_zh: str
    name_en: str
    formula_zh: str
    formula_en: str
    cases: Callable[[Window], ColumnElement[bool]] | None = None
    counter_events: tuple[tuple[str, int], ...] = ()
    cohort: Callable[[Window], ColumnElement[bool]] | None = None
    among: ColumnElement[bool] | None = None
    part: ColumnElement[int] | None = None


def _rate(key: str, name_zh: str, name_en: str, formula_zh: str, formula_en: str,
          cohort: Callable[[Window], ColumnElement[bool]], among: ColumnElement[bool],
          part: ColumnElement[int]) -> Indicator:
    return Indicator(key, name_zh, name_en, formula_zh, formula_en,
                     lambda w: and_(cohort(w), among), cohort=cohort, among=among, part=part)


def _one_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


CLOSED = Case.stage == "closed"
INDICATORS: dict[str, Indicator] = {i.key: i for i in (
    Indicator("reported", "上报数", "Reported",
              "时段内上报的事件数", "cases reported in the period",
              reported_in, counter_events=(("reported", 1),)),
    Indicator("registered", "立案数", "Registered",
              "时段内首次立案且未不予受理的事件数（退回重派不是新立案）",
              "cases first registered in the period and not rejected (a return to "
              "registration is not a new one)",
              registered_in, counter_events=(("registered", 1), ("rejected", -1))),
    Indicator("closed", "办结数", "Closed",
              "时段内结案的事件数", "cases closed in the period",
              closed_in, counter_events=(("closed", 1),)),
    Indicator("in_progress", "在办数", "In progress",
              "当前未结案且未不予受理的事件数", "cases open now (neither closed nor rejected)",
              lambda _w: OPEN),
    Indicator("overdue", "超期数", "Overdue",
              "当前（按分钟）已过办理时限（含延期）仍未办结的事件数",
              "open cases past their deadline (after any extension), now to the minute",
              lambda w: overdue_at(w.end)),
    Indicator("reports_last_hour", "近1小时上报", "Reports, last hour",
              "最近60分钟内上报的事件数", "cases reported in the 60 minutes before now",
              reported_in),
    _rate("closure_rate", "办结率", "Closure rate",
          "办结率 = 已办结 ÷ 已立案（时段内上报的事件；不予受理不计）",
          "closure rate = closed ÷ registered (cases reported in the period; rejected ones "
          "left out)",
          reported_in, Case.stage.in_(ACCEPTED_STAGES), _one_if(CLOSED)),
    _rate("on_time_rate", "按期办结率", "On-time rate",
          "按期办结率 = 按期办结数 ÷ 时段内到期的事件数（办理时限含延期；不予受理不计）",
          "on-time rate = closed by the deadline ÷ cases due in the period (deadline after "
          "any extension; rejected ones left out)",
          due_in, Case.stage.in_(ACCEPTED_STAGES),
          _one_if(and_(Case.closed_at.is_not(None), Case.closed_at <= DUE))),
    _rate("satisfaction", "满意率", "Satisfaction",
          "满意率 = (满意 + 基本满意) ÷ 回访有效答复数（时段内上报的事件）",
          "satisfaction = (satisfied + basically satisfied) ÷ follow-ups answered (cases "
          "reported in the period)",
          reported_in, Case.satisfaction.in_(v.SATISFACTION),
          _one_if(Case.satisfaction.in_(SATISFIED))),
    _rate("rework_rate", "返工率", "Rework rate",
          "返工率 = 核查不通过返工次数 ÷ 办结数（时段内上报的事件）",
          "rework rate = sent back at verification ÷ closed (cases reported in the period)",
          reported_in, CLOSED, Case.rework_count),
    _rate("resolved_at_or_below_township", "在镇村化解率", "Resolved at or below township",
          "在镇村化解率 = 在乡镇、村、网格化解数 ÷ 化解数（时段内上报并办结的事件）",
          "resolved at or below township = resolved at township, village or grid ÷ "
          "resolved (cases reported in the period and closed)",
          reported_in, and_(CLOSED, Case.resolved_level.is_not(None)),
          _one_if(Case.resolved_level.in_(v.AT_OR_BELOW_TOWNSHIP))),
    Indicator("workers_online", "在线网格员", "Grid workers online",
              "5分钟内有心跳的网格员数（不是事件数）",
              "grid workers with a heartbeat in the last 5 minutes (not cases)"),
    # Leaders' period indicators (data_access/reports): summed from township_daily, whose
    # per-case measures are `case_measures` below; `cases` is what each one is over.
    Indicator("ack_in_time_rate", "及时签收率", "Prompt acknowledgement",
              "及时签收率 = 派遣后1个工作小时内签收数 ÷ 已派遣数（时段内上报的事件；不予受理不计）",
              "prompt acknowledgement = acknowledged within 1 working hour of dispatch ÷ "
              "dispatched (cases reported in the period; rejected ones left out)",
              lambda w: and_(reported_in(w), Case.stage.in_(ACCEPTED_STAGES),
                             Case.dispatched_at.is_not(None))),
    Indicator("overdue_in_period", "超期办结及超期未结数", "Overdue (period)",
              "时段内到期、未在时限（含延期）内办结的事件数：超期办结 + 至今仍超期未结",
              "cases due in the period not closed by their deadline (after any extension): "
              "closed late, or still open past it now",
              lambda w: and_(due_in(w), Case.stage.in_(ACCEPTED_STAGES),
                             or_(Case.closed_at.is_(None), Case.closed_at > DUE))),
    Indicator("overdue_days", "超期天数", "Overdue days",
              "上述超期事件超过时限的工作时间之和 ÷ 7小时（办结的至办结，未结的至今）",
              "working time past the deadline of those cases, summed, ÷ 7 hours (to closure, "
              "or to now if open)",
              lambda w: INDICATORS["overdue_in_period"].cases(w)),
    Indicator("handling_hours", "平均办理时长", "Average handling time",
              "平均办理时长 = Σ(立案至办结的工作小时) ÷ 时段内办结数",
              "average handling time = Σ working hours from registration to closure ÷ cases "
              "closed in the period",
              closed_in),
    Indicator("supervisions", "督办数", "Supervision orders",
              "时段内下达的督办单数（同一事件的每次督办各计一次）",
              "supervision orders given in the period (each order of a case counts)",
              lambda w: Case.id.in_(select(CaseTransition.case_id).where(
                  CaseTransition.kind == "supervision", _within(CaseTransition.at, w)))),
)}


@dataclass(frozen=True)
class Ratio:
    part: int
    whole: int

    @property
    def value(self) -> float | None:
        return self.part / self.whole if self.whole else None


def count(session: Session, key: str, w: Window, where: ColumnElement[bool]) -> int:
    """How many cases the indicator `key` counts over `w`, among those `where` selects."""
    cases = INDICATORS[key].cases
    return session.scalar(select(func.count()).select_from(Case).where(cases(w), where))


def ratios(session: Session, keys: tuple[str, ...], w: Window,
           where: ColumnElement[bool]) -> dict[str, Ratio]:
    """The rates `keys` over `w`, among the cases `where` selects: one query per cohort."""
    by_cohort: dict[Callable, list[Indicator]] = {}
    for key in keys:
        by_cohort.setdefault(INDICATORS[key].cohort, []).append(INDICATORS[key])
    out: dict[str, Ratio] = {}
    for cohort, rates in by_cohort.items():
        row = session.execute(select(*(
            column for r in rates for column in (
                func.coalesce(func.sum(r.part).filter(r.among), 0), func.count().filter(r.among))
        )).select_from(Case).where(cohort(w), where)).one()
        out.update((r.key, Ratio(int(row[2 * i]), int(row[2 * i + 1])))
                   for i, r in enumerate(rates))
    return out


# -- the per-case measures the period indicators sum -----------------------------------------

ACK_LIMIT = sla.TimeLimit(working_hours=1)
MINUTE = timedelta(minutes=1)


def _working_minutes(a: datetime, b: datetime, cal: sla.WorkCalendar, zone: ZoneInfo) -> int:
    return sla.working_time_between(as_utc(a), as_utc(b), cal, zone) // MINUTE


def case_measures(c: Mapping[str, Any], zone: ZoneInfo,
                  cal: sla.WorkCalendar = sla.DEFAULT_CALENDAR) -> list[tuple[date, str, int]]:
    """What one case adds to the period indicators, as (local day, measure, amount): the
    same rules as the SQL above, as of now, on the day each one counts (report, registration,
    closure, deadline). township_daily sums them; supervision orders, which are transitions,
    are counted there apart."""
    def day(t: datetime) -> date:
        return as_utc(t).astimezone(zone).date()

    reported = day(c["reported_at"])
    out = [(reported, "reported", 1)]
    if c["registered_at"] is not None and c["rejected_at"] is None:
        out.append((day(c["registered_at"]), "registered", 1))
    if c["closed_at"] is not None:
        start = c["registered_at"] or c["reported_at"]
        out += [(day(c["closed_at"]), "closed", 1),
                (day(c["closed_at"]), "handling_minutes",
                 _working_minutes(start, c["closed_at"], cal, zone))]
    if c["satisfaction"] in v.SATISFACTION:
        out.append((reported, "answered", 1))
        if c["satisfaction"] in SATISFIED:
            out.append((reported, "satisfied", 1))
    if c["stage"] not in ACCEPTED_STAGES:
        return out
    out.append((reported, "accepted", 1))
    if c["stage"] == "closed":
        out += [(reported, "closed_of_reported", 1), (reported, "rework", c["rework_count"])]
        if c["resolved_level"] is not None:
            out.append((reported, "resolved", 1))
            if c["resolved_level"] in v.AT_OR_BELOW_TOWNSHIP:
                out.append((reported, "resolved_low", 1))
    if c["dispatched_at"] is not None:
        out.append((reported, "dispatched", 1))
        if c["acknowledged_at"] is not None and as_utc(c["acknowledged_at"]) <= \
                sla.add_working_time(as_utc(c["dispatched_at"]), ACK_LIMIT, cal, zone):
            out.append((reported, "ack_in_time", 1))
    due = c["extended_until"] or c["deadline_at"]
    if due is not None:
        out.append((day(due), "due", 1))
        if c["closed_at"] is not None and as_utc(c["closed_at"]) <= as_utc(due):
            out.append((day(due), "on_time", 1))
        elif c["closed_at"] is not None:
            out += [(day(due), "late_closed", 1),
                    (day(due), "late_minutes", _working_minutes(due, c["closed_at"], cal, zone))]
    return out


MEASURE_COLUMNS = ("reported_at", "registered_at", "rejected_at", "closed_at", "dispatched_at",
                   "acknowledged_at", "deadline_at", "extended_until", "stage", "satisfaction",
                   "rework_count", "resolved_level")
