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
O(n + m) per iteration, for ``n`` distinct intervals and ``m`` innermost
intervals (:mod:`outcomes._em`; resampling is in :mod:`outcomes._resample`).

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
consistent with the estimate. Wherever the two agree, every maximiser of the
likelihood gives the same ``S(t)``, and so do R's survival and npsurv
(tests/r/npmle_reference.R, tests/r/classic_reference.R); R draws the drop at
the midpoint of each innermost interval, another placement inside it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from outcomes._em import Problem, fit_columns, initial_masses, prepare
from outcomes.errors import InputError

__all__ = ["KKT_TOL", "TurnbullFit", "turnbull"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

#: Default bound on ``max_j d_j / N - 1`` (see :attr:`TurnbullFit.gradient_gap`).
KKT_TOL: Final = 1e-7


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


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def _check_tolerances(tol: float, kkt_tol: float, max_iter: int) -> None:
    if not (tol > 0 and kkt_tol > 0):
        raise InputError("tol and kkt_tol must be positive")
    if max_iter < 1:
        raise InputError("max_iter must be at least 1")


def _point_fit(prob: Problem, *, tol: float, kkt_tol: float, max_iter: int) -> TurnbullFit:
    w = prob.weight[:, None]
    sol = fit_columns(prob, w, initial_masses(prob, w), tol=tol, kkt_tol=kkt_tol, max_iter=max_iter)
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
    (:func:`fit_columns`), which settles masses that EM alone would only
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
    return _point_fit(prepare(lo, hi, w), tol=tol, kkt_tol=kkt_tol, max_iter=max_iter)
