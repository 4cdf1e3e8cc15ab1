"""The live writer through real outages: a redis-server of the test's own that it stops and
starts again, and a PostgreSQL reached through a TCP proxy that the test cuts and restores.
The writer's thread must live throughout, log each outage once when it starts and once when
it ends, write cases again after the return, and leave today's counters equal to the
database."""
from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import case, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from data_access import vocabulary as v
from data_access.counters import Counters
from data_access.db import make_engine, session_factory
from data_access.models import Case, CaseTransition, PatrolCheckin
from data_access.redis_conn import connect
from data_access.timeutil import local_day_bounds
from simulation.live import run_live
from tests.support.backends import ZONE, backend_names, open_backend
from tests.support.clock import TickingClock
from tests.support.redis_server import RedisServer
from tests.support.tcp_proxy import TcpProxy
from tests.support.tiny_territory import COUNTY, insert_tiny_territory

START = datetime(2026, 11, 18, 14, 0, tzinfo=ZONE).astimezone(UTC)  # a Wednesday, 14:00
# Twelve grids make about five reports a day: this speed makes a few a second.
SPEED = 30_000.0
PATIENCE = 90.0  # seconds before a wait gives up: the retries back off up to 30 s


def cases(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Case))


def wait_for(what: str, condition: Callable[[], bool], writer: threading.Thread) -> None:
    """Poll until `condition` holds, the writer's thread staying alive throughout."""
    give_up = time.monotonic() + PATIENCE
    while not condition():
        assert writer.is_alive(), f"the writer died while waiting for {what}"
        assert time.monotonic() < give_up, f"gave up waiting for {what}"
        time.sleep(0.1)
    assert writer.is_alive()


def outage_lines(caplog, service: str) -> tuple[int, int]:
    messages = [r.getMessage() for r in caplog.records if r.name == "simulation.outages"]
    return (sum(m.startswith(f"{service} outage started") for m in messages),
            sum(m.startswith(f"{service} outage ended") for m in messages))


@contextmanager
def live_writer(sessions: sessionmaker[Session], counters: Counters, clock: TickingClock
                ) -> Iterator[threading.Thread]:
    stop = threading.Event()
    writer = threading.Thread(target=run_live, name="live-writer", args=(
        sessions, counters, COUNTY, SPEED, ZONE, stop, 5, None, clock))
    writer.start()
    try:
        yield writer
    finally:
        stop.set()
        writer.join(30)
    assert not writer.is_alive()


def assert_counters_equal_the_database(sessions: sessionmaker[Session], counters: Counters,
                                       day: date) -> None:
    """Today's Redis counters, per event, against a count of today's transitions; and the
    grids marked patrolled against today's check-ins."""
    start, end = local_day_bounds(day, ZONE)
    event = case((CaseTransition.kind == v.STAGE_CHANGE, CaseTransition.to_stage),
                 else_=CaseTransition.kind)
    with sessions() as session:
        in_database = dict(session.execute(
            select(event, func.count()).where(CaseTransition.at >= start,
                                              CaseTransition.at < end)
            .group_by(event)).all())
        walked = set(session.scalars(select(PatrolCheckin.grid_code).where(
            PatrolCheckin.at >= start, PatrolCheckin.at < end)))
    counted: Counter[str] = Counter()
    for row in counters.day_counts(day):
        counted[row.event] += row.count
    assert dict(counted) == in_database
    assert in_database["reported"] > 10 and in_database["registered"] > 0
    assert counters.patrolled_grids(day) == walked != set()


def test_the_writer_rides_out_a_redis_outage(fresh_backend, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="simulation")
    with fresh_backend.sessions.begin() as session:
        insert_tiny_territory(session)
    server = RedisServer(tmp_path).start()
    client = connect(server.url)
    counters = Counters(client, "govwall_outage", ZONE)
    sessions = fresh_backend.sessions
    clock = TickingClock(START)
    try:
        with live_writer(sessions, counters, clock) as writer:
            wait_for("the first cases", lambda: cases(sessions) >= 5, writer)
            server.stop()
            wait_for("the outage to be seen", lambda: outage_lines(caplog, "redis")[0], writer)
            down = cases(sessions)
            # Cases are still written while Redis is down: the database is the truth.
            wait_for("cases during the outage", lambda: cases(sessions) >= down + 5, writer)
            server.start()
            wait_for("the return", lambda: outage_lines(caplog, "redis")[1], writer)
            back = cases(sessions)
            wait_for("cases after the return", lambda: cases(sessions) >= back + 5, writer)
            # Heartbeats again: the restarted server had lost who was online.
            wait_for("heartbeats after the return",
                     lambda: sum(counters.online_workers(clock()).values()) > 0, writer)
        assert outage_lines(caplog, "redis") == (1, 1)
        assert not [r for r in caplog.records if r.exc_info]
        assert_counters_equal_the_database(sessions, counters, START.astimezone(ZONE).date())
        status = counters.writers()["simulator"]
        assert status["outage"] is None and status["lag_seconds"] >= 0
    finally:
        client.close()
        server.stop()


def postgresql_backend() -> list[str]:
    return [name for name in backend_names() if name == "server"]


@pytest.mark.skipif(not postgresql_backend(),
                    reason="a database outage needs a PostgreSQL server to cut off")
def test_the_writer_rides_out_a_database_outage(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="simulation")
    with open_backend("server", tmp_path) as backend:
        with backend.sessions.begin() as session:
            insert_tiny_territory(session)
        url = make_url(backend.database_url)
        with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
            engine = make_engine(url.set(host="127.0.0.1", port=proxy.port)
                                 .render_as_string(hide_password=False))
            through_proxy = session_factory(engine)
            direct = backend.sessions
            try:
                with live_writer(through_proxy, backend.counters, TickingClock(START)) as writer:
                    wait_for("the first cases", lambda: cases(direct) >= 5, writer)
                    proxy.cut()
                    wait_for("the outage to be seen",
                             lambda: outage_lines(caplog, "database")[0], writer)
                    # A commit already sent when the proxy cut may still land at the server:
                    # count once the server has had a moment to finish it.
                    time.sleep(2)
                    down = cases(direct)
                    def status() -> dict:
                        return backend.counters.writers()["simulator"]

                    # A few ticks into the outage, reported in the writer's status (Redis
                    # is up): no events while the database is down.
                    wait_for("ticks during the outage", lambda: status()["outage"] == "database"
                             and status()["at"] >= status()["outage_since"] + 3, writer)
                    assert START.timestamp() <= status()["outage_since"]
                    assert cases(direct) == down
                    proxy.restore()
                    wait_for("the return", lambda: outage_lines(caplog, "database")[1], writer)
                    wait_for("cases after the return", lambda: cases(direct) >= down + 5,
                             writer)
                assert outage_lines(caplog, "database") == (1, 1)
                assert not [r for r in caplog.records if r.exc_info]
                assert_counters_equal_the_database(direct, backend.counters,
                                                   START.astimezone(ZONE).date())
                assert backend.counters.writers()["simulator"]["outage"] is None
            finally:
                engine.dispose()
