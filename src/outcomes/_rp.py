"""One Royston-Parmar spline fitted by maximum likelihood to interval-censored durations.

The duration ``T`` of relief, months since the procedure, is known only to lie
in ``(lower, upper]`` (``upper = inf``: not seen to end). The log cumulative
hazard is a natural cubic spline in log time (Royston & Parmar 2002, Stat Med
21:2175-2197)::

    log H(t) = s(x) = g0 + g1 x + sum_j g_{j+1} v_j(x),    x = log t,
    v_j(x) = (x - k_j)^3_+ - l_j (x - k_min)^3_+ - (1 - l_j) (x - k_max)^3_+,
    l_j = (k_max - k_j) / (k_max - k_min),

the basis written out as in flexsurv (Jackson 2016, J Stat Softw 70(8)), not
orthogonalised, so ``g`` are flexsurv's ``gamma0, gamma1, ...`` and
``S(t) = exp(-exp(s(log t)))``. ``df = 1`` (no interior knot) is the Weibull
model, shape ``g1``, scale ``exp(-g0 / g1)`` months; between visits the curve
is interpolated like a Weibull (linear in log-log), where a kernel-smoothed
NPMLE would interpolate S linearly.

Knot rule. Boundary knots at the log of the smallest positive and of the
largest finite endpoint (visit) in the data, so the spline is natural
(linear) only where there are no data; ``df - 1`` interior knots at equally
spaced centiles (1/df, ..., (df-1)/df) of the log endpoints that bracket an
observed loss: the lower (if positive) and the upper end of every interval
with a finite upper end, weighted (the smallest endpoint at which their
distribution reaches the centile, R's ``quantile(type = 1)``: always a visit
time, and unchanged when all weights are doubled). This is Royston & Parmar's rule (centiles
of the log event times) with each event represented by the two visits that
bracket it, its time being unknown; knots then sit on visits, where the data
pin the curve down. (flexsurv has no rule for interval-censored data: it
takes centiles of exact event times only.) Knots that coincide are merged,
lowering ``df``.

Fitting. Identical intervals are collapsed into weights; the log-likelihood
``sum_i w_i log(S(lower_i) - S(upper_i))`` is maximised by Newton-Raphson with
its analytic gradient and Hessian, from the Weibull fit, halving any step
that lowers the likelihood or lets the cumulative hazard decrease somewhere in
``[0, last endpoint]`` (checked exactly: ``s'`` is quadratic between knots).
Every accepted curve is therefore a survival function; a spline whose
maximum lies where ``H`` stops increasing does not converge
(``converged=False``, coefficients NaN), it is never reported as a curve.

Covariance. With patient ids (``cluster``): the cluster-robust sandwich
``A^-1 (G / (G - 1)) sum_c U_c U_c' A^-1``, ``A`` the observed information,
``U_c`` the score of patient ``c``, ``G`` patients. Without: ``A^-1``, the
model-based (inverse observed information) covariance, which assumes
independent rows. The log-likelihood is that of independent rows in both cases.

:mod:`outcomes._spline` averages several of these splines into the reported
curve: it checks and collapses the data (:func:`check`, :func:`collapse`,
:func:`not_estimable`), fits the Weibull start (:func:`fit_weibull`), then
each spline (:func:`place_knots`, :func:`fit_model`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize

from outcomes.errors import InputError

__all__ = [
    "AT_MEDIAN",
    "Data",
    "SplineModel",
    "check",
    "collapse",
    "fit_model",
    "fit_weibull",
    "not_estimable",
    "place_knots",
    "spline",
    "spline_knots",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

#: log(log 2): the spline's value at the median, where S = 1/2.
AT_MEDIAN: Final = math.log(math.log(2.0))
_MAX_ITER: Final = 100
_MAX_HALVINGS: Final = 40
#: Convergence: Newton decrement ``g' A^-1 g`` below this. It is the squared distance to
#: the maximum in standard errors, so 1e-12 is 1e-6 standard errors whatever the sample
#: size; where rounding of the log-likelihood stops the line search first (huge samples),
#: 1e-6 (0.001 standard errors) is accepted.
_TOL: Final = 1e-12
_LOOSE_TOL: Final = 1e-6


@dataclass(frozen=True, eq=False)
class SplineModel:
    """One Royston-Parmar spline fitted by maximum likelihood.

    Attributes
    ----------
    knots : ndarray
        Boundary and interior knots, log months since the procedure, increasing.
    coefficients : ndarray
        ``g0, g1, ...`` (length ``df + 1``); NaN when not converged.
    covariance : ndarray
        Covariance of ``coefficients``, cluster-robust or model-based (see
        :attr:`outcomes._spline.SplineFit.covariance_type`).
    log_likelihood : float
        Maximised log-likelihood, ``sum_i w_i log P(lower_i < T <= upper_i)``.
    gradient_norm : float
        Euclidean norm of the score at the estimate.
    converged : bool
        Whether Newton-Raphson reached an interior maximum (within 1e-6
        standard errors; 1e-3 where rounding stops it) with the cumulative
        hazard increasing.
    note : str
        What was adjusted or went wrong ("df lowered to 1: knots coincide").
    """

    knots: FloatArray
    coefficients: FloatArray
    covariance: FloatArray
    log_likelihood: float
    gradient_norm: float
    converged: bool
    note: str = ""

    @property
    def df(self) -> int:
        """Degrees of freedom: number of coefficients minus one (1 is Weibull)."""
        return int(self.coefficients.size - 1)

    @property
    def aic(self) -> float:
        """Akaike's information criterion, ``-2 log L + 2 (df + 1)``."""
        return -2.0 * self.log_likelihood + 2.0 * self.coefficients.size

    def log_cumulative_hazard(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        """``s(x) = log H`` at log months ``x``, with its delta-method standard error."""
        b = _basis(x, self.knots)
        var = np.einsum("...i,ij,...j->...", b, self.covariance, b)
        # A covariance estimated on very coarse data can be slightly indefinite:
        # a negative variance has no standard error (NaN), not a warning.
        se = np.sqrt(np.where(var >= 0.0, var, np.nan))
        return b @ self.coefficients, se

    def log_median(self) -> tuple[float, float]:
        """Log median (log months) and its standard error; (inf, nan) when not reached.

        By the implicit function theorem ``d log m / d g = -B(log m) / s'(log m)``.
        """
        g, k_min, k_max = self.coefficients, float(self.knots[0]), float(self.knots[-1])
        if spline(np.array([k_max]), self.knots, g)[0] < AT_MEDIAN:
            return math.inf, math.nan
        if g[0] + g[1] * k_min >= AT_MEDIAN:  # below k_min the spline is g0 + g1 x
            x = float((AT_MEDIAN - g[0]) / g[1])
        else:
            x = optimize.brentq(
                lambda u: spline(np.array([u]), self.knots, g)[0] - AT_MEDIAN,
                k_min,
                k_max,
                xtol=1e-13,
            )
        slope = float(_dbasis(np.array([x]), self.knots)[0] @ g)
        return x, float(self.log_cumulative_hazard(np.array([x]))[1][0]) / slope


# --------------------------------------------------------------------------- #
# the basis


def _basis(x: FloatArray, knots: FloatArray) -> FloatArray:
    """Royston-Parmar basis ``[1, x, v_1(x), ...]`` at log times ``x``, shape x.shape + (df+1,)."""
    x = np.asarray(x, dtype=float)
    k_min, k_max, inner = knots[0], knots[-1], knots[1:-1]
    lam = (k_max - inner) / (k_max - k_min)
    xe = x[..., None]
    v = (
        np.maximum(xe - inner, 0.0) ** 3
        - lam * np.maximum(xe - k_min, 0.0) ** 3
        - (1 - lam) * np.maximum(xe - k_max, 0.0) ** 3
    )
    return np.concatenate([np.ones_like(xe), xe, v], axis=-1)


def _dbasis(x: FloatArray, knots: FloatArray) -> FloatArray:
    """d/dx of :func:`_basis`."""
    x = np.asarray(x, dtype=float)
    k_min, k_max, inner = knots[0], knots[-1], knots[1:-1]
    lam = (k_max - inner) / (k_max - k_min)
    xe = x[..., None]
    dv = 3 * (
        np.maximum(xe - inner, 0.0) ** 2
        - lam * np.maximum(xe - k_min, 0.0) ** 2
        - (1 - lam) * np.maximum(xe - k_max, 0.0) ** 2
    )
    return np.concatenate([np.zeros_like(xe), np.ones_like(xe), dv], axis=-1)


def spline(x: FloatArray, knots: FloatArray, g: FloatArray) -> FloatArray:
    """The spline ``s(x) = log H`` at log months ``x``, coefficients ``g``."""
    return np.asarray(_basis(x, knots) @ g)


def _min_slope(knots: FloatArray, g: FloatArray) -> float:
    """Smallest ds/dx on (-inf, k_max]: exact, as s'' is linear between knots.

    Below ``k_min`` the slope is ``g1``; between knots ``s'`` is quadratic, so
    its minimum is at a knot or where the (piecewise linear) ``s''`` crosses 0.
    """
    if knots.size == 2:
        return float(g[1])
    inner = knots[1:-1]
    lam = (knots[-1] - inner) / (knots[-1] - knots[0])

    def second(x: FloatArray) -> FloatArray:
        xe = x[:, None]
        d2 = 6 * (np.maximum(xe - inner, 0.0) - lam * np.maximum(xe - knots[0], 0.0))
        return np.asarray(d2 @ g[2:])  # the (x - k_max)_+ term is 0 on (-inf, k_max]

    d2 = second(knots)
    a, b = d2[:-1], d2[1:]
    cross = (a * b) < 0
    with np.errstate(divide="ignore", invalid="ignore"):
        root = knots[:-1] + (knots[1:] - knots[:-1]) * a / (a - b)
    points = np.concatenate([knots, root[cross]])
    return float(min(g[1], (_dbasis(points, knots) @ g).min()))


# --------------------------------------------------------------------------- #
# data and the knot rule


@dataclass(frozen=True)
class Data:
    """Distinct intervals as indices into the distinct positive finite endpoints."""

    times: FloatArray  # distinct positive finite endpoints, months, increasing
    left: IntArray  # index into times of each interval's lower end, -1 when 0
    right: IntArray  # index into times of the upper end, -1 when inf
    weight: FloatArray  # summed weight of each distinct interval
    row: IntArray  # distinct interval of each input row
    row_weight: FloatArray


def check(
    lower: npt.ArrayLike, upper: npt.ArrayLike, weights: npt.ArrayLike | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Intervals ``(lower, upper]`` months and weights as float arrays, or InputError."""
    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    if lo.ndim != 1 or lo.shape != hi.shape:
        raise InputError(f"lower and upper must be 1-D of equal length: {lo.shape}, {hi.shape}")
    if np.isnan(lo).any() or np.isnan(hi).any():
        bad = int(np.flatnonzero(np.isnan(lo) | np.isnan(hi))[0])
        raise InputError(f"row {bad}: ({lo[bad]}, {hi[bad]}] has a missing end")
    bad_rows = np.flatnonzero(~((lo >= 0) & np.isfinite(lo) & (hi > lo)))
    if bad_rows.size:
        b = int(bad_rows[0])
        raise InputError(
            f"{bad_rows.size} row(s) are not intervals 0 <= lower < upper <= inf months, "
            f"the first is row {b}: ({float(lo[b]):g}, {float(hi[b]):g}]"
        )
    if weights is None:
        return lo, hi, np.ones(lo.size)
    w = np.asarray(weights, dtype=float)
    if w.shape != lo.shape or not (np.isfinite(w) & (w >= 0)).all():
        raise InputError(f"weights must be finite, >= 0 and of shape {lo.shape}")
    return lo, hi, w


def collapse(lo: FloatArray, hi: FloatArray, w: FloatArray) -> Data:
    """Distinct intervals with summed weights (hashing, O(rows))."""
    ends = np.concatenate([lo, hi])
    code, uniq = pd.factorize(ends)
    order = np.argsort(uniq)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    code = rank[code]
    uniq = uniq[order]
    n_ends = uniq.size
    key = code[: lo.size].astype(np.int64) * n_ends + code[lo.size :]
    row, distinct = pd.factorize(key)
    weight = np.bincount(row, weights=w, minlength=distinct.size)
    positive = np.isfinite(uniq) & (uniq > 0)
    # index among positive finite ends (0 and inf are not in `times`)
    pos = np.cumsum(positive) - 1
    li, ri = distinct // n_ends, distinct % n_ends
    return Data(
        times=np.asarray(uniq[positive], dtype=float),
        left=np.where(positive[li], pos[li], -1).astype(np.intp),
        right=np.where(positive[ri], pos[ri], -1).astype(np.intp),
        weight=np.asarray(weight, dtype=float),
        row=row.astype(np.intp),
        row_weight=w,
    )


def place_knots(data: Data, df: int) -> tuple[FloatArray, str]:
    """The knot rule (module docstring): log months, and a note when df was lowered."""
    x = np.log(data.times)
    seen = (data.right >= 0) & (data.weight > 0)
    idx = np.concatenate([data.left[seen], data.right[seen]])
    wts = np.concatenate([data.weight[seen], data.weight[seen]])
    keep = idx >= 0
    idx, wts = idx[keep], wts[keep]
    inner = np.empty(0)
    if df > 1 and idx.size:
        counts = np.bincount(idx, weights=wts, minlength=x.size).astype(float)
        inner = _weighted_quantile(x, counts, np.arange(1, df) / df)
    knots = np.unique(np.concatenate([[x[0]], inner, [x[-1]]]))
    note = ""
    if knots.size < df + 1:
        note = f"df lowered to {knots.size - 1}: knots coincide"
    return knots, note


def _weighted_quantile(x: FloatArray, counts: FloatArray, p: FloatArray) -> FloatArray:
    """The smallest ``x[i]`` whose weighted empirical distribution reaches ``p`` (R's type 1).

    Unlike interpolating definitions it does not change when every weight is
    multiplied by the same number, and it is always an observed endpoint.
    """
    cum = np.cumsum(counts)
    idx = np.searchsorted(cum, p * cum[-1] * (1 - 1e-12), side="left")
    return np.asarray(x[np.minimum(idx, x.size - 1)])


def spline_knots(
    lower: npt.ArrayLike, upper: npt.ArrayLike, weights: npt.ArrayLike | None = None, *, df: int = 2
) -> FloatArray:
    """Knots of a spline with ``df`` degrees of freedom by the module's rule.

    Parameters
    ----------
    lower, upper : array_like of float
        Relief was lost in ``(lower, upper]`` months since the procedure;
        ``upper = inf`` when it was not seen to end.
    weights : array_like of float, optional
        Frequency weights of the rows.
    df : int
        Degrees of freedom asked for (``df - 1`` interior knots).

    Returns
    -------
    ndarray
        Log months, boundary knots first and last; fewer than ``df + 1`` when
        knots coincide; empty when there is no positive finite endpoint.
    """
    data = collapse(*check(lower, upper, weights))
    if data.times.size == 0:
        return np.empty(0)
    return place_knots(data, df)[0]


# --------------------------------------------------------------------------- #
# likelihood and Newton-Raphson


@dataclass(frozen=True)
class _Eval:
    loglik: float
    scores: FloatArray  # per distinct interval, d log P_i / d g, shape (m, p)
    gradient: FloatArray
    hessian: FloatArray


def _evaluate(g: FloatArray, data: Data, basis: FloatArray, knots: FloatArray) -> _Eval | None:
    """Log-likelihood, scores and Hessian at ``g``; None when ``H`` is not increasing.

    With ``P = S(L) - S(R) = S(L) (1 - exp(-D))``, ``D = H(R) - H(L)`` and
    ``dS/dg = -S H B``: ``d log P = -a_L H_L B_L + a_R H_R B_R`` where
    ``a_L = S(L) / P = 1 / (1 - exp(-D))`` and ``a_R = S(R) / P = 1 / expm1(D)``;
    ``L = 0`` has ``H_L = 0``, ``R = inf`` has ``a_R H_R = 0`` (limits).
    """
    if _min_slope(knots, g) <= 0:
        return None
    with np.errstate(over="ignore"):
        h_end = np.exp(basis @ g)
    has_l, has_r = data.left >= 0, data.right >= 0
    h_l = np.where(has_l, h_end[data.left], 0.0)
    h_r = np.where(has_r, h_end[data.right], np.inf)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        d = h_r - h_l
        if not (d > 0).all() or not np.isfinite(h_l).all():
            return None
        one_minus = -np.expm1(-d)
        log_p = -h_l + np.log(one_minus)
        a_l = 1.0 / one_minus
        finite_r = has_r & np.isfinite(h_r)
        h_r0 = np.where(finite_r, h_r, 0.0)  # S(R) H(R) = 0 when R = inf or H(R) overflows
        ahr = np.where(finite_r, h_r0 / np.expm1(d), 0.0)
    w = data.weight
    loglik = float(w @ log_p)
    if not math.isfinite(loglik):
        return None
    c_l = -a_l * h_l
    left, right = np.where(has_l, data.left, 0), np.where(has_r, data.right, 0)
    scores = c_l[:, None] * basis[left] + ahr[:, None] * basis[right]
    m = basis.shape[0]
    per_end = np.bincount(left, weights=w * c_l, minlength=m) + np.bincount(
        right, weights=w * ahr, minlength=m
    )
    gradient = basis.T @ per_end
    # second derivatives of P / P, aggregated per endpoint, minus the outer product of scores
    curv = np.bincount(left, weights=w * a_l * h_l * (h_l - 1), minlength=m) - np.bincount(
        right, weights=w * ahr * (h_r0 - 1), minlength=m
    )
    hessian = (basis * curv[:, None]).T @ basis - (scores * w[:, None]).T @ scores
    return _Eval(loglik, scores, gradient, hessian)


def _newton(
    g: FloatArray, data: Data, basis: FloatArray, knots: FloatArray
) -> tuple[FloatArray, _Eval | None, bool]:
    """Maximise from a feasible ``g``; returns (g, evaluation at g, converged)."""
    cur = _evaluate(g, data, basis, knots)
    if cur is None:
        return g, None, False
    for _ in range(_MAX_ITER):
        info = -cur.hessian
        vals, vecs = np.linalg.eigh(info)
        if not np.isfinite(vals).all():
            return g, cur, False
        # modified Newton: a positive definite information (|eigenvalues|, floored)
        floor = 1e-10 * max(float(np.abs(vals).max()), 1.0)
        step = vecs @ ((vecs.T @ cur.gradient) / np.maximum(np.abs(vals), floor))
        decrement = float(cur.gradient @ step)
        if decrement < _TOL and (vals > floor).all():
            return g, cur, True
        for _ in range(_MAX_HALVINGS):
            new = _evaluate(g + step, data, basis, knots)
            if new is not None and new.loglik > cur.loglik:
                break
            if decrement < _LOOSE_TOL and (vals > floor).all():
                return g, cur, True  # no gain left that rounding lets us measure
            step = step / 2
        else:
            return g, cur, False
        g, cur = g + step, new
    return g, cur, False


def _start(data: Data) -> FloatArray:
    """Exponential start: events / exposure, with mid-interval times."""
    t = data.times
    lo = np.where(data.left >= 0, t[data.left], 0.0)
    hi = np.where(data.right >= 0, t[data.right], np.inf)
    seen = np.isfinite(hi)
    exposure = np.where(seen, (lo + np.where(seen, hi, 0.0)) / 2, lo)
    rate = (data.weight @ seen) / max(float(data.weight @ exposure), 1e-300)
    return np.array([math.log(rate), 1.0])


# --------------------------------------------------------------------------- #
# fitting


def not_estimable(data: Data, w: FloatArray) -> str:
    """Why no spline can be fitted to ``data`` (``w``: the rows' weights), or ''."""
    live = data.weight > 0
    if not (live & (data.right >= 0)).any():
        return "no loss of relief seen (every interval is censored)"
    if np.count_nonzero(w > 0) < 2:
        return "a single procedure"
    if not (live & (data.left >= 0)).any():
        return "every loss of relief was before the first visit"
    ends = np.concatenate([data.left[live], data.right[live]])
    if np.unique(ends[ends >= 0]).size < 2:
        return "fewer than two distinct visit times"
    return ""


def fit_weibull(data: Data) -> FloatArray | None:
    """The Weibull (``df = 1``) coefficients, every spline's start; None when not converged."""
    x = np.log(data.times)
    weib = x[[0, -1]]
    g, _, ok = _newton(_start(data), data, _basis(x, weib), weib)
    return g if ok else None


def fit_model(
    data: Data,
    knots: FloatArray,
    note: str,
    start: FloatArray | None,
    codes: IntArray | None,
    n_clusters: int,
) -> SplineModel:
    """Fit the spline with ``knots`` by Newton-Raphson from the Weibull fit ``start``.

    Parameters
    ----------
    data : Data
        The collapsed intervals (:func:`collapse`), estimable (:func:`not_estimable`).
    knots : ndarray
        Log months, from :func:`place_knots`.
    note : str
        What :func:`place_knots` adjusted, kept on the model.
    start : ndarray or None
        :func:`fit_weibull`; None (the Weibull did not converge) gives a model that
        did not converge.
    codes : ndarray of int or None
        Cluster (patient) of each input row, 0 to ``n_clusters - 1``, for the
        cluster-robust covariance; None for the model-based one.
    n_clusters : int
        Number of clusters.

    Returns
    -------
    SplineModel
        When not converged: coefficients, covariance and log-likelihood NaN,
        ``note`` saying why.
    """
    ev: _Eval | None = None
    ok = False
    if start is not None:
        g0 = np.r_[start, np.zeros(knots.size - 2)]
        g, ev, ok = _newton(g0, data, _basis(np.log(data.times), knots), knots)
    if ev is None or not ok:
        p = knots.size
        return SplineModel(
            knots,
            np.full(p, np.nan),
            np.full((p, p), np.nan),
            math.nan,
            math.nan,
            False,
            note or "no interior maximum with the cumulative hazard increasing",
        )
    return SplineModel(
        knots,
        g,
        _covariance(ev, data, codes, n_clusters),
        ev.loglik,
        float(np.linalg.norm(ev.gradient)),
        True,
        note,
    )


def _covariance(ev: _Eval, data: Data, codes: IntArray | None, n_clusters: int) -> FloatArray:
    """Inverse observed information, or the cluster-robust sandwich around it."""
    info_inv = np.linalg.inv(-ev.hessian)
    if codes is None:
        return np.asarray(info_inv)
    p = ev.gradient.size
    u = np.empty((n_clusters, p))
    for k in range(p):  # one pass over the rows per coefficient (two to five)
        u[:, k] = np.bincount(
            codes, weights=data.row_weight * ev.scores[data.row, k], minlength=n_clusters
        )
    factor = n_clusters / (n_clusters - 1) if n_clusters > 1 else math.nan
    return np.asarray(info_inv @ (factor * (u.T @ u)) @ info_inv)
