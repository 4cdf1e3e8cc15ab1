"""Sign-in throttling per account and per client address, counted in Redis (shared by every
worker and host).

After `free` failures an attempt must wait a delay that doubles with each further failure;
an attempt made during the delay is refused without the password being checked, and counts
as a failure too, so that hammering ends in a lock of `lock_seconds` after `lock_after`.
Failures are forgotten `window` seconds after the last one; a sign-in resets its account.
Instants are epoch seconds of the caller's clock (the app's runtime clock).
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import redis

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Policy:
    free: int
    lock_after: int
    lock_seconds: int = 15 * 60
    max_delay: int = 60
    window: int = 15 * 60

    def delay(self, failures: int) -> float:
        return 0 if failures < self.free else min(2 ** (failures - self.free), self.max_delay)


ACCOUNT = Policy(free=5, lock_after=10)
# An address tries many accounts (or many people share it, behind one NAT): a wider margin.
ADDRESS = Policy(free=20, lock_after=50)

# KEYS[1] the counter; ARGV: now, window, lock_after, lock_seconds, ttl.
# Returns the failures counted and the end of a lock this failure started (0 if none).
_FAIL = """
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
local locked = tonumber(redis.call('HGET', KEYS[1], 'locked_until') or '0')
local now = tonumber(ARGV[1])
if now - last > tonumber(ARGV[2]) and locked <= now then
  redis.call('DEL', KEYS[1])
  locked = 0
end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('HSET', KEYS[1], 'last', ARGV[1])
local started = 0
if failures >= tonumber(ARGV[3]) and locked <= now then
  started = now + tonumber(ARGV[4])
  redis.call('HSET', KEYS[1], 'locked_until', tostring(started))
end
redis.call('EXPIRE', KEYS[1], ARGV[5])
return {failures, tostring(started)}
"""


@dataclass(frozen=True)
class Counter:
    kind: str  # "account" or "address"
    name: str
    policy: Policy


class SignInThrottle:
    def __init__(self, client: redis.Redis, namespace: str):
        self._redis = client
        self._prefix = f"{namespace}:v1:sign-in"
        self._fail = client.register_script(_FAIL)

    def _key(self, counter: Counter) -> str:
        digest = hashlib.sha256(counter.name.encode()).hexdigest()
        return f"{self._prefix}:{counter.kind}:{digest}"

    @staticmethod
    def counters(username: str, address: str) -> tuple[Counter, Counter]:
        return Counter("account", username, ACCOUNT), Counter("address", address, ADDRESS)

    def wait(self, counters: tuple[Counter, ...], now: float) -> float:
        """Seconds before these counters let an attempt through (0: now)."""
        with self._redis.pipeline(transaction=False) as pipe:
            for counter in counters:
                pipe.hgetall(self._key(counter))
            states = pipe.execute()
        waits = [0.0]
        for counter, state in zip(counters, states, strict=True):
            failures, last = int(state.get("failures", 0)), float(state.get("last", 0))
            locked_until = float(state.get("locked_until", 0))
            # Capped at the policy's own lengths: an instant written by a host whose clock
            # runs ahead must not hold anyone longer.
            if locked_until > now:
                waits.append(min(locked_until - now, counter.policy.lock_seconds))
            elif locked_until and self._redis.delete(self._key(counter)):
                log.warning("sign-in unlocked: %s %r (its lock ended)", counter.kind,
                            counter.name)
            elif now - last <= counter.policy.window:
                delay = counter.policy.delay(failures)
                waits.append(min(last + delay - now, delay))
        return max(waits)

    def failed(self, counters: tuple[Counter, ...], now: float) -> None:
        """Count a failed or refused attempt; logs a lock it starts."""
        for counter in counters:
            policy = counter.policy
            failures, started = self._fail(
                keys=[self._key(counter)],
                args=[repr(now), policy.window, policy.lock_after, policy.lock_seconds,
                      policy.window + policy.lock_seconds])
            if float(started):
                log.warning("sign-in locked for %d s: %s %r after %s failures",
                            policy.lock_seconds, counter.kind, counter.name, failures)

    def succeeded(self, account: Counter) -> None:
        self._redis.delete(self._key(account))

    def unlock(self, counter: Counter, by: str) -> bool:
        """Forget a counter's failures and lock; whether there was anything to forget."""
        removed = bool(self._redis.delete(self._key(counter)))
        if removed:
            log.warning("sign-in unlocked by %s: %s %r", by, counter.kind, counter.name)
        return removed
