"""One computation per (panel, region, params, time bucket), shared by every screen and worker.

`cached()` keys results on floor(now / bucket_seconds) in the shared cache (flask-caching's
Redis backend in the app; any object with get/set works). A Redis lock (SET NX EX) makes one
caller compute while the others wait briefly and read its result, so the number of database
queries per minute does not grow with the number of screens polling.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

T = TypeVar("T")
LOCK_SECONDS = 15
POLL_SECONDS = 0.02


class CacheBackend(Protocol):
    def get(self, key: str) -> Any: ...
    def set(self, key: str, value: Any, timeout: int | None = None) -> Any: ...


@dataclass(frozen=True)
class Cached(Generic[T]):
    value: T
    computed_at: float  # epoch seconds: the age of the data shown


def cache_key(panel: str, region: str, params: dict[str, Any], bucket: int) -> str:
    digest = hashlib.sha1(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()
    return f"wall:{panel}:{region}:{digest[:12]}:{bucket}"


def cached(cache_backend: CacheBackend, panel: str, params: dict[str, Any],
           bucket_seconds: int, compute: Callable[[], T], *, region: str,
           lock: Any = None, clock: Callable[[], float] = time.time) -> Cached[T]:
    """The cached result of `compute()` for this bucket, computing it at most once.

    `lock` is a redis client used for the SET NX EX lock; without one, concurrent first
    callers may compute twice (fine for tests of a single process, not for the wall).
    Exceptions from `compute` or the cache propagate: the caller shows its last good data.
    """
    key = cache_key(panel, region, params, int(clock() // bucket_seconds))
    hit = cache_backend.get(key)
    if hit is not None:
        return hit
    lock_key = f"{key}:lock"
    owned = False
    if lock is not None:
        # Wait while another caller computes (its lock expires if it dies), then read its
        # result; re-read after taking the lock in case it finished in between.
        while not (owned := bool(lock.set(lock_key, "1", nx=True, ex=LOCK_SECONDS))):
            time.sleep(POLL_SECONDS)
            hit = cache_backend.get(key)
            if hit is not None:
                return hit
        hit = cache_backend.get(key)
        if hit is not None:
            lock.delete(lock_key)
            return hit
    try:
        result = Cached(compute(), clock())
        cache_backend.set(key, result, timeout=max(2 * bucket_seconds, 10))
        return result
    finally:
        if owned:
            lock.delete(lock_key)
