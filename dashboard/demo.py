"""`govwall demo`: the whole product on the embedded defaults, in one process."""
from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime

from dashboard.runtime import open_runtime
from dashboard.settings import Settings


def run_demo(settings: Settings, host: str, port: int, days: int, speed: float) -> int:
    from dashboard.app import create_app
    from data_access.accounts import DEMO_ADMIN, ensure_demo_accounts
    from data_access.counter_sync import rebuild_today
    from data_access.migrate import upgrade
    from data_access.stats import has_cases
    from simulation.bootstrap import ensure_territory
    from simulation.live import run_live
    from simulation.seed import seed_history

    runtime = open_runtime(settings)
    print(f"database: {settings.effective_database_url}")
    print(f"redis:    {runtime.redis_url}")
    upgrade(runtime.engine)
    ensure_territory(runtime.sessions, settings.region, seed=7)
    with runtime.sessions() as session:
        empty = not has_cases(session)
    if empty:
        print(f"seeding {days} days of history for region {settings.region} ...", flush=True)
        seed_history(runtime.sessions, runtime.counters, settings.region, days=days, seed=7,
                     zone=settings.zone)
    with runtime.sessions() as session:
        rebuild_today(session, runtime.counters, datetime.now(UTC))

    stop = threading.Event()
    simulator = threading.Thread(
        target=run_live, name="simulator", daemon=True,
        kwargs={"sessions": runtime.sessions, "counters": runtime.counters,
                "region": settings.region, "speed": speed, "zone": settings.zone,
                "stop": stop, "seed": None, "duration": None},
    )
    simulator.start()
    with runtime.sessions.begin() as session:
        token, password = ensure_demo_accounts(session, settings.secret_key, datetime.now(UTC))
    app = create_app(settings, runtime)
    sign_in = f"{DEMO_ADMIN} / {password}" if password else \
        f"{DEMO_ADMIN} (password printed on the first run; `govwall user add` for more)"
    print(f"\n  govwall is running:  http://{host}:{port}/wall?kiosk={token}"
          f"\n  duty officers:       http://{host}:{port}/ops   sign in as {sign_in}\n",
          flush=True)
    # A service manager stops us with SIGTERM: leave like Ctrl-C, so the simulator stops and
    # the embedded redis-server is shut down instead of being orphaned.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        app.run(host=host, port=port, debug=False)
    finally:
        stop.set()
        simulator.join(timeout=10)
        runtime.close()
    return 0


def _exit_on_sigterm(_signum, _frame) -> None:
    raise SystemExit(0)
