"""Staging-table polling (前置库): a source system writes rows into a table (or exposes a
view) in a database govwall can read; `govwall source poll NAME` — and serve/demo for every
source with a staging table — reads new and changed rows by a cursor and sends them through
the one ingest path.

The table: one row per case, columns named as the API's case fields (source_case_id,
reported_at, category, title, grid_code or lat/lon or address, stage, resolved_level, …)
plus `updated_at`, which the source sets on every change. A time without a UTC offset is
the center's local time.

- The cursor is (updated_at, source_case_id), kept in govwall's database and moved only
  after the rows before it are committed, so a crash re-reads at most one page: a case read
  twice is a duplicate, a stage read twice is ignored — nothing lost, nothing doubled.
- A row is read only once its updated_at is SETTLE old, so that a staging transaction that
  committed a little late is not skipped (the two hosts' clocks are assumed in step).
- A new row is a new case; a changed row of a known case is a stage event (forward only),
  and its satisfaction a follow-up.
- Either database going away stops a round, not the poller: it says so once and retries.
- Several processes (gunicorn workers) may run pollers: a Redis lock lets one poll a source.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from pydantic import ValidationError
from redis.exceptions import RedisError
from sqlalchemy import DateTime, Engine, MetaData, Table, and_, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from data_access.db import make_engine
from data_access.intake.columns import clean_values as _clean
from data_access.intake.ingest import DUPLICATE, Intake
from data_access.intake.placement import TerritoryMissing
from data_access.intake.schema import CaseIn, EventIn, error_reasons
from data_access.intake.sources import SourceError, SourceRef
from data_access.models import IntakeSource

log = logging.getLogger(__name__)

SETTLE = timedelta(seconds=2)
PAGE = 500
INTERVAL = 2.0
MAX_BACKOFF = 30.0


class StagingTableError(Exception):
    """The staging table lacks what the cursor needs (its columns or their types): the
    source's side must change the table; the poller reflects it again on each retry."""


# What stops a round and is retried with back-off, said once when it starts and when it
# ends: a database or Redis away, a territory not loaded yet (`govwall init-db` or
# `geo import` brings it; the rows wait in the staging table meanwhile), and a staging table
# that cannot be polled until its owner mends it.
SERVICE_ERRORS = (SQLAlchemyError, RedisError, OSError, TerritoryMissing, StagingTableError)
_FIELDS = set(CaseIn.model_fields)


def configure(session: Session, name: str, url: str, table: str) -> None:
    """Where a source's staging table is; the cursor starts again when the table changes."""
    source = session.scalar(select(IntakeSource).where(IntakeSource.name == name))
    if source is None:
        raise SourceError(f"no source named {name!r}")
    if (source.staging_url, source.staging_table) != (url, table):
        source.cursor_at = source.cursor_id = None
    source.staging_url, source.staging_table = url, table


def _pollable(table: Table) -> Table:
    """`table` if the cursor can read it: its source_case_id, and an updated_at that the
    database stores as a date-time (one kept as text sorts as text: "2026-12-03T09:00"
    after "2026-12-03 10:00", so rows would be skipped or read twice)."""
    missing = [c for c in ("source_case_id", "updated_at") if c not in table.c]
    if missing:
        raise StagingTableError(f"staging table {table.name} has no column "
                                f"{', '.join(missing)}")
    kind = table.c.updated_at.type
    if not isinstance(kind, DateTime):
        raise StagingTableError(
            f"staging table {table.name}: updated_at is {kind}, not a date-time; declare it "
            "TIMESTAMP (PostgreSQL), DATETIME (MySQL, SQLite) or DATE (Oracle)")
    return table


def polled_sources(session: Session) -> list[str]:
    return list(session.scalars(select(IntakeSource.name).where(
        IntakeSource.staging_url.is_not(None), IntakeSource.revoked_at.is_(None))))


class Poller:
    def __init__(self, intake: Intake, sessions: sessionmaker[Session], name: str,
                 settle: timedelta = SETTLE, page: int = PAGE):
        self.intake, self.sessions, self.name = intake, sessions, name
        self.settle, self.page = settle, page
        self._engine: Engine | None = None
        self._table: Table | None = None
        self._url: str | None = None
        self.outage: str | None = None

    def _state(self) -> tuple[SourceRef, str, str, datetime | None, str | None]:
        with self.sessions() as session:
            s = session.scalar(select(IntakeSource).where(IntakeSource.name == self.name))
            if s is None or s.staging_url is None or s.staging_table is None:
                raise SourceError(f"source {self.name!r} has no staging table "
                                  "(govwall source poll NAME --url … --table …)")
            if s.revoked_at is not None:
                raise SourceError(f"source {self.name!r} is revoked")
            return (SourceRef(s.id, s.name, s.county_code), s.staging_url, s.staging_table,
                    s.cursor_at, s.cursor_id)

    def _staging(self, url: str, table: str) -> Table:
        if self._url != url or self._table is None or self._table.name != table:
            if self._engine is not None:
                self._engine.dispose()
            self._engine, self._url = make_engine(url), url
            self._table = _pollable(Table(table, MetaData(), autoload_with=self._engine))
        return self._table

    def poll_once(self) -> int:
        """Read and ingest one page of rows; returns how many rows were read."""
        source, url, table_name, cursor_at, cursor_id = self._state()
        table = self._staging(url, table_name)
        updated, key = table.c.updated_at, table.c.source_case_id
        aware = bool(getattr(updated.type, "timezone", False))
        zone = self.intake.zone

        def column_time(at: datetime) -> datetime:
            return at if aware else at.astimezone(zone).replace(tzinfo=None)

        until = column_time(self.intake.clock() - self.settle)
        query = select(table).where(updated <= until)
        if cursor_at is not None:
            at = column_time(cursor_at.replace(tzinfo=cursor_at.tzinfo or UTC))
            query = query.where(or_(updated > at, and_(updated == at, key > cursor_id)))
        assert self._engine is not None
        with self._engine.connect() as conn:
            rows = conn.execute(query.order_by(updated, key).limit(self.page)).mappings().all()
        if not rows:
            return 0
        self._ingest(source, rows)
        last = rows[-1]
        last_at = last["updated_at"]
        last_at = (last_at if last_at.tzinfo else last_at.replace(tzinfo=zone)).astimezone(UTC)
        with self.sessions.begin() as session:
            s = session.get(IntakeSource, source.id)
            assert s is not None
            s.cursor_at, s.cursor_id = last_at, str(last["source_case_id"])
        return len(rows)

    def _ingest(self, source: SourceRef, rows: list) -> None:
        zone = self.intake.zone
        items: list[CaseIn] = []
        changed: dict[str, Any] = {}
        refused: list[tuple[str | None, str]] = []
        for row in rows:
            values = _clean({k: v for k, v in row.items() if k in _FIELDS}, zone)
            try:
                items.append(CaseIn.model_validate(values))
            except ValidationError as exc:
                refused.append((str(row["source_case_id"])[:64],
                                "; ".join(error_reasons(exc.errors(include_url=False)))))
                continue
            changed[items[-1].source_case_id] = row
        if refused:
            self.intake.record_rejections(source, "poll", refused)
        outcomes = self.intake.create(source, items, "poll")
        events = []
        for item, outcome in zip(items, outcomes, strict=True):
            if outcome.status != DUPLICATE:
                continue
            row = changed[item.source_case_id]
            at = row["updated_at"]
            at = at if at.tzinfo else at.replace(tzinfo=zone)
            if item.stage:
                events.append(EventIn(source_case_id=item.source_case_id, kind="stage", at=at,
                                      stage=item.stage, resolved_level=item.resolved_level))
            if row.get("satisfaction"):
                events.append(EventIn(source_case_id=item.source_case_id, kind="followup",
                                      at=at, satisfaction=str(row["satisfaction"])))
        if events:
            self.intake.apply_events(source, events, "poll")

    def run(self, stop: threading.Event, interval: float = INTERVAL,
            lock: Callable[[], bool] | None = None) -> None:
        """Until `stop`: a round every `interval` seconds (at once again after a full page).
        An outage of either database is logged when it starts and when it ends."""
        backoff = interval
        while not stop.is_set():
            try:
                read = self.poll_once() if lock is None or lock() else 0
                if self.outage:
                    log.warning("poller %s: back after: %s", self.name, self.outage)
                    self.outage = None
                backoff = interval
                if read >= self.page:
                    continue
            except SERVICE_ERRORS as exc:
                if not self.outage:
                    self.outage = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
                    log.warning("poller %s: cannot poll: %s", self.name, self.outage)
                self._table = None  # reflect again: the table may have been recreated
                backoff = min(backoff * 2, MAX_BACKOFF)
            stop.wait(backoff)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def redis_lock(client: redis.Redis, namespace: str, name: str, holder: str,
               seconds: int = 30) -> Callable[[], bool]:
    """True while this holder has the source's polling (taken or renewed on each call)."""
    key = f"{namespace}:v1:intake:poll-lock:{name}"

    def held() -> bool:
        if client.set(key, holder, nx=True, ex=seconds):
            return True
        if client.get(key) == holder:
            client.expire(key, seconds)
            return True
        return False

    return held
