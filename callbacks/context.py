"""The services callbacks use, bound once per app by create_app.

Callbacks are plain top-level functions (tests import them); they reach the database,
Redis and the shared cache through `current()`: inside a request, those of the app serving
it (a process may hold several apps, as the tests do, and a callback must never use another
app's cache or database); outside any app context, those of the app bound last (a test or a
script calling a callback directly).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, has_app_context

from data_access.snapshots import SnapshotStore

EXTENSION = "govwall_callbacks"


@dataclass
class Context:
    runtime: Any
    cache: Any
    snapshots: SnapshotStore


_last_bound: Context | None = None


def bind(server: Flask, runtime, cache) -> Context:
    global _last_bound
    store = SnapshotStore(cache, runtime.redis, runtime.settings.redis_namespace,
                          runtime.settings.region)
    _last_bound = server.extensions[EXTENSION] = Context(runtime, cache, store)
    return _last_bound


def current() -> Context:
    if has_app_context() and EXTENSION in current_app.extensions:
        return current_app.extensions[EXTENSION]
    if _last_bound is None:
        raise RuntimeError("callbacks.context.bind() has not been called (use create_app)")
    return _last_bound
