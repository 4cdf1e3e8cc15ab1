"""The services callbacks use, bound once by create_app.

Callbacks are plain top-level functions (tests import them); they reach the database,
Redis and the shared cache through `current()`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Context:
    runtime: Any
    cache: Any


_bound: Context | None = None


def bind(runtime, cache) -> None:
    global _bound
    _bound = Context(runtime, cache)


def current() -> Context:
    if _bound is None:
        raise RuntimeError("callbacks.context.bind() has not been called (use create_app)")
    return _bound
