"""How well the early warnings work, and how long a city's detection takes.

Surges: two years of a city's township × category daily counts (negative binomial, with
day-of-week, holiday and season effects, levels spread like Xuzhou's ~4,000 reports a day
over 171 townships and 6 categories). Tuned on year 1: the budget setting (the detector's
one knob) is the largest up to `--budget` whose `--tune-runs` un-injected runs warned at most
`--budget` a day. Tested on year 2: `--per-kind` spikes, steps and ramps (1–5 days, +1…+4
SD of their footprint's baseline: one grid, 5 grids or a township) over `--episodes`
episodes of 5 days; each run fits its baselines once on the un-injected history and scores
the un-injected and the injected counts. Printed: detection rate by kind, size and
footprint, median days to detect (0 = on the first day), +3 SD township surges the same day
and by the next, false warnings a day on the un-injected runs, PPV per kind, a run's time.

`--ceiling`: the same city's +3 SD township surges as found within one day by a detector
that knows every series' true mean and spends the whole budget on them (the most any
detector of daily counts can do at that budget).

Space-time scan: `--scan-null` runs without a cluster and `--scan-runs` with one cluster of
5 grids across a township border, over ~10,800 generated grid centroids: signals by chance,
detection by size, a class's scan time.

Repeat complaints: `--problems` problems (a subclass at a place), each reported `--reports`
times in other words (simulation.inject.paraphrase), all in the same grid: pair precision
and recall of the MinHash test, and how many problems end as one cluster of ≥ 3.

Speed: `--database-url` (a seeded city) times one `detect_once` over it, per detector.

    .venv/bin/python bench/early_warning.py --skip clusters
    .venv/bin/python bench/early_warning.py --database-url postgresql+psycopg://…/db --region 320300
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from data_access.sla import DEFAULT_CALENDAR
from data_access.warnings import clusters, complaint_text, surges
from simulation import inject

CATEGORIES = ("urban", "environment", "safety", "order", "dispute", "service")
CATEGORY_SHARE = (0.45, 0.12, 0.10, 0.08, 0.12, 0.13)
ALPHA = 0.15  # extra-Poisson variation of a series


def city_counts(rng: np.random.Generator, first: date, n_days: int, townships: int,
                per_day: float) -> tuple[pd.DataFrame, np.ndarray]:
    """Daily counts per township × category; returns the frame and the means (series ×
    day) it was drawn from."""
    days = [first + timedelta(days=i) for i in range(n_days)]
    size = rng.lognormal(0, 0.6, townships)
    size /= size.sum()
    dow = np.array([1.05, 1.05, 1.0, 1.0, 1.0, 0.75, 0.7])
    day_factor = np.array([dow[d.weekday()] * (0.6 if not DEFAULT_CALENDAR.is_workday(d)
                                               and d.weekday() < 5 else 1.0) for d in days])
    season = 1 + 0.1 * np.sin(np.arange(n_days) / 365 * 2 * np.pi)
    levels = np.outer(size, CATEGORY_SHARE).reshape(-1) * per_day
    mu = levels[:, None] * (day_factor * season)[None, :]
    return days, mu


def draw(rng: np.random.Generator, mu: np.ndarray) -> np.ndarray:
    k = 1 / ALPHA
    return rng.negative_binomial(k, k / (k + mu))


KINDS = ("spike", "step", "ramp")
FOOTPRINTS = ("grid", "5 grids", "township")
SIZES = (1, 2, 3, 4)
COUNTIES = 10


@dataclass(frozen=True)
class Scenario:
    kind: str
    footprint: str
    sd: int
    series: int
    start: int  # day index
    extra: tuple[int, ...]  # cases added on each day from `start`


def shape(kind: str, sd: float, length: int) -> np.ndarray:
    """The surge in baseline SDs on each of its days: a one-day spike, a step held, a ramp
    rising to `sd` on its last day."""
    if kind == "spike":
        return np.array([sd])
    if kind == "step":
        return np.full(length, sd)
    return sd * np.arange(1, length + 1) / length


def make_scenarios(rng: np.random.Generator, mu: np.ndarray, townships: int, starts: list[int],
                   per_kind: int) -> list[Scenario]:
    """`per_kind` scenarios of each kind over the episodes starting on `starts`, on distinct
    township × category series within an episode; sizes, lengths (spike 1 day, step and
    ramp 2–5) and footprints drawn uniformly. A footprint's baseline SD is its own: a grid's
    expected count is the township's times the grid's share (Dirichlet shares over ~63 grids
    a township, as Xuzhou's 10,840 over 171), 5 grids' the sum of five shares. The cases added
    are the SDs times that SD, rounded up (so +k SD is never less than k SD)."""
    grid_shares = [rng.dirichlet(np.full(63, 2.0)) for _ in range(townships)]
    scenarios = []
    per_episode = -(-per_kind // len(starts))
    for start in starts:
        series = rng.permutation(mu.shape[0])[:per_episode * len(KINDS)]
        for n, s in enumerate(series):
            kind = KINDS[n % len(KINDS)]
            footprint = FOOTPRINTS[int(rng.integers(len(FOOTPRINTS)))]
            sd = int(rng.choice(SIZES))
            length = 1 if kind == "spike" else int(rng.integers(2, 6))
            share = {"grid": grid_shares[s // len(CATEGORIES)][:1].sum(),
                     "5 grids": grid_shares[s // len(CATEGORIES)][:5].sum(),
                     "township": 1.0}[footprint]
            base = mu[s, start:start + length] * share
            extra = np.ceil(shape(kind, sd, length) * np.sqrt(base * (1 + ALPHA * base)))
            scenarios.append(Scenario(kind, footprint, sd, int(s), start,
                                      tuple(int(e) for e in extra)))
    return scenarios


def levels_of(counts: np.ndarray, townships: int) -> dict[str, np.ndarray]:
    """township × category rows (series = township·6 + category) and their counties'."""
    by_town = counts.reshape(townships, len(CATEGORIES), -1)
    county = np.zeros((COUNTIES, len(CATEGORIES), counts.shape[1]))
    np.add.at(county, np.arange(townships) * COUNTIES // townships, by_town)
    return {"township": by_town, "county": county}


def run_day(null: np.ndarray, injected: np.ndarray | None, days: list[date], today: int,
            config: surges.SurgeConfig, townships: int
            ) -> tuple[list[surges.Scored], list[surges.Scored]]:
    """One run as at the end of day `today`: each level × category's baseline fitted once on
    the null history (no scenario starts before an episode, whose runs' fit windows end
    before it), scored on the null counts and on the injected ones."""
    window = slice(today - config.history_days, today + 1)
    run_days = days[window]
    scored_null, scored_injected = [], []
    for level, series in levels_of(null[:, window], townships).items():
        series_inj = (levels_of(injected[:, window], townships)[level]
                      if injected is not None else None)
        for c, category in enumerate(CATEGORIES):
            y = series[:, c, :].astype(float)
            units = [f"{level}-{u}" for u in range(len(y))]
            b = surges.fit_baseline(y, units, level, category, run_days, 1.0, config)
            scored_null.append(surges.score_baseline(b, y, config))
            if series_inj is not None:
                scored_injected.append(surges.score_baseline(
                    b, series_inj[:, c, :].astype(float), config))
    return scored_null, scored_injected


def warned(scored: list[surges.Scored], config: surges.SurgeConfig,
           calibrated: surges.Thresholds) -> set[tuple[str, str]]:
    return {(c.unit, c.category) for c in surges.rank(scored, config, calibrated)}


def surge_bench(args) -> None:
    rng = np.random.default_rng(args.seed)
    config = surges.SurgeConfig(budget_per_day=args.budget)
    window = config.history_days
    first = date(2024, 6, 1)
    n_days = window + 2 * 365
    days, mu = city_counts(rng, first, n_days, args.townships, args.per_day)
    null = draw(rng, mu)
    n_series = null.shape[0]
    print(f"surges: {args.townships} townships × {len(CATEGORIES)} categories ({n_series} "
          f"township series + {COUNTIES * len(CATEGORIES)} county), ~{args.per_day:.0f} "
          f"reports a day; fit window {config.fit_weeks} weeks, gap {config.gap_days} days, "
          f"windows {config.windows} days; two years generated: tuned on the first, tested "
          f"on the second")
    # Tuning: the detector's budget setting (its thresholds and its day's cap), on year 1's
    # un-injected runs: the largest setting up to the target whose runs warned ≤ the target
    # a day past the thresholds.
    tune_days = [window + int(d) for d in np.linspace(0, 364, args.tune_runs)]
    candidates = tuple(b for b in (4, 6, 8, 10, 12, 14) if b <= args.budget)
    per_budget = {b: [] for b in candidates}
    started = time.perf_counter()
    for today in tune_days:
        scored, _ = run_day(null, None, days, today, config, args.townships)
        for b in candidates:
            cfg = replace(config, budget_per_day=b)
            per_budget[b].append(len(surges.rank(scored, cfg)))
    means = {b: float(np.mean(v)) for b, v in per_budget.items()}
    budget = max([b for b in candidates if means[b] <= args.budget] or [min(candidates)])
    config = replace(config, budget_per_day=budget)
    print(f"  tuning, year 1 ({len(tune_days)} un-injected runs, "
          f"{time.perf_counter() - started:.0f} s): warnings a day by budget setting " +
          ", ".join(f"{b}: {means[b]:.1f}" for b in candidates) +
          f" -> budget setting {budget}")
    # Test: year 2, episodes of 5 days; scenarios start on an episode's first day.
    episodes = args.episodes
    starts = [window + 365 + int(d) for d in np.linspace(0, 360 - 5, episodes)]
    scenarios = make_scenarios(rng, mu, args.townships, starts, args.per_kind)
    detected_on: dict[int, int | None] = {}
    false_per_run, capped_per_run, seconds = [], [], []
    for start in starts:
        injected = null.copy()
        mine = [(n, sc) for n, sc in enumerate(scenarios) if sc.start == start]
        for _n, sc in mine:
            injected[sc.series, sc.start:sc.start + len(sc.extra)] += np.array(sc.extra)
        for today in range(start, start + 5):
            t0 = time.perf_counter()
            scored_null, scored_inj = run_day(null, injected, days, today, config,
                                              args.townships)
            seconds.append(time.perf_counter() - t0)
            calibrated = surges.thresholds(scored_null, config)
            false = surges.rank(scored_null, config, calibrated)
            false_per_run.append(len(false))
            capped_per_run.append(min(len(false), int(config.budget_per_day)))
            hits = warned(scored_inj, config, calibrated)
            for n, sc in mine:
                if n in detected_on or today >= sc.start + len(sc.extra):
                    continue
                t, c = divmod(sc.series, len(CATEGORIES))
                if (f"township-{t}", CATEGORIES[c]) in hits:
                    detected_on[n] = today - sc.start
    _print_surge_figures(scenarios, detected_on, false_per_run, capped_per_run, seconds,
                         config, len(starts))


def _rate(hits: list[int | None], within: int | None = None) -> str:
    if not hits:
        return "—"
    ok = [h for h in hits if h is not None and (within is None or h <= within)]
    return f"{len(ok) / len(hits):.0%}"


def _hits(scenarios: list[Scenario], hits: list[int | None], **match) -> list[int | None]:
    return [h for sc, h in zip(scenarios, hits, strict=True)
            if all(getattr(sc, k) == v for k, v in match.items())]


def _print_surge_figures(scenarios: list[Scenario], detected_on: dict[int, int | None],
                         false_per_run: list[int], capped_per_run: list[int],
                         seconds: list[float], config: surges.SurgeConfig,
                         episodes: int) -> None:
    hits = [detected_on.get(n) for n in range(len(scenarios))]
    print(f"  test, year 2: {episodes} episodes × 5 days, {len(scenarios)} scenarios, each "
          f"scored as if alone (thresholds from the un-injected run; a day's cap of "
          f"{config.budget_per_day:g} not applied to them)")
    for kind in KINDS:
        mine = [h for sc, h in zip(scenarios, hits, strict=True) if sc.kind == kind]
        seen = [h for h in mine if h is not None]
        ttd = statistics.median(seen) if seen else float("nan")
        by_size = ", ".join(f"+{z} SD {_rate(_hits(scenarios, hits, kind=kind, sd=z))}"
                            for z in SIZES)
        print(f"  {kind:5}: {len(mine)} scenarios, detected {_rate(mine)} (same day "
              f"{_rate(mine, 0)}), median days to detect {ttd:g}; by size {by_size}")
    for footprint in FOOTPRINTS:
        row = ", ".join(f"+{z} SD {_rate(_hits(scenarios, hits, footprint=footprint, sd=z))}"
                        for z in SIZES)
        print(f"  footprint {footprint:8}: detected {row}")
    target = _hits(scenarios, hits, footprint="township", sd=3)
    print(f"  +3 SD township surges (all kinds, {len(target)}): detected the same day "
          f"{_rate(target, 0)}, by the next day {_rate(target, 1)}, at all {_rate(target)}; "
          + ", ".join(f"{k} {_rate(_hits(scenarios, hits, footprint='township', sd=3, kind=k), 0)}"
                      f"/{_rate(_hits(scenarios, hits, footprint='township', sd=3, kind=k), 1)}"
                      for k in KINDS) + " (same day/next day)")
    runs = len(false_per_run)
    print(f"  false warnings on un-injected runs: {np.mean(false_per_run):.1f} a day past "
          f"the thresholds (max {max(false_per_run)}), {np.mean(capped_per_run):.1f} a day "
          f"after the day's cap; {runs} runs")
    # PPV per kind: on each injected run, warnings on the kind's scenarios over those plus
    # the run's false warnings shared out by the kind's share of the scenarios.
    for kind in KINDS:
        n_kind = sum(sc.kind == kind for sc in scenarios)
        true = sum(1 for sc, h in zip(scenarios, hits, strict=True)
                   if sc.kind == kind and h is not None)
        false = sum(false_per_run) * n_kind / len(scenarios)
        print(f"  PPV {kind}: {true / max(true + false, 1):.2f} ({true} scenarios warned; "
              f"{false:.0f} false warnings, the kind's share)")
    print(f"  one run (all series, both levels, null and injected): median "
          f"{statistics.median(seconds):.1f} s")


def _nb_threshold(target: float, mean: np.ndarray, alpha: np.ndarray | float) -> np.ndarray:
    """Per series, the least count y with P(Y ≥ y) ≤ p under NB(mean, alpha), at the one p
    that makes the expected false warnings a day (summed over series) at most `target`."""
    from scipy import stats

    size = 1 / np.asarray(alpha, dtype=float)

    def at(p: float) -> np.ndarray:
        return stats.nbinom.isf(p, size, size / (size + mean)) + 1

    def false(y: np.ndarray) -> float:
        return float(stats.nbinom.sf(y - 1, size, size / (size + mean)).sum())

    lo, hi = 1e-9, 0.5
    for _ in range(60):
        mid = math.sqrt(lo * hi)
        lo, hi = (lo, mid) if false(at(mid)) > target else (mid, hi)
    return at(lo)


def surge_ceiling(args) -> None:
    """What no detector of daily counts can beat: one that knows every township series'
    true mean on a weekday of year 2 (no fit, no estimation) and spends the whole budget on
    the 1,026 township series alone (none on counties), split between a one-day and a
    two-day window; +3 SD township surges of the bench's three kinds (same sizes, rounding
    up, lengths 2–5), found on their first day or the next (the target's "within one day"),
    by Monte-Carlo over `--ceiling-draws` draws of each series."""
    rng = np.random.default_rng(args.seed)
    config = surges.SurgeConfig()
    _days, mu = city_counts(rng, date(2024, 6, 1), config.history_days + 730,
                            args.townships, args.per_day)
    m = mu[:, config.history_days + 365 + 100]
    k = 1 / ALPHA
    alpha_2 = ALPHA / 2  # a sum of two independent days of equal mean
    sd = np.sqrt(m * (1 + ALPHA * m))
    print(f"surge ceiling: {len(m)} township series (median mean {np.median(m):.1f} a day), "
          f"true means known, budget {args.budget:g} false warnings a day on them alone; "
          f"+3 SD township surges found within one day, {args.ceiling_draws} draws")
    for one_day in (0.4, 0.6, 0.8, 1.0):
        y1 = _nb_threshold(args.budget * one_day, m, ALPHA)
        y2 = (_nb_threshold(args.budget * (1 - one_day), 2 * m, alpha_2) if one_day < 1
              else np.full_like(m, np.inf))
        found = {}
        for kind in KINDS:
            rates = []
            for length in ([1] if kind == "spike" else [2, 3, 4, 5]):
                extra = np.ceil(shape(kind, 3, length)[:, None] * sd[None, :])
                hit = np.zeros((args.ceiling_draws, len(m)), dtype=bool)
                before = rng.negative_binomial(k, k / (k + m), hit.shape)
                for day in range(min(length, 2)):
                    y = rng.negative_binomial(k, k / (k + m), hit.shape) + extra[day]
                    hit |= (y >= y1) | (y + before >= y2)
                    before = y
                rates.append(hit.mean())
            found[kind] = float(np.mean(rates))
        print(f"  one-day window {one_day:.0%} of the budget, two-day {1 - one_day:.0%}: "
              f"within one day {np.mean(list(found.values())):.0%}; " +
              ", ".join(f"{kind} {rate:.0%}" for kind, rate in found.items()))


COMMUNITY_CHARS = "和平幸福光明振兴朝阳育才团结胜利文化民主建设人民新华友谊长安繁荣"


def _community(v: int) -> str:
    a, b = divmod(v * 7 + 3, len(COMMUNITY_CHARS))
    return f"{COMMUNITY_CHARS[a % len(COMMUNITY_CHARS)]}{COMMUNITY_CHARS[b]}社区"


def paraphrase_corpus(rng: np.random.Generator, problems: int, reports: int, villages: int
                      ) -> tuple[list[clusters.TextCase], dict[int, int]]:
    """`problems` problems, `reports` paraphrased reports each, in `villages` villages (a
    grid each, 2.7 km apart), arriving mixed over 14 days. Every second problem is the twin
    of the one before it: the same subclass in the same community, at another building,
    spot and detail — the hardest negative (same category, same grid, same kind, other
    problem); the other problems of the village's category are negatives too."""
    specs = []
    for p in range(problems):
        if p % 2 and specs:
            village, first = specs[-1]
            while True:
                twin = inject.draw_problem(rng, _community(village), first.subclass)
                if twin.building != first.building and twin.spot != first.spot \
                        and twin.detail != first.detail:
                    break
            specs.append((village, twin))
        else:
            village = int(rng.integers(villages))
            specs.append((village, inject.draw_problem(rng, _community(village))))
    drafts = []
    for p, (village, problem) in enumerate(specs):
        major = inject.PROBLEMS[problem.subclass][0]
        start = float(rng.uniform(0, 10 * 86_400))
        for _r in range(reports):
            at = start + float(rng.uniform(0, 4 * 86_400))
            drafts.append((at, p, clusters.TextCase(
                0, major, f"320303001{village:03d}001", 117 + village * 0.03, 34.2,
                1_000_000 + at, f"{inject.PROBLEMS[problem.subclass][1]}·"
                f"{_community(village)}。{inject.paraphrase(rng, problem)}",
                complaint_text.place_names(("云龙区", "彭城街道", _community(village))))))
    drafts.sort(key=lambda d: d[0])  # ids in arrival order, as in the database
    cases = [clusters.TextCase(i + 1, *(c.category, c.grid_code, c.lon, c.lat, c.at, c.text,
                                        c.places)) for i, (_at, _p, c) in enumerate(drafts)]
    return cases, {i + 1: p for i, (_at, p, _c) in enumerate(drafts)}


# Each spot of inject.SPOTS said only in words the matcher's tables do not know (`--unseen`):
# what the figures become when callers name a place in words outside CANONICAL / LANDMARKS.
UNSEEN_SPOTS = (("楼房底下", "楼脚下", "楼栋下方"), ("进单元的地方", "楼洞口", "单元楼入户处"),
                ("东首", "朝东那块", "东半拉"), ("车位旁", "地面车位那", "泊车处"),
                ("北出入口", "北口那里", "朝北的出口"), ("买菜的地方", "早市那块", "集市旁"),
                ("运动器械边", "老人锻炼的地方", "跳舞的空地"),
                ("托儿所门口", "托班旁", "小朋友上学的园子"))


def _precision_recall(said: set[tuple[int, int]], truth: set[tuple[int, int]]
                      ) -> tuple[float, float]:
    hit = len(said & truth)
    return hit / max(len(said), 1), hit / max(len(truth), 1)


def cluster_bench(args, config: clusters.ClusterConfig, shingle: int, vocabulary: bool = True,
                  label: str = "") -> None:
    rng = np.random.default_rng(args.seed + 1)
    cases, problem_of = paraphrase_corpus(rng, args.problems, args.reports, args.villages)
    started = time.perf_counter()
    sigs = clusters.signatures(cases, k=shingle, vocabulary=vocabulary)
    pairs = clusters.similar_pairs(cases, config, sigs)
    placed = clusters.assign(list(zip(cases, sigs, strict=True)), clusters.Neighbourhood(),
                             config)
    seconds = time.perf_counter() - started
    by_cluster: dict[int, list[int]] = {}
    for member, _similarity in placed:
        by_cluster.setdefault(member.cluster_id, []).append(member.case.id)
    groups = [g for g in by_cluster.values() if len(g) >= config.min_size]
    truth = {(a.id, b.id) for i, a in enumerate(cases) for b in cases[i + 1:]
             if problem_of[a.id] == problem_of[b.id]}
    hard = {(a.id, b.id) for i, a in enumerate(cases) for b in cases[i + 1:]
            if problem_of[a.id] // 2 == problem_of[b.id] // 2
            and problem_of[a.id] != problem_of[b.id]}
    pair_p, pair_r = _precision_recall({(a, b) for a, b, _s in pairs}, truth)
    together = {(a, b) for g in groups for i, a in enumerate(g) for b in g[i + 1:]}
    cl_p, cl_r = _precision_recall(together, truth)
    members = {p: {c.id for c in cases if problem_of[c.id] == p} for p in range(args.problems)}
    whole = sum(1 for p in range(args.problems) if any(set(g) == members[p] for g in groups))
    warned = sum(1 for p in range(args.problems)
                 if any(len(set(g) & members[p]) >= config.min_size for g in groups))
    mixed = sum(1 for g in groups if len({problem_of[i] for i in g}) > 1)
    print(f"repeat complaints{label} (seed {args.seed}): {args.problems} problems × "
          f"{args.reports} paraphrased reports "
          f"over {args.villages} villages ({len(truth)} same-problem pairs; {len(hard)} "
          f"hard-negative pairs: a twin problem of the same subclass in the same community), "
          f"MinHash {clusters.NUM_PERM} permutations over character {shingle}-grams of the "
          f"content{'' if vocabulary else ' without the canonical vocabulary'}, threshold "
          f"{config.threshold} ({config.spot_threshold} when a numbered spot is shared; "
          f"{config.place_threshold} when a landmark is, {config.other_place_threshold} when "
          f"both name only other landmarks)")
    print(f"  similar pairs: precision {pair_p:.3f}, recall {pair_r:.3f}; hard negatives "
          f"called similar: {len(hard & {(a, b) for a, b, _s in pairs})}")
    print(f"  clusters ≥ {config.min_size} (pairs put together): precision {cl_p:.3f}, "
          f"recall {cl_r:.3f}; "
          f"clusters ≥ {config.min_size}: {len(groups)}, of which {mixed} mix problems; "
          f"problems warned (≥ {config.min_size} of its reports in one cluster): "
          f"{warned / args.problems:.0%}, found whole: {whole / args.problems:.0%}; "
          f"{seconds:.2f} s")


def cluster_speed_bench(args) -> None:
    """The repeat-complaint step as the hourly detector runs it on a seeded city: a first
    run signs the window's cases (once), then each hourly run signs and places only the
    hour's new reports. The signatures are removed at the end (the database stays as
    seeded)."""
    from sqlalchemy import func, select

    from data_access.db import make_engine, session_factory
    from data_access.models import Case, CaseSignature
    from data_access.timeutil import local_day_bounds
    from data_access.wall_scope import scope_for
    from data_access.warnings.detect import cluster_findings

    engine = make_engine(args.database_url)
    sessions = session_factory(engine)
    zone = ZoneInfo("Asia/Shanghai")
    counties = scope_for(args.region).counties
    config = clusters.ClusterConfig()
    with sessions() as session:
        last = session.scalar(select(func.max(Case.reported_at)))
        total = session.scalar(select(func.count()).select_from(Case))
    end = datetime.fromisoformat(args.end).replace(tzinfo=UTC) if args.end else \
        last.replace(minute=0, second=0, microsecond=0)
    print(f"repeat-complaint step on region {args.region} ({engine.dialect.name}, {total:,} "
          f"cases; last report {last:%Y-%m-%d %H:%M} UTC)")
    for k, until in enumerate(end - timedelta(hours=h) for h in range(args.hours, -1, -1)):
        day_start, _ = local_day_bounds(until.astimezone(zone).date(), zone)
        with sessions() as session:
            started = time.perf_counter()
            findings, facts = cluster_findings(session, counties, until, config, day_start)
            seconds = time.perf_counter() - started
        print(f"  {'first run (signs the window)' if k == 0 else 'hourly run'} up to "
              f"{until:%Y-%m-%d %H:%M} UTC: {seconds:.2f} s; {facts['signed']:,} cases signed, "
              f"{facts['neighbours_read']:,} stored signatures read, "
              f"{facts['growing_clusters']} growing clusters, {len(findings)} warnings")
    if not args.keep_signatures:
        with engine.begin() as conn:
            conn.execute(CaseSignature.__table__.delete())
    engine.dispose()



def city_grids(rng: np.random.Generator, townships: int, per_township: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid centroids like a city's: townships ~5 km apart on a lattice, each with its
    grids scattered ~2 km around its centre (so neighbouring townships' grids mingle near
    their border); returns lon, lat, township index per grid."""
    side = int(np.ceil(np.sqrt(townships)))
    centre = np.array([(t % side, t // side) for t in range(townships)], dtype=float) * 0.05
    town = np.repeat(np.arange(townships), per_township)
    lon = 117.0 + centre[town, 0] + rng.normal(0, 0.02, len(town))
    lat = 34.0 + centre[town, 1] + rng.normal(0, 0.02, len(town))
    return lon, lat, town


def scan_bench(args) -> None:
    """One class (urban, 45 % of ~4,000 reports a day) over ~10,800 grids, 28 days: runs
    without a cluster (how often a signal comes by chance) and runs with one cluster of 5
    neighbouring grids that spans 2 townships, +k SD of those grids' window baseline over
    its last 1–3 days; found = a signal whose grids include at least one of them."""
    from data_access.warnings import scan

    rng = np.random.default_rng(args.seed + 2)
    config = scan.ScanConfig()
    lon, lat, town = city_grids(rng, args.townships, 63)
    n_grids = len(lon)
    weight = rng.lognormal(0, 0.5, n_grids)
    weight /= weight.sum()
    per_day = args.per_day * CATEGORY_SHARE[0]
    nbr = scan.nearest(lon, lat, config.neighbours)
    crossing = [g for g in range(n_grids) if len(set(town[nbr[g, :5]])) >= 2]
    analyses = config.runs_per_day * len(CATEGORIES)

    def draw_cases() -> tuple[np.ndarray, np.ndarray]:
        n = rng.poisson(per_day * config.study_days)
        return rng.choice(n_grids, n, p=weight), rng.integers(0, config.study_days, n)

    print(f"space-time scan: {n_grids} grids (lon/lat of {args.townships} townships × 63), "
          f"one class of ~{per_day:.0f} reports a day, {config.study_days} days; "
          f"k ≤ {config.neighbours} nearest grids, windows ≤ {config.max_window_days} days, "
          f"{config.replicas} replicas, signal at a recurrence ≥ {config.recurrence_days:g} "
          f"days ({analyses} analyses a day: hourly × {len(CATEGORIES)} classes)")
    null_signals, seconds = 0, []
    for _run in range(args.scan_null):
        grid, span = draw_cases()
        started = time.process_time()
        found = scan.scan_category("urban", grid, span, nbr, config, analyses)
        seconds.append(time.process_time() - started)
        null_signals += bool(found and found.signals(config))
    print(f"  without a cluster: {null_signals} signals in {args.scan_null} runs")
    sizes = (4, 8, 16, 32)
    found_by_size = {z: [] for z in sizes}
    for run in range(args.scan_runs):
        z = sizes[run % len(sizes)]
        grid, span = draw_cases()
        centre = crossing[int(rng.integers(len(crossing)))]
        members = nbr[centre, :5]
        days = int(rng.integers(1, 4))
        base = weight[members].sum() * per_day * days
        extra = int(np.ceil(z * np.sqrt(base)))
        grid = np.concatenate([grid, rng.choice(members, extra)])
        span = np.concatenate([span, rng.integers(0, days, extra)])
        started = time.process_time()
        found = scan.scan_category("urban", grid, span, nbr, config, analyses)
        seconds.append(time.process_time() - started)
        hit = bool(found and found.signals(config) and set(found.grids) & set(members))
        found_by_size[z].append(hit)
    print("  with a 5-grid cluster across a township border: detected " + ", ".join(
        f"+{z} SD {np.mean(v):.0%} of {len(v)}" for z, v in found_by_size.items()))
    print(f"  one class's scan ({config.replicas} replicas): median "
          f"{statistics.median(seconds):.1f} s of CPU")


def step_bench(args) -> None:
    """The surge and scan steps alone over a seeded city, as one run at the present instant
    does them (wall and CPU seconds each; nothing saved)."""
    from data_access.db import make_engine, session_factory
    from data_access.timeutil import as_utc
    from data_access.wall_scope import scope_for
    from data_access.warnings import detect

    engine = make_engine(args.database_url)
    sessions = session_factory(engine)
    zone = ZoneInfo("Asia/Shanghai")
    until = datetime.now(UTC)
    today = as_utc(until).astimezone(zone).date()
    counties = scope_for(args.region).counties
    config = detect.DetectConfig()
    steps = {"surges": lambda s: detect._surge_findings(s, counties, today, until, zone,
                                                         config.surge),
             "scan": lambda s: detect._scan_findings(s, counties, until, config.scan, today)}
    for name, step in steps.items():
        with sessions() as session:
            wall, cpu = time.perf_counter(), time.process_time()
            findings, facts = step(session)
            print(f"step {name} over region {args.region} ({engine.dialect.name}): "
                  f"{time.perf_counter() - wall:.1f} s wall, {time.process_time() - cpu:.1f} s "
                  f"CPU of this process; {len(findings)} found; {facts}")
    engine.dispose()


def speed_bench(args) -> None:
    from data_access.db import make_engine, session_factory
    from data_access.warnings.detect import detect_once

    engine = make_engine(args.database_url)
    sessions = session_factory(engine)
    zone = ZoneInfo("Asia/Shanghai")
    started = time.perf_counter()
    summary = detect_once(sessions, args.region, zone, datetime.now(UTC), b"bench", hour=None)
    total = time.perf_counter() - started
    # Saved warnings are the bench's: remove them, the database stays as seeded.
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM warning_cases")
        conn.exec_driver_sql("DELETE FROM warnings")
    engine.dispose()
    print(f"one detection run over region {args.region} ({engine.dialect.name}): {total:.1f} s "
          f"in all; " + "; ".join(f"{k} {summary[k]['seconds']} s ({summary[k]['found']} found)"
                                  for k in ("surges", "scan", "clusters", "callers")))
    print(f"  facts: {summary}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-kind", type=int, default=200,
                        help="surge scenarios of each kind (spike, step, ramp)")
    parser.add_argument("--episodes", type=int, default=8,
                        help="5-day test episodes in year 2 the scenarios share")
    parser.add_argument("--tune-runs", type=int, default=12,
                        help="un-injected runs of year 1 the budget setting is tuned on")
    parser.add_argument("--townships", type=int, default=171)
    parser.add_argument("--per-day", type=float, default=4000.0)
    parser.add_argument("--budget", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--problems", type=int, default=200)
    parser.add_argument("--reports", type=int, default=4)
    parser.add_argument("--villages", type=int, default=40)
    parser.add_argument("--unseen", action="store_true",
                        help="repeat complaints: spots said in words the tables do not know")
    parser.add_argument("--scan-null", type=int, default=20,
                        help="space-time scan runs without a cluster")
    parser.add_argument("--scan-runs", type=int, default=40,
                        help="space-time scan runs with an injected cluster")
    parser.add_argument("--ceiling-draws", type=int, default=2000,
                        help="Monte-Carlo draws of the surge ceiling (with --ceiling)")
    parser.add_argument("--ceiling", action="store_true",
                        help="print the surge ceiling: a detector knowing the true means")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--region", default="320300")
    parser.add_argument("--end", default=None,
                        help="UTC hour the hourly runs end at, e.g. 2026-12-02T06:00 (14:00 "
                             "in Shanghai; default: the hour of the last report)")
    parser.add_argument("--hours", type=int, default=3,
                        help="hourly repeat-complaint runs after the first (with --database-url)")
    parser.add_argument("--keep-signatures", action="store_true",
                        help="leave the repeat-complaint signatures in the database")
    parser.add_argument("--steps-only", action="store_true",
                        help="with --database-url: time the surge and scan steps alone")
    parser.add_argument("--skip", default="",
                        help="comma-separated: quality (repeat complaints' precision and "
                             "recall), surges, scan (the space-time scan's runs), clusters "
                             "(the repeat-complaint step's hourly runs), detect (one whole "
                             "run)")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"early-warning bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} "
          f"CPUs; load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    skip = set(args.skip.split(","))
    if args.unseen:
        assert len(UNSEEN_SPOTS) == len(inject.SPOTS)
        inject.SPOTS = UNSEEN_SPOTS
        print("spots said only in words outside the vocabulary and landmark tables (--unseen)")
    if "quality" not in skip:
        default = clusters.ClusterConfig()
        neutral = replace(default, place_threshold=default.threshold,
                          other_place_threshold=default.threshold)
        # The defaults, then each part taken out: the vocabulary table, the landmark rule,
        # both; then 3-grams instead of bigrams.
        for label, config, shingle, vocabulary in (
                (", defaults", default, 2, True),
                (", without the vocabulary table", default, 2, False),
                (", without the landmark rule", neutral, 2, True),
                (", without either", neutral, 2, False),
                (", 3-grams", default, 3, True)):
            cluster_bench(args, config, shingle, vocabulary, label)
    if "surges" not in skip:
        surge_bench(args)
    if args.ceiling:
        surge_ceiling(args)
    if "scan" not in skip:
        scan_bench(args)
    if args.database_url and args.steps_only:
        step_bench(args)
    if args.database_url and "clusters" not in skip and not args.steps_only:
        cluster_speed_bench(args)
    if args.database_url and "detect" not in skip and not args.steps_only:
        speed_bench(args)
    load = os.getloadavg()
    print(f"load average at end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
