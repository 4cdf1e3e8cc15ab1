"""Surges: a unit × category counting more cases than its own baseline expects.

Per level (township, county) and major class, one pooled negative-binomial GLM over the
trailing `fit_weeks` weeks, ending `gap_days` before the day tested (so a slow rise during
the gap is not learnt as normal):

    log E[cases(series, day)] = series + day of week + holiday + make-up workday + trend

(the trend term is the season over a window of weeks). Three tests on what it expects:

- `nb_glm`: the count of a window of 1, 2 or 3 days ending today (today's count so far,
  against the expected count times the share of a day's reports due by this hour) in the
  upper tail of the fitted negative binomial; each window length is a test of its own;
- `cusum`: a one-sided CUSUM of the Pearson residuals over the gap days and today, for slow
  rises; it signals on the day it crosses its threshold (off by default: `cusum_share` 0);
- `ears_c2`: for series whose history in the window is shorter than `min_history_days`,
  EARS C2 (today against the mean and SD of days t−9…t−3), only where the region's data
  reaches back over those days: before the first day anything was reported there is no
  history, not a history of zeros (a demo seeded with 5 days warned "expected 0.0" on every
  busy township).

Thresholds are not per series: from the scores of the gap days (out of sample, as today's)
the detector learns, per test, the score a series-day must reach so that the whole region
gets the test's share of `budget_per_day` warnings a day (`window_shares`, `cusum_share`),
and each candidate is ranked by how rare its score was there for that share. The run
(`detect.py`) then keeps at most what the day's budget leaves.

Why not the fit window's own last days, as before: in sample, the fit has learnt their
noise, so they reach high scores too rarely, the thresholds came out low, and the day's
budget went to series without a surge (70 % of warnings in the bench). Why windows of 2–3
days: a step of +2–3 SD is within one day's noise among ~1,000 series at this budget, and
two such days together are not.

Why a share per window length, most of it the one-day window's (issue 13's +3 SD surges
within a day: 15 % the same day before): the best of the three windows, calibrated as one
test, spent the budget about a third each on windows 1, 2 and 3 (and more than a fifth on
the CUSUM, whose gap-day calibration sees a younger sum than today's), so the one-day
window — the only test that sees a one-day spike on its day — passed a series on ~0.3 % of
quiet days instead of ~0.6 %. Most series are small (median 2.6 reports a day a township ×
category), where that rate is the difference between a +3 SD spike found 1 time in 5 and 1
in 2. A step is found by its second day with a third of the budget on the two-day window;
the three-day window and the CUSUM see only what is late for the issue's target.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace
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
    budget_per_day: float = 10.0
    # The budget's split between the tests, each calibrated on its own: the window of
    # 1, 2 or 3 days ending today, and the CUSUM (0: not run). Most goes to the one-day
    # window, the only test that can see a one-day spike on its day; the two-day window
    # sees a step by its second day with little; the three-day window and the CUSUM see
    # only what is already late (see the module's docstring).
    window_shares: tuple[tuple[int, float], ...] = ((1, 0.6), (2, 0.3), (3, 0.1))
    cusum_share: float = 0.0
    cusum_k: float = 0.5
    c2_threshold: float = 3.0
    # Never warn about fewer cases than this, nor at a tail probability above max_p (a
    # guard only: the budget's thresholds are far below it).
    min_count: int = 3
    max_p: float = 0.05

    @property
    def windows(self) -> tuple[int, ...]:
        return tuple(w for w, share in self.window_shares if share > 0)

    def calibration_days(self, key: str) -> int:
        """The gap days a test's calibration scores: a window's only where it lies wholly
        after the fit window."""
        if key.startswith("nb_glm:"):
            return max(self.gap_days - int(key.split(":")[1]) + 1, 1)
        return self.gap_days

    def shares(self) -> dict[str, float]:
        """Each budgeted test's share of the budget, by its calibration key."""
        out = {window_key(w): share for w, share in self.window_shares if share > 0}
        if self.cusum_share > 0:
            out["cusum"] = self.cusum_share
        return out

    @property
    def history_days(self) -> int:
        """Days of counts a run reads before the day it tests."""
        return self.fit_weeks * 7 + self.gap_days


def configured(budget_per_day: float, cusum_share: float = 0.0) -> SurgeConfig:
    """The detector as a center sets it (GOVWALL_WARNING_BUDGET, GOVWALL_WARNING_CUSUM_SHARE):
    the CUSUM's share taken from the windows' in proportion, so the day's budget stays the
    same whatever it is."""
    if not 0.0 <= cusum_share < 1.0:
        raise ValueError(f"the CUSUM's share of the budget must be in [0, 1): {cusum_share}")
    windows = SurgeConfig.window_shares
    return SurgeConfig(budget_per_day=budget_per_day, cusum_share=cusum_share,
                       window_shares=tuple((w, share * (1 - cusum_share))
                                           for w, share in windows))


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
    window_days: int = 1  # the days observed and expected count over, ending on `day`


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


def _window_sums(a: np.ndarray, w: int) -> np.ndarray:
    """Sums over the last `w` days ending on each day (axis 1), the first w−1 days short."""
    running = np.concatenate([np.zeros((a.shape[0], 1)), np.cumsum(a, axis=1)], axis=1)
    back = np.maximum(np.arange(1, a.shape[1] + 1) - w, 0)
    return running[:, 1:] - running[:, back]


def window_key(days: int) -> str:
    """The calibration key of the window test of `days` days."""
    return f"nb_glm:{days}"


@dataclass
class WindowScores:
    """One window length's test (series × days): the window of `days` days ending each
    day."""

    days: int
    score: np.ndarray  # −log10 of the NB tail of the window's count, 0 where not testable
    tail: np.ndarray
    observed: np.ndarray
    expected: np.ndarray


def window_scores(y: np.ndarray, mu: np.ndarray, alpha: float, config: SurgeConfig
                  ) -> list[WindowScores]:
    """For each window length of `config.windows` and series-day, the window's count in the
    upper tail of its expected count (a sum of independent NB days is close to an NB of the
    summed mean and variance). A day is testable when its own count is above what was
    expected of it (so a window does not keep warning about a past day) and the window
    counts at least `min_count`. Each length is its own test with its own share of the
    budget: a one-day spike is seen on its day by the one-day window, a step of +2–3 SD by
    its second day by the two-day one, where each day alone is within the noise."""
    above = y > mu
    out = []
    for w in config.windows:
        observed, expected = _window_sums(y, w), _window_sums(mu, w)
        var = _window_sums(mu + alpha * mu ** 2, w)
        alpha_w = np.maximum((var - expected) / np.maximum(expected, 1e-9) ** 2, 1e-6)
        tail = _nb_tail(observed, expected, alpha_w)
        testable = above & (observed >= config.min_count)
        tail = np.where(testable, tail, 1.0)
        out.append(WindowScores(w, -np.log10(np.maximum(tail, 1e-300)), tail, observed,
                                expected))
    return out


def _nb_tail(y: np.ndarray, mu: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """P(Y ≥ y) under NB(mean mu, variance mu + alpha·mu²)."""
    mu = np.maximum(mu, 1e-9)
    size = 1.0 / alpha
    return stats.nbinom.sf(y - 1, size, size / (size + mu))


@dataclass
class Scored:
    """A level × category's candidates and the scores its calibration days reached."""

    candidates: list[Candidate]
    calibration: dict[str, list[float]]


@dataclass(frozen=True)
class Baseline:
    """One level × category's fitted expectation over a run's days (fit window, gap,
    today — today's scaled by the share of a day due by the run's hour)."""

    level: str
    category: str
    units: list[str]
    days: list[date]
    mu: np.ndarray  # series × days
    alpha: float
    n_fit: int


def count_matrix(counts: pd.DataFrame, days: list[date]) -> tuple[list[str], np.ndarray]:
    """unit, day, n rows -> (units, series × days counts)."""
    matrix = (counts.pivot_table(index="unit", columns="day", values="n", aggfunc="sum")
              .reindex(columns=days, fill_value=0).fillna(0))
    return list(matrix.index), matrix.to_numpy(dtype=float)


def run_days(today: date, config: SurgeConfig) -> list[date]:
    first = today - timedelta(days=config.history_days)
    return [first + timedelta(days=i) for i in range(config.history_days + 1)]


def long_history(y: np.ndarray, config: SurgeConfig) -> np.ndarray:
    """Series with at least `min_history_days` of history in the fit window (the GLM's);
    the others are left to EARS C2."""
    n_fit = y.shape[1] - 1 - config.gap_days
    nonzero = y[:, :n_fit] > 0
    first_seen = np.where(nonzero.any(axis=1), nonzero.argmax(axis=1), n_fit)
    return nonzero.any(axis=1) & (first_seen <= n_fit - config.min_history_days)


def fit_baseline(y: np.ndarray, units: list[str], level: str, category: str,
                 days: list[date], share: float, config: SurgeConfig,
                 cal: WorkCalendar = DEFAULT_CALENDAR) -> Baseline:
    """The pooled NB GLM on the fit window of `y` (series × run_days), extended over the
    gap and today."""
    n_fit = len(days) - 1 - config.gap_days
    x = sm.add_constant(_features(days, days[0], config.history_days, cal),
                        has_constant="add")
    # A window without holidays (or make-up days) has nothing to learn their effect from.
    keep = [0] + [j for j in range(1, x.shape[1]) if np.ptp(x[:n_fit, j]) > 0]
    x = x[:, keep]
    level_, params, alpha = _fit(y[:, :n_fit], x[:n_fit])
    mu = np.exp(level_[:, None] + (x @ params)[None, :])
    mu[:, -1] *= share
    return Baseline(level, category, units, days, mu, alpha, n_fit)


def score_baseline(b: Baseline, y: np.ndarray, config: SurgeConfig) -> Scored:
    """Candidates for the run's last day, and the calibration: the same tests' scores on
    the gap days — out of sample like today's (the fit never saw them), so the budget's
    thresholds are not the in-sample ones, which the fit's own days reach too rarely."""
    result = Scored([], {key: [] for key in config.shares()})
    windows = window_scores(y, b.mu, b.alpha, config)
    for ws in windows:
        # Only windows wholly after the fit window: one that takes in a fitted day is partly
        # in sample, scores too low, and would lower the threshold.
        # (The days `calibration_days` counts, which sets the test's allowance from them.)
        today = y.shape[1] - 1
        gap = slice(today - config.calibration_days(window_key(ws.days)), today)
        result.calibration[window_key(ws.days)].extend(ws.score[:, gap].reshape(-1).tolist())
    residuals = (y - b.mu) / np.sqrt(b.mu + b.alpha * b.mu ** 2)
    # The CUSUM starts after the fit window and signals once, on the day it rises above
    # every level it reached before: such a day scores the level it reached.
    if config.cusum_share > 0:
        cusum = _cusum(residuals[:, b.n_fit:], config.cusum_k)
        peak_before = np.maximum.accumulate(
            np.concatenate([np.zeros((len(y), 1)), cusum[:, :-1]], axis=1), axis=1)
        crossing = np.where((cusum > peak_before) & (y[:, b.n_fit:] >= 1), cusum, 0.0)
        result.calibration["cusum"].extend(crossing[:, :-1].reshape(-1).tolist())
    else:
        crossing = np.zeros((len(y), 1))
    for i, unit in enumerate(b.units):
        recent = [int(v) for v in y[i, -15:-1]]
        for ws in windows:
            if ws.tail[i, -1] <= config.max_p and ws.score[i, -1] > 0:
                result.candidates.append(Candidate(
                    b.level, unit, b.category, b.days[-1], "nb_glm",
                    int(ws.observed[i, -1]), float(ws.expected[i, -1]),
                    float(ws.score[i, -1]), 1.0, recent, ws.days))
        if crossing[i, -1] > 0 and y[i, -1] >= config.min_count:
            result.candidates.append(Candidate(
                b.level, unit, b.category, b.days[-1], "cusum", int(y[i, b.n_fit:].sum()),
                float(b.mu[i, b.n_fit:].sum()), float(crossing[i, -1]), 1.0, recent,
                config.gap_days + 1))
    return result


def score_category(counts: pd.DataFrame, level: str, category: str, today: date,
                   share: float, config: SurgeConfig,
                   cal: WorkCalendar = DEFAULT_CALENDAR,
                   data_from: date | None = None) -> Scored:
    """`counts`: unit, day, n for one category over history_days before `today` and today
    (today's count partial when `share` < 1). `data_from`: the first day the region has
    any report (None: the whole window is history)."""
    days = run_days(today, config)
    units, y_all = count_matrix(counts, days)
    long = long_history(y_all, config)
    result = Scored([], {key: [] for key in config.shares()})
    long_idx = np.flatnonzero(long)
    if len(long_idx):
        b = fit_baseline(y_all[long_idx], [units[i] for i in long_idx], level, category,
                         days, share, config, cal)
        result = score_baseline(b, y_all[long_idx], config)
    if data_from is None or days[-1 - C2_BASE_FROM] >= data_from:
        _score_c2(result, y_all[~long],
                  [u for u, ok in zip(units, long, strict=True) if not ok],
                  level, category, days, share, config)
    return result


# EARS C2's baseline: the days t−9 … t−3 (its two days before today are a guard band).
C2_BASE_FROM, C2_BASE_TO = 9, 3


def data_start(counts: dict[str, pd.DataFrame], today: date) -> date | None:
    """The first day of the unbroken run of days, up to today, on which the region has any
    report (every level and category; today may still be empty just after midnight), or
    None without any report. A region-wide day without a single report is no data — a
    system not yet connected, or down — not a quiet day; and a few stray older cases (a
    demo's, an import's) must not make weeks of emptiness look like history."""
    reported = set()
    for frame in counts.values():
        reported.update(frame.loc[frame["n"] > 0, "day"])
    if not reported:
        return None
    day = today if today in reported else today - timedelta(days=1)
    while day - timedelta(days=1) in reported:
        day -= timedelta(days=1)
    return day


def _score_c2(result: Scored, y: np.ndarray, units: list[str], level: str, category: str,
              days: list[date], share: float, config: SurgeConfig) -> None:
    if not len(units):
        return
    base = y[:, -1 - C2_BASE_FROM:-C2_BASE_TO]
    mean, sd = base.mean(axis=1) * share, base.std(axis=1, ddof=1) * math.sqrt(share)
    c2 = (y[:, -1] - mean) / np.maximum(sd, 0.5)
    for i, unit in enumerate(units):
        if c2[i] > config.c2_threshold and y[i, -1] >= config.min_count:
            result.candidates.append(Candidate(level, unit, category, days[-1], "ears_c2",
                                               int(y[i, -1]), float(mean[i]), float(c2[i]),
                                               1.0, [int(v) for v in y[i, -15:-1]], 1))


def test_key(c: Candidate) -> str:
    """The budgeted test a candidate comes from (its calibration key), or its method."""
    return window_key(c.window_days) if c.method == "nb_glm" else c.method


@dataclass(frozen=True)
class Thresholds:
    """Per budgeted test: the calibration scores (highest first), the score a candidate
    must exceed, and the test's share of the budget."""

    pooled: dict[str, np.ndarray]
    score: dict[str, float]
    shares: dict[str, float] = field(default_factory=dict)

    def rarity(self, key: str, score: float) -> float:
        """Share of calibration series-days scoring at least `score` (lower = rarer)."""
        values = self.pooled[key]
        return float(np.sum(values >= score)) / max(len(values), 1)


def thresholds(scored: list[Scored], config: SurgeConfig) -> Thresholds:
    """Per test, the score the calibration (gap) days reached on `budget × share × days`
    series-days in all (`days`: the gap days it scores): the test's share of the budget's
    warnings a day, had these thresholds been used there, across every level and category
    of the run. Each window
    length is calibrated on its own scores: the best of three windows, calibrated as one,
    reaches high scores by chance three ways, and the budget went a third each to windows
    that see late what the one-day window sees on the day."""
    shares = config.shares()
    pooled = {key: np.sort(np.concatenate([np.asarray(s.calibration.get(key, []))
                                           for s in scored] or [np.zeros(0)]))[::-1]
              for key in shares}
    score = {}
    for key, share in shares.items():
        positive = pooled[key][pooled[key] > 0]
        allowed = int(config.budget_per_day * share * config.calibration_days(key))
        # A new day's score passes the k-th highest of n with chance k / (n + 1): the
        # allowed-th highest lets through about `allowed` on as many new series-days (the
        # (allowed + 1)-th, as before, 20 % more for the three-day window's 5).
        at = max(allowed - 1, 0)
        score[key] = (positive[at] if at < len(positive)
                      else (positive[-1] if len(positive) else 0.0))
    return Thresholds(pooled, score, shares)


def rank(scored: list[Scored], config: SurgeConfig,
         calibrated: Thresholds | None = None) -> list[Candidate]:
    """Every candidate that passes its test's budget threshold, rarest for its test's share
    of the budget first (thresholds from `scored`'s own calibration unless given). EARS C2
    keeps its fixed threshold and ranks last."""
    calibrated = calibrated or thresholds(scored, config)
    kept, order = [], []
    for s in scored:
        for c in s.candidates:
            key = test_key(c)
            rarity, relative = 1.0, float("inf")
            if key in calibrated.score:
                if c.score <= calibrated.score[key]:
                    continue
                rarity = calibrated.rarity(key, c.score)
                relative = rarity / calibrated.shares[key]
            elif c.method != "ears_c2":
                continue  # a test given no share of the budget
            kept.append(replace(c, rarity=rarity))
            order.append(relative)
    ranked = sorted(zip(order, kept, strict=True),
                    key=lambda p: (p[0], METHODS.index(p[1].method), -p[1].score,
                                   p[1].window_days, p[1].unit, p[1].category))
    return [c for _relative, c in ranked]


def detect(counts: dict[str, pd.DataFrame], today: date, share: float,
           config: SurgeConfig, cal: WorkCalendar = DEFAULT_CALENDAR) -> list[Candidate]:
    """`counts`: level -> unit, category, day, n (daily_counts). Ranked candidates, one per
    series and day at most (its rarest test)."""
    scored, since = [], data_start(counts, today)
    for level, frame in counts.items():
        for category, part in frame.groupby("category"):
            scored.append(score_category(part, level, str(category), today, share, config,
                                         cal, data_from=since))
    best: dict[tuple[str, str, str], Candidate] = {}
    for c in rank(scored, config):
        best.setdefault((c.level, c.unit, c.category), c)
    return list(best.values())
