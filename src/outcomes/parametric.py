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

Likelihood. Loss of relief lies in ``(lower, upper]`` and contributes
``log(S(lower) - S(upper))``, as in R's ``survreg(Surv(l, r, type =
"interval2") ~ ...)``. The fits are lifelines' ``fit_interval_censoring``,
with three things handled here:

* lifelines reads ``lower == upper`` as an exact time (a density term). The
  data contract is ``lower < upper``, so that never happens: it is rejected.
* ``lower = 0`` (loss before the first visit) is clipped to 1e-20 months by
  lifelines' univariate fitters, which changes S(lower) = 1 by far less than
  rounding. Its regression fitters do not clip, and the log-normal one then
  fails (``log 0`` gives a NaN gradient), so the same 1e-20 is applied here
  for every family. (R 4.2 / survival 3.5-3 rejects ``l = 0`` for these
  distributions, therneau/survival issue 234, fixed later; the R reference
  codes it as ``NA``, left-censored at ``upper``, which is the same.)
* ``upper = inf`` (relief not seen to end) is clipped to 1e25 months, where
  S is 0 to machine precision: a right-censored term ``log S(lower)``.

lifelines' default stopping rules stop short of the maximum: on the R
reference data by up to 2e-3 on a log-logistic regression coefficient (SLSQP
with ``ftol = 1e-6``) and 2e-5 (relative) on a log-normal scale. The fits
here tighten them, and then agree with R to 1e-7 or better (see
``tests/r/parametric_reference.R``). Identical rows are collapsed into
integer frequency weights first, which leaves the likelihood unchanged.

Confidence intervals are by the delta method on the fitted parameters'
inverse-information variance (lifelines' ``variance_matrix_``, converted to
``(mu, log sigma)``): for S(t) on the family's linear scale ``z = (log t -
mu) / sigma`` (``log(-log S)``, the log-log scale, for the Weibull; logit of
1 - S for the log-logistic; probit for the log-normal), so limits stay in
[0, 1]; for the median on the log scale; for the restricted mean on the
natural scale. lifelines' own band for S is ``S +- z se`` on the natural
scale, which can leave [0, 1].
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from outcomes.errors import InputError, OptionError
from outcomes.survival import Estimate, ReliefCurve

__all__ = ["FAMILIES", "compare_families", "fit_aft", "fit_parametric"]

FAMILIES = ("weibull", "loglogistic", "lognormal")

#: lifelines' univariate and AFT fitters for each family, with their two native parameters.
_LIFELINES = {
    "weibull": ("WeibullFitter", "WeibullAFTFitter", "lambda_", "rho_"),
    "loglogistic": ("LogLogisticFitter", "LogLogisticAFTFitter", "alpha_", "beta_"),
    "lognormal": ("LogNormalFitter", "LogNormalAFTFitter", "mu_", "sigma_"),
}
#: Stopping rules tighter than lifelines' defaults, by scipy method. lifelines minimises the
#: mean negative log-likelihood, so these are per observation; BFGS reports "precision loss"
#: below a gradient of about 1e-9 (log-normal regression), hence 1e-8 there.
_TIGHT = {
    "L-BFGS-B": {"ftol": 1e-14, "gtol": 1e-12},
    "SLSQP": {"ftol": 1e-13},
    "BFGS": {"gtol": 1e-8},
}
#: lifelines' own clip of a lower bound of 0 in its univariate fitters, months.
_TINY = 1e-20
_GRID_POINTS = 200
_QUAD_NODES = 128


# --------------------------------------------------------------------------- #
# the standard error distributions W of log T = mu + sigma W


def _sf0(family: str, z: np.ndarray) -> np.ndarray:
    """P(W > z)."""
    from scipy import special

    if family == "weibull":
        with np.errstate(over="ignore"):  # exp(z) = inf far in the tail: S = 0
            return np.exp(-np.exp(z))
    if family == "loglogistic":
        return np.asarray(special.expit(-z))
    return np.asarray(special.ndtr(-z))


def _pdf0(family: str, z: np.ndarray) -> np.ndarray:
    """Density of W at z."""
    from scipy import special

    if family == "weibull":
        with np.errstate(over="ignore"):
            return np.exp(z - np.exp(z))
    if family == "loglogistic":
        return np.asarray(special.expit(z) * special.expit(-z))
    return np.exp(-(z**2) / 2) / math.sqrt(2 * math.pi)


def _isf0(family: str, p: float) -> float:
    """z with P(W > z) = p."""
    from scipy import special

    if family == "weibull":
        return math.log(-math.log(p))
    if family == "loglogistic":
        return -float(special.logit(p))
    return -float(special.ndtri(p))


@dataclass(frozen=True, eq=False)
class _Fit:
    """One family fitted by maximum likelihood, in R's ``survreg`` parameters."""

    family: str
    mu: float  # location of log T, log months
    sigma: float  # scale of log T
    cov: np.ndarray  # 2 x 2 variance of (mu, log sigma)
    log_likelihood: float
    tolerance: str  # "tight", or "lifelines default" if lifelines could not certify that
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
        return _sf0(self.family, self.z(t))

    def survival_ci(self, t: np.ndarray, q: float) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise limits of S(t): delta method on z = (log t - mu) / sigma."""
        z = self.z(t)
        grad = np.stack([np.full_like(z, -1 / self.sigma), -z])  # d z / d (mu, log sigma)
        at_zero = t <= 0
        grad[:, at_zero] = 0.0  # S(0) = 1 exactly
        se = np.sqrt(np.einsum("in,ij,jn->n", grad, self.cov, grad))
        lo = np.where(at_zero, 1.0, _sf0(self.family, np.where(at_zero, 0.0, z + q * se)))
        hi = np.where(at_zero, 1.0, _sf0(self.family, np.where(at_zero, 0.0, z - q * se)))
        return lo, hi

    def log_median(self) -> tuple[float, float]:
        """log of the median, log months, and its standard error."""
        w = _isf0(self.family, 0.5)
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
        dens = _pdf0(self.family, z)
        # d S / d mu = f0(z) / sigma, d S / d log sigma = f0(z) z
        grad = np.array([weight @ dens / self.sigma, weight @ (dens * z)])
        return float(weight @ self.survival(t)), float(np.sqrt(grad @ self.cov @ grad))


# --------------------------------------------------------------------------- #
# input checks and fitting


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
    if not np.isfinite(hi).any():
        raise InputError(
            "no loss of relief was seen (every upper is inf): a parametric model cannot be fitted"
        )
    return lo, hi


def _collapse(columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a 2-D float array and how often each occurs."""
    rows, counts = np.unique(columns, axis=0, return_counts=True)
    return rows, counts.astype(float)


def _fit_tight(make: Callable[[], Any], fit: Callable[[Any, dict[str, float]], Any]) -> Any:
    """Fit with the tight stopping rule; if lifelines cannot certify it, with its own.

    Returns the fitted lifelines object; its ``tolerance_`` attribute (set
    here) says which rule was used.
    """
    from lifelines.exceptions import ConvergenceError

    fitter = make()
    try:
        fit(fitter, dict(_TIGHT.get(fitter._scipy_fit_method, {})))
        fitter.tolerance_ = "tight"
    except ConvergenceError:  # e.g. a line search that cannot improve: retry as lifelines would
        fitter = make()
        fit(fitter, {})
        fitter.tolerance_ = "lifelines default"
    return fitter


def _fit_family(family: str, lo: np.ndarray, hi: np.ndarray, weights: np.ndarray) -> _Fit:
    """Maximum likelihood fit of one family with lifelines, in (mu, log sigma)."""
    import lifelines

    name, _, a_name, b_name = _LIFELINES[family]
    fitter = _fit_tight(
        getattr(lifelines, name),
        lambda f, options: f.fit_interval_censoring(
            lo,
            hi,
            weights=weights,
            timeline=np.array([1.0]),  # lifelines' default grid runs to 1e25; not used here
            fit_options=options,
        ),
    )
    a, b = float(fitter.params_[a_name]), float(fitter.params_[b_name])
    v = fitter.variance_matrix_.loc[[a_name, b_name], [a_name, b_name]].to_numpy()
    if family == "lognormal":  # mu = mu_, log sigma = log sigma_
        mu, sigma, jac = a, b, np.diag([1.0, 1 / b])
    else:  # mu = log(lambda_ or alpha_), log sigma = -log(rho_ or beta_)
        mu, sigma, jac = math.log(a), 1 / b, np.diag([1 / a, -1 / b])
    return _Fit(
        family, mu, sigma, jac @ v @ jac.T, float(fitter.log_likelihood_), fitter.tolerance_
    )


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
            "tolerance": [f.tolerance for f in fits],
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
        ``median_months`` and ``tolerance`` (``"tight"``; ``"lifelines
        default"`` where lifelines could not finish with the tight stopping
        rule). See the module docstring for lifelines' parameters.

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
        Months at which to report the probability that relief lasts longer.
    tau_months : float
        Horizon of the restricted mean duration of relief, months.
    conf_level : float
        Confidence level of every interval.

    Returns
    -------
    ReliefCurve
        ``method`` is the family. ``times`` is a grid of 200 points from 0 to
        the latest of the landmarks, ``tau_months`` and the last follow-up
        (``identified_until``, the largest finite endpoint in the data);
        ``step`` is False and ``unidentified`` is empty. Beyond the last
        follow-up the model's values are still reported, with the note
        "extrapolated" (landmarks, median, restricted mean). ``n_boot`` is 0:
        the intervals are analytic (delta method, see the module docstring).
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
    tau = float(tau_months)
    horizon = max(float(marks.max(initial=0.0)), tau, until)
    times = np.linspace(0.0, horizon, _GRID_POINTS)
    band_lo, band_hi = fit.survival_ci(times, q)
    mark_lo, mark_hi = fit.survival_ci(marks, q)
    relief_at = pd.DataFrame(
        {
            "months": marks,
            "estimate": fit.survival(marks),
            "lower": mark_lo,
            "upper": mark_hi,
            "note": np.where(marks > until, "extrapolated", ""),
        }
    )

    log_med, se_log_med = fit.log_median()
    med = math.exp(log_med)
    med_lo, med_hi = math.exp(log_med - q * se_log_med), math.exp(log_med + q * se_log_med)
    med_note = (
        "extrapolated" if med > until else ("upper limit extrapolated" if med_hi > until else "")
    )
    median = Estimate(med, med_lo, med_hi, med_note, std_err=med * se_log_med)

    area, se_area = fit.rmst(tau)
    rmst = Estimate(
        area,
        area - q * se_area,
        area + q * se_area,
        "extrapolated" if tau > until else "",
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
        tau_months=tau,
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
        reference levels), ``log_likelihood``, ``aic``, ``tolerance`` (as in
        :func:`compare_families`) and ``note``.

    Raises
    ------
    OptionError
        Unknown family or column, a covariate with one level or value.
    InputError
        Invalid intervals, or no loss of relief seen.
    """
    import lifelines
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

    # identical rows become one with an integer weight; lower 0 -> 1e-20 (module docstring)
    rows, w = _collapse(np.column_stack([np.maximum(lo, _TINY), hi, x]))
    names = [f"x{k}" for k in range(x.shape[1])]  # lifelines sees plain names
    design = pd.DataFrame(rows[:, 2:], columns=names)
    design["lower"], design["upper"], design["weight"] = rows[:, 0], rows[:, 1], w

    _, aft_name, a_name, b_name = _LIFELINES[family]
    fitter = _fit_tight(
        lambda: getattr(lifelines, aft_name)(alpha=1 - conf_level),
        lambda f, options: f.fit_interval_censoring(
            design, "lower", "upper", weights_col="weight", fit_options=options
        ),
    )

    coef = fitter.params_.loc[a_name].reindex(names).to_numpy(dtype=float)
    se = fitter.standard_errors_.loc[a_name].reindex(names).to_numpy(dtype=float)
    log_b = float(fitter.params_.loc[(b_name, "Intercept")])
    out = pd.DataFrame(
        {
            "term": [t[0] for t in terms],
            "covariate": [t[1] for t in terms],
            "level": [t[2] for t in terms],
            "reference": [t[3] for t in terms],
            "coef": coef,
            "std_err": se,
            "time_ratio": np.exp(coef),
            "lower": np.exp(coef - q * se),
            "upper": np.exp(coef + q * se),
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
        intercept=float(fitter.params_.loc[(a_name, "Intercept")]),
        scale=math.exp(log_b) if family == "lognormal" else math.exp(-log_b),
        log_likelihood=float(fitter.log_likelihood_),
        aic=float(fitter.AIC_),
        tolerance=fitter.tolerance_,
        note=(
            "time ratio > 1: relief lasts longer; categorical covariates against their most "
            "frequent level (reference); numeric ones per unit"
        ),
    )
    return out
