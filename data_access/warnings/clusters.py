"""Repeat complaints (智能比对): reports about the same problem, merged into clusters.

Two cases are about the same problem when they share a category, lie in the same grid, the
same village or within `near_km` of each other (the grids' adjacency is not stored; a case's
point and its village stand in for it), were reported within `window_days`, and their texts
are near-duplicates: Jaccard similarity of their character 3-gram sets at least `threshold`,
estimated with MinHash (datasketch) and found through its LSH index, so the cost grows with
the cases, not with their pairs. A case joins the cluster of the earlier report it is most
alike (`clusters`); `min_size` cases make a warning.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
_SPACE = re.compile(r"[\s\u3000，。、：；！？,.:;!?·（）()\"'“”]+")


@dataclass(frozen=True)
class ClusterConfig:
    window_days: int = 14
    threshold: float = 0.3
    near_km: float = 1.0
    min_size: int = 3
    # A cluster warns while it grows: one of its cases within this many hours of the run.
    recent_hours: int = 24
    # New cluster warnings a day for the whole region (largest, then most alike, first).
    budget_per_day: int = 10


@dataclass(frozen=True)
class TextCase:
    id: int
    category: str
    grid_code: str
    lon: float | None
    lat: float | None
    at: float  # epoch seconds
    text: str


def shingles(text: str, k: int = 3) -> set[str]:
    """Character k-grams of the text with spaces and punctuation removed."""
    plain = _SPACE.sub("", text or "")
    if len(plain) <= k:
        return {plain} if plain else set()
    return {plain[i:i + k] for i in range(len(plain) - k + 1)}


def minhashes(texts: Sequence[str], num_perm: int = NUM_PERM) -> list[MinHash]:
    return [m for m in MinHash.generator(
        ([s.encode("utf-8") for s in shingles(t)] for t in texts), num_perm=num_perm)]


def _near(a: TextCase, b: TextCase, near_km: float) -> bool:
    if a.grid_code == b.grid_code or a.grid_code[:12] == b.grid_code[:12]:
        return True
    if None in (a.lon, a.lat, b.lon, b.lat):
        return False
    dy = (a.lat - b.lat) * 111.2
    dx = (a.lon - b.lon) * 111.2 * math.cos(math.radians((a.lat + b.lat) / 2))
    return dx * dx + dy * dy <= near_km * near_km


def similar_pairs(cases: Sequence[TextCase], config: ClusterConfig,
                  hashes: Sequence[MinHash] | None = None) -> list[tuple[int, int, float]]:
    """(id, id, estimated Jaccard) of every pair of cases about the same problem."""
    hashes = list(hashes) if hashes is not None else minhashes([c.text for c in cases])
    lsh = MinHashLSH(threshold=config.threshold, num_perm=NUM_PERM)
    for i, h in enumerate(hashes):
        lsh.insert(i, h)
    window = config.window_days * 86_400
    pairs = []
    for i, h in enumerate(hashes):
        a = cases[i]
        for j in lsh.query(h):
            if j <= i:
                continue
            b = cases[j]
            if a.category != b.category or abs(a.at - b.at) > window \
                    or not _near(a, b, config.near_km):
                continue
            similarity = h.jaccard(hashes[j])
            if similarity >= config.threshold:
                pairs.append((a.id, b.id, float(similarity)))
    return pairs


def clusters(ids: Iterable[int], pairs: Iterable[tuple[int, int, float]],
             min_size: int) -> list[list[int]]:
    """Clusters of at least `min_size` cases, each sorted.

    Star clustering, in id (arrival) order: a case joins the cluster of the earlier seed it
    is most alike, or starts one. Every member is then alike its cluster's first case;
    connected components would chain look-alike reports across a whole township (they did:
    one "cluster" of 140 templated reports on the demo's county)."""
    neighbours: dict[int, dict[int, float]] = {}
    for a, b, s in pairs:
        neighbours.setdefault(a, {})[b] = s
        neighbours.setdefault(b, {})[a] = s
    seed_of: dict[int, int] = {}
    groups: dict[int, list[int]] = {}
    for i in sorted(ids):
        seeds = [(s, -j) for j, s in neighbours.get(i, {}).items()
                 if j < i and seed_of.get(j) == j]
        if seeds:
            seed = -max(seeds)[1]
            seed_of[i] = seed
            groups[seed].append(i)
        else:
            seed_of[i] = i
            groups[i] = [i]
    return sorted((sorted(g) for g in groups.values() if len(g) >= min_size),
                  key=lambda g: g[0])


def mean_similarity(group: Sequence[int], pairs: Iterable[tuple[int, int, float]]) -> float:
    members = set(group)
    values = [s for a, b, s in pairs if a in members and b in members]
    return float(np.mean(values)) if values else 0.0
