"""/healthz over HTTP: the database, Redis and the writers, without sign-in or case data;
503 when a critical service is away, and an answer even when a service hangs."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy.engine import make_url

from dashboard import health
from dashboard.health import CHECK_TIMEOUT_SECONDS, WRITER_ALIVE_SECONDS, Outcome
from tests.dashboard.live_app import app_settings, live_app
from tests.support.backends import backend_names, open_backend
from tests.support.redis_server import RedisServer
from tests.support.tcp_proxy import TcpProxy


@pytest.fixture
def live(backend):
    with live_app(app_settings(backend.database_url, backend.redis_url, backend.namespace)) as app:
        yield app
    backend.redis.delete(backend.counters.writers_key())


def healthz(live) -> tuple[int, dict]:
    response = live.get(live.client(), "/healthz")
    assert response.headers["Cache-Control"] == "no-store"
    return response.status_code, response.json()


def test_healthz_reports_the_services_and_each_writer(live, backend):
    now = live.runtime.clock()
    backend.counters.writer_status("simulator", now - timedelta(seconds=5), outage=False,
                                   outage_since=None, lag_seconds=1.5)
    backend.counters.writer_status("intake", now - timedelta(seconds=WRITER_ALIVE_SECONDS + 30),
                                   outage=True, outage_since=str(now - timedelta(hours=1)),
                                   lag_seconds=None)
    status, body = healthz(live)
    assert status == 200  # a writer is down, but the app can serve
    assert set(body) == {"status", "checks"} and body["status"] == "ok"
    checks = body["checks"]
    assert set(checks) == {"database", "redis", "writers", "wall_panels"}
    assert checks["database"]["ok"] is True and checks["database"]["latency_ms"] >= 0
    assert checks["redis"]["ok"] is True and checks["redis"]["critical"] is True
    writers = checks["writers"]
    assert writers["ok"] is False and writers["critical"] is False
    simulator, intake = writers["writers"]["simulator"], writers["writers"]["intake"]
    assert simulator["alive"] is True and 5 <= simulator["age_seconds"] < WRITER_ALIVE_SECONDS
    assert simulator["lag_seconds"] == 1.5 and simulator["outage"] is False
    assert intake["alive"] is False and intake["age_seconds"] >= WRITER_ALIVE_SECONDS + 30
    assert intake["outage"] is True


def test_healthz_is_503_without_redis(backend, tmp_path):
    redis_server = RedisServer(tmp_path).start()
    try:
        settings = app_settings(backend.database_url, redis_server.url, backend.namespace)
        with live_app(settings) as live:
            assert healthz(live)[0] == 200
            redis_server.stop()
            status, body = healthz(live)
            assert status == 503 and body["status"] == "unavailable"
            assert body["checks"]["redis"]["ok"] is False
            assert body["checks"]["redis"]["error"] == "ConnectionError"  # no address shown
            assert body["checks"]["database"]["ok"] is True
    finally:
        redis_server.stop()


# A host that stops answering is a network fault: PostgreSQL's (SQLite has no host).
@pytest.mark.parametrize("kind", [n for n in backend_names() if n == "server"])
def test_healthz_answers_when_the_database_host_goes_dark(kind, tmp_path):
    with open_backend(kind, tmp_path) as backend:
        _dark_database_host(backend)


def _dark_database_host(backend) -> None:
    url = make_url(backend.database_url)
    proxy = TcpProxy(url.host, url.port or 5432)
    dark_url = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    try:
        with live_app(app_settings(dark_url, backend.redis_url, backend.namespace)) as live:
            assert healthz(live)[0] == 200
            proxy.stall()
            status, body = healthz(live)  # the client would wait 30 s before failing the test
            assert status == 503 and body["checks"]["database"]["ok"] is False
            assert body["checks"]["redis"]["ok"] is True
            proxy.restore()
            assert healthz(live)[0] == 200
    finally:
        proxy.close()


def test_a_named_check_joins_the_answer_and_a_hanging_one_is_not_waited_for(live):
    registry = health.checks(live.app.server)
    registry.add("wall_panels", lambda: Outcome(False, {"oldest_seconds": 42}), critical=False)

    def broken() -> Outcome:
        raise ValueError("secret-host:5432")

    registry.add("broken", broken, critical=False)
    status, body = healthz(live)
    assert status == 200
    assert body["checks"]["wall_panels"] == {"ok": False, "critical": False,
                                             "oldest_seconds": 42}
    assert body["checks"]["broken"] == {"ok": False, "critical": False, "error": "ValueError"}

    release, calls = threading.Event(), []

    def hanging() -> Outcome:
        calls.append(1)
        release.wait(60)
        return Outcome(True)

    registry.add("stuck", hanging)
    try:
        for _ in range(2):
            status, body = healthz(live)
            assert status == 503
            assert body["checks"]["stuck"] == {
                "ok": False, "critical": True,
                "error": f"no answer within {CHECK_TIMEOUT_SECONDS:g} s"}
        assert calls == [1]  # still running: not started a second time
    finally:
        release.set()
