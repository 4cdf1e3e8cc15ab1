"""Repeat complaints (智能比对): reports about the same problem, merged into clusters.

Two cases are about the same problem when they share a category, lie in the same grid, the
same village or within `near_km` of each other (the grids' adjacency is not stored; a case's
point and its village stand in for it), were reported within `window_days`, name no
different numbered spot (5号楼 against 12号楼) and no different object (路灯 against 井盖:
`complaint_text.spots_agree`), and their texts are near-duplicates: Jaccard similarity of the
character bigrams of their content (without place names, channel boilerplate and requests,
governance vocabulary in one wording: `complaint_text`) at least `threshold` — less when
they name the same building or landmark, more when they name two different landmarks —
estimated with MinHash (datasketch). A case's signature is computed once (`signature`) and kept
(`data_access/warnings/signatures.py`), so a run hashes only the new cases. A case joins the
cluster of the earlier report it is most alike (`clusters`); `min_size` cases make a warning.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash

from data_access.warnings import complaint_text

NUM_PERM = 128
CELL_LAT, CELL_LON = 0.01, 0.012
# datasketch 2's default permutations (32-bit values); named, since stored signatures are
# compared with new ones and values carry no trace of their scheme.
SCHEME = "affine32"


@dataclass(frozen=True)
class ClusterConfig:
    window_days: int = 14
    # Jaccard of the content's bigrams needed when the two texts name no numbered spot in
    # common, and when they do (the same building, house number…: the words then need only
    # be about the same thing). Chosen on bench/early_warning.py's paraphrase corpus.
    threshold: float = 0.4
    spot_threshold: float = 0.08
    # When no numbered spot is shared: the Jaccard needed when both name a landmark of the
    # place (楼下, 北门, 菜市场…: `complaint_text.LANDMARKS`) and one in common, and when
    # both name landmarks and none in common (probably two spots: more words must agree).
    # All four chosen on the tuning corpus (bench seed 11) only; 0.6 and 0.7 for the last
    # did equally there, 0.7 is the cautious one (two lights at two gates).
    place_threshold: float = 0.1
    other_place_threshold: float = 0.7
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
    places: tuple[str, ...] = ()  # names to strip (complaint_text.place_names)


@dataclass(frozen=True)
class Signature:
    """What a case's text is compared by: its MinHash values and the spots it names."""

    hashes: np.ndarray  # NUM_PERM uint32
    spots: frozenset[str]

    def jaccard(self, other: Signature) -> float:
        return float(np.count_nonzero(self.hashes == other.hashes)) / len(self.hashes)


def signatures(cases: Sequence[TextCase], num_perm: int = NUM_PERM,
               k: int = complaint_text.SHINGLE, vocabulary: bool = True) -> list[Signature]:
    """Each case's MinHash over the k-grams of its content, and the numbered spots,
    objects and landmarks it names (`vocabulary=False`: content without the canonical
    vocabulary, for the bench)."""
    # Each text's content once: its k-grams and (with the vocabulary) its marks read it.
    plains = [complaint_text.content(c.text, c.places, vocabulary) for c in cases]
    grams = ([s.encode("utf-8") for s in complaint_text.grams_of(plain, k)]
             for plain in plains)
    hashed = MinHash.generator(grams, num_perm=num_perm, scheme=SCHEME)
    return [Signature(m.hashvalues.astype(np.uint32),
                      complaint_text.spots(c.text, c.places)
                      | (complaint_text.marks_in(plain) if vocabulary
                         else complaint_text.marks(c.text, c.places)))
            for m, c, plain in zip(hashed, cases, plains, strict=True)]


def _kind(marks: frozenset[str], kind: str) -> frozenset[str]:
    return frozenset(m for m in marks if m.startswith(kind + ":"))


def _numbered(marks: frozenset[str]) -> frozenset[str]:
    return frozenset(m for m in marks if not m.startswith(("obj:", "place:")))


def _near(a: TextCase, b: TextCase, near_km: float) -> bool:
    if a.grid_code == b.grid_code or a.grid_code[:12] == b.grid_code[:12]:
        return True
    if None in (a.lon, a.lat, b.lon, b.lat):
        return False
    dy = (a.lat - b.lat) * 111.2
    dx = (a.lon - b.lon) * 111.2 * math.cos(math.radians((a.lat + b.lat) / 2))
    return dx * dx + dy * dy <= near_km * near_km


def cell(lon: float | None, lat: float | None) -> str:
    """A cell of about 1.1 × 1.1 km (at Jiangsu's latitudes) holding the point: points within
    1 km of each other lie in the same or adjacent cells."""
    if lon is None or lat is None:
        return ""
    return f"{math.floor(lat / CELL_LAT)}:{math.floor(lon / CELL_LON)}"


def _around(code: str) -> list[str]:
    if not code:
        return []
    y, x = (int(v) for v in code.split(":"))
    return [f"{y + dy}:{x + dx}" for dy in (-1, 0, 1) for dx in (-1, 0, 1)]


def cells_around(lon: float | None, lat: float | None) -> list[str]:
    return _around(cell(lon, lat))


@dataclass(frozen=True)
class Member:
    """A signed case and the cluster it belongs to."""

    case: TextCase
    sig: Signature
    cluster_id: int


class Neighbourhood:
    """Signed cases by category and village, and by category and cell: the cases a new
    one can be about the same problem as (same category, same village or within 1 km) are
    found without comparing it with the whole window."""

    def __init__(self) -> None:
        self.by_village: dict[tuple[str, str], list[Member]] = {}
        self.by_cell: dict[tuple[str, str], list[Member]] = {}
        self.cluster_spots: dict[int, frozenset[str]] = {}
        self.sizes: dict[int, int] = {}

    def add(self, member: Member) -> None:
        c = member.case
        self.by_village.setdefault((c.category, c.grid_code[:12]), []).append(member)
        if (code := cell(c.lon, c.lat)):
            self.by_cell.setdefault((c.category, code), []).append(member)
        self.cluster_spots[member.cluster_id] = \
            self.cluster_spots.get(member.cluster_id, frozenset()) | member.sig.spots
        self.sizes[member.cluster_id] = self.sizes.get(member.cluster_id, 0) + 1

    def candidates(self, case: TextCase) -> list[Member]:
        found = {m.case.id: m for m in self.by_village.get((case.category,
                                                            case.grid_code[:12]), [])}
        for code in cells_around(case.lon, case.lat):
            found.update((m.case.id, m) for m in self.by_cell.get((case.category, code), []))
        return [found[i] for i in sorted(found)]


def alike(a: TextCase, b: TextCase, sa: Signature, sb: Signature,
          config: ClusterConfig) -> float | None:
    """The estimated Jaccard of two cases about the same problem, else None."""
    if a.category != b.category or abs(a.at - b.at) > config.window_days * 86_400 \
            or not _near(a, b, config.near_km) \
            or not complaint_text.spots_agree(sa.spots, sb.spots):
        return None
    similarity = sa.jaccard(sb)
    places_a, places_b = _kind(sa.spots, "place"), _kind(sb.spots, "place")
    if places_a and places_b and not places_a & places_b:
        # two spots named (22号楼楼下 / 22号楼幼儿园旁): even one building needs a near copy
        needed = config.other_place_threshold
    elif _numbered(sa.spots) & _numbered(sb.spots):
        needed = config.spot_threshold
    elif places_a & places_b:
        needed = config.place_threshold
    else:
        needed = config.threshold
    return similarity if similarity >= needed else None


def assign(new: Sequence[tuple[TextCase, Signature]], known: Neighbourhood,
           config: ClusterConfig, excluded: frozenset[int] = frozenset()
           ) -> list[tuple[Member, float | None]]:
    """Each new case, in id (arrival) order, joins the cluster of the earlier case it is
    most alike — among clusters none of whose members names another numbered spot — or
    starts one (its cluster id is then its own id). Returns the members and the similarity
    each joined through; `known` grows with them. `excluded`: cases an officer took out of
    their cluster, which no case joins through.

    Clusters never merge and a case never moves: a warning's cases stay what officers saw
    (connected components chained look-alike reports across a whole township)."""
    placed = []
    for case, sig in sorted(new, key=lambda pair: pair[0].id):
        best: tuple[float, int] | None = None
        for m in known.candidates(case):
            if m.case.id in excluded:
                continue
            similarity = alike(case, m.case, sig, m.sig, config)
            if similarity is None or not complaint_text.spots_agree(
                    known.cluster_spots.get(m.cluster_id, frozenset()), sig.spots):
                continue
            if best is None or (similarity, -m.cluster_id) > (best[0], -best[1]):
                best = (similarity, m.cluster_id)
        member = Member(case, sig, best[1] if best else case.id)
        known.add(member)
        placed.append((member, best[0] if best else None))
    return placed


def similar_pairs(cases: Sequence[TextCase], config: ClusterConfig,
                  sigs: Sequence[Signature]) -> list[tuple[int, int, float]]:
    """(id, id, estimated Jaccard) of every pair of cases about the same problem (the
    bench's pair measure)."""
    index: dict[tuple[str, str], list[int]] = {}
    for i, c in enumerate(cases):
        index.setdefault((c.category, c.grid_code[:12]), []).append(i)
        if (code := cell(c.lon, c.lat)):
            index.setdefault((c.category, code), []).append(i)
    pairs = []
    for i, a in enumerate(cases):
        near = set(index.get((a.category, a.grid_code[:12]), []))
        for code in cells_around(a.lon, a.lat):
            near.update(index.get((a.category, code), []))
        for j in sorted(k for k in near if k > i):
            similarity = alike(a, cases[j], sigs[i], sigs[j], config)
            if similarity is not None:
                pairs.append((a.id, cases[j].id, similarity))
    return pairs
