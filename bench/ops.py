"""/ops figures on a seeded database: table page fetch p50/p95 with filters, the duty queue
(counts and the 50 most urgent rows of an area, computed without the cache) for the region, a
county and a township, and the rate and peak memory of a 100,000-row CSV export.

Usage: GOVWALL_DATABASE_URL=postgresql+psycopg://... python bench/ops.py [--days 365]
(seeds the region with --days of history first when the database has no cases), or
python bench/ops.py --database-url postgresql+psycopg://.../govwall_bench_xuzhou365 to
measure an existing, already seeded database as it is (no migration, no seeding).
"""
from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

from dashboard import export
from dashboard.runtime import open_runtime
from dashboard.settings import load_settings
from data_access import case_query
from data_access.case_filters import CaseFilter
from data_access.duty_queue import duty_queue
from data_access.migrate import upgrade
from data_access.stats import has_cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--export-rows", type=int, default=100_000)
    parser.add_argument("--database-url", help="an existing seeded database, used read-only")
    args = parser.parse_args()
    settings = load_settings()
    if args.database_url:
        settings = settings.model_copy(update={"database_url": args.database_url})
    rt = open_runtime(settings)
    if not args.database_url:
        upgrade(rt.engine)
    with rt.sessions() as session:
        empty = not has_cases(session)
    if empty and args.database_url:
        raise SystemExit(f"no cases in {args.database_url}: seed it first")
    if empty:
        from simulation.bootstrap import ensure_territory
        from simulation.seed import seed_history

        ensure_territory(rt.sessions, settings.region, seed=7)
        seed_history(rt.sessions, rt.counters, settings.region, days=args.days, seed=7,
                     zone=settings.zone)
    zone = settings.zone
    with rt.sessions() as session:
        counties = [c for c, _ in case_query.units_under(session, None, "county")]
        total = case_query.count_by_state(session, CaseFilter(), datetime.now(UTC), zone)
    print(f"cases: {total['total']:,} (open {total['open']:,})")
    filters = [CaseFilter(), CaseFilter(unit=counties[0]),
               CaseFilter(unit=counties[1 % len(counties)], deadline=("overdue",)),
               CaseFilter(open=True, source=("hotline_12345",)), CaseFilter(period="7d"),
               CaseFilter(q="路灯")]
    sorts = [case_query.DEFAULT_SORT, (("deadline_at", "asc"),)]
    timings = []
    for i in range(args.repeat):
        f, sort = filters[i % len(filters)], sorts[i % len(sorts)]
        start = time.perf_counter()
        with rt.sessions() as session:
            case_query.page(session, f, datetime.now(UTC), zone, sort, (i % 5) * 100, 100)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    print(f"page fetch (100 rows, filtered, sorted): p50 {statistics.median(timings):.1f} ms, "
          f"p95 {timings[int(0.95 * (len(timings) - 1))]:.1f} ms over {len(timings)}")

    print("one by one (median of 3; counts above the table, then a page of 100):")
    today = datetime.now(UTC).astimezone(zone).date()
    by_deadline = (("deadline_at", "asc"),)
    named = [
        ("search 路灯 (2 characters, common), whole history", CaseFilter(q="路灯"),
         case_query.DEFAULT_SORT),
        ("search 张三丰 (3 characters, in no case), whole history", CaseFilter(q="张三丰"),
         case_query.DEFAULT_SORT),
        ("by deadline, today", CaseFilter(period="today"), by_deadline),
        ("by deadline, 7 days", CaseFilter(period="7d"), by_deadline),
        ("by deadline, 30 days", CaseFilter(period="30d"), by_deadline),
        ("by deadline, from a year ago", CaseFilter(date_from=today - timedelta(days=364)),
         by_deadline),
        ("by deadline, whole history", CaseFilter(), by_deadline),
    ]
    for label, f, sort in named:
        counting, paging = [], []
        for _ in range(3):
            with rt.sessions() as session:
                start = time.perf_counter()
                case_query.count_by_state(session, f, datetime.now(UTC), zone)
                middle = time.perf_counter()
                case_query.page(session, f, datetime.now(UTC), zone, sort, 0, 100)
                counting.append((middle - start) * 1000)
                paging.append((time.perf_counter() - middle) * 1000)
        print(f"  {label}: counts {statistics.median(counting):.1f} ms, "
              f"page {statistics.median(paging):.1f} ms")

    _bench_duty_queue(rt, settings.region, counties, zone, args.repeat)

    tracemalloc.start()
    start = time.perf_counter()
    rows, size = 0, 0
    lines = export.export_rows(rt.sessions, CaseFilter(), datetime.now(UTC), zone, "zh")
    for chunk in export.csv_chunks(_limited(lines, args.export_rows + 1)):
        size += len(chunk)
        rows += chunk.count(b"\n")
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"CSV export: {rows - 1:,} rows, {size / 1e6:.1f} MB in {elapsed:.1f} s "
          f"({(rows - 1) / elapsed:,.0f} rows/s), peak Python memory {peak / 1e6:.1f} MB")
    rt.close()


def _bench_duty_queue(rt, region: str, counties: list[str], zone, repeat: int) -> None:
    """The duty queue as the first browser of an area in a 5-second bucket computes it."""
    with rt.sessions() as session:
        townships = [c for c, _ in case_query.units_under(session, counties[0], "township")]
    areas = [("the region " + region, region), ("a county " + counties[0], counties[0]),
             ("a township " + townships[0], townships[0])]
    print(f"duty queue (counts per group + the 50 most urgent rows, uncached), {repeat} runs:")
    for label, area in areas:
        timings = []
        for _ in range(repeat):
            with rt.sessions() as session:
                start = time.perf_counter()
                queue = duty_queue(session, area, datetime.now(UTC), zone)
                timings.append((time.perf_counter() - start) * 1000)
        timings.sort()
        counts = ", ".join(f"{k} {v:,}" for k, v in queue.counts.items())
        print(f"  {label}: p50 {statistics.median(timings):.1f} ms, "
              f"p95 {timings[int(0.95 * (len(timings) - 1))]:.1f} ms ({counts})")


def _limited(lines, n):
    for i, line in enumerate(lines):
        if i >= n:
            return
        yield line


if __name__ == "__main__":
    main()
