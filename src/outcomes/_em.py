"""The EM-ICM optimiser behind the Turnbull NPMLE, for many weightings at once.

Observed intervals ``(left, right]`` are collapsed into distinct intervals,
each mapped onto the contiguous run ``a_i..b_i`` of innermost (Turnbull)
intervals it covers (:func:`prepare`). The likelihood, its gradient and the
EM and ICM steps then cost O(n + m) per iteration through cumulative sums,
for ``n`` distinct intervals and ``m`` innermost intervals, and run on
(distinct intervals x weightings) arrays, so that one call fits the point
estimate and every bootstrap or jackknife replicate (:func:`fit_columns`).
See :mod:`outcomes._npmle` for the estimator and its conventions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import isotonic_regression

__all__ = [
    "Problem",
    "Solution",
    "fit_columns",
    "gradient",
    "initial_masses",
    "prepare",
    "restrict",
    "segments",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Problem:
    """Distinct observed intervals mapped onto the innermost intervals."""

    q: FloatArray  # innermost intervals (q_j, p_j], shape (m,)
    p: FloatArray
    weight: FloatArray  # summed weight of each distinct interval, shape (n,)
    row_group: IntArray  # distinct interval of each input row
    a: IntArray  # first innermost interval inside distinct interval i (non-decreasing)
    b1: IntArray  # one past the last one
    to_probs: sparse.csr_array  # (n, m + 1): +1 at (i, b1_i), -1 at (i, a_i)
    ends_diff: sparse.csr_array  # (m + 1, n): its transpose
    ends_sum: sparse.csr_array  # (m + 1, n): +1 at (a_i, i) and at (b1_i, i)

    @property
    def m(self) -> int:
        return int(self.q.size)


def _problem(
    q: FloatArray, p: FloatArray, weight: FloatArray, row_group: IntArray, a: IntArray, b1: IntArray
) -> Problem:
    """A :class:`Problem` with its sparse endpoint matrices."""
    n, m = a.size, q.size
    rows = np.r_[np.arange(n), np.arange(n)]
    cols = np.r_[b1, a]
    to_probs = sparse.csr_array((np.r_[np.ones(n), -np.ones(n)], (rows, cols)), shape=(n, m + 1))
    ends_sum = sparse.csr_array((np.ones(2 * n), (cols, rows)), shape=(m + 1, n))
    return Problem(
        q=q,
        p=p,
        weight=weight,
        row_group=row_group,
        a=a,
        b1=b1,
        to_probs=to_probs,
        ends_diff=to_probs.T.tocsr(),
        ends_sum=ends_sum,
    )


def segments(sorted_keys: IntArray) -> tuple[IntArray, IntArray]:
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    return starts, sorted_keys[starts]


def prepare(lo: FloatArray, hi: FloatArray, w: FloatArray) -> Problem:
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
    return _problem(q, p, weight, row_group.astype(np.intp), a, b1)


def restrict(prob: Problem, keep: IntArray) -> tuple[Problem, sparse.csr_array]:
    """The problem with mass allowed only on the innermost intervals ``keep``.

    Each distinct interval then covers a run of the kept intervals, and
    distinct intervals covering the same run are one class for the
    likelihood: with mass on few intervals (e.g. the support of a fit) the
    classes are far fewer than the distinct intervals.

    Parameters
    ----------
    prob : Problem
    keep : ndarray of int
        Sorted indices of innermost intervals; every distinct interval must
        cover at least one.

    Returns
    -------
    reduced : Problem
        On the kept intervals, one row per class (``row_group`` maps each
        distinct interval of ``prob`` to its class).
    collapse : sparse array, shape (classes, distinct intervals)
        ``collapse @ w`` sums weights of ``prob``'s distinct intervals by class.
    """
    a = np.searchsorted(keep, prob.a, side="left")
    b1 = np.searchsorted(keep, prob.b1, side="left")
    if not (a < b1).all():
        raise ValueError("an interval covers none of the kept innermost intervals")
    key = a.astype(np.int64) * (keep.size + 1) + b1
    classes, cls = np.unique(key, return_inverse=True)
    cls = cls.astype(np.intp).ravel()
    ra = (classes // (keep.size + 1)).astype(np.intp)
    rb1 = (classes % (keep.size + 1)).astype(np.intp)
    collapse = sparse.csr_array(
        (np.ones(cls.size), (cls, np.arange(cls.size))), shape=(classes.size, cls.size)
    )
    weight = np.asarray(collapse @ prob.weight, dtype=np.float64)
    return _problem(prob.q[keep], prob.p[keep], weight, cls, ra, rb1), collapse


# --------------------------------------------------------------------------------------
# Likelihood, EM and ICM steps, for k fits at once (one per column)
# --------------------------------------------------------------------------------------


#: Interval probabilities are floored here so that ``w / P`` and ``log P`` need no mask;
#: a weighted interval at the floor counts as impossible (log-likelihood -inf).
_TINY = 1e-300


def _cdf(s: FloatArray) -> FloatArray:
    """``F[k] = s_0 + ... + s_{k-1}``, shape (m + 1, k), with ``F[0] = 0``."""
    cdf = np.zeros((s.shape[0] + 1, s.shape[1]))
    np.cumsum(s, axis=0, out=cdf[1:])
    return cdf


def _interval_probs(prob: Problem, cdf: FloatArray) -> FloatArray:
    """``P_i = F[b_i + 1] - F[a_i]``, shape (n, k), floored at ``_TINY``."""
    probs: FloatArray = np.asarray(prob.to_probs @ cdf)
    np.maximum(probs, _TINY, out=probs)
    return probs


def _loglik_of(probs: FloatArray, w: FloatArray) -> FloatArray:
    """``sum_i w_i log P_i`` per column, ``-inf`` where a weighted interval has ``P_i = 0``.

    Overwrites ``probs`` with its logarithm.
    """
    impossible = probs.min(axis=0) <= _TINY
    np.log(probs, out=probs)
    loglik: FloatArray = np.einsum("ik,ik->k", w, probs)
    if impossible.any():  # rare: check the columns where some P_i hit the floor
        cols = np.flatnonzero(impossible)
        hit = ((probs[:, cols] <= np.log(_TINY)) & (w[:, cols] > 0)).any(axis=0)
        loglik[cols[hit]] = -np.inf
    return loglik


def _coverage_sums(prob: Problem, x: FloatArray) -> FloatArray:
    """``sum_i x_i 1[a_i <= j <= b_i]`` for every innermost interval, shape (m, k).

    A difference array (``+x_i`` at ``a_i``, ``-x_i`` at ``b_i + 1``) and its
    cumulative sum: O(n + m).
    """
    ends = np.asarray(prob.ends_diff @ x)
    out: FloatArray = -np.cumsum(ends[:-1], axis=0)
    return out


def _likelihood(prob: Problem, s: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Log-likelihood and ``w_i / P_i`` for each column.

    Returns
    -------
    loglik : ndarray, shape (k,)
        ``sum_i w_i log P_i``; ``-inf`` where an interval with weight has ``P_i = 0``.
    ratio : ndarray, shape (n, k)
        ``w_i / P_i`` (0 where ``w_i = 0``).
    """
    probs = _interval_probs(prob, _cdf(s))
    ratio = w / probs
    return _loglik_of(probs, w), ratio


def _loglik(prob: Problem, s: FloatArray, w: FloatArray) -> FloatArray:
    """Only the log-likelihood of :func:`_likelihood` (the step-halving test needs no ratio)."""
    return _loglik_of(_interval_probs(prob, _cdf(s)), w)


def gradient(
    prob: Problem, s: FloatArray, w: FloatArray, total: FloatArray
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


def initial_masses(prob: Problem, w: FloatArray) -> FloatArray:
    """Each interval's weight spread evenly over the innermost intervals it covers."""
    width = (prob.b1 - prob.a).astype(np.float64)
    s = _coverage_sums(prob, w / width[:, None])
    out: FloatArray = s / s.sum(axis=0)
    return out


def _icm_step(prob: Problem, s: FloatArray, w: FloatArray) -> FloatArray:
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
    cdf = _cdf(s)
    cdf /= cdf[-1]
    probs = _interval_probs(prob, cdf)
    ratio = w / probs
    grad = np.asarray(prob.ends_diff @ ratio)  # d loglik / d F[k]
    ratio /= probs  # now the curvature w / P^2
    weight = np.asarray(prob.ends_sum @ ratio)[1:m]  # minus the Hessian's diagonal
    del ratio
    loglik = _loglik_of(probs, w)
    del probs
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
    step = np.ones(n_cols)
    accepted = slope <= 0  # no ascent along the proposal: keep s
    out = s.copy()
    for _halving in range(40):
        idx = np.flatnonzero(~accepted)  # only the columns still halving their step
        if not idx.size:
            break
        trial = np.maximum(np.diff(cdf[:, idx] + step[idx] * direction[:, idx], axis=0), 0.0)
        trial /= trial.sum(axis=0)
        trial_loglik = _loglik(prob, trial, w if idx.size == n_cols else w[:, idx])
        ok = trial_loglik >= loglik[idx] + 1e-4 * step[idx] * slope[idx]
        out[:, idx[ok]] = trial[:, ok]
        accepted[idx[ok]] = True
        step[idx[~ok]] /= 2.0
    return out


@dataclass
class Solution:
    mass: FloatArray  # (m, k)
    iterations: IntArray  # (k,)
    converged: BoolArray
    loglik: FloatArray
    gap: FloatArray


def fit_columns(
    prob: Problem, w: FloatArray, start: FloatArray, *, tol: float, kkt_tol: float, max_iter: int
) -> Solution:
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
    sol = Solution(
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
        loglik, grad = gradient(prob, s, wa, total[active])
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
