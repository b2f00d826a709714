"""The log-rank test for interval-censored relief durations, with patients as clusters."""

from __future__ import annotations

import numpy as np
import pytest

from outcomes.datasets import simulate_intervals
from outcomes.grouptest import compare_groups


def test_group_test_rejects_a_real_difference_and_not_identical_groups() -> None:
    a = simulate_intervals(300, scale_months=12, seed=1)
    b = simulate_intervals(300, scale_months=6, seed=2)
    lo = np.r_[a["lower_months"], b["lower_months"]]
    hi = np.r_[a["upper_months"], b["upper_months"]]
    g = np.r_[np.zeros(300), np.ones(300)]
    assert compare_groups(lo, hi, g).p_value < 1e-6
    # the same data in both groups: no evidence of any difference
    same = compare_groups(
        np.r_[a["lower_months"], a["lower_months"]], np.r_[a["upper_months"], a["upper_months"]], g
    )
    assert same.df == 1 and same.statistic == pytest.approx(0, abs=1e-9)
    assert same.p_value == pytest.approx(1)


def test_group_test_has_its_nominal_size() -> None:
    """Under no difference, p < 0.05 about 5% of the time (200 label shuffles)."""
    d = simulate_intervals(300, seed=4)
    rng = np.random.default_rng(0)
    p = np.array(
        [
            compare_groups(d["lower_months"], d["upper_months"], rng.integers(0, 3, 300)).p_value
            for _ in range(200)
        ]
    )
    assert 0.02 <= np.mean(p < 0.05) <= 0.09


def test_a_patients_second_identical_knee_does_not_count_as_evidence() -> None:
    """Doubling every patient (same intervals, same group) doubles the naive statistic only."""
    a = simulate_intervals(200, scale_months=12, seed=1)
    b = simulate_intervals(200, scale_months=9, seed=2)
    lo = np.r_[a["lower_months"], b["lower_months"]]
    hi = np.r_[a["upper_months"], b["upper_months"]]
    g = np.r_[np.zeros(200), np.ones(200)]
    single = compare_groups(lo, hi, g)
    twice = dict(lower=np.r_[lo, lo], upper=np.r_[hi, hi], groups=np.r_[g, g])
    naive = compare_groups(**twice)
    patients = np.r_[np.arange(400), np.arange(400)]
    clustered = compare_groups(**twice, cluster=patients)
    assert naive.statistic == pytest.approx(2 * single.statistic, rel=0.01)
    assert clustered.statistic == pytest.approx(single.statistic, rel=0.1)
    assert "cluster-robust" in clustered.method and "permutation" in single.method


def test_cluster_robust_test_has_its_nominal_size_with_correlated_knees() -> None:
    """Correlated procedures of one patient, groups drawn per patient: p < 0.05 about 5%."""
    d = simulate_intervals(400, p_bilateral=0.35, p_repeat=0.25, correlation=0.6, seed=8)
    patients = d["patient"].to_numpy()
    rng = np.random.default_rng(1)
    n_pat = patients.max() + 1
    p = np.array(
        [
            compare_groups(
                d["lower_months"],
                d["upper_months"],
                rng.integers(0, 2, n_pat)[patients],
                cluster=patients,
            ).p_value
            for _ in range(200)
        ]
    )
    assert 0.02 <= np.mean(p < 0.05) <= 0.09
