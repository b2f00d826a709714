"""Binomial intervals and the exact test against R (tests/r/binomial_reference.R)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from outcomes._binomial import binomial_test, clopper_pearson, wilson

R = pd.read_csv(
    Path(__file__).parent / "data" / "r_reference" / "binomial.csv", skipinitialspace=True
)


def test_wilson_matches_r_prop_test() -> None:
    lo, hi = wilson(R["k"], R["n"])
    np.testing.assert_allclose(lo, R["wilson_lower"], atol=1e-12)
    np.testing.assert_allclose(hi, R["wilson_upper"], atol=1e-12)


def test_clopper_pearson_matches_r_binom_test() -> None:
    lo, hi = clopper_pearson(R["k"], R["n"])
    np.testing.assert_allclose(lo, R["exact_lower"], atol=1e-10)
    np.testing.assert_allclose(hi, R["exact_upper"], atol=1e-10)


@pytest.mark.parametrize("i", range(len(R)))
def test_exact_test_matches_r(i: int) -> None:
    row = R.iloc[i]
    assert binomial_test(row["k"], row["n"], 0.58) == pytest.approx(row["p_vs_058"], rel=1e-9)


def test_no_trials_gives_nan_not_a_warning() -> None:
    lo, hi = wilson([0], [0])
    assert np.isnan(lo[0]) and np.isnan(hi[0])
    lo, hi = clopper_pearson([0], [0])
    assert np.isnan(lo[0]) and np.isnan(hi[0])
