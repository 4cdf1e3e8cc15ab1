"""Per-source data quality, as centers publish it monthly: for a local day, the cases
received, refused, unplaced and with unknown codes, and the lag from the source's report
time to arrival (median and 95th percentile)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access.models import IntakeRecord, IntakeRejection, IntakeSource
from data_access.timeutil import as_utc, local_day_bounds


@dataclass(frozen=True)
class SourceQuality:
    name: str
    active: bool
    received: int
    rejected: int
    unplaced: int
    unknown_codes: int
    lag_p50_s: float | None
    lag_p95_s: float | None


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def day_quality(session: Session, day: date, zone: ZoneInfo) -> list[SourceQuality]:
    start, end = local_day_bounds(day, zone)
    out = []
    for source in session.scalars(select(IntakeSource).order_by(IntakeSource.name)):
        records = session.execute(
            select(IntakeRecord.placement, IntakeRecord.unknown_codes,
                   IntakeRecord.source_reported_at, IntakeRecord.received_at)
            .where(IntakeRecord.source_id == source.id, IntakeRecord.received_at >= start,
                   IntakeRecord.received_at < end)).all()
        rejected = session.scalar(select(func.count()).select_from(IntakeRejection).where(
            IntakeRejection.source_id == source.id, IntakeRejection.at >= start,
            IntakeRejection.at < end)) or 0
        lags = [max((as_utc(r.received_at) - as_utc(r.source_reported_at)).total_seconds(), 0)
                for r in records]
        out.append(SourceQuality(
            source.name, source.revoked_at is None, len(records), rejected,
            sum(r.placement == "unplaced" for r in records),
            sum(bool(r.unknown_codes) for r in records),
            _percentile(lags, 0.5), _percentile(lags, 0.95)))
    return out

