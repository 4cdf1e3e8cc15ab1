"""What every wall panel callback does around its one query: resolve the view, read through
the shared bucketed cache, and turn a failure into a greyed, stale tile (no_update content)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from dash import Dash, Input, Output, State
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from callbacks.context import current
from data_access.cache import Cached, cached
from data_access.case_filters import CaseFilter
from data_access.wall_scope import Scope, ScopeError, scope_for
from layouts.wall import ids
from layouts.wall.tile import status_fresh, status_stale, tile_class

T = TypeVar("T")
# A service going away shows up as one of these; anything else is a bug and should surface.
SERVICE_ERRORS = (SQLAlchemyError, RedisError, OSError)
# A unit the view cannot show is reported in the tile's status line the same way.
FAILURES = (*SERVICE_ERRORS, ScopeError)


def now() -> datetime:
    return current().runtime.clock()


def view(unit: str | None) -> Scope:
    """The view's scope: the unit asked for, else the configured region."""
    return scope_for(unit or current().runtime.settings.region)


def load(panel: str, scope: Scope, bucket_seconds: int, query: Callable[[Session], T],
         **params) -> Cached[T]:
    """`query(session)` computed once per bucket for every screen and worker."""
    ctx = current()

    def compute() -> T:
        with ctx.runtime.sessions() as session:
            return query(session)

    return cached(ctx.cache, panel, {"unit": scope.unit, **params}, bucket_seconds, compute,
                  region=ctx.runtime.settings.region, lock=ctx.runtime.redis)


def fresh(panel: str, got: Cached, lang: str) -> tuple[str, str, dict]:
    zone = current().runtime.settings.zone
    return (status_fresh(got.computed_at, lang, zone), tile_class(panel, True),
            {"ok": True, "asof": got.computed_at})


def stale(panel: str, state: dict | None, lang: str) -> tuple[str, str, dict]:
    since = (state or {}).get("asof")
    zone = current().runtime.settings.zone
    return (status_stale(since, lang, zone), tile_class(panel, False),
            {"ok": False, "asof": since})


def case_href(external_id: str) -> str:
    return CaseFilter(q=external_id).href()


def filter_href(**fields) -> str:
    return CaseFilter(**fields).href()


def register_tile(app: Dash, panel: str, refresh: Callable, content: list[Output],
                  extra_inputs: tuple[Input, ...] = (), extra_states: tuple[State, ...] = ()
                  ) -> None:
    """Wire a tile's refresh the one way every tile refreshes: its own interval and the
    view drive it; it returns its content, then its status line, class and last good state
    (see fresh/stale)."""
    app.callback(
        *content,
        Output(ids.status(panel), "children"), Output(ids.tile(panel), "className"),
        Output(ids.state(panel), "data"),
        Input(ids.tick(panel), "n_intervals"), Input(ids.UNIT, "data"), *extra_inputs,
        State(ids.CONFIG, "data"), State(ids.state(panel), "data"), *extra_states,
    )(refresh)
