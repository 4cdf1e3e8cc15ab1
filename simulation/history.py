"""Generating history in bulk: a span of days of cases and their transitions as column
arrays, vectorized with numpy (one Generator, so a seed gives the same history)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from data_access import vocabulary as v
from data_access.timeutil import local_day_bounds
from simulation import catalog, lifecycle
from simulation.lifecycle import as_span
from simulation.rhythm import HOT_SPOT_EXTRA, HOURLY_SHARE, HotSpot, expected_reports
from simulation.territory import GridTable

NAT = np.datetime64("NaT", "us")
CENTER = "指挥中心"
FOLLOWUP_DESK = "回访专席"


def _utc64(at: datetime) -> np.datetime64:
    return np.datetime64(int(at.timestamp() * 1_000_000), "us")


def _subclass_mix(major: str, month: int) -> catalog.Mix:
    codes, weights = catalog.SUBCLASS[major]
    seasonal = np.array([catalog.SEASONAL_SUBCLASS.get(c, {}).get(month, 1.0) for c in codes])
    adjusted = weights * seasonal
    return codes, adjusted / adjusted.sum()


@dataclass
class Reports:
    """New reports' attributes, one array per case column."""

    columns: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.columns["reported_at"])


def report_times(rng: np.random.Generator, days: list[date], grid_count: int,
                 zone: ZoneInfo) -> np.ndarray:
    """Report instants (UTC datetime64) over local `days`, Poisson per day, by the daily
    curve."""
    parts = []
    for day in days:
        n = int(rng.poisson(expected_reports(day, grid_count)))
        start = _utc64(local_day_bounds(day, zone)[0])
        hours = rng.choice(24, size=n, p=HOURLY_SHARE) + rng.random(n)
        parts.append(start + as_span(hours))
    return np.concatenate(parts) if parts else np.zeros(0, "datetime64[us]")


def hot_spot_reports(rng: np.random.Generator, spots: list[HotSpot], days: list[date],
                     grids: GridTable, zone: ZoneInfo) -> tuple[np.ndarray, np.ndarray,
                                                                 np.ndarray, np.ndarray]:
    """Extra reports of the hot spots on `days`: (times, grid indexes, majors, subclasses)."""
    times, grid_idx, majors, subs = [], [], [], []
    for spot in spots:
        in_township = np.flatnonzero(grids.township == spot.township_code)
        share = len(in_township) / max(len(grids), 1)
        for day in days:
            if not spot.first_day <= day <= spot.last_day:
                continue
            n = int(rng.poisson(HOT_SPOT_EXTRA * share * expected_reports(day, len(grids))))
            start = _utc64(local_day_bounds(day, zone)[0])
            times.append(start + as_span(rng.choice(24, size=n, p=HOURLY_SHARE) + rng.random(n)))
            grid_idx.append(in_township[rng.integers(0, len(in_township), n)])
            majors.append(np.full(n, spot.major_class, dtype=object))
            subs.append(np.full(n, spot.subclass, dtype=object))
    if not times:
        return (np.zeros(0, "datetime64[us]"), np.zeros(0, int), np.zeros(0, object),
                np.zeros(0, object))
    return (np.concatenate(times), np.concatenate(grid_idx), np.concatenate(majors),
            np.concatenate(subs))


def draw_reports(rng: np.random.Generator, times: np.ndarray, grids: GridTable,
                 grid_idx: np.ndarray | None = None, majors: np.ndarray | None = None,
                 subclasses: np.ndarray | None = None) -> Reports:
    """What was reported at `times`: place, class, source, text, reporter. Grid, major
    class and subclass may be given (hot spots); the rest is drawn from the catalog."""
    n = len(times)
    if grid_idx is None:
        grid_idx = rng.choice(len(grids), size=n, p=grids.weights)
    if majors is None:
        major_codes = np.array(catalog.MAJOR_CLASS[0], dtype=object)
        majors = major_codes[catalog.pick(rng, catalog.MAJOR_CLASS, n)]
    months = pd.DatetimeIndex(times).month.to_numpy() if n else np.zeros(0, int)
    subs = np.empty(n, dtype=object) if subclasses is None else subclasses.copy()
    sources = np.empty(n, dtype=object)
    for major in catalog.MAJOR_CLASS[0]:
        in_major = majors == major
        src_codes = np.array(catalog.SOURCE_BY_CLASS[major][0], dtype=object)
        sources[in_major] = src_codes[catalog.pick(rng, catalog.SOURCE_BY_CLASS[major],
                                                   int(in_major.sum()))]
        if subclasses is None:
            for month in np.unique(months[in_major]):
                mask = in_major & (months == month)
                m = _subclass_mix(major, int(month))
                subs[mask] = np.array(m[0], dtype=object)[catalog.pick(rng, m, int(mask.sum()))]
    is_dispute = majors == "dispute"
    dispute_type = np.full(n, None, dtype=object)
    mediation_type = np.full(n, None, dtype=object)
    k = int(is_dispute.sum())
    dispute_type[is_dispute] = np.array(catalog.DISPUTE_TYPE[0], dtype=object)[
        catalog.pick(rng, catalog.DISPUTE_TYPE, k)]
    mediation_type[is_dispute] = np.array(catalog.MEDIATION_TYPE[0], dtype=object)[
        catalog.pick(rng, catalog.MEDIATION_TYPE, k)]

    titles, descriptions, address = catalog.case_texts(
        rng, np.where(is_dispute, dispute_type, subs), majors, sources,
        grids.place[grid_idx], grids.village[grid_idx])
    anonymous = np.isin(sources, ("video_iot", "department"))
    names = catalog.person_names(rng, n)
    phones = catalog.phone_numbers(rng, n)
    units = np.empty(n, dtype=object)
    for major, options in catalog.RESPONSIBLE_UNITS.items():
        mask = majors == major
        units[mask] = np.array(options, dtype=object)[rng.integers(0, len(options), mask.sum())]
    return Reports({
        "source": sources, "major_class": majors, "subclass": subs,
        "dispute_type": dispute_type, "mediation_type": mediation_type,
        "priority": np.where(rng.random(n) < catalog.URGENT_SHARE, "urgent", "normal")
        .astype(object),
        "title": titles, "description": descriptions,
        "reporter_name": np.where(anonymous, None, names),
        "reporter_phone": np.where(anonymous, None, phones),
        "address": address, "grid_code": grids.codes[grid_idx],
        "township_code": grids.township[grid_idx],
        "county_code": np.array([c[:6] for c in grids.codes[grid_idx]], dtype=object),
        "lon": grids.lon[grid_idx] + rng.normal(0, 0.002, n),
        "lat": grids.lat[grid_idx] + rng.normal(0, 0.002, n),
        "responsible_unit": units, "handler": catalog.person_names(rng, n),
        "reported_at": times,
    })


def _later(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise max of two datetime64 arrays, NaT-aware."""
    return np.where(np.isnat(a), b, np.where(np.isnat(b), a, np.maximum(a, b)))


def _when(mask: np.ndarray, times: np.ndarray) -> np.ndarray:
    return np.where(mask, times, NAT)


def build_history(rng: np.random.Generator, reports: Reports, now: datetime, zone: ZoneInfo,
                  first_case_id: int, first_transition_id: int
                  ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Give each report its whole life (stage times and side events), cut at `now`; returns
    (case columns, transition columns) with explicit ids."""
    c = dict(reports.columns)
    n = len(reports)
    now64 = _utc64(now)
    urgent = c["priority"] == "urgent"

    def office(at: np.ndarray, step: str) -> np.ndarray:
        return lifecycle.in_office_hours(rng, at, step, urgent, zone)

    ids = np.arange(first_case_id, first_case_id + n, dtype=np.int64)
    reported = c["reported_at"]
    deadline = lifecycle.deadlines(reported, c["major_class"], c["subclass"], c["priority"],
                                   c["source"], zone)

    registered = reported + as_span(lifecycle.step_hours(rng, "registered", urgent))
    rejected = rng.random(n) < catalog.REJECTED_SHARE
    rejected_at = _when(rejected, registered + as_span(lifecycle.step_hours(
        rng, "dispatched", urgent)))
    live = ~rejected
    first_dispatch = _when(live, registered + as_span(lifecycle.step_hours(
        rng, "dispatched", urgent)))
    returned = live & (rng.random(n) < catalog.RETURN_SHARE)
    return_at = _when(returned, first_dispatch + as_span(lifecycle.step_hours(
        rng, "return", urgent)))
    dispatched = np.where(returned, return_at + as_span(lifecycle.step_hours(
        rng, "dispatched", urgent)), first_dispatch)
    # Signed for after the first dispatch (a return does not undo it); the unit starts
    # handling only once it has signed for the case.
    acknowledged = office(first_dispatch + as_span(lifecycle.step_hours(
        rng, "acknowledged", urgent)), "acknowledged")
    handling = _later(dispatched + as_span(lifecycle.step_hours(rng, "handling", urgent)),
                      acknowledged)
    work = lifecycle.handling_hours(rng, c["major_class"], c["subclass"], urgent)
    first_handled = office(handling + as_span(work), "handled")
    reworked = live & (rng.random(n) < catalog.REWORK_SHARE)
    rework_at = _when(reworked, first_handled + as_span(lifecycle.step_hours(
        rng, "verified", urgent)))
    handled = np.where(reworked, office(rework_at + as_span(0.5 * work), "handled"),
                       first_handled)
    verified = office(handled + as_span(lifecycle.step_hours(rng, "verified", urgent)),
                      "verified")
    closed = office(verified + as_span(lifecycle.step_hours(rng, "closed", urgent)), "closed")

    level_codes = np.array(v.RESOLUTION_LEVELS, dtype=object)
    resolved_level = np.empty(n, dtype=object)
    outcome = np.full(n, None, dtype=object)
    for major in catalog.MAJOR_CLASS[0]:
        mask = c["major_class"] == major
        m = catalog.RESOLUTION_BY_CLASS[major]
        resolved_level[mask] = level_codes[catalog.pick(rng, m, int(mask.sum()))]
    is_dispute = c["major_class"] == "dispute"
    outcome[is_dispute] = np.array(catalog.MEDIATION_OUTCOME[0], dtype=object)[
        catalog.pick(rng, catalog.MEDIATION_OUTCOME, int(is_dispute.sum()))]

    above_township = np.isin(resolved_level, ("county", "city"))
    escalated = live & above_township & (rng.random(n) < catalog.ESCALATION_SHARE_ABOVE_TOWNSHIP)
    escalation_at = _when(escalated, handling + as_span(0.2 * work))
    extended = live & (rng.random(n) < catalog.EXTENSION_SHARE)
    extension_at = _when(extended, handling + as_span(0.3 * work))
    limit = deadline - reported
    extended_until = _when(extended, deadline + limit // 2)
    effective_deadline = np.where(extended, extended_until, deadline)
    # Supervision orders follow overdue cases: level 1 soon after the deadline passes,
    # level 2 three days later if still not handled; plus a few ordered at random.
    late = live & (handled > effective_deadline)
    supervision1_at = _when(late, effective_deadline + as_span(0.5 + 3.5 * rng.random(n)))
    supervision1_at = np.where(
        ~late & live & (rng.random(n) < catalog.RANDOM_SUPERVISION_SHARE),
        handling + as_span(0.5 * work), supervision1_at)
    very_late = late & (handled > effective_deadline + np.timedelta64(3, "D"))
    supervision2_at = _when(very_late, effective_deadline + np.timedelta64(3, "D"))

    citizen = np.isin(c["source"], catalog.CITIZEN_SOURCES)
    followup_share = np.where(citizen, catalog.FOLLOWUP_SHARE_CITIZEN,
                              catalog.FOLLOWUP_SHARE_PATROL)
    followed = live & (rng.random(n) < followup_share)
    followup_at = _when(followed, office(
        closed + as_span(lifecycle.step_hours(rng, "followup", urgent)), "followup"))
    satisfaction = np.array(catalog.SATISFACTION[0], dtype=object)[
        catalog.pick(rng, catalog.SATISFACTION, n)]

    def cut(times: np.ndarray) -> np.ndarray:
        return np.where(times <= now64, times, NAT)

    registered, rejected_at, first_dispatch, return_at = map(
        cut, (registered, rejected_at, first_dispatch, return_at))
    dispatched, handling, first_handled, rework_at, acknowledged = map(
        cut, (dispatched, handling, first_handled, rework_at, acknowledged))
    handled, verified, closed, followup_at = map(cut, (handled, verified, closed, followup_at))
    escalation_at, extension_at, supervision1_at, supervision2_at = map(
        cut, (escalation_at, extension_at, supervision1_at, supervision2_at))
    # A side event on a case already closed would break the rules; orders come before.
    supervision1_at = np.where(supervision1_at > _later(closed, NAT), NAT, supervision1_at)
    supervision2_at = np.where(supervision2_at > _later(closed, NAT), NAT, supervision2_at)

    steps: tuple[Step, ...] = (
        # kind, from, to, times, level, actor; each case's steps in the order they happen
        ("stage", None, "reported", reported, None, c["source"]),
        ("stage", "reported", "registered", registered, None, CENTER),
        ("stage", "registered", "rejected", rejected_at, None, CENTER),
        ("stage", "registered", "dispatched", first_dispatch, None, CENTER),
        ("return", "dispatched", "registered", return_at, None, c["responsible_unit"]),
        ("stage", "registered", "dispatched", _when(~np.isnat(return_at), dispatched), None,
         CENTER),
        ("acknowledgement", None, None, acknowledged, None, c["responsible_unit"]),
        ("stage", "dispatched", "handling", handling, None, c["responsible_unit"]),
        ("stage", "handling", "handled", first_handled, None, c["responsible_unit"]),
        ("rework", "handled", "handling", rework_at, None, CENTER),
        ("stage", "handling", "handled", _when(~np.isnat(rework_at), handled), None,
         c["responsible_unit"]),
        ("stage", "handled", "verified", verified, None, CENTER),
        ("stage", "verified", "closed", closed, None, CENTER),
        ("escalation", None, None, escalation_at, None, c["responsible_unit"]),
        ("extension", None, None, extension_at, None, c["responsible_unit"]),
        ("supervision", None, None, supervision1_at, 1, CENTER),
        ("supervision", None, None, supervision2_at, 2, CENTER),
        ("followup", None, None, followup_at, None, FOLLOWUP_DESK),
    )
    # The case row is read off its transitions, as the write path would have left it: a
    # step cut by `now` (a rework or a return not yet happened) must not show in either.
    stage, entered = _stage_of(steps, n)
    is_closed = stage == "closed"
    outcome = np.where(is_closed, outcome,
                       np.where(is_dispute & ~np.isnat(handling), "in_progress", None))
    supervision_level = np.where(~np.isnat(supervision2_at), 2,
                                 np.where(~np.isnat(supervision1_at), 1, 0))
    updated = reported
    for step in steps:
        updated = _later(updated, step[3])

    external = np.char.add("H", ids.astype(str)).astype(object)
    cases = {
        "id": ids, "external_id": external,
        **{k: c[k] for k in ("source", "major_class", "subclass", "dispute_type",
                             "mediation_type")},
        "mediation_outcome": outcome,
        **{k: c[k] for k in ("priority", "title", "description", "reporter_name",
                             "reporter_phone", "address", "grid_code", "township_code",
                             "county_code", "lon", "lat")},
        "stage": stage,
        "responsible_unit": np.where(np.isnat(entered["dispatched"]), None,
                                     c["responsible_unit"]),
        "handler": np.where(np.isnat(handling), None, c["handler"]),
        "resolved_level": np.where(is_closed, resolved_level, None),
        "reported_at": reported,
        **{f"{name}_at": entered[name] for name in STAGE_TIMESTAMPS},
        "deadline_at": deadline,
        "extended_until": _when(~np.isnat(extension_at), extended_until),
        "rework_count": (~np.isnat(rework_at)).astype(np.int64),
        "supervision_level": supervision_level.astype(np.int64),
        "acknowledged_at": acknowledged,
        "acknowledged_by": np.where(np.isnat(acknowledged), None, c["responsible_unit"]),
        "satisfaction": np.where(np.isnat(followup_at), None, satisfaction),
        "followed_up_at": followup_at, "updated_at": updated,
    }
    return cases, _transition_rows(steps, ids, first_transition_id)


Step = tuple[str, str | None, str | None, np.ndarray, int | None, np.ndarray | str]
# Case columns holding the last time a forward step ("stage" kind) entered the stage.
STAGE_TIMESTAMPS = ("registered", "dispatched", "handling", "handled", "verified", "closed",
                    "rejected")


def _stage_of(steps: tuple[Step, ...], n: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Each case's stage (that of its last stage-changing step that happened) and, per
    stage, the last time a forward step entered it (what case_store.advance records: a
    return or a rework moves the stage without stamping it)."""
    stage = np.full(n, "reported", dtype=object)
    entered = {name: np.full(n, NAT) for name in STAGE_TIMESTAMPS}
    for kind, _, to_stage, times, _, _ in steps:
        if to_stage is None:
            continue
        happened = ~np.isnat(times)
        stage = np.where(happened, to_stage, stage)
        if kind == "stage" and to_stage in entered:
            entered[to_stage] = np.where(happened, times, entered[to_stage])
    return stage, entered


def _transition_rows(steps: tuple[Step, ...], ids: np.ndarray, first_id: int
                     ) -> dict[str, np.ndarray]:
    """One row per step that happened (time not NaT), ordered by time then case; kind,
    stages and level looked up by step number rather than built per row."""
    present = [np.flatnonzero(~np.isnat(step[3])) for step in steps]
    step_no = np.concatenate([np.full(len(p), i, np.int64) for i, p in enumerate(present)])
    case_id = np.concatenate([ids[p] for p in present])
    at = np.concatenate([step[3][p] for step, p in zip(steps, present, strict=True)])
    actor = np.concatenate([step[5][p] if isinstance(step[5], np.ndarray)
                            else np.full(len(p), step[5], dtype=object)
                            for step, p in zip(steps, present, strict=True)])
    order = np.lexsort((case_id, at))  # stable: same-instant steps keep their order
    step_no = step_no[order]

    def by_step(field: int) -> np.ndarray:
        return np.array([step[field] for step in steps], dtype=object)[step_no]

    return {"id": np.arange(first_id, first_id + len(order), dtype=np.int64),
            "case_id": case_id[order], "kind": by_step(0), "from_stage": by_step(1),
            "to_stage": by_step(2), "level": by_step(4), "actor": actor[order],
            "at": at[order]}


def day_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
