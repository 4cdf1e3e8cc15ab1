"""The space-time scan: clusters of grids with more recent cases than their own share of
the period predicts, whatever township or county they lie in.

A prospective space-time permutation scan (Kulldorff et al. 2005, "A space-time
permutation scan statistic for disease outbreak detection", PLoS Med 2(3):e59), per major
class, run every hour:

- the study period is the last `study_days` spans of 24 hours ending at the run's instant
  (span 0 the latest); cases are counted per grid × span;
- a cylinder is a circle of the k nearest grids by centroid around a centre grid
  (k = 1 … `neighbours`) and a window of the last w spans (w = 1 … `max_window_days`), so
  every window ends now (prospective: an old cluster is not news);
- its expected count needs no population: a grid's share of the period's cases times the
  window's share, μ = N_grids·N_window / N, so a grid that always reports a lot and a day
  when the whole city reports a lot both stay expected; its score is the Poisson
  generalised likelihood ratio of observed against μ;
- the most likely cluster is the cylinder of the highest ratio; its p-value comes from
  `replicas` Monte-Carlo permutations of the spans among the cases (grids' and spans'
  totals kept), from a Gumbel distribution fitted to the replicas' maxima (SaTScan's
  Gumbel p-value: small p-values without tens of thousands of replicas; the rank p-value,
  whose floor is 1 / (replicas + 1), is kept beside it);
- it signals when its recurrence interval — how often a cluster this unusual would arise
  by chance among all the scans run (`runs_per_day` × the classes scanned) — is at least
  `recurrence_days`.

Pure numpy on the grid × span counts `counts.grid_spans` reads (one grouped statement).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

EULER_GAMMA = 0.5772156649


@dataclass(frozen=True)
class ScanConfig:
    neighbours: int = 10
    max_window_days: int = 7
    study_days: int = 28
    replicas: int = 99
    recurrence_days: float = 100.0
    runs_per_day: int = 24
    min_cases: int = 3
    seed: int = 20050301


@dataclass(frozen=True)
class ScanCluster:
    """The most likely cluster of one class."""

    category: str
    centre: int  # grid index
    grids: tuple[int, ...]  # grid indexes, nearest the centre first
    window_days: int
    observed: int
    expected: float
    llr: float
    p_rank: float  # (1 + replicas at least as high) / (replicas + 1)
    p_gumbel: float
    recurrence_days: float

    def signals(self, config: ScanConfig) -> bool:
        return self.recurrence_days >= config.recurrence_days and \
            self.observed >= config.min_cases


def nearest(lon: np.ndarray, lat: np.ndarray, k: int) -> np.ndarray:
    """grids × k: each grid's k nearest grids by centroid (itself first), on a local plane
    (degrees of longitude shrunk by the cosine of the mean latitude)."""
    k = min(k, len(lon))
    scale = math.cos(math.radians(float(np.mean(lat)))) if len(lat) else 1.0
    tree = cKDTree(np.column_stack([lon * scale, lat]))
    _dist, index = tree.query(np.column_stack([lon * scale, lat]), k=k)
    return index.reshape(len(lon), k)


def _recent(grid: np.ndarray, span: np.ndarray, n_grids: int, windows: int) -> np.ndarray:
    """grids × windows: cases of each grid in the last w spans (w = 1 … windows)."""
    inside = span < windows
    per_span = np.bincount(grid[inside] * windows + span[inside],
                           minlength=n_grids * windows).astype(np.float32)
    return np.cumsum(per_span.reshape(n_grids, windows), axis=1)


def _max_llr(c: np.ndarray, mu: np.ndarray, total: float, min_cases: int
             ) -> tuple[float, int]:
    """The highest Poisson generalised likelihood ratio (log) of observed `c` against
    expected `mu` among cylinders above expectation with at least `min_cases` cases (of
    `total` in all), and its flat index; (0, -1) if none. Only those cylinders are
    evaluated: they are a small part of the grids × k × windows."""
    candidates = np.flatnonzero((c >= min_cases) & (c > mu))
    if not len(candidates):
        return 0.0, -1
    cc, mm = c.reshape(-1)[candidates].astype(np.float64), mu.reshape(-1)[candidates]
    rest = total - cc
    with np.errstate(divide="ignore", invalid="ignore"):
        value = cc * np.log(cc / mm) + np.where(rest > 0, rest * np.log(rest / (total - mm)),
                                                0.0)
    best = int(np.argmax(value))
    return float(value[best]), int(candidates[best])


@dataclass(frozen=True)
class _Design:
    """What every replica of one class shares: the cylinders' expected counts."""

    nbr: np.ndarray  # grids × k
    mu: np.ndarray  # grids × k × windows
    total: float


def _design(grid: np.ndarray, span: np.ndarray, nbr: np.ndarray, config: ScanConfig
            ) -> _Design:
    n_grids = nbr.shape[0]
    by_grid = np.bincount(grid, minlength=n_grids).astype(np.float32)
    by_span = np.bincount(span, minlength=config.study_days).astype(np.float32)
    total = float(len(grid))
    window_share = np.cumsum(by_span[:config.max_window_days]) / total
    cylinder_cases = np.cumsum(by_grid[nbr], axis=1)  # grids × k
    mu = cylinder_cases[:, :, None] * window_share[None, None, :].astype(np.float32)
    return _Design(nbr, mu.astype(np.float64), total)


def _observed(design: _Design, grid: np.ndarray, span: np.ndarray, windows: int
              ) -> np.ndarray:
    recent = _recent(grid, span, design.nbr.shape[0], windows)
    return np.cumsum(recent[design.nbr], axis=1)  # grids × k × windows


def _gumbel_sf(x: float, maxima: np.ndarray) -> float:
    """P(max ≥ x) under a Gumbel fitted to the replicas' maxima by moments."""
    sd = float(np.std(maxima, ddof=1))
    if sd <= 0:
        return 1.0 if x <= float(maxima[0]) else 0.0
    beta = sd * math.sqrt(6) / math.pi
    loc = float(np.mean(maxima)) - EULER_GAMMA * beta
    return float(-np.expm1(-np.exp(-(x - loc) / beta)))


def scan_category(category: str, grid: np.ndarray, span: np.ndarray, nbr: np.ndarray,
                  config: ScanConfig, analyses_per_day: float) -> ScanCluster | None:
    """The most likely cluster of one class's cases (`grid`, `span` per case: grid index
    and span index, 0 = the last 24 hours), with its p-values and recurrence interval;
    None when no cylinder holds more than expected."""
    windows = config.max_window_days
    if len(grid) == 0 or not np.any(span < windows):
        return None
    design = _design(grid, span, nbr, config)
    observed = _observed(design, grid, span, windows)
    top, flat = _max_llr(observed, design.mu, design.total, config.min_cases)
    if flat < 0:
        return None
    rng = np.random.default_rng(config.seed)
    maxima = np.array([
        _max_llr(_observed(design, grid, rng.permutation(span), windows), design.mu,
                 design.total, config.min_cases)[0] for _r in range(config.replicas)])
    p_rank = (1 + int(np.sum(maxima >= top))) / (config.replicas + 1)
    p_gumbel = max(_gumbel_sf(top, maxima), 1e-12)
    centre, k, w = (int(v) for v in np.unravel_index(flat, observed.shape))
    return ScanCluster(category, centre, tuple(int(g) for g in nbr[centre, :k + 1]), w + 1,
                       int(observed[centre, k, w]), float(design.mu[centre, k, w]), top,
                       p_rank, p_gumbel, 1.0 / (p_gumbel * analyses_per_day))


def scan(cases: dict[str, tuple[np.ndarray, np.ndarray]], lon: np.ndarray, lat: np.ndarray,
         config: ScanConfig) -> list[ScanCluster]:
    """Every class's most likely cluster. `cases`: class -> (grid index, span index) per
    case, on the grids of `lon`/`lat`. The recurrence interval counts every class scanned
    as an analysis of its own, `runs_per_day` times a day."""
    nbr = nearest(lon, lat, config.neighbours)
    analyses_per_day = config.runs_per_day * max(len(cases), 1)
    found = []
    for category, (grid, span) in sorted(cases.items()):
        cluster = scan_category(category, grid, span, nbr, config, analyses_per_day)
        if cluster is not None:
            found.append(cluster)
    return found
