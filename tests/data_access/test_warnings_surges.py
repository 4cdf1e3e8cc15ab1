"""The surge detector's power on a fixed seed: a city of 171 townships × 6 categories of
negative-binomial daily counts (α = 0.15, sizes spread like Xuzhou's ~4,000 reports a
day), +3 SD one-day spikes and two-day steps injected into known series, the thresholds
learnt from the un-injected counts as a run does. Numbers only: what share is found, how
many warnings the un-injected counts give. Before the budget was split by test (one
calibration for the best of the 1-, 2- and 3-day windows, a fifth of the budget for the
CUSUM), this seed found 34 of 100 spikes on their day, 93 of 100 steps by their second
day, with 12 warnings on the un-injected counts; now 45, 84 and 8."""
from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from data_access.warnings import surges

TOWNSHIPS = 171
CATEGORY_SHARE = (0.45, 0.12, 0.10, 0.08, 0.12, 0.13)
ALPHA = 0.15
TODAY = date(2025, 4, 16)  # a Wednesday
INJECTED = 100  # series of each kind


def _city(seed: int, config: surges.SurgeConfig):
    rng = np.random.default_rng(seed)
    days = surges.run_days(TODAY, config)
    size = rng.lognormal(0, 0.6, TOWNSHIPS)
    size /= size.sum()
    dow = np.array([1.05, 1.05, 1.0, 1.0, 1.0, 0.75, 0.7])
    factor = np.array([dow[d.weekday()] for d in days])
    mu = np.outer(size, CATEGORY_SHARE).reshape(TOWNSHIPS, len(CATEGORY_SHARE), 1) * 4000
    mu = mu * factor
    k = 1 / ALPHA
    null = rng.negative_binomial(k, k / (k + mu)).astype(float)
    sd = np.sqrt(mu * (1 + ALPHA * mu))
    picked = rng.permutation(TOWNSHIPS * len(CATEGORY_SHARE))[:2 * INJECTED]
    spikes, steps = picked[:INJECTED], picked[INJECTED:]
    injected = null.copy()
    for s in spikes:
        t, c = divmod(int(s), len(CATEGORY_SHARE))
        injected[t, c, -1] += np.ceil(3 * sd[t, c, -1])
    for s in steps:
        t, c = divmod(int(s), len(CATEGORY_SHARE))
        injected[t, c, -2:] += np.ceil(3 * sd[t, c, -2:])
    return days, null, injected, spikes, steps


def _run(config: surges.SurgeConfig, seed: int = 13):
    """Warned series (township, category) on the un-injected and on the injected counts of
    the last day, with the thresholds of the un-injected run."""
    days, null, injected, spikes, steps = _city(seed, config)
    units = [str(t) for t in range(TOWNSHIPS)]
    scored_null, scored_injected = [], []
    for c in range(len(CATEGORY_SHARE)):
        b = surges.fit_baseline(null[:, c, :], units, "township", str(c), days, 1.0, config)
        scored_null.append(surges.score_baseline(b, null[:, c, :], config))
        scored_injected.append(surges.score_baseline(b, injected[:, c, :], config))
    calibrated = surges.thresholds(scored_null, config)
    false = surges.rank(scored_null, config, calibrated)
    warned = {(int(c.unit), int(c.category)) for c in
              surges.rank(scored_injected, config, calibrated)}

    def found(series) -> int:
        return sum(divmod(int(s), len(CATEGORY_SHARE)) in warned for s in series)

    return len(false), found(spikes), found(steps), false


@pytest.fixture(scope="module")
def default_run():
    return _run(surges.SurgeConfig())


def test_spikes_of_three_sd_are_found_on_their_day_within_the_budget(default_run):
    false, spikes, _steps, _warnings = default_run
    # 10 a day is the budget; the un-injected day of this seed gives 8 (12 before).
    assert false <= 10
    # 45 of 100 (34 before); a detector that knew every series' true mean finds about
    # half at this budget (README, early warnings).
    assert spikes >= 40


def test_two_day_steps_of_three_sd_are_found_by_their_second_day(default_run):
    _false, _spikes, steps, _warnings = default_run
    # 84 of 100 on the second day alone (93 before: less of the budget is the two- and
    # three-day windows' now).
    assert steps >= 80


def test_the_one_day_window_has_most_of_the_budget(default_run):
    *_, warnings = default_run
    assert surges.SurgeConfig().shares() == {"nb_glm:1": 0.6, "nb_glm:2": 0.3, "nb_glm:3": 0.1}
    assert all(w.method == "nb_glm" for w in warnings)


def test_configured_cusum_takes_its_share_from_the_windows():
    config = surges.configured(10, 0.1)
    shares = config.shares()
    assert shares["cusum"] == 0.1
    assert abs(sum(shares.values()) - 1.0) < 1e-9
    assert abs(shares["nb_glm:1"] - 0.54) < 1e-9
    assert surges.configured(10).shares() == surges.SurgeConfig().shares()
    with pytest.raises(ValueError, match="CUSUM"):
        surges.configured(10, 1.0)


def test_the_cusum_when_on_flags_slow_rises():
    """+0.75 SD a day more over the 7 gap days and today (+6 SD on the last), in 100
    series. With the CUSUM on (a fifth of the budget) it flags nearly all of them (all 100
    on this seed); off, none of its warnings; the un-injected counts stay within twice the
    budget either way (the thresholds are learnt on them, and a day varies)."""
    on = surges.configured(10, 0.2)
    days, null, *_ = _city(29, on)
    rng = np.random.default_rng(5)
    rising = rng.permutation(TOWNSHIPS * len(CATEGORY_SHARE))[:INJECTED]
    injected = null.copy()
    mu = null[:, :, :-8].mean(axis=2)
    sd = np.sqrt(mu * (1 + ALPHA * mu))
    for s in rising:
        t, c = divmod(int(s), len(CATEGORY_SHARE))
        injected[t, c, -8:] += np.ceil(0.75 * sd[t, c] * np.arange(1, 9))
    units = [str(t) for t in range(TOWNSHIPS)]
    methods = {}
    for name, config in (("on", on), ("off", surges.SurgeConfig())):
        scored_null, scored_injected = [], []
        for c in range(len(CATEGORY_SHARE)):
            b = surges.fit_baseline(null[:, c, :], units, "township", str(c), days, 1.0,
                                    config)
            scored_null.append(surges.score_baseline(b, null[:, c, :], config))
            scored_injected.append(surges.score_baseline(b, injected[:, c, :], config))
        calibrated = surges.thresholds(scored_null, config)
        assert len(surges.rank(scored_null, config, calibrated)) <= 2 * config.budget_per_day
        warned = surges.rank(scored_injected, config, calibrated)
        methods[name] = {divmod(int(s), len(CATEGORY_SHARE)) for s in rising} & {
            (int(w.unit), int(w.category)) for w in warned if w.method == "cusum"}
    assert methods["off"] == set()
    assert len(methods["on"]) >= 90
