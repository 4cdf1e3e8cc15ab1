"""The Intake of a process (make_intake): what the API, `govwall import` and `source poll`
share. Apart from dashboard/intake_api.py so that `govwall import` does not load Flask and
the OpenAPI schemas for it (the CLI's start is part of an import's time)."""
from __future__ import annotations

import logging

from redis.exceptions import RedisError

from dashboard.runtime import Runtime
from data_access.intake import codes
from data_access.intake.ingest import Intake
from data_access.snapshots import mark_changed

WALL_INPUTS = ("queue",)
log = logging.getLogger(__name__)


def make_intake(runtime: Runtime) -> Intake:
    """The ingest path of this process; after each commit that changed something it tells
    the wall's refresher that the queue changed."""

    def nudge_wall() -> None:
        try:
            mark_changed(runtime.redis, runtime.settings.redis_namespace,
                         runtime.settings.region, WALL_INPUTS, runtime.clock().timestamp())
        except RedisError as exc:  # the wall then sees the case at the queue's usual age
            log.warning("intake: could not nudge the wall refresher (%s)", exc)

    return Intake(runtime.sessions, runtime.counters, codes.load(runtime.settings.intake_codes),
                  runtime.settings.zone, lambda: runtime.clock(), on_commit=nudge_wall)
