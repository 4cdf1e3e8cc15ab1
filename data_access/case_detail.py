"""One case for the duty officer: its fields, its history, its place, and its neighbours
(repeat complaints from the same grid, phone or address).

The same address means the same village (社区/村) and the same address text: addresses are
written relative to their village (第17村57号 exists in many villages and counties), so the
text alone joins strangers."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from data_access import case_query, sla
from data_access.models import Case, CaseTransition, GridWorker, Unit
from data_access.timeutil import as_utc

RELATED_DAYS = 90
RELATED_LIMIT = 30
VILLAGE_DIGITS = 12  # a grid's code is its village's code and three digits


def mask_phone(phone: str | None) -> str | None:
    """138****5678: enough to recognise a repeat caller, not to call them."""
    if not phone:
        return phone
    digits = phone.strip()
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * len(digits)


def mask_name(name: str | None) -> str | None:
    """王* / 欧阳** : the family name only."""
    if not name:
        return name
    return name[0] + "*" * (len(name) - 1)


@dataclass(frozen=True)
class Transition:
    at: datetime
    kind: str
    from_stage: str | None
    to_stage: str | None
    level: int | None
    actor: str
    note: str | None


@dataclass(frozen=True)
class RelatedCase:
    id: int
    external_id: str
    title: str
    stage: str
    reported_at: datetime
    why: tuple[str, ...]  # "grid", "phone", "address"


@dataclass
class CaseDetail:
    fields: dict
    deadline_state: str
    time_left: timedelta | None
    transitions: list[Transition]
    places: dict[str, tuple[str, str]]  # level -> (code, name)
    grid_boundary: str | None  # GeoJSON geometry
    grid_workers: list[tuple[str, str]]  # (name, masked phone)
    related: list[RelatedCase] = field(default_factory=list)
    contact_revealed: bool = False


def _places(session: Session, grid_code: str) -> dict[str, tuple[str, str]]:
    codes = {"county": grid_code[:6], "township": grid_code[:9], "village": grid_code[:12],
             "grid": grid_code}
    names = case_query.unit_names(session, set(codes.values()))
    return {level: (code, names.get(code, code)) for level, code in codes.items()}


def _same_village(a: str, b: str) -> bool:
    return a[:VILLAGE_DIGITS] == b[:VILLAGE_DIGITS]


def _related(session: Session, case: Case) -> list[RelatedCase]:
    since = as_utc(case.reported_at) - timedelta(days=RELATED_DAYS)
    village = case.grid_code[:VILLAGE_DIGITS]
    reasons = [("grid", Case.grid_code == case.grid_code)]
    if case.reporter_phone:
        reasons.append(("phone", Case.reporter_phone == case.reporter_phone))
    if case.address:
        # The village's grids as a range of codes (all 15 digits long).
        reasons.append(("address", and_(Case.address == case.address,
                                        Case.grid_code.between(village + "000",
                                                               village + "999"))))
    rows = session.execute(
        select(Case.id, Case.external_id, Case.title, Case.stage, Case.reported_at,
               Case.grid_code, Case.reporter_phone, Case.address)
        .where(and_(Case.id != case.id, Case.reported_at >= since,
                    or_(*(cond for _, cond in reasons))))
        .order_by(Case.reported_at.desc()).limit(RELATED_LIMIT))
    out = []
    for r in rows:
        why = tuple(name for name, value in (("grid", r.grid_code == case.grid_code),
                                             ("phone", bool(case.reporter_phone)
                                              and r.reporter_phone == case.reporter_phone),
                                             ("address", bool(case.address)
                                              and r.address == case.address
                                              and _same_village(r.grid_code, case.grid_code)))
                     if value)
        out.append(RelatedCase(r.id, r.external_id, r.title, r.stage, as_utc(r.reported_at),
                               why))
    # Repeat callers first: the same phone or address says more than the same grid.
    out.sort(key=lambda c: (c.why == ("grid",), -c.reported_at.timestamp()))
    return out


def load(session: Session, case_id: int, now: datetime, zone: ZoneInfo,
         reveal_contact: bool = False) -> CaseDetail | None:
    """The case, or None if there is no such case. The reporter's contact is masked unless
    `reveal_contact` (the caller records the unmasking first)."""
    case = session.get(Case, case_id)
    if case is None:
        return None
    values = {c.key: getattr(case, c.key) for c in Case.__table__.columns}
    for key, value in values.items():
        if isinstance(value, datetime):
            values[key] = as_utc(value)
    if not reveal_contact:
        values["reporter_phone"] = mask_phone(case.reporter_phone)
        values["reporter_name"] = mask_name(case.reporter_name)
    state = session.scalar(select(case_query.state_expression(now, zone))
                           .where(Case.id == case_id))
    deadline = values["extended_until"] or values["deadline_at"]
    left = None
    if deadline is not None and state != case_query.CLOSED_STATE:
        left = sla.time_left(now, deadline, zone=zone)
    transitions = [Transition(as_utc(t.at), t.kind, t.from_stage, t.to_stage, t.level, t.actor,
                              t.note)
                   for t in session.scalars(select(CaseTransition)
                                            .where(CaseTransition.case_id == case_id)
                                            .order_by(CaseTransition.at, CaseTransition.id))]
    workers = [(name, mask_phone(phone)) for name, phone in session.execute(
        select(GridWorker.name, GridWorker.phone).where(GridWorker.grid_code == case.grid_code))]
    return CaseDetail(
        fields=values, deadline_state=state, time_left=left, transitions=transitions,
        places=_places(session, case.grid_code),
        grid_boundary=session.scalar(select(Unit.boundary).where(Unit.code == case.grid_code)),
        grid_workers=workers, related=_related(session, case), contact_revealed=reveal_contact)


def action_state(session: Session, case_id: int) -> dict | None:
    """What case_store.allowed_actions needs to know about a case."""
    row = session.execute(select(Case.stage, Case.acknowledged_at, Case.followed_up_at)
                          .where(Case.id == case_id)).one_or_none()
    return dict(row._mapping) if row is not None else None


def contact(session: Session, case_id: int) -> tuple[str | None, str | None] | None:
    """The reporter's name and phone in clear; the caller has recorded an "unmask" first."""
    row = session.execute(select(Case.reporter_name, Case.reporter_phone)
                          .where(Case.id == case_id)).one_or_none()
    return (row.reporter_name, row.reporter_phone) if row is not None else None
