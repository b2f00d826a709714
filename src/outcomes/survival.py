"""How long relief lasts: survival curves of relief duration, with summaries.

The default estimator is the Turnbull NPMLE for interval-censored durations
(:mod:`outcomes._npmle`), with a nonparametric bootstrap over procedures for
confidence intervals. All times are months since the procedure.

The NPMLE says how much probability of losing relief lies in each Turnbull
interval, not where inside it. The curve reported joins the NPMLE's exact
values at the right ends of those intervals linearly (loss spread evenly
between the visits where it was found); beyond the last follow-up nothing is
estimated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from outcomes import _npmle

__all__ = [
    "Estimate",
    "GroupTest",
    "ReliefCurve",
    "compare_groups",
    "cumulative_incidence",
    "fit_km",
    "fit_npmle",
    "logrank_scores",
    "risk_table",
]

DEFAULT_BOOT = 200
#: Groups of the delete-a-group jackknife behind the restricted mean's interval.
JACKKNIFE_GROUPS = 100


@dataclass(frozen=True)
class Estimate:
    """A number with its confidence interval.

    ``note`` says why a value is missing ("not reached", "beyond follow-up")
    or how it was obtained ("extrapolated").
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


@dataclass(frozen=True, eq=False)
class ReliefCurve:
    """Estimated probability that relief lasts beyond t, with summaries.

    Attributes
    ----------
    method : str
        ``"npmle"`` (Turnbull, default) or ``"km"`` (naive Kaplan-Meier).
    times, survival, lower, upper : ndarray
        The curve and its pointwise confidence band at knots, months from 0.
        Between knots the NPMLE is linear (``step=False``); Kaplan-Meier is a
        right-continuous step function (``step=True``).
    unidentified : ndarray, shape (k, 2)
        Turnbull intervals holding probability mass, in months: where the
        data cannot say when relief was lost (drawn faintly in plots).
    identified_until : float
        Last follow-up time, months: nothing is estimated beyond it.
    n, n_events : int
        Procedures analysed, and how many were seen to lose relief.
    n_boot : int
        Bootstrap resamples behind the intervals (0 for analytic intervals).
    conf_level : float
    relief_at : DataFrame
        ``months``, ``estimate``, ``lower``, ``upper``, ``note`` at each landmark.
    median : Estimate
        Median duration of relief, months ("not reached" when the curve
        stays above 0.5).
    rmst : Estimate
        Restricted mean duration of relief up to ``tau_months``, months.
    tau_months : float
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


# --------------------------------------------------------------------------- #
# the reported NPMLE curve: linear between support points, many replicates at once


def _support_curve(fit: _npmle.TurnbullFit, masses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knots (months) and S at the knots for each row of ``masses``.

    The NPMLE only says how much probability lies in each Turnbull interval
    (q_j, p_j]; the intervals are often narrow and sit at visits. The curve
    reported joins the NPMLE's exact values at 0 and at every right end p_j
    linearly, i.e. loss is spread evenly between successive support points
    (the visits where loss was found), and ends at the last follow-up.
    """
    finite = np.isfinite(fit.right)
    tail = np.clip(1.0 - np.cumsum(masses, axis=1), 0.0, 1.0)
    knots = np.concatenate([[0.0], fit.right[finite]])
    surv = np.concatenate([np.ones((masses.shape[0], 1)), tail[:, finite]], axis=1)
    if not finite.all():  # mass after the last finite end: S flat to the last follow-up
        last = float(fit.left[~finite][0])
        if last > knots[-1]:
            knots = np.append(knots, last)
            surv = np.concatenate([surv, surv[:, -1:]], axis=1)
    return knots, surv


def _interp(knots: np.ndarray, surv: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Row-wise linear interpolation of S (rows) at times ``t`` (within the knots)."""
    t = np.clip(t, knots[0], knots[-1])
    k = np.clip(np.searchsorted(knots, t, side="right"), 1, knots.size - 1)
    x0, x1 = knots[k - 1], knots[k]
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(x1 > x0, (t - x0) / (x1 - x0), 0.0)
    out: np.ndarray = surv[:, k - 1] * (1 - w) + surv[:, k] * w
    return out


def _medians(knots: np.ndarray, surv: np.ndarray) -> np.ndarray:
    """First time each row's S falls to 0.5 (NaN when it does not), vectorised."""
    below = surv <= 0.5
    reached = below.any(axis=1)
    k = np.argmax(below, axis=1)
    out = np.full(surv.shape[0], np.nan)
    rows = np.flatnonzero(reached & (k > 0))
    kk = k[rows]
    s0, s1 = surv[rows, kk - 1], surv[rows, kk]
    out[rows] = knots[kk - 1] + (s0 - 0.5) / (s0 - s1) * (knots[kk] - knots[kk - 1])
    out[reached & (k == 0)] = knots[0]
    return out


def _areas(knots: np.ndarray, surv: np.ndarray, tau: float) -> np.ndarray:
    """Integral of each row's S from 0 to tau (trapezoids; tau within the knots)."""
    grid = np.unique(np.concatenate([knots[knots < tau], [tau]]))
    s = _interp(knots, surv, grid)
    out: np.ndarray = ((s[:, :-1] + s[:, 1:]) / 2) @ np.diff(grid)
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


def fit_npmle(
    lower: npt.ArrayLike,
    upper: npt.ArrayLike,
    *,
    landmarks_months: tuple[float, ...] = (3, 6, 12, 18, 24),
    tau_months: float = 24.0,
    n_boot: int = DEFAULT_BOOT,
    seed: int = 0,
    conf_level: float = 0.95,
) -> ReliefCurve:
    """Turnbull NPMLE of relief duration with bootstrap confidence intervals.

    Parameters
    ----------
    lower, upper : array_like of float
        Relief was lost in ``(lower, upper]`` months since the procedure;
        ``upper = inf`` when it was not seen to end.
    landmarks_months : tuple of float
        Times at which to report the probability that relief lasts longer.
    tau_months : float
        Horizon of the restricted mean duration of relief.
    n_boot : int
        Bootstrap resamples over procedures (0: no intervals).
    seed : int
        Seed of the resampling.
    conf_level : float
        Confidence level.

    Notes
    -----
    Intervals: for S(t), normal on the logit scale with the bootstrap
    standard error (percentile where S is 0 or 1); for the median, bootstrap
    percentiles (a replicate whose curve stays above 0.5 counts as an
    infinite median); for the restricted mean, normal with a delete-a-group
    jackknife standard error (``JACKKNIFE_GROUPS`` random groups, refitted on
    the full-sample support). The bootstrap on a fixed support understates
    the restricted mean's spread and misses its small-sample bias (the
    NPMLE at the edges of a cluster of visits); the jackknife variance is
    conservative on average (Efron-Stein). These were chosen by simulated
    coverage: see ``benchmarks/simulate_coverage.py`` and docs/methods.md.
    """
    from scipy import stats

    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    if lo.size == 0:
        raise ValueError("no procedures to analyse")
    fit = _npmle.turnbull(lo, hi)
    masses = fit.mass[None, :]
    if n_boot > 0:
        boot = _npmle.turnbull_bootstrap(lo, hi, n_boot=n_boot, seed=seed)
        masses = np.vstack([masses, boot.masses])
    knots, surv = _support_curve(fit, masses)
    until = float(knots[-1])
    marks = np.asarray(landmarks_months, dtype=float)
    tau = float(tau_months)
    s_marks = _interp(knots, surv, marks)
    med = _medians(knots, surv[:1])[0]

    if n_boot > 0:
        band_lo, band_hi = _probability_ci(surv[0], surv[1:], conf_level, lo.size)
        # S is non-increasing, so S(t) >= lower(t') for t' > t and S(t) <= upper(t')
        # for t' < t: the band may be tightened to be monotone (this also removes
        # spikes where replicates split mass freely inside a cluster of visits)
        band_lo = np.maximum.accumulate(band_lo[::-1])[::-1]
        band_hi = np.minimum.accumulate(band_hi)
        mark_lo, mark_hi = _probability_ci(s_marks[0], s_marks[1:], conf_level, lo.size)
        med_boot = _medians(knots, surv[1:])
        q = (1 - conf_level) / 2
        med_lo, med_hi = np.quantile(np.where(np.isnan(med_boot), np.inf, med_boot), [q, 1 - q])
    else:
        band_lo = band_hi = np.full(knots.size, np.nan)
        mark_lo = mark_hi = np.full(marks.size, np.nan)
        med_lo = med_hi = math.nan

    beyond = marks > until
    relief_at = pd.DataFrame(
        {
            "months": marks,
            "estimate": np.where(beyond, np.nan, s_marks[0]),
            "lower": np.where(beyond, np.nan, mark_lo),
            "upper": np.where(beyond, np.nan, mark_hi),
            "note": np.where(beyond, f"beyond follow-up ({until:.1f} months)", ""),
        }
    )

    if np.isnan(med):
        median = Estimate(math.nan, float(med_lo), math.nan, "not reached")
    else:
        median = Estimate(
            float(med),
            float(med_lo),
            float(med_hi),
            "" if np.isfinite(med_hi) else "upper limit not reached",
        )

    if tau > until:
        rmst = Estimate(math.nan, math.nan, math.nan, f"tau beyond follow-up ({until:.1f} months)")
    else:
        area = float(_areas(knots, surv, tau)[0])
        if n_boot > 0 and lo.size >= 2:
            # delete-a-group jackknife standard error, normal interval (see Notes)
            jk = _npmle.turnbull_jackknife(lo, hi, groups=JACKKNIFE_GROUPS, seed=seed)
            _, surv_jk = _support_curve(fit, jk.masses)
            a_jk = _areas(knots, surv_jk, tau)
            g = a_jk.size
            se = math.sqrt((g - 1) / g * float(np.sum((a_jk - a_jk.mean()) ** 2)))
            z = float(stats.norm.ppf(0.5 + conf_level / 2))
            r_lo, r_hi = max(area - z * se, 0.0), min(area + z * se, tau)  # RMST is in [0, tau]
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
        tau_months=tau,
        extra={
            "iterations": fit.iterations,
            "converged": fit.converged,
            "log_likelihood": fit.log_likelihood,
        },
    )


@dataclass(frozen=True)
class GroupTest:
    """Test of equal relief durations across groups.

    A generalised log-rank test for interval-censored data: log-rank scores
    computed from the pooled NPMLE (Finkelstein 1986; Fay 1999), with the
    variance of the group sums under permutation of the group labels (the
    permutational central limit form of Fay and Shaw 2010, as in R's
    ``interval::ictest(method = "pclt")``).
    """

    statistic: float
    df: int
    p_value: float
    method: str = "generalised log-rank, permutation variance"

    def to_dict(self) -> dict[str, Any]:
        return {
            "statistic": _json(self.statistic),
            "df": self.df,
            "p_value": _json(self.p_value),
            "method": self.method,
        }


def _xlogx(s: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(s > 0, s * np.log(s), 0.0)


def logrank_scores(lower: npt.ArrayLike, upper: npt.ArrayLike) -> np.ndarray:
    """Log-rank scores of interval-censored observations under the pooled NPMLE.

    ``c_i = [S(L) log S(L) - S(R) log S(R)] / [S(L) - S(R)]`` with S the
    pooled NPMLE: positive for early losses, negative for long relief.
    """
    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    fit = _npmle.turnbull(lo, hi)
    s_lo = fit.survival(lo)
    s_hi = np.where(np.isfinite(hi), fit.survival(np.where(np.isfinite(hi), hi, 0.0)), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = (_xlogx(s_lo) - _xlogx(s_hi)) / (s_lo - s_hi)
    return np.where(s_lo > s_hi, c, 0.0)


def compare_groups(lower: npt.ArrayLike, upper: npt.ArrayLike, groups: npt.ArrayLike) -> GroupTest:
    """Test that relief durations are the same in every group.

    Parameters
    ----------
    lower, upper : array_like of float
        Loss-of-relief intervals, months.
    groups : array_like
        Group label of each procedure (two or more distinct labels).
    """
    from scipy import stats

    c = logrank_scores(lower, upper)
    codes, labels = pd.factorize(np.asarray(groups, dtype=object))
    k = len(labels)
    if k < 2:
        return GroupTest(math.nan, 0, math.nan)
    n_total = c.size
    n_g = np.bincount(codes, minlength=k).astype(float)
    u = np.bincount(codes, weights=c - c.mean(), minlength=k)
    s2 = float(np.mean((c - c.mean()) ** 2))
    if s2 == 0:
        return GroupTest(0.0, k - 1, 1.0)
    v = n_total / (n_total - 1) * s2 * (np.diag(n_g) - np.outer(n_g, n_g) / n_total)
    uk, vk = u[:-1], v[:-1, :-1]
    stat = float(uk @ np.linalg.solve(vk, uk))
    return GroupTest(stat, k - 1, float(stats.chi2.sf(stat, k - 1)))


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
    """
    from scipy import stats

    from outcomes import _km

    t = np.asarray(time, dtype=float)
    fit = _km.kaplan_meier(t, np.asarray(event, dtype=bool), conf_level=conf_level)
    until = float(fit.time[-1]) if fit.time.size else 0.0
    marks = np.asarray(landmarks_months, dtype=float)
    s = fit.survival_at(marks)
    lo, hi = fit.ci_at(marks)
    beyond = marks > until
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
    if tau_months > until:
        rmst = Estimate(math.nan, math.nan, math.nan, f"tau beyond follow-up ({until:.1f} months)")
    else:
        r = fit.rmst(tau_months)
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
