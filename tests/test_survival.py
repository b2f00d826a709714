"""Relief curves: conventions, summaries and the group test on known cases."""

from __future__ import annotations

import numpy as np
import pytest

from outcomes import _npmle
from outcomes.datasets import simulate_intervals
from outcomes.survival import compare_groups, fit_km, fit_npmle

INF = np.inf


def test_four_equal_intervals_give_the_textbook_answers() -> None:
    # one loss in each of (0,1], (1,2], (2,3], (3,4]: S = 1, .75, .5, .25, 0 at 0..4
    c = fit_npmle([0, 1, 2, 3], [1, 2, 3, 4], landmarks_months=(1, 2.5), tau_months=4, n_boot=0)
    np.testing.assert_allclose(c.times, [0, 1, 2, 3, 4])
    np.testing.assert_allclose(c.survival, [1, 0.75, 0.5, 0.25, 0], atol=1e-9)
    assert c.median.estimate == pytest.approx(2.0, abs=1e-9)
    assert c.rmst.estimate == pytest.approx(2.0, abs=1e-9)  # trapezoids: .875+.625+.375+.125
    np.testing.assert_allclose(c.relief_at["estimate"], [0.75, 0.375], atol=1e-9)


def test_curve_equals_the_npmle_at_the_right_ends_of_turnbull_intervals() -> None:
    d = simulate_intervals(400, seed=3)
    fit = _npmle.turnbull(d["lower_months"], d["upper_months"])
    c = fit_npmle(d["lower_months"], d["upper_months"], n_boot=0)
    ends = fit.right[np.isfinite(fit.right)]
    np.testing.assert_allclose(np.interp(ends, c.times, c.survival), fit.survival(ends), atol=1e-9)
    assert c.survival[0] == 1.0
    assert np.all(np.diff(c.survival) <= 1e-12)


def test_bootstrap_intervals_bracket_the_estimate_and_are_reproducible() -> None:
    d = simulate_intervals(300, seed=5)
    a = fit_npmle(d["lower_months"], d["upper_months"], n_boot=100, seed=1)
    b = fit_npmle(d["lower_months"], d["upper_months"], n_boot=100, seed=1)
    r = a.relief_at.dropna(subset=["estimate"])
    assert (r["lower"] <= r["estimate"]).all() and (r["estimate"] <= r["upper"]).all()
    assert (a.lower <= a.survival + 1e-12).all() and (a.survival <= a.upper + 1e-12).all()
    assert np.all(np.diff(a.lower) <= 1e-12) and np.all(np.diff(a.upper) <= 1e-12)
    assert a.median.lower <= a.median.estimate <= a.median.upper
    assert a.rmst.lower < a.rmst.estimate < a.rmst.upper
    np.testing.assert_array_equal(a.relief_at["lower"], b.relief_at["lower"])
    c = fit_npmle(d["lower_months"], d["upper_months"], n_boot=100, seed=2)
    assert not np.array_equal(a.relief_at["lower"], c.relief_at["lower"])


def test_nothing_is_reported_beyond_follow_up() -> None:
    c = fit_npmle([0.5, 1, 2], [1, 3, INF], landmarks_months=(1, 6), tau_months=12, n_boot=0)
    assert c.identified_until == 3.0
    assert np.isnan(c.relief_at["estimate"].iloc[1])
    assert c.relief_at["note"].iloc[1] == "beyond follow-up (3.0 months)"
    assert np.isnan(c.rmst.estimate) and "tau beyond follow-up" in c.rmst.note


def test_median_not_reached() -> None:
    c = fit_npmle([1, 2, 3, 4], [2, INF, INF, INF], n_boot=0)
    assert np.isnan(c.median.estimate) and c.median.note == "not reached"


def test_naive_km_dates_loss_at_the_visit_and_overstates_duration() -> None:
    d = simulate_intervals(5000, seed=11)
    found = np.isfinite(d["upper_months"])
    km = fit_km(d["visit_found_months"], found, landmarks_months=(6, 12))
    npmle = fit_npmle(d["lower_months"], d["upper_months"], landmarks_months=(6, 12), n_boot=0)
    truth = np.exp(-((np.array([6, 12]) / 12.0) ** 1.5))
    km_err = km.relief_at["estimate"].to_numpy() - truth
    np_err = npmle.relief_at["estimate"].to_numpy() - truth
    assert (km_err > 0.04).all()  # loss dated late: relief looks longer
    assert (np.abs(np_err) < 0.025).all()
    assert km.median.estimate > npmle.median.estimate + 1


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


def test_cumulative_incidence_limits_match_r() -> None:
    """R survfit multi-state, conf.type "log" (tests/r/cif_ci_reference.R)."""
    from pathlib import Path

    import pandas as pd

    from outcomes.survival import cumulative_incidence

    ref_dir = Path(__file__).parent / "data" / "r_reference"
    data = pd.read_csv(ref_dir / "aj_inputs.csv").query("dataset == 'sim_cr'")
    ref = pd.read_csv(ref_dir / "cif_ci.csv", skipinitialspace=True)
    times = tuple(sorted(ref["time"].unique()))
    got = cumulative_incidence(
        data["time"], data["cause"], {1: "a", 2: "b"}, landmarks_months=times
    )
    got["cause"] = got["event"].map({"a": 1, "b": 2})
    merged = ref.merge(got, left_on=["cause", "time"], right_on=["cause", "months"])
    assert len(merged) == len(ref)
    for col in ("estimate", "lower", "upper"):
        np.testing.assert_allclose(merged[f"{col}_y"], merged[f"{col}_x"], rtol=1e-9)
