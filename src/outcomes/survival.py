"""How long relief lasts: survival curves of relief duration, with summaries.

The default estimator is the Turnbull NPMLE for interval-censored durations
(:mod:`outcomes._npmle`), with a bootstrap over patients for confidence
intervals (:mod:`outcomes._resample`). All times are months since the
procedure.

The NPMLE says how much probability of losing relief lies in each Turnbull
interval, not where inside it. Outside those intervals it is unique
("identified") and every value reported is the NPMLE's own: the curve is flat
between them. Inside one, the value shown spreads the interval's probability
evenly across it (the curve is linear there), and the range the data allow is
reported beside it. Landmarks in months are evaluated at whole days
(:func:`outcomes.io.whole_days`: 24 months is day 730); nothing is estimated
beyond the last follow-up.

Which estimate each output shows: the relief probabilities at landmarks, the
restricted mean and the risk table come from the NPMLE; the median comes from
the smooth curve (:mod:`outcomes._spline`, Royston-Parmar splines averaged
with Akaike weights), because between clusters of visits the NPMLE cannot say
where the curve crosses one half, and figures draw both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from outcomes.errors import InputError
from outcomes.io import DAYS_PER_MONTH, whole_days

if TYPE_CHECKING:
    from outcomes import _npmle

__all__ = [
    "Estimate",
    "ReliefCurve",
    "SmoothCurve",
    "cumulative_incidence",
    "fit_km",
    "fit_npmle",
    "landmark_months",
    "risk_table",
]

DEFAULT_BOOT = 200
#: Groups of the delete-a-group jackknife behind the restricted mean's interval.
JACKKNIFE_GROUPS = 100
#: Slack when comparing times in months that come from whole days.
_EPS = 1e-9


@dataclass(frozen=True)
class Estimate:
    """A number with its confidence interval.

    ``note`` says why a value is missing ("not reached", "beyond follow-up")
    or how it was obtained ("extrapolated"). A limit that is not reached
    within follow-up is ``inf``.
    """

    estimate: float
    lower: float
    upper: float
    note: str = ""
    std_err: float = math.nan

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "estimate": _json(self.estimate),
            "lower": _json(self.lower),
            "upper": _json(self.upper),
        }
        if not math.isnan(self.std_err):
            out["std_err"] = _json(self.std_err)
        if self.note:
            out["note"] = self.note
        return out


def _json(x: float) -> float | None:
    """Finite floats as is; NaN and infinities as None (JSON has neither)."""
    return float(x) if math.isfinite(x) else None


def landmark_months(months: npt.ArrayLike, *, whole_day: bool = True) -> np.ndarray:
    """The time, in months, at which a landmark of ``months`` is evaluated.

    With ``whole_day`` (times are days / 30.4375), the landmark's whole day
    (:func:`outcomes.io.whole_days`) in months: 24 months is day 730, 730 /
    30.4375 = 23.984 months. Otherwise ``months`` itself.
    """
    m = np.asarray(months, dtype=float)
    if not whole_day:
        return m
    out: np.ndarray = whole_days(m) / DAYS_PER_MONTH
    return out


#: Points at which the smooth curve is tabulated for figures.
SMOOTH_POINTS = 241


@dataclass(frozen=True, eq=False)
class SmoothCurve:
    """The smooth relief curve, tabulated for figures.

    Attributes
    ----------
    times : ndarray
        Months from 0 to the last visit.
    survival, lower, upper : ndarray
        The curve and its pointwise 95% band there.
    method : str
        What the curve is, in words.
    """

    times: np.ndarray
    survival: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    method: str


@dataclass(frozen=True, eq=False)
class ReliefCurve:
    """Estimated probability that relief lasts beyond t, with summaries.

    Attributes
    ----------
    method : str
        ``"npmle"`` (Turnbull, default) or ``"km"`` (naive Kaplan-Meier), or
        a parametric family.
    times, survival, lower, upper : ndarray
        The curve and its pointwise confidence band at knots, months from 0.
        Between knots the NPMLE is linear (``step=False``): flat between
        Turnbull intervals, linear across each (a knot may repeat where a
        point mass drops the curve). Kaplan-Meier is a right-continuous step
        function (``step=True``).
    unidentified : ndarray, shape (k, 2)
        Turnbull intervals holding probability mass, in months: where the
        data cannot say when relief was lost.
    identified_until : float
        Last follow-up time, months: nothing is estimated beyond it.
    n, n_events : int
        Procedures analysed, and how many were seen to lose relief.
    n_boot : int
        Bootstrap resamples behind the intervals (0 for analytic intervals).
    conf_level : float
    relief_at : DataFrame
        At each landmark: ``months``, ``estimate``, ``lower``, ``upper``,
        ``note``, and for the NPMLE ``identified`` (bool) with ``bound_low``
        and ``bound_high``, the smallest and largest value the data allow
        (equal to ``estimate`` where identified).
    median : Estimate
        Median duration of relief, months ("not reached" when the curve
        stays above 0.5). For the NPMLE, read off the smooth curve.
    rmst : Estimate
        Restricted mean duration of relief up to ``tau_months``, months.
    tau_months : float
    smooth : SmoothCurve or None
        The smooth curve behind the NPMLE's median (None for other methods
        or when it cannot be fitted).
    n_clusters : int
        Patients behind the intervals (the unit of resampling); equals ``n``
        when each procedure was its own.
    whole_day : bool
        Landmarks are evaluated at whole days (see :func:`landmark_months`).
    """

    method: str
    times: np.ndarray
    survival: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    step: bool
    unidentified: np.ndarray
    identified_until: float
    n: int
    n_events: int
    n_boot: int
    conf_level: float
    relief_at: pd.DataFrame
    median: Estimate
    rmst: Estimate
    tau_months: float
    extra: dict[str, Any] = field(default_factory=dict)
    n_clusters: int = 0
    whole_day: bool = True
    smooth: SmoothCurve | None = None

    def covers(self, months: float) -> bool:
        """Whether follow-up reaches the landmark ``months`` (compared in whole days)."""
        t = float(landmark_months(months, whole_day=self.whole_day))
        return t <= self.identified_until + _EPS


# --------------------------------------------------------------------------- #
# the reported NPMLE curve, for the point fit and many replicates at once


def _npmle_knots(fit: _npmle.TurnbullFit, last: float) -> tuple[np.ndarray, np.ndarray]:
    """Knots of the reported curve (months) and, for each, its column of the tail sums.

    ``S`` at knot k is ``tail[:, column[k]]`` with ``tail[:, j] = sum_{i >= j}
    mass_i``: 1 at 0; at the left end ``q_j`` of every Turnbull interval with
    mass, ``tail[j]`` (its mass is still to come); at its right end ``p_j``,
    ``tail[j + 1]``. Between ``p_j`` and the next ``q`` the curve is flat; it
    stays flat after the last interval up to ``last``, the last follow-up
    (an open-ended last interval with mass starts there: S is not identified
    after it).
    """
    pos = np.flatnonzero(fit.mass > 0)
    finite = pos[np.isfinite(fit.right[pos])]
    knots = np.column_stack([fit.left[finite], fit.right[finite]]).ravel()
    column = np.column_stack([finite, finite + 1]).ravel()
    open_end = np.flatnonzero(~np.isfinite(fit.right))
    end = int(open_end[0]) if open_end.size else fit.mass.size  # tail[m] is 0
    if knots.size == 0 or last > knots[-1]:
        knots = np.r_[knots, last]
        column = np.r_[column, end]
    knots, column = np.r_[0.0, knots], np.r_[0, column].astype(np.intp)
    # adjacent intervals share a knot with the same value: keep one
    keep = np.r_[True, (knots[1:] != knots[:-1]) | (column[1:] != column[:-1])]
    return knots[keep], column[keep]


def _tails(masses: np.ndarray) -> np.ndarray:
    """``tail[:, j] = sum_{i >= j} masses[:, i]``, shape (r, m + 1), clipped to [0, 1]."""
    tail = np.zeros((masses.shape[0], masses.shape[1] + 1))
    np.cumsum(masses[:, ::-1], axis=1, out=tail[:, -2::-1])
    out: np.ndarray = np.clip(tail / tail[:, :1], 0.0, 1.0)
    return out


def _interp(knots: np.ndarray, surv: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Row-wise linear interpolation of S (rows) at ``t``; right-continuous at a repeated knot."""
    t = np.clip(t, knots[0], knots[-1])
    k = np.clip(np.searchsorted(knots, t, side="right"), 1, knots.size - 1)
    x0, x1 = knots[k - 1], knots[k]
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(x1 > x0, (t - x0) / (x1 - x0), 0.0)
    out: np.ndarray = surv[:, k - 1] * (1 - w) + surv[:, k] * w
    return out


def _areas(knots: np.ndarray, surv: np.ndarray, tau: float) -> np.ndarray:
    """Integral of each row's S from 0 to tau (trapezoids on the knots; tau within them)."""
    inside = knots < tau
    x = np.r_[knots[inside], tau]
    y = np.concatenate([surv[:, inside], _interp(knots, surv, np.array([tau]))], axis=1)
    out: np.ndarray = ((y[:, :-1] + y[:, 1:]) / 2) @ np.diff(x)
    return out


def _logit(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        out: np.ndarray = np.log(p) - np.log1p(-p)
    return out


def _probability_ci(
    point: np.ndarray, boot: np.ndarray, conf_level: float, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence limits for probabilities from bootstrap replicates (rows).

    Normal on the logit scale with the bootstrap standard error (replicates
    clipped to [0.5/n, 1 - 0.5/n] so that one at 0 or 1 stays finite); where
    the estimate itself is 0 or 1, the percentile interval.
    """
    from scipy import stats

    z = float(stats.norm.ppf(0.5 + conf_level / 2))
    a = (1 - conf_level) / 2
    eps = 0.5 / n
    inner = (point > 0) & (point < 1)
    lg = _logit(np.clip(point, eps, 1 - eps))
    se = np.std(_logit(np.clip(boot, eps, 1 - eps)), axis=0, ddof=1)
    lo = np.where(inner, 1 / (1 + np.exp(-(lg - z * se))), np.quantile(boot, a, axis=0))
    hi = np.where(inner, 1 / (1 + np.exp(-(lg + z * se))), np.quantile(boot, 1 - a, axis=0))
    return np.minimum(lo, point), np.maximum(hi, point)


def _identification_notes(
    fit: _npmle.TurnbullFit, t: np.ndarray, low: np.ndarray, high: np.ndarray
) -> np.ndarray:
    """For each time where S is not identified, the words saying so; "" elsewhere."""
    notes = np.full(t.size, "", dtype=object)
    j = np.minimum(np.searchsorted(fit.right, t, side="right"), fit.right.size - 1)
    for i in np.flatnonzero(high - low > 1e-12):  # a handful of landmarks
        q, p = fit.left[j[i]], fit.right[j[i]]
        notes[i] = (
            f"not identified: relief was lost between {q:.1f} and {p:.1f} months, "
            f"not when, so the data allow {100 * low[i]:.0f}-{100 * high[i]:.0f}%; "
            "shown: that loss spread evenly over the interval"
        )
    return notes


def fit_npmle(
    lower: npt.ArrayLike,
    upper: npt.ArrayLike,
    *,
    cluster: npt.ArrayLike | None = None,
    landmarks_months: tuple[float, ...] = (3, 6, 12, 18, 24),
    tau_months: float = 24.0,
    n_boot: int = DEFAULT_BOOT,
    seed: int = 0,
    conf_level: float = 0.95,
    whole_day: bool = True,
) -> ReliefCurve:
    """Turnbull NPMLE of relief duration with bootstrap confidence intervals.

    Parameters
    ----------
    lower, upper : array_like of float
        Relief was lost in ``(lower, upper]`` months since the procedure;
        ``upper = inf`` when it was not seen to end.
    cluster : array_like, optional
        Patient of each procedure: the bootstrap resamples patients with all
        their procedures and the jackknife deletes groups of patients.
        Default: each procedure is its own patient.
    landmarks_months : tuple of float
        Times at which to report the probability that relief lasts longer.
    tau_months : float
        Horizon of the restricted mean duration of relief.
    n_boot : int
        Bootstrap resamples (0: no intervals).
    seed : int
        Seed of the resampling.
    conf_level : float
        Confidence level.
    whole_day : bool
        Times are days / 30.4375: evaluate landmarks and ``tau_months`` at
        their whole day (:func:`landmark_months`). False for data in other
        units.

    Notes
    -----
    Values: the NPMLE wherever it is unique; inside a Turnbull interval with
    mass, the value with that mass spread evenly, and the range the data
    allow in ``relief_at`` (``bound_low``, ``bound_high``). Intervals: for
    S(t), normal on the logit scale with the bootstrap standard error
    (percentile where S is 0 or 1); for the median, bootstrap percentiles (a
    replicate whose curve stays above 0.5 counts as an infinite median); for
    the restricted mean, normal with a delete-a-group jackknife standard
    error (``JACKKNIFE_GROUPS`` random groups of patients, refitted on the
    full-sample support), whose variance is conservative on average
    (Efron-Stein). These were chosen by simulated coverage: see
    ``benchmarks/simulate_coverage.py`` and docs/methods.md.
    """
    from scipy import stats

    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    if lo.size == 0:
        raise ValueError("no procedures to analyse")
    from outcomes import _npmle, _resample  # scipy.optimize and scipy.sparse: imported on use

    fits = _resample.Resampler(lo, hi, cluster=cluster)
    fit = fits.point
    masses = fit.mass[None, :]
    boot = None
    if n_boot > 0:
        boot = fits.bootstrap(n_boot, seed)
        masses = np.vstack([masses, boot.masses])
    finite_hi = hi[np.isfinite(hi)]
    last = float(max(lo.max(), finite_hi.max() if finite_hi.size else 0.0))
    knots, column = _npmle_knots(fit, last)
    surv = _tails(masses)[:, column]
    until = float(knots[-1])
    marks = np.asarray(landmarks_months, dtype=float)
    at = landmark_months(marks, whole_day=whole_day)
    beyond = at > until + _EPS
    at_in = np.minimum(at, until)
    s_marks = _npmle._survival_at(fit.left, fit.right, masses, at_in)
    b_low, b_high = fit.survival_bounds(at_in)
    n_units = fits.n_units

    if boot is not None:
        band_lo, band_hi = _probability_ci(surv[0], surv[1:], conf_level, n_units)
        # S is non-increasing, so S(t) >= lower(t') for t' > t and S(t) <= upper(t')
        # for t' < t: the band may be tightened to be monotone (this also removes
        # spikes where replicates split mass freely inside a cluster of visits)
        band_lo = np.maximum.accumulate(band_lo[::-1])[::-1]
        band_hi = np.minimum.accumulate(band_hi)
        mark_lo, mark_hi = _probability_ci(s_marks[0], s_marks[1:], conf_level, n_units)
    else:
        band_lo = band_hi = np.full(knots.size, np.nan)
        mark_lo = mark_hi = np.full(marks.size, np.nan)

    followup = f"beyond follow-up ({until:.1f} months)"
    notes = _identification_notes(fit, at_in, b_low, b_high)
    relief_at = pd.DataFrame(
        {
            "months": marks,
            "estimate": np.where(beyond, np.nan, s_marks[0]),
            "lower": np.where(beyond, np.nan, mark_lo),
            "upper": np.where(beyond, np.nan, mark_hi),
            "note": np.where(beyond, followup, notes),
            "identified": ~beyond & (b_high - b_low <= 1e-12),
            "bound_low": np.where(beyond, np.nan, b_low),
            "bound_high": np.where(beyond, np.nan, b_high),
        }
    )

    median, smooth = _smooth(lo, hi, cluster, conf_level)

    tau = float(landmark_months(tau_months, whole_day=whole_day))
    if tau > until + _EPS:
        rmst = Estimate(
            math.nan, math.nan, math.nan, f"not estimated: follow-up ends at {until:.1f} months"
        )
    else:
        area = min(float(_areas(knots, surv[:1], tau)[0]), tau)  # in [0, tau], despite rounding
        if n_boot > 0 and n_units >= 2:
            # delete-a-group jackknife standard error, normal interval (see Notes)
            jk = fits.jackknife(JACKKNIFE_GROUPS, seed)
            a_jk = _areas(knots, _tails(jk.masses)[:, column], tau)
            g = a_jk.size
            se = math.sqrt((g - 1) / g * float(np.sum((a_jk - a_jk.mean()) ** 2)))
            z = float(stats.norm.ppf(0.5 + conf_level / 2))
            r_lo, r_hi = max(area - z * se, 0.0), max(min(area + z * se, tau), area)
        else:
            r_lo = r_hi = se = math.nan
        rmst = Estimate(area, float(r_lo), float(r_hi), std_err=se)

    mass_pos = fit.mass > 0
    return ReliefCurve(
        method="npmle",
        times=knots,
        survival=surv[0],
        lower=band_lo,
        upper=band_hi,
        step=False,
        unidentified=np.column_stack([fit.left[mass_pos], fit.right[mass_pos]]),
        identified_until=until,
        n=int(lo.size),
        n_events=int(np.isfinite(hi).sum()),
        n_boot=int(n_boot),
        conf_level=conf_level,
        relief_at=relief_at,
        median=median,
        rmst=rmst,
        tau_months=float(tau_months),
        extra={
            "iterations": fit.iterations,
            "converged": fit.converged,
            "log_likelihood": fit.log_likelihood,
        },
        n_clusters=n_units,
        whole_day=whole_day,
        smooth=smooth,
    )


def _smooth(
    lower: np.ndarray, upper: np.ndarray, cluster: npt.ArrayLike | None, conf_level: float
) -> tuple[Estimate, SmoothCurve | None]:
    """The median from the smooth curve, and the curve tabulated for figures.

    "not reached" (estimate NaN, limits inf) when the curve stays above one
    half up to the last visit; "not estimable" with the reason when no
    smooth curve can be fitted (e.g. no loss of relief seen).
    """
    # an exact time t (lower == upper: never from clinic visits) enters as the
    # narrow interval (t (1 - 1e-7), t], whose probability is the density times its width
    exact = lower == upper
    if exact.any():
        lower = np.where(exact, lower * (1 - 1e-7), lower)
    try:
        from outcomes import _spline

        fit = _spline.fit_spline(lower, upper, cluster=cluster, conf_level=conf_level)
    except InputError as exc:  # e.g. a loss at time 0
        return Estimate(math.nan, math.nan, math.nan, f"not estimable: {exc}"), None
    m = fit.median()
    if not fit.estimable:
        reached = np.isfinite(upper).any()
        note = "not reached" if not reached else f"not estimable: {m.note}"
        return Estimate(math.nan, math.inf if not reached else math.nan, math.inf, note), None
    if math.isnan(m.estimate):  # the curve stays above one half up to the last visit
        median = Estimate(math.nan, math.inf, math.inf, "not reached")
    else:
        note = "upper limit not reached" if not math.isfinite(m.upper) else ""
        median = Estimate(m.estimate, m.lower, m.upper, note)
    grid = np.linspace(0.0, fit.t_max, SMOOTH_POINTS)
    band_lo, band_hi = fit.survival_ci(grid)
    # monotone, as the NPMLE's band: S(t) >= S(t') >= lower(t') for t' > t. Before
    # the first visit the spline extrapolates and its band would open to 0.
    band_lo = np.fmax.accumulate(band_lo[::-1])[::-1]
    band_hi = np.fmin.accumulate(band_hi)
    smooth = SmoothCurve(
        times=grid,
        survival=fit.survival(grid),
        lower=band_lo,
        upper=band_hi,
        method="Royston-Parmar splines (Weibull and one interior knot) averaged by AIC",
    )
    return median, smooth


def risk_table(lower: npt.ArrayLike, upper: npt.ArrayLike, months: npt.ArrayLike) -> pd.DataFrame:
    """Numbers at risk, lost and censored by each time (a KMunicate-style table).

    Counts follow what was seen at the visits: ``lost`` by t are procedures
    whose loss of relief was found at a visit on or before t (``upper <= t``);
    ``censored`` by t, those whose follow-up ended on or before t without loss
    seen (``upper = inf``, ``lower <= t``); ``at_risk`` at t, the rest (not yet
    seen to lose relief, still followed). The three add up to n at every t.

    Parameters
    ----------
    lower, upper : array_like of float
        Loss-of-relief intervals, months (``upper = inf``: right-censored).
    months : array_like of float
        Times of the table, months.

    Returns
    -------
    DataFrame
        ``months``, ``at_risk``, ``lost``, ``censored`` (int).
    """
    lo = np.sort(np.asarray(lower, dtype=float)[~np.isfinite(np.asarray(upper, dtype=float))])
    hi = np.asarray(upper, dtype=float)
    hi = np.sort(hi[np.isfinite(hi)])
    t = np.asarray(months, dtype=float)
    lost = np.searchsorted(hi, t, side="right")
    censored = np.searchsorted(lo, t, side="right")
    return pd.DataFrame(
        {
            "months": t,
            "at_risk": (hi.size + lo.size - lost - censored).astype(int),
            "lost": lost.astype(int),
            "censored": censored.astype(int),
        }
    )


def fit_km(
    time: npt.ArrayLike,
    event: npt.ArrayLike,
    *,
    landmarks_months: tuple[float, ...] = (3, 6, 12, 18, 24),
    tau_months: float = 24.0,
    conf_level: float = 0.95,
    whole_day: bool = True,
) -> ReliefCurve:
    """Naive Kaplan-Meier of relief duration, kept for comparison.

    The common approach: loss is dated at the visit that found it, as if it
    happened then, so relief looks longer than it was (see
    ``docs/methods.md``). Confidence intervals are log-log, the median
    follows R's rule, and the restricted mean's standard error is R's
    ``print(fit, rmean = tau)`` one.

    Parameters
    ----------
    time : array_like of float
        Months to the visit that found loss (event) or to the last visit.
    event : array_like of bool
        True where loss of relief was seen.
    whole_day : bool
        Evaluate landmarks and ``tau_months`` at their whole day, as
        :func:`fit_npmle` does.
    """
    from scipy import stats

    from outcomes import _km

    t = np.asarray(time, dtype=float)
    fit = _km.kaplan_meier(t, np.asarray(event, dtype=bool), conf_level=conf_level)
    until = float(fit.time[-1]) if fit.time.size else 0.0
    marks = np.asarray(landmarks_months, dtype=float)
    at = landmark_months(marks, whole_day=whole_day)
    s = fit.survival_at(at)
    lo, hi = fit.ci_at(at)
    beyond = at > until + _EPS
    relief_at = pd.DataFrame(
        {
            "months": marks,
            "estimate": np.where(beyond, np.nan, s),
            "lower": np.where(beyond, np.nan, lo),
            "upper": np.where(beyond, np.nan, hi),
            "note": np.where(beyond, f"beyond follow-up ({until:.1f} months)", ""),
        }
    )
    m = fit.median()
    if np.isnan(m.estimate):
        median = Estimate(math.nan, m.lower, math.nan, "not reached")
    else:
        median = Estimate(
            m.estimate, m.lower, m.upper, "" if np.isfinite(m.upper) else "upper limit not reached"
        )
    tau = float(landmark_months(tau_months, whole_day=whole_day))
    if tau > until + _EPS:
        rmst = Estimate(
            math.nan, math.nan, math.nan, f"not estimated: follow-up ends at {until:.1f} months"
        )
    else:
        r = fit.rmst(tau)
        z = float(stats.norm.ppf(0.5 + conf_level / 2))
        rmst = Estimate(
            r.estimate, r.estimate - z * r.std_err, r.estimate + z * r.std_err, std_err=r.std_err
        )
    band_lo = np.where(np.isnan(fit.lower) & (fit.survival == 1), 1.0, fit.lower)
    band_hi = np.where(np.isnan(fit.upper) & (fit.survival == 1), 1.0, fit.upper)
    return ReliefCurve(
        method="km",
        times=np.concatenate([[0.0], fit.time]),
        survival=np.concatenate([[1.0], fit.survival]),
        lower=np.concatenate([[1.0], band_lo]),
        upper=np.concatenate([[1.0], band_hi]),
        step=True,
        unidentified=np.empty((0, 2)),
        identified_until=until,
        n=int(t.size),
        n_events=int(np.sum(event)),
        n_boot=0,
        conf_level=conf_level,
        relief_at=relief_at,
        median=median,
        rmst=rmst,
        tau_months=float(tau_months),
        n_clusters=int(t.size),
        whole_day=whole_day,
    )


def cumulative_incidence(
    months: npt.ArrayLike,
    cause: npt.ArrayLike,
    names: dict[int, str],
    *,
    landmarks_months: tuple[float, ...] = (3, 6, 12, 18, 24),
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Aalen-Johansen cumulative incidence of competing events at landmarks.

    Parameters
    ----------
    months : array_like of float
        Months to the first event, or to censoring.
    cause : array_like of int
        0 for censored, else the cause code (keys of ``names``).
    names : dict of int to str
        Name of each cause, e.g. ``{1: "repeat_procedure", 2: "surgery", 3: "death"}``.

    Returns
    -------
    DataFrame
        ``event``, ``months``, ``estimate``, ``lower``, ``upper``, ``note``: the
        probability of having had that event first by then, with R's default
        (log) confidence interval for multi-state ``survfit``; "beyond
        follow-up" past the last time.
    """
    from scipy import stats

    from outcomes import _km

    t = np.asarray(months, dtype=float)
    c = np.asarray(cause, dtype=int)
    marks = np.asarray(landmarks_months, dtype=float)
    codes = sorted(names)
    fit = _km.aalen_johansen(t, c, causes=codes)
    until = float(t.max()) if t.size else 0.0
    z = float(stats.norm.ppf(0.5 + conf_level / 2))
    est = fit.cif_at(marks)
    idx = np.searchsorted(fit.time, marks, side="right") - 1
    se = np.where(idx >= 0, fit.cif_std_err[:, np.maximum(idx, 0)], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.where(est > 0, est * np.exp(-z * se / est), 0.0)
        hi = np.where(est > 0, np.minimum(1.0, est * np.exp(z * se / est)), 0.0)
    beyond = marks > until
    rows = []
    for k, code in enumerate(codes):  # one block per cause (a handful)
        rows.append(
            pd.DataFrame(
                {
                    "event": names[code],
                    "months": marks,
                    "estimate": np.where(beyond, np.nan, est[k]),
                    "lower": np.where(beyond, np.nan, lo[k]),
                    "upper": np.where(beyond, np.nan, hi[k]),
                    "note": np.where(beyond, f"beyond follow-up ({until:.1f} months)", ""),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)
