"""The wall measured the way screens use it: over HTTP, through `govwall serve` (gunicorn),
each screen a kiosk session replayed as a browser runs /wall (bench/wall_http/browser.py).

  .venv/bin/python bench/wall.py [--database-url URL] [--days 365] [--workers 2]
      [--redis-url URL] [--screens 1,10,50,200] [--screen-seconds 90] [--observe-minutes 10]
      [--cold-runs 20] [--open-runs 20] [--saturate K] [--phases observe,screens,cold,open]

The database (PostgreSQL by default, or sqlite:///path) is seeded for --region when it has
no cases (`govwall init-db` and `govwall seed --days N`), else used as it is. The bench starts
a redis-server of its own (or uses --redis-url) with a fresh namespace, `govwall serve`, a
kiosk token (revoked at the end), and --saturate K busy loops for the whole run; it stops
them all at the end. It prints, each line labelled:

  [a] a freshly started server: when it answers, and when a screen opened then shows numbers
      on every tile; then (phase observe) the oldest tile's age, now − state.asof, sampled
      each second for --observe-minutes;
  [b] (phase screens) with 1, 10, ... screens polling: database statements and transactions
      per minute (PostgreSQL only), server CPU per minute and per screen, answer times;
  [c] (phase cold) a screen opened right after the view's snapshots were deleted, until every
      tile shows numbers, --cold-runs times: p50/p95, and how soon the refresher had
      recomputed every input;
  [e] (phase open) the running server with one wall on screen: a new screen opens /wall,
      until every tile shows numbers, --open-runs times: p50/p95/max — what a person sees
      who opens the wall on a demo that is already running (the issue's "freshly opened");
  [d] (phase observe) bytes per screen per 5 s in the steady state (response bodies as sent,
      gzip) and a warm tile answer's time p50/p95.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import (  # noqa: E402
    ArgumentError,
    OperationalError,
    ProgrammingError,
    SQLAlchemyError,
)

from bench.wall_http.browser import FIRST_ASK_SECONDS, PANELS, Exchange, Screen  # noqa: E402
from bench.wall_http.host import (  # noqa: E402
    BenchError,
    PostgresStatements,
    RedisServer,
    Saturation,
    Server,
    cpu_seconds,
    govwall,
)
from data_access.snapshots import asof_key  # noqa: E402
from data_access.wall_refresher import INPUTS  # noqa: E402

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/govwall_wall_bench"
PHASES = ("observe", "screens", "cold", "open")
FIRST_NUMBERS_TIMEOUT = 120.0
# New screens open spread over this long (a control room's screens do not start in the same
# millisecond), and the window starts once they have all settled.
RAMP_SECONDS, SETTLE_SECONDS = 10.0, 10.0
STEADY_AFTER_SECONDS = 10.0  # after every tile has numbers: the first frames are behind


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.0995 else f"{seconds * 1000:.1f} ms"


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


class Recorder:
    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    def __call__(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)  # list.append is atomic in CPython

    def tiles(self, start: float, end: float,
              screens: set[int] | None = None) -> list[Exchange]:
        return [e for e in self.exchanges if e.what in PANELS and start <= e.sent < end and
                (screens is None or e.screen in screens)]


# -- the database ---------------------------------------------------------------------------


def prepare_database(url: str, days: int, env: dict[str, str]) -> int:
    """Create (PostgreSQL) and seed the database if it has no cases; its case count."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                               {"n": parsed.database}):
                conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
        admin.dispose()
    engine = create_engine(url)
    try:
        cases = count_cases(engine)
        if cases:
            print(f"database: {parsed.render_as_string(hide_password=True)}, used as it is")
            return cases
        print(f"database: {parsed.render_as_string(hide_password=True)} has no cases: "
              f"seeding {days} days for {env['GOVWALL_REGION']} ...", flush=True)
        started = time.monotonic()
        seed(days, env)
        print(f"  seeded in {time.monotonic() - started:.0f} s")
        return count_cases(engine)
    finally:
        engine.dispose()


def seed(days: int, env: dict[str, str]) -> None:
    """What `govwall init-db` and `govwall seed --days N` do, in process: the command itself
    seeds, then fails printing its summary (HotSpot objects are not JSON) and exits 1."""
    from dashboard.runtime import open_runtime
    from dashboard.settings import load_settings
    from data_access.migrate import upgrade
    from simulation.bootstrap import ensure_territory
    from simulation.seed import seed_history

    settings = load_settings(database_url=env["GOVWALL_DATABASE_URL"],
                             redis_url=env["GOVWALL_REDIS_URL"],
                             redis_namespace=env["GOVWALL_REDIS_NAMESPACE"],
                             region=env["GOVWALL_REGION"])
    runtime = open_runtime(settings)
    try:
        upgrade(runtime.engine)
        ensure_territory(runtime.sessions, settings.region, seed=7)
        seed_history(runtime.sessions, runtime.counters, settings.region, days=days, seed=7,
                     zone=settings.zone)
    finally:
        runtime.close()


def count_cases(engine) -> int:
    try:
        with engine.connect() as conn:
            return int(conn.scalar(text("SELECT count(*) FROM cases")))
    except (OperationalError, ProgrammingError):  # no schema yet
        return 0


def create_kiosk(env: dict[str, str], label: str) -> str:
    out = govwall(env, "kiosk-token", "create", "--label", label)
    lines = out.strip().splitlines()
    return lines[1].strip()


# -- the phases -------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace, server: Server, kiosk: str,
                 client: redis.Redis, namespace: str,
                 statements: PostgresStatements | None, redis_server: RedisServer | None):
        self.args, self.server, self.kiosk = args, server, kiosk
        self.client, self.namespace = client, namespace
        self.statements, self.redis_server = statements, redis_server
        self.recorder = Recorder()
        self.pool = ThreadPoolExecutor(max_workers=min(8 + 6 * max(args.screens), 400),
                                       thread_name_prefix="http")
        self.screens: list[Screen] = []

    def new_screen(self) -> Screen:
        screen = Screen(len(self.screens), self.server.port, self.kiosk, self.pool,
                        self.recorder)
        self.screens.append(screen)
        return screen

    def wait_numbers(self, screen: Screen, timeout: float = FIRST_NUMBERS_TIMEOUT
                     ) -> float | None:
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            if (at := screen.all_data_at()) is not None:
                return at
            time.sleep(0.02)
        return None

    def fresh(self, ready_seconds: float, started: float) -> Screen:
        screen = self.new_screen()
        screen.open()
        at = self.wait_numbers(screen)
        if at is None:
            missing = [p for p, lane in screen.lanes.items() if lane.first_data is None]
            print(f"[a] fresh server: answering HTTP after {ready_seconds:.1f} s; a screen "
                  f"opened then had no numbers on {', '.join(missing)} after "
                  f"{FIRST_NUMBERS_TIMEOUT:.0f} s")
            return screen
        tiles = ", ".join(f"{p} {lane.first_data - screen.opened:.1f}"
                          for p, lane in screen.lanes.items())
        print(f"[a] fresh server: answering HTTP {ready_seconds:.1f} s after start; a screen "
              f"opened then shows numbers on every tile after {at - screen.opened:.1f} s "
              f"({at - started:.1f} s after the server's start); first numbers per tile, s: "
              f"{tiles}", flush=True)
        return screen

    def observe(self, screen: Screen) -> None:
        seconds = self.args.observe_minutes * 60
        samples: list[dict[str, float] | None] = []
        start = time.time()
        end = start + seconds
        while (now := time.time()) < end:
            samples.append(screen.ages(now))
            time.sleep(max(0.0, start + len(samples) - time.time()))
        screen.close()
        full = [s for s in samples if s is not None]
        blank = len(samples) - len(full)
        minutes = f"{seconds / 60:g} min"
        if not full:
            print(f"[a] oldest tile age over {minutes}: some tile never had numbers")
            return
        oldest = [max(s.values()) for s in full]
        most = ", ".join(f"{p} {100 * n / len(full):.0f} %" for p, n in Counter(
            max(s, key=s.__getitem__) for s in full).most_common(2))
        print(f"[a] oldest tile age (now − state.asof, max over tiles) over {minutes}, "
              f"{len(samples)} samples 1/s: p50 {statistics.median(oldest):.1f} s, "
              f"p95 {pct(oldest, .95):.1f} s, max {max(oldest):.1f} s"
              f"{f'; {blank} s with a tile without numbers' if blank else ''}; "
              f"oldest most often: {most}")
        tiles = ", ".join(f"{p} {statistics.median(s[p] for s in full):.0f}/"
                          f"{max(s[p] for s in full):.0f}" for p in PANELS)
        print(f"[a]   each tile's age (its oldest input's), p50/max s: {tiles}")
        first = screen.all_data_at() or start
        steady = self.recorder.tiles(max(start, first + STEADY_AFTER_SECONDS), end,
                                     {screen.number})
        span = end - max(start, first + STEADY_AFTER_SECONDS)
        warm = [e.done - e.sent for e in steady if e.warm and e.status == 200]
        down = sum(e.down for e in steady) * 5 / span
        up = sum(e.up for e in steady) * 5 / span
        per_tile = Counter()
        for e in steady:
            per_tile[e.what] += e.down
        tiles = ", ".join(f"{p} {per_tile[p] * 5 / span:,.0f}" for p in PANELS)
        print(f"[d] steady state, one screen, {span / 60:.1f} min: {down / 1024:.1f} KB per "
              f"screen per 5 s down (response bodies as sent, gzip; headers not counted) and "
              f"{up / 1024:.1f} KB up (request bodies); down per tile, B per 5 s: {tiles}")
        if warm:
            print(f"[d] warm tile answer over HTTP ({len(warm)} answers): "
                  f"p50 {ms(statistics.median(warm))}, p95 {ms(pct(warm, .95))}, "
                  f"max {ms(max(warm))}")

    def crowd(self) -> None:
        counts = self.args.screens
        if self.statements is None:
            print("[b] SQLite: the database is a file inside the server's processes; its "
                  "statements cannot be counted from a database server: CPU only")
        else:
            print(f"[b] {self.statements.method()}")
        print("[b] screens | tile asks/s | answer p50 / p95 | errors | queries/min | of which "
              "session checks | + BEGIN/COMMIT/ROLLBACK, pings /min | transactions/min | "
              "server CPU s/min | per screen | redis CPU s/min | bench CPU s/min | "
              "KB per screen per 5 s")
        crowd: list[Screen] = []
        try:
            for count in counts:
                adding, ramp = count - len(crowd), time.monotonic()
                for i in range(adding):
                    time.sleep(max(0.0, ramp + i * RAMP_SECONDS / adding - time.monotonic()))
                    screen = self.new_screen()
                    screen.open()
                    crowd.append(screen)
                time.sleep(SETTLE_SECONDS)
                self.window(crowd)
        finally:
            for screen in crowd:
                screen.stop.set()
            for screen in crowd:
                screen.close()

    def window(self, crowd: list[Screen]) -> None:
        seconds = self.args.screen_seconds
        mark = self.statements.mark() if self.statements else None
        cpu0, bench0 = self.server.cpu(), cpu_seconds(os.getpid())
        redis0 = self.redis_server.cpu() if self.redis_server else 0.0
        start = time.time()
        time.sleep(seconds)
        end = time.time()
        cpu = (self.server.cpu() - cpu0) * 60 / seconds
        bench = (cpu_seconds(os.getpid()) - bench0) * 60 / seconds
        redis_cpu = ((self.redis_server.cpu() - redis0) * 60 / seconds
                     if self.redis_server else None)
        counted = self.statements.since(mark) if self.statements and mark else None
        n = len(crowd)
        asks = self.recorder.tiles(start, end, {s.number for s in crowd})
        answered = [e.done - e.sent for e in asks if e.status == 200]
        errors = sum(e.status != 200 for e in asks)
        per_min = 60 / seconds
        if counted is None:
            db = "n/a (SQLite) | n/a | n/a | n/a"
        elif counted.queries is None:
            db = f"n/a | n/a | n/a | {counted.transactions * per_min:.0f}"
        else:
            db = " | ".join(f"{x * per_min:.0f}" for x in (
                counted.queries, counted.session_checks, counted.control,
                counted.transactions))
        latency = (f"{ms(statistics.median(answered))} / {ms(pct(answered, .95))}"
                   if answered else "none")
        kb = sum(e.down for e in asks) * 5 / seconds / n / 1024
        print(f"[b] {n:>4} | {len(asks) / seconds:.1f} | {latency} | {errors} | {db} | "
              f"{cpu:.1f} | {cpu / n:.3f} | "
              f"{'n/a' if redis_cpu is None else f'{redis_cpu:.1f}'} | {bench:.1f} | "
              f"{kb:.1f}", flush=True)

    def cold(self) -> None:
        region = self.args.region
        wall = f"{self.namespace}:v1:wall:{region}"
        asof = asof_key(self.namespace, region, region)
        full, filled, failed = [], [], 0
        per_input: dict[str, list[float]] = {name: [] for name in INPUTS}
        for _ in range(self.args.cold_runs):
            self._wait_unlocked(wall)
            keys = [*self.client.scan_iter(match=f"{self.namespace}:v1:cache:snap:*",
                                           count=1000),
                    *self.client.scan_iter(match=f"{wall}:asof:*", count=1000)]
            if keys:
                self.client.delete(*keys)
            cleared = time.time()
            screen = self.new_screen()
            screen.open()
            seen: dict[str, float] = {}
            until = time.monotonic() + FIRST_NUMBERS_TIMEOUT
            while time.monotonic() < until:
                now = time.time()
                for name in self.client.hkeys(asof):
                    seen.setdefault(name, now)
                if len(seen) >= len(INPUTS) and screen.all_data_at() is not None:
                    break
                time.sleep(0.01)
            screen.close()
            at = screen.all_data_at()
            if at is None or len(seen) < len(INPUTS):
                failed += 1
                continue
            full.append(at - screen.opened)
            filled.append(max(seen.values()) - cleared)
            for name, when in seen.items():
                per_input.setdefault(name, []).append(when - cleared)
            time.sleep(1.0)
        if not full:
            print(f"[c] cold full wall: no run ended with every tile showing numbers "
                  f"within {FIRST_NUMBERS_TIMEOUT:.0f} s")
            return
        print(f"[c] cold full wall ({len(full)} runs{f', {failed} failed' if failed else ''}; "
              f"snapshots deleted, then a new screen): every tile shows numbers after "
              f"p50 {statistics.median(full):.2f} s, p95 {pct(full, .95):.2f} s, "
              f"max {max(full):.2f} s")
        print(f"[c]   the refreshers had recomputed all {len(INPUTS)} inputs of the view "
              f"after p50 {statistics.median(filled):.2f} s, p95 {pct(filled, .95):.2f} s; "
              f"a tile that found none asks again {FIRST_ASK_SECONDS:g} s later, on the 1 s tick")
        inputs = ", ".join(f"{name} {statistics.median(times):.2f}"
                           for name, times in sorted(per_input.items(),
                                                     key=lambda x: statistics.median(x[1]))
                           if times)
        print(f"[c]   each input there after (p50, s from deletion): {inputs}")

    def reopen(self) -> None:
        """Phase open: with a wall already on screen (the view in use, as in a control room),
        new screens open /wall one after another; each is timed until every tile shows
        numbers and then closed."""
        wall = self.new_screen()
        wall.open()
        if self.wait_numbers(wall) is None:
            print(f"[e] new screen on a running server: the wall already on screen had no "
                  f"numbers after {FIRST_NUMBERS_TIMEOUT:.0f} s")
            return
        times: list[float] = []
        slowest: Counter[str] = Counter()
        failed = 0
        for _ in range(self.args.open_runs):
            screen = self.new_screen()
            screen.open()
            at = self.wait_numbers(screen)
            screen.close()
            if at is None:
                failed += 1
                continue
            times.append(at - screen.opened)
            last = max(screen.lanes.items(), key=lambda item: item[1].first_data)
            slowest[last[0]] += 1
            time.sleep(2.0)
        wall.close()
        if not times:
            print(f"[e] new screen on a running server: no run ended with every tile "
                  f"showing numbers within {FIRST_NUMBERS_TIMEOUT:.0f} s")
            return
        within = sum(1 for t in times if t <= 10.0)
        last_tiles = ", ".join(f"{panel} {n}" for panel, n in slowest.most_common())
        print(f"[e] new screen on a running server ({len(times)} runs"
              f"{f', {failed} failed' if failed else ''}; one wall already on screen): every "
              f"tile shows numbers after p50 {statistics.median(times):.2f} s, p95 "
              f"{pct(times, .95):.2f} s, max {max(times):.2f} s; within 10 s: {within} of "
              f"{len(times) + failed}; last tile to fill: {last_tiles}; load average now "
              f"{load_average()}", flush=True)

    def _wait_unlocked(self, wall: str, timeout: float = 30.0) -> None:
        """Let a recomputation in progress finish, so that it cannot refill a deleted key."""
        until = time.monotonic() + timeout
        while time.monotonic() < until and \
                next(self.client.scan_iter(match=f"{wall}:lock:*", count=1000), None):
            time.sleep(0.05)

    def close(self) -> None:
        for screen in self.screens:
            screen.stop.set()
        for screen in self.screens:
            screen.close()
        self.pool.shutdown(wait=True, cancel_futures=True)


# -- the run --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[1:]))
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--days", type=int, default=365,
                        help="history to seed when the database has no cases")
    parser.add_argument("--region", default="320300")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--redis-url", help="a Redis to use (default: a redis-server of "
                        "the bench's own)")
    parser.add_argument("--screens", default="1,10,50,200",
                        help="screen counts for phase screens, comma-separated, ascending")
    parser.add_argument("--screen-seconds", type=float, default=90.0,
                        help="measuring window per screen count")
    parser.add_argument("--observe-minutes", type=float, default=10.0)
    parser.add_argument("--cold-runs", type=int, default=20)
    parser.add_argument("--open-runs", type=int, default=20,
                        help="new screens opened one after another in phase open")
    parser.add_argument("--saturate", type=int, default=0, metavar="K",
                        help="K busy-looping processes for the whole run")
    parser.add_argument("--phases", default=",".join(PHASES),
                        help=f"which of {','.join(PHASES)} to run (the fresh-server figure "
                        "is always measured)")
    parser.add_argument("--pg-log", help="PostgreSQL's server log (default: found from the "
                        "server's settings)")
    args = parser.parse_args(argv)
    try:
        args.screens = [int(x) for x in args.screens.split(",") if x.strip()]
    except ValueError:
        parser.error(f"--screens: {args.screens!r} is not a list of numbers, e.g. 1,10,50")
    if any(n < 1 for n in args.screens) or args.screens != sorted(set(args.screens)):
        parser.error("--screens: positive counts in ascending order, e.g. 1,10,50,200")
    args.phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    if unknown := [p for p in args.phases if p not in PHASES]:
        parser.error(f"--phases: unknown {', '.join(unknown)} (known: {', '.join(PHASES)})")
    for name in ("workers", "cold_runs", "open_runs", "days"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.saturate < 0 or args.observe_minutes <= 0 or args.screen_seconds <= 0:
        parser.error("--saturate must be 0 or more; --observe-minutes and --screen-seconds "
                     "more than 0")
    try:
        make_url(args.database_url)
    except ArgumentError:
        parser.error(f"--database-url: {args.database_url!r} is not a SQLAlchemy URL")
    return args


def run(args: argparse.Namespace, workdir: Path, stack: list[Callable[[], None]]) -> None:
    print(f"wall bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs; load "
          f"average at start (1/5/15 min): {load_average()}", flush=True)
    namespace = f"govwall_wall_bench_{uuid.uuid4().hex[:8]}"
    if args.redis_url:
        redis_url, redis_server = args.redis_url, None
    else:
        redis_server = RedisServer(workdir).start()
        stack.append(redis_server.stop)
        redis_url = redis_server.url
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    stack.append(client.close)
    client.ping()
    if args.redis_url:
        stack.append(lambda: _delete_namespace(client, namespace))
    env = {**os.environ, "GOVWALL_DATABASE_URL": args.database_url,
           "GOVWALL_REDIS_URL": redis_url, "GOVWALL_REDIS_NAMESPACE": f"{namespace}_seed",
           "GOVWALL_REGION": args.region, "GOVWALL_ENV": "production",
           "GOVWALL_SECRET_KEY": uuid.uuid4().hex, "GOVWALL_VAR_DIR": str(workdir / "var")}
    cases = prepare_database(args.database_url, args.days, env)
    print(f"cases in the database: {cases:,}")
    _delete_namespace(client, f"{namespace}_seed")  # the seed's counters: not the server's
    env["GOVWALL_REDIS_NAMESPACE"] = namespace
    label = f"wall bench {namespace}"
    kiosk = create_kiosk(env, label)
    stack.append(lambda: govwall(env, "kiosk-token", "revoke", "--label", label))
    statements = None
    if make_url(args.database_url).get_backend_name() == "postgresql":
        statements = PostgresStatements(args.database_url, args.pg_log)
        stack.append(statements.close)
        if statements.pgoptions:
            env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} {statements.pgoptions}".strip()
    if args.saturate:
        saturation = Saturation(args.saturate)
        stack.append(saturation.stop)
        print(f"saturation: {args.saturate} busy-looping processes for the whole run")
    else:
        print("saturation: none")
    server = Server(env, args.workers, workdir / "server.log")
    print(f"server: govwall serve --workers {args.workers} (gunicorn, 4 threads each); "
          f"Redis: {'a redis-server of its own' if redis_server else redis_url}, namespace "
          f"{namespace}; production settings, kiosk-token sessions", flush=True)
    started = time.time()
    stack.append(server.stop)
    ready = server.start()
    bench = Bench(args, server, kiosk, client, namespace, statements, redis_server)
    stack.append(bench.close)
    first = bench.fresh(ready, started)
    if "observe" in args.phases:
        bench.observe(first)
    else:
        first.close()
    if "screens" in args.phases:
        bench.crowd()
    if "cold" in args.phases:
        bench.cold()
    if "open" in args.phases:
        bench.reopen()
    booted = server.booted_workers()
    if booted > args.workers:
        print(f"note: gunicorn booted {booted} workers for --workers {args.workers}: "
              f"some were killed (timeout) and replaced; see {server.log}")


def _delete_namespace(client: redis.Redis, namespace: str) -> None:
    keys = list(client.scan_iter(match=f"{namespace}:*", count=1000))
    for i in range(0, len(keys), 1000):
        client.delete(*keys[i:i + 1000])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stack: list[Callable[[], None]] = []
    code = 0
    with tempfile.TemporaryDirectory(prefix="govwall-wall-bench-") as tmp:
        try:
            run(args, Path(tmp), stack)
        except BenchError as exc:
            print(f"bench/wall.py: {exc}", file=sys.stderr)
            code = 1
        except (SQLAlchemyError, redis.RedisError) as exc:
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            print(f"bench/wall.py: {type(exc).__name__}: {detail}", file=sys.stderr)
            code = 1
        except KeyboardInterrupt:
            code = 130
        finally:
            for stop in reversed(stack):
                try:
                    stop()
                except (BenchError, OSError, redis.RedisError) as exc:
                    print(f"bench/wall.py: while stopping: {exc}", file=sys.stderr)
    print(f"load average at end (1/5/15 min): {load_average()}")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
