"""Binomial proportions: Wilson and exact (Clopper-Pearson) intervals, exact test."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["binomial_test", "clopper_pearson", "wilson"]


def wilson(
    k: npt.ArrayLike, n: npt.ArrayLike, conf_level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for k successes in n trials (vectorised).

    Equals R's ``prop.test(k, n, correct = FALSE)$conf.int``. NaN where n = 0.
    """
    from scipy import stats  # imported here: scipy.stats is slow to import

    k_ = np.asarray(k, dtype=float)
    n_ = np.asarray(n, dtype=float)
    z = stats.norm.ppf(0.5 + conf_level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k_ / n_
        denom = 1 + z**2 / n_
        centre = (p + z**2 / (2 * n_)) / denom
        half = z * np.sqrt(p * (1 - p) / n_ + z**2 / (4 * n_**2)) / denom
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def clopper_pearson(
    k: npt.ArrayLike, n: npt.ArrayLike, conf_level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Clopper-Pearson) interval, equal to R's ``binom.test(k, n)$conf.int``."""
    from scipy import stats  # imported here: scipy.stats is slow to import

    k_ = np.asarray(k, dtype=float)
    n_ = np.asarray(n, dtype=float)
    a = (1 - conf_level) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.where(k_ > 0, stats.beta.ppf(a, k_, n_ - k_ + 1), 0.0)
        hi = np.where(k_ < n_, stats.beta.ppf(1 - a, k_ + 1, n_ - k_), 1.0)
    bad = ~(n_ > 0)
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def binomial_test(k: int, n: int, p: float) -> float:
    """Two-sided exact binomial test of k in n against p; R's ``binom.test`` p-value."""
    from scipy import stats  # imported here: scipy.stats is slow to import

    return float(stats.binomtest(int(k), int(n), p).pvalue)
