"""Tests of the Turnbull NPMLE (outcomes._npmle).

The reference values in tests/data/r_reference/ come from R's survival
package (tests/r/npmle_reference.R); everything else is checked against
independent computations: a dense containment matrix built straight from the
(left, right] definition, lifelines' Kaplan-Meier estimate, hand-derived
values and explicit resamples.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter

from _intervals import endpoints, random_intervals
from outcomes._npmle import TurnbullFit, turnbull
from outcomes._resample import turnbull_replicates
from outcomes.errors import InputError

REFERENCE = Path(__file__).parent / "data" / "r_reference"
DAYS_PER_MONTH = 30.4375

FloatArray = npt.NDArray[np.float64]


# --------------------------------------------------------------------------------------
# Helpers, written from the definitions and independent of the module's internals
# --------------------------------------------------------------------------------------


def containment(left: FloatArray, right: FloatArray, fit: TurnbullFit) -> FloatArray:
    """A[i, j] = 1 if innermost interval j lies inside observation i, (l, r] semantics."""
    lo, hi = left[:, None], right[:, None]
    q, p = fit.left[None, :], fit.right[None, :]
    point = q == p
    exact = lo == hi
    inside_interval = (lo <= q) & (p <= hi) & ~point  # (q, p] inside (l, r]
    point_inside = point & (lo < p) & (p <= hi)  # the point p in (l, r]
    exact_match = exact & point & (p == hi)  # the exact time itself
    return np.where(exact, exact_match, inside_interval | point_inside).astype(np.float64)


# --------------------------------------------------------------------------------------
# (a) Agreement with R
# --------------------------------------------------------------------------------------

R_INPUTS = pd.read_csv(REFERENCE / "npmle_inputs.csv")
R_CURVES = pd.read_csv(REFERENCE / "npmle.csv")
#: R's EM stops short of the maximum on this one (see tests/r/npmle_reference.R)
R_STALLS = "clinic_r_stalls"
R_CONVERGED = sorted(set(R_INPUTS["dataset"]) - {R_STALLS})


def r_case(name: str) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, pd.DataFrame]:
    data = R_INPUTS[R_INPUTS["dataset"] == name]
    ref = R_CURVES[R_CURVES["dataset"] == name]
    left = data["left"].to_numpy(dtype=float)
    right = data["right"].to_numpy(dtype=float)
    weight = data["weight"].to_numpy(dtype=float)
    times = ref["time"].to_numpy(dtype=float)
    return left, right, weight, times, ref


def implied_masses(fit: TurnbullFit, times: FloatArray, surv: FloatArray) -> FloatArray:
    """Masses on ``fit``'s innermost intervals of a curve known at the data's endpoints."""

    def at(x: FloatArray) -> FloatArray:
        out = np.zeros_like(x)
        finite = np.isfinite(x)
        idx = np.searchsorted(times, x[finite])
        np.testing.assert_array_equal(times[idx], x[finite])
        out[finite] = surv[idx]
        return out

    before = np.searchsorted(times, fit.left) - 1  # endpoint before an exact time
    just_before = np.where(before >= 0, surv[np.maximum(before, 0)], 1.0)
    start = np.where(fit.left == fit.right, just_before, at(fit.left))
    return start - at(fit.right)


def reduced_gradient(
    left: FloatArray, right: FloatArray, weight: FloatArray, fit: TurnbullFit, mass: FloatArray
) -> tuple[FloatArray, float]:
    """``d_j / N`` and the log-likelihood of ``mass`` from the dense containment matrix."""
    a = containment(left, right, fit)
    probs = a @ mass
    assert np.all(probs > 0)
    return a.T @ (weight / probs) / weight.sum(), float(weight @ np.log(probs))


@pytest.mark.parametrize("name", R_CONVERGED)
def test_agrees_with_r_at_every_endpoint(name: str) -> None:
    left, right, weight, times, ref = r_case(name)
    # the reference covers exactly the finite endpoints of the data
    np.testing.assert_array_equal(times, endpoints(left, right))

    fit = turnbull(left, right, weight)
    assert fit.converged
    np.testing.assert_allclose(fit.survival(times), ref["surv_tight"], rtol=0, atol=1e-6)
    # at endpoints the curve is identified: both envelopes agree with it
    lower, upper = fit.survival_bounds(times)
    np.testing.assert_allclose(lower, upper, rtol=0, atol=1e-12)
    # R's default stopping rule (change in S below 5e-5) leaves it within 1e-2
    np.testing.assert_allclose(fit.survival(times), ref["surv_default"], rtol=0, atol=1e-2)


@pytest.mark.parametrize("name", R_CONVERGED)
def test_r_reference_is_a_maximum(name: str) -> None:
    """The reference itself satisfies the optimality conditions (checks the R side)."""
    left, right, weight, times, ref = r_case(name)
    fit = turnbull(left, right, weight)
    mass = implied_masses(fit, times, ref["surv_tight"].to_numpy())
    assert mass.min() >= -1e-12
    assert mass.sum() == pytest.approx(1.0, abs=1e-12)
    grad, _ = reduced_gradient(left, right, weight, fit, mass)
    assert grad.max() <= 1 + 1e-5


def test_where_r_stops_short_our_likelihood_is_higher() -> None:
    left, right, weight, times, ref = r_case(R_STALLS)
    fit = turnbull(left, right, weight)
    r_mass = implied_masses(fit, times, ref["surv_tight"].to_numpy())
    r_grad, r_loglik = reduced_gradient(left, right, weight, fit, r_mass)
    grad, loglik = reduced_gradient(left, right, weight, fit, fit.mass)
    assert loglik == pytest.approx(fit.log_likelihood, rel=1e-12)
    assert loglik > r_loglik + 0.1
    assert r_grad.max() > 1.01  # R's curve is not a maximum ...
    assert grad.max() <= 1 + 1e-7  # ... ours is
    assert np.abs(fit.survival(times) - ref["surv_tight"]).max() > 0.01


def test_r_reference_files_are_complete() -> None:
    expected = {"hand_ties", "visits_rc", "exact_mix", "clinic", R_STALLS, "weighted", "aml"}
    assert set(R_INPUTS["dataset"]) == expected
    assert set(R_CURVES["dataset"]) == expected
    assert (R_INPUTS["dataset"] == "clinic").sum() == 300
    assert np.isinf(R_INPUTS["right"]).any()
    assert (R_INPUTS["left"] == R_INPUTS["right"]).any()


# --------------------------------------------------------------------------------------
# (b) Valid distribution and survival curve, for arbitrary data
# --------------------------------------------------------------------------------------

interval = st.tuples(
    st.integers(0, 12),
    st.one_of(st.integers(0, 8), st.none()),
)


@settings(max_examples=120, deadline=None)
@given(
    rows=st.lists(interval, min_size=1, max_size=40),
    weights=st.one_of(st.none(), st.lists(st.integers(1, 5), min_size=40, max_size=40)),
)
def test_fit_is_a_distribution_and_survival_is_monotone(
    rows: list[tuple[int, int | None]], weights: list[int] | None
) -> None:
    left = np.array([a / 2 for a, _ in rows])
    right = np.array([np.inf if b is None else (a + b) / 2 for a, b in rows])
    w = None if weights is None else np.array(weights[: len(rows)], dtype=float)
    fit = turnbull(left, right, w)

    assert fit.converged
    assert np.all(fit.mass >= 0)
    assert fit.mass.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(fit.left <= fit.right)
    assert np.all(fit.right[:-1] <= fit.left[1:])  # sorted and disjoint

    grid = np.linspace(-1.0, 12.0, 263)
    surv = fit.survival(grid)
    assert np.all((surv >= 0) & (surv <= 1))
    assert np.all(np.diff(surv) <= 1e-12)
    lower, upper = fit.survival_bounds(grid)
    assert np.all(lower <= surv + 1e-12) and np.all(surv <= upper + 1e-12)
    assert surv[0] == 1.0

    # optimality from a dense matrix built straight from the definitions
    a = containment(left, right, fit)
    weight = np.ones(left.size) if w is None else w
    probs = a @ fit.mass
    assert np.all(probs > 0)
    grad = a.T @ (weight / probs) / weight.sum()
    assert grad.max() <= 1 + 1e-6
    assert fit.log_likelihood == pytest.approx(float(weight @ np.log(probs)), rel=1e-12, abs=1e-9)


# --------------------------------------------------------------------------------------
# (c) Collapsing duplicates = weights; order and zero weights do not matter
# --------------------------------------------------------------------------------------


def test_duplicates_give_the_same_fit_as_weights() -> None:
    rng = np.random.default_rng(7)
    left, right = random_intervals(rng, 60)
    pairs, counts = np.unique(np.column_stack([left, right]), axis=0, return_counts=True)
    expanded = turnbull(left, right)
    weighted = turnbull(pairs[:, 0], pairs[:, 1], counts.astype(float))
    np.testing.assert_array_equal(expanded.left, weighted.left)
    np.testing.assert_array_equal(expanded.right, weighted.right)
    np.testing.assert_allclose(expanded.mass, weighted.mass, rtol=0, atol=1e-9)
    assert expanded.n == weighted.n == 60
    assert expanded.log_likelihood == pytest.approx(weighted.log_likelihood, rel=1e-10)

    order = rng.permutation(left.size)
    shuffled = turnbull(left[order], right[order])
    np.testing.assert_allclose(expanded.mass, shuffled.mass, rtol=0, atol=1e-9)

    extra_left = np.concatenate([left, [0.25, 7.75]])
    extra_right = np.concatenate([right, [0.5, 9.0]])
    zero_weight = turnbull(extra_left, extra_right, np.r_[np.ones(60), 0.0, 0.0])
    np.testing.assert_array_equal(zero_weight.left, expanded.left)
    np.testing.assert_allclose(zero_weight.mass, expanded.mass, rtol=0, atol=1e-9)


# --------------------------------------------------------------------------------------
# (d) Exact and right-censored data: the Kaplan-Meier estimate
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_exact_and_right_censored_data_give_kaplan_meier(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 150
    days = rng.integers(1, 400, n)
    durations = days / DAYS_PER_MONTH  # ties on whole days
    observed = rng.random(n) < 0.6
    times = np.unique(np.r_[durations, 0.0, durations.max() + 1])
    km = KaplanMeierFitter().fit(durations, observed)
    expected = km.survival_function_at_times(times).to_numpy()

    exact = turnbull(durations, np.where(observed, durations, np.inf))
    assert exact.converged
    np.testing.assert_allclose(exact.survival(times), expected, rtol=0, atol=1e-8)

    # events as short intervals ending at the event time: the same at every data time
    eps = 1e-6
    narrow = turnbull(
        np.where(observed, durations - eps, durations), np.where(observed, durations, np.inf)
    )
    np.testing.assert_allclose(narrow.survival(times), expected, rtol=0, atol=1e-8)


# --------------------------------------------------------------------------------------
# (f) Self-consistency / KKT at the solution
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["hand_ties", "exact_mix", "clinic", R_STALLS, "weighted"])
def test_kkt_conditions_hold(name: str) -> None:
    left, right, weight, _, _ = r_case(name)
    fit = turnbull(left, right, weight)

    a = containment(left, right, fit)
    assert np.all(a.sum(axis=1) >= 1)  # every observation covers an innermost interval
    assert np.all(a.sum(axis=0) >= 1)  # every innermost interval lies in an observation
    grad, loglik = reduced_gradient(left, right, weight, fit, fit.mass)
    assert loglik == pytest.approx(fit.log_likelihood, rel=1e-12)
    # d_j <= N everywhere ...
    assert grad.max() <= 1 + 1e-7
    assert fit.gradient_gap == pytest.approx(grad.max() - 1, abs=1e-9)
    # ... with equality where there is mass
    positive = fit.mass > 1e-4
    assert positive.sum() >= 2
    np.testing.assert_allclose(grad[positive], 1.0, rtol=0, atol=1e-6)
    assert float(fit.mass @ np.abs(grad - 1)) <= 2e-7
    # self-consistency: one EM step leaves the masses where they are
    np.testing.assert_allclose(fit.mass * grad, fit.mass, rtol=0, atol=1e-8)


def test_innermost_intervals_follow_the_definition() -> None:
    rng = np.random.default_rng(15)
    left, right = random_intervals(rng, 80)
    fit = turnbull(left, right)
    lefts = set(left.tolist())
    rights = set(right[left < right].tolist())
    exact = set(left[left == right].tolist())
    for q, p in zip(fit.left, fit.right, strict=True):
        if q == p:
            assert q in exact
        else:
            assert q in lefts and p in rights
        # no endpoint of the data splits the interval
        assert not np.any((left > q) & (left < p))
        assert not np.any((right > q) & (right < p))


def test_hand_example_with_vanishing_gradient() -> None:
    """Worked by hand: (3, 4] gets no mass although d_j / N = 1 there."""
    left = np.array([0, 0, 1, 2, 2, 3, 0.5, 1, 4, 1])
    right = np.array([1, 1, 3, 4, 4, np.inf, 2, np.inf, 6, 3])
    fit = turnbull(left, right)
    np.testing.assert_array_equal(fit.left, [0.5, 1, 2, 3, 4])
    np.testing.assert_array_equal(fit.right, [1, 2, 3, 4, 6])
    # masses 3/10, 0, 7/15, 0, 7/30 satisfy d_j / N = 1 on the support and d_j / N <= 1
    np.testing.assert_allclose(fit.mass, [0.3, 0, 7 / 15, 0, 7 / 30], rtol=0, atol=1e-9)


# --------------------------------------------------------------------------------------
# Conventions and input checks
# --------------------------------------------------------------------------------------


def test_interpolation_conventions() -> None:
    single = turnbull([1.0], [3.0])
    np.testing.assert_allclose(single.survival([0, 1, 1.5, 2, 3, 4]), [1, 1, 0.75, 0.5, 0, 0])
    lower, upper = single.survival_bounds([0.5, 2, 3])
    np.testing.assert_allclose(lower, [1, 0, 0])
    np.testing.assert_allclose(upper, [1, 1, 0])

    censored = turnbull([2.0], [np.inf])  # all mass in (2, inf]: S stays flat
    np.testing.assert_allclose(censored.survival([0, 2, 5, 1e6]), 1.0)
    lower, upper = censored.survival_bounds([1, 3])
    np.testing.assert_allclose(lower, [1, 0])
    np.testing.assert_allclose(upper, [1, 1])

    point = turnbull([2.0, 1.0], [2.0, 3.0])  # exact 2 inside (1, 3]: all mass at 2
    np.testing.assert_allclose(point.survival([1.999, 2, 2.5]), [1, 0, 0])
    assert point.survival(np.array([[0.0, 2.0]])).shape == (1, 2)


def test_half_open_intervals_differ_from_closed_ones() -> None:
    # (0, 1] and (1, 2]: the second cannot have happened at 1
    fit = turnbull([0.0, 1.0], [1.0, 2.0])
    np.testing.assert_allclose(fit.survival([1.0]), [0.5])


@pytest.mark.parametrize(
    ("left", "right", "message"),
    [
        ([1.0], [0.5], "right < left"),
        ([-1.0], [1.0], ">= 0"),
        ([np.nan], [1.0], "NaN"),
        ([np.inf], [np.inf], "finite"),
        ([], [], "no observations"),
        ([1.0, 2.0], [3.0], "equal length"),
    ],
)
def test_bad_input_is_rejected(left: list[float], right: list[float], message: str) -> None:
    with pytest.raises(InputError, match=message):
        turnbull(left, right)


def test_bad_weights_and_times_are_rejected() -> None:
    with pytest.raises(InputError, match="weights"):
        turnbull([0.0], [1.0], [-1.0])
    with pytest.raises(InputError, match="sum to zero"):
        turnbull([0.0], [1.0], [0.0])
    with pytest.raises(InputError, match="finite"):
        turnbull([0.0], [1.0]).survival([np.nan])
    with pytest.raises(InputError, match="shape"):
        turnbull_replicates([0.0, 1.0], [1.0, 2.0], np.ones((2, 3)))


def test_non_convergence_is_reported() -> None:
    left, right, weight, _, _ = r_case("clinic")
    with pytest.warns(RuntimeWarning, match="did not converge"):
        fit = turnbull(left, right, weight, max_iter=2)
    assert not fit.converged
    assert fit.iterations == 2
    assert fit.mass.sum() == pytest.approx(1.0)
