"""What every wall panel callback does: read its inputs' last snapshots (never the database:
data_access.wall_refresher computes them off the request path), build its content from them
(cached per view, language and shape, so a warm answer is one cache read), and say how old the
oldest input is — or that the tile is still waiting, or stale.

A tile asks only when its previous answer has come back (assets/wall.js `gate`): its request
store carries a sequence number that the answer echoes in the tile's state.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from dash import Dash, Input, Output, State, no_update
from sqlalchemy.orm import Session
from werkzeug.exceptions import BadRequest

from callbacks.context import current
from data_access.cache import Cached, cached
from data_access.case_filters import CaseFilter
from data_access.coverage import MEASURES
from data_access.metrics import PANEL_CACHE_HITS, PANEL_DATA_AGE
from data_access.snapshots import Snapshot
from data_access.wall_refresher import INPUTS, SERVICE_ERRORS, stale_after
from data_access.wall_scope import Scope, ScopeError, scope_for
from layouts.i18n import LANGS
from layouts.wall import ids
from layouts.wall.tile import status_fresh, status_stale, status_waiting, tile_class

T = TypeVar("T")
# A service going away shows up as SERVICE_ERRORS; anything else is a bug and should
# surface. A unit the view cannot show is reported in the tile's status line the same way.
FAILURES = (*SERVICE_ERRORS, ScopeError)
# Built content is keyed by its inputs' instants; the hour only bounds the key space.
BUILT_BUCKET_SECONDS = 3600


def now() -> datetime:
    return current().runtime.clock()


def view(unit: str | None) -> Scope:
    """The view's scope: the unit asked for, else the configured region."""
    return scope_for(unit or current().runtime.settings.region)


def load(panel: str, scope: Scope, bucket_seconds: int, query: Callable[[Session], T],
         **params) -> Cached[T]:
    """`query(session)` computed once per bucket for every screen and worker: for what is
    not a tile's periodic data (the view's name, the map's geometry, fetched once)."""
    ctx = current()

    def compute() -> T:
        with ctx.runtime.sessions() as session:
            return query(session)

    return cached(ctx.cache, panel, {"unit": scope.unit, **params}, bucket_seconds, compute,
                  region=ctx.runtime.settings.region, lock=ctx.runtime.redis,
                  clock=lambda: ctx.runtime.clock().timestamp())


def snapshots(scope: Scope, names: Sequence[str],
              rotation: Sequence[str | None] = ()) -> list[Snapshot] | None:
    """The last values of a view's inputs, or None while any has never been computed (the
    refresher computes a newly asked view within a second or two). The other units of the
    screen's rotation are kept computed too, so a rotation never waits."""
    store = current().snapshots
    at = now().timestamp()
    for unit in {scope.unit, *(u for u in rotation if u)}:
        store.touch(unit, at)
    found = [store.get(name, scope.unit) for name in names]
    if any(s is None for s in found):
        return None
    for name in names:
        PANEL_CACHE_HITS.labels(name).inc()
    return found


def built(panel: str, scope: Scope, snaps: Sequence[Snapshot], build: Callable[[], T],
          **params) -> T:
    """`build()` once for every screen showing these snapshots in this language and shape."""
    asofs = [s.asof for s in snaps]
    return load(f"{panel}-built", scope, BUILT_BUCKET_SECONDS, lambda _s: build(),
                asofs=asofs, **params).value


def _stale(names: Sequence[str], snaps: Sequence[Snapshot]) -> bool:
    """The tile says stale, with the time of its data, once an input is past its stale age."""
    at = now().timestamp()
    return any(at - s.asof > stale_after(INPUTS[n]) for n, s in zip(names, snaps, strict=True))


def answer(panel: str, names: Sequence[str], snaps: Sequence[Snapshot], request: dict | None,
           lang: str, shown: str | None = None) -> tuple[str, str, dict]:
    """Status line, tile class and state for content built from `snaps`: the age shown is
    that of the oldest input, and a tile whose inputs stopped refreshing is marked stale."""
    asof = min(s.asof for s in snaps)
    zone = current().runtime.settings.zone
    ok = not _stale(names, snaps)
    PANEL_DATA_AGE.labels(panel).set(now().timestamp() - asof)
    status = status_fresh(asof, lang, zone) if ok else status_stale(asof, lang, zone)
    return status, tile_class(panel, ok), {**_state(ok, asof, request), "shown": shown}


def waiting(panel: str, state: dict | None, request: dict | None,
            lang: str) -> tuple[str, str, dict]:
    """No value computed yet for this view: keep whatever is shown, say so."""
    asof = (state or {}).get("asof")
    return status_waiting(lang), tile_class(panel, True), \
        {**_state(None, asof, request), "shown": (state or {}).get("shown")}


def stale(panel: str, state: dict | None, request: dict | None,
          lang: str) -> tuple[str, str, dict]:
    """The snapshots cannot be read (Redis away): the last frame stays, greyed."""
    since = (state or {}).get("asof")
    zone = current().runtime.settings.zone
    return status_stale(since, lang, zone), tile_class(panel, False), \
        {**_state(False, since, request), "shown": (state or {}).get("shown")}


def _state(ok: bool | None, asof: float | None, request: dict | None) -> dict:
    # `seq` tells the browser this answer is in (see the module docstring); `now` is the
    # server's clock, which the wall's clock and countdowns follow rather than the screen's.
    return {"ok": ok, "asof": asof, "seq": (request or {}).get("seq", 0),
            "now": now().timestamp()}


def checked_config(config: Any) -> dict:
    """The screen's config store as the page wrote it (layouts/wall/page.py config); anything
    else is a bad request (400 with the reason), never a crash."""
    problems = []
    if not isinstance(config, dict):
        raise BadRequest("wall-config: not an object")
    if config.get("lang") not in LANGS:
        problems.append("lang")
    rows, scale = config.get("rows"), config.get("unit_px")
    if not isinstance(rows, int) or isinstance(rows, bool) or not 1 <= rows <= 100:
        problems.append("rows")
    if not isinstance(scale, int | float) or isinstance(scale, bool) or not 0.1 <= scale <= 20:
        problems.append("unit_px")
    # The alert tile's fitted rows (layouts/wall/arrangement.py); a page without them gets
    # the 1920×1080 counts.
    for key in ("alert_rows", "ranked_rows", "warning_rows"):
        value = config.get(key, 1)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 100:
            problems.append(key)
    map_px = config.get("map_px", [600, 560])
    if not isinstance(map_px, list) or len(map_px) != 2 or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and 50 <= v <= 20000
            for v in map_px):
        problems.append("map_px")
    if config.get("measure") not in MEASURES:
        problems.append("measure")
    units = config.get("units", [])
    if not isinstance(units, list) or not all(u is None or isinstance(u, str) for u in units):
        problems.append("units")
    if problems:
        raise BadRequest(f"wall-config: missing or invalid {', '.join(problems)}")
    return config


def tile_answer(panel: str, names: Sequence[str], unit: str | None, request: dict | None,
                state: dict | None, config: dict, n_content: int,
                content: Callable[[Scope, list[Snapshot]], tuple], variant: str = "") -> tuple:
    """A tile's whole answer: `content(scope, snaps)` and the status trio; no_update content
    while waiting or stale, and when the screen already shows these very snapshots (the
    answer is then a few hundred bytes). `variant` names what else the content depends on
    (the alert tile's page)."""
    lang = config["lang"]
    try:
        scope = view(unit)
        snaps = snapshots(scope, names, config.get("units", ()))
        if snaps is None:
            return (*[no_update] * n_content, *waiting(panel, state, request, lang))
        shown = "|".join([scope.unit, lang, *names, *(f"{s.asof:.3f}" for s in snaps),
                          variant])
        same = (state or {}).get("shown") == shown
        body = [no_update] * n_content if same else content(scope, snaps)
        return (*body, *answer(panel, names, snaps, request, lang, shown))
    except FAILURES:
        return (*[no_update] * n_content, *stale(panel, state, request, lang))


def case_href(external_id: str, case_id: int) -> str:
    """/ops with the case's own detail open (case=, exact) beside the list found by its
    number (q=, a text search that may also list others with a longer number)."""
    return f"{CaseFilter(q=external_id).href()}&case={int(case_id)}"


def filter_href(**fields) -> str:
    return CaseFilter(**fields).href()


def register_tile(app: Dash, panel: str, refresh: Callable, content: list[Output],
                  extra_inputs: tuple[Input, ...] = (), extra_states: tuple[State, ...] = ()
                  ) -> None:
    """Wire a tile's refresh the one way every tile refreshes: its request (gated in the
    browser) and the view drive it; it returns its content, then its status line, class
    and state (see answer/waiting/stale). What the browser sends is checked first."""
    config_at = 2 + len(extra_inputs)

    @functools.wraps(refresh)
    def checked(*args):
        if args[1] is not None and not isinstance(args[1], str):
            raise BadRequest("wall-unit: not a unit code")
        if args[0] is not None and not isinstance(args[0], dict):
            raise BadRequest(f"{ids.request(panel)}: not an object")
        checked_config(args[config_at])
        return refresh(*args)

    app.callback(
        *content,
        Output(ids.status(panel), "children"), Output(ids.tile(panel), "className"),
        Output(ids.state(panel), "data"),
        Input(ids.request(panel), "data"), Input(ids.UNIT, "data"), *extra_inputs,
        State(ids.CONFIG, "data"), State(ids.state(panel), "data"), *extra_states,
    )(checked)


def values(snaps: Sequence[Snapshot]) -> list[Any]:
    return [s.value for s in snaps]
