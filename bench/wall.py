"""Wall benchmarks on a seeded region (PostgreSQL + Redis by default). Prints figures.

  .venv/bin/python bench/wall.py --days 30            # seed if the database is empty
  .venv/bin/python bench/wall.py --screens 1,10,50 --poll-seconds 30

Measures, through the real callbacks and the shared cache:
  - server time of a full refresh of every panel, cold cache and warm (p50/p95)
  - database statements per minute with N screens polling at the wall's intervals
  - gzip bytes of the Dash callback responses per refresh, and per screen per 5 s
"""
from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from layouts.wall import ids  # noqa: E402
from layouts.wall.page import REFRESH_SECONDS, config  # noqa: E402

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/govwall_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"


def ensure_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                           {"n": parsed.database}):
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def prepare(args):
    from dashboard.app import create_app
    from dashboard.runtime import open_runtime
    from dashboard.settings import Settings
    from data_access.counter_sync import rebuild_today
    from data_access.migrate import upgrade
    from data_access.stats import has_cases
    from simulation.bootstrap import ensure_territory
    from simulation.seed import seed_history

    ensure_database(args.database_url)
    settings = Settings(env="test", database_url=args.database_url, redis_url=args.redis_url,
                        redis_namespace="govwall_bench", region=args.region)
    runtime = open_runtime(settings)
    upgrade(runtime.engine)
    ensure_territory(runtime.sessions, args.region, seed=7)
    with runtime.sessions() as session:
        empty = not has_cases(session)
    if empty:
        print(f"seeding {args.days} days for {args.region} ...", flush=True)
        print(seed_history(runtime.sessions, runtime.counters, args.region, days=args.days,
                           seed=7, zone=settings.zone), flush=True)
    with runtime.sessions() as session:
        rebuild_today(session, runtime.counters, datetime.now(UTC))
        cases = session.scalar(text("SELECT count(*) FROM cases"))
    print(f"cases in the database: {cases:,}")
    return create_app(settings, runtime), runtime


def panel_calls(cfg: dict):
    from callbacks.wall.alerts import refresh_alerts
    from callbacks.wall.coverage import refresh_map
    from callbacks.wall.disputes import refresh_disputes
    from callbacks.wall.kpis import refresh_kpis
    from callbacks.wall.mix import refresh_mix
    from callbacks.wall.queue import refresh_queue

    map_key = refresh_map(1, None, cfg, None, None)[1]
    return {
        "kpis": lambda: refresh_kpis(1, None, cfg, None),
        "queue": lambda: refresh_queue(1, None, cfg, None),
        "alerts": lambda: refresh_alerts(1, None, cfg, None),
        # A screen that already shows the map gets a Patch of the values.
        "coverage": lambda: refresh_map(1, None, cfg, None, map_key),
        "disputes": lambda: refresh_disputes(1, None, cfg, None),
        "mix": lambda: refresh_mix(1, None, cfg, None),
    }


def clear_cache(runtime) -> None:
    for key in runtime.redis.scan_iter(match="govwall_bench:v1:cache:*", count=1000):
        runtime.redis.delete(key)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_refresh(runtime, calls, cold_runs: int, warm_runs: int) -> None:
    cold, per_panel = [], {p: [] for p in calls}
    for _ in range(cold_runs):
        clear_cache(runtime)
        start = time.perf_counter()
        for panel, call in calls.items():
            t0 = time.perf_counter()
            call()
            per_panel[panel].append(time.perf_counter() - t0)
        cold.append(time.perf_counter() - start)
    warm = []
    for _ in range(warm_runs):
        start = time.perf_counter()
        for call in calls.values():
            call()
        warm.append(time.perf_counter() - start)
    print(f"full refresh, cold cache ({cold_runs} runs): "
          f"p50 {1000 * statistics.median(cold):.0f} ms  p95 {1000 * pct(cold, .95):.0f} ms")
    print("  per panel cold p50: " + ", ".join(
        f"{p} {1000 * statistics.median(v):.0f} ms" for p, v in per_panel.items()))
    print(f"full refresh, warm cache ({warm_runs} runs): "
          f"p50 {1000 * statistics.median(warm):.1f} ms  p95 {1000 * pct(warm, .95):.1f} ms")


def bench_screens(runtime, calls, screens: int, seconds: float) -> float:
    statements = [0]
    lock = threading.Lock()

    def count(*_args):
        with lock:
            statements[0] += 1

    event.listen(runtime.engine, "before_cursor_execute", count)
    stop = time.monotonic() + seconds

    def screen() -> None:
        due = dict.fromkeys(calls, 0.0)
        while (now := time.monotonic()) < stop:
            for panel, call in calls.items():
                if now >= due[panel]:
                    call()
                    due[panel] = now + REFRESH_SECONDS[panel]
            time.sleep(0.2)

    threads = [threading.Thread(target=screen) for _ in range(screens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    event.remove(runtime.engine, "before_cursor_execute", count)
    return statements[0] * 60 / seconds


def dash_payload(app, output_prefix: str, values: dict) -> tuple[str, dict]:
    for key, spec in app.callback_map.items():
        if output_prefix in key and "clientside_function" not in spec:
            body = {
                "output": key,
                "outputs": [{"id": o.split(".")[0], "property": o.split(".")[1]}
                            for o in key.strip(".").split("...")],
                "inputs": [{**i, "value": values.get(i["id"])} for i in spec["inputs"]],
                "state": [{**s, "value": values.get(s["id"])} for s in spec["state"]],
                "changedPropIds": [f"{spec['inputs'][0]['id']}.n_intervals"],
            }
            return key, body
    raise KeyError(output_prefix)


def bench_bytes(app, cfg: dict) -> None:
    from data_access.accounts import create_kiosk_token

    with app.server.config["GOVWALL_RUNTIME"].sessions.begin() as session:
        _info, kiosk = create_kiosk_token(session, "bench", datetime.now(UTC))
    client = app.server.test_client()
    client.get(f"/wall?kiosk={kiosk}")  # a screen's session, as the guard wants
    origin = {"Origin": "http://localhost", "Accept-Encoding": "gzip"}
    values = {ids.CONFIG: cfg, ids.UNIT: None, **{ids.tick(p): 1 for p in REFRESH_SECONDS}}
    sizes = {}
    for panel, output in (("kpis", ids.KPI_DATA), ("queue", ids.body("queue")),
                          ("alerts", ids.body("alerts")), ("coverage", ids.MAP_GRAPH),
                          ("disputes", ids.DISPUTES_TREND), ("mix", ids.body("mix"))):
        _key, body = dash_payload(app, output, values)
        first = client.post("/_dash-update-component", json=body,
                            headers=origin)
        wire = len(first.get_data())
        if panel == "coverage":
            # The steady state: the figure is on screen, only values travel (Patch).
            shown = json.loads(gzip.decompress(first.get_data()))["response"]
            values[ids.MAP_KEY] = shown[ids.MAP_KEY]["data"]
            _key, body = dash_payload(app, output, values)
            again = client.post("/_dash-update-component", json=body,
                                headers=origin)
            print(f"  coverage first load {wire:,} B, then Patch {len(again.get_data()):,} B")
            wire = len(again.get_data())
        sizes[panel] = wire
    geo = client.get("/wall/geo/320300/township.json", headers=origin)
    print("bytes per refresh (gzip): " + ", ".join(f"{p} {n:,}" for p, n in sizes.items()))
    per_5s = sum(n * 5 / REFRESH_SECONDS[p] for p, n in sizes.items())
    print(f"steady state per screen: {per_5s / 1024:.1f} KB per 5 s")
    print(f"geometry (once, browser-cached): townships {len(geo.get_data()) / 1024:.0f} KB gzip")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS)
    parser.add_argument("--region", default="320300")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--warm-runs", type=int, default=200)
    parser.add_argument("--screens", default="1,10,50")
    parser.add_argument("--poll-seconds", type=float, default=30.0)
    args = parser.parse_args()
    app, runtime = prepare(args)
    cfg = config(None, "zh", None, None, None, "patrol")
    with app.server.test_request_context():
        calls = panel_calls(cfg)
        bench_refresh(runtime, calls, args.cold_runs, args.warm_runs)
        for n in (int(x) for x in args.screens.split(",")):
            rate = bench_screens(runtime, calls, n, args.poll_seconds)
            print(f"database statements per minute with {n:>3} screens: {rate:.0f}")
        bench_bytes(app, cfg)
    runtime.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
