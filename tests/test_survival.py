"""Relief curves: conventions, summaries and the group test on known cases."""

from __future__ import annotations

import numpy as np
import pytest

from outcomes import _npmle, _spline
from outcomes.datasets import simulate_intervals
from outcomes.io import DAYS_PER_MONTH
from outcomes.survival import fit_km, fit_npmle

INF = np.inf


def test_four_equal_intervals_give_the_textbook_answers() -> None:
    # one loss in each of (0,1], (1,2], (2,3], (3,4]: S = 1, .75, .5, .25, 0 at 0..4
    c = fit_npmle(
        [0, 1, 2, 3],
        [1, 2, 3, 4],
        landmarks_months=(1, 2.5),
        tau_months=4,
        n_boot=0,
        whole_day=False,
    )
    np.testing.assert_allclose(c.times, [0, 1, 2, 3, 4])
    np.testing.assert_allclose(c.survival, [1, 0.75, 0.5, 0.25, 0], atol=1e-9)
    # the median is the smooth curve's: where the NPMLE crosses one half it is not identified
    smooth = _spline.fit_spline([0, 1, 2, 3], [1, 2, 3, 4]).median()
    assert c.median.estimate == smooth.estimate and 1 < c.median.estimate < 3
    assert c.rmst.estimate == pytest.approx(2.0, abs=1e-9)  # trapezoids: .875+.625+.375+.125
    np.testing.assert_allclose(c.relief_at["estimate"], [0.75, 0.375], atol=1e-9)
    # 1 month is an endpoint (identified); 2.5 lies inside (2, 3], which holds mass
    assert c.relief_at["identified"].tolist() == [True, False]
    np.testing.assert_allclose(c.relief_at["bound_low"], [0.75, 0.25], atol=1e-9)
    np.testing.assert_allclose(c.relief_at["bound_high"], [0.75, 0.5], atol=1e-9)
    assert c.relief_at["note"].iloc[0] == ""
    assert c.relief_at["note"].iloc[1].startswith("not identified")


def test_curve_is_the_npmle_wherever_it_is_identified_and_flat_between_intervals() -> None:
    d = simulate_intervals(400, seed=3)
    fit = _npmle.turnbull(d["lower_months"], d["upper_months"])
    c = fit_npmle(d["lower_months"], d["upper_months"], n_boot=0)
    t = np.linspace(0, c.identified_until, 4001)
    shown = np.interp(t, c.times, c.survival)
    low, high = fit.survival_bounds(t)
    identified = high - low < 1e-12
    assert identified.mean() > 0.3  # visits spread by +-10%: gaps between clusters
    np.testing.assert_allclose(shown[identified], low[identified], rtol=0, atol=1e-9)
    # elsewhere the value shown lies in the range the data allow
    assert np.all((low - 1e-9 <= shown) & (shown <= high + 1e-9))
    assert c.survival[0] == 1.0
    assert np.all(np.diff(c.survival) <= 1e-12)
    # between the Turnbull intervals holding mass the curve does not slope
    q, p = c.unidentified[:, 0], c.unidentified[:, 1]
    gaps = np.column_stack([p[:-1], q[1:]])[q[1:] > p[:-1]]
    np.testing.assert_allclose(
        np.interp(gaps[:, 0], c.times, c.survival), np.interp(gaps[:, 1], c.times, c.survival)
    )


def test_relief_at_the_first_visit_of_initial_responders_is_one() -> None:
    """Everyone was seen with relief on day 30: S(30 days) is 1, not an interpolation."""
    rng = np.random.default_rng(2)
    n = 200
    first = np.full(n, 30.0)
    later = np.array([91.0, 182.0, 365.0])[rng.integers(0, 3, n)]
    lost = rng.random(n) < 0.6
    lower = first / DAYS_PER_MONTH
    upper = np.where(lost, later / DAYS_PER_MONTH, INF)
    c = fit_npmle(lower, upper, landmarks_months=(1, 3), n_boot=20)
    at1 = c.relief_at.iloc[0]
    assert at1["estimate"] == 1.0 and at1["identified"]
    assert at1["lower"] == 1.0 and at1["upper"] == 1.0


def test_landmarks_are_whole_days_so_day_730_is_24_months() -> None:
    """Two-year visits on day 730 (24 months is 730.5 days) still give a 24-month value."""
    rng = np.random.default_rng(3)
    n = 300
    visits = np.array([91, 182, 365, 730]) / DAYS_PER_MONTH
    k = rng.integers(0, 4, n)
    lost = rng.random(n) < 0.7
    lower = np.where(lost, np.r_[0.0, visits][k], visits[-1])
    upper = np.where(lost, visits[k], INF)
    c = fit_npmle(lower, upper, landmarks_months=(12, 24), n_boot=20)
    assert c.covers(24) and not c.covers(25)
    assert np.isfinite(c.relief_at["estimate"]).all()
    assert c.relief_at["identified"].all()
    fit = _npmle.turnbull(lower, upper)
    np.testing.assert_allclose(
        c.relief_at["estimate"], fit.survival(np.array([365, 730]) / DAYS_PER_MONTH), atol=1e-12
    )
    assert np.isfinite(c.rmst.estimate)
    # in exact months 24 is after the last visit (23.98 months)
    exact = fit_npmle(lower, upper, landmarks_months=(24,), n_boot=0, whole_day=False)
    assert exact.relief_at["note"].iloc[0].startswith("beyond follow-up")


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
    c = fit_npmle(
        [0.5, 1, 2], [1, 3, INF], landmarks_months=(1, 6), tau_months=12, n_boot=0, whole_day=False
    )
    assert c.identified_until == 3.0
    assert np.isnan(c.relief_at["estimate"].iloc[1])
    assert c.relief_at["note"].iloc[1] == "beyond follow-up (3.0 months)"
    assert np.isnan(c.rmst.estimate) and "not estimated: follow-up ends at" in c.rmst.note


def test_smooth_band_is_monotone_where_the_spline_extrapolates() -> None:
    """Losses only known to fall in (0, 3], (0, 6] or (0, 12] months: the spline's own
    band opens towards 0 in the first weeks (lower 0.07 at 0.4 months, 0.47 at 3.6);
    the band drawn never rises and stays above its value at later times."""
    lo = np.repeat([0, 0, 0, 0, 6, 12, 12, 24.0], [5, 5, 6, 7, 7, 7, 6, 6])
    hi = np.repeat([3, 6, 12, INF, 12, 24, INF, INF], [5, 5, 6, 7, 7, 7, 6, 6])
    raw_lower, _ = _spline.fit_spline(lo, hi).survival_ci(np.array([0.4, 3.6]))
    assert raw_lower[0] < raw_lower[1]  # the spline's band alone is not monotone
    band = fit_npmle(lo, hi, n_boot=0).smooth
    assert band is not None
    assert (np.diff(band.lower) <= 1e-12).all() and (np.diff(band.upper) <= 1e-12).all()
    assert (band.lower <= band.survival + 1e-12).all() and (
        band.survival <= band.upper + 1e-12
    ).all()
    assert band.lower[(band.times > 0) & (band.times <= 3)].min() > 0.3


def test_median_not_reached() -> None:
    c = fit_npmle([1, 2, 3, 4], [2, INF, INF, INF], n_boot=0)
    assert np.isnan(c.median.estimate) and c.median.note == "not reached"
    assert c.median.lower == INF and c.median.upper == INF


def test_no_loss_seen_gives_not_reached_without_warnings() -> None:
    """All censored: the median and both its limits are "not reached", not NaN."""
    c = fit_npmle([1, 2, 3, 4], [INF, INF, INF, INF], n_boot=20)
    assert np.isnan(c.median.estimate) and c.median.note == "not reached"
    assert c.median.lower == INF and c.median.upper == INF
    assert c.smooth is None
    np.testing.assert_array_equal(c.relief_at["estimate"].dropna(), 1.0)


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


def test_after_the_last_loss_the_curve_is_known_up_to_the_last_visit() -> None:
    """All probability ends by 9 months but visits go on to 16.6: S(12) is 0, not unknown."""
    lower = [0.92, 0.99, 0.92, 0.92, 3.15, 5.85, 5.72, 5.78, 6.05]
    upper = [2.69, 2.83, 3.12, 5.88, 9.03, 11.60, 11.66, 16.59, INF]
    c = fit_npmle(lower, upper, landmarks_months=(12,), n_boot=20, whole_day=False)
    assert c.identified_until == 16.59 and c.covers(12)
    at12 = c.relief_at.iloc[0]
    assert at12["estimate"] == 0.0 and at12["identified"] and at12["note"] == ""
