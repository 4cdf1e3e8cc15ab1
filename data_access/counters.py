"""Live counters in Redis. Every key is built here: namespaced, versioned, with expiry.

The database is the truth; these are a fast view of *today* for the wall. Each counted
event carries its transition id, and a Lua script adds the id to the day's `applied` set
and bumps the counters atomically, so replaying events after a crash never double-counts
(see counter_sync.catch_up / rebuild).
"""
from __future__ import annotations

import json
from collections import Counter as Tally
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import redis

VERSION = "v1"
DAY_TTL = int(timedelta(days=3).total_seconds())
MINUTE_TTL = int(timedelta(hours=2).total_seconds())
HEARTBEAT_TTL = timedelta(minutes=5)

# Events counted at most once each: per event, KEYS (applied set, county hash, township
# hash, minute hash) and ARGV (transition id, county field, township field, minute field, ''
# for none); the two TTLs last. One call counts a chunk of events (a batch of ingested cases
# is one round trip, not one script run per case).
_APPLY = """
local day_ttl, minute_ttl = ARGV[#ARGV - 1], ARGV[#ARGV]
local applied = 0
for i = 0, #KEYS / 4 - 1 do
  local k = i * 4  -- the event's four keys and four arguments start here
  if redis.call('SADD', KEYS[k + 1], ARGV[k + 1]) == 1 then
    redis.call('EXPIRE', KEYS[k + 1], day_ttl)
    redis.call('HINCRBY', KEYS[k + 2], ARGV[k + 2], 1)
    redis.call('EXPIRE', KEYS[k + 2], day_ttl)
    redis.call('HINCRBY', KEYS[k + 3], ARGV[k + 3], 1)
    redis.call('EXPIRE', KEYS[k + 3], day_ttl)
    if ARGV[k + 4] ~= '' then
      redis.call('HINCRBY', KEYS[k + 4], ARGV[k + 4], 1)
      redis.call('EXPIRE', KEYS[k + 4], minute_ttl)
    end
    applied = applied + 1
  end
end
return applied
"""
APPLY_CHUNK = 500  # events per script call: a call blocks Redis while it runs
# A group of events that count alike (CountedEvents): KEYS as one event's; ARGV the county,
# township and minute fields, the two TTLs, then the transition ids. The ids not counted
# before are added to the applied set in one SADD per GROUP_SADD ids (Lua's unpack has a
# stack limit), and the hashes bumped by how many were new: the same counts as _APPLY per
# event, without a script argument and a HINCRBY per event.
_APPLY_GROUP = """
local added = 0
for i = 6, #ARGV, 5000 do
  added = added + redis.call('SADD', KEYS[1], unpack(ARGV, i, math.min(i + 4999, #ARGV)))
end
if added > 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[4])
  redis.call('HINCRBY', KEYS[2], ARGV[1], added)
  redis.call('EXPIRE', KEYS[2], ARGV[4])
  redis.call('HINCRBY', KEYS[3], ARGV[2], added)
  redis.call('EXPIRE', KEYS[3], ARGV[4])
  if ARGV[3] ~= '' then
    redis.call('HINCRBY', KEYS[4], ARGV[3], added)
    redis.call('EXPIRE', KEYS[4], ARGV[5])
  end
end
return added
"""
GROUP_IDS = 20_000  # ids per group script call at most


@dataclass(frozen=True)
class CountedEvent:
    """One transition as the counters see it. `event` is the stage entered, or the side
    event's kind (supervision, acknowledgement, ...)."""

    transition_id: int
    at: datetime
    county_code: str
    township_code: str
    event: str
    major_class: str
    source: str


@dataclass(frozen=True)
class CountedEvents:
    """Transitions that count alike — same minute (`at`: any instant in it), county,
    township, event, class and channel — as one item for Counters.apply (a file import's
    new cases: a group per minute and place, not an object per case)."""

    transition_ids: tuple[int, ...]
    at: datetime
    county_code: str
    township_code: str
    event: str
    major_class: str
    source: str


@dataclass(frozen=True)
class CountRow:
    county_code: str
    event: str
    major_class: str
    source: str
    count: int


class Counters:
    def __init__(self, client: redis.Redis, namespace: str, zone: ZoneInfo):
        self.redis = client
        self.namespace = namespace
        self.zone = zone
        self._apply = client.register_script(_APPLY)
        self._apply_group = client.register_script(_APPLY_GROUP)

    # -- keys ---------------------------------------------------------------------------
    def _key(self, *parts: str) -> str:
        return ":".join((self.namespace, VERSION, *parts))

    def local_day(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()

    def applied_key(self, day: date) -> str:
        return self._key("day", day.strftime("%Y%m%d"), "applied")

    def county_key(self, day: date) -> str:
        return self._key("day", day.strftime("%Y%m%d"), "county")

    def township_key(self, day: date) -> str:
        return self._key("day", day.strftime("%Y%m%d"), "township")

    def minute_key(self, at: datetime) -> str:
        return self._key("minute", at.astimezone(self.zone).strftime("%Y%m%d%H%M"))

    def patrolled_key(self, day: date) -> str:
        return self._key("day", day.strftime("%Y%m%d"), "patrolled")

    def online_key(self) -> str:
        return self._key("online")

    def writers_key(self) -> str:
        return self._key("writers")

    def flush_day_keys(self, day: date) -> list[str]:
        """What clear_day deletes: the day's counts and its minute buckets."""
        start = datetime.combine(day, datetime.min.time(), tzinfo=self.zone)
        minutes = [self.minute_key(start + timedelta(minutes=m)) for m in range(24 * 60)]
        return [*self.day_keys(day), *minutes]

    def complete_key(self, day: date) -> str:
        # Which Redis lifetime (run_id) holds a complete count of the day: set when a rebuild
        # from the database finishes. Missing, or another lifetime's, means the counts cannot
        # be trusted (Redis lost its data, or restarted from an older snapshot).
        return self._key("day", day.strftime("%Y%m%d"), "complete")

    def recount_key(self) -> str:
        return self._key("recounting")

    def day_keys(self, day: date) -> list[str]:
        return [self.applied_key(day), self.county_key(day), self.township_key(day),
                self.patrolled_key(day)]

    # -- writes -------------------------------------------------------------------------
    def apply(self, events: Iterable[CountedEvent | CountedEvents]) -> int:
        """Count events not counted before; returns how many were new. One pipeline, one
        script call per APPLY_CHUNK events (and per group of CountedEvents)."""
        pipe = self.redis.pipeline(transaction=False)
        keys: list[str] = []
        args: list[str | int] = []
        calls = 0
        day_keys: dict[date, list[str]] = {}  # the day's three keys, built once a day
        # A minute's day keys and minute key, built once a minute (a zone's offset is whole
        # minutes): a file import's 20,000 events spent most of this call in astimezone.
        minute_keys: dict[datetime, tuple[list[str], str]] = {}
        for ev in events:
            minute = ev.at.replace(second=0, microsecond=0)
            known = minute_keys.get(minute)
            if known is None:
                day = self.local_day(ev.at)
                if day not in day_keys:
                    day_keys[day] = [self.applied_key(day), self.county_key(day),
                                     self.township_key(day)]
                known = minute_keys[minute] = (day_keys[day], self.minute_key(ev.at))
            # Per minute: where (county and township) and through which channel, so that the
            # last hour can be counted for any view, down to a township.
            minute_field = (f"{ev.county_code}|{ev.township_code}|{ev.source}"
                            if ev.event == "reported" else "")
            if isinstance(ev, CountedEvents):
                fields = [f"{ev.county_code}|{ev.event}|{ev.major_class}|{ev.source}",
                          f"{ev.township_code}|{ev.event}", minute_field, DAY_TTL, MINUTE_TTL]
                for start in range(0, len(ev.transition_ids), GROUP_IDS):
                    self._apply_group(keys=[*known[0], known[1]], client=pipe, args=[
                        *fields, *ev.transition_ids[start:start + GROUP_IDS]])
                    calls += 1
                continue
            keys += [*known[0], known[1]]
            args += [ev.transition_id,
                     f"{ev.county_code}|{ev.event}|{ev.major_class}|{ev.source}",
                     f"{ev.township_code}|{ev.event}", minute_field]
            if len(keys) >= 4 * APPLY_CHUNK:
                self._apply(keys=keys, args=[*args, DAY_TTL, MINUTE_TTL], client=pipe)
                keys, args, calls = [], [], calls + 1
        if keys:
            self._apply(keys=keys, args=[*args, DAY_TTL, MINUTE_TTL], client=pipe)
            calls += 1
        return sum(int(x) for x in pipe.execute()) if calls else 0

    def applied_ids(self, day: date, ids: list[int]) -> set[int]:
        if not ids:
            return set()
        flags = self.redis.smismember(self.applied_key(day), ids)
        return {i for i, seen in zip(ids, flags, strict=True) if seen}

    def clear_day(self, day: date) -> None:
        """Forget a day's counts, its minute buckets included: the applied set goes with
        them, so a rebuild that re-applied the day's events must not find them counted."""
        self.redis.delete(self.complete_key(day), *self.flush_day_keys(day))

    def heartbeat(self, worker_id: int, grid_code: str, at: datetime) -> None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.zadd(self.online_key(), {f"{worker_id}|{grid_code}": at.timestamp()})
        # Expired heartbeats are dropped as new ones come, so the set stays the size of the
        # workforce on duty.
        pipe.zremrangebyscore(self.online_key(), "-inf", (at - 2 * HEARTBEAT_TTL).timestamp())
        pipe.execute()

    def heartbeats(self, beats: Iterable[tuple[int, str, datetime]]) -> None:
        mapping = {f"{w}|{g}": at.timestamp() for w, g, at in beats}
        if mapping:
            self.redis.zadd(self.online_key(), mapping)

    def mark_patrolled(self, grid_codes: Iterable[str], at: datetime) -> None:
        codes = list(grid_codes)
        if not codes:
            return
        key = self.patrolled_key(self.local_day(at))
        pipe = self.redis.pipeline(transaction=False)
        pipe.sadd(key, *codes)
        pipe.expire(key, DAY_TTL)
        pipe.execute()

    def mark_complete(self, day: date) -> None:
        self.redis.set(self.complete_key(day), self.lifetime(), ex=DAY_TTL)

    def begin_recount(self, seconds: int) -> bool:
        """Take the one right to rebuild the counters (expires if its holder dies)."""
        return bool(self.redis.set(self.recount_key(), "1", nx=True, ex=seconds))

    def end_recount(self) -> None:
        self.redis.delete(self.recount_key())

    def writer_status(self, name: str, at: datetime, **info) -> None:
        """A writer (the simulator, an intake poller) says it is alive, and how it is doing
        (e.g. outage_since, lag_seconds): read by /healthz and /metrics."""
        self.redis.hset(self.writers_key(), name,
                        json.dumps({"at": at.timestamp(), **info}, default=str))

    # -- reads --------------------------------------------------------------------------
    def day_counts(self, day: date) -> list[CountRow]:
        rows = []
        for field, value in self.redis.hgetall(self.county_key(day)).items():
            county, event, major, source = field.split("|")
            rows.append(CountRow(county, event, major, source, int(value)))
        return rows

    def township_counts(self, day: date) -> dict[tuple[str, str], int]:
        return {tuple(f.split("|")): int(v)
                for f, v in self.redis.hgetall(self.township_key(day)).items()}

    def reports_last_hour(self, now: datetime, counties: Collection[str] | None = None,
                          township: str | None = None) -> Tally[str]:
        """Reports per source in the 60 minutes up to `now` (per-minute buckets), in the
        given counties (all when None) and, if given, that township only."""
        keys = [self.minute_key(now - timedelta(minutes=m)) for m in range(60)]
        pipe = self.redis.pipeline(transaction=False)
        for key in keys:
            pipe.hgetall(key)
        wanted = None if counties is None else set(counties)
        total: Tally[str] = Tally()
        for bucket in pipe.execute():
            for field, n in bucket.items():
                parts = field.split("|")
                if len(parts) != 3:
                    continue  # a bucket written before fields named the place (expires in 2 h)
                county, town, source = parts
                if (wanted is None or county in wanted) and township in (None, town):
                    total[source] += int(n)
        return total

    def online_workers(self, now: datetime) -> Tally[str]:
        """Grid workers with a heartbeat within HEARTBEAT_TTL, counted per grid."""
        members = self.redis.zrangebyscore(self.online_key(),
                                           (now - HEARTBEAT_TTL).timestamp(), "+inf")
        return Tally(member.split("|", 1)[1] for member in members)

    def lifetime(self) -> str:
        """This Redis server's run id: it changes whenever the server restarts."""
        return str(self.redis.info("server")["run_id"])

    def is_complete(self, day: date) -> bool:
        """Today's counts can be shown as fresh: a rebuild finished in this Redis lifetime
        and none is running."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(self.complete_key(day))
        pipe.exists(self.recount_key())
        marker, recounting = pipe.execute()
        return marker is not None and not recounting and marker == self.lifetime()

    def writers(self) -> dict[str, dict]:
        """Every writer's last status (see writer_status), by name."""
        return {name: json.loads(raw)
                for name, raw in self.redis.hgetall(self.writers_key()).items()}

    def patrolled_grids(self, day: date) -> set[str]:
        return self.redis.smembers(self.patrolled_key(day))

    def red_seen_key(self) -> str:
        return self._key("alerts", "red-first-seen")

    def first_seen_red(self, ids: list[int], at: datetime, forget_before: datetime
                       ) -> dict[int, float]:
        """When the wall first saw each case red (epoch seconds), recording `at` for those it
        sees now for the first time. A set never written (a first start, a lost Redis)
        records them as seen a day ago, so that a start never makes every red case new; a
        case first seen before `forget_before` is forgotten."""
        key = self.red_seen_key()
        stamp = at.timestamp() - (0 if self.redis.exists(key) else 24 * 3600)
        pipe = self.redis.pipeline()
        pipe.zremrangebyscore(key, "-inf", f"({forget_before.timestamp()}")
        # A member never forgotten: the set exists once the wall has looked.
        pipe.zadd(key, {"start": float("inf")}, nx=True)
        if ids:
            pipe.zadd(key, dict.fromkeys(ids, stamp), nx=True)
        for case_id in ids:
            pipe.zscore(key, case_id)
        found = pipe.execute()[3 if ids else 2:]
        return {case_id: float(score) for case_id, score in zip(ids, found, strict=True)}

    def delete_namespace(self) -> int:
        """Remove every key of this namespace (tests; never FLUSHALL a shared server)."""
        removed = 0
        for key in self.redis.scan_iter(match=f"{self.namespace}:*", count=1000):
            removed += self.redis.delete(key)
        return removed
