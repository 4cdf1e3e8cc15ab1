"""The write path and the reads of stored warnings.

A detector's finding has a `key` (kind, unit, category, window start): saving it again
updates the warning in place — its figures and cases — and never its status, so a warning an
officer dismissed stays dismissed however often the detector runs. A case an officer unlinked
stays unlinked (its row keeps who removed it).
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data_access.case_store import ActionRefused, case_change, perform
from data_access.counters import Counters
from data_access.models import Case, EarlyWarning, WarningCase, WarningEvent
from data_access.timeutil import as_utc

KINDS = ("surge", "cluster", "repeat_caller", "repeat_address", "reopened", "escalated")
STATUSES = ("new", "acknowledged", "dismissed", "supervised")
OPEN_STATUSES = ("new", "acknowledged")
DETECTOR = "detector"
MAX_REASON_LENGTH = 500
MAX_NUMBER_LENGTH = 64
# status -> the statuses an officer may move it to
STATUS_RULES: dict[str, tuple[str, ...]] = {
    "new": ("acknowledged", "dismissed", "supervised"),
    "acknowledged": ("dismissed", "supervised"),
}


@dataclass(frozen=True)
class Finding:
    """What a detector found; `evidence` is JSON-able and never holds a phone number."""

    key: str
    kind: str
    method: str
    unit_code: str
    category: str
    window_start: datetime
    window_end: datetime
    observed: int
    score: float
    expected: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    case_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class StoredWarning:
    id: int
    kind: str
    method: str
    unit_code: str
    category: str
    window_start: datetime
    window_end: datetime
    expected: float | None
    observed: int
    score: float
    evidence: dict[str, Any]
    status: str
    status_by: str | None
    status_at: datetime | None
    status_reason: str | None
    created_at: datetime
    case_ids: tuple[int, ...] = ()


def _stored(row: EarlyWarning, case_ids: Sequence[int] = ()) -> StoredWarning:
    return StoredWarning(
        row.id, row.kind, row.method, row.unit_code, row.category, as_utc(row.window_start),
        as_utc(row.window_end), row.expected, row.observed, row.score, json.loads(row.evidence),
        row.status, row.status_by, as_utc(row.status_at) if row.status_at else None,
        row.status_reason, as_utc(row.created_at), tuple(case_ids))


# -- the detectors' side --------------------------------------------------------------------

def save_findings(session: Session, findings: Iterable[Finding], now: datetime) -> dict[str, int]:
    """Insert new findings and update known ones (by key), in the caller's transaction;
    returns {"new": n, "updated": m}."""
    findings = list(findings)
    if not findings:
        return {"new": 0, "updated": 0}
    existing = {w.key: w for w in session.scalars(
        select(EarlyWarning).where(EarlyWarning.key.in_([f.key for f in findings])))}
    new = 0
    for f in findings:
        row = existing.get(f.key)
        if row is None:
            row = EarlyWarning(key=f.key, kind=f.kind, unit_code=f.unit_code,
                               category=f.category, window_start=f.window_start,
                               status="new", created_at=now)
            session.add(row)
            new += 1
        row.method, row.window_end, row.expected = f.method, f.window_end, f.expected
        row.observed, row.score, row.updated_at = f.observed, f.score, now
        row.evidence = json.dumps(f.evidence, ensure_ascii=False, sort_keys=True)
        session.flush()
        known = set(session.scalars(select(WarningCase.case_id)
                                    .where(WarningCase.warning_id == row.id)))
        session.add_all(WarningCase(warning_id=row.id, case_id=c, added_by=DETECTOR)
                        for c in dict.fromkeys(f.case_ids) if c not in known)
        if f.kind != "surge":
            # The cases as the officers left them: less what they unlinked, plus what they
            # linked (a surge's count is the series', not its listed cases).
            _recount(session, row, now)
    session.flush()
    return {"new": new, "updated": len(findings) - new}


# -- reads ----------------------------------------------------------------------------------

def _case_ids(session: Session, warning_ids: Sequence[int]) -> dict[int, list[int]]:
    linked: dict[int, list[int]] = {w: [] for w in warning_ids}
    if warning_ids:
        rows = session.execute(
            select(WarningCase.warning_id, WarningCase.case_id)
            .where(WarningCase.warning_id.in_(warning_ids), WarningCase.removed_at.is_(None))
            .order_by(WarningCase.warning_id, WarningCase.case_id))
        for warning_id, case_id in rows:
            linked[warning_id].append(case_id)
    return linked


def recent_warnings(session: Session, since: datetime, statuses: Sequence[str] = STATUSES,
                    units: Sequence[str] | None = None, limit: int = 200) -> list[StoredWarning]:
    """Warnings created since `since`, newest first. `units`: codes or code prefixes (a
    county's code matches its townships' warnings)."""
    query = (select(EarlyWarning).where(EarlyWarning.created_at >= since,
                                        EarlyWarning.status.in_(list(statuses)))
             .order_by(EarlyWarning.created_at.desc(), EarlyWarning.score.desc(),
                       EarlyWarning.id.desc()))
    rows = list(session.scalars(query))
    if units is not None:
        rows = [r for r in rows if any(r.unit_code.startswith(u) for u in units)]
    rows = rows[:limit]
    linked = _case_ids(session, [r.id for r in rows])
    return [_stored(r, linked[r.id]) for r in rows]


def get_warning(session: Session, warning_id: int) -> StoredWarning:
    row = session.get(EarlyWarning, warning_id)
    if row is None:
        raise ActionRefused("warning_not_found", f"no warning with id {warning_id}")
    return _stored(row, _case_ids(session, [row.id])[row.id])


# -- officers' actions ----------------------------------------------------------------------

def _load(session: Session, warning_id: int) -> EarlyWarning:
    row = session.scalars(select(EarlyWarning).where(EarlyWarning.id == warning_id)
                          .with_for_update()).one_or_none()
    if row is None:
        raise ActionRefused("warning_not_found", f"no warning with id {warning_id}")
    return row


def _move(row: EarlyWarning, to: str, actor: str, at: datetime,
          reason: str | None = None) -> None:
    if to not in STATUS_RULES.get(row.status, ()):
        raise ActionRefused("warning_status", f"a warning that is {row.status} cannot be {to}")
    row.status, row.status_by, row.status_at, row.status_reason = to, actor, at, reason
    row.updated_at = at


def acknowledge(session: Session, warning_id: int, actor: str, at: datetime) -> None:
    _move(_load(session, warning_id), "acknowledged", actor, at)


def dismiss(session: Session, warning_id: int, actor: str, at: datetime, reason: str) -> None:
    """Dismiss with a reason (required: a false warning's reason is what tunes the
    detectors)."""
    reason = (reason or "").strip()
    if not reason:
        raise ActionRefused("reason_required", "dismissing a warning needs a reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise ActionRefused("reason_too_long",
                            f"a reason is at most {MAX_REASON_LENGTH} characters")
    _move(_load(session, warning_id), "dismissed", actor, at, reason)


def supervise(sessions: sessionmaker[Session], counters: Counters, warning_id: int,
              actor: str, at: datetime, level: int = 1, note: str | None = None) -> list[int]:
    """Turn a warning into a supervision order (督办) on its open cases, through the case
    write path, in one transaction with the warning's status; returns the transition ids."""
    with case_change(sessions, counters) as session:
        row = _load(session, warning_id)
        _move(row, "supervised", actor, at, note)
        linked = _case_ids(session, [row.id])[row.id]
        open_ids = list(session.scalars(
            select(Case.id).where(Case.id.in_(linked), Case.stage.not_in(("closed", "rejected")))
            .order_by(Case.id))) if linked else []
        if not open_ids:
            raise ActionRefused("no_open_cases",
                                "the warning has no open case to supervise")
        text = note or f"预警 #{row.id}"
        return [perform(session, case_id, "supervise", actor=actor, at=at, level=level,
                        note=text) for case_id in open_ids]


def case_by_number(session: Session, number: str) -> int:
    """The case an officer names by its number (the external id /ops shows)."""
    number = (number or "").strip()
    if not number or len(number) > MAX_NUMBER_LENGTH:
        raise ActionRefused("case_number_required", "give the number of a case")
    found = session.scalars(select(Case.id).where(Case.external_id == number)).first()
    if found is None:
        raise ActionRefused("case_not_found", f"no case numbered {number}")
    return found


def _linkable(session: Session, warning_id: int) -> EarlyWarning:
    row = _load(session, warning_id)
    if row.kind == "surge":
        raise ActionRefused("warning_kind", "a surge's cases are its series' count")
    return row


def link_case(session: Session, warning_id: int, case_id: int, actor: str,
              at: datetime) -> None:
    """An officer adds a case to a warning (or puts back one they unlinked); recorded in
    warning_events with who and when."""
    row = _linkable(session, warning_id)
    if session.get(Case, case_id) is None:
        raise ActionRefused("case_not_found", f"no case with id {case_id}")
    link = session.get(WarningCase, (row.id, case_id))
    if link is None:
        session.add(WarningCase(warning_id=row.id, case_id=case_id, added_by=actor))
    elif link.removed_at is not None:
        link.removed_by, link.removed_at, link.added_by = None, None, actor
    else:
        raise ActionRefused("already_linked", "the case is already in the warning")
    session.add(WarningEvent(warning_id=row.id, case_id=case_id, action="link", actor=actor,
                             at=at))
    _recount(session, row, at)


def unlink_case(session: Session, warning_id: int, case_id: int, actor: str,
                at: datetime) -> None:
    """An officer takes a case out of a warning; the detector will not put it back (and no
    later report joins its cluster through it). Recorded in warning_events."""
    row = _linkable(session, warning_id)
    link = session.get(WarningCase, (row.id, case_id))
    if link is None or link.removed_at is not None:
        raise ActionRefused("not_linked", "the case is not in the warning")
    link.removed_by, link.removed_at = actor, at
    session.add(WarningEvent(warning_id=row.id, case_id=case_id, action="unlink",
                             actor=actor, at=at))
    _recount(session, row, at)


def change_link(session: Session, warning_id: int, action: str, number: str, actor: str,
                at: datetime) -> int:
    """/ops: link or unlink the case of that number; returns its id."""
    case_id = case_by_number(session, number)
    (link_case if action == "link" else unlink_case)(session, warning_id, case_id, actor, at)
    return case_id


def case_events(session: Session, warning_id: int) -> list[tuple[str, int, str, datetime]]:
    """(action, case id, who, when) of the officers' links and unlinks, oldest first."""
    return [(a, c, who, as_utc(when)) for a, c, who, when in session.execute(
        select(WarningEvent.action, WarningEvent.case_id, WarningEvent.actor, WarningEvent.at)
        .where(WarningEvent.warning_id == warning_id).order_by(WarningEvent.id))]


def _recount(session: Session, row: EarlyWarning, at: datetime) -> None:
    """A cluster's or a caller's count is its cases; a surge's is the series' count."""
    session.flush()
    if row.kind != "surge":
        row.observed = len(_case_ids(session, [row.id])[row.id])
    row.updated_at = at


# -- the wall's tile ------------------------------------------------------------------------

@dataclass(frozen=True)
class WarningBoard:
    """The warnings a wall view shows: those of the last `hours`, newest first, with the
    names of their units, and how many of each kind are still open."""

    rows: list[dict[str, Any]]
    open_by_kind: dict[str, int]
    total_open: int


def warning_board(session: Session, covers, now: datetime, hours: int = 24,
                  limit: int = 12) -> WarningBoard:
    """`covers(code) -> bool`: the view's territory test (wall_scope.Scope.covers)."""
    from data_access.unit_names import unit_names

    found = [w for w in recent_warnings(session, now - timedelta(hours=hours), OPEN_STATUSES,
                                        limit=1000)
             if covers(w.unit_code)]
    names = unit_names(session, {w.unit_code for w in found[:limit]})
    rows = [{"id": w.id, "kind": w.kind, "method": w.method, "unit": w.unit_code,
             "place": names.get(w.unit_code, w.unit_code), "category": w.category,
             "observed": w.observed, "expected": w.expected, "status": w.status,
             "created_at": w.created_at.timestamp(), "cases": len(w.case_ids)}
            for w in found[:limit]]
    by_kind: dict[str, int] = {}
    for w in found:
        by_kind[w.kind] = by_kind.get(w.kind, 0) + 1
    return WarningBoard(rows, by_kind, len(found))


def warning_list(session: Session, since: datetime, covers, limit: int = 200
                 ) -> list[dict[str, Any]]:
    """/ops: the warnings of the view since `since`, newest first, with their place names
    and their cases' external ids (what an officer searches /ops by)."""
    from data_access.unit_names import unit_names

    found = [w for w in recent_warnings(session, since, limit=1000) if covers(w.unit_code)]
    found = found[:limit]
    names = unit_names(session, {w.unit_code for w in found})
    wanted = {c for w in found for c in w.case_ids}
    external = dict(session.execute(select(Case.id, Case.external_id)
                                    .where(Case.id.in_(wanted))).all()) \
        if wanted else {}
    return [{"id": w.id, "kind": w.kind, "method": w.method, "unit": w.unit_code,
             "place": names.get(w.unit_code, w.unit_code), "category": w.category,
             "observed": w.observed, "expected": w.expected, "status": w.status,
             "status_by": w.status_by, "reason": w.status_reason,
             "created_at": w.created_at.timestamp(), "window_start":
             w.window_start.timestamp(), "window_end": w.window_end.timestamp(),
             "cases": [external.get(c, str(c)) for c in w.case_ids]} for w in found]
