"""One detection run: read what the detectors need (one statement per question), find,
save — under a Redis lock, so that one process in the whole cluster runs at a time.

Called by `govwall warnings detect` and by the detector thread of serve/demo
(`DetectorThread`); the wall and /ops read only what it stored.
"""
from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import redis
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from data_access.models import Case, EarlyWarning
from data_access.timeutil import as_utc, local_day_bounds
from data_access.wall_scope import scope_for
from data_access.warnings import callers, clusters, counts, scan, signatures, surges
from data_access.warnings.store import Finding, save_findings

log = logging.getLogger(__name__)

LOCK_SECONDS = 600
EVERY_SECONDS = 3600


@dataclass(frozen=True)
class DetectConfig:
    surge: surges.SurgeConfig = field(default_factory=surges.SurgeConfig)
    scan: scan.ScanConfig = field(default_factory=scan.ScanConfig)
    cluster: clusters.ClusterConfig = field(default_factory=clusters.ClusterConfig)
    caller: callers.CallerConfig = field(default_factory=callers.CallerConfig)


def lock_key(namespace: str, region: str) -> str:
    return f"{namespace}:v1:warnings:{region}:lock"


def last_run_key(namespace: str, region: str) -> str:
    return f"{namespace}:v1:warnings:{region}:last-run"


def cutoff(now: datetime, zone: ZoneInfo, hour: int | None) -> datetime:
    """The instant a run detects up to: now, or local hour `hour` (1–24) of today."""
    if hour is None:
        return now
    start, _ = local_day_bounds(as_utc(now).astimezone(zone).date(), zone)
    return start + timedelta(hours=hour)


def _share(shares: list[float], until: datetime, zone: ZoneInfo) -> float:
    local = as_utc(until).astimezone(zone)
    hours = local.hour + local.minute / 60 + local.second / 3600
    if hours <= 0:
        return 1.0
    whole = int(hours)
    before = shares[whole - 1] if whole >= 1 else 0.0
    after = shares[whole] if whole < 24 else 1.0
    return max(before + (after - before) * (hours - whole), 1e-3)


def _surge_findings(session: Session, counties: tuple[str, ...], today: date,
                    until: datetime, zone: ZoneInfo, config: surges.SurgeConfig
                    ) -> tuple[list[Finding], dict]:
    first = today - timedelta(days=config.history_days)
    frames = {level: counts.daily_counts(session, level, first, until, zone, counties)
              for level in ("township", "county")}
    local_until = as_utc(until).astimezone(zone)
    full_day = local_until.date() != today
    shares = counts.hour_shares(session, first, today - timedelta(days=1), zone)
    share = 1.0 if full_day else _share(shares, until, zone)
    ranked = surges.detect(frames, today, share, config)
    day_start, day_end = local_day_bounds(today, zone)
    window_end = min(as_utc(until), day_end)
    keys = [f"surge:{c.level}:{c.unit}:{c.category}:{today.isoformat()}" for c in ranked]
    known = set(session.scalars(select(EarlyWarning.key).where(
        EarlyWarning.kind == "surge", EarlyWarning.window_start == day_start)))
    budget_left = max(0, int(config.budget_per_day) - len(known))
    findings = []
    for key, c in zip(keys, ranked, strict=True):
        if key not in known:
            if budget_left == 0:
                continue
            budget_left -= 1
        start = day_start - timedelta(days=c.window_days - 1)
        ids = counts.case_ids_of(session, c.level, c.unit, c.category, start, window_end)
        findings.append(Finding(
            key=key, kind="surge", method=c.method, unit_code=c.unit, category=c.category,
            window_start=day_start, window_end=window_end, observed=c.observed,
            expected=round(c.expected, 2), score=round(c.score, 3),
            evidence={"level": c.level, "rarity": c.rarity, "share_of_day": round(share, 3),
                      "recent": c.recent, "window_days": c.window_days},
            case_ids=tuple(ids)))
    return findings, {"series_candidates": len(ranked), "share_of_day": round(share, 3)}


def _scan_findings(session: Session, counties: tuple[str, ...], until: datetime,
                   config: scan.ScanConfig, today: date) -> tuple[list[Finding], dict]:
    """The space-time scan's signals, stored as surges of a cluster of grids: method
    `st_scan`, placed in the centre grid's township, the grids and townships in evidence."""
    grids = counts.grid_centroids(session, counties)
    spans = counts.grid_spans(session, until, config.study_days, counties)
    index = {code: i for i, code in enumerate(grids["code"])}
    spans = spans[spans["grid"].isin(index)]
    cases = {}
    for category, part in spans.groupby("category"):
        grid = np.repeat(part["grid"].map(index).to_numpy(), part["n"].to_numpy())
        span = np.repeat(part["span"].to_numpy(), part["n"].to_numpy())
        cases[str(category)] = (grid, span)
    found = scan.scan(cases, grids["lon"].to_numpy(float), grids["lat"].to_numpy(float), config)
    codes = grids["code"].to_list()
    findings = []
    for c in found:
        if not c.signals(config):
            continue
        members = [codes[g] for g in c.grids]
        start = as_utc(until) - timedelta(days=c.window_days)
        ids = counts.case_ids_in_grids(session, members, c.category, start, until)
        findings.append(Finding(
            key=f"surge:scan:{c.category}:{members[0]}:{today.isoformat()}", kind="surge",
            method="st_scan", unit_code=members[0][:9], category=c.category,
            window_start=start, window_end=as_utc(until), observed=c.observed,
            expected=round(c.expected, 2), score=round(c.llr, 3),
            evidence={"level": "grids", "grids": members,
                      "townships": sorted({g[:9] for g in members}),
                      "window_days": c.window_days, "p_rank": round(c.p_rank, 4),
                      "p_gumbel": float(f"{c.p_gumbel:.3g}"),
                      "recurrence_days": round(c.recurrence_days, 1),
                      "replicas": config.replicas},
            case_ids=tuple(ids)))
    strongest = max(found, key=lambda c: c.recurrence_days, default=None)
    return findings, {"grids": len(codes), "cases": int(spans["n"].sum()),
                      "classes": len(cases),
                      "top_recurrence_days": round(strongest.recurrence_days, 2)
                      if strongest else None}


def _within_budget(session: Session, kind: str, findings: list[Finding], day_start: datetime,
                   budget: int) -> list[Finding]:
    """Known warnings (updated) and as many new ones, in the given order, as the day's
    budget for the kind still allows."""
    known = set(session.scalars(select(EarlyWarning.key).where(
        EarlyWarning.kind == kind, EarlyWarning.key.in_([f.key for f in findings]))))
    created_today = session.scalar(select(func.count()).select_from(EarlyWarning).where(
        EarlyWarning.kind == kind, EarlyWarning.created_at >= day_start)) or 0
    left = max(0, budget - created_today)
    kept = []
    for f in findings:
        if f.key not in known:
            if left == 0:
                continue
            left -= 1
        kept.append(f)
    return kept


def cluster_findings(session: Session, counties: tuple[str, ...], until: datetime,
                      config: clusters.ClusterConfig, day_start: datetime
                      ) -> tuple[list[Finding], dict]:
    """Sign and place the window's new cases (stored at once, in their own transaction:
    placing a case is final), then warn about the clusters that grow."""
    facts = signatures.sign_and_place(session, counties, until, config)
    session.commit()
    findings = []
    for cluster in signatures.growing_clusters(session, counties, until, config):
        first = cluster.members[0]
        last = max(cluster.members, key=lambda c: c.at)
        findings.append(Finding(
            key=f"cluster:{cluster.id}", kind="cluster", method="minhash",
            unit_code=last.grid_code[:9], category=first.category,
            window_start=datetime.fromtimestamp(min(c.at for c in cluster.members), UTC),
            window_end=datetime.fromtimestamp(last.at, UTC), observed=len(cluster.members),
            score=round(cluster.mean_similarity, 3),
            evidence={"grids": sorted({c.grid_code for c in cluster.members}),
                      "threshold": config.threshold, "spot_threshold": config.spot_threshold},
            case_ids=tuple(c.id for c in cluster.members)))
    findings.sort(key=lambda f: (-f.observed, -f.score, f.key))
    kept = _within_budget(session, "cluster", findings, day_start, config.budget_per_day)
    return kept, {**facts, "growing_clusters": len(findings)}


def _caller_findings(session: Session, counties: tuple[str, ...], until: datetime,
                     config: callers.CallerConfig, secret: bytes
                     ) -> tuple[list[Finding], dict]:
    start = as_utc(until) - timedelta(days=2 * config.window_days)
    rows = session.execute(
        select(Case.id, Case.source, Case.reporter_phone, Case.address, Case.major_class,
               Case.subclass, Case.township_code, Case.reported_at,
               func.coalesce(Case.closed_at, Case.rejected_at))
        .where(Case.county_code.in_(counties), Case.reported_at >= start,
               Case.reported_at < until))
    cases = [callers.CallerCase(i, source, callers.caller_key(phone, secret), address, cat, sub,
                                unit, as_utc(at).timestamp(),
                                as_utc(closed).timestamp() if closed else None)
             for i, source, phone, address, cat, sub, unit, at, closed in rows]
    findings = []
    for f in callers.find(cases, as_utc(until).timestamp(), config):
        anchor = f.case_ids[-1] if f.kind in ("reopened", "escalated") else f.case_ids[0]
        evidence = {"caller": f.subject[:8]} if f.kind != "repeat_address" else \
            {"address": f.address}
        findings.append(Finding(
            key=f"{f.kind}:{f.subject[:16]}:{anchor}", kind=f.kind, method="hmac"
            if f.kind != "repeat_address" else "address", unit_code=f.unit,
            category=f.category, window_start=datetime.fromtimestamp(f.first_at, UTC),
            window_end=datetime.fromtimestamp(f.last_at, UTC), observed=len(f.case_ids),
            score=float(len(f.case_ids)), evidence=evidence, case_ids=f.case_ids))
    return findings, {"citizen_reports": sum(c.source not in callers.NOT_CITIZENS
                                             for c in cases)}


def detect_once(sessions: sessionmaker[Session], region: str, zone: ZoneInfo, now: datetime,
                secret: bytes, config: DetectConfig = DetectConfig(),
                hour: int | None = None) -> dict:
    """Every detector once, up to `cutoff(now, zone, hour)`; saves in one transaction and
    returns what it did, with each detector's time."""
    until = cutoff(now, zone, hour)
    today = (as_utc(until) - timedelta(microseconds=1)).astimezone(zone).date()
    counties = scope_for(region).counties
    day_start, _ = local_day_bounds(today, zone)
    summary: dict = {"region": region, "until": as_utc(until).isoformat()}
    found: list[Finding] = []
    with sessions() as session:
        for name, step in (
                ("surges", lambda: _surge_findings(session, counties, today, until, zone,
                                                   config.surge)),
                ("scan", lambda: _scan_findings(session, counties, until, config.scan,
                                                today)),
                ("clusters", lambda: cluster_findings(session, counties, until,
                                                       config.cluster, day_start)),
                ("callers", lambda: _caller_findings(session, counties, until, config.caller,
                                                     secret))):
            started = time.perf_counter()
            findings, facts = step()
            found += findings
            summary[name] = {**facts, "found": len(findings),
                             "seconds": round(time.perf_counter() - started, 2)}
    with sessions.begin() as session:
        summary["saved"] = save_findings(session, found, as_utc(now))
    by_kind: dict[str, int] = {}
    for f in found:
        by_kind[f.kind] = by_kind.get(f.kind, 0) + 1
    summary["by_kind"] = by_kind
    return summary


def run_locked(sessions: sessionmaker[Session], client: redis.Redis, namespace: str,
               region: str, zone: ZoneInfo, now: datetime, secret: bytes,
               config: DetectConfig = DetectConfig(), hour: int | None = None) -> dict | None:
    """detect_once under the cluster-wide lock; None if another process holds it. The
    summary is kept in Redis (the wall shows when detection last ran)."""
    token = uuid.uuid4().hex
    key = lock_key(namespace, region)
    if not client.set(key, token, nx=True, ex=LOCK_SECONDS):
        return None
    try:
        summary = detect_once(sessions, region, zone, now, secret, config, hour)
        summary["ran_at"] = as_utc(now).timestamp()
        client.set(last_run_key(namespace, region), json.dumps(summary))
        return summary
    finally:
        if client.get(key) == token:
            client.delete(key)


def run_if_due(sessions: sessionmaker[Session], client: redis.Redis, namespace: str,
               region: str, zone: ZoneInfo, now: datetime, secret: bytes, every: float,
               config: DetectConfig = DetectConfig(), force: bool = False) -> dict | None:
    """run_locked when the last run of the region (by any process) is `every` seconds old,
    or when forced."""
    last = last_run(client, namespace, region)
    if not force and last and 0 <= as_utc(now).timestamp() - last.get("ran_at", 0) < every:
        return None
    return run_locked(sessions, client, namespace, region, zone, now, secret, config)


def last_run(client: redis.Redis, namespace: str, region: str) -> dict | None:
    raw = client.get(last_run_key(namespace, region))
    return json.loads(raw) if raw else None


class DetectorThread:
    """Runs detection inside serve/demo, off the request path: `run(first)` every `every`
    seconds; `first` is True on the first call of the process (which detects at once rather
    than trusting a last run recorded before, e.g., a `seed --replace`)."""

    def __init__(self, run: Callable[[bool], dict | None], every: float = EVERY_SECONDS,
                 first_delay: float = 30.0):
        self.run, self.every, self.first_delay = run, every, first_delay
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="warning-detector",
                                       daemon=True)

    def _loop(self) -> None:
        wait, first = self.first_delay, True
        while not self.stop_event.wait(wait):
            started = time.monotonic()
            try:
                summary = self.run(first)
                first = False
                if summary is not None:
                    log.info("warnings detected: %s", summary.get("by_kind"))
            except (SQLAlchemyError, RedisError, OSError) as exc:
                log.warning("warning detection failed: %s", str(exc).splitlines()[0][:200])
            wait = max(1.0, self.every - (time.monotonic() - started))

    def start(self) -> DetectorThread:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
