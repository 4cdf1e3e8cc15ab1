"""/metrics over HTTP in one process: request and callback timings, the panels' metrics,
the writers' lag and outages; served to this host only unless GOVWALL_METRICS_PUBLIC."""
from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from dashboard.settings import SettingsError, load_settings
from data_access.metrics import PANEL_CACHE_HITS, PANEL_DATA_AGE, PANEL_RECOMPUTES
from tests.dashboard.live_app import LiveApp, app_settings, live_app, tile_state
from tests.support.kiosk import kiosk_token

ALERTS = "wall-alerts-body wall-alerts-red-ids wall-alerts-status wall-alerts-tile " \
         "wall-alerts-state"


def scrape(live: LiveApp, **headers) -> dict[tuple[str, tuple], float]:
    response = live.get(live.client(), "/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text)
            for s in family.samples}


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def live(backend):
    with live_app(app_settings(backend.database_url, backend.redis_url, backend.namespace)) as app:
        yield app
    backend.redis.delete(backend.counters.writers_key())


def test_requests_and_callbacks_are_timed_by_group_and_by_callback(live, backend):
    screen = live.screen(kiosk_token(backend.sessions))
    live.alerts(screen, rows=4)  # the refresher computes the view: later answers are at once
    before = scrape(live)
    for rows in (5, 6):
        assert tile_state(live.alerts(screen, rows=rows))["ok"] is True
    assert live.get(screen, "/wall").status_code == 200
    assert live.get(live.client(), "/ops").status_code == 302
    forged = {"output": "..made-up.children..", "outputs": [{"id": "made-up",
                                                              "property": "children"}]}
    # No such callback is registered: refused by the guard before any role is considered.
    assert screen.post(live.url + "/_dash-update-component", json=forged,
                       timeout=30).status_code == 400
    after = scrape(live)

    def grew(name: str, **labels) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("govwall_callback_duration_seconds_count", callback=ALERTS) == 2
    assert grew("govwall_callback_duration_seconds_count", callback="unknown") == 1
    assert grew("govwall_http_request_duration_seconds_count", group="callback",
                status="2xx") == 2
    assert grew("govwall_http_request_duration_seconds_count", group="callback",
                status="4xx") == 1
    assert grew("govwall_http_request_duration_seconds_count", group="wall", status="2xx") == 1
    assert grew("govwall_http_request_duration_seconds_count", group="ops", status="3xx") == 1
    assert grew("govwall_http_request_duration_seconds_count", group="metrics",
                status="2xx") == 1  # the first scrape
    assert grew("govwall_callback_duration_seconds_sum", callback=ALERTS) > 0
    # The forged id named no series of its own.
    assert not [key for key in after if ("callback", "made-up") in key[1]]
    assert value(after, "govwall_workers") == 1


def test_panel_and_writer_metrics(live, backend):
    before = scrape(live)
    PANEL_CACHE_HITS.labels("alerts").inc(3)
    PANEL_RECOMPUTES.labels("alerts").inc()
    PANEL_DATA_AGE.labels("alerts").set(12.5)
    now = live.runtime.clock()
    backend.counters.writer_status("simulator", now - timedelta(seconds=5), outage=True,
                                   outage_since=str(now - timedelta(minutes=3)),
                                   lag_seconds=2.5)
    backend.counters.writer_status("intake", now - timedelta(seconds=90), outage=False,
                                   outage_since=None, lag_seconds=None)
    after = scrape(live)
    assert value(after, "govwall_panel_cache_hits_total", panel="alerts") \
        - value(before, "govwall_panel_cache_hits_total", panel="alerts") == 3
    assert value(after, "govwall_panel_recomputes_total", panel="alerts") \
        - value(before, "govwall_panel_recomputes_total", panel="alerts") == 1
    assert value(after, "govwall_panel_data_age_seconds", panel="alerts") == 12.5
    assert value(after, "govwall_writer_status_readable") == 1
    assert value(after, "govwall_writer_lag_seconds", writer="simulator") == 2.5
    assert value(after, "govwall_writer_outage", writer="simulator") == 1
    assert value(after, "govwall_writer_outage", writer="intake") == 0
    assert value(after, "govwall_writer_alive", writer="simulator") == 1
    assert value(after, "govwall_writer_alive", writer="intake") == 0
    assert 90 <= value(after, "govwall_writer_report_age_seconds", writer="intake") < 120
    assert ("govwall_writer_lag_seconds", (("writer", "intake"),)) not in after


def _outward_address() -> str | None:
    """This machine's address on its default route (no packet is sent), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


@pytest.mark.parametrize("public", [False, True])
def test_metrics_are_for_this_host_only_unless_public(backend, public):
    settings = app_settings(backend.database_url, backend.redis_url, backend.namespace,
                            metrics_public=public)
    with live_app(settings) as live:
        assert live.get(live.client(), "/metrics").status_code == 200
        forwarded = live.get(live.client(), "/metrics", headers={"X-Forwarded-For": "10.0.0.9"})
        assert forwarded.status_code == (200 if public else 403)
    address = _outward_address()
    if address is None:
        pytest.skip("no address other than loopback to ask from")
    with live_app(settings, host=address) as live:
        assert live.get(live.client(), "/metrics").status_code == (200 if public else 403)


def test_a_bad_metrics_public_value_is_one_line_naming_the_variable():
    with pytest.raises(SettingsError, match=r"^GOVWALL_METRICS_PUBLIC: .*boolean"):
        load_settings(metrics_public="maybe")
