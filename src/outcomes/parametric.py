"""Parametric models of relief duration: extrapolation and regression.

The Turnbull NPMLE (:func:`outcomes.survival.fit_npmle`) is the main
estimator and says nothing beyond the last follow-up. The models here assume
a shape for the duration T of relief, months since the procedure, and so
reach beyond it (labelled "extrapolated"), and adjust for covariates.

All three families are log-location-scale models: ``log T = mu + sigma W``
with W standard extreme-value (Weibull), logistic (log-logistic) or normal
(log-normal). ``mu`` and ``sigma`` are R's ``survreg`` ``(Intercept)`` and
``Scale``; in lifelines' parameters, Weibull ``lambda_ = exp(mu)``,
``rho_ = 1 / sigma``; log-logistic ``alpha_ = exp(mu)``, ``beta_ = 1 / sigma``;
log-normal ``mu_ = mu``, ``sigma_ = sigma``. A covariate multiplies the
duration of relief by its time ratio ``exp(coef)`` (accelerated failure time).

This module checks the intervals, builds the design and reports the fits.
The interval-censored likelihood (R's ``survreg(Surv(l, r, type =
"interval2") ~ ...)``) and its Newton-Raphson maximisation, with why a fit
may raise InputError, are in :mod:`outcomes._loglik`.

Values beyond the last follow-up are labelled "extrapolated". A landmark,
or the restricted mean's horizon, is compared with the last follow-up by its
whole day, as the NPMLE's are (:func:`outcomes.survival.landmark_months`:
24 months is day 730, 23.98 months), so a cohort seen to day 730 has its
24-month value unlabelled, and the value is S at that day
(``whole_day=False`` evaluates at the month itself, e.g. to compare with R).

Confidence intervals are by the delta method on the inverse of the observed
information (minus the Hessian) in ``(mu, log sigma)``, which is R's
``vcov``: for S(t) on the family's linear scale ``z = (log t -
mu) / sigma`` (``log(-log S)``, the log-log scale, for the Weibull; logit of
1 - S for the log-logistic; probit for the log-normal), so limits stay in
[0, 1]; for the median on the log scale; for the restricted mean on the
natural scale. lifelines' own band for S is ``S +- z se`` on the natural
scale, which can leave [0, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from outcomes._loglik import isf0, maximise, pdf0, sf0
from outcomes.errors import InputError, OptionError
from outcomes.survival import Estimate, ReliefCurve, landmark_months

__all__ = ["FAMILIES", "compare_families", "fit_aft", "fit_parametric"]

FAMILIES = ("weibull", "loglogistic", "lognormal")

_GRID_POINTS = 200
_QUAD_NODES = 128
#: Slack when comparing times in months that come from whole days (as in outcomes.survival).
_EPS = 1e-9


@dataclass(frozen=True, eq=False)
class _Fit:
    """One family fitted by maximum likelihood, in R's ``survreg`` parameters."""

    family: str
    mu: float  # location of log T, log months
    sigma: float  # scale of log T
    cov: np.ndarray  # 2 x 2 variance of (mu, log sigma)
    log_likelihood: float
    gradient_norm: float  # largest |d log-likelihood / d (mu, log sigma)| at (mu, sigma)
    n_params: int = 2

    @property
    def aic(self) -> float:
        return -2 * self.log_likelihood + 2 * self.n_params

    def z(self, t: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            out: np.ndarray = (np.log(t) - self.mu) / self.sigma
        return out

    def survival(self, t: np.ndarray) -> np.ndarray:
        """S(t), months."""
        return sf0(self.family, self.z(t))

    def survival_ci(self, t: np.ndarray, q: float) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise limits of S(t): delta method on z = (log t - mu) / sigma."""
        z = self.z(t)
        grad = np.stack([np.full_like(z, -1 / self.sigma), -z])  # d z / d (mu, log sigma)
        at_zero = t <= 0
        grad[:, at_zero] = 0.0  # S(0) = 1 exactly
        se = np.sqrt(np.einsum("in,ij,jn->n", grad, self.cov, grad))
        lo = np.where(at_zero, 1.0, sf0(self.family, np.where(at_zero, 0.0, z + q * se)))
        hi = np.where(at_zero, 1.0, sf0(self.family, np.where(at_zero, 0.0, z - q * se)))
        return lo, hi

    def log_median(self) -> tuple[float, float]:
        """log of the median, log months, and its standard error."""
        w = isf0(self.family, 0.5)
        grad = np.array([1.0, self.sigma * w])
        return self.mu + self.sigma * w, float(np.sqrt(grad @ self.cov @ grad))

    def rmst(self, tau: float) -> tuple[float, float]:
        """Integral of S from 0 to tau, months, and its standard error.

        Gauss-Legendre quadrature after t = tau u^2, which smooths S near 0
        (S(t) ~ 1 - (t / lambda)^rho there): error below 1e-10 months for a
        Weibull shape down to 0.3.
        """
        x, w = np.polynomial.legendre.leggauss(_QUAD_NODES)
        u = (x + 1) / 2
        t = tau * u**2
        weight = w / 2 * 2 * tau * u
        z = self.z(t)
        dens = pdf0(self.family, z)
        # d S / d mu = f0(z) / sigma, d S / d log sigma = f0(z) z
        grad = np.array([weight @ dens / self.sigma, weight @ (dens * z)])
        return float(weight @ self.survival(t)), float(np.sqrt(grad @ self.cov @ grad))


# --------------------------------------------------------------------------- #
# input checks and fitting


#: Fewest procedures seen to lose relief for a two-parameter fit.
_MIN_LOSSES = 2


def _intervals(
    lower: npt.ArrayLike, upper: npt.ArrayLike, labels: pd.Index | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Check (lower, upper] intervals, months, and return them as float arrays."""
    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    if lo.ndim != 1 or lo.shape != hi.shape:
        raise InputError(
            f"lower and upper must be 1-D of equal length, got {lo.shape} and {hi.shape}"
        )
    if lo.size == 0:
        raise InputError("no procedures to analyse")
    where = labels if labels is not None else pd.RangeIndex(lo.size)
    checks = (
        (np.isnan(lo) | np.isnan(hi), "is missing"),
        (~np.isfinite(lo), "lower is not finite (use upper = inf when relief was not seen to end)"),
        (lo < 0, "lower is negative"),
        (
            hi <= lo,
            "upper is not after lower (loss lies in (lower, upper]; exact times are not used)",
        ),
    )
    for bad, what in checks:
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{int(bad.sum())} interval(s) where {what}; the first, row {where[k]!r}: "
                f"({lo[k]!r}, {hi[k]!r}]"
            )
    lost = int(np.isfinite(hi).sum())
    if lost < _MIN_LOSSES:
        seen = "no loss of relief was seen" if not lost else f"only {lost} loss of relief was seen"
        raise InputError(
            f"{seen}: a parametric model (two parameters) needs at least {_MIN_LOSSES} "
            "procedures seen to lose relief"
        )
    return lo, hi


def _collapse(columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a 2-D float array and how often each occurs."""
    rows, counts = np.unique(columns, axis=0, return_counts=True)
    return rows, counts.astype(float)


def _fit_family(family: str, lo: np.ndarray, hi: np.ndarray, weights: np.ndarray) -> _Fit:
    """Maximum likelihood fit of one family, in (mu, log sigma)."""
    m = maximise(family, lo, hi, np.ones((lo.size, 1)), weights)
    return _Fit(family, float(m.beta[0]), m.sigma, m.cov, m.log_likelihood, m.gradient_norm)


def _fit_all(lo: np.ndarray, hi: np.ndarray) -> list[_Fit]:
    """Every family, lowest AIC first."""
    rows, w = _collapse(np.column_stack([lo, hi]))
    fits = [_fit_family(f, rows[:, 0], rows[:, 1], w) for f in FAMILIES]
    return sorted(fits, key=lambda f: f.aic)


def _table(fits: list[_Fit]) -> pd.DataFrame:
    best = min(f.aic for f in fits)
    return pd.DataFrame(
        {
            "family": [f.family for f in fits],
            "n_params": [f.n_params for f in fits],
            "log_likelihood": [f.log_likelihood for f in fits],
            "aic": [f.aic for f in fits],
            "delta_aic": [f.aic - best for f in fits],
            "intercept": [f.mu for f in fits],
            "scale": [f.sigma for f in fits],
            "median_months": [math.exp(f.log_median()[0]) for f in fits],
            "gradient_norm": [f.gradient_norm for f in fits],
        }
    )


def compare_families(lower: npt.ArrayLike, upper: npt.ArrayLike) -> pd.DataFrame:
    """Fit the Weibull, log-logistic and log-normal models and rank them by AIC.

    Parameters
    ----------
    lower, upper : array_like of float
        Relief was lost in ``(lower, upper]`` months since the procedure;
        ``lower`` may be 0, ``upper = inf`` when relief was not seen to end.

    Returns
    -------
    DataFrame
        One row per family, lowest AIC first: ``family``, ``n_params``,
        ``log_likelihood``, ``aic`` (``-2 log_likelihood + 2 n_params``),
        ``delta_aic`` (to the best), ``intercept`` (mu, the location of log T,
        log months; R's ``(Intercept)``), ``scale`` (sigma, R's ``Scale``),
        ``median_months`` and ``gradient_norm`` (the largest absolute
        component of the gradient of the log-likelihood in ``(mu, log
        sigma)`` at the estimate: how close to the maximum the fit stopped).
        See :mod:`outcomes._loglik` for the maximisation and the module
        docstring for lifelines' names of the parameters.

    Raises
    ------
    InputError
        Missing, negative or empty intervals, or no loss of relief seen.
    """
    lo, hi = _intervals(lower, upper)
    return _table(_fit_all(lo, hi))


def _z_value(conf_level: float) -> float:
    from scipy import stats

    if not 0 < conf_level < 1:
        raise OptionError(f"conf_level must be between 0 and 1, got {conf_level!r}")
    return float(stats.norm.ppf(0.5 + conf_level / 2))


def fit_parametric(
    lower: npt.ArrayLike,
    upper: npt.ArrayLike,
    *,
    family: str = "best",
    landmarks_months: tuple[float, ...] = (3, 6, 12, 18, 24),
    tau_months: float = 24.0,
    conf_level: float = 0.95,
    whole_day: bool = True,
) -> ReliefCurve:
    """Parametric curve of relief duration, reaching beyond the last follow-up.

    Parameters
    ----------
    lower, upper : array_like of float
        Relief was lost in ``(lower, upper]`` months since the procedure;
        ``lower`` may be 0, ``upper = inf`` when relief was not seen to end.
    family : str
        ``"weibull"``, ``"loglogistic"``, ``"lognormal"``, or ``"best"``: the
        one with the lowest AIC (all have two parameters).
    landmarks_months : tuple of float
        Months at which to report the probability that relief lasts longer,
        evaluated at the landmark's whole day (extrapolated beyond the last
        follow-up).
    tau_months : float
        Horizon of the restricted mean duration of relief, months (its whole
        day, like a landmark).
    conf_level : float
        Confidence level of every interval.
    whole_day : bool
        Times are days / 30.4375: landmarks and ``tau_months`` are evaluated
        at their whole day (:func:`outcomes.survival.landmark_months`), as the
        NPMLE's are. False: at the months given (data in other units).

    Returns
    -------
    ReliefCurve
        ``method`` is the family. ``times`` is a grid of 200 points from 0 to
        the latest of the landmarks, ``tau_months`` and the last follow-up
        (``identified_until``, the largest finite endpoint in the data);
        ``step`` is False and ``unidentified`` is empty. Beyond the last
        follow-up the model's values are still reported, with the note
        "extrapolated": landmarks and ``tau_months`` by their whole day, the
        rule of :meth:`~outcomes.survival.ReliefCurve.covers` (``whole_day``
        is True), the median in months. ``n_boot`` is 0: the intervals are
        analytic (delta method, see the module docstring).
        ``extra`` holds ``family``, ``aic``, ``log_likelihood``, ``intercept``
        and ``scale`` (mu and sigma of log T), ``cov`` (their variance, as
        ``[[var mu, cov], [cov, var log sigma]]``) and ``families``
        (:func:`compare_families` as records).

    Raises
    ------
    InputError
        Missing, negative or empty intervals, or no loss of relief seen.
    OptionError
        Unknown family, or a confidence level outside (0, 1).
    """
    if family != "best" and family not in FAMILIES:
        raise OptionError(f"family must be 'best' or one of {FAMILIES}, got {family!r}")
    if not tau_months > 0:
        raise OptionError(f"tau_months must be positive, got {tau_months!r}")
    q = _z_value(conf_level)
    lo, hi = _intervals(lower, upper)
    fits = _fit_all(lo, hi)
    fit = fits[0] if family == "best" else next(f for f in fits if f.family == family)

    until = float(max(lo.max(), hi[np.isfinite(hi)].max()))
    marks = np.asarray(landmarks_months, dtype=float)
    at = landmark_months(marks, whole_day=whole_day)
    tau = float(landmark_months(tau_months, whole_day=whole_day))
    horizon = max(float(marks.max(initial=0.0)), float(tau_months), until)
    times = np.linspace(0.0, horizon, _GRID_POINTS)
    band_lo, band_hi = fit.survival_ci(times, q)
    mark_lo, mark_hi = fit.survival_ci(at, q)
    beyond = at > until + _EPS
    relief_at = pd.DataFrame(
        {
            "months": marks,
            "estimate": fit.survival(at),
            "lower": mark_lo,
            "upper": mark_hi,
            "note": np.where(beyond, "extrapolated", ""),
        }
    )

    log_med, se_log_med = fit.log_median()
    with np.errstate(over="ignore"):  # a fit to a handful of intervals: limits may be inf
        med, med_lo, med_hi = (
            float(x) for x in np.exp([log_med, log_med - q * se_log_med, log_med + q * se_log_med])
        )
    med_note = (
        "extrapolated" if med > until else ("upper limit extrapolated" if med_hi > until else "")
    )
    median = Estimate(med, med_lo, med_hi, med_note, std_err=med * se_log_med)

    area, se_area = fit.rmst(tau)
    rmst = Estimate(
        area,
        max(area - q * se_area, 0.0),  # the restricted mean lies in [0, tau]
        min(area + q * se_area, tau),
        "extrapolated" if tau > until + _EPS else "",
        std_err=se_area,
    )

    return ReliefCurve(
        method=fit.family,
        times=times,
        survival=fit.survival(times),
        lower=band_lo,
        upper=band_hi,
        step=False,
        unidentified=np.empty((0, 2)),
        identified_until=until,
        n=int(lo.size),
        n_events=int(np.isfinite(hi).sum()),
        n_boot=0,
        conf_level=conf_level,
        relief_at=relief_at,
        median=median,
        rmst=rmst,
        tau_months=float(tau_months),
        whole_day=whole_day,
        extra={
            "family": fit.family,
            "aic": fit.aic,
            "log_likelihood": fit.log_likelihood,
            "intercept": fit.mu,
            "scale": fit.sigma,
            "cov": fit.cov.tolist(),
            "families": _table(fits).to_dict("records"),
        },
    )


# --------------------------------------------------------------------------- #
# regression


def _is_categorical(s: pd.Series) -> bool:
    return bool(
        isinstance(s.dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(s)
        or pd.api.types.is_string_dtype(s)
        or pd.api.types.is_bool_dtype(s)
    )


def _design(
    data: pd.DataFrame, covariates: tuple[str, ...]
) -> tuple[np.ndarray, list[tuple[str, str, str, str]]]:
    """Model matrix (without intercept) and (term, covariate, level, reference) per column.

    A categorical covariate gets one 0/1 column per level but its most
    frequent one (the reference; ties go to the first in sorted order).
    Collinear columns (with the intercept) are an OptionError.
    """
    blocks: list[np.ndarray] = []
    terms: list[tuple[str, str, str, str]] = []
    for c in covariates:  # one block per covariate, a handful
        s = data[c]
        if _is_categorical(s):
            values = s.astype(str).to_numpy()
            levels, counts = np.unique(values, return_counts=True)
            if levels.size < 2:
                raise OptionError(
                    f"covariate {c!r} has a single level ({levels[0]!r}) in the rows used: "
                    "nothing to compare; leave it out"
                )
            order = np.lexsort((levels, -counts))  # most frequent first, then by name
            ref, others = levels[order[0]], levels[order[1:]]
            blocks.append((values[:, None] == others[None, :]).astype(float))
            terms += [(f"{c}={lev}", c, str(lev), str(ref)) for lev in others]
        else:
            x = s.to_numpy(dtype=float)
            if np.ptp(x) == 0:
                raise OptionError(
                    f"covariate {c!r} is constant ({x[0]!r}) in the rows used: nothing to "
                    "compare; leave it out"
                )
            blocks.append(x[:, None])
            terms.append((c, c, "", ""))
    x = np.hstack(blocks) if blocks else np.empty((len(data), 0))
    with_intercept = np.column_stack([np.ones(len(x)), x])
    if np.linalg.matrix_rank(with_intercept) < with_intercept.shape[1]:
        k = next(  # the first term that the intercept and the terms before it determine
            k
            for k in range(1, with_intercept.shape[1])
            if np.linalg.matrix_rank(with_intercept[:, : k + 1]) <= k
        )
        raise OptionError(
            f"covariate term {terms[k - 1][0]!r} is determined by the terms before it "
            "(collinear) in the rows used: leave one of them out"
        )
    return x, terms


def fit_aft(
    frame: pd.DataFrame,
    lower: str = "lower_months",
    upper: str = "upper_months",
    covariates: tuple[str, ...] = ("technique", "joint"),
    family: str = "weibull",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Accelerated failure time regression of relief duration on covariates.

    Parameters
    ----------
    frame : DataFrame
        One row per procedure, e.g. :func:`outcomes.endpoints.derive_relief`.
    lower, upper : str
        Columns holding the interval ``(lower, upper]`` of loss of relief,
        months since the procedure (``upper = inf``: not seen to end). Rows
        where either is missing (procedures excluded from the analysis) are
        left out.
    covariates : tuple of str
        Columns to adjust for. Object, string, category and bool columns
        (technique, joint, sex) are categorical: one term per level against
        the most frequent level (the reference). Other columns are numeric,
        one term per unit (e.g. per year of age); code a numeric grade as a
        category to get one term per grade.
    family : str
        ``"weibull"``, ``"loglogistic"`` or ``"lognormal"``.
    conf_level : float
        Confidence level of the time-ratio intervals.

    Returns
    -------
    DataFrame
        One row per term: ``term`` (``"technique=conventional"``, ``"age"``),
        ``covariate``, ``level`` and ``reference`` (categorical terms; empty
        for numeric ones), ``coef`` (log time ratio; R's ``survreg``
        coefficient), ``std_err``, ``time_ratio`` = exp(coef), ``lower``,
        ``upper`` (its confidence limits) and ``p_value`` (Wald). A time
        ratio above 1 means relief lasts longer: 0.5 halves it. ``attrs``
        holds ``family``, ``conf_level``, ``n`` (rows used), ``n_dropped``
        (rows left out for a missing covariate), ``n_no_interval`` (rows
        without an interval), ``reference_levels`` (covariate -> level),
        ``intercept`` and ``scale`` (of log T at all covariates 0 and
        reference levels), ``log_likelihood``, ``aic``, ``gradient_norm``
        (the largest absolute component of the gradient of the
        log-likelihood in (intercept, coefficients, log scale) at the
        estimate) and ``note``.

    Raises
    ------
    OptionError
        Unknown family or column, a covariate with one level or value, or
        collinear covariates.
    InputError
        Invalid intervals, no loss of relief seen, or a likelihood whose
        maximum could not be reached.
    """
    from scipy import stats

    if family not in FAMILIES:
        raise OptionError(f"family must be one of {FAMILIES}, got {family!r}")
    q = _z_value(conf_level)
    covariates = tuple(covariates)
    missing = [c for c in (lower, upper, *covariates) if c not in frame.columns]
    if missing:
        raise OptionError(
            f"column(s) {missing} not found; the frame has {list(map(str, frame.columns))}"
        )
    has_interval = frame[lower].notna() & frame[upper].notna()
    complete = has_interval & frame[list(covariates)].notna().all(axis=1)
    data = frame.loc[complete]
    lo, hi = _intervals(data[lower], data[upper], labels=data.index)
    x, terms = _design(data, covariates)

    rows, w = _collapse(np.column_stack([lo, hi, x]))  # identical rows: one, weighted
    design = np.column_stack([np.ones(len(rows)), rows[:, 2:]])
    m = maximise(family, rows[:, 0], rows[:, 1], design, w)
    coef = m.beta[1:]
    se = np.sqrt(np.diag(m.cov))[1:-1]
    with np.errstate(over="ignore"):  # a level never seen to lose relief: coef and se huge
        ratio, lower_ratio, upper_ratio = (np.exp(coef + k * q * se) for k in (0, -1, 1))
    out = pd.DataFrame(
        {
            "term": [t[0] for t in terms],
            "covariate": [t[1] for t in terms],
            "level": [t[2] for t in terms],
            "reference": [t[3] for t in terms],
            "coef": coef,
            "std_err": se,
            "time_ratio": ratio,
            "lower": lower_ratio,
            "upper": upper_ratio,
            "p_value": 2 * stats.norm.sf(np.abs(coef / se)),
        }
    )
    n_no_interval = int((~has_interval).sum())
    out.attrs.update(
        family=family,
        conf_level=conf_level,
        n=int(lo.size),
        n_dropped=int(len(frame) - n_no_interval - lo.size),
        n_no_interval=n_no_interval,
        reference_levels={t[1]: t[3] for t in terms if t[3]},
        intercept=float(m.beta[0]),
        scale=m.sigma,
        log_likelihood=m.log_likelihood,
        aic=-2 * m.log_likelihood + 2 * (m.beta.size + 1),
        gradient_norm=m.gradient_norm,
        note=(
            "time ratio > 1: relief lasts longer; categorical covariates against their most "
            "frequent level (reference); numeric ones per unit"
        ),
    )
    return out
