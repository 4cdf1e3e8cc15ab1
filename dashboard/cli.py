"""The `govwall` command. Each subcommand has --help; bad settings print one line, exit 2."""
from __future__ import annotations

import argparse
import dataclasses
import errno
import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from dashboard.settings import Settings, SettingsError, load_settings

DEMO_HISTORY_DAYS = 60


def _runtime(settings: Settings):
    from dashboard.runtime import open_runtime

    return open_runtime(settings)


def cmd_init_db(settings: Settings, args: argparse.Namespace) -> int:
    """The schema at head and, where the units table is empty, the region's territory
    (real county boundaries, real township and village names): without it no case can be
    placed and the wall has no units. A territory already there is left alone."""
    from data_access.db import make_engine, session_factory
    from data_access.migrate import upgrade
    from simulation.bootstrap import ensure_territory

    engine = make_engine(settings.effective_database_url)
    try:
        upgrade(engine)
        ensure_territory(session_factory(engine), settings.region, seed=7)
    finally:
        engine.dispose()
    print(f"database at schema head, territory of {settings.region} in place: "
          f"{settings.effective_database_url}")
    return 0


def _has_cases(database_url: str) -> bool:
    from sqlalchemy import inspect

    from data_access.db import make_engine, session_factory
    from data_access.stats import has_cases

    engine = make_engine(database_url)
    try:
        if not inspect(engine).has_table("cases"):
            return False
        with session_factory(engine)() as session:
            return has_cases(session)
    finally:
        engine.dispose()


def _json_value(value: Any) -> Any:
    """The summary's HotSpot runs and their days, as JSON."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def cmd_seed(settings: Settings, args: argparse.Namespace) -> int:
    from data_access.history_reset import remove_case_history
    from data_access.migrate import upgrade
    from simulation.bootstrap import ensure_territory
    from simulation.seed import seed_history

    # Checked before anything is opened or written: a second run must not silently double
    # the history (it did, one full copy per run).
    if not (args.add or args.replace) and _has_cases(settings.effective_database_url):
        print("govwall seed: the database already has cases; give --add to write more "
              "history on top of them, or --replace to remove them first", file=sys.stderr)
        return 1
    rt = _runtime(settings)
    try:
        upgrade(rt.engine)
        removed = remove_case_history(rt.engine, rt.counters, rt.clock()) \
            if args.replace else None
        ensure_territory(rt.sessions, settings.region, seed=args.seed)
        summary = seed_history(rt.sessions, rt.counters, settings.region, days=args.days,
                               seed=args.seed, zone=settings.zone)
        _inject(rt, settings, args.inject, args.seed)
    finally:
        rt.close()
    if removed is not None:
        summary["removed"] = removed
    print(json.dumps(summary, ensure_ascii=False, default=_json_value))
    return 0


def _inject(rt, settings: Settings, kinds: list[str] | None, seed: int | None) -> None:
    """Write the warning scenarios (`--inject`) and print where they are."""
    if not kinds:
        return
    from simulation.inject import inject

    truth = inject(rt.sessions, rt.counters, settings.region, kinds, rt.clock(),
                   seed=seed if seed is not None else 1)
    print(json.dumps({"injected": truth}, ensure_ascii=False), flush=True)


def _kinds(text: str) -> list[str]:
    """--inject surge,cluster,caller"""
    from simulation.inject import KINDS

    kinds = [k.strip() for k in text.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give some of {','.join(KINDS)}, separated by commas")
    return kinds


def cmd_simulate(settings: Settings, args: argparse.Namespace) -> int:
    from simulation.live import run_live

    rt = _runtime(settings)
    stop = threading.Event()
    try:
        _inject(rt, settings, args.inject, args.seed)
        run_live(rt.sessions, rt.counters, settings.region, speed=args.speed, zone=settings.zone,
                 stop=stop, seed=args.seed, duration=args.duration)
    except KeyboardInterrupt:
        stop.set()
    finally:
        rt.close()
    return 0


def cmd_stats(settings: Settings, args: argparse.Namespace) -> int:
    from data_access.stats import collect_stats

    rt = _runtime(settings)
    try:
        with rt.sessions() as session:
            stats = collect_stats(session, settings.region, settings.zone, datetime.now(UTC))
    finally:
        rt.close()
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, indent=2))
    else:
        for key, value in stats.items():
            print(f"{key}: {value}")
    return 0


def cmd_warnings_detect(settings: Settings, args: argparse.Namespace) -> int:
    from data_access.warnings import surges
    from data_access.warnings.detect import DetectConfig, run_locked

    rt = _runtime(settings)
    config = DetectConfig(surge=surges.configured(settings.warning_budget,
                                                  settings.warning_cusum_share))
    try:
        summary = run_locked(rt.sessions, rt.redis, settings.redis_namespace, settings.region,
                             settings.zone, rt.clock(), settings.caller_secret, config,
                             hour=args.hour)
    finally:
        rt.close()
    if summary is None:
        print("govwall warnings detect: another process is detecting now; nothing done",
              file=sys.stderr)
        return 1
    print(json.dumps(summary, ensure_ascii=False))
    return 0


def cmd_counters_rebuild(settings: Settings, args: argparse.Namespace) -> int:
    from data_access.counter_sync import rebuild_today

    rt = _runtime(settings)
    try:
        with rt.sessions() as session:
            applied = rebuild_today(session, rt.counters, datetime.now(UTC))
    finally:
        rt.close()
    print(f"counters rebuilt from the database: {applied} events")
    return 0


def cmd_rollup_rebuild(settings: Settings, args: argparse.Namespace) -> int:
    from data_access import rollups
    from data_access.reports import rollup as leaders

    rt = _runtime(settings)
    today = datetime.now(UTC).astimezone(settings.zone).date()
    started = time.perf_counter()
    try:
        with rt.sessions.begin() as session:
            rows = rollups.rebuild(session, settings.zone, today - timedelta(days=args.days - 1),
                                   today)
        if rt.engine.dialect.name == "postgresql":
            # Fresh statistics, or the planner takes the new rows for none and sorts them.
            months = ", ".join(c.monthly.__tablename__ for c in leaders.MONTH_COPIES)
            with rt.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE case_daily, township_daily, topic_daily, grid_daily, "
                                     + months)
                conn.commit()
    finally:
        rt.close()
    print(f"case_daily rebuilt for the last {args.days} days: {rows} rows in "
          f"{time.perf_counter() - started:.1f} s (township_daily, topic_daily and grid_daily "
          "with it, and their month tables)")
    return 0


def cmd_briefing(settings: Settings, args: argparse.Namespace) -> int:
    from dashboard.briefing_text import figures_json, figures_text
    from data_access.reports import periods
    from data_access.reports.figures import period_figures
    from data_access.wall_scope import ScopeError

    if args.action == "schedule":
        return _briefing_schedule(settings, args)
    if args.date is None:
        print("govwall briefing: --date is required (e.g. --date 2026-11)", file=sys.stderr)
        return 2
    try:
        period = periods.parse(args.period, args.date)
    except ValueError as exc:
        print(f"govwall briefing: {exc}", file=sys.stderr)
        return 2
    unit = args.unit or settings.region
    rt = _runtime(settings)
    started = time.perf_counter()
    try:
        if args.format in ("docx", "pdf", "xlsx"):
            from dashboard.briefing_files import file_name, make

            body = make(rt.sessions, unit, period, settings.zone, rt.clock(), args.format,
                        args.lang, settings.weights)
            path = Path(args.out or file_name(unit, period, args.format))
            path.write_bytes(body)
            print(f"{path}: {len(body):,} bytes in {time.perf_counter() - started:.1f} s")
            return 0
        with rt.sessions() as session:
            result = period_figures(session, unit, period, settings.zone, rt.clock())
    except ScopeError as exc:
        print(f"govwall briefing: {exc}", file=sys.stderr)
        return 2
    finally:
        rt.close()
    print(figures_json(result) if args.format == "json" else figures_text(result, args.lang))
    return 0


def _briefing_schedule(settings: Settings, args: argparse.Namespace) -> int:
    from dashboard.briefing_files import generate
    from data_access.wall_scope import ScopeError, scope_for

    if args.dir is None:
        print("govwall briefing schedule: --dir is required", file=sys.stderr)
        return 2
    formats = [f for f in args.formats.split(",") if f]
    bad = [f for f in formats if f not in ("docx", "pdf", "xlsx")]
    unit = args.unit or settings.region
    try:
        scope_for(unit)
    except ScopeError as exc:
        print(f"govwall briefing schedule: {exc}", file=sys.stderr)
        return 2
    if bad or not formats:
        print(f"govwall briefing schedule: --formats: docx, pdf, xlsx (not {bad})",
              file=sys.stderr)
        return 2
    rt = _runtime(settings)
    try:
        done = generate(rt.sessions, Path(args.dir), unit, args.every, formats, settings.zone,
                        rt.clock(), args.lang, args.back, settings.weights)
    finally:
        rt.close()
    for path, written in done:
        print(f"{'written' if written else 'already there'}: {path}")
    return 0


def cmd_geo_import(settings: Settings, args: argparse.Namespace) -> int:
    from data_access.db import make_engine, session_factory
    from data_access.geo_import import GeoImportError, import_boundaries

    sessions = session_factory(make_engine(settings.effective_database_url))
    try:
        result = import_boundaries(sessions, Path(args.file), args.level)
    except GeoImportError as exc:
        print(f"govwall geo import: {exc}", file=sys.stderr)
        return 1
    print(f"imported {args.level} boundaries: {result}")
    return 0


def listen_problem(host: str, port: int, busy_hint: str) -> str | None:
    """Why the web server could not listen on host:port, or None. Asked before anything
    else happens, so that a busy port costs one line, not a seed followed by a traceback."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        with socket.socket(family, kind, proto) as probe:
            # As werkzeug and gunicorn do: a port left in TIME_WAIT is free to them.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        hint = f" ({busy_hint})" if exc.errno == errno.EADDRINUSE else ""
        return f"cannot listen on {host}:{port}: {exc.strerror or exc}{hint}"
    return None


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from dashboard.server import serve

    if problem := listen_problem(args.host, args.port, "choose another with --port"):
        print(f"govwall serve: {problem}", file=sys.stderr)
        return 1
    serve(settings, host=args.host, port=args.port, workers=args.workers,
          access_log=args.access_log)
    return 0


def cmd_background(settings: Settings, args: argparse.Namespace) -> int:
    from dashboard.background import run

    return run(settings)


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from dashboard.demo import run_demo

    if problem := listen_problem(args.host, args.port,
                                 "choose another with --port, or make demo PORT=..."):
        print(f"govwall demo: {problem}", file=sys.stderr)
        return 1
    return run_demo(settings, host=args.host, port=args.port, days=args.days,
                    speed=args.speed, access_log=args.access_log)


def _add_user_commands(sub) -> None:
    """`govwall user add` and `govwall kiosk-token` live with the sign-in code."""
    from dashboard.accounts_cli import add_account_commands

    add_account_commands(sub)


def _positive(text: str) -> int:
    """A count of days or workers: --days 0 or -3 used to seed nothing and report success."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def _port(text: str) -> int:
    """A TCP port to listen on; 0 (any free port) would print a URL nobody can open."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)")
    return int(text)


class _HelpFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default: "(default: 60)", "(default: off)" for a
    flag, "(required)". An option whose default is no value explains it in its own words."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if not action.option_strings or "(default" in text or "(required" in text:
            return text
        if action.required:
            return f"{text} (required)"
        if action.nargs == 0 and action.default is False:
            return f"{text} (default: off)"
        if action.default not in (None, argparse.SUPPRESS):
            return f"{text} (default: %(default)s)"
        return text


class _Parser(argparse.ArgumentParser):
    """Subcommands' parsers are made of this class too (argparse's default), so all of
    them, `user` and `kiosk-token` included, format help alike."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="govwall",
        description="Operations wall for social-governance command centers. "
        "Configured by GOVWALL_* environment variables (see README).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                help="one of these; each has --help")

    def command(name: str, handler: Callable, help_text: str,
                description: str | None = None) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=description or help_text)
        p.set_defaults(handler=handler)
        return p

    def web_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--host", default="127.0.0.1",
                       help="address to listen on; 0.0.0.0 for every interface")
        p.add_argument("--port", type=_port, default=8050, help="port to listen on")
        p.add_argument("--access-log", action="store_true",
                       help="log every request (errors are always logged)")

    command("init-db", cmd_init_db, "Create or upgrade the database schema (Alembic) and build "
            "the region's territory if the database has none.")

    p = command("seed", cmd_seed, "Write N days of history (deterministic for a given seed).",
                "Create the schema and the region's territory if missing and write N days of "
                "history up to now (deterministic for a given seed). A database that already "
                "has cases is refused unless --add or --replace says what to do with them.")
    p.add_argument("--days", type=_positive, default=DEMO_HISTORY_DAYS,
                   help="days of history, ending today")
    p.add_argument("--seed", type=int, default=7,
                   help="random seed: the same seed and days give the same history")
    existing = p.add_mutually_exclusive_group()
    existing.add_argument("--add", action="store_true",
                          help="keep the cases there and write N more days of history on top")
    existing.add_argument("--replace", action="store_true",
                          help="first remove the cases, their transitions, patrol check-ins, "
                          "the case_daily rollup and Redis's day counters (territory, grid "
                          "workers, people and kiosk tokens stay)")

    p.add_argument("--inject", type=_kinds, default=None, metavar="KINDS",
                   help="after the history, write early-warning scenarios with a known "
                   "truth: some of surge,cluster,caller (default: none)")

    p = command("simulate", cmd_simulate, "Run the live flow of cases against the database "
                "and Redis until interrupted.")
    p.add_argument("--speed", type=float, default=1.0, help="time acceleration (1 = real time)")
    p.add_argument("--seed", type=int, default=None,
                   help="random seed of the flow (default: a new one each run)")
    p.add_argument("--duration", type=float, default=None,
                   help="stop after this many wall-clock seconds (default: run until "
                   "interrupted)")
    p.add_argument("--inject", type=_kinds, default=None, metavar="KINDS",
                   help="first write early-warning scenarios with a known truth: some of "
                   "surge,cluster,caller (default: none)")

    p = command("serve", cmd_serve, "Serve the web app with gunicorn (production).")
    web_options(p)
    p.add_argument("--workers", type=_positive, default=2, help="gunicorn worker processes")

    command("background", cmd_background, "The work of `serve` that answers no request: the "
            "wall's refresher, the staging-table pollers and the early-warning detector, "
            "until stopped (serve starts it and keeps it running; run it yourself only "
            "beside web servers started otherwise).")

    p = command("demo", cmd_demo, "Everything on the embedded defaults: migrate, seed if "
                "empty, embedded Redis, live simulator and web server.")
    web_options(p)
    p.add_argument("--days", type=_positive, default=DEMO_HISTORY_DAYS,
                   help="days of history seeded when the database has no cases")
    p.add_argument("--speed", type=float, default=1.0,
                   help="the live flow's time acceleration (1 = real time)")

    p = command("stats", cmd_stats, "Print the database's headline figures.")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = command("briefing", cmd_briefing, "A leaders' briefing: a period's indicators with "
                "环比 and 同比, as text, JSON, Word, PDF or XLSX; `schedule` writes them into a "
                "folder.",
                "A period's indicators for a unit (from the township_daily rollup), each with "
                "the previous period (环比) and the same period a year before (同比); with "
                "--format docx|pdf|xlsx the whole briefing (rankings, hot issues, trends) as a "
                "file. `govwall briefing schedule --every month --dir DIR` writes the last whole "
                "period's files into DIR unless they are there: run it daily from cron.")
    p.add_argument("action", nargs="?", choices=["schedule"], metavar="schedule",
                   help="write the last whole week's or month's files into --dir (default: "
                   "none: the period given by --period and --date)")
    p.add_argument("--period", choices=["day", "week", "month", "quarter", "year", "custom"],
                   default="month", help="the kind of period (default: month)")
    p.add_argument("--date", default=None,
                   help="the period: a day inside it (2026-11-05) or its label (2026-11, "
                   "2026-Q4, 2026-W48, 2026; custom: 2026-11-01..2026-11-15) (default: none; "
                   "required unless schedule)")
    p.add_argument("--unit", default=None,
                   help="320000 (province), a city, county or 9-digit township code "
                   "(default: GOVWALL_REGION)")
    p.add_argument("--format", choices=["text", "json", "docx", "pdf", "xlsx"], default="text",
                   help="text or json: the indicators; docx, pdf, xlsx: the whole briefing "
                   "(default: text)")
    p.add_argument("--out", default=None,
                   help="the file to write (default: briefing-UNIT-PERIOD.FORMAT here)")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="language (default: zh)")
    p.add_argument("--every", choices=["week", "month"], default="month",
                   help="schedule: the kind of period to write (default: month)")
    p.add_argument("--dir", default=None, help="schedule: the folder to write into (default: "
                   "none; required by schedule)")
    p.add_argument("--formats", default="docx,pdf,xlsx",
                   help="schedule: comma-separated formats (default: docx,pdf,xlsx)")
    p.add_argument("--back", type=_positive, default=1,
                   help="schedule: how many whole periods back to make sure of (default: 1)")

    counters = sub.add_parser("counters", help="Redis counters maintenance.",
                              description="Redis counters maintenance.")
    csub = counters.add_subparsers(dest="counters_command", required=True, metavar="ACTION",
                                   help="one of these; each has --help")
    p = csub.add_parser("rebuild", help="Recompute today's counters from the database.",
                        description="Recompute today's counters from the database.")
    p.set_defaults(handler=cmd_counters_rebuild)

    warnings = sub.add_parser("warnings", help="Early warnings (预警).",
                              description="Early warnings (预警): surges, repeat complaints, "
                              "repeat callers.")
    wsub = warnings.add_subparsers(dest="warnings_command", required=True, metavar="ACTION",
                                   help="one of these; each has --help")
    p = wsub.add_parser("detect", help="Run every detector once and store the warnings.",
                        description="Run every detector once (surges, repeat complaints, "
                        "repeat callers) over the region's cases up to now, or up to a local "
                        "hour of today, and store what they find; prints a JSON summary.")
    p.add_argument("--hour", type=int, choices=range(1, 25), metavar="H", default=None,
                   help="detect as of local hour H (1-24) of today instead of now "
                   "(default: now)")
    p.set_defaults(handler=cmd_warnings_detect)

    rollup = sub.add_parser("rollup", help="The case_daily rollup the wall's trends read.",
                            description="The case_daily rollup the wall's trends read.")
    rsub = rollup.add_subparsers(dest="rollup_command", required=True, metavar="ACTION",
                                 help="one of these; each has --help")
    p = rsub.add_parser("rebuild", help="Recompute the last N local days from the case table.",
                        description="Recompute case_daily for the last N local days from the "
                        "case table (after a bulk import, or to backfill an existing database).")
    p.add_argument("--days", type=_positive, default=400,
                   help="local days back from today, today included")
    p.set_defaults(handler=cmd_rollup_rebuild)

    geo = sub.add_parser("geo", help="Territory boundaries.", description="Territory boundaries.")
    gsub = geo.add_subparsers(dest="geo_command", required=True, metavar="ACTION",
                              help="one of these; each has --help")
    p = gsub.add_parser("import", help="Load a center's own township/village/grid boundaries.",
                        description="Load a center's own township/village/grid boundaries from a "
                        "GeoJSON FeatureCollection (properties: code, name, households).")
    p.add_argument("file", help="the GeoJSON file")
    p.add_argument("--level", required=True, choices=["township", "village", "grid"],
                   help="which level the file's features are")
    p.set_defaults(handler=cmd_geo_import)

    _add_user_commands(sub)
    from dashboard.intake_cli import add_intake_commands

    add_intake_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"govwall: {exc}", file=sys.stderr)
        return 2
    return args.handler(settings, args)


if __name__ == "__main__":
    sys.exit(main())
