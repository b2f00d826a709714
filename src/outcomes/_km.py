"""Kaplan-Meier and Aalen-Johansen estimators for right-censored times.

Each subject contributes one time since the procedure, in months (days /
30.4375) or days (nothing here depends on the unit; results are in the unit
of the input), and either an event (end of relief) at that time or
right-censoring there. :func:`kaplan_meier` estimates the survival function
``S(t) = P(T > t)``; :func:`aalen_johansen` estimates cumulative incidence
functions when the event can be of one of several competing kinds.

The conventions are those of R's ``survival`` package (checked against 3.5-3;
``tests/r/km_reference.R`` holds the reference), so that numbers can be
compared with R output:

* Events at a time come before censoring at the same time: a subject censored
  at ``t`` is in the risk set at ``t``.
* Times are compared exactly. R merges floating-point near-ties first
  (``timefix = TRUE``); this module does not, so compute months from whole
  days the same way everywhere (``days / 30.4375``).
* Confidence intervals for ``S`` are R's ``conf.type = "log-log"`` (lifelines'
  exponential Greenwood interval), not R's default ``"log"``.
* The median and its confidence limits follow R's ``survmean`` rule, and the
  restricted mean and its standard error are R's ``print(fit, rmean = tau)``
  "rmean" and "se(rmean)" (see :meth:`KMFit.median`, :meth:`KMFit.rmst`).
* Variances are Greenwood's for unweighted data and for whole-number case
  weights (read as frequencies); with non-integer case weights R switches to
  the infinitesimal-jackknife ("robust") variance, and so does this module.
  Aalen-Johansen standard errors are always the infinitesimal jackknife, as
  in R's multi-state ``survfit``.

Everything is vectorised: one sort of the times, then cumulative sums over the
distinct times. A million subjects with distinct times take about 0.5 s for
Kaplan-Meier and 0.8 s for Aalen-Johansen (``benchmarks/bench_km.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt

from outcomes.errors import InputError

__all__ = [
    "CIFFit",
    "KMFit",
    "MedianSurvival",
    "RestrictedMean",
    "RiskTable",
    "aalen_johansen",
    "kaplan_meier",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

#: R's ``survmean`` calls ``S`` equal to 0.5 within this (``.Machine$double.eps^0.5``).
_MEDIAN_TOL: Final = float(np.finfo(np.float64).eps) ** 0.5


# --------------------------------------------------------------------------------------
# Input checks and grouping by distinct time
# --------------------------------------------------------------------------------------


def _frozen(a: npt.ArrayLike) -> FloatArray:
    out = np.array(a, dtype=np.float64)
    out.setflags(write=False)
    return out


def _frozen_int(a: npt.ArrayLike) -> IntArray:
    out = np.array(a, dtype=np.intp)
    out.setflags(write=False)
    return out


def _first_bad(mask: npt.NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask)[0])


def _check_time(time: npt.ArrayLike) -> FloatArray:
    t = np.asarray(time, dtype=np.float64)
    if t.ndim != 1:
        raise InputError(f"time must be one-dimensional, got shape {t.shape}")
    if t.size == 0:
        raise InputError("time is empty: there is nothing to estimate from")
    bad = ~np.isfinite(t) | (t < 0)
    if np.any(bad):
        i = _first_bad(bad)
        raise InputError(
            f"time[{i}] = {t[i].item()!r}: times must be finite and >= 0 "
            f"({int(bad.sum())} such value(s)); drop or correct those rows"
        )
    return t


def _check_length(name: str, a: np.ndarray, n: int) -> None:
    if a.shape != (n,):
        raise InputError(f"{name} has shape {a.shape}, expected ({n},) like time")


def _check_event(event: npt.ArrayLike, n: int) -> npt.NDArray[np.bool_]:
    e = np.asarray(event)
    _check_length("event", e, n)
    if e.dtype == np.bool_:
        return e
    bad = ~np.isin(e, (0, 1))
    if np.any(bad):
        i = _first_bad(bad)
        raise InputError(
            f"event[{i}] = {e[i].item()!r}: event must be True/1 (event) or False/0 (censored)"
        )
    return e.astype(np.bool_)


def _check_weights(weights: npt.ArrayLike | None, n: int) -> FloatArray | None:
    if weights is None:
        return None
    w = np.asarray(weights, dtype=np.float64)
    _check_length("weights", w, n)
    bad = ~np.isfinite(w) | (w <= 0)
    if np.any(bad):
        i = _first_bad(bad)
        raise InputError(
            f"weights[{i}] = {w[i].item()!r}: case weights must be finite and > 0; "
            "drop rows that should not count"
        )
    return w


def _group(time: FloatArray) -> tuple[FloatArray, IntArray, IntArray]:
    """Sort the times and index each observation by its distinct time.

    Returns
    -------
    distinct : ndarray, shape (m,)
        The sorted distinct times.
    order : ndarray, shape (n,)
        ``time[order]`` is sorted (a stable sort).
    index : ndarray, shape (n,)
        ``distinct[index] == time[order]``.
    """
    order = np.argsort(time, kind="stable")
    sorted_time = time[order]
    new = np.empty(sorted_time.size, dtype=np.bool_)
    new[0] = True
    np.not_equal(sorted_time[1:], sorted_time[:-1], out=new[1:])
    index = np.cumsum(new) - 1
    return sorted_time[new], order, index


def _count(index: IntArray, m: int, weights: npt.ArrayLike | None = None) -> FloatArray:
    """Total weight (count when unweighted) at each of ``m`` distinct times."""
    return np.asarray(np.bincount(index, weights=weights, minlength=m), dtype=np.float64)


def _product_limit(n_event: FloatArray, n_risk: FloatArray) -> FloatArray:
    """``S(t_j) = prod_{l <= j} (1 - d_l / n_l)``."""
    return np.asarray(np.cumprod(1.0 - n_event / n_risk), dtype=np.float64)


def _reverse_cumsum(a: FloatArray) -> FloatArray:
    """``out[j] = sum(a[j:])`` along the last axis."""
    out: FloatArray = np.cumsum(a[..., ::-1], axis=-1)[..., ::-1]
    return out


def _shift_right(a: FloatArray, fill: float) -> FloatArray:
    """``out[..., j] = a[..., j - 1]``, ``out[..., 0] = fill``."""
    out = np.empty_like(a)
    out[..., 0] = fill
    out[..., 1:] = a[..., :-1]
    return out


def _greenwood_terms(n_risk: FloatArray, n_event: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``d / (n (n - d))`` and ``1 / (n - d)``, both set to 0 where ``n == d``.

    Where everyone at risk has the event the survival curve is 0 from there
    on, and R's ``survmean`` likewise drops the term.
    """
    alive = n_risk - n_event
    safe = alive > 0
    denom = np.where(safe, alive, 1.0)
    inv_alive = np.where(safe, 1.0 / denom, 0.0)
    term = np.where(safe, n_event / (n_risk * denom), 0.0)
    return term, inv_alive


def _ij_survival_variance(
    surv: FloatArray,
    n_risk: FloatArray,
    n_event: FloatArray,
    w2_event: FloatArray,
    w2_censor: FloatArray,
) -> FloatArray:
    """Infinitesimal-jackknife variance of the product-limit ``S`` at each distinct time.

    ``sum_i (w_i dS(t)/dw_i)^2``, each observation its own cluster (R's
    ``robust = TRUE`` with no ``id``). With ``G(t) = sum_{s <= t} d / (n (n - d))``
    the derivative is ``-S(t) (h(T_i) - G(T_i))`` for an event at ``T_i < t``
    (``h = 1 / (n - d)``), ``S(t) G(T_i)`` for a censoring at ``T_i < t``, and
    ``S(t) G(t)`` while ``T_i >= t`` (events at ``t`` count as the first kind).
    Every term is a square, so nothing cancels. With unit weights this equals
    Greenwood's variance.

    Parameters
    ----------
    surv, n_risk, n_event : ndarray, shape (m,)
        ``S``, weighted number at risk and weighted events at each distinct time.
    w2_event, w2_censor : ndarray, shape (m,)
        Sums of squared weights of the events and of the censorings at each time.
    """
    term, inv_alive = _greenwood_terms(n_risk, n_event)
    g = np.cumsum(term)
    q = w2_event * (inv_alive - g) ** 2 + w2_censor * g**2
    w2_later = _reverse_cumsum(w2_event + w2_censor) - (w2_event + w2_censor)
    var: FloatArray = surv**2 * (np.cumsum(q) + w2_later * g**2)
    return var


def _loglog_ci(
    surv: FloatArray, se_log: FloatArray, conf_level: float
) -> tuple[FloatArray, FloatArray]:
    """R's ``survfit_confint(..., conf.type = "log-log")``; NaN where S is 0 or 1."""
    z = NormalDist().inv_cdf(1.0 - (1.0 - conf_level) / 2.0)
    lower = np.full(surv.shape, np.nan)
    upper = np.full(surv.shape, np.nan)
    ok = (surv > 0) & (surv < 1)
    log_s = np.log(surv[ok])
    centre = np.log(-log_s)
    half = z * se_log[ok] / log_s
    lower[ok] = np.exp(-np.exp(centre - half))
    upper[ok] = np.exp(-np.exp(centre + half))
    return lower, upper


def _step_index(grid: FloatArray, t: npt.ArrayLike) -> tuple[FloatArray, IntArray]:
    """Query times as floats, and the index of the last grid time ``<= t`` (-1 before)."""
    times = np.asarray(t, dtype=np.float64)
    if np.any(np.isnan(times)):
        raise InputError("query times must not be NaN")
    idx = np.searchsorted(grid, times, side="right") - 1
    return times, idx


def _step(values: FloatArray, idx: IntArray, before: float) -> FloatArray:
    """Right-continuous step function: ``values[idx]``, ``before`` where ``idx < 0``."""
    out: FloatArray = np.where(idx >= 0, values[np.maximum(idx, 0)], before)
    return out


def _r_minmin(y: FloatArray, x: FloatArray) -> float:
    """R's ``survmean`` ``minmin``: first ``x`` with ``y <= 0.5`` (midpoint if flat at 0.5).

    NaN entries of ``y`` (undefined confidence limits) are skipped, as in R.
    """
    keep = ~np.isnan(y) & (y < 0.5 + _MEDIAN_TOL)
    if not np.any(keep):
        return float("nan")
    xs, ys = x[keep], y[keep]
    lower = ys < ys[0]
    if abs(ys[0] - 0.5) < _MEDIAN_TOL and np.any(lower):
        return float((xs[0] + xs[np.argmax(lower)]) / 2.0)
    return float(xs[0])


# --------------------------------------------------------------------------------------
# Kaplan-Meier
# --------------------------------------------------------------------------------------


class MedianSurvival(NamedTuple):
    """Median time to event and its confidence limits (NaN: not reached)."""

    estimate: float
    lower: float
    upper: float


class RestrictedMean(NamedTuple):
    """Restricted mean survival time up to ``tau`` and its standard error."""

    estimate: float
    std_err: float


@dataclass(frozen=True, eq=False)
class RiskTable:
    """Counts at requested times, as R's ``summary(fit, times = t, extend = TRUE)``.

    Attributes
    ----------
    time : ndarray of float
        The requested times, in the unit of the fit, in the order given.
    n_risk : ndarray of float
        Number (total weight) at risk at ``time``: observations with time
        ``>= time``.
    n_event : ndarray of float
        Cumulative number (weight) of events at or before ``time``.
    n_censor : ndarray of float
        Cumulative number (weight) censored at or before ``time``.
    """

    time: FloatArray
    n_risk: FloatArray
    n_event: FloatArray
    n_censor: FloatArray


@dataclass(frozen=True, eq=False)
class KMFit:
    """A Kaplan-Meier estimate of ``S(t) = P(T > t)``.

    Every array has one entry per distinct observed time (events and
    censorings), like R's ``survfit`` object.

    Attributes
    ----------
    time : ndarray of float, shape (m,)
        Sorted distinct times, in the unit of the input (months or days).
    n_risk : ndarray of float, shape (m,)
        Number at risk just before each time (total case weight).
    n_event : ndarray of float, shape (m,)
        Events at each time (total case weight).
    n_censor : ndarray of float, shape (m,)
        Censorings at each time (total case weight).
    survival : ndarray of float, shape (m,)
        ``S(t)`` just after each time (right-continuous).
    std_err : ndarray of float, shape (m,)
        Standard error of ``S(t)``: Greenwood's, or the infinitesimal jackknife
        for non-integer weights (see ``robust``). NaN where ``S`` has dropped to
        0 under Greenwood (its last term ``d / (n (n - d))`` is undefined), as
        in R's ``summary()``.
    lower, upper : ndarray of float, shape (m,)
        Pointwise log-log confidence limits for ``S(t)``, identical to R's
        ``survfit(..., conf.type = "log-log")``: NaN where ``S`` is exactly 1 or 0,
        where that interval is not defined.
    conf_level : float
        Confidence level of ``lower`` and ``upper`` (0.95 for 95%).
    robust : bool
        True when ``std_err`` is the infinitesimal-jackknife variance (non-integer
        case weights), False for Greenwood.
    """

    time: FloatArray
    n_risk: FloatArray
    n_event: FloatArray
    n_censor: FloatArray
    survival: FloatArray
    std_err: FloatArray
    lower: FloatArray
    upper: FloatArray
    conf_level: float
    robust: bool

    def survival_at(self, t: npt.ArrayLike) -> FloatArray:
        """``S(t)``: the right-continuous step function, 1 before the first time.

        Parameters
        ----------
        t : array_like of float
            Times, in the unit of the fit. After the last observed time ``S``
            stays at its last value.

        Returns
        -------
        ndarray of float, the shape of ``t``
        """
        _, idx = _step_index(self.time, t)
        return _step(self.survival, idx, 1.0)

    def ci_at(self, t: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Confidence limits for ``S(t)`` as step functions.

        Parameters
        ----------
        t : array_like of float
            Times, in the unit of the fit.

        Returns
        -------
        lower, upper : ndarray of float, the shape of ``t``
            The limits at the last observed time ``<= t``; (1, 1) before the
            first observed time, as R's ``summary(fit, times = t)`` reports.
            NaN where ``S`` is exactly 1 or 0 (see :class:`KMFit`).
        """
        _, idx = _step_index(self.time, t)
        return _step(self.lower, idx, 1.0), _step(self.upper, idx, 1.0)

    def risk_table(self, t: npt.ArrayLike) -> RiskTable:
        """Numbers at risk and cumulative events and censorings at given times.

        Parameters
        ----------
        t : array_like of float
            Times, in the unit of the fit, e.g. 0, 3, 6, 12 months.

        Returns
        -------
        RiskTable
            ``n_risk`` equals R's ``summary(fit, times = t, extend = TRUE)$n.risk``
            (0 after the last time); ``n_event`` and ``n_censor`` are the
            cumulative sums of that summary's ``n.event`` and ``n.censor``.
        """
        times, idx = _step_index(self.time, t)
        first_at_or_after = np.searchsorted(self.time, times, side="left")
        n_risk_padded = np.append(self.n_risk, 0.0)
        return RiskTable(
            time=_frozen(times),
            n_risk=_frozen(n_risk_padded[first_at_or_after]),
            n_event=_frozen(_step(np.cumsum(self.n_event), idx, 0.0)),
            n_censor=_frozen(_step(np.cumsum(self.n_censor), idx, 0.0)),
        )

    def median(self) -> MedianSurvival:
        """Median time to event with confidence limits, by R's rule.

        R's ``survmean``: the median is the first time at which ``S <= 0.5``
        (within ``sqrt(machine eps)``), except that when ``S`` equals 0.5 there
        and drops lower later, it is the midpoint between that time and the
        time of the next drop. The lower limit applies the same rule to the
        lower confidence curve, the upper limit to the upper curve (so they
        follow ``conf_level``). lifelines instead takes the first time with
        ``S <= 0.5``.

        Returns
        -------
        MedianSurvival
            ``(estimate, lower, upper)`` in the unit of the fit; NaN where the
            curve never reaches 0.5 ("not reached").
        """
        return MedianSurvival(
            estimate=_r_minmin(self.survival, self.time),
            lower=_r_minmin(self.lower, self.time),
            upper=_r_minmin(self.upper, self.time),
        )

    def rmst(self, tau: float) -> RestrictedMean:
        """Restricted mean survival time ``integral_0^tau S(t) dt`` and its standard error.

        Follows R's ``print(fit, rmean = tau)`` ("rmean" and "se(rmean)"):
        ``S`` is extended flat beyond the last observed time, and the variance
        is the Greenwood-type ``sum_j A_j^2 d_j / (n_j (n_j - d_j))`` over the
        times ``t_j <= tau``, where ``A_j = integral_{t_j}^tau S(t) dt``; terms
        with ``n_j == d_j`` are 0. This is the variance of the estimate, unlike
        lifelines' ``restricted_mean_survival_time(..., return_variance=True)``,
        which returns the variance of ``min(T, tau)``. R uses this formula for
        weighted fits as well (with weighted ``n`` and ``d``).

        Parameters
        ----------
        tau : float
            Horizon, > 0, in the unit of the fit (e.g. 12 months).

        Returns
        -------
        RestrictedMean
            ``(estimate, std_err)`` in the unit of the fit.
        """
        tau = float(tau)
        if not (np.isfinite(tau) and tau > 0):
            raise InputError(f"tau = {tau!r}: the horizon must be finite and > 0")
        k = int(np.searchsorted(self.time, tau, side="right"))
        ends = np.append(self.time[:k], tau)
        heights = np.concatenate(([1.0], self.survival[:k]))
        rectangles = np.diff(ends, prepend=0.0) * heights
        term, _ = _greenwood_terms(self.n_risk[:k], self.n_event[:k])
        areas_after = _reverse_cumsum(rectangles[1:])
        variance = float(np.sum(areas_after**2 * term))
        return RestrictedMean(estimate=float(np.sum(rectangles)), std_err=variance**0.5)


def kaplan_meier(
    time: npt.ArrayLike,
    event: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
    *,
    conf_level: float = 0.95,
) -> KMFit:
    """Kaplan-Meier (product-limit) estimate for right-censored times.

    Parameters
    ----------
    time : array_like of float, shape (n,)
        Time from the procedure to the event or to censoring, >= 0, in months
        (days / 30.4375) or days; the fit is in the same unit.
    event : array_like of bool, shape (n,)
        True (or 1) if the event (end of relief) was observed at ``time``,
        False (or 0) if the subject was right-censored there.
    weights : array_like of float, shape (n,), optional
        Case weights, > 0. Whole numbers are frequencies and keep Greenwood's
        variance; any non-integer weight switches to the infinitesimal-jackknife
        variance, as R's ``survfit`` does.
    conf_level : float, default 0.95
        Level of the pointwise log-log confidence interval, in (0, 1).

    Returns
    -------
    KMFit
        Agrees with R's ``survfit(Surv(time, event) ~ 1, weights = weights,
        conf.type = "log-log", conf.int = conf_level)``.

    Raises
    ------
    InputError
        If the arrays differ in length, a time is negative or not finite, an
        event flag is not boolean, or a weight is not positive.
    """
    if not 0.0 < conf_level < 1.0:
        raise InputError(f"conf_level = {conf_level!r} must be between 0 and 1 (e.g. 0.95)")
    t = _check_time(time)
    n = t.size
    e = _check_event(event, n)
    w = _check_weights(weights, n)
    distinct, order, index = _group(t)
    m = distinct.size
    e_sorted = e[order]
    w_sorted = np.ones(n) if w is None else w[order]

    w_event = np.where(e_sorted, w_sorted, 0.0)
    w_censor = w_sorted - w_event
    n_event = _count(index, m, w_event)
    n_censor = _count(index, m, w_censor)
    n_risk = _reverse_cumsum(n_event + n_censor)
    surv = _product_limit(n_event, n_risk)

    robust = w is not None and bool(np.any(w != np.floor(w)))
    if robust:
        var = _ij_survival_variance(
            surv,
            n_risk,
            n_event,
            _count(index, m, w_event**2),
            _count(index, m, w_censor**2),
        )
        std_err = np.sqrt(var)
        with np.errstate(divide="ignore", invalid="ignore"):
            se_log = np.where(std_err == 0, 0.0, std_err / surv)
    else:
        term, _ = _greenwood_terms(n_risk, n_event)
        se_log = np.sqrt(np.cumsum(term))
        dead = np.cumsum(n_event >= n_risk) > 0  # S is 0 from here on
        se_log[dead] = np.inf
        std_err = np.where(dead, np.nan, surv * np.where(dead, 0.0, se_log))
    lower, upper = _loglog_ci(surv, se_log, conf_level)
    return KMFit(
        time=_frozen(distinct),
        n_risk=_frozen(n_risk),
        n_event=_frozen(n_event),
        n_censor=_frozen(n_censor),
        survival=_frozen(surv),
        std_err=_frozen(std_err),
        lower=_frozen(lower),
        upper=_frozen(upper),
        conf_level=float(conf_level),
        robust=robust,
    )


# --------------------------------------------------------------------------------------
# Aalen-Johansen (competing risks)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CIFFit:
    """Aalen-Johansen estimate of cumulative incidence functions for competing risks.

    Arrays run over the sorted distinct observed times (events and censorings),
    like R's multi-state ``survfit`` object.

    Attributes
    ----------
    time : ndarray of float, shape (m,)
        Sorted distinct times, in the unit of the input (months or days).
    causes : ndarray of int, shape (K,)
        The cause codes of the rows of ``cif``, ``cif_std_err`` and ``n_event``.
    n_risk : ndarray of float, shape (m,)
        Number at risk just before each time.
    n_event : ndarray of float, shape (K, m)
        Events of each cause at each time.
    n_censor : ndarray of float, shape (m,)
        Censorings at each time.
    survival : ndarray of float, shape (m,)
        Probability of being free of every event just after each time (the
        Kaplan-Meier estimate for "any event"; R's state ``"(s0)"``).
    survival_std_err : ndarray of float, shape (m,)
        Its infinitesimal-jackknife standard error (equal to Greenwood's for
        these unweighted data; 0 where ``survival`` is 0).
    cif : ndarray of float, shape (K, m)
        Cumulative incidence of each cause: probability of having had an event
        of that cause, first, by each time. ``survival + cif.sum(axis=0) == 1``.
    cif_std_err : ndarray of float, shape (K, m)
        Infinitesimal-jackknife standard errors of ``cif``, R's ``std.err``.
    """

    time: FloatArray
    causes: IntArray
    n_risk: FloatArray
    n_event: FloatArray
    n_censor: FloatArray
    survival: FloatArray
    survival_std_err: FloatArray
    cif: FloatArray
    cif_std_err: FloatArray

    def cif_at(self, t: npt.ArrayLike) -> FloatArray:
        """Cumulative incidence of each cause at given times (right-continuous steps).

        Parameters
        ----------
        t : array_like of float, shape (T,)
            Times, in the unit of the fit; 0 before the first observed time,
            the last value after the last.

        Returns
        -------
        ndarray of float, shape (K, T)
            Row ``k`` is the cause ``causes[k]``.
        """
        times, idx = _step_index(self.time, np.atleast_1d(np.asarray(t, dtype=np.float64)))
        valid = idx >= 0
        out: FloatArray = np.where(valid, self.cif[:, np.maximum(idx, 0)], 0.0)
        return out.reshape(self.cif.shape[0], times.size)

    def survival_at(self, t: npt.ArrayLike) -> FloatArray:
        """Probability of being event-free at given times (1 before the first time).

        Parameters
        ----------
        t : array_like of float
            Times, in the unit of the fit.

        Returns
        -------
        ndarray of float, the shape of ``t``
        """
        _, idx = _step_index(self.time, t)
        return _step(self.survival, idx, 1.0)


def _ij_cif_variance(
    surv: FloatArray,
    cif: FloatArray,
    n_risk: FloatArray,
    n_event: FloatArray,
    n_any: FloatArray,
    n_censor: FloatArray,
) -> FloatArray:
    """Infinitesimal-jackknife variance of each cumulative incidence, shape (K, m).

    For unit weights, ``sum_i U_i(t)^2`` with ``U_i = dF_k(t)/dw_i`` the exact
    derivative of the Aalen-Johansen estimate, which is what R's multi-state
    ``survfit`` computes (by a recursion over times for every observation).
    Here the observations are grouped by (time, kind), and the sum over those
    with ``T_i < t`` is carried by three running sums.

    With ``F_k(t) = sum_{s <= t} S(s-) d_k(s) / n(s)``, ``G`` and ``h`` as in
    :func:`_ij_survival_variance`, ``B_k(t) = sum_{s <= t} S(s-) d_k(s) / n(s)^2``,
    ``C_k(t) = sum_{s <= t} S(s-) d_k(s) G(s-) / n(s)`` and ``D_k = C_k - B_k``:

    * an observation still at risk at ``t`` (``T_i >= t``) has
      ``U = D_k(t) + [event of cause k at t] S(t-) / n(t)``;
    * one that left at ``T_i = s < t`` has ``U = a + F_k(t) b`` with
      ``b = G(s) - [event] h(s)`` and
      ``a = D_k(s) + [cause k] S(s-) / n(s) - F_k(s) b``.

    Parameters
    ----------
    surv : ndarray, shape (m,)
        Event-free probability ``S`` at each distinct time.
    cif : ndarray, shape (K, m)
        Cumulative incidences.
    n_risk, n_any, n_censor : ndarray, shape (m,)
        Numbers at risk, with an event of any cause, censored, at each time.
    n_event : ndarray, shape (K, m)
        Events of each cause at each time.
    """
    term, inv_alive = _greenwood_terms(n_risk, n_any)
    g = np.cumsum(term)
    g_before = _shift_right(g, 0.0)
    jump = _shift_right(surv, 1.0) / n_risk  # S(t-) / n(t)
    hazard_k = n_event / n_risk
    d = np.cumsum(jump * n_event * g_before, axis=1) - np.cumsum(jump * hazard_k, axis=1)

    b_event = g - inv_alive
    b_censor = g
    a_own = d + jump - cif * b_event  # left by an event of cause k
    a_other = d - cif * b_event  # left by an event of another cause
    a_censor = d - cif * b_censor  # left by censoring
    n_other = n_any - n_event
    p0 = n_event * a_own**2 + n_other * a_other**2 + n_censor * a_censor**2
    p1 = (n_event * a_own + n_other * a_other) * b_event + n_censor * a_censor * b_censor
    p2 = n_any * b_event**2 + n_censor * b_censor**2
    left_before = (
        _shift_right(np.cumsum(p0, axis=1), 0.0)
        + 2.0 * cif * _shift_right(np.cumsum(p1, axis=1), 0.0)
        + cif**2 * _shift_right(np.cumsum(p2), 0.0)
    )
    at_risk = (n_risk - n_event) * d**2 + n_event * (d + jump) ** 2
    var: FloatArray = np.maximum(left_before + at_risk, 0.0)
    return var


def aalen_johansen(
    time: npt.ArrayLike,
    cause: npt.ArrayLike,
    *,
    causes: Sequence[int] | None = None,
) -> CIFFit:
    """Aalen-Johansen cumulative incidence functions for competing risks.

    Parameters
    ----------
    time : array_like of float, shape (n,)
        Time from the procedure to the first event or to censoring, >= 0, in
        months (days / 30.4375) or days; the fit is in the same unit.
    cause : array_like of int, shape (n,)
        0 if right-censored at ``time``, otherwise the code ``k >= 1`` of the
        kind of event that happened first (e.g. 1 = end of relief, 2 = repeat
        procedure). Every non-zero code is an event that ends the time at risk.
    causes : sequence of int, optional
        Codes (>= 1) whose cumulative incidences are returned, in this order;
        codes absent from the data give an incidence of 0. Default: the
        distinct non-zero codes in ``cause``, sorted.

    Returns
    -------
    CIFFit
        Agrees with R's ``survfit(Surv(time, factor(cause, 0:K)) ~ 1)``:
        ``survival`` is ``pstate[, 1]`` (state ``"(s0)"``), ``cif[k]`` the
        column of cause ``causes[k]``, and the standard errors are R's
        ``std.err`` (infinitesimal jackknife). Tied times are handled exactly,
        with no random jitter (lifelines' ``AalenJohansenFitter`` jitters ties).

    Raises
    ------
    InputError
        If the arrays differ in length, a time is negative or not finite, or a
        cause code is not a non-negative integer.
    """
    t = _check_time(time)
    n = t.size
    c_raw = np.asarray(cause)
    _check_length("cause", c_raw, n)
    try:
        c_float = c_raw.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"cause must be integer codes (0 = censored), got {c_raw.dtype}") from exc
    bad = ~np.isfinite(c_float) | (c_float < 0) | (c_float != np.round(c_float))
    if np.any(bad):
        i = _first_bad(bad)
        raise InputError(
            f"cause[{i}] = {c_raw[i].item()!r}: "
            "cause must be 0 (censored) or an event code 1, 2, ..."
        )
    codes = c_float.astype(np.intp)
    if causes is None:
        reported = np.unique(codes[codes > 0])
    else:
        reported = np.asarray(causes, dtype=np.intp).reshape(-1)
        if np.any(reported < 1) or np.unique(reported).size != reported.size:
            raise InputError(f"causes = {list(causes)!r} must be distinct event codes >= 1")

    distinct, order, index = _group(t)
    m = distinct.size
    codes_sorted = codes[order]
    is_event = codes_sorted > 0
    n_any = _count(index[is_event], m)
    n_censor = _count(index[~is_event], m)
    n_event = np.zeros((reported.size, m))
    for k, code in enumerate(reported):  # loop over causes, not observations
        n_event[k] = _count(index[codes_sorted == code], m)
    n_risk = _reverse_cumsum(n_any + n_censor)

    surv = _product_limit(n_any, n_risk)
    jump = _shift_right(surv, 1.0) / n_risk
    cif = np.cumsum(jump * n_event, axis=1)
    surv_var = _ij_survival_variance(surv, n_risk, n_any, n_any, n_censor)
    cif_var = _ij_cif_variance(surv, cif, n_risk, n_event, n_any, n_censor)
    return CIFFit(
        time=_frozen(distinct),
        causes=_frozen_int(reported),
        n_risk=_frozen(n_risk),
        n_event=_frozen(n_event),
        n_censor=_frozen(n_censor),
        survival=_frozen(surv),
        survival_std_err=_frozen(np.sqrt(surv_var)),
        cif=_frozen(cif),
        cif_std_err=_frozen(np.sqrt(cif_var)),
    )
