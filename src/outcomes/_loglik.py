"""Maximum likelihood for log-location-scale models of interval-censored durations.

The engine behind :mod:`outcomes.parametric`: the duration T of relief,
months since the procedure, follows ``log T = x beta + sigma W`` (``x`` a
design row whose first column is the intercept, whose coefficient is mu)
with W standard extreme-value (``"weibull"``), logistic (``"loglogistic"``)
or normal (``"lognormal"``). This module holds the standard distributions of
W, the interval-censored log-likelihood with its analytic gradient and
Hessian (:func:`evaluate`), and its Newton-Raphson maximiser
(:func:`maximise`), which reports the maximum in R's ``survreg`` parameters
(:class:`MaxLik`). It checks no input: :mod:`outcomes.parametric` does.

Likelihood. Loss of relief lies in ``(lower, upper]`` and contributes
``log(S(lower) - S(upper))``, as in R's ``survreg(Surv(l, r, type =
"interval2") ~ ...)``, with S(0) = 1 (``lower = 0``: lost before the first
visit) and S(inf) = 0 (``upper = inf``: relief not seen to end, a
right-censored term ``log S(lower)``). ``lower == upper`` would be an exact
time (a density term); the data contract is ``lower < upper``, so it is
rejected. The difference is taken from log S when ``lower`` is beyond the
median and from log(1 - S) otherwise, so it keeps its digits when both terms
are near 0 or both near 1. Identical rows are collapsed into integer
frequency weights first, which leaves the likelihood unchanged.

Maximisation. With ``gamma = 1 / sigma`` and ``alpha = beta / sigma``,
``z = gamma log t - x alpha`` is linear in the parameters, and each term
``log(S(z_lower) - S(z_upper))`` is concave in ``(z_lower, z_upper)``
because the three densities of W are log-concave (Pratt, JASA 1981;
76:103-106). So the log-likelihood is concave in ``(alpha, gamma)``, and
Newton-Raphson with step halving on the analytic gradient and Hessian
reaches its maximum from any start. It stops when the Newton decrement
``g' (-H)^-1 g``, the squared length of the step still to go measured in
standard errors, is below 1e-20. Each fit reports ``gradient_norm``: the
largest absolute component of the gradient of the log-likelihood in R's
parametrisation (intercept, coefficients, log sigma), below 1e-9 on the R
reference data, as R's own is. Where the data do not identify the model (the
likelihood keeps rising towards a degenerate fit, e.g. when every loss of
relief seen lies in one or two adjacent intervals) the fit raises InputError
rather than report a point. A covariate level in which relief was never seen
to end has its maximum at infinity: its coefficient comes out large (7 to 24
on the log scale in the tests), with a standard error to match. (lifelines'
fitters, SLSQP or L-BFGS-B on the mean log-likelihood, were used before; they
stopped short of the maximum by amounts that varied between installations,
leaving a gradient up to 9e-4 on the R reference regression here and a
log-normal coefficient 1.6e-6 from R's on another machine.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from outcomes.errors import InputError

__all__ = ["MaxLik", "Rows", "evaluate", "isf0", "maximise", "pdf0", "sf0"]

#: Newton-Raphson stops when g' (-H)^-1 g, the squared remaining step in standard errors, is
#: below this: the log-likelihood is then within about 1e-20 of its maximum.
_DECREMENT_TOL = 1e-20
#: Below this decrement (a step under 1e-4 standard errors) Newton steps are taken whole: the
#: log-likelihood is quadratic there, and the gain a step-halving test would look for (half the
#: decrement) drowns in rounding.
_FULL_STEPS = 1e-8
#: ... and they stop early, at the rounding floor, if the decrement is below this and no longer
#: shrinks fourfold a step (converging quadratically, it would square).
_ROUNDING_FLOOR = 1e-15
_MAX_NEWTON = 100
#: Two-sided intervals narrower than this in z (log(upper / lower) / sigma) use the expansion
#: about their centre (likelihood section). At this width both ways are within 1e-11 of the
#: term (against Gauss-Legendre quadrature of f0, z in [-6, 4]); the difference of S0 at closer
#: ends loses more digits, the expansion at wider ones (Weibull tail).
_NARROW = 1e-4
_MAX_HALVING = 60


# --------------------------------------------------------------------------- #
# the standard error distributions W of log T = mu + sigma W: S0, f0 and the inverse of S0
# (outcomes.parametric draws the fitted curves with them)


def sf0(family: str, z: np.ndarray) -> np.ndarray:
    """P(W > z)."""
    from scipy import special

    if family == "weibull":
        with np.errstate(over="ignore"):  # exp(z) = inf far in the tail: S = 0
            return np.exp(-np.exp(z))
    if family == "loglogistic":
        return np.asarray(special.expit(-z))
    return np.asarray(special.ndtr(-z))


def pdf0(family: str, z: np.ndarray) -> np.ndarray:
    """Density of W at z."""
    from scipy import special

    if family == "weibull":
        with np.errstate(over="ignore"):
            return np.exp(z - np.exp(z))
    if family == "loglogistic":
        return np.asarray(special.expit(z) * special.expit(-z))
    return np.exp(-(z**2) / 2) / math.sqrt(2 * math.pi)


def isf0(family: str, p: float) -> float:
    """z with P(W > z) = p."""
    from scipy import special

    if family == "weibull":
        return math.log(-math.log(p))
    if family == "loglogistic":
        return -float(special.logit(p))
    return -float(special.ndtri(p))


# --------------------------------------------------------------------------- #
# the interval-censored log-likelihood
#
# z = gamma log t - x alpha, with alpha = beta / sigma and gamma = 1 / sigma (module
# docstring). A row's term is log(S0(z_lower) - S0(z_upper)): log S0(z_lower) when upper =
# inf, log F0(z_upper) when lower = 0. A two-sided term is differentiated in its centre c =
# (z_lower + z_upper) / 2 and width d = z_upper - z_lower = gamma log(upper / lower), which
# keeps the Hessian free of the cancellation between the two ends of a narrow interval. Below
# d = 1e-4 the term is its expansion about c, log(f0(c) d) + d^2 k(c) / 24 with k = f0''/f0 =
# s' + s^2 (s the slope of log f0): the exact-time limit, corrected.


def _log_sf0(family: str, z: np.ndarray) -> np.ndarray:
    """log P(W > z)."""
    from scipy import special

    if family == "weibull":
        with np.errstate(over="ignore"):
            return -np.exp(z)
    if family == "loglogistic":
        return -np.logaddexp(0.0, z)
    return np.asarray(special.log_ndtr(-z))


def _log_cdf0(family: str, z: np.ndarray) -> np.ndarray:
    """log P(W <= z)."""
    from scipy import special

    if family == "weibull":
        with np.errstate(over="ignore", divide="ignore"):
            return np.log(-np.expm1(-np.exp(z)))
    if family == "loglogistic":
        return -np.logaddexp(0.0, -z)
    return np.asarray(special.log_ndtr(z))


def _log_pdf0(family: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """log f0(z), its slope s = d log f0 / dz, and s' and s''."""
    from scipy import special

    if family == "weibull":
        with np.errstate(over="ignore"):
            e = np.exp(z)
        return z - e, 1.0 - e, -e, -e
    if family == "loglogistic":
        p, q = special.expit(z), special.expit(-z)
        log_f = -np.logaddexp(0.0, z) - np.logaddexp(0.0, -z)
        return log_f, q - p, -2 * p * q, -2 * p * q * (q - p)
    return -(z**2) / 2 - 0.5 * math.log(2 * math.pi), -z, np.full_like(z, -1.0), np.zeros_like(z)


def _log1mexp(x: np.ndarray) -> np.ndarray:
    """log(1 - exp(x)) for x <= 0, accurate at both ends (Maechler 2012)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > -math.log(2), np.log(-np.expm1(x)), np.log1p(-np.exp(x)))


def _log_prob(family: str, zl: np.ndarray, zu: np.ndarray) -> np.ndarray:
    """log(S0(zl) - S0(zu)) for finite zl < zu: from log S0 if zl is past the median, else F0."""
    log_sl, log_su = _log_sf0(family, zl), _log_sf0(family, zu)
    log_fl, log_fu = _log_cdf0(family, zl), _log_cdf0(family, zu)
    with np.errstate(invalid="ignore"):  # -inf - -inf far out in a trial step: NaN, rejected
        out = np.where(
            log_sl < math.log(0.5),
            log_sl + _log1mexp(log_su - log_sl),
            log_fu + _log1mexp(log_fl - log_fu),
        )
    return np.where(np.isnan(out), -np.inf, out)


def _times(slope: np.ndarray, d1: np.ndarray) -> np.ndarray:
    """slope * d1, 0 where d1 is 0 (slope may be infinite there, far in a tail)."""
    with np.errstate(invalid="ignore"):
        return np.where(d1 == 0, 0.0, slope * d1)


@dataclass(frozen=True, eq=False)
class Rows:
    """Intervals on the log scale, the design (intercept column first) and frequency weights."""

    y_lower: np.ndarray  # log lower, months; -inf where lower = 0
    y_upper: np.ndarray  # log upper, months; inf where upper = inf
    y_mid: np.ndarray  # d c / d gamma: mean of the two ends, or the finite end; 0 if none
    width: np.ndarray  # log(upper / lower) of two-sided rows, else 0
    x: np.ndarray
    weight: np.ndarray
    right: np.ndarray  # upper = inf, lower > 0: log S0(z_lower)
    left: np.ndarray  # lower = 0, upper < inf: log F0(z_upper)
    both: np.ndarray  # 0 < lower < upper < inf

    @classmethod
    def of(cls, lower: np.ndarray, upper: np.ndarray, x: np.ndarray, weight: np.ndarray) -> Rows:
        open_lo, open_hi = lower == 0, np.isinf(upper)
        both = ~open_lo & ~open_hi
        with np.errstate(divide="ignore", invalid="ignore"):
            y_lower, y_upper = np.log(lower), np.log(upper)
            width = np.where(both, np.log1p((upper - lower) / lower), 0.0)
            y_mid = np.where(both, (y_lower + y_upper) / 2, 0.0)
        y_mid = np.where(open_hi & ~open_lo, y_lower, np.where(open_lo & ~open_hi, y_upper, y_mid))
        return cls(
            y_lower, y_upper, y_mid, width, x, weight, open_hi & ~open_lo, open_lo & ~open_hi, both
        )


def evaluate(
    family: str, rows: Rows, phi: np.ndarray, derivatives: bool = True
) -> tuple[float, np.ndarray, np.ndarray]:
    """Log-likelihood at phi = (alpha, gamma), with its gradient and Hessian in phi.

    Each row's term l is differentiated in one or two scalars: z_lower (upper = inf),
    z_upper (lower = 0), or c and d (two-sided; see above), whose gradients in phi are
    (-x, y_mid) and (0, width). With u = d l / d z_lower = -f0(z_lower) / D and v = d l / d
    z_upper = f0(z_upper) / D, D = S0(z_lower) - S0(z_upper): l_c = u + v, l_d = (v - u) / 2,
    and the second derivatives follow from l_z_lower2 = s_lower u - u^2, l_z_upper2 = s_upper v
    - v^2 and l_z_lower_z_upper = -u v (s the slope of log f0).
    """
    eta = rows.x @ phi[:-1]
    gamma = phi[-1]
    zl, zu = gamma * rows.y_lower - eta, gamma * rows.y_upper - eta
    c, d = gamma * rows.y_mid - eta, gamma * rows.width
    narrow = rows.both & (d < _NARROW)
    wide = rows.both & ~narrow
    term = np.zeros_like(eta)
    term[rows.right] = _log_sf0(family, zl[rows.right])
    term[rows.left] = _log_cdf0(family, zu[rows.left])
    term[wide] = _log_prob(family, zl[wide], zu[wide])
    log_fc, s_c, ds_c, dds_c = _log_pdf0(family, c[narrow])
    kappa, dkappa, dn = ds_c + s_c**2, dds_c + 2 * s_c * ds_c, d[narrow]
    term[narrow] = log_fc + np.log(dn) + dn**2 * kappa / 24
    ll = float(rows.weight @ term)
    if not derivatives or not math.isfinite(ll):
        return ll, np.empty(0), np.empty(0)

    g1, g2, h11, h12, h22 = (np.zeros_like(eta) for _ in range(5))  # in (z or c, d)
    for k, z, sign in ((rows.right, zl, -1.0), (rows.left, zu, 1.0)):
        log_f, s, _, _ = _log_pdf0(family, z[k])
        g = sign * np.exp(log_f - term[k])  # -hazard, or f0 / F0
        g1[k], h11[k] = g, _times(s, g) - g * g
    log_fl, s_l, _, _ = _log_pdf0(family, zl[wide])
    log_fu, s_u, _, _ = _log_pdf0(family, zu[wide])
    u, v = -np.exp(log_fl - term[wide]), np.exp(log_fu - term[wide])
    curvature, total, gap = _times(s_l, u) + _times(s_u, v), u + v, v - u
    g1[wide], g2[wide] = total, gap / 2
    h11[wide] = curvature - total**2
    h12[wide] = (_times(s_u, v) - _times(s_l, u) - total * gap) / 2
    h22[wide] = (curvature - gap**2) / 4
    g1[narrow], g2[narrow] = s_c + dn**2 * dkappa / 24, 1 / dn + dn * kappa / 12
    h11[narrow], h12[narrow], h22[narrow] = ds_c, dn * dkappa / 12, kappa / 12 - 1 / dn**2

    w = rows.weight
    e1 = np.column_stack([-rows.x, rows.y_mid])  # d (z or c) / d phi; d d / d phi = (0, width)
    grad = e1.T @ (w * g1)
    grad[-1] += (w * g2) @ rows.width
    hess = (e1.T * (w * h11)) @ e1
    cross = e1.T @ (w * h12 * rows.width)
    hess[:, -1] += cross
    hess[-1, :] += cross
    hess[-1, -1] += (w * h22) @ rows.width**2
    return ll, grad, hess


# --------------------------------------------------------------------------- #
# its maximum


def _to_survreg(
    phi: np.ndarray, grad: np.ndarray, hess: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient and Hessian in theta = (beta, log sigma), from those in phi = (alpha, gamma).

    alpha = beta exp(-log sigma), gamma = exp(-log sigma): the chain rule, with the
    second derivatives of that map (d2 alpha_j / d beta_j d log sigma = -gamma,
    d2 alpha_j / d log sigma2 = alpha_j, d2 gamma / d log sigma2 = gamma).
    """
    alpha, gamma = phi[:-1], phi[-1]
    p = alpha.size
    jac = np.zeros((p + 1, p + 1))
    jac[:p, :p] = gamma * np.eye(p)
    jac[:p, p] = -alpha
    jac[p, p] = -gamma
    h = jac.T @ hess @ jac
    h[:p, p] -= gamma * grad[:p]
    h[p, :p] -= gamma * grad[:p]
    h[p, p] += alpha @ grad[:p] + gamma * grad[p]
    return jac.T @ grad, h


@dataclass(frozen=True, eq=False)
class MaxLik:
    """The maximum of the log-likelihood, in R's ``survreg`` parameters."""

    beta: np.ndarray  # intercept first, then one per column of the design; log months
    sigma: float
    cov: np.ndarray  # variance of (beta, log sigma): inverse of minus the Hessian
    log_likelihood: float
    gradient_norm: float  # largest |d log-likelihood / d (beta, log sigma)| at the estimate


def _start(rows: Rows) -> np.ndarray:
    """Starting (alpha, gamma): weighted least squares of y_mid (a log time per row) on x.

    Any start will do (concavity); a near one saves steps.
    """
    w = np.where(rows.right | rows.left | rows.both, rows.weight, 0.0)  # (0, inf) says nothing
    root = np.sqrt(w)
    beta = np.linalg.lstsq(rows.x * root[:, None], rows.y_mid * root, rcond=None)[0]
    sigma = math.sqrt(float(w @ (rows.y_mid - rows.x @ beta) ** 2) / float(w.sum()))
    sigma = sigma if 1e-3 < sigma < 1e3 else 1.0
    return np.append(beta / sigma, 1 / sigma)


def maximise(
    family: str, lower: np.ndarray, upper: np.ndarray, x: np.ndarray, weight: np.ndarray
) -> MaxLik:
    """Maximum likelihood by Newton-Raphson with step halving (module docstring).

    ``lower``, ``upper``: months, ``0 <= lower < upper <= inf``; ``x``: design with
    the intercept column first; ``weight``: frequency of each row.
    """
    rows = Rows.of(lower, upper, x, weight)
    phi = _start(rows)
    for _ in range(_MAX_HALVING):  # a start far in a tail (Weibull): widen sigma until finite
        ll, grad, hess = evaluate(family, rows, phi)
        if math.isfinite(ll):
            break
        phi = phi / 2
    else:
        raise InputError(f"the {family} log-likelihood is not finite at any starting point")
    previous = math.inf
    for iteration in range(1, _MAX_NEWTON + 1):
        try:
            root = np.linalg.cholesky(-hess)  # -H is positive definite (concavity)
        except np.linalg.LinAlgError:
            raise InputError(
                f"the {family} model has no unique maximum likelihood estimate for these data: "
                "the log-likelihood is flat in some direction (e.g. every loss of relief seen "
                "lies in one or two adjacent intervals, or a covariate level has too few "
                "procedures); use the nonparametric estimate, or fewer covariates"
            ) from None
        half = np.linalg.solve(root, grad)
        step = np.linalg.solve(root.T, half)
        decrement = float(half @ half)  # g' (-H)^-1 g
        if decrement < _DECREMENT_TOL:
            break
        if decrement < _FULL_STEPS:  # quadratic convergence: whole steps
            if decrement < _ROUNDING_FLOOR and decrement > previous / 4:
                break
            phi = phi + step
        else:
            for k in range(_MAX_HALVING):
                trial = phi + step * 0.5**k
                if trial[-1] > 0 and evaluate(family, rows, trial, derivatives=False)[0] >= ll:
                    break
            else:
                raise InputError(
                    f"the {family} fit could not improve its log-likelihood ({ll!r}) along the "
                    f"Newton direction at step {iteration}: the data may not identify the model "
                    "(e.g. every loss of relief seen lies in one or two adjacent intervals)"
                )
            phi = trial
        previous = decrement
        ll, grad, hess = evaluate(family, rows, phi)
    else:
        raise InputError(
            f"the {family} fit did not converge in {_MAX_NEWTON} Newton steps: the maximum "
            "may lie at infinity (e.g. a covariate level in which relief was never seen to end)"
        )
    grad_r, hess_r = _to_survreg(phi, grad, hess)
    return MaxLik(
        beta=phi[:-1] / phi[-1],
        sigma=float(1 / phi[-1]),
        cov=np.linalg.inv(-hess_r),
        log_likelihood=ll,
        gradient_norm=float(np.abs(grad_r).max()),
    )
