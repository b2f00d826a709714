"""Interval-censored test data, written from the definitions (shared by the NPMLE tests)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

DAYS_PER_MONTH = 30.4375

FloatArray = npt.NDArray[np.float64]


def random_intervals(rng: np.random.Generator, n: int) -> tuple[FloatArray, FloatArray]:
    """Intervals on a coarse grid (many ties), some exact and some right-censored."""
    left = rng.integers(0, 8, n).astype(np.float64) / 2
    width = rng.integers(0, 6, n).astype(np.float64) / 2
    right = left + width
    right[rng.random(n) < 0.2] = np.inf
    return left, right


def clinic_like(rng: np.random.Generator, n: int) -> tuple[FloatArray, FloatArray]:
    """Visits at 0.5-24 months moved by up to a week, whole days, missed visits, drop-out."""
    months = np.array([0.5, 1, 3, 6, 12, 18, 24])
    visit = np.rint(months * DAYS_PER_MONTH + rng.uniform(-7, 7, (n, months.size)))
    visit /= DAYS_PER_MONTH
    seen = rng.random((n, months.size)) > 0.15
    seen &= np.arange(months.size) < rng.integers(2, months.size + 1, n)[:, None]
    event = rng.weibull(1.2, n) * 8.0
    left = np.where(seen & (visit < event[:, None]), visit, 0.0).max(axis=1)
    right = np.where(seen & (visit >= event[:, None]), visit, np.inf).min(axis=1)
    return left, right


def endpoints(left: FloatArray, right: FloatArray) -> FloatArray:
    both = np.concatenate([left, right])
    return np.unique(both[np.isfinite(both)])
