"""The last computed value of every wall input, for every view in use, shared by every screen,
worker and host.

The wall never computes on a screen's request: a refresher (data_access.wall_refresher)
recomputes each input once it is older than its maximum age, under a Redis lock so that one
process in the whole cluster does it, and stores it here with the instant it was computed.
A screen's request reads the last value and its true age, at once, whatever the database is
doing. Views are "in use" while some screen asked for them in the last IN_USE_SECONDS.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import redis

IN_USE_SECONDS = 120
TOUCH_SECONDS = 10
# A snapshot outlives any outage a wall should ride through with its last good frame.
KEEP_SECONDS = 24 * 3600


def _code_fingerprint() -> str:
    """A digest of the code that shapes snapshot values (every module of data_access).

    Snapshots outlive the processes that wrote them (KEEP_SECONDS, in Redis). After an
    upgrade a new worker would unpickle a value of the old shape and fail on it (seen: 500s
    on every tile until each input's maximum age passed). Keying snapshots and their
    instants by this digest makes new code start from its own, empty snapshots, which the
    refresher fills on its next pass; old ones expire by themselves. Deriving it from the
    source means nobody has to remember to bump a version."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


CODE_FINGERPRINT = _code_fingerprint()


def asof_key(namespace: str, region: str, unit: str) -> str:
    """The hash of when each input of `unit` was last computed, by input name."""
    return f"{namespace}:v1:wall:{region}:asof:{CODE_FINGERPRINT}:{unit}"


class CacheBackend(Protocol):
    """flask-caching's Redis cache in the app (pickles values); anything with get/set."""

    def get(self, key: str) -> Any: ...
    def set(self, key: str, value: Any, timeout: int | None = None) -> Any: ...


@dataclass(frozen=True)
class Snapshot:
    value: Any
    asof: float  # epoch seconds when it was computed: the age of the data it holds
    # The value counts from Redis counters that were being rebuilt: its counts are partial.
    recounting: bool = False


class SnapshotStore:
    def __init__(self, cache: CacheBackend, client: redis.Redis, namespace: str, region: str):
        self.cache, self.redis = cache, client
        self.namespace, self.region = namespace, region
        self.prefix = f"{namespace}:v1:wall:{region}"
        self._touched: dict[str, float] = {}  # unit -> when this process last said so

    def _key(self, name: str, unit: str) -> str:
        return f"snap:{name}:{unit}:{CODE_FINGERPRINT}"

    def get(self, name: str, unit: str) -> Snapshot | None:
        return self.cache.get(self._key(name, unit))

    def put(self, name: str, unit: str, snapshot: Snapshot) -> None:
        self.cache.set(self._key(name, unit), snapshot, timeout=KEEP_SECONDS)
        # The instants alone, for the refresher's walk and /healthz (no unpickling).
        ages = asof_key(self.namespace, self.region, unit)
        self.redis.hset(ages, name, snapshot.asof)
        self.redis.expire(ages, KEEP_SECONDS)

    def computed_at(self, unit: str) -> dict[str, float]:
        """When each input of `unit` was last computed (epoch seconds), by name."""
        return {name: float(at)
                for name, at in self.redis.hgetall(
                    asof_key(self.namespace, self.region, unit)).items()}

    def changed_at(self) -> dict[str, float]:
        """When a writer last said an input's data changed (mark_changed), by name."""
        return {name: float(at)
                for name, at in self.redis.hgetall(changed_key(self.prefix)).items()}

    def lock(self, name: str, unit: str, seconds: int) -> bool:
        """Take the right to recompute (expires by itself if its holder dies)."""
        return bool(self.redis.set(f"{self.prefix}:lock:{name}:{unit}", "1", nx=True,
                                   ex=max(int(seconds), 1)))

    def unlock(self, name: str, unit: str) -> None:
        self.redis.delete(f"{self.prefix}:lock:{name}:{unit}")

    def touch(self, unit: str, now: float) -> None:
        """A screen shows `unit`: keep its inputs fresh. Said once every TOUCH_SECONDS per
        unit by this process: plenty for "in use in the last IN_USE_SECONDS", and it saves
        a Redis write on most answers (bench/wall.py under py-spy)."""
        last = self._touched.get(unit)
        if last is not None and 0 <= now - last < TOUCH_SECONDS:
            return
        self.redis.zadd(f"{self.prefix}:in-use", {unit: now})
        self._touched[unit] = now

    def units_in_use(self, now: float) -> list[str]:
        key = f"{self.prefix}:in-use"
        self.redis.zremrangebyscore(key, "-inf", now - IN_USE_SECONDS)
        return list(self.redis.zrange(key, 0, -1))


def changed_key(prefix: str) -> str:
    return f"{prefix}:changed"


def mark_changed(client: redis.Redis, namespace: str, region: str, names: tuple[str, ...],
                 at: float) -> None:
    """Say that the data of these inputs changed at `at` (an ingest committed cases): the
    refresher recomputes them on its next pass instead of when they reach their maximum
    age, for every unit (the wall sees an ingested case in about a second)."""
    key = changed_key(f"{namespace}:v1:wall:{region}")
    client.hset(key, mapping={n: at for n in names})
    client.expire(key, KEEP_SECONDS)
