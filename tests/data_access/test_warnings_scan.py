"""The space-time scan on both backends, at the frozen NOW of tests.support.warning_cases:
a cluster over four grids of two townships is found and stored with its evidence, its
expected count the one a hand count of the cases gives; the same history without it (a fixed
seed) signals nothing."""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from data_access.warnings import store
from data_access.warnings.detect import DetectConfig, detect_once
from data_access.warnings.scan import ScanConfig, scan
from tests.support.tiny_territory import COUNTY, GRIDS, TOWNSHIPS
from tests.support.warning_cases import NOW, SECRET, ZONE, CaseMaker

# 12 grids in a row, 460 m apart; grids 0–5 in one township, 6–11 in the other.
CONFIG = DetectConfig(scan=ScanConfig(neighbours=4))
CROSSING = GRIDS[4:8]
STUDY_DAYS = CONFIG.scan.study_days


def _background(seed: int = 5) -> list[dict]:
    """About two reports a grid a day for the study period, at random minutes."""
    rng = np.random.default_rng(seed)
    rows = []
    for g in GRIDS:
        for back in range(STUDY_DAYS):
            for _ in range(int(rng.poisson(2))):
                minutes = int(rng.integers(1, 24 * 60))
                rows.append({"grid": g, "reported": NOW - timedelta(days=back,
                                                                    minutes=minutes)})
    return rows


def _cluster() -> list[dict]:
    """Ten more reports in each of four neighbouring grids across the township border,
    over the last 30 hours."""
    return [{"grid": g, "reported": NOW - timedelta(hours=1 + 3 * k)}
            for g in CROSSING for k in range(10)]


def _scan_warnings(backend) -> list[store.StoredWarning]:
    with backend.sessions() as session:
        found = store.recent_warnings(session, NOW - timedelta(days=60))
    return [w for w in found if w.method == "st_scan"]


def test_a_cluster_across_a_township_border_is_found_with_its_evidence(fresh_backend):
    maker = CaseMaker(fresh_backend.sessions)
    rows = _background() + _cluster()
    maker.add(rows)
    summary = detect_once(fresh_backend.sessions, COUNTY, ZONE, NOW, SECRET, CONFIG)
    [warning] = _scan_warnings(fresh_backend)
    grids = warning.evidence["grids"]
    assert set(grids) <= set(GRIDS[3:9]) and len(set(grids) & set(CROSSING)) >= 3
    assert warning.evidence["townships"] == sorted(TOWNSHIPS)
    assert warning.kind == "surge" and warning.category == "urban"
    days = warning.evidence["window_days"]
    assert 1 <= days <= 2
    # Hand count: the cylinder's cases in the window, and its expected count — its grids'
    # share of the period's cases times the window's share.
    start = NOW - timedelta(days=days)
    in_grids = [r for r in rows if r["grid"] in grids]
    in_window = [r for r in rows if r["reported"] >= start]
    observed = sum(r["reported"] >= start for r in in_grids)
    assert warning.observed == observed
    assert warning.expected == pytest.approx(len(in_grids) * len(in_window) / len(rows),
                                             abs=0.01)
    assert observed > 1.8 * warning.expected
    assert warning.evidence["recurrence_days"] >= CONFIG.scan.recurrence_days
    assert len(warning.case_ids) == observed  # the cluster's cases, for /ops
    assert summary["scan"]["classes"] == 1 and summary["scan"]["cases"] == len(rows)
    # Run again: the same warning updated in place.
    again = detect_once(fresh_backend.sessions, COUNTY, ZONE, NOW, SECRET, CONFIG)
    assert len(_scan_warnings(fresh_backend)) == 1 and again["saved"]["new"] == 0


def test_the_same_history_without_a_cluster_signals_nothing(fresh_backend):
    maker = CaseMaker(fresh_backend.sessions)
    maker.add(_background())
    summary = detect_once(fresh_backend.sessions, COUNTY, ZONE, NOW, SECRET, CONFIG)
    assert _scan_warnings(fresh_backend) == []
    assert summary["scan"]["top_recurrence_days"] < CONFIG.scan.recurrence_days


def test_the_scan_crosses_borders_that_the_grid_codes_draw():
    """Pure: grids 0–19 on a line, cases uniform over 28 spans; thirty more in grids 9
    and 10 in the last span — codes of two townships, one cluster for the scan."""
    rng = np.random.default_rng(3)
    n = 20
    grid = rng.integers(0, n, 1400)
    span = rng.integers(0, 28, 1400)
    grid = np.concatenate([grid, np.repeat([9, 10], 15)])
    span = np.concatenate([span, np.zeros(30, dtype=int)])
    lon, lat = 117.0 + np.arange(n) * 0.005, np.full(n, 34.2)
    [found] = scan({"urban": (grid, span)}, lon, lat, ScanConfig(neighbours=3))
    assert set(found.grids) >= {9, 10} and found.window_days == 1
    last = span == 0
    members = np.isin(grid, found.grids)
    assert found.observed == int(np.sum(members & last))
    assert found.expected == pytest.approx(members.sum() * last.sum() / len(grid), rel=1e-4)
    assert found.p_rank == pytest.approx(0.01)  # above every one of the 99 replicas
