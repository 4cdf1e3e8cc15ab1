"""Repeat callers, repeat addresses, problems back after closure, and complaints taken over
the local level.

A caller is keyed by an HMAC-SHA256 of the phone number (digits only) under a key from the
settings: warnings store and show the first 8 hex digits of it, never the number. Reports by
grid workers, sensors and departments carry no citizen's phone and are left out.

- `repeat_caller` / `repeat_address`: the same caller, or the same address, ≥ `min_reports`
  reports within `window_days`;
- `reopened`: a caller reports the same subclass again within `window_days` after an earlier
  case of theirs about it was closed (the problem came back);
- `escalated`: a report through a higher channel (12345, petitions) by a caller, or about an
  address, whose earlier case of the same category from another channel is still open.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

NOT_CITIZENS = ("grid_patrol", "video_iot", "department")
HIGHER_CHANNELS = ("hotline_12345", "petition")
_NOT_DIGIT = re.compile(r"\D")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class CallerConfig:
    window_days: int = 30
    min_reports: int = 3


@dataclass(frozen=True)
class CallerCase:
    id: int
    source: str
    caller: str | None  # caller_key(phone)
    address: str | None
    category: str
    subclass: str
    unit: str  # township code
    at: float  # reported, epoch seconds
    closed_at: float | None  # closed or rejected, epoch seconds


@dataclass(frozen=True)
class CallerFinding:
    kind: str
    subject: str  # caller key prefix or address digest
    unit: str
    category: str
    case_ids: tuple[int, ...]
    first_at: float
    last_at: float
    address: str | None = None


def caller_key(phone: str | None, key: bytes) -> str | None:
    digits = _NOT_DIGIT.sub("", phone or "")
    if not digits:
        return None
    return hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()[:32]


def normal_address(address: str | None) -> str | None:
    plain = _SPACE.sub("", address or "")
    return plain or None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _repeats(cases: Sequence[CallerCase], kind: str, subject_of, window: float,
             config: CallerConfig, now: float) -> list[CallerFinding]:
    groups: dict[str, list[CallerCase]] = defaultdict(list)
    for c in cases:
        subject = subject_of(c)
        if subject and now - c.at <= window:
            groups[subject].append(c)
    found = []
    for subject, members in groups.items():
        if len(members) < config.min_reports:
            continue
        members.sort(key=lambda c: (c.at, c.id))
        latest = members[-1]
        found.append(CallerFinding(
            kind, subject if kind == "repeat_caller" else _digest(subject), latest.unit,
            latest.category, tuple(c.id for c in members), members[0].at, latest.at,
            address=subject if kind == "repeat_address" else None))
    return found


def find(cases: Sequence[CallerCase], now: float, config: CallerConfig = CallerConfig(),
         since: float | None = None) -> list[CallerFinding]:
    """Every finding over `cases` (citizens' reports of the last window, and older closed
    cases for `reopened`). `since`: only reopened/escalated reports made after it (the last
    run), so old ones are not found again and again."""
    window = config.window_days * 86_400
    citizens = [c for c in cases if c.source not in NOT_CITIZENS]
    found = _repeats(citizens, "repeat_caller", lambda c: c.caller, window, config, now)
    found += _repeats(citizens, "repeat_address", lambda c: normal_address(c.address), window,
                      config, now)
    by_caller: dict[str, list[CallerCase]] = defaultdict(list)
    by_address: dict[str, list[CallerCase]] = defaultdict(list)
    for c in sorted(citizens, key=lambda c: (c.at, c.id)):
        if c.caller:
            by_caller[c.caller].append(c)
        if normal_address(c.address):
            by_address[normal_address(c.address)].append(c)
    for c in citizens:
        if since is not None and c.at <= since or now - c.at > window:
            continue
        earlier = [e for e in by_caller.get(c.caller or "", []) if e.at < c.at]
        back = [e for e in earlier if e.subclass == c.subclass and e.closed_at is not None
                and e.closed_at <= c.at <= e.closed_at + window]
        if back:
            found.append(CallerFinding("reopened", c.caller or "", c.unit, c.category,
                                       (back[-1].id, c.id), back[-1].at, c.at))
        if c.source in HIGHER_CHANNELS:
            same_address = [e for e in by_address.get(normal_address(c.address) or "", [])
                            if e.at < c.at]
            local = {e.id: e for e in (*earlier, *same_address)
                     if e.source not in HIGHER_CHANNELS and e.category == c.category
                     and (e.closed_at is None or e.closed_at > c.at)}
            if local:
                first = min(local.values(), key=lambda e: (e.at, e.id))
                found.append(CallerFinding("escalated", c.caller or _digest(c.address or ""),
                                           c.unit, c.category, (first.id, c.id), first.at,
                                           c.at))
    return found
