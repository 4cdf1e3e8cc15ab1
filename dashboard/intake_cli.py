"""`govwall source add|list|revoke|token` (the systems that send real cases) and
`govwall import FILE`."""
from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from dashboard.settings import Settings


def _sessions(settings: Settings):
    from data_access.db import make_engine, session_factory
    from data_access.migrate import upgrade

    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    return session_factory(engine)


def default_county(settings: Settings) -> str:
    from data_access.geography import counties_of

    return counties_of(settings.region)[0].code


def cmd_source_add(settings: Settings, args: argparse.Namespace) -> int:
    from data_access.geography import counties_of
    from data_access.intake.sources import SourceError, add_source

    county = args.county or default_county(settings)
    if county not in {c.code for c in counties_of(settings.region)}:
        print(f"govwall source add: {county} is not a county of region {settings.region}",
              file=sys.stderr)
        return 2
    try:
        with _sessions(settings).begin() as session:
            token = add_source(session, args.name, county, datetime.now(UTC))
    except SourceError as exc:
        print(f"govwall source add: {exc}", file=sys.stderr)
        return 1
    print(f"source {args.name} added (unplaced cases go to county {county}).")
    print("Its API token, shown this once (stored hashed; `govwall source token` makes a "
          "new one):")
    print(token)
    return 0


def cmd_source_token(settings: Settings, args: argparse.Namespace) -> int:
    from data_access.intake.sources import SourceError, new_token

    try:
        with _sessions(settings).begin() as session:
            token = new_token(session, args.name)
    except SourceError as exc:
        print(f"govwall source token: {exc}", file=sys.stderr)
        return 1
    print(f"source {args.name}: new token (the old one no longer works), shown this once:")
    print(token)
    return 0


def cmd_source_revoke(settings: Settings, args: argparse.Namespace) -> int:
    from data_access.intake.sources import SourceError, revoke

    try:
        with _sessions(settings).begin() as session:
            revoke(session, args.name, datetime.now(UTC))
    except SourceError as exc:
        print(f"govwall source revoke: {exc}", file=sys.stderr)
        return 1
    print(f"source {args.name} revoked: its token is refused from now on")
    return 0


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}s"


def cmd_source_list(settings: Settings, args: argparse.Namespace) -> int:
    from data_access.intake.quality import day_quality

    day = datetime.now(UTC).astimezone(settings.zone).date()
    with _sessions(settings)() as session:
        rows = day_quality(session, day, settings.zone)
    print(f"data quality for {day} (local day, {settings.timezone})")
    print(f"{'source':16} {'state':8} {'received':>8} {'rejected':>8} {'unplaced':>8} "
          f"{'unknown':>8} {'lag p50':>8} {'lag p95':>8}")
    for q in rows:
        print(f"{q.name:16} {'active' if q.active else 'revoked':8} {q.received:8} "
              f"{q.rejected:8} {q.unplaced:8} {q.unknown_codes:8} {_seconds(q.lag_p50_s):>8} "
              f"{_seconds(q.lag_p95_s):>8}")
    if not rows:
        print("(no sources: `govwall source add NAME`)")
    return 0


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from dashboard.intake_setup import make_intake
    from dashboard.runtime import open_runtime
    from data_access.intake.files import ImportFileError, format_of, import_file
    from data_access.intake.placement import TerritoryMissing
    from data_access.intake.sources import SourceError, find
    from data_access.migrate import upgrade

    path = Path(args.file)
    if not path.is_file():
        print(f"govwall import: no file {path}", file=sys.stderr)
        return 2
    try:
        fmt = args.format or format_of(path)
    except ImportFileError as exc:
        print(f"govwall import: {exc}", file=sys.stderr)
        return 2
    runtime = open_runtime(settings)
    try:
        upgrade(runtime.engine)
        with runtime.sessions() as session:
            source = find(session, args.source)
        intake = make_intake(runtime)
        options = {"fmt": fmt, "encoding": args.encoding, "batch_size": args.batch,
                   "fresh": args.fresh,
                   "bulk": {"auto": None, "on": True, "off": False}[args.bulk]}
        if args.quiet:  # no bar: tqdm not even loaded (70 ms of the start)
            result = import_file(intake, source, path, **options)
        else:
            from tqdm import tqdm

            unit = "rows" if fmt == "xlsx" else "B"
            total = None if fmt == "xlsx" else path.stat().st_size
            with tqdm(total=total, unit=unit, unit_scale=True, desc=path.name) as bar:
                def show(position: int, result) -> None:
                    bar.update(position - bar.n)
                    bar.set_postfix(accepted=result.accepted, dup=result.duplicate,
                                    rejected=result.rejected, refresh=False)

                result = import_file(intake, source, path, progress=show, **options)
    except (SourceError, ImportFileError) as exc:
        print(f"govwall import: {exc}", file=sys.stderr)
        return 1
    except TerritoryMissing as exc:
        print(f"govwall import: {exc}", file=sys.stderr)
        return 2
    finally:
        runtime.close()
    print(f"{path.name}: {result.rows} rows read in {result.batches} batches"
          + (f" (resumed: {result.skipped} rows of an earlier run skipped)"
             if result.skipped else "")
          + f"; accepted {result.accepted}, duplicate {result.duplicate}, "
            f"rejected {result.rejected}"
          + ("; bulk mode (indexes dropped for the load, rebuilt)" if result.bulk else ""))
    if result.rejected:
        print(f"rejected rows and their reasons: {result.rejected_file}")
    return 0 if not result.rejected else 3


def cmd_source_poll(settings: Settings, args: argparse.Namespace) -> int:
    import logging
    import threading

    from dashboard.intake_setup import make_intake
    from dashboard.runtime import open_runtime
    from data_access.intake.placement import TerritoryMissing
    from data_access.intake.polling import Poller, StagingTableError, configure
    from data_access.intake.sources import SourceError
    from data_access.migrate import upgrade

    if (args.url is None) != (args.table is None):
        print("govwall source poll: give --url and --table together", file=sys.stderr)
        return 2
    runtime = open_runtime(settings)
    poller = None
    try:
        upgrade(runtime.engine)
        # After the upgrade: Alembic's own lines are not the poller's news.
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
        if args.url:
            with runtime.sessions.begin() as session:
                configure(session, args.name, args.url, args.table)
            print(f"source {args.name}: staging table {args.table} saved; serve and demo "
                  "poll it too")
        poller = Poller(make_intake(runtime), runtime.sessions, args.name, page=args.page)
        if args.once:
            total = 0
            while (read := poller.poll_once()) > 0:
                total += read
            print(f"source {args.name}: {total} staging rows read")
            return 0
        print(f"polling source {args.name} every {args.interval}s (Ctrl-C stops)")
        stop = threading.Event()
        try:
            poller.run(stop, interval=args.interval)
        except KeyboardInterrupt:
            stop.set()
        return 0
    except SourceError as exc:
        print(f"govwall source poll: {exc}", file=sys.stderr)
        return 1
    except (TerritoryMissing, StagingTableError) as exc:  # --once (the loop retries them)
        print(f"govwall source poll: {exc}", file=sys.stderr)
        return 2
    finally:
        if poller is not None:
            poller.close()
        runtime.close()


def add_intake_commands(sub) -> None:
    p = sub.add_parser("import", help="Import cases from a CSV, XLSX or JSONL file.",
                       description="Import cases from a CSV (UTF-8 or GBK), XLSX or JSONL file "
                       "for a source, in resumable batches (a rerun after a crash goes on "
                       "after the last committed batch; a row sent twice is a duplicate). "
                       "Rejected rows go to FILE.rejected.csv. Exit status 3 when some rows "
                       "were rejected.")
    p.add_argument("file", help="the file; columns are the API's case fields")
    p.add_argument("--source", required=True, help="the source the cases come from "
                   "(govwall source add)")
    p.add_argument("--format", choices=["csv", "xlsx", "jsonl"],
                   help="the file's format (default: from its extension)")
    p.add_argument("--encoding", help="a CSV's encoding, e.g. gbk (default: UTF-8 if its "
                   "start decodes as UTF-8, else GB18030, GBK's superset)")
    p.add_argument("--batch", type=int, default=20_000,
                   help="rows per transaction (the column path handles a batch at once)")
    p.add_argument("--fresh", action="store_true",
                   help="start from the first row even if an earlier run was interrupted")
    p.add_argument("--bulk", choices=["auto", "on", "off"], default="auto",
                   help="PostgreSQL: drop the secondary indexes and foreign keys of cases, "
                   "case_transitions and intake_records for the load and rebuild them after "
                   "it (1.4 times as fast on the bench's 1 M rows into an empty table; meanwhile "
                   "the wall's and /ops' queries on cases run without those indexes, and the "
                   "rebuild holds up writes). auto: when the "
                   "file has at least 200,000 rows and at least as many as cases holds. An "
                   "interrupted bulk import's indexes come back with the next import or "
                   "`govwall init-db`. Ignored on SQLite")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=cmd_import)

    source = sub.add_parser("source", help="Systems that send real cases (API, polling).",
                            description="Systems that send real cases: the 12345 platform, "
                            "a grid app, the 综治 platform.")
    ssub = source.add_subparsers(dest="source_command", required=True, metavar="ACTION",
                                 help="one of these; each has --help")
    p = ssub.add_parser("add", help="Register a source and print its API token once.",
                        description="Register a source and print its API token once (only "
                        "its hash is stored).")
    p.add_argument("name", help="2-16 of a-z, 0-9, _ (the prefix of its cases' ids)")
    p.add_argument("--county", help="the county its unplaced cases go to "
                   "(default: the region's first county)")
    p.set_defaults(handler=cmd_source_add)
    p = ssub.add_parser("list", help="Sources and today's data quality.",
                        description="Sources and today's data quality: received, rejected, "
                        "unplaced, unknown codes, lag from the source's report to arrival.")
    p.set_defaults(handler=cmd_source_list)
    p = ssub.add_parser("revoke", help="Refuse a source's token from now on.",
                        description="Refuse a source's token from now on.")
    p.add_argument("name", help="the source's name")
    p.set_defaults(handler=cmd_source_revoke)
    p = ssub.add_parser("token", help="Give a source a new token (the old one stops).",
                        description="Give a source a new token; the old one stops working.")
    p.add_argument("name", help="the source's name")
    p.set_defaults(handler=cmd_source_token)
    p = ssub.add_parser("poll", help="Read a source's staging table (前置库) into govwall.",
                        description="Read new and changed rows of a source's staging table "
                        "(前置库) by a cursor (updated_at, source_case_id) and ingest them; "
                        "runs until interrupted. --url and --table save where the table is "
                        "(serve and demo then poll it too).")
    p.add_argument("name", help="the source's name")
    p.add_argument("--url", help="the staging database's SQLAlchemy URL (default: the one "
                   "saved before)")
    p.add_argument("--table", help="the staging table or view (default: the one saved "
                   "before)")
    p.add_argument("--interval", type=float, default=2.0, help="seconds between rounds")
    p.add_argument("--once", action="store_true", help="read what is there, then stop")
    p.add_argument("--page", type=int, default=500, help="rows per round (one transaction)")
    p.set_defaults(handler=cmd_source_poll)
