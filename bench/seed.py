"""Time the history seed on a throwaway database and print the figures.

    .venv/bin/python bench/seed.py [--days 365] [--region 320300] [--backend sqlite|postgresql|both]
        [--keep NAME] [-v]

--keep NAME seeds the PostgreSQL database NAME (dropped and recreated if it exists) and keeps
it, for the other benchmarks (bench/wall.py, bench/ops.py) to reuse.
"""
from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text

from data_access.counters import Counters
from data_access.db import make_engine, session_factory
from data_access.migrate import upgrade
from data_access.redis_conn import connect, embedded_redis, unix_socket_url
from simulation.bootstrap import ensure_territory
from simulation.seed import seed_history

ZONE = ZoneInfo("Asia/Shanghai")
ADMIN_URL = os.environ.get("GOVWALL_BENCH_ADMIN_URL",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def run(url: str, region: str, days: int, redis_client, size) -> None:
    engine = make_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    counters = Counters(redis_client, f"govwall_bench_{uuid.uuid4().hex[:8]}", ZONE)
    try:
        started = time.perf_counter()
        ensure_territory(sessions, region, seed=7)
        territory_s = time.perf_counter() - started
        summary = seed_history(sessions, counters, region, days=days, seed=7, zone=ZONE,
                               now=datetime.now(UTC))
        rows = summary["cases"] + summary["transitions"] + summary["checkins"]
        print(f"  territory: {territory_s:.1f} s")
        print(f"  seed:      {summary['seconds']:.1f} s for {days} days")
        print(f"  cases:       {summary['cases']:,}")
        print(f"  transitions: {summary['transitions']:,}")
        print(f"  check-ins:   {summary['checkins']:,}")
        print(f"  rows/s:      {rows / summary['seconds']:,.0f}")
        with sessions() as session:
            print(f"  database:    {size(session) / 2**20:,.0f} MiB")
            if engine.dialect.name == "postgresql":
                print(f"  of which trigram search indexes: "
                      f"{trigram_index_bytes(session) / 2**20:,.0f} MiB")
    finally:
        counters.delete_namespace()
        engine.dispose()


def trigram_index_bytes(session) -> int:
    """The /ops search indexes of migration 0005 (PostgreSQL only)."""
    return session.scalar(text(
        "SELECT coalesce(sum(pg_relation_size(c.oid)), 0) FROM pg_class c "
        "WHERE c.relkind = 'i' AND c.relname LIKE 'ix\\_cases\\_%\\_trgm'"))


def bench_postgresql(region: str, days: int, redis_client, keep: str | None) -> None:
    name = keep or f"govwall_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        print(f"PostgreSQL ({name}):")
        run(url, region, days, redis_client,
            lambda s: s.scalar(select(func.pg_database_size(func.current_database()))))
    finally:
        if keep:
            print(f"  kept:        {url}")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench_sqlite(region: str, days: int, redis_client) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        print(f"SQLite ({path}):")
        run(f"sqlite:///{path}", region, days, redis_client,
            lambda s: path.stat().st_size + (path.with_name(path.name + "-wal").stat().st_size
                                             if path.with_name(path.name + "-wal").exists()
                                             else 0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--region", default="320300")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--keep", metavar="NAME",
                        help="keep the seeded PostgreSQL database under this name")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log each chunk and the bulk-load phases")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(message)s")
    with tempfile.TemporaryDirectory() as folder:
        server = embedded_redis(Path(folder) / "redis.db")
        client = connect(unix_socket_url(server))
        try:
            if args.backend in ("postgresql", "both"):
                bench_postgresql(args.region, args.days, client, args.keep)
            if args.backend in ("sqlite", "both"):
                bench_sqlite(args.region, args.days, client)
        finally:
            client.close()
            server.shutdown(nosave=True)


if __name__ == "__main__":
    main()
