"""Staging-table polling against a real staging table (PostgreSQL when the server backend is
configured, else a SQLite file) that a writer keeps changing while the poller polls; kill -9
of the poller mid-run, then a rerun; the staging database going away and coming back."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Column, DateTime, MetaData, String, Table, func, select
from sqlalchemy.engine import make_url

from data_access.db import make_engine, session_factory
from data_access.intake.ingest import Intake
from data_access.intake.polling import Poller, configure
from data_access.models import Case, IntakeRecord, IntakeSource
from tests.support.backends import SERVER_DB_ENV, database
from tests.support.intake import (
    assert_counts_match_a_rebuild,
    make_intake,
    make_source,
    prepare_territory,
)
from tests.support.tcp_proxy import TcpProxy
from tests.support.tiny_territory import COUNTY, GRIDS

STAGES = ("上报", "受理", "派遣", "处置", "反馈", "核查")


def staging_kind() -> str:
    return "server" if os.environ.get(SERVER_DB_ENV) else "embedded"


def staging_table(url: str) -> Table:
    table = Table("gd_work_orders", MetaData(),
                  Column("source_case_id", String(40), primary_key=True),
                  Column("reported_at", DateTime(timezone=True), nullable=False),
                  Column("category", String(20)), Column("title", String(100)),
                  Column("grid_code", String(15)), Column("stage", String(10)),
                  Column("updated_at", DateTime(timezone=True), nullable=False, index=True))
    engine = make_engine(url)
    table.metadata.create_all(engine)
    engine.dispose()
    return table


class Writer:
    """Inserts work orders and moves some of them forward, each in its own transaction,
    with updated_at from `clock` (as a source system sets it)."""

    def __init__(self, url: str, table: Table, clock, prefix: str = "W"):
        self.engine, self.table, self.clock = make_engine(url), table, clock
        self.prefix, self.stage, self.rng = prefix, {}, random.Random(7)

    def insert(self, n: int) -> None:
        start = len(self.stage)
        with self.engine.begin() as conn:
            for i in range(start, start + n):
                sid = f"{self.prefix}{i:05d}"
                now = self.clock()
                conn.execute(self.table.insert().values(
                    source_case_id=sid, reported_at=now - timedelta(minutes=30),
                    category="0101", title=f"工单{i}", grid_code=GRIDS[i % len(GRIDS)],
                    stage=STAGES[0], updated_at=now))
                self.stage[sid] = 0

    def advance_some(self, k: int) -> None:
        movable = [s for s, i in self.stage.items() if i < len(STAGES) - 1]
        with self.engine.begin() as conn:
            for sid in self.rng.sample(movable, min(k, len(movable))):
                self.stage[sid] += 1
                conn.execute(self.table.update().where(self.table.c.source_case_id == sid)
                             .values(stage=STAGES[self.stage[sid]], updated_at=self.clock()))


def govwall_state(backend, source: str) -> dict[str, str]:
    with backend.sessions() as s:
        rows = s.execute(select(IntakeRecord.source_case_id, Case.stage)
                         .join(Case, Case.id == IntakeRecord.case_id)
                         .join(IntakeSource, IntakeSource.id == IntakeRecord.source_id)
                         .where(IntakeSource.name == source)).all()
    return dict(rows)


EXPECTED_STAGE = dict(zip(STAGES, ("reported", "registered", "dispatched", "handling",
                                   "handled", "verified"), strict=True))


def test_polling_while_the_source_keeps_writing_ends_with_exactly_its_rows(fresh_backend,
                                                                            tmp_path):
    intake = make_intake(fresh_backend)
    make_source(fresh_backend, "gd12345")
    with database(staging_kind(), tmp_path) as url:
        table = staging_table(url)
        with fresh_backend.sessions.begin() as s:
            configure(s, "gd12345", url, table.name)
        writer = Writer(url, table, intake.clock)
        poller = Poller(intake, fresh_backend.sessions, "gd12345",
                        settle=timedelta(seconds=0.3), page=25)
        stop = threading.Event()
        thread = threading.Thread(target=poller.run, args=(stop,), kwargs={"interval": 0.1})
        thread.start()
        try:
            for _ in range(12):  # the source writes while the poller polls
                writer.insert(15)
                writer.advance_some(20)
                time.sleep(0.05)
            time.sleep(0.5)  # past the settle time of the last write
            deadline = time.monotonic() + 120
            expected = {sid: EXPECTED_STAGE[STAGES[i]] for sid, i in writer.stage.items()}
            while govwall_state(fresh_backend, "gd12345") != expected and \
                    time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            stop.set()
            thread.join(timeout=30)
            poller.close()
            writer.engine.dispose()
        assert govwall_state(fresh_backend, "gd12345") == expected
        assert len(expected) == 180 and poller.outage is None
        with fresh_backend.sessions() as s:
            assert s.scalar(select(func.count()).select_from(Case)) == 180


def test_kill_9_of_the_poller_then_a_rerun_ends_with_exactly_the_rows(fresh_backend,
                                                                       tmp_path):
    prepare_territory(fresh_backend.sessions)
    make_source(fresh_backend, "killpoll")
    with database(staging_kind(), tmp_path) as url:
        table = staging_table(url)
        # The poller process runs on the real clock: rows a few minutes old.
        writer = Writer(url, table, lambda: datetime.now(UTC) - timedelta(minutes=5), "K")
        writer.insert(600)
        writer.advance_some(200)
        writer.engine.dispose()
        with fresh_backend.sessions.begin() as s:
            configure(s, "killpoll", url, table.name)
        env = {**os.environ, "GOVWALL_DATABASE_URL": fresh_backend.database_url,
               "GOVWALL_REDIS_URL": fresh_backend.redis_url,
               "GOVWALL_REDIS_NAMESPACE": fresh_backend.namespace, "GOVWALL_REGION": COUNTY,
               "GOVWALL_VAR_DIR": str(tmp_path / "var")}
        command = [sys.executable, "-m", "dashboard.cli", "source", "poll", "killpoll",
                   "--once", "--page", "50"]
        first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and first.poll() is None:
            if len(govwall_state(fresh_backend, "killpoll")) >= 120:
                break
            time.sleep(0.05)
        assert first.poll() is None, first.communicate()
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        assert 120 <= len(govwall_state(fresh_backend, "killpoll")) < 600
        rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        assert rerun.returncode == 0, rerun.stderr
        expected = {sid: EXPECTED_STAGE[STAGES[i]] for sid, i in writer.stage.items()}
        assert govwall_state(fresh_backend, "killpoll") == expected
        with fresh_backend.sessions() as s:
            assert s.scalar(select(func.count()).select_from(Case)) == 600


@pytest.mark.parametrize("which", ["staging", "govwall"])
def test_the_poller_survives_either_database_going_away(fresh_backend, tmp_path, which):
    """A PostgreSQL database really goes away: the poller reaches it through a TCP proxy
    that the test cuts (its open connections reset, new ones refused) while the source
    keeps writing to its staging table, then restores. Rounds fail, the poller says so
    once, and it catches up to exactly the source's rows when the database is back.
    SQLite has no server to cut: there the staging table is renamed away, or govwall's
    database is an empty file, and back."""
    intake = make_intake(fresh_backend)
    make_source(fresh_backend, "away")
    proxied = (staging_kind() if which == "staging" else fresh_backend.name) == "server"
    with database(staging_kind(), tmp_path) as url, \
            TcpProxy(make_url(url).host or "127.0.0.1", make_url(url).port or 5432) \
            as staging_proxy, \
            TcpProxy(make_url(fresh_backend.database_url).host or "127.0.0.1",
                     make_url(fresh_backend.database_url).port or 5432) as govwall_proxy:
        table = staging_table(url)
        poller_sessions = fresh_backend.sessions
        if which == "govwall" and proxied:
            poller_sessions = session_factory(make_engine(_through(
                fresh_backend.database_url, govwall_proxy), timeout=2))
            intake = Intake(poller_sessions, fresh_backend.counters, intake.codes, intake.zone,
                            intake.clock)
        with fresh_backend.sessions.begin() as s:
            configure(s, "away", _through(url, staging_proxy)
                      if which == "staging" and proxied else url, table.name)
        writer = Writer(url, table, intake.clock, "A")  # the source writes directly
        writer.insert(10)
        poller = Poller(intake, poller_sessions, "away", settle=timedelta(0), page=100)
        time.sleep(0.01)
        assert poller.poll_once() == 10
        writer.insert(10)
        if which == "staging" and proxied:
            staging_proxy.cut()
        elif which == "staging":
            with writer.engine.begin() as conn:
                conn.exec_driver_sql('ALTER TABLE gd_work_orders RENAME TO gd_moved')
        elif proxied:
            govwall_proxy.cut()
        else:
            poller.sessions = _refusing(fresh_backend, tmp_path)
        stop = threading.Event()
        thread = threading.Thread(target=poller.run, args=(stop,), kwargs={"interval": 0.05})
        thread.start()
        try:
            deadline = time.monotonic() + 30
            while poller.outage is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert poller.outage is not None
            if proxied:  # the source goes on writing while its reader is cut off
                writer.insert(10)
                writer.advance_some(8)
                time.sleep(0.5)
            assert len(govwall_state(fresh_backend, "away")) == 10
            if which == "staging" and proxied:
                staging_proxy.restore()
            elif which == "staging":
                with writer.engine.begin() as conn:
                    conn.exec_driver_sql('ALTER TABLE gd_moved RENAME TO gd_work_orders')
            elif proxied:
                govwall_proxy.restore()
            else:
                poller.sessions = fresh_backend.sessions
            expected = {sid: EXPECTED_STAGE[STAGES[i]] for sid, i in writer.stage.items()}
            deadline = time.monotonic() + 60
            while govwall_state(fresh_backend, "away") != expected and \
                    time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            stop.set()
            thread.join(timeout=60)
            poller.close()
            writer.engine.dispose()
        assert govwall_state(fresh_backend, "away") == expected
        assert len(expected) == (30 if proxied else 20)
        assert poller.outage is None
        if proxied:
            cut = staging_proxy if which == "staging" else govwall_proxy
            assert cut.port  # the poller went through it, and through it again after
    assert_counts_match_a_rebuild(fresh_backend)


def _through(url: str, proxy: TcpProxy) -> str:
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(
        hide_password=False)


def _refusing(backend, tmp_path):
    """A session factory whose database is not there: a port nobody listens on, or an empty
    SQLite file (no tables)."""
    from data_access.db import session_factory

    url = ("postgresql+psycopg://postgres@127.0.0.1:1/none" if backend.name == "server"
           else f"sqlite:///{tmp_path / 'gone.sqlite3'}")
    return session_factory(make_engine(url, timeout=1))


def test_the_poller_waits_for_a_territory_and_then_reads_every_row(fresh_backend, tmp_path):
    """A staging table polled before the territory is loaded: the rounds fail and say why
    once (the poller thread does not end), and once the territory is there every row
    arrives."""
    from data_access.intake import codes
    from tests.support.clock import TickingClock
    from tests.support.intake import NOW, ZONE

    intake = Intake(fresh_backend.sessions, fresh_backend.counters, codes.load(), ZONE,
                    TickingClock(NOW))
    make_source(fresh_backend, "early")
    with database(staging_kind(), tmp_path) as url:
        table = staging_table(url)
        with fresh_backend.sessions.begin() as s:
            configure(s, "early", url, table.name)
        Writer(url, table, intake.clock, "E").insert(5)
        poller = Poller(intake, fresh_backend.sessions, "early", settle=timedelta(0), page=100)
        stop = threading.Event()
        thread = threading.Thread(target=poller.run, args=(stop,), kwargs={"interval": 0.05})
        thread.start()
        try:
            deadline = time.monotonic() + 30
            while poller.outage is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert poller.outage is not None and poller.outage.startswith("TerritoryMissing")
            assert thread.is_alive() and govwall_state(fresh_backend, "early") == {}
            prepare_territory(fresh_backend.sessions)
            while len(govwall_state(fresh_backend, "early")) < 5 and \
                    time.monotonic() < deadline + 30:
                time.sleep(0.1)
            assert len(govwall_state(fresh_backend, "early")) == 5
            assert poller.outage is None
        finally:
            stop.set()
            thread.join(timeout=30)
        poller.close()


def test_a_text_updated_at_is_refused_with_its_reason_then_polled_once_mended(fresh_backend,
                                                                               tmp_path):
    """updated_at kept as text sorts as text (a 'T' between date and time sorts after a
    space), so the cursor could skip or repeat rows: `source poll --once` says what to change
    and exits 2, reading nothing; once the table is recreated with a date-time column the
    same command reads every row. It used to crash ('str' object has no attribute
    'tzinfo')."""
    from sqlalchemy import Text

    prepare_territory(fresh_backend.sessions)
    make_source(fresh_backend, "textual")
    with database(staging_kind(), tmp_path) as url:
        wrong = Table("gd_text_orders", MetaData(),
                      Column("source_case_id", String(40), primary_key=True),
                      Column("reported_at", Text), Column("category", String(20)),
                      Column("title", String(100)), Column("grid_code", String(15)),
                      Column("updated_at", Text))
        engine = make_engine(url)
        wrong.metadata.create_all(engine)
        at = datetime.now(UTC) - timedelta(minutes=5)
        rows = [{"source_case_id": f"T{i}", "category": "0101", "title": f"工单{i}",
                 "grid_code": GRIDS[i % len(GRIDS)]} for i in range(4)]
        with engine.begin() as conn:
            conn.execute(wrong.insert(), [{**r, "reported_at": at.isoformat(),
                                           "updated_at": at.isoformat()} for r in rows])
        with fresh_backend.sessions.begin() as s:
            configure(s, "textual", url, wrong.name)
        env = {**os.environ, "GOVWALL_DATABASE_URL": fresh_backend.database_url,
               "GOVWALL_REDIS_URL": fresh_backend.redis_url,
               "GOVWALL_REDIS_NAMESPACE": fresh_backend.namespace, "GOVWALL_REGION": COUNTY,
               "GOVWALL_VAR_DIR": str(tmp_path / "var")}
        command = [sys.executable, "-m", "dashboard.cli", "source", "poll", "textual", "--once"]
        refused = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert refused.returncode == 2, refused.stderr
        assert "gd_text_orders: updated_at is TEXT, not a date-time" in refused.stderr
        assert "Traceback" not in refused.stderr
        assert govwall_state(fresh_backend, "textual") == {}
        # The source's side mends its table: the same name, date-time columns.
        wrong.metadata.drop_all(engine)
        mended = Table("gd_text_orders", MetaData(),
                       Column("source_case_id", String(40), primary_key=True),
                       Column("reported_at", DateTime(timezone=True)),
                       Column("category", String(20)), Column("title", String(100)),
                       Column("grid_code", String(15)),
                       Column("updated_at", DateTime(timezone=True)))
        mended.metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(mended.insert(), [{**r, "reported_at": at, "updated_at": at}
                                           for r in rows])
        engine.dispose()
        polled = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert polled.returncode == 0, polled.stderr
        assert "4 staging rows read" in polled.stdout
        assert sorted(govwall_state(fresh_backend, "textual")) == ["T0", "T1", "T2", "T3"]
