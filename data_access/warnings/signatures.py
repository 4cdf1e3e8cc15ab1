"""Repeat complaints, incrementally: each case is signed once and placed in a cluster once.

A run reads the cases of its window that have no signature yet (an hour's reports, after
the first run), signs them (MinHash of their content: `clusters.signatures`), reads the
stored signatures of their neighbourhoods only (same category; same village, or a cell
around their point), places them (`clusters.assign`) and stores them with their cluster. The
clusters with a report in the last `recent_hours` are then read back whole, by cluster id.
Before this, every run re-hashed the window's 55,200 texts of a city (329 s of 6 min 52 s).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import Session

from data_access.models import Case, CaseSignature, EarlyWarning, WarningCase
from data_access.timeutil import as_utc
from data_access.unit_names import unit_names
from data_access.warnings import clusters, complaint_text

# Bump when the content, shingles, marks or permutations change: older signatures are then
# redone (3: canonical vocabulary, requests stripped, objects and landmarks in `spots`).
VERSION = 3
# Above this many new cases, the neighbourhoods are read by window, not by village and cell
# (a first run: the whole window is new).
MANY = 2_000
CHUNK = 500  # rows a statement inserts, cluster ids a statement asks for


@dataclass(frozen=True)
class Cluster:
    id: int
    members: tuple[clusters.TextCase, ...]
    mean_similarity: float


def _places(session: Session, grid_codes: set[str]) -> dict[str, tuple[str, ...]]:
    """The place names to strip, per village code (its county, township and village)."""
    villages = {g[:12] for g in grid_codes}
    names = unit_names(session, {code for v in villages for code in (v[:6], v[:9], v)})
    return {v: complaint_text.place_names(names.get(code, "") for code in (v[:6], v[:9], v))
            for v in villages}


def _new_cases(session: Session, counties: tuple[str, ...], start: datetime,
               until: datetime) -> list[clusters.TextCase]:
    signed = select(CaseSignature.case_id).where(CaseSignature.case_id == Case.id,
                                                 CaseSignature.version == VERSION)
    rows = list(session.execute(
        select(Case.id, Case.major_class, Case.grid_code, Case.lon, Case.lat,
               Case.reported_at, Case.title, Case.description, Case.address)
        .where(Case.county_code.in_(counties), Case.reported_at >= start,
               Case.reported_at < until, ~signed.exists())
        .order_by(Case.id)))
    places = _places(session, {r.grid_code for r in rows})
    return [clusters.TextCase(i, cat, grid, lon, lat, as_utc(at).timestamp(),
                              "。".join(p for p in (title, description, address) if p),
                              places[grid[:12]])
            for i, cat, grid, lon, lat, at, title, description, address in rows]


def _member(row) -> clusters.Member:
    case = clusters.TextCase(row.case_id, row.category, row.grid_code, row.lon, row.lat,
                             as_utc(row.reported_at).timestamp(), "")
    sig = clusters.Signature(np.frombuffer(row.minhash, dtype=np.uint32),
                             frozenset(s for s in row.spots.split(",") if s))
    return clusters.Member(case, sig, row.cluster_id)


def _neighbours(session: Session, new: Sequence[clusters.TextCase], start: datetime
                ) -> clusters.Neighbourhood:
    """The stored signatures of the new cases' neighbourhoods since `start`."""
    known = clusters.Neighbourhood()
    if not new:
        return known
    columns = (CaseSignature.case_id, CaseSignature.category, CaseSignature.grid_code,
               CaseSignature.lon, CaseSignature.lat, CaseSignature.reported_at,
               CaseSignature.minhash, CaseSignature.spots, CaseSignature.cluster_id)
    base = select(*columns).where(CaseSignature.version == VERSION,
                                  CaseSignature.reported_at >= start)
    if len(new) > MANY:
        queries = [base]
    else:
        # One statement: the category list and the two key lists (a category's other
        # villages and cells come along and are left to `alike`, a few rows).
        villages = sorted({c.grid_code[:12] for c in new})
        cells = sorted({code for c in new for code in clusters.cells_around(c.lon, c.lat)})
        queries = [base.where(CaseSignature.category.in_(sorted({c.category for c in new})),
                              or_(CaseSignature.village_code.in_(villages),
                                  CaseSignature.cell.in_(cells)))]
    seen: set[int] = set()
    for query in queries:
        for row in session.execute(query.order_by(CaseSignature.case_id)):
            if row.case_id not in seen:
                seen.add(row.case_id)
                known.add(_member(row))
    return known


def _spots_column(marks: frozenset[str], width: int = 200) -> str:
    """The marks as the column keeps them: whole marks only, numbered spots first, then
    objects, then landmarks, as many as fit (never one cut in the middle)."""
    order = sorted(marks, key=lambda m: (m.startswith("place:"), m.startswith("obj:"), m))
    kept: list[str] = []
    for mark in order:
        if len(",".join([*kept, mark])) <= width:
            kept.append(mark)
    return ",".join(sorted(kept))


def unlinked_cases(session: Session) -> frozenset[int]:
    """Cases an officer took out of a repeat-complaint warning: no case joins through them."""
    return frozenset(session.scalars(
        select(WarningCase.case_id).join(EarlyWarning, EarlyWarning.id == WarningCase.warning_id)
        .where(EarlyWarning.kind == "cluster", WarningCase.removed_at.is_not(None))))


def sign_and_place(session: Session, counties: tuple[str, ...], until: datetime,
                   config: clusters.ClusterConfig) -> dict[str, int]:
    """Sign the window's unsigned cases, place them in clusters and store both, in the
    caller's transaction; returns how many were new and how many neighbours were read."""
    until = as_utc(until)
    start = until - timedelta(days=config.window_days)
    session.execute(delete(CaseSignature).where(CaseSignature.version != VERSION,
                                                CaseSignature.reported_at >= start))
    new = _new_cases(session, counties, start, until)
    sigs = clusters.signatures(new)
    first = min((c.at for c in new), default=until.timestamp())
    known = _neighbours(session, new, datetime.fromtimestamp(first, UTC)
                        - timedelta(days=config.window_days))
    read = sum(len(v) for v in known.by_village.values())
    placed = clusters.assign(list(zip(new, sigs, strict=True)), known, config,
                             unlinked_cases(session))
    rows = [{"case_id": m.case.id, "version": VERSION, "category": m.case.category,
             "village_code": m.case.grid_code[:12], "cell": clusters.cell(m.case.lon, m.case.lat),
             "grid_code": m.case.grid_code, "lon": m.case.lon, "lat": m.case.lat,
             "reported_at": datetime.fromtimestamp(m.case.at, UTC),
             "minhash": m.sig.hashes.astype(np.uint32).tobytes(),
             "spots": _spots_column(m.sig.spots), "cluster_id": m.cluster_id,
             "similarity": similarity} for m, similarity in placed]
    for i in range(0, len(rows), CHUNK):
        session.execute(insert(CaseSignature), rows[i:i + CHUNK])
    return {"signed": len(rows), "neighbours_read": read}


def growing_clusters(session: Session, counties: tuple[str, ...], until: datetime,
                     config: clusters.ClusterConfig) -> list[Cluster]:
    """Clusters of at least `min_size` cases with one reported in the last `recent_hours`
    before `until`, with all their members (oldest first)."""
    until = as_utc(until)
    recent = session.execute(
        select(CaseSignature.cluster_id, CaseSignature.village_code)
        .where(CaseSignature.version == VERSION,
               CaseSignature.reported_at >= until - timedelta(hours=config.recent_hours),
               CaseSignature.reported_at < until))
    ids = sorted({cluster for cluster, village in recent if village[:6] in counties})
    members: dict[int, list] = {}
    for i in range(0, len(ids), CHUNK):
        for row in session.execute(
                select(CaseSignature.cluster_id, CaseSignature.case_id, CaseSignature.category,
                       CaseSignature.grid_code, CaseSignature.lon, CaseSignature.lat,
                       CaseSignature.reported_at, CaseSignature.similarity)
                .where(CaseSignature.version == VERSION,
                       CaseSignature.cluster_id.in_(ids[i:i + CHUNK]),
                       CaseSignature.reported_at < until)
                .order_by(CaseSignature.case_id)):
            members.setdefault(row.cluster_id, []).append(row)
    found = []
    for cluster_id, rows in members.items():
        if len(rows) < config.min_size:
            continue
        similarities = [r.similarity for r in rows if r.similarity is not None]
        found.append(Cluster(cluster_id, tuple(
            clusters.TextCase(r.case_id, r.category, r.grid_code, r.lon, r.lat,
                              as_utc(r.reported_at).timestamp(), "") for r in rows),
            float(np.mean(similarities)) if similarities else 0.0))
    return found
