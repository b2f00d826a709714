"""The smooth relief curve: Royston-Parmar splines averaged with Akaike weights.

The duration ``T`` of relief, months since the procedure, is known only to lie
in ``(lower, upper]`` (``upper = inf``: not seen to end). The Turnbull NPMLE
(:mod:`outcomes._npmle`) leaves ``S(t) = P(T > t)`` undetermined between
visits, and with visits clustered in time (1, 3, 6, 12, 18, 24 months) a
median that falls in a gap between visits is found only through an
assumption of smoothness. Here the assumption is explicit: the log
cumulative hazard ``s(x) = log H(t)`` is a natural cubic spline in log time
``x = log t`` (Royston & Parmar 2002), fitted by maximum likelihood. One such
spline, its basis, the knot rule, the likelihood, Newton-Raphson and the
covariance are in :mod:`outcomes._rp`; this module averages several and
reports the curve, its intervals and the median (:func:`fit_spline`).

Smoothness (the "bandwidth"). By default two splines are fitted, ``df = 1``
(Weibull) and ``df = 2`` (one interior knot, at the median of the
bracketing endpoints), and averaged with Akaike weights
``w_k ~ exp(-AIC_k / 2)`` (Buckland, Burnham & Augustin 1997, Biometrics
53:603; Burnham & Anderson 2002): the curve is ``exp(-exp(sum_k w_k s_k))``,
a survival function since each ``s_k`` increases. Intervals are
model-averaged tail-area (MATA-Wald) intervals (Turek & Fletcher 2012,
Comput Stat Data Anal 56:2809): the limit ``x`` solves ``sum_k w_k
Phi((theta_k - x) / se_k) = alpha / 2`` (and ``1 - alpha / 2``), with
``theta_k`` the log median (or ``s_k`` at ``t``) of model ``k`` and ``se_k``
its delta-method standard error; with one model this is the Wald interval.
These choices were made by simulated coverage of the median's 95% interval
(``benchmarks/simulate_median.py``, 1000-2000 cohorts a setting): averaging
df 1 and 2 gave 94.1-96.2% in all 13 settings there (Weibull truths, median on,
between or before visits; 100-1000 procedures; clustered), 92.0-93.8% on non-Weibull
truths; a single ``df = 3`` spline gave 86-89% with the median early in the
1-3 month gap (a knot sits on each side of it, the curvature there is not
identified, and in 5-50% of cohorts the maximum lies where ``H`` would turn);
df chosen by AIC 90-94% (selection); averaging df 1-3 98.3% with shape 1.5,
median 1.5, but 93.7-94.2% on non-Weibull truths; the Weibull alone 76-81%
on them. Pass ``df=(1, 2, 3)`` or ``df=3`` for those.

A spline that does not converge (its maximum lies where ``H`` would stop
increasing) gets no weight; it is never reported as a curve. With ``cluster``
the standard errors ``se_k`` are cluster-robust, without it model-based; the
Akaike weights use the log-likelihood as if rows were independent in both
cases.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize, special

from outcomes._rp import (
    AT_MEDIAN,
    SplineModel,
    check,
    collapse,
    fit_model,
    fit_weibull,
    not_estimable,
    place_knots,
    spline,
    spline_knots,
)
from outcomes.errors import InputError

__all__ = ["SplineFit", "SplineMedian", "SplineModel", "fit_spline", "spline_knots"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

#: Default candidate degrees of freedom, averaged with Akaike weights (module docstring).
DEFAULT_DF: Final = (1, 2)


@dataclass(frozen=True)
class SplineMedian:
    """The median duration of relief, months since the procedure.

    All three are NaN, with ``note`` saying why, when the fit is not estimable
    or the median is "not reached" (the curve stays above 1/2 up to the last
    visit; never extrapolated). ``upper`` is ``inf`` when it would lie beyond
    the last visit ("upper limit beyond follow-up").
    """

    estimate: float
    lower: float
    upper: float
    note: str = ""


@dataclass(frozen=True, eq=False)
class SplineFit:
    """The smooth relief curve: Royston-Parmar splines averaged with Akaike weights.

    Attributes
    ----------
    models : tuple of SplineModel
        The candidate splines, by increasing ``df``.
    weights : ndarray
        Akaike weight of each model (0 for one that did not converge); sums
        to 1 when the curve is estimable.
    covariance_type : str
        ``"cluster-robust"`` (cluster ids given) or ``"model-based"``.
    n : float
        Number (total weight) of procedures.
    n_clusters : int
        Number of clusters (patients); the number of rows when none were given.
    n_intervals : int
        Number of distinct intervals.
    t_max : float
        Last finite endpoint (visit), months: the curve is not given beyond it.
    conf_level : float
        Confidence level of the intervals.
    note : str
        Why the curve is not estimable (empty when it is), or what was
        adjusted for which model.
    """

    models: tuple[SplineModel, ...]
    weights: FloatArray
    covariance_type: str
    n: float
    n_clusters: int
    n_intervals: int
    t_max: float
    conf_level: float = 0.95
    note: str = ""

    @property
    def estimable(self) -> bool:
        """Whether there is a curve (some model converged)."""
        return bool(self.weights.sum() > 0)

    def _used(self) -> list[tuple[float, SplineModel]]:
        return [(float(w), m) for w, m in zip(self.weights, self.models, strict=True) if w > 0]

    def _s_at(self, t: npt.ArrayLike) -> tuple[FloatArray, BoolArray, FloatArray, FloatArray]:
        """(t, inside [0, t_max], averaged s, and per model (s_k, se_k) stacked)."""
        tt = np.asarray(t, dtype=float)
        inside = (tt > 0) & (tt <= self.t_max) & self.estimable
        x = np.log(np.where(inside, tt, 1.0))
        used = self._used()
        s_se = [m.log_cumulative_hazard(x) for _, m in used] or [(x * np.nan, x * np.nan)]
        s = np.stack([a for a, _ in s_se])
        se = np.stack([b for _, b in s_se])
        w = np.array([wk for wk, _ in used] or [np.nan])
        return tt, inside, np.asarray(np.tensordot(w, s, axes=1)), np.stack([s, se])

    def survival(self, t: npt.ArrayLike) -> FloatArray:
        """S(t) = P(relief lasts longer than t), the model-averaged curve.

        Parameters
        ----------
        t : array_like of float
            Months since the procedure.

        Returns
        -------
        ndarray
            Same shape as ``t``: 1 at ``t = 0``; NaN beyond ``t_max`` (never
            extrapolated), for negative ``t`` or when not estimable.
        """
        tt, inside, s_bar, _ = self._s_at(t)
        with np.errstate(over="ignore"):
            out = np.exp(-np.exp(s_bar))
        return np.where(inside, out, np.where((tt == 0) & self.estimable, 1.0, np.nan))

    def survival_ci(self, t: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Pointwise confidence limits of S(t), MATA-Wald on the log(-log S) scale.

        Parameters
        ----------
        t : array_like of float
            Months since the procedure.

        Returns
        -------
        (lower, upper) : tuple of ndarray
            Limits with the shape of ``t``, within [0, 1]; NaN where
            :meth:`survival` is NaN, (1, 1) at ``t = 0``.
        """
        tt, inside, _, (s, se) = self._s_at(t)
        w = np.array([wk for wk, _ in self._used()] or [np.nan])
        alpha = 1 - self.conf_level
        s_hi = _mata(s, se, w, alpha / 2)
        s_lo = _mata(s, se, w, 1 - alpha / 2)
        at0 = (tt == 0) & self.estimable
        with np.errstate(over="ignore"):
            lo = np.where(inside, np.exp(-np.exp(s_hi)), np.where(at0, 1.0, np.nan))
            hi = np.where(inside, np.exp(-np.exp(s_lo)), np.where(at0, 1.0, np.nan))
        return lo, hi

    def median(self) -> SplineMedian:
        """Median duration of relief with its MATA-Wald confidence interval, months.

        The estimate is where the averaged curve crosses 1/2; the interval
        averages the models' Wald intervals for the log median (see the module
        docstring). An upper limit past ``t_max`` is not extrapolated: it is
        ``inf`` with the note "upper limit beyond follow-up" (so is it when a
        model whose curve stays above 1/2 up to ``t_max`` has more than
        ``alpha / 2`` of the weight).

        Returns
        -------
        SplineMedian
            NaN with a note when not estimable or not reached.
        """
        if not self.estimable:
            return SplineMedian(math.nan, math.nan, math.nan, self.note or "not estimable")
        used = self._used()
        w = np.array([wk for wk, _ in used])
        k_min = min(float(m.knots[0]) for _, m in used)
        k_max = math.log(self.t_max)

        def s_bar(x: float) -> float:
            return sum(
                wk * float(spline(np.array([x]), m.knots, m.coefficients)[0]) for wk, m in used
            )

        if s_bar(k_max) < AT_MEDIAN:
            s_end = math.exp(-math.exp(s_bar(k_max)))
            return SplineMedian(
                math.nan,
                math.nan,
                math.nan,
                f"not reached: S = {s_end:.3f} at the last visit ({self.t_max:.3g} months)",
            )
        if s_bar(k_min) >= AT_MEDIAN:  # below every k_min each spline is g0 + g1 x
            g0 = sum(wk * float(m.coefficients[0]) for wk, m in used)
            g1 = sum(wk * float(m.coefficients[1]) for wk, m in used)
            x = (AT_MEDIAN - g0) / g1
        else:
            x = optimize.brentq(lambda u: s_bar(u) - AT_MEDIAN, k_min, k_max, xtol=1e-13)
        theta, se = np.array([m.log_median() for _, m in used]).T
        alpha = 1 - self.conf_level
        lo = float(_mata(theta[:, None], se[:, None], w, 1 - alpha / 2)[0])
        hi = float(_mata(theta[:, None], se[:, None], w, alpha / 2)[0])
        if math.isfinite(hi) and hi <= k_max:
            return SplineMedian(math.exp(x), math.exp(lo), math.exp(hi))
        note = f"upper limit beyond follow-up ({self.t_max:.3g} months)"
        return SplineMedian(math.exp(x), math.exp(lo), math.inf, note)


def _mata(theta: FloatArray, se: FloatArray, w: FloatArray, q: float) -> FloatArray:
    """Solve ``sum_k w_k Phi((theta_k - x) / se_k) = q`` for x, column by column.

    ``theta`` and ``se`` have shape (models, points); ``theta = inf`` (a value
    beyond follow-up) contributes ``w_k`` whatever x. NaN where no x solves it.
    With one model the root is ``theta + Phi^-1(1 - q) se`` (Wald), exactly.
    """
    if w.size == 1:
        with np.errstate(invalid="ignore"):
            return np.asarray(theta[0] + special.ndtri(1 - q) * se[0], dtype=float)
    finite = np.isfinite(theta)
    spread = 12 * np.where(finite, se, 0.0)
    lo = np.where(finite, theta - spread, np.inf).min(axis=0)
    hi = np.where(finite, theta + spread, -np.inf).max(axis=0)

    def excess(x: FloatArray) -> FloatArray:
        with np.errstate(invalid="ignore"):
            z = np.where(finite, (theta - x) / se, np.inf)
        return np.asarray(w @ special.ndtr(z) - q)

    solvable = (excess(lo) >= 0) & (excess(hi) <= 0)
    for _ in range(200):  # bisection: excess decreases in x
        mid = (lo + hi) / 2
        up = excess(mid) > 0
        lo, hi = np.where(up, mid, lo), np.where(up, hi, mid)
        if np.all(hi - lo < 1e-13):
            break
    return np.where(solvable, (lo + hi) / 2, np.nan)


def fit_spline(
    lower: npt.ArrayLike,
    upper: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
    *,
    cluster: npt.ArrayLike | None = None,
    df: int | Sequence[int] = DEFAULT_DF,
    conf_level: float = 0.95,
) -> SplineFit:
    """Fit the smooth relief curve to interval-censored durations of relief.

    Parameters
    ----------
    lower, upper : array_like of float
        Relief was lost in ``(lower, upper]`` months since the procedure
        (``0 <= lower < upper``); ``upper = inf`` when it was not seen to end.
    weights : array_like of float, optional
        Frequency weights of the rows (default 1).
    cluster : array_like, optional
        Patient id of each row: covariances are then cluster-robust (one
        patient's procedures may be correlated). Without it, rows are taken
        as independent (model-based covariance).
    df : int or sequence of int
        Degrees of freedom of the candidate splines (``df - 1`` interior
        knots each; 1 is Weibull), averaged with Akaike weights; one int for
        a single spline. Default ``(1, 2)``, chosen by simulation (module
        docstring).
    conf_level : float
        Confidence level of the intervals, in (0, 1).

    Returns
    -------
    SplineFit
        When there is no curve (no loss of relief seen, a single procedure,
        every loss before the first visit, fewer than two distinct visit
        times, or no candidate converging) every weight is 0, ``note`` says
        why, and the curve and median are NaN. No warning is raised.
    """
    asked = [df] if isinstance(df, int | np.integer) else list(df)
    if not asked or any(int(d) != d or d < 1 for d in asked):
        raise InputError(f"df must be positive integers, got {df!r}")
    dfs = sorted({int(d) for d in asked})
    if not 0 < conf_level < 1:
        raise InputError(f"conf_level must be in (0, 1), got {conf_level!r}")
    lo, hi, w = check(lower, upper, weights)
    codes: IntArray | None = None
    if cluster is not None:
        cl = np.asarray(cluster)
        if cl.shape != lo.shape:
            raise InputError(f"cluster must have shape {lo.shape}, got {cl.shape}")
        codes = pd.factorize(cl, use_na_sentinel=True)[0].astype(np.intp)
        if (codes < 0).any():
            raise InputError(f"cluster ids must not be missing (row {int(np.argmax(codes < 0))})")
    data = collapse(lo, hi, w)
    n_clusters = int(codes.max()) + 1 if codes is not None and codes.size else lo.size
    cov_type = "cluster-robust" if codes is not None else "model-based"
    t_max = float(data.times[-1]) if data.times.size else math.nan

    def result(models: list[SplineModel], weights: FloatArray, note: str) -> SplineFit:
        n, n_int = float(w.sum()), int(data.weight.size)
        return SplineFit(
            tuple(models), weights, cov_type, n, n_clusters, n_int, t_max, conf_level, note
        )

    why = not_estimable(data, w)
    if why:
        return result([], np.empty(0), f"not estimable: {why}")

    start = fit_weibull(data)
    models: list[SplineModel] = []
    notes: list[str] = []
    for d in dfs:
        knots, note = place_knots(data, d)
        if any(np.array_equal(knots, m.knots) for m in models):
            notes.append(f"df {d} skipped: {note}")
            continue
        models.append(fit_model(data, knots, note, start, codes, n_clusters))
        if not models[-1].converged:
            notes.append(f"df {knots.size - 1} not converged")
        elif note:
            notes.append(f"df {d}: {note}")
    aic = np.array([m.aic if m.converged else np.inf for m in models])
    if not np.isfinite(aic).any():
        return result(models, np.zeros(len(models)), "not estimable: no spline converged")
    wts = np.exp(-(aic - aic.min()) / 2)
    return result(models, wts / wts.sum(), "; ".join(notes))
