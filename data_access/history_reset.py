"""Removing the case history (`govwall seed --replace`): cases, their transitions, their
intake records and rejections, patrol check-ins, the rollups (case_daily, and the leaders'
daily and monthly ones), the warnings found in them (and the cases' text
signatures) and Redis's day counters. The
territory, grid workers, people, kiosk tokens and intake sources stay."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select

from data_access.counters import DAY_TTL, Counters
from data_access.models import (
    Case,
    CaseDaily,
    CaseDailyBuilt,
    CaseSignature,
    CaseTransition,
    EarlyWarning,
    GridDaily,
    IntakeRecord,
    IntakeRejection,
    PatrolCheckin,
    TopicDaily,
    TownshipDaily,
    TownshipDailyBuilt,
    WarningCase,
    WarningEvent,
)
from data_access.reports.rollup import MONTH_COPIES

# Children before the cases they reference (DELETE order on SQLite). The intake's records
# of which source case each case was go with the cases; its sources and tokens stay.
HISTORY_TABLES = (WarningEvent.__table__, WarningCase.__table__, EarlyWarning.__table__,
                  CaseSignature.__table__,
                  CaseTransition.__table__, IntakeRecord.__table__, IntakeRejection.__table__,
                  Case.__table__, PatrolCheckin.__table__,
                  CaseDaily.__table__, CaseDailyBuilt.__table__, TownshipDaily.__table__,
                  TopicDaily.__table__, GridDaily.__table__, TownshipDailyBuilt.__table__,
                  # every month copy of the leaders' rollups (one left out was left behind)
                  *(copy.monthly.__table__ for copy in MONTH_COPIES))


def remove_case_history(engine: Engine, counters: Counters, now: datetime) -> dict[str, int]:
    """Empty the history tables in one transaction and forget every day counter Redis may
    still hold; returns the rows removed per table."""
    with engine.begin() as connection:
        removed = {table.name: connection.scalar(select(func.count()).select_from(table))
                   for table in HISTORY_TABLES}
        if connection.dialect.name == "postgresql":
            # A year is ~12 M rows: TRUNCATE drops the files instead of deleting row by row.
            names = ", ".join(f'"{table.name}"' for table in HISTORY_TABLES)
            connection.exec_driver_sql(f"TRUNCATE {names}")
        else:
            for table in HISTORY_TABLES:
                connection.execute(table.delete())
    # Day keys live DAY_TTL after their day's last write: older days are gone already.
    today = counters.local_day(now)
    for back in range(DAY_TTL // 86_400 + 1):
        counters.clear_day(today - timedelta(days=back))
    # The detectors' last run described the history just removed: the next serve/demo
    # detects at once (data_access/warnings/detect.py last_run_key).
    stale_runs = list(counters.redis.scan_iter(
        match=f"{counters.namespace}:v1:warnings:*:last-run", count=1000))
    if stale_runs:
        counters.redis.delete(*stale_runs)
    return removed
