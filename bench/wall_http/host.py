"""The processes the wall bench starts and what it reads about them: a redis-server of its
own, `govwall serve` (gunicorn), busy loops that saturate the CPUs, the server's CPU time
(/proc) and the database statements its connections run (PostgreSQL's own log and
statistics)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support.redis_server import RedisServer as TestRedisServer

BIN = Path(sys.executable).parent
TICKS = os.sysconf("SC_CLK_TCK")
START_TIMEOUT_SECONDS = 180
STOP_TIMEOUT_SECONDS = 30


class BenchError(Exception):
    """Something the bench needs did not work; the message is one line."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def govwall(env: dict[str, str], *args: str) -> str:
    """Run a `govwall` command as an operator would; its output, or BenchError."""
    done = subprocess.run([str(BIN / "govwall"), *args], env=env, capture_output=True,
                          text=True)
    if done.returncode != 0:
        last = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
        raise BenchError(f"govwall {' '.join(args)} exited {done.returncode}: {last}")
    return done.stdout


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; the rest follows its closing parenthesis.
    return raw[raw.rindex(")") + 2:].split()


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) and \
                int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def cpu_seconds(pid: int, reaped: bool = False) -> float:
    """User + system CPU of a process; with `reaped`, also of its children that ended."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    # After the command: state ppid ... utime(14) stime(15) cutime(16) cstime(17), 1-based.
    used = int(fields[11]) + int(fields[12])
    if reaped:
        used += int(fields[13]) + int(fields[14])
    return used / TICKS


class RedisServer(TestRedisServer):
    """The tests' redis-server of its own on a unix socket (no port to collide on), whose
    CPU the bench reads."""

    def cpu(self) -> float:
        return cpu_seconds(self.process.pid) if self.process else 0.0



class Server:
    """`govwall serve --workers N` on a free port, its output in `log`."""

    def __init__(self, env: dict[str, str], workers: int, log: Path):
        self.env, self.workers, self.log = env, workers, log
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> float:
        """Start it; the seconds until it answers HTTP."""
        started = time.monotonic()
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(BIN / "govwall"), "serve", "--port", str(self.port),
                 "--workers", str(self.workers)], env=self.env, stdout=out, stderr=out)
        while time.monotonic() - started < START_TIMEOUT_SECONDS:
            if self.process.poll() is not None:
                lines = self.log.read_text(errors="replace").strip().splitlines() or ["?"]
                raise BenchError(f"govwall serve exited {self.process.returncode}: {lines[-1]}")
            try:
                urllib.request.urlopen(f"{self.base}/_dash-layout", timeout=2)
                return time.monotonic() - started
            except urllib.error.HTTPError:  # any HTTP answer: it serves
                return time.monotonic() - started
            except OSError:
                time.sleep(0.05)
        raise BenchError(f"govwall serve did not answer within {START_TIMEOUT_SECONDS} s")

    def cpu(self) -> float:
        """CPU seconds of gunicorn's master and workers, including workers that ended."""
        if self.process is None:
            return 0.0
        master = self.process.pid
        return cpu_seconds(master, reaped=True) + sum(cpu_seconds(p) for p in children(master))

    def booted_workers(self) -> int:
        """Workers gunicorn booted so far (more than --workers: some died and were replaced)."""
        return self.log.read_text(errors="replace").count("Booting worker")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # gunicorn: graceful shutdown
        try:
            self.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Saturation:
    """`count` busy-looping processes: the machine as busy as a loaded command-center server."""

    def __init__(self, count: int):
        self.processes = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                          for _ in range(count)]

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(STOP_TIMEOUT_SECONDS)


@dataclass(frozen=True)
class Mark:
    log_offset: int | None
    transactions: int


@dataclass(frozen=True)
class Statements:
    queries: int | None  # statements that read or write; None: not countable
    # Of the queries: the sign-in guard re-checking a session's kiosk token or user
    # (dashboard/auth.py), the part that follows the number of screens.
    session_checks: int | None
    control: int | None  # BEGIN/COMMIT/ROLLBACK/SAVEPOINT/RELEASE and pool pings (";")
    transactions: int  # xact_commit + xact_rollback of the whole database


class PostgresStatements:
    """Counts what the server's connections run. pg_stat_statements needs a server restart
    here (it is not in shared_preload_libraries), so: each statement of the server's own
    connections is written to PostgreSQL's log (`log_statement=all` through PGOPTIONS, set
    for the served process only: no database setting changes) and the lines are counted;
    and pg_stat_database gives the database's transactions."""

    # Transaction control, and the empty statement SQLAlchemy's pool pings a connection with.
    CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", ";")
    SESSION_CHECKS = ("SELECT KIOSK_TOKENS.", "SELECT USERS.")

    def __init__(self, url: str, log_path: str | None):
        parsed = make_url(url)
        self.database = parsed.database
        self.admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            superuser = conn.scalar(text(
                "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
            cluster = conn.scalar(text("SHOW cluster_name")) or ""
            collected = conn.scalar(text("SELECT pg_current_logfile()"))
            data_dir = conn.scalar(text("SHOW data_directory")) if collected else None
        if log_path is None:
            # With logging_collector, PostgreSQL names its file; without it, Debian's
            # pg_ctlcluster sends the server's stderr to /var/log/postgresql/.
            log_path = (str(Path(data_dir) / collected) if collected else
                        f"/var/log/postgresql/postgresql-{cluster.replace('/', '-')}.log")
        self.log = Path(log_path)
        self.why_not: str | None = None
        if not superuser:
            self.why_not = "log_statement needs a superuser connection"
        elif not os.access(self.log, os.R_OK):
            self.why_not = f"cannot read the server log {self.log}"

    @property
    def pgoptions(self) -> str | None:
        return None if self.why_not else "-c log_statement=all"

    def method(self) -> str:
        counted = ("from PostgreSQL's log (log_statement=all for the served process's "
                   f"connections only, via PGOPTIONS; {self.log})") if not self.why_not else \
            f"not countable ({self.why_not})"
        return (f"statements {counted}; transactions from pg_stat_database "
                "(xact_commit + xact_rollback of the whole database)")

    def _transactions(self) -> int:
        with self.admin.connect() as conn:
            return int(conn.scalar(text(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = :d"),
                {"d": self.database}))

    def mark(self) -> Mark:
        offset = None if self.why_not else self.log.stat().st_size
        return Mark(offset, self._transactions())

    def since(self, mark: Mark) -> Statements:
        transactions = self._transactions() - mark.transactions
        if mark.log_offset is None:
            return Statements(None, None, None, transactions)
        queries = control = checks = 0
        tag = f"@{self.database} "
        with self.log.open("rb") as log:
            log.seek(mark.log_offset)
            for raw in log:
                line = raw.decode(errors="replace")
                if tag not in line:
                    continue
                # "LOG:  statement: SQL" (simple protocol) or "LOG:  execute NAME: SQL".
                for marker in ("LOG:  statement: ", "LOG:  execute "):
                    at = line.find(marker)
                    if at < 0:
                        continue
                    sql = line[at + len(marker):]
                    if marker.endswith("execute "):
                        sql = sql.split(": ", 1)[-1]
                    sql = sql.lstrip().upper()
                    if sql.startswith(self.CONTROL):
                        control += 1
                    else:
                        queries += 1
                        checks += sql.startswith(self.SESSION_CHECKS)
                    break
        return Statements(queries, checks, control, transactions)

    def close(self) -> None:
        self.admin.dispose()
