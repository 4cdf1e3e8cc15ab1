"""case_daily: cases per local day of report × county × category × how they ended.

The wall's 30-day pictures read this small table instead of scanning a month of the case
table, so their cost does not grow with the volume of history (DESIGN: "rollups per day ×
unit × category").

How it stays right:
- `rebuild(first, last)` recomputes whole days from the case table and marks them built
  (seed_history, `govwall rollup rebuild`, and the live simulator for days it starts).
- The write path (`track(session, zone)`, installed by case_store.case_change) adds +1 for a
  new case and moves a case from its old key to its new one when a key column changes (a
  dispute's resolved level and mediation outcome are set when it closes, days after its
  report) — in the same transaction as the change.
- Readers take built days from here and count the other days (typically today, before a
  rebuild) from the case table: `built_days()`.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Date, cast, delete, event, func, inspect, select
from sqlalchemy.orm import Session

from data_access import bulk_load
from data_access.models import Case, CaseDaily, CaseDailyBuilt
from data_access.reports import rollup as township_daily
from data_access.timeutil import day_chunks

KEY = ("county_code", "major_class", "source", "dispute_type", "resolved_level",
       "mediation_outcome")
NONE = ""  # key columns are part of the primary key: "none" is stored as ""
REBUILD_CHUNK_DAYS = 31
# session.info key: the zone of a session whose case changes case_daily follows (track).
TRACKED_ZONE = "govwall.rollup_zone"

Key = tuple[Any, ...]  # (day, *KEY values)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _day_bounds(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(first, time.min, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    return start, end


def key_of(values: Mapping[str, Any], zone: ZoneInfo) -> Key:
    day = _utc(values["reported_at"]).astimezone(zone).date()
    return (day, *(values[name] or NONE for name in KEY))


# -- writes ---------------------------------------------------------------------------------

def shift(session: Session, deltas: Mapping[Key, int]) -> None:
    """Add each delta to its row (created if missing), in key order so that concurrent
    writers lock rows in the same order: one upsert statement for all the keys (a batch of
    ingested cases moves many at once)."""
    for table, keys, rows in upserts(deltas):
        bulk_load.add_rows(session.connection(), table, keys, rows)


def upserts(deltas: Mapping[Key, int]) -> list[bulk_load.Upsert]:
    """`shift`'s statement as data — (table, key columns, rows in key order) — for a writer
    that sends several rollups' upserts together (bulk_load.add_rows_together)."""
    changes = [(k, n) for k, n in sorted(deltas.items()) if n]
    if not changes:
        return []
    return [(CaseDaily.__table__, ("day", *KEY),
             [{**dict(zip(("day", *KEY), key, strict=True)), "cases": n}
              for key, n in changes])]


def _changes(session: Session, zone: ZoneInfo) -> Counter[Key]:
    deltas: Counter[Key] = Counter()
    for obj in session.new:
        if isinstance(obj, Case):
            deltas[key_of({n: getattr(obj, n) for n in ("reported_at", *KEY)}, zone)] += 1
    for obj in session.dirty:
        if not isinstance(obj, Case):
            continue
        state = inspect(obj)
        now_values, old_values, changed = {}, {}, False
        for name in ("reported_at", *KEY):
            history = state.attrs[name].history
            now_values[name] = getattr(obj, name)
            old_values[name] = history.deleted[0] if history.deleted else now_values[name]
            changed |= bool(history.deleted) and old_values[name] != now_values[name]
        if changed:
            deltas[key_of(old_values, zone)] -= 1
            deltas[key_of(now_values, zone)] += 1
    return deltas


def _before_flush(session: Session, _context, _instances) -> None:
    shift(session, _changes(session, session.info[TRACKED_ZONE]))


def track(session: Session, zone: ZoneInfo) -> None:
    """Keep case_daily in step with the cases this session adds or changes."""
    if TRACKED_ZONE not in session.info:
        session.info[TRACKED_ZONE] = zone
        event.listen(session, "before_flush", _before_flush)


def rebuild(session: Session, zone: ZoneInfo, first: date, last: date,
            now: datetime | None = None) -> int:
    """Recompute the local days first..last from the case table and mark them built; returns
    the rows written. Runs in the caller's transaction, a month at a time."""
    written = sum(_rebuild_chunk(session, zone, day, end, now or datetime.now(UTC))
                  for day, end in day_chunks(first, last, REBUILD_CHUNK_DAYS))
    # The leaders' rollup is rebuilt with it, so that every caller keeps both.
    township_daily.rebuild(session, zone, first, last, now)
    return written


def _rebuild_chunk(session: Session, zone: ZoneInfo, first: date, last: date,
                   now: datetime) -> int:
    start, end = _day_bounds(first, last, zone)
    session.execute(delete(CaseDaily).where(CaseDaily.day >= first, CaseDaily.day <= last))
    session.execute(delete(CaseDailyBuilt).where(CaseDailyBuilt.day >= first,
                                                 CaseDailyBuilt.day <= last))
    in_range = (Case.reported_at >= start, Case.reported_at < end)
    if session.get_bind().dialect.name == "postgresql":
        # Grouped in the database: a year of a city is a few seconds, not a minute of rows
        # travelling to Python.
        day = cast(func.timezone(zone.key, Case.reported_at), Date)
        keys = [func.coalesce(getattr(Case, n), NONE) for n in KEY]
        grouped = (select(day, *keys, func.count()).where(*in_range)
                   .group_by(day, *keys))
        session.execute(CaseDaily.__table__.insert().from_select(["day", *KEY, "cases"],
                                                                 grouped))
        written = session.scalar(select(func.count()).select_from(CaseDaily)
                                 .where(CaseDaily.day >= first, CaseDaily.day <= last))
    else:
        rows = session.execute(select(Case.reported_at, *(getattr(Case, n) for n in KEY))
                               .where(*in_range)).all()
        frame = pd.DataFrame(rows, columns=["reported_at", *KEY])
        frame["day"] = (pd.to_datetime(frame["reported_at"], utc=True).dt.tz_convert(zone)
                        .dt.date)
        records = (frame.drop(columns="reported_at").fillna(NONE)
                   .groupby(["day", *KEY]).size().rename("cases").reset_index()
                   .to_dict("records"))
        if records:
            session.execute(CaseDaily.__table__.insert(), records)
        written = len(records)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    session.execute(CaseDailyBuilt.__table__.insert(),
                    [{"day": d, "built_at": now} for d in days])
    return written


def ensure_built(session: Session, zone: ZoneInfo, days: Iterable[date]) -> int:
    """Rebuild those of `days` not built yet (a writer starting, or a new day)."""
    wanted = sorted(set(days))
    built = built_days(session, wanted[0], wanted[-1]) & \
        township_daily.built_days(session, wanted[0], wanted[-1]) if wanted else set()
    missing = [d for d in wanted if d not in built]
    return sum(rebuild(session, zone, d, d) for d in missing)


# -- reads ----------------------------------------------------------------------------------

def built_days(session: Session, first: date, last: date) -> set[date]:
    return set(session.scalars(select(CaseDailyBuilt.day).where(CaseDailyBuilt.day >= first,
                                                                CaseDailyBuilt.day <= last)))
