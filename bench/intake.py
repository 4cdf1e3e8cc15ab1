"""The intake measured over HTTP through `govwall serve` (gunicorn), on PostgreSQL.

  .venv/bin/python bench/intake.py [--database-url URL] [--redis-url URL] [--port 8141]
      [--workers 2] [--clients 4] [--batch 100] [--api-seconds 20] [--pace 500]
      [--rows 1000000] [--phases api,paced,wall,import]
      [--wall-samples 20]

It creates the database if missing (territory of --region synthesized, no history), two
sources, a Redis namespace of its own, starts `govwall serve --workers N`, and prints, each
line labelled:

  [api]    --clients threads posting batches of --batch new cases for --api-seconds
           (each over one kept-alive connection, bodies made beforehand), each posting
           its next batch when the last is answered: cases/s accepted (the most the
           server takes), and each batch's answer time p50/p95 at that saturation;
  [api-paced] the same clients offering --pace cases/s together (default 500, the
           issue's sustained rate) on a fixed timetable for --api-seconds: each batch's
           answer timed from when it was due (a server behind its timetable shows as
           queueing in p95, not as a slower client);
  [wall]   commit to wall: one wall screen replayed over HTTP as a browser runs /wall
           (bench/wall_http: a kiosk session, its tiles asking at the page's cadence); one
           case posted at a time, timed from its 201 until that screen's queue tile shows
           it (p50/p95/max), and until the server's queue snapshot was recomputed after it;
  [import] `govwall import` of a CSV of --rows rows written by the bench: rows/s accepted
           and the import process's peak RSS. The command as a user runs it (--bulk auto):
           into the bench's new, empty database a file of 200,000 rows or more goes in bulk
           mode (the summary says so); into a database holding more cases than the file it
           would not.

It stops the server, revokes its kiosk token and deletes its Redis keys at the end; the
database is dropped when the bench created it (--keep keeps it).
"""
from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis  # noqa: E402
from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.wall_http.browser import Screen, _output_ids  # noqa: E402
from data_access.db import make_engine, session_factory  # noqa: E402
from data_access.intake.sources import add_source  # noqa: E402
from data_access.migrate import upgrade  # noqa: E402
from data_access.models import Unit  # noqa: E402
from data_access.snapshots import asof_key  # noqa: E402
from layouts.wall.page import REFRESH_SECONDS  # noqa: E402
from simulation.bootstrap import ensure_territory  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GOVWALL = str(ROOT / ".venv" / "bin" / "govwall")
ZONE = ZoneInfo("Asia/Shanghai")


def pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def ensure_database(url: str) -> bool:
    """Create the database if missing; True if this run created it."""
    parsed = make_url(url)
    admin = make_engine(parsed.set(database="postgres").render_as_string(hide_password=False),
                        isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                             {"n": parsed.database})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    return not exists


def drop_database(url: str) -> None:
    parsed = make_url(url)
    admin = make_engine(parsed.set(database="postgres").render_as_string(hide_password=False),
                        isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


def post(url: str, token: str, body: dict) -> tuple[int, dict, float]:
    data = json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read()), time.perf_counter() - started
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}"), time.perf_counter() - started


def case(sid: str, grids: list[str], i: int) -> dict:
    return {"source_case_id": sid,
            "reported_at": (datetime.now(UTC) - timedelta(minutes=10)).isoformat(),
            "category": ("0101", "0102", "0301", "噪声")[i % 4], "channel": "12345",
            "title": f"市民反映第{i}号问题", "description": "路灯不亮，夜间出行不便。" * 3,
            "grid_code": grids[i % len(grids)]}


def api_phase(base: str, token: str, grids: list[str], clients: int, batch: int,
              seconds: float, rate: float = 0) -> None:
    """Each client a thread with one kept-alive HTTP connection, posting bodies made before
    the clock starts: one JSON text per client with the batch number left as a placeholder
    (the clients share two cores with the server; building and encoding 100 dicts per
    batch in the client's Python was time the server could not use).

    rate 0: each client posts its next batch as soon as the last is answered — the most the
    server takes, and the answer time at that saturation. rate R: the clients together offer
    R cases/s on a fixed timetable (client k's n-th batch due at k/clients + n intervals of
    clients × batch / R seconds), and each answer is timed from when its batch was due, not
    from when it was sent, so a server that falls behind shows its queue in the figures
    rather than slowing the clients down (no coordinated omission)."""
    times: list[float] = []
    accepted = [0]
    late = [0]
    lock = threading.Lock()
    errors: list[int] = []
    host, port = base.removeprefix("http://").split(":")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    tag = f"R{int(rate)}" if rate else "A"
    templates = [json.dumps({"cases": [case(f"{tag}{k}-@N@-{j}", grids, j)
                                       for j in range(batch)]},
                            ensure_ascii=False).encode() for k in range(clients)]
    interval = clients * batch / rate if rate else 0.0

    def client(k: int) -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        n = 0
        while True:
            due = started + (k / clients + n) * interval if rate else time.monotonic()
            if due >= stop_at:
                break
            if rate:
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                elif wait < -0.001:
                    with lock:
                        late[0] += 1
            body = templates[k].replace(b"@N@", str(n).encode())
            n += 1
            try:
                connection.request("POST", "/api/v1/cases/batch", body, headers)
                answer = connection.getresponse()
                status, data = answer.status, answer.read()
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(host, int(port), timeout=60)
                status, data = 0, b"{}"
            took = time.monotonic() - due
            with lock:
                times.append(took)
                if status == 200:
                    accepted[0] += json.loads(data)["accepted"]
                else:
                    errors.append(status)
        connection.close()

    started = time.monotonic()
    stop_at = started + seconds
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    label = (f"[api-paced] {clients} clients offering {rate:.0f} cases/s together on a "
             f"timetable, batches of {batch}, {elapsed:.0f} s" if rate else
             f"[api] {clients} clients, batches of {batch}, {elapsed:.0f} s")
    timed = "from when it was due" if rate else "from its send"
    print(f"{label}: {accepted[0] / elapsed:.0f} cases/s accepted ({accepted[0]} cases, "
          f"{len(times)} batches, {len(errors)} not 200"
          f"{f', {late[0]} sent late' if rate else ''}); batch answer ({timed}) p50 "
          f"{statistics.median(times) * 1000:.0f} ms, p95 {pct(times, 0.95) * 1000:.0f} ms, "
          f"max {max(times) * 1000:.0f} ms", flush=True)


def create_kiosk(env: dict) -> tuple[str, str]:
    label = f"intake-bench-{uuid.uuid4().hex[:6]}"
    out = subprocess.run([GOVWALL, "kiosk-token", "create", "--label", label], env=env,
                         capture_output=True, text=True, check=True).stdout
    return label, out.strip().splitlines()[1].strip()


def queue_shows(screen: Screen, marker: str) -> bool:
    """Whether the screen's queue tile (its callback's outputs as the screen holds them)
    shows a case whose title carries `marker`."""
    outputs = set(_output_ids(screen.lanes["queue"].dep))
    with screen.lock:
        shown = [v for (ident, _), v in screen.props.items() if ident in outputs]
    return marker in json.dumps(shown, ensure_ascii=False)


def wall_phase(base: str, port: int, token: str, grids: list[str], kiosk: str,
               samples: int, client: redis.Redis, namespace: str, region: str) -> None:
    """Commit to wall: one screen runs /wall over HTTP as a browser does (its queue tile
    asks every REFRESH seconds, bench/wall_http); each case posted through the API is
    timed from its 201 until that screen's queue tile shows it, and until the server's
    queue snapshot was recomputed after it (which part of the wait is the server's)."""
    pool = ThreadPoolExecutor(max_workers=8)
    screen = Screen(0, port, kiosk, pool, lambda exchange: None)
    screen.open()
    try:
        deadline = time.time() + 120
        while not screen.has_data("queue") and time.time() < deadline:
            time.sleep(0.1)
        rng = random.Random(11)
        waits, missed = [], 0
        snapshots: list[float] = []  # commit -> the server's queue snapshot recomputed
        snapshot_key = asof_key(namespace, region, region)
        for i in range(samples):
            marker = f"wall-{i}-{uuid.uuid4().hex[:8]}"
            item = case(f"W-{i}-{marker}"[:40], grids, i)
            item["title"] = f"上墙计时 {marker}"
            item["reported_at"] = datetime.now(UTC).isoformat()
            status, _, _ = post(f"{base}/api/v1/cases", token, item)
            committed = time.time()
            assert status == 201, status
            snapshot_at = None
            while not queue_shows(screen, marker) and time.time() < committed + 60:
                if snapshot_at is None:
                    asof = client.hget(snapshot_key, "queue")
                    if asof is not None and float(asof) >= committed:
                        snapshot_at = time.time()
                time.sleep(0.02)
            snapshots.append((snapshot_at or time.time()) - committed)
            if queue_shows(screen, marker):
                waits.append(time.time() - committed)
            else:
                missed += 1
            time.sleep(rng.uniform(0.5, 3.0))  # posts fall anywhere in the tile's cycle
    finally:
        screen.close()
        pool.shutdown(wait=False, cancel_futures=True)
    print(f"[wall] commit -> the case in a wall screen's queue tile (over HTTP, the tile "
          f"asking every {REFRESH_SECONDS['queue']} s), {len(waits)} cases"
          f"{f', {missed} not shown within 60 s' if missed else ''}: p50 "
          f"{statistics.median(waits):.2f} s, p95 {pct(waits, 0.95):.2f} s, max "
          f"{max(waits):.2f} s; of which commit -> server's queue snapshot recomputed: p50 "
          f"{statistics.median(snapshots):.2f} s, p95 {pct(snapshots, 0.95):.2f} s",
          flush=True)


def report_progress(child: subprocess.Popen, progress: Path, started: float,
                    every: float = 60.0) -> None:
    """Every `every` s while the import runs: the rows its committed batches hold (its
    FILE.progress.json), so that a run stopped early still says how fast it went."""
    while child.poll() is None:
        time.sleep(every)
        try:
            done = json.loads(progress.read_text())["rows_done"]
        except (OSError, ValueError, KeyError):
            continue
        elapsed = time.monotonic() - started
        print(f"[import] progress: {done} rows committed after {elapsed:.0f} s "
              f"({done / elapsed:.0f} rows/s so far)", flush=True)


def sample_peak(child: subprocess.Popen, peak: list[int]) -> None:
    """The import process's own peak RSS (VmHWM, kB), read every 0.1 s until it ends. Not
    RUSAGE_CHILDREN: that is the largest of every reaped child, and after the api and wall
    phases it was the server's (a run printed 554 MB for an import whose own peak is ~310)."""
    status = Path(f"/proc/{child.pid}/status")
    while child.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak[0] = max(peak[0], int(line.split()[1]))
        except OSError:
            break  # it ended between the poll and the read
        time.sleep(0.1)


def import_phase(env: dict, source: str, grids: list[str], rows: int, workdir: Path) -> None:
    path = workdir / "bench.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, list(case("x", grids, 0)))
        writer.writeheader()
        for i in range(rows):
            writer.writerow(case(f"F-{i}", grids, i))
    started = time.monotonic()
    child = subprocess.Popen([GOVWALL, "import", str(path), "--source", source, "--quiet"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    progress = path.with_name(path.name + ".progress.json")
    reporter = threading.Thread(target=report_progress, args=(child, progress, started),
                                daemon=True)
    reporter.start()
    peak = [0]
    sampler = threading.Thread(target=sample_peak, args=(child, peak), daemon=True)
    sampler.start()
    out, err = child.communicate()
    elapsed = time.monotonic() - started
    sampler.join()
    peak_mb = peak[0] / 1024
    summary = (out or err).strip()
    accepted = re.search(r"accepted (\d+)", summary)
    if child.returncode not in (0, 3) or accepted is None:
        print(f"[import] did not finish: exit {child.returncode} after {elapsed:.1f} s: "
              f"{summary[-300:]}", flush=True)
        return
    print(f"[import] {rows} CSV rows ({path.stat().st_size / 1e6:.0f} MB) in {elapsed:.1f} s: "
          f"{int(accepted.group(1)) / elapsed:.0f} rows/s accepted; peak RSS {peak_mb:.0f} MB "
          f"(the import's own VmHWM); exit {child.returncode}: "
          f"{summary[-300:]}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url",
                        default="postgresql+psycopg://postgres@127.0.0.1:5432/intake_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/4")
    parser.add_argument("--region", default="320303")
    parser.add_argument("--port", type=int, default=8141)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--api-seconds", type=float, default=20)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--wall-samples", type=int, default=20)
    parser.add_argument("--pace", type=float, default=500,
                        help="cases/s the clients offer together in the paced phase")
    parser.add_argument("--phases", default="api,paced,wall,import",
                        help="which of api, paced, wall, import to run (comma-separated)")
    parser.add_argument("--keep", action="store_true", help="keep a database this run made")
    args = parser.parse_args()
    print(f"bench/intake.py {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    created = ensure_database(args.database_url)
    engine = make_engine(args.database_url)
    upgrade(engine)
    sessions = session_factory(engine)
    ensure_territory(sessions, args.region, seed=1)
    with sessions() as s:
        grids = list(s.scalars(select(Unit.code).where(Unit.level == "grid")
                               .order_by(Unit.code)))
    namespace = f"intake_bench_{uuid.uuid4().hex[:8]}"
    suffix = uuid.uuid4().hex[:6]
    with sessions.begin() as s:
        token = add_source(s, f"api{suffix}", args.region, datetime.now(UTC))
        add_source(s, f"file{suffix}", args.region, datetime.now(UTC))
    engine.dispose()
    env = {**os.environ, "GOVWALL_DATABASE_URL": args.database_url,
           "GOVWALL_REDIS_URL": args.redis_url, "GOVWALL_REDIS_NAMESPACE": namespace,
           "GOVWALL_REGION": args.region, "GOVWALL_INTAKE_REQUESTS_PER_MINUTE": "1000000",
           "GOVWALL_ENV": "demo"}
    serve = [GOVWALL, "serve", "--port", str(args.port), "--workers", str(args.workers)]
    phases = set(args.phases.split(","))
    server = subprocess.Popen(serve, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, start_new_session=True) \
        if phases & {"api", "paced", "wall"} else None
    client = redis.Redis.from_url(args.redis_url, decode_responses=True)
    stack_kiosk: list[str] = []
    base = f"http://127.0.0.1:{args.port}"

    def stop_server() -> None:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:  # a worker stuck in a long query
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()

    try:
        for _ in range(600 if server else 0):
            try:
                urllib.request.urlopen(f"{base}/api/v1/openapi.json", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        if "api" in phases:
            api_phase(base, token, grids, args.clients, args.batch, args.api_seconds)
        if "paced" in phases:
            api_phase(base, token, grids, args.clients, args.batch, args.api_seconds,
                      rate=args.pace)
        if "wall" in phases:
            kiosk_label, kiosk = create_kiosk(env)
            stack_kiosk.append(kiosk_label)
            wall_phase(base, args.port, token, grids, kiosk, args.wall_samples, client,
                       namespace, args.region)
        # The import needs no server; a running one would spend the same two cores
        # refreshing a wall whose "today" grows by the import's cases.
        stop_server()
        if "import" in phases:
            with tempfile.TemporaryDirectory(prefix="intake-bench-") as workdir:
                import_phase(env, f"file{suffix}", grids, args.rows, Path(workdir))
    finally:
        for label in stack_kiosk:
            subprocess.run([GOVWALL, "kiosk-token", "revoke", "--label", label], env=env,
                           capture_output=True)
        stop_server()
        for key in client.scan_iter(f"{namespace}:*"):
            client.delete(key)
        client.close()
        if created and not args.keep:
            drop_database(args.database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
