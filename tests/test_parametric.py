"""Tests of the parametric models of relief duration (outcomes.parametric).

Reference values come from R's survreg (tests/r/parametric_reference.R, on
tests/data/r_reference/parametric_inputs.csv, which :func:`reference_inputs`
writes: run ``python tests/test_parametric.py`` to rewrite it, then the R
script). Everything else is checked against the known truth of simulated
data, or against scipy.

Tolerances against R. Both sides stop near the maximum, not at it (R with
``rel.tolerance = 1e-13``, lifelines with the tightened rules of the module):
log-likelihoods are held to 1e-9 relative, intercept-only estimates to
1e-6 relative, regression coefficients (log time ratios, some near 0) to
1e-6 absolute, and standard errors and variances (inverse Hessians at
slightly different points, autograd's against R's analytic) to 1e-5
relative; the restricted mean's standard error to 1e-4 (R's is from finite
differences). The largest differences seen: log-likelihood 1.3e-9
(absolute), estimates 7e-10 relative (intercept only) and 5e-8 absolute
(coefficients), variances 1.1e-8 relative, standard errors 5e-8 relative.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outcomes import parametric
from outcomes.datasets import simulate_intervals
from outcomes.errors import InputError, OptionError
from outcomes.parametric import FAMILIES, compare_families, fit_aft, fit_parametric

REFERENCE = Path(__file__).parent / "data" / "r_reference"
INPUTS = REFERENCE / "parametric_inputs.csv"

LOGLIK_RTOL = 1e-9
ESTIMATE_RTOL = 1e-6
COEF_ATOL = 1e-6
SE_RTOL = 1e-5


def weibull_sf(t: np.ndarray | float, shape: float, scale: float) -> np.ndarray:
    return np.exp(-((np.asarray(t, dtype=float) / scale) ** shape))


# --------------------------------------------------------------------------------------
# The data behind the R reference
# --------------------------------------------------------------------------------------


def reference_inputs() -> pd.DataFrame:
    """The data sets of tests/r/parametric_reference.R (see its header)."""
    one = simulate_intervals(400, shape=1.5, scale_months=12.0, seed=11)
    one["dataset"] = "intercept_only"
    cells = []
    seed = 100
    for technique, n, ratio in (("cooled", 360, 1.0), ("conventional", 240, 0.5)):
        for grade in (1, 2, 3, 4):
            seed += 1
            scale = 12.0 * ratio * 0.85 ** (grade - 1)
            cell = simulate_intervals(n // 4, shape=1.5, scale_months=scale, seed=seed)
            cells.append(cell.assign(technique=technique, kl_grade=grade))
    aft = pd.concat(cells, ignore_index=True)
    rng = np.random.default_rng(7)
    aft["joint"] = rng.choice(["knee", "hip", "shoulder"], len(aft), p=[0.5, 0.3, 0.2])
    aft["age"] = np.round(rng.normal(62, 9, len(aft)))
    aft["dataset"] = "aft"
    columns = ["dataset", "lower_months", "upper_months", "technique", "kl_grade", "joint", "age"]
    out = pd.concat([one, aft], ignore_index=True)[columns]
    out["kl_grade"] = out["kl_grade"].astype("Int64")
    return out


def write_reference_inputs(path: Path = INPUTS) -> None:
    reference_inputs().to_csv(path, index=False, float_format="%.17g")


@pytest.fixture(scope="module")
def inputs() -> pd.DataFrame:
    # round_trip: pandas' default parser can be 1 ulp off the 17 digits written
    return pd.read_csv(INPUTS, dtype={"kl_grade": "Int64"}, float_precision="round_trip")


@pytest.fixture(scope="module")
def r_values() -> dict[tuple[str, str], float]:
    ref = pd.read_csv(REFERENCE / "parametric.csv", float_precision="round_trip")
    return {(m, q): float(v) for m, q, v in ref[["model", "quantity", "value"]].itertuples(False)}


def test_inputs_are_what_the_generator_writes(inputs: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(inputs, reference_inputs(), check_exact=True)


# --------------------------------------------------------------------------------------
# Intercept-only fits against R
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def one(inputs: pd.DataFrame) -> pd.DataFrame:
    return inputs[inputs["dataset"] == "intercept_only"]


@pytest.fixture(scope="module")
def table(one: pd.DataFrame) -> pd.DataFrame:
    return compare_families(one["lower_months"], one["upper_months"])


@pytest.mark.parametrize("family", FAMILIES)
def test_compare_families_matches_r(
    table: pd.DataFrame, r_values: dict[tuple[str, str], float], family: str
) -> None:
    row = table.set_index("family").loc[family]
    model = f"intercept_only/{family}"
    assert row["log_likelihood"] == pytest.approx(r_values[model, "loglik"], rel=LOGLIK_RTOL)
    assert row["intercept"] == pytest.approx(r_values[model, "intercept"], rel=ESTIMATE_RTOL)
    assert row["scale"] == pytest.approx(r_values[model, "scale"], rel=ESTIMATE_RTOL)
    assert row["aic"] == pytest.approx(-2 * row["log_likelihood"] + 4)
    assert row["n_params"] == 2
    assert row["tolerance"] == "tight"
    assert row["median_months"] == pytest.approx(
        math.exp(r_values[model, "log_median"]), rel=ESTIMATE_RTOL
    )


def test_compare_families_is_sorted_by_aic(table: pd.DataFrame) -> None:
    assert sorted(table["family"]) == sorted(FAMILIES)
    assert table["aic"].is_monotonic_increasing
    assert table["delta_aic"].iloc[0] == 0


@pytest.mark.parametrize("family", FAMILIES)
def test_fit_parametric_matches_r(
    one: pd.DataFrame, r_values: dict[tuple[str, str], float], family: str
) -> None:
    model = f"intercept_only/{family}"
    r = {q: v for (m, q), v in r_values.items() if m == model}
    curve = fit_parametric(
        one["lower_months"],
        one["upper_months"],
        family=family,
        landmarks_months=(3, 6, 12, 24, 36),
        tau_months=36,
    )
    assert curve.method == family
    cov = np.asarray(curve.extra["cov"])
    r_cov = [
        [r["var_intercept"], r["cov_intercept_log_scale"]],
        [r["cov_intercept_log_scale"], r["var_log_scale"]],
    ]
    np.testing.assert_allclose(cov, r_cov, rtol=SE_RTOL)
    r_surv = [r[f"surv_{t}"] for t in (3, 6, 12, 24, 36)]
    np.testing.assert_allclose(curve.relief_at["estimate"], r_surv, rtol=ESTIMATE_RTOL)

    # median: R's predict(type = "uquantile") gives log(median) and its standard error
    z = 1.959963984540054
    log_med, se = r["log_median"], r["log_median_se"]
    assert curve.median.estimate == pytest.approx(math.exp(log_med), rel=ESTIMATE_RTOL)
    assert curve.median.lower == pytest.approx(math.exp(log_med - z * se), rel=SE_RTOL)
    assert curve.median.upper == pytest.approx(math.exp(log_med + z * se), rel=SE_RTOL)

    # restricted mean to 36 months: R's integrate() and a numerical delta method
    assert curve.rmst.estimate == pytest.approx(r["rmst_36"], rel=ESTIMATE_RTOL)
    assert curve.rmst.std_err == pytest.approx(r["rmst_36_se"], rel=1e-4)  # R's differences
    short = fit_parametric(one["lower_months"], one["upper_months"], family=family)
    assert short.rmst.estimate == pytest.approx(r["rmst_24"], rel=ESTIMATE_RTOL)
    assert short.rmst.std_err == pytest.approx(r["rmst_24_se"], rel=1e-4)


@pytest.mark.parametrize("family", FAMILIES)
def test_survival_band_is_the_delta_method_with_r_variance(
    one: pd.DataFrame, r_values: dict[tuple[str, str], float], family: str
) -> None:
    """The band is normal on z = (log t - mu) / sigma, with R's variance of (mu, log sigma)."""
    from scipy import special, stats

    model = f"intercept_only/{family}"
    r = {q: v for (m, q), v in r_values.items() if m == model}
    mu, sigma = r["intercept"], r["scale"]
    cov = np.array(
        [
            [r["var_intercept"], r["cov_intercept_log_scale"]],
            [r["cov_intercept_log_scale"], r["var_log_scale"]],
        ]
    )
    marks = np.array([3.0, 6.0, 12.0, 24.0, 36.0])
    curve = fit_parametric(
        one["lower_months"], one["upper_months"], family=family, landmarks_months=tuple(marks)
    )

    def z_of(theta: np.ndarray) -> np.ndarray:
        return (np.log(marks) - theta[0]) / math.exp(theta[1])

    theta, h = np.array([mu, math.log(sigma)]), 1e-6
    grad = np.column_stack(
        [(z_of(theta + h * e) - z_of(theta - h * e)) / (2 * h) for e in np.eye(2)]
    )
    se = np.sqrt(np.einsum("ni,ij,nj->n", grad, cov, grad))
    sf = {
        "weibull": lambda z: np.exp(-np.exp(z)),
        "loglogistic": lambda z: special.expit(-z),
        "lognormal": lambda z: stats.norm.sf(z),
    }[family]
    q = stats.norm.ppf(0.975)
    np.testing.assert_allclose(curve.relief_at["lower"], sf(z_of(theta) + q * se), rtol=SE_RTOL)
    np.testing.assert_allclose(curve.relief_at["upper"], sf(z_of(theta) - q * se), rtol=SE_RTOL)


# --------------------------------------------------------------------------------------
# Regression against R
# --------------------------------------------------------------------------------------

R_TERMS = {
    "technique=conventional": "techniqueconventional",
    "kl_grade": "kl_grade",
    "joint=hip": "jointhip",
    "joint=shoulder": "jointshoulder",
    "age": "age",
}


@pytest.mark.parametrize("family", FAMILIES)
def test_fit_aft_matches_r(
    inputs: pd.DataFrame, r_values: dict[tuple[str, str], float], family: str
) -> None:
    aft = inputs[inputs["dataset"] == "aft"].copy()
    out = fit_aft(aft, covariates=("technique", "kl_grade", "joint", "age"), family=family)
    model = f"aft/{family}"
    assert list(out["term"]) == list(R_TERMS)
    for row in out.itertuples():
        name = R_TERMS[str(row.term)]
        assert row.coef == pytest.approx(r_values[model, f"coef:{name}"], abs=COEF_ATOL)
        assert row.std_err == pytest.approx(r_values[model, f"se:{name}"], rel=SE_RTOL)
    attrs = out.attrs
    assert attrs["log_likelihood"] == pytest.approx(r_values[model, "loglik"], rel=LOGLIK_RTOL)
    assert attrs["intercept"] == pytest.approx(r_values[model, "coef:(Intercept)"], abs=COEF_ATOL)
    assert attrs["scale"] == pytest.approx(r_values[model, "scale"], rel=ESTIMATE_RTOL)
    assert attrs["reference_levels"] == {"technique": "cooled", "joint": "knee"}
    assert (attrs["n"], attrs["n_dropped"], attrs["n_no_interval"]) == (600, 0, 0)
    assert attrs["tolerance"] == "tight"
    np.testing.assert_allclose(out["time_ratio"], np.exp(out["coef"]))
    np.testing.assert_allclose(
        out["lower"], np.exp(out["coef"] - 1.959963984540054 * out["std_err"])
    )


# --------------------------------------------------------------------------------------
# Simulated data with a known truth
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def weibull_data() -> pd.DataFrame:
    return simulate_intervals(2000, shape=1.5, scale_months=12.0, seed=5)


def test_aic_picks_weibull_on_weibull_data(weibull_data: pd.DataFrame) -> None:
    table = compare_families(weibull_data["lower_months"], weibull_data["upper_months"])
    assert table["family"].iloc[0] == "weibull"
    assert table["delta_aic"].iloc[1] > 10  # not a close call at n = 2000
    curve = fit_parametric(weibull_data["lower_months"], weibull_data["upper_months"])
    assert curve.method == curve.extra["family"] == "weibull"
    assert [r["family"] for r in curve.extra["families"]] == list(table["family"])
    assert curve.extra["aic"] == pytest.approx(table["aic"].iloc[0])


def test_fit_parametric_recovers_the_truth_and_labels_extrapolation(
    weibull_data: pd.DataFrame,
) -> None:
    lo, hi = weibull_data["lower_months"], weibull_data["upper_months"]
    marks = (3.0, 6.0, 12.0, 24.0, 36.0, 48.0)
    curve = fit_parametric(lo, hi, landmarks_months=marks, tau_months=36.0)
    until = max(lo.max(), hi[np.isfinite(hi)].max())
    assert 24 < until < 36  # visits to 24 months, +-10%
    assert curve.identified_until == until
    truth = weibull_sf(np.array(marks), 1.5, 12.0)
    at = curve.relief_at.set_index("months")
    # sampling tolerance: the standard error of S(t) at n = 2000 is below 0.012
    for t in (6.0, 12.0):
        assert abs(at.loc[t, "estimate"] - weibull_sf(t, 1.5, 12.0)) < 0.03
    assert ((at["lower"] <= truth) & (truth <= at["upper"])).all()
    assert list(at["note"]) == ["", "", "", "", "extrapolated", "extrapolated"]
    assert at["estimate"].notna().all()  # reported beyond follow-up, labelled
    assert curve.rmst.note == "extrapolated"  # tau = 36 > last follow-up
    assert curve.median.note == ""
    true_median = 12.0 * math.log(2) ** (1 / 1.5)
    assert curve.median.lower < true_median < curve.median.upper
    assert fit_parametric(lo, hi, landmarks_months=marks).rmst.note == ""  # tau = 24

    # the curve: a grid from 0 to the last landmark, band around it, in [0, 1]
    assert curve.times.shape == curve.survival.shape == curve.lower.shape == (200,)
    assert curve.times[0] == 0 and curve.times[-1] == 48
    assert curve.survival[0] == curve.lower[0] == curve.upper[0] == 1
    assert (np.diff(curve.survival) <= 0).all()
    assert ((curve.lower <= curve.survival) & (curve.survival <= curve.upper)).all()
    assert ((curve.lower >= 0) & (curve.upper <= 1)).all()
    assert not curve.step and curve.unidentified.shape == (0, 2) and curve.n_boot == 0
    assert (curve.n, curve.n_events) == (2000, int(np.isfinite(hi).sum()))


def test_median_beyond_follow_up_is_labelled() -> None:
    d = simulate_intervals(500, shape=1.2, scale_months=60.0, seed=9)
    curve = fit_parametric(d["lower_months"], d["upper_months"])
    assert curve.median.estimate > curve.identified_until
    assert curve.median.note == "extrapolated"
    assert math.isfinite(curve.median.estimate)


def two_groups(n_long: int, n_short: int, seed: int) -> pd.DataFrame:
    """Relief ~ Weibull(1.5, 12 months) with cooled, Weibull(1.5, 6) with conventional."""
    long = simulate_intervals(n_long, shape=1.5, scale_months=12.0, seed=seed)
    short = simulate_intervals(n_short, shape=1.5, scale_months=6.0, seed=seed + 1)
    out = pd.concat(
        [long.assign(technique="cooled"), short.assign(technique="conventional")],
        ignore_index=True,
    )
    out["age"] = np.random.default_rng(seed).normal(60, 10, len(out))  # no effect
    return out


def test_fit_aft_recovers_a_known_time_ratio() -> None:
    out = fit_aft(two_groups(1500, 1000, seed=21), covariates=("technique", "age"))
    row = out.set_index("term").loc["technique=conventional"]
    assert row["reference"] == "cooled"  # the most frequent level
    assert row["lower"] < 0.5 < row["upper"]
    assert abs(row["time_ratio"] - 0.5) < 0.05
    age = out.set_index("term").loc["age"]
    assert age["lower"] < 1 < age["upper"]
    assert age["reference"] == age["level"] == ""
    assert out.attrs["scale"] == pytest.approx(1 / 1.5, rel=0.1)


def test_fit_aft_reference_is_the_most_frequent_level() -> None:
    out = fit_aft(two_groups(800, 1600, seed=31), covariates=("technique",))
    row = out.set_index("term").loc["technique=cooled"]
    assert row["reference"] == "conventional"
    assert row["lower"] < 2.0 < row["upper"]  # cooled doubles relief: time ratio > 1
    assert out.attrs["reference_levels"] == {"technique": "conventional"}


def test_fit_aft_drops_and_counts_rows_with_missing_values() -> None:
    d = two_groups(300, 200, seed=41)
    d["technique"] = d["technique"].astype("category")
    d.loc[[3, 10, 400], "age"] = np.nan
    d.loc[[5], "technique"] = np.nan
    d.loc[[7, 8], ["lower_months", "upper_months"]] = np.nan  # excluded procedures
    out = fit_aft(d, covariates=("technique", "age"))
    assert out.attrs["n"] == 500 - 4 - 2
    assert out.attrs["n_dropped"] == 4
    assert out.attrs["n_no_interval"] == 2
    kept = d.drop(index=[3, 5, 7, 8, 10, 400])
    pd.testing.assert_frame_equal(out, fit_aft(kept, covariates=("technique", "age")))


def test_fit_aft_codes_bool_and_string_columns_as_categories() -> None:
    d = two_groups(300, 200, seed=51)
    d["conventional"] = d["technique"] == "conventional"
    d["site"] = np.where(np.arange(len(d)) % 3 == 0, "b", "a")
    out = fit_aft(d, covariates=("conventional", "site"))
    assert list(out["term"]) == ["conventional=True", "site=b"]
    assert list(out["reference"]) == ["False", "a"]


def test_fit_aft_falls_back_to_lifelines_stopping_rule(
    inputs: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the tight rule fails (here: one iteration allowed), lifelines' own is used."""
    monkeypatch.setattr(parametric, "_TIGHT", {"SLSQP": {"maxiter": 1}})
    aft = inputs[inputs["dataset"] == "aft"]
    out = fit_aft(aft, covariates=("technique",))
    assert out.attrs["tolerance"] == "lifelines default"
    assert out["time_ratio"].iloc[0] == pytest.approx(0.5, abs=0.1)


# --------------------------------------------------------------------------------------
# Pieces, invariants and errors
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [0.3, 0.7, 1.5, 5.0])
def test_rmst_quadrature_against_scipy(shape: float) -> None:
    from scipy import integrate

    fit = parametric._Fit("weibull", math.log(12.0), 1 / shape, np.eye(2) * 1e-3, 0.0, "tight")
    exact = integrate.quad(lambda t: weibull_sf(t, shape, 12.0), 0, 24, epsabs=1e-13)[0]
    assert fit.rmst(24.0)[0] == pytest.approx(exact, abs=1e-9)


@settings(max_examples=50, deadline=None)
@given(
    family=st.sampled_from(FAMILIES),
    mu=st.floats(0.0, 4.0),
    sigma=st.floats(0.1, 3.0),
    var=st.floats(1e-4, 0.5),
    rho=st.floats(-0.9, 0.9),
)
def test_band_invariants(family: str, mu: float, sigma: float, var: float, rho: float) -> None:
    """S in [0, 1], non-increasing, from 1 at 0, with lower <= S <= upper."""
    cov = var * np.array([[1.0, rho], [rho, 1.0]])
    fit = parametric._Fit(family, mu, sigma, cov, 0.0, "tight")
    t = np.linspace(0, 100, 101)
    s = fit.survival(t)
    lo, hi = fit.survival_ci(t, 1.96)
    assert s[0] == lo[0] == hi[0] == 1
    assert ((s >= 0) & (s <= 1)).all() and (np.diff(s) <= 0).all()
    assert ((lo <= s + 1e-15) & (s <= hi + 1e-15)).all()


@pytest.mark.parametrize(
    ("lower", "upper", "message"),
    [
        pytest.param([0.0, 1.0], [1.0, 1.0], "upper is not after lower", id="exact time"),
        pytest.param([0.0, 2.0], [1.0, 1.0], "upper is not after lower", id="upper before lower"),
        pytest.param([-1.0, 1.0], [1.0, 2.0], "lower is negative", id="negative"),
        pytest.param([np.nan, 1.0], [1.0, 2.0], "is missing", id="missing"),
        pytest.param([1.0, 2.0], [np.inf, np.inf], "no loss of relief was seen", id="no events"),
        pytest.param([], [], "no procedures", id="empty"),
    ],
)
def test_invalid_intervals(lower: list[float], upper: list[float], message: str) -> None:
    with pytest.raises(InputError, match=message):
        compare_families(lower, upper)


def test_invalid_options(weibull_data: pd.DataFrame) -> None:
    lo, hi = weibull_data["lower_months"], weibull_data["upper_months"]
    with pytest.raises(OptionError, match="family"):
        fit_parametric(lo, hi, family="gamma")
    with pytest.raises(OptionError, match="conf_level"):
        fit_parametric(lo, hi, conf_level=95)
    frame = two_groups(100, 100, seed=61)
    with pytest.raises(OptionError, match="'sex'"):
        fit_aft(frame, covariates=("technique", "sex"))
    with pytest.raises(OptionError, match="single level"):
        fit_aft(frame.assign(joint="knee"), covariates=("joint",))
    with pytest.raises(OptionError, match="constant"):
        fit_aft(frame.assign(kl=2.0), covariates=("kl",))
    with pytest.raises(OptionError, match="family"):
        fit_aft(frame, covariates=("technique",), family="exponential")


def test_importing_outcomes_does_not_import_lifelines() -> None:
    code = (
        "import sys, outcomes, outcomes.parametric; "
        "print(sorted(m for m in ('lifelines', 'matplotlib', 'autograd') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


if __name__ == "__main__":
    write_reference_inputs()
    print(f"wrote {INPUTS}; now run: Rscript tests/r/parametric_reference.R")
