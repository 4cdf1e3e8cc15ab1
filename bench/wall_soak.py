"""Browser memory soak of /wall: JS heap after a long run vs. after the warm-up. Prints figures.

  .venv/bin/python bench/wall_soak.py --minutes 60 --warmup 5
  .venv/bin/python bench/wall_soak.py --minutes 6 --warmup 0.5 --speedup 10   # ≈ 1 h of refreshes

Serves the real app on a small seeded region (embedded SQLite + Redis), opens /wall in
headless Chromium and samples the JS heap through the DevTools protocol after a forced
garbage collection. Target: the final heap within 20 % of the heap after the warm-up.

`--speedup N` divides every refresh interval and cache bucket by N (the queue pages and the
map's measure step faster too), so N minutes of refreshes happen in one; a writer thread
reports a case every 20/N s (one in five already overdue) so that panels really change.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def heap_mb(cdp) -> float:
    cdp.send("HeapProfiler.collectGarbage")
    return cdp.send("Runtime.getHeapUsage")["usedSize"] / 2**20


def accelerate(factor: float) -> None:
    """Every timer of the page and every input's maximum age, `factor` times faster."""
    from dataclasses import replace

    from data_access import wall_refresher
    from layouts.wall import page
    from layouts.wall import queue as queue_layout

    page.REFRESH_SECONDS = {p: s / factor for p, s in page.REFRESH_SECONDS.items()}
    page.DEFAULT_MEASURE_SECONDS = page.DEFAULT_MEASURE_SECONDS / factor
    queue_layout.PAGE_SECONDS = queue_layout.PAGE_SECONDS / factor
    wall_refresher.PASS_SECONDS = wall_refresher.PASS_SECONDS / factor
    for name, spec in list(wall_refresher.INPUTS.items()):  # in place: others hold the dict
        wall_refresher.INPUTS[name] = replace(spec, max_age=spec.max_age / factor)


def write_cases(sessions, counters, every: float, stop: threading.Event) -> None:
    from data_access import case_store as cs
    from tests.support.wall_region import GRIDS

    n = 0
    while not stop.wait(every):
        now = datetime.now(UTC)
        draft = cs.CaseDraft(external_id=f"SOAK-{n}", source="grid_patrol", major_class="urban",
                             subclass="manhole", priority="urgent" if n % 7 == 0 else "normal",
                             title=f"浸泡测试 {n}", description="", grid_code=GRIDS[n % 4],
                             lon=None, lat=None, reporter_name=None, reporter_phone=None,
                             address=None)
        due = now - timedelta(minutes=5) if n % 5 == 0 else now + timedelta(days=2)
        with cs.case_change(sessions, counters) as session:
            cs.report_case(session, draft, now, "soak", due)
        n += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--canvas", default="1920x1080")
    parser.add_argument("--speedup", type=float, default=1.0)
    parser.add_argument("--sample-seconds", type=float, default=60.0)
    args = parser.parse_args()
    if args.speedup != 1:
        accelerate(args.speedup)

    import logging

    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from dashboard.app import create_app
    from dashboard.runtime import open_runtime
    from dashboard.settings import Settings
    from data_access.accounts import create_kiosk_token
    from tests.support.backends import open_backend
    from tests.support.wall_region import seed_wall_region

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp, open_backend("embedded", Path(tmp)) as backend:
        seed_wall_region(backend.sessions, backend.counters, datetime.now(UTC))
        with backend.sessions.begin() as session:
            _info, kiosk = create_kiosk_token(session, "soak", datetime.now(UTC))
        settings = Settings(env="test", database_url=backend.database_url,
                            redis_url=backend.redis_url, redis_namespace=backend.namespace,
                            region="320300", var_dir=Path(tmp))
        runtime = open_runtime(settings)
        server = make_server("127.0.0.1", 0, create_app(settings, runtime).server, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        stop = threading.Event()
        threading.Thread(target=write_cases, args=(runtime.sessions, runtime.counters,
                                                   20 / args.speedup, stop), daemon=True).start()
        width, height = (int(x) for x in args.canvas.split("x"))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            page = browser.new_page(viewport={"width": width, "height": height})
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            page.goto(f"http://127.0.0.1:{server.server_port}/wall?kiosk={kiosk}"
                      f"&canvas={args.canvas}")
            started = time.monotonic()
            samples = []
            while (time.monotonic() - started) / 60 < args.minutes:
                page.wait_for_timeout(args.sample_seconds * 1000)
                heap = heap_mb(cdp)  # after a forced GC, so garbage is not counted
                nodes = {m["name"]: m["value"] for m in
                         cdp.send("Performance.getMetrics")["metrics"]}["Nodes"]
                minutes = (time.monotonic() - started) / 60
                samples.append((round(minutes, 2), heap, nodes))
                print(f"{minutes:>6.2f} min ({minutes * args.speedup:>5.0f} min of refreshes)  "
                      f"heap {heap:.1f} MB  DOM nodes {int(nodes)}", flush=True)
            browser.close()
        stop.set()
        server.shutdown()
        runtime.close()
    base = next((s for s in samples if s[0] >= args.warmup), samples[0])
    growth = samples[-1][1] / base[1] - 1
    print(f"heap after warm-up ({base[0]} min): {base[1]:.1f} MB; after {samples[-1][0]} min: "
          f"{samples[-1][1]:.1f} MB; growth {growth:+.1%} (target within ±20 %)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
