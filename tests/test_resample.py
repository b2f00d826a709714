"""Tests of resampling the Turnbull NPMLE (outcomes._resample): bootstrap and jackknife."""

from __future__ import annotations

import numpy as np
import pytest

from _intervals import clinic_like, endpoints, random_intervals
from outcomes._npmle import turnbull
from outcomes._resample import turnbull_bootstrap, turnbull_jackknife, turnbull_replicates
from outcomes.errors import InputError


def test_bootstrap_is_reproducible_and_valid() -> None:
    left, right = clinic_like(np.random.default_rng(11), 400)
    first = turnbull_bootstrap(left, right, n_boot=40, seed=5)
    again = turnbull_bootstrap(left, right, n_boot=40, seed=5)
    other = turnbull_bootstrap(left, right, n_boot=40, seed=6)
    np.testing.assert_array_equal(first.masses, again.masses)
    assert not np.allclose(first.masses, other.masses)

    assert first.masses.shape == (40, first.point.mass.size)
    assert first.n_boot == 40 and first.seed == 5
    assert first.converged.all()
    assert np.all(first.masses >= 0)
    np.testing.assert_allclose(first.masses.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(first.left, turnbull(left, right).left)

    times = np.linspace(0, 25, 101)
    curves = first.survival(times)
    assert curves.shape == (40, times.size)
    assert np.all(np.diff(curves, axis=1) <= 1e-12)
    # the replicates scatter around the point estimate
    point = first.point.survival(times)
    assert np.abs(np.median(curves, axis=0) - point).max() < 0.1
    assert curves.std(axis=0).max() > 0


def test_replicate_with_unit_weights_is_the_point_fit() -> None:
    left, right = clinic_like(np.random.default_rng(12), 300)
    point = turnbull(left, right)
    reps = turnbull_replicates(left, right, np.ones((2, left.size)), tol=1e-10, kkt_tol=1e-9)
    times = endpoints(left, right)
    for row in reps.survival(times):
        np.testing.assert_allclose(row, point.survival(times), rtol=0, atol=1e-7)
    np.testing.assert_allclose(reps.masses, np.tile(point.mass, (2, 1)), rtol=0, atol=1e-6)


def test_replicate_equals_a_direct_fit_of_the_resample() -> None:
    """Turnbull's lemma: the full-sample support serves every resample."""
    rng = np.random.default_rng(13)
    left, right = random_intervals(rng, 50)
    counts = rng.multinomial(50, np.full(50, 1 / 50), size=3).astype(float)
    reps = turnbull_replicates(left, right, counts, tol=1e-10, kkt_tol=1e-9)
    assert reps.converged.all()
    for k, c in enumerate(counts):
        keep = c > 0
        direct = turnbull(left[keep], right[keep], c[keep])
        # compare where the resample identifies the curve: its own endpoints
        times = endpoints(left[keep], right[keep])
        np.testing.assert_allclose(
            reps.survival(times)[k], direct.survival(times), rtol=0, atol=1e-6
        )


def test_bootstrap_frequency_weights_equal_expanded_rows() -> None:
    rng = np.random.default_rng(14)
    left, right = random_intervals(rng, 80)
    pairs, counts = np.unique(np.column_stack([left, right]), axis=0, return_counts=True)
    expanded = turnbull_bootstrap(left, right, n_boot=20, seed=3)
    weighted = turnbull_bootstrap(pairs[:, 0], pairs[:, 1], counts, n_boot=20, seed=3)
    np.testing.assert_allclose(expanded.masses, weighted.masses, rtol=0, atol=1e-9)
    with pytest.raises(InputError, match="whole numbers"):
        turnbull_bootstrap(left, right, np.full(80, 0.5), n_boot=2)


# --------------------------------------------------------------------------------------
# Patients as the unit of resampling
# --------------------------------------------------------------------------------------


def test_one_procedure_per_patient_resamples_as_procedures() -> None:
    """With singleton clusters the patient bootstrap draws exactly the procedure bootstrap."""
    left, right = clinic_like(np.random.default_rng(21), 300)
    plain = turnbull_bootstrap(left, right, n_boot=30, seed=4)
    patients = turnbull_bootstrap(left, right, cluster=np.arange(300)[::-1], n_boot=30, seed=4)
    np.testing.assert_array_equal(plain.masses, patients.masses)


def test_a_second_identical_knee_does_not_narrow_the_bootstrap() -> None:
    """Both knees of a patient are drawn together: the spread is that of one knee each."""
    left, right = clinic_like(np.random.default_rng(22), 300)
    times = endpoints(left, right)
    times = times[(times > 1) & (times < 18)]
    single = turnbull_bootstrap(left, right, n_boot=300, seed=9).survival(times).std(axis=0)
    both = dict(left=np.r_[left, left], right=np.r_[right, right], n_boot=300, seed=10)
    patients = np.r_[np.arange(300), np.arange(300)]
    clustered = turnbull_bootstrap(**both, cluster=patients).survival(times).std(axis=0)
    naive = turnbull_bootstrap(**both).survival(times).std(axis=0)
    # 300 resamples: the Monte Carlo error of a standard deviation is about 4%
    assert 0.9 < np.mean(clustered / single) < 1.1
    assert 0.62 < np.mean(naive / single) < 0.8  # as if twice the patients: 1/sqrt(2)


def test_a_patient_replicate_is_the_fit_of_the_patients_drawn() -> None:
    """Each replicate equals a direct fit of G patients drawn with replacement, all rows each."""
    rng = np.random.default_rng(23)
    left, right = random_intervals(rng, 60)
    patient = np.repeat(np.arange(25), rng.multinomial(60 - 25, np.full(25, 1 / 25)) + 1)
    boot = turnbull_bootstrap(left, right, cluster=patient, n_boot=6, seed=2, tol=1e-10)
    # the same draws, made by hand: 25 patients picked uniformly, per replicate
    picks = np.random.default_rng(2).integers(0, 25, size=(6, 25), dtype=np.int32)
    for k in range(boot.n_boot):
        w = np.bincount(picks[k], minlength=25)[patient].astype(float)
        keep = w > 0
        direct = turnbull(left[keep], right[keep], w[keep])
        times = endpoints(left[keep], right[keep])
        np.testing.assert_allclose(
            boot.survival(times)[k], direct.survival(times), rtol=0, atol=1e-6
        )


def test_jackknife_deletes_patients_with_all_their_procedures() -> None:
    left, right = clinic_like(np.random.default_rng(24), 200)
    single = turnbull_jackknife(left, right, cluster=np.arange(200), groups=20, seed=3)
    both = turnbull_jackknife(
        np.r_[left, left],
        np.r_[right, right],
        cluster=np.r_[np.arange(200), np.arange(200)],
        groups=20,
        seed=3,
    )
    np.testing.assert_allclose(both.masses, single.masses, rtol=0, atol=1e-6)
    with pytest.raises(InputError, match="2 observations"):
        turnbull_jackknife(left[:3], right[:3], cluster=np.zeros(3))
    with pytest.raises(InputError, match="cluster must have shape"):
        turnbull_bootstrap(left, right, cluster=np.zeros(3), n_boot=2)
