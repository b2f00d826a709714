"""The Turnbull NPMLE (outcomes._npmle) on classic data sets, against R.

The data and reference values in tests/data/r_reference/classic_*.csv come
from tests/r/classic_reference.R: the breast cosmesis study (Finkelstein 1985)
in two transcriptions, KMsurv::bcdeter and npsurv::cancer, each split into
its radiotherapy (rt) and radiotherapy + chemotherapy (rct) arm, and
npsurv::marijuana (ages in years, frequency weights). The reference NPMLE is
npsurv's (tol 1e-12, maximum gradient <= 6e-10), checked in that script
against a tightened survfit(Surv(l, r, type = "interval2") ~ 1) to 1e-8; all
are (left, right] data as our estimator reads them.

Tolerance: 1e-9, absolute, for masses, log-likelihoods and survival
probabilities. R's fits are at the maximum to about 1e-12; ours, with the
default stopping rule of ``turnbull`` (no mass moves by more than 1e-9 and a
gradient gap of at most 1e-7), is within 3e-10 of them on these data.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from outcomes._npmle import TurnbullFit, turnbull

REFERENCE = Path(__file__).parent / "data" / "r_reference"
INPUTS = pd.read_csv(REFERENCE / "classic_inputs.csv")
NPMLE = pd.read_csv(REFERENCE / "classic_npmle.csv")
LANDMARKS = pd.read_csv(REFERENCE / "classic_landmarks.csv")

TOL = 1e-9
#: a mass at or below this counts as none (the R script's threshold for "identified")
MASS_EPS = 1e-9

#: data set -> (total weight = people, rows, identified landmarks, all landmarks)
EXPECTED = {
    "bcdeter_rt": (46, 46, 83, 95),
    "bcdeter_rct": (49, 49, 107, 119),
    "cancer_rt": (46, 46, 83, 95),
    "cancer_rct": (48, 48, 76, 119),
    "marijuana": (191, 21, 29, 37),
}
DATASETS = [pytest.param(name, id=name) for name in EXPECTED]


@functools.cache
def fit_for(name: str) -> TurnbullFit:
    data = INPUTS[INPUTS["dataset"] == name]
    return turnbull(
        data["left"].to_numpy(dtype=float),
        data["right"].to_numpy(dtype=float),
        data["weight"].to_numpy(dtype=float),
    )


def landmarks(name: str) -> pd.DataFrame:
    return LANDMARKS[LANDMARKS["dataset"] == name]


@pytest.mark.parametrize("name", DATASETS)
def test_support_masses_and_likelihood_match_npsurv(name: str) -> None:
    fit = fit_for(name)
    ref = NPMLE[NPMLE["dataset"] == name]
    assert fit.converged

    # the innermost intervals that carry mass are npsurv's, endpoint for endpoint
    carries = fit.mass > MASS_EPS
    np.testing.assert_array_equal(fit.left[carries], ref["left"].to_numpy(dtype=float))
    np.testing.assert_array_equal(fit.right[carries], ref["right"].to_numpy(dtype=float))
    np.testing.assert_allclose(fit.mass[carries], ref["mass"], rtol=0, atol=TOL)
    # the others (innermost intervals npsurv leaves empty) hold no mass
    assert np.all(fit.mass[~carries] <= MASS_EPS)

    assert fit.log_likelihood == pytest.approx(ref["loglik"].iloc[0], rel=0, abs=TOL)


@pytest.mark.parametrize("name", DATASETS)
def test_survival_matches_r_at_identified_landmarks(name: str) -> None:
    ref = landmarks(name)
    known = ref[ref["identified"]]
    surv = fit_for(name).survival(known["months"].to_numpy(dtype=float))
    np.testing.assert_allclose(surv, known["surv"], rtol=0, atol=TOL)


@pytest.mark.parametrize("name", DATASETS)
def test_survival_bounds_match_r_at_every_landmark(name: str) -> None:
    ref = landmarks(name)
    lower, upper = fit_for(name).survival_bounds(ref["months"].to_numpy(dtype=float))
    np.testing.assert_allclose(lower, ref["surv_low"], rtol=0, atol=TOL)
    np.testing.assert_allclose(upper, ref["surv_high"], rtol=0, atol=TOL)


@pytest.mark.parametrize("name", DATASETS)
def test_reference_files_are_as_written(name: str) -> None:
    """Sizes and the count of identified landmarks, so that a changed file is noticed."""
    n, rows, identified, total = EXPECTED[name]
    data = INPUTS[INPUTS["dataset"] == name]
    assert len(data) == rows
    assert data["weight"].sum() == n
    ref = landmarks(name)
    assert len(ref) == total
    assert int(ref["identified"].sum()) == identified
    # landmarks every half month from 1 to the largest finite endpoint
    finite = np.concatenate([data["left"], data["right"][np.isfinite(data["right"])]])
    np.testing.assert_array_equal(ref["months"], np.arange(1.0, finite.max() + 0.25, 0.5))
    # surv (and survfit's value) exactly where identified; the envelope collapses there
    assert ref["surv"].notna().equals(ref["identified"])
    assert ref["surv_survfit"].notna().equals(ref["identified"])
    known = ref[ref["identified"]]
    np.testing.assert_allclose(known["surv_low"], known["surv_high"], rtol=0, atol=TOL)
    np.testing.assert_allclose(known["surv_survfit"], known["surv"], rtol=0, atol=1e-8)


def test_reference_files_cover_the_classic_data_sets() -> None:
    for frame in (INPUTS, NPMLE, LANDMARKS):
        assert set(frame["dataset"]) == set(EXPECTED)


@pytest.mark.parametrize("name", DATASETS)
def test_reported_relief_probabilities_are_the_npmle_where_it_is_identified(name: str) -> None:
    """What the tables and JSON report (fit_npmle's relief_at), landmark by landmark.

    Where the NPMLE is unique the reported value is R's to 1e-9; elsewhere the
    reported bounds are R's range and the value shown lies within it.
    """
    from outcomes.survival import fit_npmle

    data = INPUTS[INPUTS["dataset"] == name]
    count = data["weight"].to_numpy(dtype=np.intp)  # whole people
    lower = np.repeat(data["left"].to_numpy(dtype=float), count)
    upper = np.repeat(data["right"].to_numpy(dtype=float), count)
    ref = landmarks(name)
    marks = tuple(ref["months"].to_numpy(dtype=float))
    # the data are in months (or years), not days / 30.4375: landmarks as given
    curve = fit_npmle(lower, upper, landmarks_months=marks, n_boot=0, whole_day=False)
    got = curve.relief_at.set_index("months").loc[list(marks)]
    inside = got["estimate"].notna().to_numpy()  # within follow-up
    ident = ref["identified"].to_numpy(dtype=bool) & inside
    np.testing.assert_array_equal(got["identified"].to_numpy()[inside], ident[inside])
    np.testing.assert_allclose(
        got["estimate"].to_numpy()[ident], ref["surv"].to_numpy()[ident], atol=TOL, rtol=0
    )
    np.testing.assert_allclose(
        got["bound_low"].to_numpy()[inside], ref["surv_low"].to_numpy()[inside], atol=TOL, rtol=0
    )
    np.testing.assert_allclose(
        got["bound_high"].to_numpy()[inside], ref["surv_high"].to_numpy()[inside], atol=TOL, rtol=0
    )
    shown = got["estimate"].to_numpy()[inside]
    assert np.all(ref["surv_low"].to_numpy()[inside] - TOL <= shown)
    assert np.all(shown <= ref["surv_high"].to_numpy()[inside] + TOL)
    assert ident.sum() >= 0.6 * inside.sum()
