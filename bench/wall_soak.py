"""Browser memory soak of /wall: JS heap after a long run vs. after the warm-up. Prints figures.

  .venv/bin/python bench/wall_soak.py --minutes 60 --warmup 5

Serves the real app on a small seeded region (embedded SQLite + Redis), opens /wall in
headless Chromium and samples the JS heap through the DevTools protocol after a forced
garbage collection. Target: the final heap within 20 % of the heap after the warm-up.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def heap_mb(cdp) -> float:
    cdp.send("HeapProfiler.collectGarbage")
    return cdp.send("Runtime.getHeapUsage")["usedSize"] / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--canvas", default="1920x1080")
    args = parser.parse_args()

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
                page.wait_for_timeout(60_000)
                heap = heap_mb(cdp)  # after a forced GC, so garbage is not counted
                nodes = {m["name"]: m["value"] for m in
                         cdp.send("Performance.getMetrics")["metrics"]}["Nodes"]
                samples.append((round((time.monotonic() - started) / 60, 1), heap, nodes))
                print(f"{samples[-1][0]:>6} min  heap {samples[-1][1]:.1f} MB  "
                      f"DOM nodes {int(nodes)}", flush=True)
            browser.close()
        server.shutdown()
        runtime.close()
    base = next((s for s in samples if s[0] >= args.warmup), samples[0])
    growth = samples[-1][1] / base[1] - 1
    print(f"heap after warm-up ({base[0]} min): {base[1]:.1f} MB; after {samples[-1][0]} min: "
          f"{samples[-1][1]:.1f} MB; growth {growth:+.1%} (target within ±20 %)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
