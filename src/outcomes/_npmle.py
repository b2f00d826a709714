"""Turnbull's nonparametric maximum likelihood estimator for interval-censored times.

Each observation is a half-open interval ``(left, right]`` of time since the
procedure, in months (days / 30.4375; any consistent unit works, nothing here
depends on it). The event is known to have happened after ``left`` and at or
before ``right``:

* ``left < right < inf``: interval-censored, the event happened in ``(left, right]``;
* ``right == inf``: right-censored at ``left`` (event after ``left``);
* ``left == right``: an exact event time, the event happened at ``left``.

These are the semantics of R's ``survival::survfit(Surv(left, right, type =
"interval2") ~ 1)``. (lifelines' ``fit_interval_censoring`` treats intervals as
closed ``[left, right]`` and gives a different curve when endpoints tie.)

The estimator puts all its probability on the *innermost intervals*
``(q_j, p_j]``: the sets formed where, in the ordered list of all endpoints, a
left endpoint is immediately followed by a right endpoint. Where two endpoints
share a value the order is: left end of an exact observation, then right ends,
then left ends, which is what ``(l, r]`` membership implies. An exact
observation at ``t`` gives the degenerate innermost interval ``q = p = t``, a
point mass. Each observation covers a contiguous run ``a_i..b_i`` of innermost
intervals, so the likelihood and the EM (self-consistency) update cost
O(n + m) per iteration through cumulative sums, for ``n`` distinct intervals
and ``m`` innermost intervals.

The maximiser is found by the EM-ICM hybrid of Wellner & Zhan (1997): every
iteration is an EM step followed by an iterative-convex-minorant step (a
projected Newton step on the distribution function with a diagonal Hessian,
solved by weighted isotonic regression; Jongbloed 1998). ICM sets masses to 0
exactly, and revives them, where plain EM only drains them slowly; together
they typically converge in 10 to 40 iterations. Convergence is declared when
no mass moves by more than ``tol`` and the optimality (KKT) conditions hold:
with ``d_j = sum_i w_i 1[j in i] / P_i`` and ``N = sum_i w_i``, ``d_j / N <= 1
+ kkt_tol`` for every innermost interval (``d_j = N`` wherever the mass is
positive follows, see :attr:`TurnbullFit.gradient_gap`).

The survival function ``S(t) = P(T > t)`` is identified only outside the
innermost intervals with positive mass: how the mass of ``(q_j, p_j]`` is
spread inside it is not determined by the data. :meth:`TurnbullFit.survival`
uses the convention of spreading it uniformly (``S`` linear across the
interval), and keeps ``S`` flat after ``q_j`` when ``p_j`` is infinite (the
mass of a final ``(q_j, inf]`` interval is never shown as a drop).
:meth:`TurnbullFit.survival_bounds` gives the envelope of every curve that is
consistent with the estimate. At every finite endpoint of the data all of them
agree, which is where comparisons with other software (R draws the drop at the
midpoint of each innermost interval) are meaningful.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy.optimize import isotonic_regression

from outcomes.errors import InputError

__all__ = [
    "BootstrapFit",
    "TurnbullFit",
    "turnbull",
    "turnbull_bootstrap",
    "turnbull_jackknife",
    "turnbull_replicates",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

#: Default bound on ``max_j d_j / N - 1`` (see :attr:`TurnbullFit.gradient_gap`).
KKT_TOL: Final = 1e-7
#: Upper bound on the elements of one (distinct intervals x replicates) working array.
_CHUNK_ELEMENTS: Final = 4_000_000


# --------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------


def _frozen_float(a: npt.ArrayLike) -> FloatArray:
    out = np.array(a, dtype=np.float64)
    out.setflags(write=False)
    return out


def _frozen_int(a: npt.ArrayLike) -> IntArray:
    out = np.array(a, dtype=np.intp)
    out.setflags(write=False)
    return out


def _frozen_bool(a: npt.ArrayLike) -> BoolArray:
    out = np.array(a, dtype=np.bool_)
    out.setflags(write=False)
    return out


def _as_times(t: npt.ArrayLike) -> FloatArray:
    times = np.asarray(t, dtype=np.float64)
    if not np.all(np.isfinite(times)):
        raise InputError("times must be finite")
    return times


def _tail_sums(masses: FloatArray) -> FloatArray:
    """Tail sums ``tail[:, k] = sum_{j >= k} masses[:, j]``, shape (r, m + 1).

    Scaled so that ``tail[:, 0]`` is exactly 1.
    """
    tail = np.zeros((masses.shape[0], masses.shape[1] + 1))
    np.cumsum(masses[:, ::-1], axis=1, out=tail[:, -2::-1])
    tail /= tail[:, :1]
    return tail


def _survival_at(q: FloatArray, p: FloatArray, masses: FloatArray, t: FloatArray) -> FloatArray:
    """``P(T > t)`` with mass spread uniformly over each finite ``(q_j, p_j]``.

    Parameters
    ----------
    q, p : ndarray, shape (m,)
        Sorted, disjoint innermost intervals, in months.
    masses : ndarray, shape (r, m)
        One distribution per row.
    t : ndarray, shape (T,)
        Finite times, in months.

    Returns
    -------
    ndarray, shape (r, T)
        Summed from the right, so small survival probabilities keep their
        relative accuracy.
    """
    m = q.size
    tail = _tail_sums(masses)
    done = np.searchsorted(p, t, side="right")  # intervals with p_j <= t
    surv = tail[:, done]
    nxt = np.minimum(done, m - 1)
    inside = (done < m) & (q[nxt] < t) & np.isfinite(p[nxt])  # q_j < t < p_j < inf
    if np.any(inside):
        j = nxt[inside]
        frac = (t[inside] - q[j]) / (p[j] - q[j])
        surv[:, inside] -= masses[:, j] * frac
    out: FloatArray = np.clip(surv, 0.0, 1.0)
    return out


def _survival_envelope(
    q: FloatArray, p: FloatArray, masses: FloatArray, t: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Smallest and largest ``P(T > t)`` consistent with the masses, shape (r, T)."""
    m = q.size
    tail = _tail_sums(masses)
    early = np.searchsorted(q, t, side="left")  # mass just after q_j: gone once q_j < t
    nxt = np.minimum(early, m - 1)
    early = early + ((early < m) & (q[nxt] == p[nxt]) & (p[nxt] <= t))
    late = np.searchsorted(p, t, side="right")  # mass at p_j: gone once p_j <= t
    lower: FloatArray = np.clip(tail[:, early], 0.0, 1.0)
    upper: FloatArray = np.clip(tail[:, late], 0.0, 1.0)
    return lower, upper


@dataclass(frozen=True, eq=False)
class TurnbullFit:
    """The Turnbull NPMLE of the distribution of an interval-censored time.

    Attributes
    ----------
    left, right : ndarray of float, shape (m,)
        The innermost intervals ``(left_j, right_j]``, in months, sorted and
        disjoint. ``left_j == right_j`` is a point mass at an exact time;
        ``right_j == inf`` is the open-ended interval after the last finite
        endpoint.
    mass : ndarray of float, shape (m,)
        Probability of each innermost interval; non-negative, sums to 1.
        Intervals that the estimate leaves empty are kept, with mass 0.
    n : float
        Total weight (number of observations when unweighted).
    iterations : int
        EM-ICM iterations used.
    converged : bool
        Whether the largest change of a mass fell below ``tol`` and the
        optimality (KKT) check passed.
    log_likelihood : float
        ``sum_i w_i log P(left_i < T <= right_i)`` (``P(T = t)`` for exact times).
    gradient_gap : float
        ``max_j d_j / N - 1`` where ``d_j = sum_i w_i 1[j in i] / P_i`` is the
        derivative of the log-likelihood along mass ``j`` and ``N = n``. It is
        0 at the exact NPMLE (``d_j <= N`` everywhere, with equality where the
        mass is positive) and ``N * gradient_gap`` bounds how far the
        log-likelihood is below its maximum. Because ``sum_j mass_j d_j = N``
        always, ``gradient_gap <= eps`` also gives ``d_j / N >= 1 - eps /
        mass_j`` (equality up to ``eps`` weighted by mass).

    Notes
    -----
    Inside an innermost interval ``S`` is not identified. :meth:`survival`
    interpolates linearly (mass spread uniformly over ``(left_j, right_j]``) and
    keeps ``S`` flat after ``left_j`` when ``right_j`` is infinite;
    :meth:`survival_bounds` shows the range of ``S`` over all placements.
    """

    left: FloatArray
    right: FloatArray
    mass: FloatArray
    n: float
    iterations: int
    converged: bool
    log_likelihood: float
    gradient_gap: float

    def survival(self, t: npt.ArrayLike) -> FloatArray:
        """Estimated ``S(t) = P(T > t)``.

        Parameters
        ----------
        t : array_like of float
            Finite times, in months.

        Returns
        -------
        ndarray of float
            Same shape as ``t``; values in [0, 1], non-increasing in ``t``.
            Exact at every finite endpoint of the data; inside an innermost
            interval, linear interpolation (see the class notes).
        """
        times = _as_times(t)
        surv = _survival_at(self.left, self.right, self.mass[None, :], times.ravel())
        return surv[0].reshape(times.shape)

    def survival_bounds(self, t: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Lower and upper envelope of ``S(t)`` over where the mass may lie.

        The lower envelope puts each innermost interval's mass just after its
        left end, the upper one at its right end (never, for an open-ended
        interval). Where the two agree, ``S(t)`` is identified.

        Parameters
        ----------
        t : array_like of float
            Finite times, in months.

        Returns
        -------
        lower, upper : ndarray of float
            Same shape as ``t``; ``lower <= survival(t) <= upper``.
        """
        times = _as_times(t)
        lower, upper = _survival_envelope(self.left, self.right, self.mass[None, :], times.ravel())
        return lower[0].reshape(times.shape), upper[0].reshape(times.shape)


@dataclass(frozen=True, eq=False)
class BootstrapFit:
    """Turnbull NPMLEs of resampled (or reweighted) data on a common support.

    Attributes
    ----------
    left, right : ndarray of float, shape (m,)
        The full sample's innermost intervals, in months (as in ``point``).
    masses : ndarray of float, shape (B, m)
        One NPMLE per row; each row is non-negative and sums to 1.
    point : TurnbullFit
        The fit to the full sample.
    iterations : ndarray of int, shape (B,)
        EM-ICM iterations used by each replicate.
    converged : ndarray of bool, shape (B,)
    seed : int or None
        Seed of :func:`numpy.random.default_rng` that drew the resamples
        (None when the replicate weights were given).

    Notes
    -----
    A replicate's own innermost intervals are unions of the full sample's, so
    its NPMLE is found on the full-sample support (Turnbull's lemma). How a
    replicate splits mass between full-sample intervals that no resampled
    observation separates is not identified; the EM start (the full-sample
    estimate blended with each replicate's own data) decides it. Draw
    confidence bands at the data's endpoints, where this does not matter.
    """

    left: FloatArray
    right: FloatArray
    masses: FloatArray
    point: TurnbullFit
    iterations: IntArray
    converged: BoolArray
    seed: int | None

    @property
    def n_boot(self) -> int:
        """Number of replicates ``B``."""
        return int(self.masses.shape[0])

    def survival(self, t: npt.ArrayLike) -> FloatArray:
        """``S(t)`` of every replicate.

        Parameters
        ----------
        t : array_like of float, shape (T,)
            Finite times, in months.

        Returns
        -------
        ndarray of float, shape (B, T)
            Same interpolation convention as :meth:`TurnbullFit.survival`.
        """
        times = np.atleast_1d(_as_times(t))
        if times.ndim != 1:
            raise InputError("times must be one-dimensional")
        return _survival_at(self.left, self.right, self.masses, times)


# --------------------------------------------------------------------------------------
# Data preparation: collapse, innermost intervals, index ranges
# --------------------------------------------------------------------------------------


def _validate(
    left: npt.ArrayLike, right: npt.ArrayLike, weights: npt.ArrayLike | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    lo = np.asarray(left, dtype=np.float64)
    hi = np.asarray(right, dtype=np.float64)
    if lo.ndim != 1 or hi.ndim != 1 or lo.shape != hi.shape:
        raise InputError(
            f"left and right must be 1-D of equal length, got shapes {lo.shape} and {hi.shape}"
        )
    if lo.size == 0:
        raise InputError("no observations")
    if np.isnan(lo).any() or np.isnan(hi).any():
        raise InputError("left and right must not contain NaN")
    if not np.isfinite(lo).all():
        raise InputError("left must be finite (use right = inf for right-censoring)")
    if (lo < 0).any():
        raise InputError("left must be >= 0 (time since the procedure)")
    if (hi < lo).any():
        bad = int(np.flatnonzero(hi < lo)[0])
        raise InputError(f"right < left at position {bad}: ({lo[bad]}, {hi[bad]}]")
    if weights is None:
        w = np.ones(lo.size)
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != lo.shape:
            raise InputError(f"weights must have shape {lo.shape}, got {w.shape}")
        if not np.isfinite(w).all() or (w < 0).any():
            raise InputError("weights must be finite and >= 0")
        if not w.sum() > 0:
            raise InputError("weights sum to zero")
    return lo, hi, w


@dataclass(frozen=True, eq=False)
class _Problem:
    """Distinct observed intervals mapped onto the innermost intervals."""

    q: FloatArray  # innermost intervals (q_j, p_j], shape (m,)
    p: FloatArray
    weight: FloatArray  # summed weight of each distinct interval, shape (n,)
    row_group: IntArray  # distinct interval of each input row
    a: IntArray  # first innermost interval inside distinct interval i (non-decreasing)
    b1: IntArray  # one past the last one
    a_starts: IntArray  # np.add.reduceat segments of a
    a_values: IntArray
    b_order: IntArray  # ordering of b1 for the same trick
    b_starts: IntArray
    b_values: IntArray

    @property
    def m(self) -> int:
        return int(self.q.size)


def _segments(sorted_keys: IntArray) -> tuple[IntArray, IntArray]:
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    return starts, sorted_keys[starts]


def _prepare(lo: FloatArray, hi: FloatArray, w: FloatArray) -> _Problem:
    """Collapse identical intervals and locate each on the innermost intervals."""
    n_rows = lo.size
    values, codes = np.unique(np.concatenate([lo, hi]), return_inverse=True)
    codes = codes.astype(np.int64)
    k = np.int64(values.size)
    pairs, row_group = np.unique(codes[:n_rows] * k + codes[n_rows:], return_inverse=True)
    weight = np.asarray(np.bincount(row_group, weights=w, minlength=pairs.size), dtype=np.float64)
    rank_l, rank_r = pairs // k, pairs % k
    # Endpoint keys: at one value, the left end of an exact observation sorts
    # first (key 3v), then right ends (3v + 1), then ordinary left ends (3v + 2).
    key_l = 3 * rank_l + np.where(rank_l == rank_r, 0, 2)
    key_r = 3 * rank_r + 1
    keys = np.unique(np.concatenate([key_l, key_r]))
    is_left = keys % 3 != 1
    at = np.flatnonzero(is_left[:-1] & ~is_left[1:])  # a left end followed by a right end
    inner_l, inner_r = keys[at], keys[at + 1]
    q = values[inner_l // 3]
    p = values[inner_r // 3]
    a = np.searchsorted(inner_l, key_l, side="left").astype(np.intp)
    b1 = np.searchsorted(inner_r, key_r, side="right").astype(np.intp)
    if not (a < b1).all():  # pragma: no cover - guaranteed by construction
        raise AssertionError("an observation covers no innermost interval")
    # pairs are sorted by (left, right), and key_l is non-decreasing in that order
    a_starts, a_values = _segments(a)
    b_order = np.argsort(b1, kind="stable").astype(np.intp)
    b_starts, b_values = _segments(b1[b_order])
    return _Problem(
        q=q,
        p=p,
        weight=weight,
        row_group=row_group.astype(np.intp),
        a=a,
        b1=b1,
        a_starts=a_starts,
        a_values=a_values,
        b_order=b_order,
        b_starts=b_starts,
        b_values=b_values,
    )


# --------------------------------------------------------------------------------------
# Likelihood, EM and ICM steps, for k fits at once (one per column)
# --------------------------------------------------------------------------------------


def _interval_probs(prob: _Problem, s: FloatArray) -> FloatArray:
    """``P_i = C[b_i + 1] - C[a_i]`` (``C`` the cumulative masses), shape (n, k)."""
    cum = np.zeros((prob.m + 1, s.shape[1]))
    np.cumsum(s, axis=0, out=cum[1:])
    out: FloatArray = cum[prob.b1] - cum[prob.a]
    return out


def _endpoint_sums(prob: _Problem, x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Sums of ``x`` (shape (n, k)) grouped by ``a_i`` and by ``b_i + 1``, each (m + 1, k)."""
    by_a = np.zeros((prob.m + 1, x.shape[1]))
    by_a[prob.a_values] = np.add.reduceat(x, prob.a_starts, axis=0)
    by_b1 = np.zeros((prob.m + 1, x.shape[1]))
    by_b1[prob.b_values] = np.add.reduceat(x[prob.b_order], prob.b_starts, axis=0)
    return by_a, by_b1


def _coverage_sums(prob: _Problem, x: FloatArray) -> FloatArray:
    """``sum_i x_i 1[a_i <= j <= b_i]`` for every innermost interval, shape (m, k).

    A difference array (``+x_i`` at ``a_i``, ``-x_i`` at ``b_i + 1``) and its
    cumulative sum: O(n + m).
    """
    by_a, by_b1 = _endpoint_sums(prob, x)
    out: FloatArray = np.cumsum((by_a - by_b1)[:-1], axis=0)
    return out


def _likelihood(prob: _Problem, s: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Log-likelihood and ``w_i / P_i`` for each column.

    Returns
    -------
    loglik : ndarray, shape (k,)
        ``sum_i w_i log P_i``; ``-inf`` where an interval with weight has ``P_i = 0``.
    ratio : ndarray, shape (n, k)
        ``w_i / P_i`` (0 where ``w_i = 0``).
    """
    probs = _interval_probs(prob, s)
    seen = w > 0
    ok = probs > 0
    usable = seen & ok
    ratio = np.divide(w, probs, out=np.zeros_like(probs), where=usable)
    logs = np.log(probs, out=np.zeros_like(probs), where=usable)
    loglik = np.einsum("ik,ik->k", w, logs)
    loglik[np.any(seen & ~ok, axis=0)] = -np.inf
    return loglik, ratio


def _loglik(prob: _Problem, s: FloatArray, w: FloatArray) -> FloatArray:
    """Only the log-likelihood of :func:`_likelihood` (the step-halving test needs no ratio)."""
    probs = _interval_probs(prob, s)
    bad = (w > 0) & ~(probs > 0)
    with np.errstate(divide="ignore"):
        logs = np.log(np.where(bad | (w == 0), 1.0, probs))
    loglik: FloatArray = np.einsum("ik,ik->k", w, logs)
    loglik[bad.any(axis=0)] = -np.inf
    return loglik


def _gradient(
    prob: _Problem, s: FloatArray, w: FloatArray, total: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Log-likelihood (k,) and reduced gradient ``d_j / N`` (m, k) at ``s``."""
    loglik, ratio = _likelihood(prob, s, w)
    grad: FloatArray = _coverage_sums(prob, ratio) / total
    return loglik, grad


def _em_step(s: FloatArray, grad: FloatArray) -> FloatArray:
    """The EM (self-consistency) update ``s_j d_j / N``, renormalised against rounding."""
    new = s * grad
    out: FloatArray = new / new.sum(axis=0)
    return out


def _initial_masses(prob: _Problem, w: FloatArray) -> FloatArray:
    """Each interval's weight spread evenly over the innermost intervals it covers."""
    width = (prob.b1 - prob.a).astype(np.float64)
    s = _coverage_sums(prob, w / width[:, None])
    out: FloatArray = s / s.sum(axis=0)
    return out


def _icm_step(prob: _Problem, s: FloatArray, w: FloatArray) -> FloatArray:
    """One iterative-convex-minorant step for each column (Jongbloed 1998).

    In terms of the distribution function at the innermost intervals,
    ``F[k] = s_0 + ... + s_{k-1}`` (``F[0] = 0``, ``F[m] = 1``), each interval
    probability is a difference of two values, ``P_i = F[b_i + 1] - F[a_i]``.
    The step maximises the log-likelihood's second-order model with the
    Hessian replaced by its diagonal over non-decreasing ``F`` in [0, 1] (a
    weighted isotonic regression, clipped to [0, 1]) and then halves the step
    until the log-likelihood rises enough (Armijo rule). Masses can become 0,
    by pooling, and can leave 0 again, which EM cannot do.
    """
    m, n_cols = s.shape
    cdf = np.zeros((m + 1, n_cols))
    np.cumsum(s, axis=0, out=cdf[1:])
    cdf /= cdf[-1]
    probs = cdf[prob.b1] - cdf[prob.a]
    usable = (w > 0) & (probs > 0)
    ratio = np.divide(w, probs, out=np.zeros_like(probs), where=usable)
    curvature = np.divide(ratio, probs, out=np.zeros_like(probs), where=usable)
    ratio_a, ratio_b1 = _endpoint_sums(prob, ratio)
    grad = ratio_b1 - ratio_a  # d loglik / d F[k]
    curv_a, curv_b1 = _endpoint_sums(prob, curvature)
    weight = (curv_a + curv_b1)[1:m]  # minus the Hessian's diagonal
    inner = cdf[1:m]
    has = weight > 0
    target = inner + np.divide(grad[1:m], weight, out=np.zeros_like(inner), where=has)
    # F[k] that no interval of this replicate starts or ends at does not matter
    floor = 1e-12 * np.maximum(weight.max(axis=0, initial=0.0), np.finfo(np.float64).tiny)
    weight = np.where(has, weight, floor)
    proposal = np.empty_like(inner)
    for col in range(n_cols):  # SciPy's isotonic regression takes one vector at a time
        proposal[:, col] = isotonic_regression(target[:, col], weights=weight[:, col]).x
    np.clip(proposal, 0.0, 1.0, out=proposal)
    direction = np.zeros_like(cdf)
    direction[1:m] = proposal - inner
    slope = np.einsum("jk,jk->k", grad, direction)
    loglik = _loglik(prob, s, w)
    step = np.ones(n_cols)
    accepted = slope <= 0  # no ascent along the proposal: keep s
    out = s.copy()
    for _halving in range(40):
        idx = np.flatnonzero(~accepted)  # only the columns still halving their step
        if not idx.size:
            break
        trial = np.maximum(np.diff(cdf[:, idx] + step[idx] * direction[:, idx], axis=0), 0.0)
        trial /= trial.sum(axis=0)
        trial_loglik = _loglik(prob, trial, w[:, idx])
        ok = trial_loglik >= loglik[idx] + 1e-4 * step[idx] * slope[idx]
        out[:, idx[ok]] = trial[:, ok]
        accepted[idx[ok]] = True
        step[idx[~ok]] /= 2.0
    return out


@dataclass
class _Solution:
    mass: FloatArray  # (m, k)
    iterations: IntArray  # (k,)
    converged: BoolArray
    loglik: FloatArray
    gap: FloatArray


def _fit_columns(
    prob: _Problem, w: FloatArray, start: FloatArray, *, tol: float, kkt_tol: float, max_iter: int
) -> _Solution:
    """Maximise the likelihood of each column of ``w`` (shape (n, k)) on ``prob``'s support.

    The EM-ICM hybrid of Wellner & Zhan (1997): each iteration is an EM step
    followed by an ICM step (:func:`_icm_step`). EM moves mass between
    distant intervals; ICM settles neighbouring ones and sets masses to 0
    where EM would only drain them slowly. Neither step lowers the
    log-likelihood. A column stops at masses ``s`` when the previous
    iteration moved no mass by more than ``tol`` and the reduced gradient at
    ``s`` satisfies ``max_j d_j / N <= 1 + kkt_tol``; the log-likelihood and
    gradient gap returned are those at ``s``.
    """
    n_cols = w.shape[1]
    total = w.sum(axis=0)
    sol = _Solution(
        mass=start.copy(),
        iterations=np.zeros(n_cols, dtype=np.intp),
        converged=np.zeros(n_cols, dtype=np.bool_),
        loglik=np.full(n_cols, -np.inf),
        gap=np.full(n_cols, np.inf),
    )
    if prob.m == 1:
        sol.mass[:] = 1.0
    change = np.full(n_cols, np.inf)
    active = np.arange(n_cols)
    while active.size:
        s, wa = sol.mass[:, active], w[:, active]
        loglik, grad = _gradient(prob, s, wa, total[active])
        gap = grad.max(axis=0) - 1.0
        sol.loglik[active], sol.gap[active] = loglik, gap
        finished = ((change[active] < tol) & (gap <= kkt_tol)) | (prob.m == 1)
        sol.converged[active[finished]] = True
        going = ~finished & (sol.iterations[active] < max_iter)
        active, s, wa, grad = active[going], s[:, going], wa[:, going], grad[:, going]
        if not active.size:
            break
        new = _icm_step(prob, _em_step(s, grad), wa)
        change[active] = np.abs(new - s).max(axis=0)
        sol.mass[:, active] = new
        sol.iterations[active] += 1
    return sol


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def _check_tolerances(tol: float, kkt_tol: float, max_iter: int) -> None:
    if not (tol > 0 and kkt_tol > 0):
        raise InputError("tol and kkt_tol must be positive")
    if max_iter < 1:
        raise InputError("max_iter must be at least 1")


def _point_fit(prob: _Problem, *, tol: float, kkt_tol: float, max_iter: int) -> TurnbullFit:
    w = prob.weight[:, None]
    sol = _fit_columns(
        prob, w, _initial_masses(prob, w), tol=tol, kkt_tol=kkt_tol, max_iter=max_iter
    )
    mass = sol.mass[:, 0]
    converged = bool(sol.converged[0])
    if not converged:
        warnings.warn(
            f"Turnbull NPMLE did not converge in {max_iter} EM-ICM iterations "
            f"(gradient gap {sol.gap[0]:.3g})",
            RuntimeWarning,
            stacklevel=3,
        )
    return TurnbullFit(
        left=_frozen_float(prob.q),
        right=_frozen_float(prob.p),
        mass=_frozen_float(mass),
        n=float(prob.weight.sum()),
        iterations=int(sol.iterations[0]),
        converged=converged,
        log_likelihood=float(sol.loglik[0]),
        gradient_gap=float(sol.gap[0]),
    )


def turnbull(
    left: npt.ArrayLike,
    right: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
    *,
    tol: float = 1e-9,
    kkt_tol: float = KKT_TOL,
    max_iter: int = 100_000,
) -> TurnbullFit:
    """Turnbull's NPMLE of the distribution of an interval-censored event time.

    Parameters
    ----------
    left, right : array_like of float, shape (n,)
        Each observation is ``(left, right]`` in months since the procedure:
        ``left >= 0`` finite, ``right >= left``; ``right = inf`` means
        right-censored at ``left``; ``left == right`` is an exact event time.
    weights : array_like of float, shape (n,), optional
        Non-negative case weights (e.g. counts of identical observations).
        Rows with weight 0 are ignored, also when finding the innermost
        intervals. Default: 1 each.
    tol : float
        Stop when no mass (a probability) changed by more than ``tol`` in the
        last iteration...
    kkt_tol : float
        ...and ``max_j d_j / N <= 1 + kkt_tol`` (see
        :attr:`TurnbullFit.gradient_gap`).
    max_iter : int
        Maximum number of EM-ICM iterations.

    Returns
    -------
    TurnbullFit

    Warns
    -----
    RuntimeWarning
        If the iterations did not converge within ``max_iter``.

    Notes
    -----
    Identical intervals are collapsed first (weights summed). The EM update is
    ``s_j <- s_j d_j / N`` with ``d_j = sum_i w_i 1[j in i] / P_i``; both the
    interval probabilities ``P_i = C[b_i + 1] - C[a_i]`` (``C`` the cumulative
    masses) and ``d`` (a difference array of ``w_i / P_i`` and its cumulative
    sum) cost O(n + m). Each EM step is followed by an ICM step
    (:func:`_fit_columns`), which settles masses that EM alone would only
    drain towards 0, sublinearly.

    Matches R ``survfit(Surv(left, right, type = "interval2") ~ 1)`` at the
    data's endpoints, once R's own EM (which stops when ``S`` changes by less
    than 5e-5 between iterations) is run to convergence.
    """
    _check_tolerances(tol, kkt_tol, max_iter)
    lo, hi, w = _validate(left, right, weights)
    keep = w > 0
    if not keep.all():
        lo, hi, w = lo[keep], hi[keep], w[keep]
    return _point_fit(_prepare(lo, hi, w), tol=tol, kkt_tol=kkt_tol, max_iter=max_iter)


def _replicate_fits(
    prob: _Problem,
    point: TurnbullFit,
    n_rep: int,
    weights_for: Callable[[int], FloatArray],
    *,
    tol: float,
    kkt_tol: float,
    max_iter: int,
    seed: int | None,
    blend: float = 0.5,
) -> BootstrapFit:
    """Fit ``n_rep`` weightings of ``prob``'s distinct intervals on its innermost intervals.

    ``weights_for(k)`` returns the next ``k`` weightings as an (n, k) array;
    it is called for consecutive chunks of replicates, sized to bound memory.
    EM starts from the full-sample masses blended (share ``blend``) with each
    replicate's own initial masses.
    """
    masses = np.empty((n_rep, prob.m))
    iterations = np.zeros(n_rep, dtype=np.intp)
    converged = np.ones(n_rep, dtype=np.bool_)
    chunk = max(1, _CHUNK_ELEMENTS // max(prob.weight.size, prob.m))
    for lo in range(0, n_rep, chunk):
        cols = slice(lo, min(lo + chunk, n_rep))
        wc = np.ascontiguousarray(weights_for(cols.stop - cols.start))
        start = np.repeat((1 - blend) * point.mass[:, None], wc.shape[1], axis=1)
        if blend > 0:
            start += blend * _initial_masses(prob, wc)
        sol = _fit_columns(prob, wc, start, tol=tol, kkt_tol=kkt_tol, max_iter=max_iter)
        masses[cols] = (sol.mass / sol.mass.sum(axis=0)).T
        iterations[cols] = sol.iterations
        converged[cols] = sol.converged
    if not converged.all():
        warnings.warn(
            f"{int((~converged).sum())} of {n_rep} replicate fits did not converge "
            f"in {max_iter} EM-ICM iterations",
            RuntimeWarning,
            stacklevel=3,
        )
    return BootstrapFit(
        left=point.left,
        right=point.right,
        masses=_frozen_float(masses),
        point=point,
        iterations=_frozen_int(iterations),
        converged=_frozen_bool(converged),
        seed=seed,
    )


def turnbull_bootstrap(
    left: npt.ArrayLike,
    right: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
    *,
    n_boot: int = 500,
    seed: int | None = 0,
    tol: float = 1e-7,
    kkt_tol: float = 1e-6,
    max_iter: int = 100_000,
) -> BootstrapFit:
    """Nonparametric bootstrap of the Turnbull NPMLE, all replicates at once.

    Resampling ``N`` observations with replacement is the same as drawing
    multinomial counts over the distinct intervals (probabilities proportional
    to how often each occurs), so each replicate is a weight vector over the
    distinct intervals, and by Turnbull's lemma its NPMLE can be found on the
    full sample's innermost intervals. The EM-ICM iterations therefore run on
    (distinct intervals x replicates) arrays, in chunks of replicates (only
    the isotonic regression inside the ICM step loops over replicates).

    Parameters
    ----------
    left, right : array_like of float, shape (n,)
        Intervals ``(left, right]`` in months, as in :func:`turnbull`.
    weights : array_like of int, shape (n,), optional
        Frequency weights: a row with weight ``k`` stands for ``k`` identical
        observations (procedures). Must be whole numbers. Default: 1 each.
    n_boot : int
        Number of resamples ``B``.
    seed : int or None
        Seed for :func:`numpy.random.default_rng`.
    tol, kkt_tol, max_iter
        As in :func:`turnbull`, applied to each replicate.

    Returns
    -------
    BootstrapFit
        ``masses`` has shape (n_boot, m); ``survival(t)`` gives (n_boot, len(t)).
    """
    _check_tolerances(tol, kkt_tol, max_iter)
    if n_boot < 1:
        raise InputError("n_boot must be at least 1")
    lo, hi, w = _validate(left, right, weights)
    if not np.array_equal(w, np.round(w)):
        raise InputError("bootstrap weights must be whole numbers (frequency weights)")
    keep = w > 0
    if not keep.all():
        lo, hi, w = lo[keep], hi[keep], w[keep]
    prob = _prepare(lo, hi, w)
    point = _point_fit(prob, tol=min(tol, 1e-9), kkt_tol=KKT_TOL, max_iter=max_iter)
    rng = np.random.default_rng(seed)
    n_total = int(np.rint(prob.weight.sum()))
    share = prob.weight / prob.weight.sum()

    def draw(k: int) -> FloatArray:
        # consecutive draws from one generator: the same counts whatever the chunking
        counts: FloatArray = rng.multinomial(n_total, share, size=k).T.astype(np.float64)
        return counts

    return _replicate_fits(
        prob, point, n_boot, draw, tol=tol, kkt_tol=kkt_tol, max_iter=max_iter, seed=seed
    )


def turnbull_jackknife(
    left: npt.ArrayLike,
    right: npt.ArrayLike,
    *,
    groups: int = 100,
    seed: int | None = 0,
    tol: float = 1e-7,
    kkt_tol: float = 1e-6,
    max_iter: int = 100_000,
) -> BootstrapFit:
    """Delete-a-group jackknife of the Turnbull NPMLE on the full-sample support.

    The observations are split at random into ``G = min(groups, n)`` groups of
    (nearly) equal size (``G = n``: the ordinary leave-one-out jackknife) and
    the NPMLE is refitted without each group in turn. For a statistic ``T``,
    ``(G - 1) / G * sum_g (T_g - mean T)^2`` estimates its variance; by the
    Efron-Stein inequality this estimate is conservative on average.

    Parameters
    ----------
    left, right : array_like of float, shape (n,)
        Intervals ``(left, right]`` in months, as in :func:`turnbull`.
    groups : int
        Number of groups ``G`` (at least 2).
    seed : int or None
        Seed of the random split.
    tol, kkt_tol, max_iter
        As in :func:`turnbull`, applied to each replicate.

    Returns
    -------
    BootstrapFit
        ``masses`` has shape (G, m): row ``g`` is the fit without group ``g``.
    """
    _check_tolerances(tol, kkt_tol, max_iter)
    lo, hi, ones = _validate(left, right, None)
    n_groups = min(int(groups), lo.size)
    if n_groups < 2:
        raise InputError("the jackknife needs at least 2 observations and 2 groups")
    prob = _prepare(lo, hi, ones)
    point = _point_fit(prob, tol=min(tol, 1e-9), kkt_tol=KKT_TOL, max_iter=max_iter)
    group = np.random.default_rng(seed).permutation(np.arange(lo.size) % n_groups)
    dropped = np.zeros((prob.weight.size, n_groups))
    np.add.at(dropped, (prob.row_group, group), 1.0)
    done = 0

    def take(k: int) -> FloatArray:
        nonlocal done
        done += k
        out: FloatArray = prob.weight[:, None] - dropped[:, done - k : done]
        return out

    # each replicate is close to the full-sample fit: start there
    return _replicate_fits(
        prob,
        point,
        n_groups,
        take,
        tol=tol,
        kkt_tol=kkt_tol,
        max_iter=max_iter,
        seed=seed,
        blend=0.0,
    )


def turnbull_replicates(
    left: npt.ArrayLike,
    right: npt.ArrayLike,
    replicate_weights: npt.ArrayLike,
    *,
    tol: float = 1e-7,
    kkt_tol: float = 1e-6,
    max_iter: int = 100_000,
) -> BootstrapFit:
    """Turnbull NPMLEs for given per-observation weight vectors on a common support.

    The building block of :func:`turnbull_bootstrap`, for other resampling
    schemes (e.g. a Bayesian bootstrap with Dirichlet weights).

    Parameters
    ----------
    left, right : array_like of float, shape (n,)
        Intervals ``(left, right]`` in months, as in :func:`turnbull`. Their
        innermost intervals (all rows, unit weights) are the common support,
        and ``point`` is the unweighted fit.
    replicate_weights : array_like of float, shape (B, n)
        Non-negative weights, one row per replicate, each with a positive sum.
    tol, kkt_tol, max_iter
        As in :func:`turnbull`, applied to each replicate.

    Returns
    -------
    BootstrapFit
        With ``seed=None``.
    """
    _check_tolerances(tol, kkt_tol, max_iter)
    lo, hi, ones = _validate(left, right, None)
    rw = np.asarray(replicate_weights, dtype=np.float64)
    if rw.ndim != 2 or rw.shape[1] != lo.size:
        raise InputError(f"replicate_weights must have shape (B, {lo.size}), got {rw.shape}")
    if not np.isfinite(rw).all() or (rw < 0).any() or not (rw.sum(axis=1) > 0).all():
        raise InputError("replicate weights must be finite, >= 0, with a positive sum per row")
    prob = _prepare(lo, hi, ones)
    point = _point_fit(prob, tol=min(tol, 1e-9), kkt_tol=KKT_TOL, max_iter=max_iter)
    # sum the weights of identical rows: rows sorted by distinct interval, then reduceat
    order = np.argsort(prob.row_group, kind="stable")
    starts, _ = _segments(prob.row_group[order])
    w = np.add.reduceat(rw[:, order], starts, axis=1).T
    done = 0

    def take(k: int) -> FloatArray:
        nonlocal done
        done += k
        out: FloatArray = w[:, done - k : done]
        return out

    return _replicate_fits(
        prob, point, rw.shape[0], take, tol=tol, kkt_tol=kkt_tol, max_iter=max_iter, seed=None
    )
