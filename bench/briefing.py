"""Leaders' briefings measured: the /briefing page over HTTP through `govwall serve`, and the
monthly report's files, on a seeded database (PostgreSQL: bench/seed.py --keep NAME).

    .venv/bin/python bench/briefing.py --database-url postgresql+psycopg://…/briefing_bench
        [--redis-url redis://127.0.0.1:6379/5] [--port 8151] [--month 2026-11] [--unit 320300]
        [--requests 40] [--kinds day,week,month,quarter,year,custom]
        [--formats docx,pdf,xlsx]

The database must be at schema head with township_daily built (`govwall rollup rebuild
--days N`). Prints:
  [page] the briefing's data callback (what a pick of period and unit asks), per period kind
         (--kinds: day, week, month, quarter, year, custom — the unit and its --counties, up
         to --requests asks a kind) and over them all: cold (each request a unit and period
         not asked before: computed from the rollup) and warm (the same again within a
         minute: the shared Redis cache), p50/p95/max in ms; GET /briefing.
  [report] the monthly report: collecting its data, and each file format, in seconds.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.wall_http.host import BIN, BenchError, Server, govwall  # noqa: E402

ZONE = ZoneInfo("Asia/Shanghai")
PASSWORD = "bench-briefing-2026"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def line(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (f"{name}: n={len(ms)} p50 {statistics.median(ms):.0f} ms, p95 {pct(ms, 0.95):.0f} "
            f"ms, max {max(ms):.0f} ms")


class Client:
    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def sign_in(self, user: str) -> None:
        page = self.opener.open(f"{self.base}/login").read().decode()
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"username": user, "password": PASSWORD, "csrf": csrf,
                                       "next": "/briefing"}).encode()
        request = urllib.request.Request(f"{self.base}/login", data=body,
                                         headers={"Origin": self.base})
        self.opener.open(request).read()

    def timed(self, request: urllib.request.Request) -> tuple[float, bytes]:
        started = time.perf_counter()
        body = self.opener.open(request, timeout=120).read()
        return time.perf_counter() - started, body

    def briefing(self, kind: str, date: str, unit: str) -> tuple[float, dict]:
        outputs = [("briefing-data", "data"), ("briefing-error", "children"),
                   ("briefing-content", "children"), ("briefing-rank-by", "options"),
                   ("briefing-rank-by", "value")]
        inputs = [("briefing-period", "value", kind), ("briefing-date", "value", date),
                  ("briefing-unit", "value", unit)]
        body = {"output": ".." + "...".join(f"{i}.{p}" for i, p in outputs) + "..",
                "outputs": [{"id": i, "property": p} for i, p in outputs],
                "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
                "state": [{"id": "briefing-lang", "property": "data", "value": "zh"}],
                "changedPropIds": ["briefing-date.value"]}
        request = urllib.request.Request(
            f"{self.base}/_dash-update-component", data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Origin": self.base})
        seconds, raw = self.timed(request)
        answer = json.loads(raw)["response"]
        if answer["briefing-error"]["children"]:
            raise BenchError(f"briefing {kind} {date} {unit}: {answer['briefing-error']}")
        return seconds, answer["briefing-data"]["data"]


def period_labels(kind: str, month: str, count: int) -> list[str]:
    """`count` distinct periods of `kind` ending with --month, newest first, as the page's
    date input carries them: a month's label, or a day inside the period (a week, quarter or
    year), or first..last (custom: spans of 45 days, each ending a week before the last)."""
    year, number = map(int, month.split("-"))
    last = (date(year + number // 12, number % 12 + 1, 1) - timedelta(days=1))
    if kind == "month":
        index = year * 12 + number - 1
        return [f"{(index - i) // 12}-{(index - i) % 12 + 1:02d}" for i in range(count)]
    step = {"day": 1, "week": 7, "quarter": 91, "year": 365, "custom": 7}[kind]
    days = [last - timedelta(days=step * i) for i in range(count)]
    if kind == "year":
        days = days[:3]  # the seeded history's three years
    if kind == "custom":
        return [f"{d - timedelta(days=44)}..{d}" for d in days]
    return [d.isoformat() for d in days]


def page_bench(args: argparse.Namespace, env: dict[str, str], log_dir: Path) -> None:
    user = f"bench-leader-{os.getpid()}"
    done = subprocess.run([str(BIN / "govwall"), "user", "add", user, "--role", "leader",
                           "--password-stdin", "--by", "bench"], env=env, input=PASSWORD + "\n",
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"govwall user add: {done.stderr.strip()}")
    server = Server(env, args.workers, log_dir / "serve.log")
    server.port, server.base = args.port, f"http://127.0.0.1:{args.port}"
    try:
        print(f"[page] govwall serve --workers {args.workers} answering after "
              f"{server.start():.1f} s on {server.base}")
        client = Client(server.base)
        client.sign_in(user)
        units = [args.unit] + [c for c in args.counties.split(",") if c]
        cold_all, warm_all, data = [], [], {}
        for kind in [k for k in args.kinds.split(",") if k]:
            asks = [(u, label) for label in period_labels(kind, args.month, args.requests)
                    for u in units][:args.requests]
            cold, warm = [], []
            for unit, label in asks:
                seconds, data = client.briefing(kind, label, unit)
                cold.append(seconds)
            for unit, label in asks:
                warm.append(client.briefing(kind, label, unit)[0])
            print(f"[page] {kind:7s} {line('cold (rollup)', cold)}; {line('warm', warm)}",
                  flush=True)
            slowest = sorted(zip(cold, asks, strict=True), reverse=True)[:3]
            print(f"[page] {kind:7s} slowest cold: " + ", ".join(
                f"{unit} {label} {seconds * 1000:.0f} ms" for seconds, (unit, label) in slowest),
                flush=True)
            cold_all += cold
            warm_all += warm
        page = [client.timed(urllib.request.Request(f"{server.base}/briefing"))[0]
                for _ in range(10)]
        print(f"[page] every kind {line('cold (rollup)', cold_all)}")
        print(f"[page] every kind {line('warm (cache)', warm_all)}")
        print(f"[page] {line('GET /briefing', page)}")
        first = data["figures"][0]
        print(f"[page] last answer: {data['unit_name']} {data['period']} reported "
              f"{first['value']:,.0f}, {len(data['rankings'])} units ranked")
    finally:
        server.stop()
        govwall(env, "user", "disable", user, "--by", "bench")


def report_bench(args: argparse.Namespace, env: dict[str, str]) -> None:
    os.environ.update(env)
    from dashboard.briefing_report import render
    from dashboard.settings import load_settings
    from data_access.db import make_engine, session_factory
    from data_access.reports import periods
    from data_access.reports.briefing import collect

    settings = load_settings()
    engine = make_engine(settings.effective_database_url)
    period = periods.parse("month", args.month)
    try:
        started = time.perf_counter()
        with session_factory(engine)() as session:
            data = collect(session, args.unit, period, settings.zone, datetime.now(UTC))
        collected = time.perf_counter() - started
        print(f"[report] {args.unit} {period.label}: data collected in {collected:.2f} s")
        for fmt in [f for f in args.formats.split(",") if f]:
            started = time.perf_counter()
            body = render(data, fmt)
            seconds = time.perf_counter() - started
            print(f"[report] {fmt}: {len(body):,} bytes, rendered in {seconds:.1f} s; with the "
                  f"data {seconds + collected:.1f} s")
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--port", type=int, default=8151)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--region", default="320300")
    parser.add_argument("--unit", default="320300")
    parser.add_argument("--counties", default="320302,320303,320305,320311,320312,320321,"
                        "320322,320324,320381,320382", help="more units the page is asked for")
    parser.add_argument("--month", default="2026-11")
    parser.add_argument("--kinds", default="day,week,month,quarter,year,custom",
                        help="the period kinds asked, each --requests times at most")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--formats", default="docx,pdf,xlsx")
    parser.add_argument("--phases", default="page,report")
    args = parser.parse_args(argv)
    with TemporaryDirectory(prefix="briefing-bench-") as folder:
        env = {**os.environ, "GOVWALL_DATABASE_URL": args.database_url,
               "GOVWALL_REDIS_URL": args.redis_url, "GOVWALL_REGION": args.region,
               "GOVWALL_VAR_DIR": folder, "GOVWALL_ENV": "dev",
               "GOVWALL_REDIS_NAMESPACE": f"govwall_bench_briefing_{os.getpid()}"}
        load = os.getloadavg()
        print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load {load[0]:.1f} {load[1]:.1f} "
              f"{load[2]:.1f} on {os.cpu_count()} CPUs; {args.database_url.rsplit('@', 1)[-1]}")
        try:
            if "page" in args.phases:
                page_bench(args, env, Path(folder))
            if "report" in args.phases:
                report_bench(args, env)
        except BenchError as exc:
            print(f"bench/briefing.py: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
