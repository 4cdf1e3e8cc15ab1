"""How well the early warnings work, and how long a city's detection takes.

Surges: a city's township × category daily counts (negative binomial, with day-of-week and
holiday effects, levels spread like Xuzhou's ~4,000 reports a day over 171 townships and 6
categories) are generated for the fit window plus `--days` held-out test days. Each test
day starts one spike (+`--sd` SD for one day), one step (+2 SD for 3 days) and one ramp
(+1 to +4 SD over 5 days) in a township × category not in use by another scenario. The
detector runs once per test day, as at the day's end, with the city-wide budget; it tunes
nothing on the test days (its thresholds come from each run's own trailing window). Printed:
per scenario kind, detection rate and median days to detect (0 = on the first day); false
warnings per day (warnings on series without a running scenario, their county included);
positive predictive value.

Repeat complaints: `--problems` problems (a subclass at a place), each reported `--reports`
times in other words (simulation.inject.paraphrase), all in the same grid: pair precision
and recall of the MinHash test, and how many problems end as one cluster of ≥ 3.

Speed: `--database-url` (a seeded city) times one `detect_once` over it, per detector.

    .venv/bin/python bench/early_warning.py --days 60
    .venv/bin/python bench/early_warning.py --database-url postgresql+psycopg://…/db --region 320300
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
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


def frame_of(counts: np.ndarray, days: list[date], townships: int, upto: int,
             window: int) -> dict[str, pd.DataFrame]:
    """The detector's input for a run on day index `upto` (township and county level; 10
    counties of about equal numbers of townships)."""
    sl = slice(upto - window, upto + 1)
    units = [f"320300{t // 18:01d}{t:02d}"[:9] for t in range(townships)]
    rows = []
    for s in range(counts.shape[0]):
        t, c = divmod(s, len(CATEGORIES))
        for j, d in enumerate(days[sl]):
            rows.append((f"3203{t // 18:02d}{t:03d}", CATEGORIES[c], d,
                         int(counts[s, sl.start + j])))
    del units
    town = pd.DataFrame(rows, columns=["unit", "category", "day", "n"])
    county = town.assign(unit=town["unit"].str[:6]).groupby(
        ["unit", "category", "day"], as_index=False)["n"].sum()
    return {"township": town, "county": county}


def surge_bench(args) -> None:
    rng = np.random.default_rng(args.seed)
    config = surges.SurgeConfig(budget_per_day=args.budget)
    window = config.history_days
    first = date(2025, 6, 1)
    n_days = window + args.days + 6
    days, mu = city_counts(rng, first, n_days, args.townships, args.per_day)
    counts = draw(rng, mu)
    n_series = counts.shape[0]
    scenarios = []  # (kind, series, start, length)
    busy = np.zeros((n_series, n_days), dtype=bool)
    shapes = {"spike": [args.sd], "step": [2.0] * 3, "ramp": [1.0, 1.75, 2.5, 3.25, 4.0]}
    for d in range(args.days):
        start = window + d
        for kind, extra in shapes.items():
            for _try in range(100):
                s = int(rng.integers(n_series))
                if not busy[s, start - 7:start + len(extra) + 7].any():
                    break
            busy[s, start:start + len(extra)] = True
            sd = np.sqrt(mu[s, start:start + len(extra)] * (1 + ALPHA * mu[s, start:start +
                                                                               len(extra)]))
            counts[s, start:start + len(extra)] += np.round(np.array(extra) * sd).astype(int)
            scenarios.append((kind, s, start, len(extra)))
    name = [f"3203{(s // len(CATEGORIES)) // 18:02d}{s // len(CATEGORIES):03d}" for s in
            range(n_series)]
    found: dict[int, list[tuple[str, str, str]]] = {}
    seconds = []
    for d in range(args.days + 5):
        today = window + d
        frames = frame_of(counts, days, args.townships, today, window)
        started = time.perf_counter()
        ranked = surges.detect(frames, days[today], 1.0, config)
        seconds.append(time.perf_counter() - started)
        found[today] = [(c.level, c.unit, c.category) for c in ranked[:int(args.budget)]]
    detected = {k: [] for k in shapes}
    for kind, s, start, length in scenarios:
        unit, category = name[s], CATEGORIES[s % len(CATEGORIES)]
        hit = next((day - start for day in range(start, start + length)
                    if ("township", unit, category) in found.get(day, [])), None)
        detected[kind].append(hit)
    true_warnings = false_warnings = 0
    for day, warned in found.items():
        for level, unit, category in warned:
            active = [name[s] for kind, s, start, length in scenarios
                      if start <= day < start + length and CATEGORIES[s % 6] == category]
            if any(a == unit or (level == "county" and a.startswith(unit)) for a in active):
                true_warnings += 1
            else:
                false_warnings += 1
    print(f"surges: {args.townships} townships × {len(CATEGORIES)} categories "
          f"({n_series} series, ~{args.per_day:.0f} reports a day), fit window {window} days, "
          f"{args.days} held-out test days, budget {args.budget:g} warnings a day")
    for kind, hits in detected.items():
        seen = [h for h in hits if h is not None]
        ttd = statistics.median(seen) if seen else float("nan")
        print(f"  {kind:5} ({shapes[kind][0]:g}…{shapes[kind][-1]:g} SD, {len(shapes[kind])} "
              f"day(s)): {len(hits)} scenarios, detected {len(seen) / len(hits):.0%} "
              f"(same day {sum(h == 0 for h in seen) / len(hits):.0%}), median days to "
              f"detect {ttd:g}")
    total = true_warnings + false_warnings
    runs = len(found)
    print(f"  warnings: {total} in {runs} days ({total / runs:.1f} a day); false "
          f"{false_warnings / runs:.1f} a day; PPV {true_warnings / max(total, 1):.2f}")
    print(f"  one run (all series, both levels): median {statistics.median(seconds):.1f} s")


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


def _precision_recall(said: set[tuple[int, int]], truth: set[tuple[int, int]]
                      ) -> tuple[float, float]:
    hit = len(said & truth)
    return hit / max(len(said), 1), hit / max(len(truth), 1)


def cluster_bench(args, config: clusters.ClusterConfig, shingle: int) -> None:
    rng = np.random.default_rng(args.seed + 1)
    cases, problem_of = paraphrase_corpus(rng, args.problems, args.reports, args.villages)
    started = time.perf_counter()
    sigs = clusters.signatures(cases, k=shingle)
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
    print(f"repeat complaints: {args.problems} problems × {args.reports} paraphrased reports "
          f"over {args.villages} villages ({len(truth)} same-problem pairs; {len(hard)} "
          f"hard-negative pairs: a twin problem of the same subclass in the same community), "
          f"MinHash {clusters.NUM_PERM} permutations over character {shingle}-grams of the "
          f"content, threshold {config.threshold} ({config.spot_threshold} when a numbered "
          f"spot is shared)")
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
                                  for k in ("surges", "clusters", "callers")))
    print(f"  facts: {summary}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=60, help="held-out test days")
    parser.add_argument("--townships", type=int, default=171)
    parser.add_argument("--per-day", type=float, default=4000.0)
    parser.add_argument("--budget", type=float, default=10.0)
    parser.add_argument("--sd", type=float, default=3.0, help="a spike's size in SD")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--problems", type=int, default=200)
    parser.add_argument("--reports", type=int, default=4)
    parser.add_argument("--villages", type=int, default=40)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--region", default="320300")
    parser.add_argument("--end", default=None,
                        help="UTC hour the hourly runs end at, e.g. 2026-12-02T06:00 (14:00 "
                             "in Shanghai; default: the hour of the last report)")
    parser.add_argument("--hours", type=int, default=3,
                        help="hourly repeat-complaint runs after the first (with --database-url)")
    parser.add_argument("--keep-signatures", action="store_true",
                        help="leave the repeat-complaint signatures in the database")
    parser.add_argument("--skip", default="",
                        help="comma-separated: quality (repeat complaints' precision and "
                             "recall), "
                             "surges, clusters (the repeat-complaint step's hourly runs), "
                             "detect (one whole run)")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"early-warning bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} "
          f"CPUs; load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    skip = set(args.skip.split(","))
    if "quality" not in skip:
        default = clusters.ClusterConfig()
        for shingle, threshold, spot_threshold in ((3, 0.3, 0.3), (2, 0.3, 0.3),
                                                   (2, 0.3, default.spot_threshold),
                                                   (2, 0.2, default.spot_threshold)):
            cluster_bench(args, clusters.ClusterConfig(threshold=threshold,
                                                       spot_threshold=spot_threshold),
                          shingle)
    if "surges" not in skip:
        surge_bench(args)
    if args.database_url and "clusters" not in skip:
        cluster_speed_bench(args)
    if args.database_url and "detect" not in skip:
        speed_bench(args)
    load = os.getloadavg()
    print(f"load average at end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
