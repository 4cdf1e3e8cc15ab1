"""The tiny territory with two grid polygons inside the real 云龙区 boundary, a frozen
clock, and an Intake on a backend: what the intake tests share."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from data_access.intake import codes
from data_access.intake.ingest import Intake
from data_access.intake.sources import add_source, find
from data_access.models import Unit
from tests.support.clock import TickingClock
from tests.support.tiny_territory import COUNTY, GRIDS, insert_tiny_territory

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=ZONE).astimezone(UTC)
# Two squares of 0.02° inside 云龙区 (its boundary spans 117.18–117.34 E, 34.14–34.28 N).
SQUARES = {GRIDS[0]: (117.26, 34.20), GRIDS[7]: (117.29, 34.20)}
INSIDE = {GRIDS[0]: (34.21, 117.27), GRIDS[7]: (34.21, 117.30)}  # (lat, lon)
IN_COUNTY_NO_GRID = (34.24, 117.22)
OUTSIDE = (32.05, 118.78)  # Nanjing


def _square(lon: float, lat: float) -> str:
    ring = [[lon, lat], [lon + 0.02, lat], [lon + 0.02, lat + 0.02], [lon, lat + 0.02],
            [lon, lat]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def prepare_territory(sessions) -> None:
    with sessions.begin() as session:
        if session.scalar(select(func.count()).select_from(Unit)) == 0:
            insert_tiny_territory(session)
            for code, (lon, lat) in SQUARES.items():
                session.execute(update(Unit).where(Unit.code == code)
                                .values(boundary=_square(lon, lat)))


def make_intake(backend, clock=None, code_map=None) -> Intake:
    prepare_territory(backend.sessions)
    return Intake(backend.sessions, backend.counters, code_map or codes.load(), ZONE,
                  clock or TickingClock(NOW))


def make_source(backend, name: str):
    """A source in the tiny county; returns (SourceRef, token)."""
    with backend.sessions.begin() as session:
        token = add_source(session, name, COUNTY, NOW)
        return find(session, name), token


def intake_app(backend, **settings_changes):
    """The app (no wall refresher) on `backend` at NOW, the tiny territory in place; returns
    (dash app, Flask test client, IntakeApi)."""
    from dashboard.app import create_app
    from dashboard.settings import Settings

    prepare_territory(backend.sessions)
    settings = Settings(env="test", database_url=backend.database_url,
                        redis_url=backend.redis_url, redis_namespace=backend.namespace,
                        region=COUNTY, **settings_changes)
    app = create_app(settings, refresher=False)
    app.server.config["GOVWALL_RUNTIME"].clock = TickingClock(NOW)
    return app, app.server.test_client(), app.server.extensions["govwall_intake_api"]


def _tallies(backend, first, last) -> dict:
    """Every rollup row of the local days first..last (and of the months they fall in) and
    today's Redis counters."""
    from data_access.models import (
        CaseDaily,
        CountyTopicMonthly,
        GridDaily,
        GridMonthly,
        TopicDaily,
        TopicMonthly,
        TownshipDaily,
        TownshipMonthly,
        VillageMonthly,
    )

    tallies: dict = {}
    with backend.sessions() as session:
        for table in (CaseDaily, TownshipDaily, GridDaily, TopicDaily, TownshipMonthly,
                      TopicMonthly, CountyTopicMonthly, GridMonthly, VillageMonthly):
            columns = [c for c in table.__table__.columns]
            key = table.__table__.c.get("day", table.__table__.c.get("month"))
            rows = session.execute(select(*columns).where(
                key >= first.replace(day=1) if key.name == "month" else key >= first,
                key <= last)).all()
            # A row of zeros is no row (a key taken back leaves one behind).
            tallies[table.__tablename__] = sorted(
                tuple(r) for r in rows
                if any(v for c, v in zip(columns, r, strict=True)
                       if c.name not in ("day", "month") and isinstance(v, int)))
    day = backend.counters.local_day(NOW)
    tallies["county counters"] = sorted(
        (r.county_code, r.event, r.major_class, r.source, r.count)
        for r in backend.counters.day_counts(day))
    tallies["township counters"] = sorted(backend.counters.township_counts(day).items())
    return tallies


def assert_counts_match_a_rebuild(backend, days_before: int = 3, days_after: int = 60) -> dict:
    """The rollups (case_daily, township_daily, grid_daily, topic_daily and the monthly ones)
    and today's counters as the write path left them equal what a rebuild from the case
    table computes; returns them."""
    from datetime import timedelta

    from data_access import counter_sync, rollups

    today = NOW.astimezone(ZONE).date()
    first, last = today - timedelta(days=days_before), today + timedelta(days=days_after)
    kept = _tallies(backend, first, last)
    with backend.sessions.begin() as session:
        rollups.rebuild(session, ZONE, first, last, NOW)
    with backend.sessions() as session:
        counter_sync.rebuild_today(session, backend.counters, NOW)
    rebuilt = _tallies(backend, first, last)
    for name in kept:
        assert kept[name] == rebuilt[name], name
    return kept
