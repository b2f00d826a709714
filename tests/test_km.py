"""Tests of the Kaplan-Meier and Aalen-Johansen estimators (outcomes._km).

The reference values in tests/data/r_reference/ come from R's survival
package 3.5-3 (tests/r/km_reference.R). Tolerances: 1e-8 relative for
estimates (S, cumulative incidence, medians, restricted means, counts) and
1e-6 relative for standard errors and confidence limits, each with an
absolute floor of 1e-12 for values that are exactly 0 in R. The module agrees
with R to about 1e-15 absolute (5e-14 relative) on all of them, so these are
margins, not fudge.

Everything else is checked against independent computations written here
from the definitions: the empirical survival function, frequency weights as
repeated rows, and the infinitesimal-jackknife variance as the exact
derivative of a loop-over-times reference estimator with respect to each case
weight (by complex-step differentiation, which is exact to rounding).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outcomes._km import CIFFit, KMFit, aalen_johansen, kaplan_meier
from outcomes.errors import InputError

REFERENCE = Path(__file__).parent / "data" / "r_reference"

FloatArray = npt.NDArray[np.float64]

EST = {"rtol": 1e-8, "atol": 1e-12}  # estimates
SE = {"rtol": 1e-6, "atol": 1e-12}  # standard errors and confidence limits


def assert_close(actual: npt.ArrayLike, expected: npt.ArrayLike, tol: dict[str, float]) -> None:
    """allclose, with NaN (R's NA) required in exactly the same places."""
    a = np.asarray(actual, dtype=float)
    e = np.asarray(expected, dtype=float)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(e), err_msg="NaN in different places")
    np.testing.assert_allclose(a, e, rtol=tol["rtol"], atol=tol["atol"], equal_nan=True)


# --------------------------------------------------------------------------------------
# Agreement with R: Kaplan-Meier
# --------------------------------------------------------------------------------------

KM_INPUTS = pd.read_csv(REFERENCE / "km_inputs.csv")
KM_CURVES = pd.read_csv(REFERENCE / "km.csv")
KM_SUMMARY = pd.read_csv(REFERENCE / "km_summary.csv")
KM_TABLES = pd.read_csv(REFERENCE / "km_risk_table.csv")
KM_FITS = [
    pytest.param(name, conf, id=f"{name}-{conf:g}")
    for name, conf in KM_CURVES[["dataset", "conf_level"]].drop_duplicates().itertuples(index=False)
]


def r_km_fit(name: str, conf: float) -> KMFit:
    data = KM_INPUTS[KM_INPUTS["dataset"] == name]
    return kaplan_meier(
        data["time"].to_numpy(dtype=float),
        data["event"].to_numpy() == 1,
        data["weight"].to_numpy(dtype=float),
        conf_level=conf,
    )


def r_rows(table: pd.DataFrame, name: str, conf: float) -> pd.DataFrame:
    rows = table[(table["dataset"] == name) & np.isclose(table["conf_level"], conf)]
    assert len(rows) > 0
    return rows


def test_r_reference_files_cover_the_intended_cases() -> None:
    assert set(KM_INPUTS["dataset"]) == {
        "lung",
        "lung_months",
        "hand_ties",
        "to_zero",
        "half_flat",
        "half_flat_end",
        "weighted_int",
        "weighted_frac",
        "sim",
    }
    assert (KM_INPUTS["dataset"] == "lung").sum() == 228
    assert KM_CURVES["robust"].any() and not KM_CURVES["robust"].all()
    assert KM_CURVES["lower"].isna().any()  # S = 1 and S = 0 rows
    assert (KM_SUMMARY["dataset"] == "half_flat").any()
    assert set(pd.read_csv(REFERENCE / "aj_inputs.csv")["dataset"]) == set(AJ_CURVES["dataset"])


@pytest.mark.parametrize(("name", "conf"), KM_FITS)
def test_km_curve_agrees_with_r(name: str, conf: float) -> None:
    fit = r_km_fit(name, conf)
    ref = r_rows(KM_CURVES, name, conf)
    np.testing.assert_array_equal(fit.time, ref["time"])
    assert fit.robust == bool(ref["robust"].iloc[0])
    for col in ("n_risk", "n_event", "n_censor"):
        assert_close(getattr(fit, col), ref[col], EST)
    assert_close(fit.survival, ref["surv"], EST)
    assert_close(fit.std_err, ref["std_err"], SE)
    assert_close(fit.lower, ref["lower"], SE)
    assert_close(fit.upper, ref["upper"], SE)


@pytest.mark.parametrize(("name", "conf"), KM_FITS)
def test_km_median_and_rmst_agree_with_r(name: str, conf: float) -> None:
    fit = r_km_fit(name, conf)
    ref = r_rows(KM_SUMMARY, name, conf)
    median = fit.median()
    columns = ["tau", "median", "median_lower", "median_upper", "rmean", "se_rmean"]
    for tau, *r_median, rmean, se_rmean in ref[columns].to_numpy(dtype=float):
        assert_close(median, r_median, EST)
        rmst = fit.rmst(tau)
        assert_close(rmst.estimate, rmean, EST)
        assert_close(rmst.std_err, se_rmean, SE)


@pytest.mark.parametrize(("name", "conf"), KM_FITS)
def test_km_risk_table_and_step_functions_agree_with_r(name: str, conf: float) -> None:
    fit = r_km_fit(name, conf)
    ref = r_rows(KM_TABLES, name, conf)
    times = ref["time"].to_numpy(dtype=float)
    table = fit.risk_table(times)
    np.testing.assert_array_equal(table.time, times)
    assert_close(table.n_risk, ref["n_risk"], EST)
    assert_close(table.n_event, ref["n_event_cum"], EST)
    assert_close(table.n_censor, ref["n_censor_cum"], EST)
    assert_close(fit.survival_at(times), ref["surv"], EST)
    lower, upper = fit.ci_at(times)
    assert_close(lower, ref["lower"], SE)
    assert_close(upper, ref["upper"], SE)


def test_median_midpoint_rule_cases() -> None:
    """The two flat-at-0.5 data sets, by hand: midpoint when S drops later, else the time."""
    flat = r_km_fit("half_flat", 0.95)
    assert flat.median().estimate == 6.0  # S = 0.5 on [5, 7)
    end = r_km_fit("half_flat_end", 0.95)
    assert end.median().estimate == 2.0  # S = 0.5 from 2 on, never lower


def test_lung_numbers_quoted_in_the_validation_notes() -> None:
    """shared/references/validation-against-R.md, points 1 and 3."""
    fit = r_km_fit("lung", 0.95)
    assert fit.survival_at(365.0) == pytest.approx(0.4092416, abs=5e-8)
    lower, upper = fit.ci_at(365.0)
    assert (float(lower), float(upper)) == pytest.approx((0.3387, 0.4784), abs=5e-5)
    rmst = fit.rmst(365.0)
    assert rmst.estimate == pytest.approx(263.2219, abs=5e-5)
    assert rmst.std_err == pytest.approx(7.80, abs=5e-3)


# --------------------------------------------------------------------------------------
# Agreement with R: Aalen-Johansen
# --------------------------------------------------------------------------------------

AJ_INPUTS = pd.read_csv(REFERENCE / "aj_inputs.csv")
AJ_CURVES = pd.read_csv(REFERENCE / "aj.csv")


def r_aj_fit(name: str) -> CIFFit:
    data = AJ_INPUTS[AJ_INPUTS["dataset"] == name]
    return aalen_johansen(data["time"].to_numpy(dtype=float), data["cause"].to_numpy())


@pytest.mark.parametrize("name", sorted(AJ_CURVES["dataset"].unique()))
def test_aj_agrees_with_r(name: str) -> None:
    fit = r_aj_fit(name)
    ref = AJ_CURVES[AJ_CURVES["dataset"] == name]
    states = sorted(ref["state"].unique())
    assert fit.causes.tolist() == states[1:]
    s0 = ref[ref["state"] == 0]
    np.testing.assert_array_equal(fit.time, s0["time"])
    assert_close(fit.n_risk, s0["n_risk"], EST)
    assert_close(fit.survival, s0["pstate"], EST)
    assert_close(fit.survival_std_err, s0["std_err"], SE)
    for k, cause in enumerate(fit.causes):
        rows = ref[ref["state"] == cause]
        assert_close(fit.cif[k], rows["pstate"], EST)
        assert_close(fit.cif_std_err[k], rows["std_err"], SE)


@pytest.mark.parametrize("name", sorted(AJ_CURVES["dataset"].unique()))
def test_aj_step_functions_at_and_between_r_times(name: str) -> None:
    fit = r_aj_fit(name)
    ref = AJ_CURVES[AJ_CURVES["dataset"] == name]
    grid = np.sort(ref["time"].unique())
    between = np.append((grid[:-1] + grid[1:]) / 2, grid[-1] + 1)
    expected = np.stack([ref[ref["state"] == c]["pstate"].to_numpy() for c in fit.causes])
    assert_close(fit.cif_at(grid), expected, EST)
    assert_close(fit.cif_at(between), expected, EST)
    assert_close(fit.cif_at([grid[0] - 1]), np.zeros((fit.causes.size, 1)), EST)
    assert_close(fit.survival_at(between), ref[ref["state"] == 0]["pstate"], EST)


# --------------------------------------------------------------------------------------
# Independent references
# --------------------------------------------------------------------------------------


def reference_aj(
    time: FloatArray, cause: npt.NDArray[np.intp], weight: npt.NDArray[np.complex128], k: int
) -> tuple[npt.NDArray[np.complex128], npt.NDArray[np.complex128]]:
    """Weighted Aalen-Johansen by a loop over the distinct times, in complex arithmetic.

    Returns S and the cumulative incidences (k, m) at the distinct times.
    """
    grid = np.unique(time)
    surv = np.empty(grid.size, dtype=complex)
    cif = np.zeros((k, grid.size), dtype=complex)
    s = 1.0 + 0j
    f = np.zeros(k, dtype=complex)
    for j, t in enumerate(grid):
        n = weight[time >= t].sum()
        here = time == t
        for c in range(1, k + 1):
            f[c - 1] = f[c - 1] + s * weight[here & (cause == c)].sum() / n
        s = s * (1 - weight[here & (cause > 0)].sum() / n)
        surv[j] = s
        cif[:, j] = f
    return surv, cif


def complex_step_ij(
    time: FloatArray, cause: npt.NDArray[np.intp], weight: FloatArray, k: int
) -> tuple[FloatArray, FloatArray]:
    """sum_i (w_i dX/dw_i)^2 for X = S and each CIF, derivatives by complex step."""
    h = 1e-30
    var_s = np.zeros(np.unique(time).size)
    var_f = np.zeros((k, var_s.size))
    for i in range(time.size):
        w = weight.astype(complex)
        w[i] += 1j * h
        surv, cif = reference_aj(time, cause, w, k)
        var_s += (weight[i] * surv.imag / h) ** 2
        var_f += (weight[i] * cif.imag / h) ** 2
    return var_s, var_f


times_on_a_grid = st.integers(0, 24).map(lambda q: q / 4)  # ties, and time 0


@st.composite
def censored_data(draw: st.DrawFn, max_n: int = 40) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    n = draw(st.integers(1, max_n))
    time = np.array(draw(st.lists(times_on_a_grid, min_size=n, max_size=n)))
    event = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    return time, event


@st.composite
def competing_data(
    draw: st.DrawFn, max_n: int = 30, max_cause: int = 3
) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    n = draw(st.integers(1, max_n))
    time = np.array(draw(st.lists(times_on_a_grid, min_size=n, max_size=n)))
    cause = np.array(draw(st.lists(st.integers(0, max_cause), min_size=n, max_size=n)))
    return time, cause


@settings(max_examples=150, deadline=None)
@given(censored_data(), st.sampled_from([0.8, 0.95, 0.99]))
def test_km_is_a_survival_curve_with_intervals_around_it(
    data: tuple[FloatArray, npt.NDArray[np.bool_]], conf: float
) -> None:
    time, event = data
    fit = kaplan_meier(time, event, conf_level=conf)
    s = fit.survival
    assert np.all((s >= 0) & (s <= 1))
    assert np.all(np.diff(s) <= 0)
    assert np.all(np.diff(fit.time) > 0)
    defined = ~np.isnan(fit.lower)
    # the log-log interval is defined exactly where 0 < S < 1
    np.testing.assert_array_equal(defined, (s > 0) & (s < 1))
    np.testing.assert_array_equal(defined, ~np.isnan(fit.upper))
    assert np.all((fit.lower[defined] >= 0) & (fit.lower[defined] <= s[defined]))
    assert np.all((fit.upper[defined] >= s[defined]) & (fit.upper[defined] <= 1))
    assert np.all(fit.std_err[~np.isnan(fit.std_err)] >= 0)
    # counts add up
    assert fit.n_event.sum() + fit.n_censor.sum() == time.size
    assert fit.n_risk[0] == time.size
    # median inside its interval when all three exist
    med = fit.median()
    if not np.isnan([med.estimate, med.lower, med.upper]).any():
        assert med.lower <= med.estimate <= med.upper
    # the restricted mean lies between 0 and tau, and matches a direct integral
    tau = 4.0
    grid = np.linspace(0, tau, 4001)[:-1] + tau / 8000  # midpoints of a fine grid
    assert fit.rmst(tau).estimate == pytest.approx(fit.survival_at(grid).mean() * tau, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(censored_data())
def test_risk_table_counts_from_the_definition(
    data: tuple[FloatArray, npt.NDArray[np.bool_]],
) -> None:
    time, event = data
    fit = kaplan_meier(time, event)
    t = np.arange(-1, 26) / 4
    table = fit.risk_table(t)
    np.testing.assert_array_equal(table.n_risk, (time[None, :] >= t[:, None]).sum(axis=1))
    at_or_before = time[None, :] <= t[:, None]
    np.testing.assert_array_equal(table.n_event, (at_or_before & event).sum(axis=1))
    np.testing.assert_array_equal(table.n_censor, (at_or_before & ~event).sum(axis=1))


@settings(max_examples=100, deadline=None)
@given(st.lists(times_on_a_grid, min_size=1, max_size=50))
def test_without_censoring_km_is_the_empirical_survival_function(times: list[float]) -> None:
    time = np.array(times)
    fit = kaplan_meier(time, np.ones(time.size, dtype=bool))
    t = np.arange(-1, 27) / 4
    empirical = (time[None, :] > t[:, None]).mean(axis=1)
    np.testing.assert_allclose(fit.survival_at(t), empirical, rtol=0, atol=1e-12)
    # and Greenwood's variance is the binomial one, S (1 - S) / n, while S > 0
    s = fit.survival
    alive = s > 0
    np.testing.assert_allclose(
        fit.std_err[alive], np.sqrt(s[alive] * (1 - s[alive]) / time.size), rtol=1e-9
    )
    # restricted mean: the mean of min(T, tau)
    assert fit.rmst(3.0).estimate == pytest.approx(np.minimum(time, 3.0).mean(), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(censored_data(max_n=20), st.data())
def test_whole_number_weights_are_frequencies(
    data: tuple[FloatArray, npt.NDArray[np.bool_]], draw: st.DataObject
) -> None:
    time, event = data
    w = np.array(draw.draw(st.lists(st.integers(1, 4), min_size=time.size, max_size=time.size)))
    weighted = kaplan_meier(time, event, w)
    repeated = kaplan_meier(np.repeat(time, w), np.repeat(event, w))
    assert not weighted.robust
    for name in ("time", "n_risk", "n_event", "survival", "std_err", "lower", "upper"):
        assert_close(getattr(weighted, name), getattr(repeated, name), {"rtol": 1e-12, "atol": 0})
    assert_close(weighted.median(), repeated.median(), {"rtol": 0, "atol": 0})


@settings(max_examples=40, deadline=None)
@given(censored_data(max_n=15), st.data())
def test_non_integer_weights_give_the_infinitesimal_jackknife_variance(
    data: tuple[FloatArray, npt.NDArray[np.bool_]], draw: st.DataObject
) -> None:
    time, event = data
    n = time.size
    w = np.array(draw.draw(st.lists(st.floats(0.1, 3.0), min_size=n, max_size=n)))
    w[0] += 0.5 if w[0] == np.floor(w[0]) else 0.0  # at least one non-integer weight
    fit = kaplan_meier(time, event, w)
    assert fit.robust
    var_s, _ = complex_step_ij(time, event.astype(np.intp), w, 1)
    np.testing.assert_allclose(fit.std_err, np.sqrt(var_s), rtol=1e-9, atol=1e-13)


@settings(max_examples=60, deadline=None)
@given(competing_data())
def test_aj_variance_is_the_exact_infinitesimal_jackknife(
    data: tuple[FloatArray, npt.NDArray[np.intp]],
) -> None:
    time, cause = data
    fit = aalen_johansen(time, cause, causes=[1, 2, 3])
    var_s, var_f = complex_step_ij(time, cause, np.ones(time.size), 3)
    # compared as variances: a variance that is 0 up to rounding (3e-18 from cancellation,
    # found by hypothesis) is a standard error of 2e-9, not an error in the formula
    np.testing.assert_allclose(fit.survival_std_err**2, var_s, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(fit.cif_std_err**2, var_f, rtol=1e-9, atol=1e-15)
    surv, cif = reference_aj(time, cause, np.ones(time.size, dtype=complex), 3)
    np.testing.assert_allclose(fit.survival, surv.real, rtol=0, atol=1e-13)
    np.testing.assert_allclose(fit.cif, cif.real, rtol=0, atol=1e-13)


@settings(max_examples=150, deadline=None)
@given(competing_data(max_n=40))
def test_aj_probabilities_add_up(data: tuple[FloatArray, npt.NDArray[np.intp]]) -> None:
    time, cause = data
    fit = aalen_johansen(time, cause)
    np.testing.assert_allclose(fit.survival + fit.cif.sum(axis=0), 1.0, rtol=0, atol=1e-12)
    assert np.all((fit.cif >= 0) & (fit.cif <= 1 + 1e-12))
    assert np.all(np.diff(fit.cif, axis=1) >= -1e-15)
    assert np.all(fit.cif_std_err >= 0) and np.all(fit.survival_std_err >= 0)
    # the event-free curve is the Kaplan-Meier curve of "any event"
    km = kaplan_meier(time, cause > 0)
    np.testing.assert_allclose(fit.survival, km.survival, rtol=0, atol=1e-14)
    alive = km.survival > 0
    np.testing.assert_allclose(fit.survival_std_err[alive], km.std_err[alive], rtol=1e-9)
    np.testing.assert_array_equal(fit.survival_std_err[~alive], 0.0)


@settings(max_examples=100, deadline=None)
@given(censored_data())
def test_with_one_cause_aj_is_one_minus_km(
    data: tuple[FloatArray, npt.NDArray[np.bool_]],
) -> None:
    time, event = data
    km = kaplan_meier(time, event)
    aj = aalen_johansen(time, event.astype(int), causes=[1])
    np.testing.assert_allclose(aj.cif[0], 1 - km.survival, rtol=0, atol=1e-14)
    # F = 1 - S, so its standard error is Greenwood's as well
    alive = km.survival > 0
    np.testing.assert_allclose(aj.cif_std_err[0][alive], km.std_err[alive], rtol=1e-7, atol=1e-9)


def test_aj_ties_are_deterministic_and_order_free() -> None:
    rng = np.random.default_rng(0)
    time = rng.integers(0, 20, 500).astype(float)
    cause = rng.integers(0, 3, 500)
    first = aalen_johansen(time, cause)
    perm = rng.permutation(500)
    second = aalen_johansen(time[perm], cause[perm])
    np.testing.assert_array_equal(first.cif, aalen_johansen(time, cause).cif)
    np.testing.assert_allclose(first.cif, second.cif, rtol=0, atol=1e-15)
    np.testing.assert_allclose(first.cif_std_err, second.cif_std_err, rtol=1e-12)


def test_requested_causes_order_and_absent_codes() -> None:
    time = np.array([1.0, 2, 3, 4, 5])
    cause = np.array([1, 0, 3, 1, 0])
    default = aalen_johansen(time, cause)
    assert default.causes.tolist() == [1, 3]
    picked = aalen_johansen(time, cause, causes=[3, 2])
    np.testing.assert_array_equal(picked.cif[0], default.cif[1])
    np.testing.assert_array_equal(picked.cif[1], 0.0)
    # unreported cause 1 still ends the time at risk
    np.testing.assert_array_equal(picked.survival, default.survival)
    assert picked.cif_at([0.5, 3.0, 10.0]).shape == (2, 3)
    assert picked.cif_at(3.0).shape == (2, 1)


def test_km_step_functions_outside_the_data() -> None:
    fit = kaplan_meier([2.0, 3.0, 3.0, 5.0], [True, False, True, False])
    np.testing.assert_array_equal(fit.survival_at([-1.0, 0.0, 1.99]), 1.0)
    assert float(fit.survival_at(100.0)) == fit.survival[-1]
    assert fit.survival_at(np.zeros((2, 3))).shape == (2, 3)
    assert fit.rmst(1.0) == (1.0, 0.0)  # before the first event: S = 1, no variance
    table = fit.risk_table([100.0])
    assert (table.n_risk[0], table.n_event[0], table.n_censor[0]) == (0, 2, 2)


def test_results_are_read_only() -> None:
    fit = kaplan_meier([1.0, 2.0], [True, False])
    with pytest.raises(ValueError, match="read-only"):
        fit.survival[0] = 0.5
    with pytest.raises(AttributeError):
        fit.conf_level = 0.9  # type: ignore[misc]


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"time": [1.0, -2.0], "event": [1, 0]}, r"time\[1\] = -2.0", id="negative"),
        pytest.param({"time": [1.0, np.nan], "event": [1, 0]}, r"time\[1\]", id="NaN time"),
        pytest.param({"time": [1.0, np.inf], "event": [1, 0]}, r"time\[1\]", id="inf time"),
        pytest.param({"time": [], "event": []}, "empty", id="empty"),
        pytest.param({"time": [1.0, 2.0], "event": [1]}, "event has shape", id="short event"),
        pytest.param({"time": [1.0, 2.0], "event": [1, 2]}, r"event\[1\] = 2", id="event 2"),
        pytest.param(
            {"time": [1.0, 2.0], "event": [1, 0], "weights": [1.0, 0.0]},
            r"weights\[1\] = 0.0",
            id="zero weight",
        ),
        pytest.param(
            {"time": [1.0, 2.0], "event": [1, 0], "conf_level": 95},
            "conf_level = 95",
            id="percent as level",
        ),
        pytest.param({"time": [[1.0, 2.0]], "event": [[1, 0]]}, "one-dimensional", id="2-D"),
    ],
)
def test_kaplan_meier_rejects_bad_input(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        kaplan_meier(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cause", "causes", "message"),
    [
        pytest.param([1, -1], None, r"cause\[1\] = -1", id="negative code"),
        pytest.param([1, 1.5], None, r"cause\[1\] = 1.5", id="fractional code"),
        pytest.param([1, 0, 2], None, "cause has shape", id="wrong length"),
        pytest.param([1, 2], [0, 1], "causes", id="censoring as a cause"),
        pytest.param([1, 2], [1, 1], "causes", id="repeated cause"),
    ],
)
def test_aalen_johansen_rejects_bad_input(
    cause: list[float], causes: list[int] | None, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        aalen_johansen([1.0, 2.0], cause, causes=causes)


def test_rmst_needs_a_positive_horizon() -> None:
    fit = kaplan_meier([1.0, 2.0], [True, False])
    with pytest.raises(InputError, match="tau"):
        fit.rmst(0.0)
    assert issubclass(InputError, ValueError)
