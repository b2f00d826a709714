"""Tests of the parametric models of relief duration (outcomes.parametric).

Reference values come from R's survreg (tests/r/parametric_reference.R): on
tests/data/r_reference/parametric_inputs.csv, which :func:`reference_inputs`
writes (run ``python tests/test_parametric.py`` to rewrite it, then the R
script), and on KMsurv's bcdeter (breast cosmesis), which the R script copies
to tests/data/r_reference/parametric_bcdeter.csv. Everything else is checked
against the known truth of simulated data, against scipy, or against a
log-likelihood written out here.

Tolerances against R. Both R and outcomes stop near the maximum of the same
log-likelihood, by different routes, so the tests ask what any correct
optimiser delivers, not that the two agree digit for digit:

* log-likelihood: ours at least R's less 1e-9 (R's is a value the likelihood
  reaches, so the maximum is not below it; 1e-9 is far above the rounding of a
  sum of at most 600 terms, about 1e-13), and within 1e-7 of it;
* our gradient (largest absolute component, in intercept, coefficients and
  log scale) below 1e-6, and R's too (R's is in the reference file);
* estimates within 1e-3 of R's standard error. Near the maximum the
  log-likelihood is quadratic, so every estimate whose log-likelihood is
  within d of the maximum lies in the ellipsoid (theta - hat)' I (theta - hat)
  <= 2 d, and then any smooth function of the estimates (a coefficient, S(t),
  the log median, the restricted mean) is within sqrt(2 d) of its own standard
  error of its value at the maximum: 4.5e-4 for d = 1e-7. Two such optimisers
  can differ by twice that; 1e-3 allows it. The same rule holds S(t), the
  median and the restricted mean, with their delta-method standard errors
  (R's);
* standard errors 1e-3 relative: moving the estimate anywhere within that
  ellipsoid changes them by at most 1.8e-4 relative on these data (bcdeter's
  arm 1, 46 rows, is the most sensitive); the variance of (mu, log sigma),
  element by element, to 2e-3 of sqrt(var_i var_j).

The largest differences seen (outcomes' Newton-Raphson against survreg with
rel.tolerance 1e-13): log-likelihood 7e-13, estimates 7e-12 of a standard
error, regression standard errors 1e-13 relative; our gradient 3e-10, R's
4e-10.
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

from outcomes import _loglik, parametric
from outcomes.datasets import simulate_intervals
from outcomes.errors import InputError, OptionError
from outcomes.parametric import FAMILIES, compare_families, fit_aft, fit_parametric

REFERENCE = Path(__file__).parent / "data" / "r_reference"
INPUTS = REFERENCE / "parametric_inputs.csv"
BCDETER = REFERENCE / "parametric_bcdeter.csv"

LOGLIK_SLACK = 1e-9  # ours >= R's - this
LOGLIK_ATOL = 1e-7  # |ours - R's|
GRADIENT_TOL = 1e-6  # largest |d log-likelihood / d parameter|, ours and R's
SE_FRACTION = 1e-3  # estimates and functions of them: within this many of R's standard errors
SE_RTOL = 1e-3  # standard errors, relative
Z95 = 1.959963984540054

#: R's data sets fitted with an intercept only, with the landmarks (months) and restricted
#: mean horizons of the reference file.
INTERCEPT_ONLY = {
    "intercept_only": ((3, 6, 12, 24, 36), (24, 36)),
    "bcdeter_arm1": ((12, 24, 36, 48, 60), (48,)),
    "bcdeter_arm2": ((12, 24, 36, 48, 60), (48,)),
}
#: R's regressions: covariates, and the name of each of fit_aft's terms in R.
REGRESSIONS = {
    "aft": (
        ("technique", "kl_grade", "joint", "age"),
        {
            "technique=conventional": "techniqueconventional",
            "kl_grade": "kl_grade",
            "joint=hip": "jointhip",
            "joint=shoulder": "jointshoulder",
            "age": "age",
        },
    ),
    "bcdeter_aft": (("treat",), {"treat=1": "treat1"}),
}


def weibull_sf(t: np.ndarray | float, shape: float, scale: float) -> np.ndarray:
    return np.exp(-((np.asarray(t, dtype=float) / scale) ** shape))


def sf0(family: str, z: np.ndarray) -> np.ndarray:
    """P(W > z) for survreg's standard distributions, written out (psurvreg's)."""
    from scipy import stats

    with np.errstate(over="ignore"):
        if family == "weibull":
            return np.exp(-np.exp(z))
        if family == "loglogistic":
            return 1 / (1 + np.exp(z))
    return np.asarray(stats.norm.sf(z))


def pdf0(family: str, z: np.ndarray) -> np.ndarray:
    from scipy import stats

    if family == "weibull":
        return np.exp(z - np.exp(z))
    if family == "loglogistic":
        return np.exp(z) / (1 + np.exp(z)) ** 2
    return np.asarray(stats.norm.pdf(z))


def loglik(
    family: str, lower: np.ndarray, upper: np.ndarray, x: np.ndarray, theta: np.ndarray
) -> float:
    """sum log(S(lower) - S(upper)), theta = (intercept, coefficients, log scale)."""
    eta, sigma = x @ theta[:-1], math.exp(theta[-1])
    with np.errstate(divide="ignore"):
        s_lower = np.where(lower > 0, sf0(family, (np.log(lower) - eta) / sigma), 1.0)
        s_upper = np.where(np.isfinite(upper), sf0(family, (np.log(upper) - eta) / sigma), 0.0)
    return float(np.log(s_lower - s_upper).sum())


# --------------------------------------------------------------------------------------
# The data behind the R reference
# --------------------------------------------------------------------------------------


def reference_inputs() -> pd.DataFrame:
    """The simulated data sets of tests/r/parametric_reference.R (see its header)."""
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
def bcdeter_raw() -> pd.DataFrame:
    return pd.read_csv(BCDETER)


@pytest.fixture(scope="module")
def data_sets(inputs: pd.DataFrame, bcdeter_raw: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Every reference data set by R's name: lower_months, upper_months and covariates.

    bcdeter as the R script fits it: upper NA -> inf (right-censored), the two rows
    with lower == upper left out, treat as a category ("1", "2").
    """
    bc = bcdeter_raw.rename(columns={"lower": "lower_months", "upper": "upper_months"})
    bc["upper_months"] = bc["upper_months"].fillna(np.inf)
    bc = bc[bc["lower_months"] < bc["upper_months"]].reset_index(drop=True)
    bc["treat"] = bc["treat"].astype(str)
    return {
        "intercept_only": inputs[inputs["dataset"] == "intercept_only"],
        "aft": inputs[inputs["dataset"] == "aft"],
        "bcdeter_arm1": bc[bc["treat"] == "1"],
        "bcdeter_arm2": bc[bc["treat"] == "2"],
        "bcdeter_aft": bc,
    }


@pytest.fixture(scope="module")
def r_values() -> dict[tuple[str, str], float]:
    ref = pd.read_csv(REFERENCE / "parametric.csv", float_precision="round_trip")
    return {(m, q): float(v) for m, q, v in ref[["model", "quantity", "value"]].itertuples(False)}


def r_model(r_values: dict[tuple[str, str], float], model: str) -> dict[str, float]:
    return {q: v for (m, q), v in r_values.items() if m == model}


def test_inputs_are_what_the_generator_writes(inputs: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(inputs, reference_inputs(), check_exact=True)


def test_bcdeter_file_is_kmsurv_bcdeter(bcdeter_raw: pd.DataFrame) -> None:
    """95 women (46 radiotherapy, 49 with chemotherapy), 37 never seen to deteriorate."""
    assert list(bcdeter_raw.columns) == ["lower", "upper", "treat"]
    assert bcdeter_raw["treat"].value_counts().to_dict() == {2: 49, 1: 46}
    assert int(bcdeter_raw["upper"].isna().sum()) == 37
    assert int((bcdeter_raw["lower"] == 0).sum()) == 5
    same = bcdeter_raw[bcdeter_raw["lower"] == bcdeter_raw["upper"]]
    assert same.to_numpy().tolist() == [[34, 34, 2], [48, 48, 2]]  # left out (header of R)


# --------------------------------------------------------------------------------------
# Intercept-only fits against R
# --------------------------------------------------------------------------------------

ONE_CASES = [pytest.param(d, f, id=f"{d}-{f}") for d in INTERCEPT_ONLY for f in FAMILIES]


@pytest.fixture(scope="module")
def tables(data_sets: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {
        d: compare_families(data_sets[d]["lower_months"], data_sets[d]["upper_months"])
        for d in INTERCEPT_ONLY
    }


@pytest.mark.parametrize(("dataset", "family"), ONE_CASES)
def test_compare_families_reaches_the_maximum(
    tables: dict[str, pd.DataFrame],
    r_values: dict[tuple[str, str], float],
    dataset: str,
    family: str,
) -> None:
    """Log-likelihood at least R's, and a gradient of 0 to 1e-6 (R's too)."""
    row = tables[dataset].set_index("family").loc[family]
    r = r_model(r_values, f"{dataset}/{family}")
    assert row["log_likelihood"] >= r["loglik"] - LOGLIK_SLACK
    assert row["log_likelihood"] == pytest.approx(r["loglik"], rel=0, abs=LOGLIK_ATOL)
    assert row["gradient_norm"] < GRADIENT_TOL
    assert r["grad_max"] < GRADIENT_TOL


@pytest.mark.parametrize(("dataset", "family"), ONE_CASES)
def test_compare_families_estimates_are_within_a_fraction_of_r_se(
    tables: dict[str, pd.DataFrame],
    r_values: dict[tuple[str, str], float],
    dataset: str,
    family: str,
) -> None:
    """mu, log sigma and log median within 1e-3 of R's standard errors; AIC from the fit."""
    row = tables[dataset].set_index("family").loc[family]
    r = r_model(r_values, f"{dataset}/{family}")
    assert abs(row["intercept"] - r["intercept"]) <= SE_FRACTION * math.sqrt(r["var_intercept"])
    assert abs(math.log(row["scale"]) - math.log(r["scale"])) <= SE_FRACTION * math.sqrt(
        r["var_log_scale"]
    )
    assert abs(math.log(row["median_months"]) - r["log_median"]) <= (
        SE_FRACTION * r["log_median_se"]
    )
    assert row["aic"] == pytest.approx(-2 * row["log_likelihood"] + 4)
    assert row["n_params"] == 2


@pytest.mark.parametrize("dataset", INTERCEPT_ONLY)
def test_compare_families_is_sorted_by_aic(tables: dict[str, pd.DataFrame], dataset: str) -> None:
    table = tables[dataset]
    assert sorted(table["family"]) == sorted(FAMILIES)
    assert table["aic"].is_monotonic_increasing
    assert table["delta_aic"].iloc[0] == 0


@pytest.mark.parametrize(("dataset", "family"), ONE_CASES)
def test_fit_parametric_summaries_match_r(
    data_sets: dict[str, pd.DataFrame],
    r_values: dict[tuple[str, str], float],
    dataset: str,
    family: str,
) -> None:
    """Variance, S(t), median with its limits, restricted mean and its standard error.

    Each within 1e-3 of R's standard error of it (S(t): delta method on R's variance of
    (mu, log sigma)); standard errors to 1e-3 relative (module docstring).
    """
    data = data_sets[dataset]
    marks, taus = INTERCEPT_ONLY[dataset]
    r = r_model(r_values, f"{dataset}/{family}")
    r_cov = np.array(
        [
            [r["var_intercept"], r["cov_intercept_log_scale"]],
            [r["cov_intercept_log_scale"], r["var_log_scale"]],
        ]
    )
    curves = {
        tau: fit_parametric(
            data["lower_months"],
            data["upper_months"],
            family=family,
            whole_day=False,  # R evaluates at the months themselves
            landmarks_months=tuple(float(t) for t in marks),
            tau_months=float(tau),
        )
        for tau in taus
    }
    curve = curves[taus[0]]
    assert curve.method == family

    # variance of (mu, log sigma), each element against sqrt(var_i var_j)
    scale = np.sqrt(np.outer(np.diag(r_cov), np.diag(r_cov)))
    assert (np.abs(np.asarray(curve.extra["cov"]) - r_cov) <= 2 * SE_RTOL * scale).all()

    # S(t): its R standard error from dS / d(mu, log sigma) = f0(z) (1 / sigma, z)
    t = np.asarray(marks, dtype=float)
    z = (np.log(t) - r["intercept"]) / r["scale"]
    grad = pdf0(family, z) * np.stack([np.full_like(z, 1 / r["scale"]), z])
    se_s = np.sqrt(np.einsum("in,ij,jn->n", grad, r_cov, grad))
    r_s = np.array([r[f"surv_{m}"] for m in marks])
    assert (np.abs(curve.relief_at["estimate"].to_numpy() - r_s) <= SE_FRACTION * se_s).all()

    # median and its limits, on the log scale: R's log median and its standard error
    log_med, se = r["log_median"], r["log_median_se"]
    limit_tol = (SE_FRACTION + Z95 * SE_RTOL) * se
    assert abs(math.log(curve.median.estimate) - log_med) <= SE_FRACTION * se
    assert abs(math.log(curve.median.lower) - (log_med - Z95 * se)) <= limit_tol
    assert abs(math.log(curve.median.upper) - (log_med + Z95 * se)) <= limit_tol

    # restricted means (R: integrate() and central differences of it)
    for tau, fit in curves.items():
        assert abs(fit.rmst.estimate - r[f"rmst_{tau}"]) <= SE_FRACTION * r[f"rmst_{tau}_se"]
        assert fit.rmst.std_err == pytest.approx(r[f"rmst_{tau}_se"], rel=SE_RTOL)


@pytest.mark.parametrize("family", FAMILIES)
def test_survival_band_is_the_delta_method_on_the_fits_variance(
    data_sets: dict[str, pd.DataFrame], family: str
) -> None:
    """The band is normal on z = (log t - mu) / sigma, with the fit's variance of it."""
    from scipy import stats

    data = data_sets["intercept_only"]
    marks = np.array([3.0, 6.0, 12.0, 24.0, 36.0])
    curve = fit_parametric(
        data["lower_months"],
        data["upper_months"],
        family=family,
        landmarks_months=tuple(marks),
        whole_day=False,
    )
    mu, sigma = curve.extra["intercept"], curve.extra["scale"]
    cov = np.asarray(curve.extra["cov"])
    z = (np.log(marks) - mu) / sigma
    grad = np.stack([np.full_like(z, -1 / sigma), -z])  # d z / d (mu, log sigma)
    se = np.sqrt(np.einsum("in,ij,jn->n", grad, cov, grad))
    q = stats.norm.ppf(0.975)
    np.testing.assert_allclose(curve.relief_at["estimate"], sf0(family, z), rtol=1e-12)
    np.testing.assert_allclose(curve.relief_at["lower"], sf0(family, z + q * se), rtol=1e-12)
    np.testing.assert_allclose(curve.relief_at["upper"], sf0(family, z - q * se), rtol=1e-12)


# --------------------------------------------------------------------------------------
# Regression against R
# --------------------------------------------------------------------------------------

AFT_CASES = [pytest.param(d, f, id=f"{d}-{f}") for d in REGRESSIONS for f in FAMILIES]


@pytest.fixture(scope="module")
def aft_fits(data_sets: dict[str, pd.DataFrame]) -> dict[tuple[str, str], pd.DataFrame]:
    return {
        (d, f): fit_aft(data_sets[d], covariates=REGRESSIONS[d][0], family=f)
        for d in REGRESSIONS
        for f in FAMILIES
    }


@pytest.mark.parametrize(("dataset", "family"), AFT_CASES)
def test_fit_aft_reaches_the_maximum(
    aft_fits: dict[tuple[str, str], pd.DataFrame],
    r_values: dict[tuple[str, str], float],
    dataset: str,
    family: str,
) -> None:
    """Log-likelihood at least R's, and a gradient of 0 to 1e-6 (R's too)."""
    attrs = aft_fits[dataset, family].attrs
    r = r_model(r_values, f"{dataset}/{family}")
    assert attrs["log_likelihood"] >= r["loglik"] - LOGLIK_SLACK
    assert attrs["log_likelihood"] == pytest.approx(r["loglik"], rel=0, abs=LOGLIK_ATOL)
    assert attrs["gradient_norm"] < GRADIENT_TOL
    assert r["grad_max"] < GRADIENT_TOL


@pytest.mark.parametrize(("dataset", "family"), AFT_CASES)
def test_fit_aft_estimates_are_within_a_fraction_of_r_se(
    aft_fits: dict[tuple[str, str], pd.DataFrame],
    r_values: dict[tuple[str, str], float],
    dataset: str,
    family: str,
) -> None:
    """Coefficients, intercept and log scale within 1e-3 of R's standard errors, which
    ours match to 1e-3 relative; the time ratios and limits follow from them."""
    out = aft_fits[dataset, family]
    r = r_model(r_values, f"{dataset}/{family}")
    terms = REGRESSIONS[dataset][1]
    assert list(out["term"]) == list(terms)
    for row in out.itertuples():
        name = terms[str(row.term)]
        assert abs(row.coef - r[f"coef:{name}"]) <= SE_FRACTION * r[f"se:{name}"]
        assert row.std_err == pytest.approx(r[f"se:{name}"], rel=SE_RTOL)
    attrs = out.attrs
    assert abs(attrs["intercept"] - r["coef:(Intercept)"]) <= SE_FRACTION * r["se:(Intercept)"]
    assert abs(math.log(attrs["scale"]) - math.log(r["scale"])) <= (SE_FRACTION * r["log_scale_se"])
    assert attrs["aic"] == pytest.approx(-2 * attrs["log_likelihood"] + 2 * (len(terms) + 2))
    np.testing.assert_allclose(out["time_ratio"], np.exp(out["coef"]))
    np.testing.assert_allclose(out["lower"], np.exp(out["coef"] - Z95 * out["std_err"]))
    np.testing.assert_allclose(out["upper"], np.exp(out["coef"] + Z95 * out["std_err"]))


def test_fit_aft_reference_levels_and_counts_on_the_r_data(
    aft_fits: dict[tuple[str, str], pd.DataFrame],
) -> None:
    """The most frequent level is the reference, as the R script sets it."""
    aft, bc = aft_fits["aft", "weibull"].attrs, aft_fits["bcdeter_aft", "weibull"].attrs
    assert aft["reference_levels"] == {"technique": "cooled", "joint": "knee"}
    assert (aft["n"], aft["n_dropped"], aft["n_no_interval"]) == (600, 0, 0)
    assert bc["reference_levels"] == {"treat": "2"}
    assert (bc["n"], bc["n_dropped"], bc["n_no_interval"]) == (93, 0, 0)


# --------------------------------------------------------------------------------------
# The reported optimum, checked without the optimiser: the log-likelihood written out
# here, at the reported estimates, and its central differences
# --------------------------------------------------------------------------------------

ALL_CASES = [
    pytest.param(d, f, id=f"{d}-{f}") for d in (*INTERCEPT_ONLY, *REGRESSIONS) for f in FAMILIES
]


def reported(
    dataset: str,
    family: str,
    data_sets: dict[str, pd.DataFrame],
    tables: dict[str, pd.DataFrame],
    aft_fits: dict[tuple[str, str], pd.DataFrame],
    r: dict[str, float],
) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """Design, (intercept, coefficients, log scale), log-likelihood and R's standard errors."""
    data = data_sets[dataset]
    if dataset in INTERCEPT_ONLY:
        row = tables[dataset].set_index("family").loc[family]
        x = np.ones((len(data), 1))
        theta = np.array([row["intercept"], math.log(row["scale"])])
        se = np.sqrt([r["var_intercept"], r["var_log_scale"]])
        return x, theta, float(row["log_likelihood"]), se
    out = aft_fits[dataset, family]
    covariates, terms = REGRESSIONS[dataset]
    x, _ = parametric._design(data, covariates)
    x = np.column_stack([np.ones(len(data)), x])
    theta = np.concatenate([[out.attrs["intercept"]], out["coef"], [math.log(out.attrs["scale"])]])
    names = ["(Intercept)", *terms.values()]
    se = np.array([r[f"se:{n}"] for n in names] + [r["log_scale_se"]])
    return x, theta, float(out.attrs["log_likelihood"]), se


@pytest.mark.parametrize(("dataset", "family"), ALL_CASES)
def test_reported_optimum_is_a_stationary_point_of_the_likelihood(
    data_sets: dict[str, pd.DataFrame],
    tables: dict[str, pd.DataFrame],
    aft_fits: dict[tuple[str, str], pd.DataFrame],
    r_values: dict[tuple[str, str], float],
    dataset: str,
    family: str,
) -> None:
    """The reported log-likelihood is the likelihood at the reported estimates (to 1e-9),
    and its central differences there, in steps of 1e-4 standard errors, are 0: below 1e-6
    per standard error (their own error is about 1e-8 in these units)."""
    r = r_model(r_values, f"{dataset}/{family}")
    x, theta, ll, se = reported(dataset, family, data_sets, tables, aft_fits, r)
    data = data_sets[dataset]
    lower = data["lower_months"].to_numpy(dtype=float)
    upper = data["upper_months"].to_numpy(dtype=float)
    assert loglik(family, lower, upper, x, theta) == pytest.approx(ll, rel=0, abs=1e-9)
    steps = np.diag(1e-4 * se)
    diffs = [
        (loglik(family, lower, upper, x, theta + h) - loglik(family, lower, upper, x, theta - h))
        / (2 * h[k])
        for k, h in enumerate(steps)
    ]
    assert np.max(np.abs(diffs) * se) < 1e-6


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


def test_follow_up_to_day_730_does_not_extrapolate_the_24_month_value() -> None:
    """Landmarks are compared with the last follow-up by their whole day, as the NPMLE's
    are: visits to day 730 (23.98 months) cover the 24-month landmark (day 730) and the
    restricted mean to 24 months, not the 25-month one (day 760)."""
    d = simulate_intervals(300, jitter=0.0, p_missed=0.0, dropout_per_year=0.0, seed=1)
    curve = fit_parametric(
        d["lower_months"], d["upper_months"], landmarks_months=(12.0, 24.0, 25.0), tau_months=24
    )
    assert curve.identified_until == pytest.approx(730 / 30.4375, abs=1e-12)
    assert curve.identified_until < 24  # the old comparison in months called 24 extrapolated
    assert curve.whole_day and curve.covers(24.0) and not curve.covers(25.0)
    at = curve.relief_at.set_index("months")
    assert list(at["note"]) == ["", "", "extrapolated"]
    assert curve.rmst.note == ""
    # the value is S at the landmark's day, 730
    z = (math.log(730 / 30.4375) - curve.extra["intercept"]) / curve.extra["scale"]
    assert at.loc[24.0, "estimate"] == pytest.approx(sf0(curve.method, np.array(z)), rel=1e-12)


def test_median_beyond_follow_up_is_labelled() -> None:
    d = simulate_intervals(500, shape=1.2, scale_months=60.0, seed=9)
    curve = fit_parametric(d["lower_months"], d["upper_months"])
    assert curve.median.estimate > curve.identified_until
    assert curve.median.note == "extrapolated"
    assert math.isfinite(curve.median.estimate)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(60, 400),
    shape=st.floats(0.6, 3.0),
    scale=st.floats(6.0, 40.0),
    seed=st.integers(0, 2**16),
)
def test_every_family_reaches_a_maximum_above_the_truth(
    n: int, shape: float, scale: float, seed: int
) -> None:
    """On any simulated cohort: gradient 0 to 1e-6, and the Weibull fit's log-likelihood is
    at least that of the true Weibull parameters (no correct optimiser can end below them)."""
    d = simulate_intervals(n, shape=shape, scale_months=scale, seed=seed)
    lower, upper = d["lower_months"].to_numpy(), d["upper_months"].to_numpy()
    table = compare_families(lower, upper).set_index("family")
    assert (table["gradient_norm"] < GRADIENT_TOL).all()
    truth = np.array([math.log(scale), -math.log(shape)])
    at_truth = loglik("weibull", lower, upper, np.ones((n, 1)), truth)
    assert table.loc["weibull", "log_likelihood"] >= at_truth - LOGLIK_SLACK


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
    assert out.attrs["gradient_norm"] < GRADIENT_TOL


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


# --------------------------------------------------------------------------------------
# The likelihood's corners: open ends, near-exact intervals, no maximum
# --------------------------------------------------------------------------------------


def test_rows_open_at_both_ends_change_nothing(data_sets: dict[str, pd.DataFrame]) -> None:
    """(0, inf) says nothing: its term is log 1 = 0, and the fits are unchanged."""
    data = data_sets["bcdeter_arm1"]
    lower = np.append(data["lower_months"].to_numpy(), [0.0, 0.0])
    upper = np.append(data["upper_months"].to_numpy(), [np.inf, np.inf])
    with_open = compare_families(lower, upper).drop(columns="gradient_norm")
    without = compare_families(data["lower_months"], data["upper_months"]).drop(
        columns="gradient_norm"
    )
    pd.testing.assert_frame_equal(with_open, without, rtol=1e-12)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("centre", [-4.0, -1.0, 0.0, 1.0, 2.5])
def test_narrow_interval_terms_against_quadrature(family: str, centre: float) -> None:
    """log(S(lower) - S(upper)) for intervals down to 1e-9 wide on z, against Gauss-Legendre
    quadrature of the density (no cancellation), to 1e-10: both sides of the switch to the
    expansion about the centre."""
    nodes, weights = np.polynomial.legendre.leggauss(10)
    for width in (1e-9, 1e-6, 0.5 * _loglik._NARROW, 2 * _loglik._NARROW, 1e-2, 0.3):
        lower = math.exp(centre - width / 2)
        upper = lower * math.exp(width)
        rows = _loglik.Rows.of(np.array([lower]), np.array([upper]), np.ones((1, 1)), np.ones(1))
        term = _loglik.evaluate(family, rows, np.array([0.0, 1.0]), derivatives=False)[0]
        w = float(rows.width[0])  # log(upper / lower), to the last digit
        mid = math.log(lower) + w / 2
        exact = math.log(w / 2 * float(weights @ pdf0(family, mid + w / 2 * nodes)))
        assert term == pytest.approx(exact, rel=0, abs=1e-10), width


def test_near_exact_intervals_still_reach_the_maximum() -> None:
    """Loss times known to a millionth of a month (lower = t - 1e-6): a gradient of 0 to
    1e-6, and the fit of the same times known to a thousandth is within 1e-3 of it."""
    rng = np.random.default_rng(3)
    t = 12.0 * rng.weibull(1.5, 300)
    upper = np.where(t < 30, t, np.inf)
    fine = compare_families(np.minimum(t, 30) - 1e-6, upper).set_index("family")
    coarse = compare_families(np.minimum(t, 30) - 1e-3, upper).set_index("family")
    assert (fine["gradient_norm"] < GRADIENT_TOL).all()
    np.testing.assert_allclose(fine["intercept"], coarse["intercept"], atol=1e-3)
    np.testing.assert_allclose(fine["scale"], coarse["scale"], rtol=1e-3)


def test_data_without_a_maximum_is_an_input_error() -> None:
    """Every loss in (1, 2], the rest beyond 2: the fit can always do better by shrinking
    the scale, so there is no estimate to report."""
    with pytest.raises(InputError, match="no unique maximum likelihood estimate"):
        compare_families([1.0] * 10 + [2.0] * 5, [2.0] * 10 + [np.inf] * 5)


def test_fit_that_does_not_converge_is_an_input_error(
    data_sets: dict[str, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One Newton step allowed: the fit says so rather than report a point short of the
    maximum."""
    monkeypatch.setattr(_loglik, "_MAX_NEWTON", 1)
    data = data_sets["intercept_only"]
    with pytest.raises(InputError, match="did not converge in 1 Newton steps"):
        compare_families(data["lower_months"], data["upper_months"])


@pytest.mark.parametrize("family", FAMILIES)
def test_a_level_never_seen_to_lose_relief_has_an_unbounded_time_ratio(family: str) -> None:
    """Its maximum lies at infinity: a huge ratio whose interval reaches 0 and infinity,
    reported without an overflow warning (warnings are errors here)."""
    d = two_groups(200, 0, seed=81)
    never = d.head(20).assign(technique="conventional", upper_months=np.inf)
    never["lower_months"] = never["lower_months"].clip(lower=1.0)
    out = fit_aft(
        pd.concat([d, never], ignore_index=True), covariates=("technique",), family=family
    )
    row = out.set_index("term").loc["technique=conventional"]
    assert row["time_ratio"] > 1e3
    assert row["lower"] < 1e-100 and row["upper"] > 1e100
    assert out.attrs["gradient_norm"] < GRADIENT_TOL


def test_collinear_covariates_are_an_option_error() -> None:
    d = two_groups(100, 100, seed=71)
    d["age_in_days"] = d["age"] * 365.25
    with pytest.raises(OptionError, match="'age_in_days' is determined by the terms before it"):
        fit_aft(d, covariates=("technique", "age", "age_in_days"))


# --------------------------------------------------------------------------------------
# Pieces, invariants and errors
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [0.3, 0.7, 1.5, 5.0])
def test_rmst_quadrature_against_scipy(shape: float) -> None:
    from scipy import integrate

    fit = parametric._Fit("weibull", math.log(12.0), 1 / shape, np.eye(2) * 1e-3, 0.0, 0.0)
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
    fit = parametric._Fit(family, mu, sigma, cov, 0.0, 0.0)
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
        pytest.param(
            [1.0, 2.0], [3.0, np.inf], "only 1 loss of relief was seen", id="a single event"
        ),
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
