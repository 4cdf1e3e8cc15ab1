"""Surges: a unit × category counting more cases than its own baseline expects.

Per level (township, county) and major class, one pooled negative-binomial GLM over the
trailing `fit_weeks` weeks, ending `gap_days` before the day tested (so a slow rise during
the gap is not learnt as normal):

    log E[cases(series, day)] = series + day of week + holiday + make-up workday + trend

(the trend term is the season over a window of weeks). Three tests on what it expects:

- `nb_glm`: today's count (or the count so far, against the expected count times the share
  of a day's reports due by this hour) in the upper tail of the fitted negative binomial;
- `cusum`: a one-sided CUSUM of the Pearson residuals over the gap days and today, for slow
  rises; it signals on the day it crosses its threshold;
- `ears_c2`: for series whose history in the window is shorter than `min_history_days`,
  EARS C2 (today against the mean and SD of days t−9…t−3).

Thresholds are not per series: from the window's own last `calibration_days` days the
detector learns, per test, the score a series-day must reach so that the whole region gets
`budget_per_day` warnings a day (a share of it for the CUSUM), and each candidate is ranked by
how rare its score was there. `apply_budget` then keeps at most what the day's budget leaves.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from data_access.sla import DEFAULT_CALENDAR, WorkCalendar

METHODS = ("nb_glm", "cusum", "ears_c2")


@dataclass(frozen=True)
class SurgeConfig:
    fit_weeks: int = 12
    gap_days: int = 7
    min_history_days: int = 28
    calibration_days: int = 28
    budget_per_day: float = 10.0
    cusum_share: float = 0.3
    cusum_k: float = 0.5
    c2_threshold: float = 3.0
    # Never warn about fewer cases than this, nor at a tail probability above max_p.
    min_count: int = 3
    max_p: float = 0.01

    @property
    def history_days(self) -> int:
        """Days of counts a run reads before the day it tests."""
        return self.fit_weeks * 7 + self.gap_days


@dataclass(frozen=True)
class Candidate:
    level: str
    unit: str
    category: str
    day: date
    method: str
    observed: int
    expected: float
    score: float  # −log10 p (nb_glm), the CUSUM sum, or the C2 statistic
    rarity: float  # share of calibration series-days scoring at least as high (lower = rarer)
    recent: list[int] = field(default_factory=list)  # counts of the days before, oldest first


def _features(days: list[date], first: date, span: int, cal: WorkCalendar) -> np.ndarray:
    rows = []
    for d in days:
        dow = d.weekday()
        workday = cal.is_workday(d)
        rows.append([*(1.0 if dow == k else 0.0 for k in range(1, 7)),
                     1.0 if dow < 5 and not workday else 0.0,
                     1.0 if dow >= 5 and workday else 0.0,
                     (d - first).days / span])
    return np.array(rows)


def _nb_tail(y: np.ndarray, mu: np.ndarray, alpha: float) -> np.ndarray:
    """P(Y ≥ y) under NB(mean mu, variance mu + alpha·mu²)."""
    mu = np.maximum(mu, 1e-9)
    size = 1.0 / max(alpha, 1e-6)
    return stats.nbinom.sf(y - 1, size, size / (size + mu))


def _fit(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """The pooled model for series × days counts `y` and day features `feats`: each series'
    level, the shared day effects, and the NB dispersion alpha.

    The series levels are profiled out rather than fitted as ~1,000 dummies (the profile
    likelihood of a log-link model's intercept is closed-form): the GLM on the day features
    takes each series' level as an offset, and the levels are re-estimated from its fit;
    two rounds settle well within the counts' noise."""
    n_series, n_days = y.shape
    day_effect = np.zeros(n_days)
    alpha = 1e-4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (ConvergenceWarning, PerfectSeparationWarning,
                                         RuntimeWarning))
        for _round in range(2):
            level = np.log(np.maximum(y.sum(axis=1), 0.5) / np.exp(day_effect).sum())
            offset = np.repeat(level, n_days)
            flat_x = np.tile(x, (n_series, 1))
            poisson = sm.GLM(y.reshape(-1), flat_x, family=sm.families.Poisson(),
                             offset=offset).fit()
            mu = poisson.mu
            flat_y = y.reshape(-1)
            alpha = float(max(1e-4, np.sum((flat_y - mu) ** 2 - flat_y) /
                              max(np.sum(mu ** 2), 1e-9)))
            nb = sm.GLM(flat_y, flat_x, family=sm.families.NegativeBinomial(alpha=alpha),
                        offset=offset).fit(start_params=poisson.params)
            day_effect = x @ np.asarray(nb.params)
    level = np.log(np.maximum(y.sum(axis=1), 0.5) / np.exp(day_effect).sum())
    return level, np.asarray(nb.params), alpha


def _cusum(residuals: np.ndarray, k: float) -> np.ndarray:
    """Running one-sided CUSUM along axis 1 (series × days)."""
    out = np.zeros_like(residuals)
    running = np.zeros(residuals.shape[0])
    for j in range(residuals.shape[1]):
        running = np.maximum(0.0, running + residuals[:, j] - k)
        out[:, j] = running
    return out


@dataclass
class Scored:
    """A level × category's candidates and the scores its calibration days reached."""

    candidates: list[Candidate]
    calibration: dict[str, list[float]]


def score_category(counts: pd.DataFrame, level: str, category: str, today: date,
                   share: float, config: SurgeConfig,
                   cal: WorkCalendar = DEFAULT_CALENDAR) -> Scored:
    """`counts`: unit, day, n for one category over history_days before `today` and today
    (today's count partial when `share` < 1)."""
    first = today - timedelta(days=config.history_days)
    fit_last = today - timedelta(days=config.gap_days + 1)
    days = [first + timedelta(days=i) for i in range(config.history_days + 1)]
    matrix = (counts.pivot_table(index="unit", columns="day", values="n", aggfunc="sum")
              .reindex(columns=days, fill_value=0).fillna(0))
    n_fit = (fit_last - first).days + 1
    y_all = matrix.to_numpy(dtype=float)
    units = list(matrix.index)
    fit_totals = y_all[:, :n_fit].sum(axis=1)
    nonzero = y_all[:, :n_fit] > 0
    first_seen = np.where(nonzero.any(axis=1), nonzero.argmax(axis=1), n_fit)
    long_history = (fit_totals > 0) & (first_seen <= n_fit - config.min_history_days)
    result = Scored([], {m: [] for m in METHODS})
    feats = _features(days, first, config.history_days, cal)
    long_idx = np.flatnonzero(long_history)
    if len(long_idx):
        _score_glm(result, y_all[long_idx], [units[i] for i in long_idx], feats, n_fit,
                   level, category, days, share, config)
    _score_c2(result, y_all[~long_history], [u for u, ok in zip(units, long_history,
                                                               strict=True) if not ok],
              level, category, days, share, config)
    return result


def _score_glm(result: Scored, y: np.ndarray, units: list[str], feats: np.ndarray, n_fit: int,
               level: str, category: str, days: list[date], share: float,
               config: SurgeConfig) -> None:
    x = sm.add_constant(feats, has_constant="add")
    # A window without holidays (or make-up days) has nothing to learn their effect from.
    keep = [0] + [j for j in range(1, x.shape[1]) if np.ptp(x[:n_fit, j]) > 0]
    x = x[:, keep]
    level_, params, alpha = _fit(y[:, :n_fit], x[:n_fit])
    mu = np.exp(level_[:, None] + (x @ params)[None, :])
    mu[:, -1] *= share
    var = mu + alpha * mu ** 2
    residuals = (y - mu) / np.sqrt(var)
    tail = _nb_tail(y, mu, alpha)
    tail = np.where(y >= config.min_count, tail, 1.0)
    spike = -np.log10(np.maximum(tail, 1e-300))
    # Calibration: the fit window's last days, in-sample, full days.
    calib = slice(n_fit - config.calibration_days, n_fit)
    result.calibration["nb_glm"].extend(spike[:, calib].reshape(-1).tolist())
    cusum_fit = _cusum(residuals[:, :n_fit], config.cusum_k)
    crossings = np.maximum(cusum_fit[:, calib], 0)
    previous = cusum_fit[:, calib.start - 1:calib.stop - 1]
    # A CUSUM signals once, on the day it crosses: score a day by the level it crossed, and
    # take only days rising above every level the day before reached.
    result.calibration["cusum"].extend(
        np.where(crossings > previous, crossings, 0.0).reshape(-1).tolist())
    # Over the gap days and today (not learnt by the fit).
    cusum_new = _cusum(residuals[:, n_fit:], config.cusum_k)
    for i, unit in enumerate(units):
        recent = [int(v) for v in y[i, -15:-1]]
        observed, expected = int(y[i, -1]), float(mu[i, -1])
        if tail[i, -1] <= config.max_p:
            result.candidates.append(Candidate(level, unit, category, days[-1], "nb_glm",
                                               observed, expected, float(spike[i, -1]), 1.0,
                                               recent))
        before = cusum_new[i, -2] if cusum_new.shape[1] > 1 else 0.0
        if cusum_new[i, -1] > before and observed >= config.min_count:
            gap_expected = float(mu[i, n_fit:].sum())
            result.candidates.append(Candidate(
                level, unit, category, days[-1], "cusum", int(y[i, n_fit:].sum()),
                gap_expected, float(cusum_new[i, -1]), 1.0, recent))


def _score_c2(result: Scored, y: np.ndarray, units: list[str], level: str, category: str,
              days: list[date], share: float, config: SurgeConfig) -> None:
    if not len(units):
        return
    base = y[:, -10:-3]
    mean, sd = base.mean(axis=1) * share, base.std(axis=1, ddof=1) * math.sqrt(share)
    c2 = (y[:, -1] - mean) / np.maximum(sd, 0.5)
    for i, unit in enumerate(units):
        if c2[i] > config.c2_threshold and y[i, -1] >= config.min_count:
            result.candidates.append(Candidate(level, unit, category, days[-1], "ears_c2",
                                               int(y[i, -1]), float(mean[i]), float(c2[i]),
                                               1.0, [int(v) for v in y[i, -15:-1]]))


def rank(scored: list[Scored], config: SurgeConfig) -> list[Candidate]:
    """Every candidate that passes its test's budget threshold, rarest first.

    Per test, the threshold is the score the calibration days reached on `budget × share ×
    calibration_days` series-days in all (the budget's share of warnings a day, had these
    thresholds been used there). EARS C2 keeps its fixed threshold and ranks last within
    equal rarity."""
    shares = {"nb_glm": 1.0 - config.cusum_share, "cusum": config.cusum_share}
    pooled = {m: np.sort(np.concatenate([np.asarray(s.calibration[m]) for s in scored]
                                        or [np.zeros(0)]))[::-1] for m in METHODS}
    thresholds = {}
    for method, share in shares.items():
        values = pooled[method]
        allowed = int(config.budget_per_day * share * config.calibration_days)
        positive = values[values > 0]
        thresholds[method] = (positive[allowed] if allowed < len(positive)
                              else (positive[-1] if len(positive) else 0.0))
    kept = []
    for s in scored:
        for c in s.candidates:
            if c.method in thresholds:
                values = pooled[c.method]
                if c.score <= thresholds[c.method]:
                    continue
                rarity = float(np.sum(values >= c.score)) / max(len(values), 1)
            else:
                rarity = 1.0
            kept.append(Candidate(c.level, c.unit, c.category, c.day, c.method, c.observed,
                                  c.expected, c.score, rarity, c.recent))
    return sorted(kept, key=lambda c: (c.rarity, METHODS.index(c.method), -c.score, c.unit,
                                       c.category))


def detect(counts: dict[str, pd.DataFrame], today: date, share: float,
           config: SurgeConfig, cal: WorkCalendar = DEFAULT_CALENDAR) -> list[Candidate]:
    """`counts`: level -> unit, category, day, n (daily_counts). Ranked candidates, one per
    series and day at most (its rarest test)."""
    scored = []
    for level, frame in counts.items():
        for category, part in frame.groupby("category"):
            scored.append(score_category(part, level, str(category), today, share, config,
                                         cal))
    best: dict[tuple[str, str, str], Candidate] = {}
    for c in rank(scored, config):
        best.setdefault((c.level, c.unit, c.category), c)
    return list(best.values())
