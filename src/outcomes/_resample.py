"""Resampling the Turnbull NPMLE: bootstrap, jackknife and given replicate weights.

Every replicate reweights the full sample's distinct intervals, and by
Turnbull's lemma its NPMLE lies on the full sample's innermost intervals, so
all replicates are fitted at once by :func:`outcomes._em.fit_columns`.
Patients, not procedures, are the unit of resampling when ``cluster`` is
given: a patient's procedures (both knees, repeat procedures) are drawn or
deleted together.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import sparse

from outcomes._em import (
    Problem,
    fit_columns,
    gradient,
    initial_masses,
    prepare,
    restrict,
    segments,
)
from outcomes._npmle import (
    KKT_TOL,
    TurnbullFit,
    _as_times,
    _check_tolerances,
    _frozen_bool,
    _frozen_float,
    _frozen_int,
    _point_fit,
    _survival_at,
    _validate,
)
from outcomes.errors import InputError

__all__ = [
    "BootstrapFit",
    "Resampler",
    "turnbull_bootstrap",
    "turnbull_jackknife",
    "turnbull_replicates",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

#: Upper bound on the elements of one (distinct intervals x replicates) working array.
_CHUNK_ELEMENTS: Final = 4_000_000
#: Clusters drawn at once when resampling patients (bounds a working array).
_DRAWS_PER_STEP: Final = 4_000_000


@dataclass(frozen=True, eq=False)
class BootstrapFit:
    """Turnbull NPMLEs of resampled (or reweighted) data on a common support.

    Attributes
    ----------
    left, right : ndarray of float, shape (m,)
        The full sample's innermost intervals, in months (as in ``point``).
    masses : ndarray of float, shape (B, m)
        One NPMLE per row; each row is non-negative and sums to 1.
    point : TurnbullFit
        The fit to the full sample.
    iterations : ndarray of int, shape (B,)
        EM-ICM iterations used by each replicate.
    converged : ndarray of bool, shape (B,)
    seed : int or None
        Seed of :func:`numpy.random.default_rng` that drew the resamples
        (None when the replicate weights were given).

    Notes
    -----
    A replicate's own innermost intervals are unions of the full sample's, so
    its NPMLE is found on the full-sample support (Turnbull's lemma). How a
    replicate splits mass between full-sample intervals that no resampled
    observation separates is not identified; the EM start (the full-sample
    estimate blended with each replicate's own data) decides it. Draw
    confidence bands at the data's endpoints, where this does not matter.
    """

    left: FloatArray
    right: FloatArray
    masses: FloatArray
    point: TurnbullFit
    iterations: IntArray
    converged: BoolArray
    seed: int | None

    @property
    def n_boot(self) -> int:
        """Number of replicates ``B``."""
        return int(self.masses.shape[0])

    def survival(self, t: npt.ArrayLike) -> FloatArray:
        """``S(t)`` of every replicate.

        Parameters
        ----------
        t : array_like of float, shape (T,)
            Finite times, in months.

        Returns
        -------
        ndarray of float, shape (B, T)
            Same interpolation convention as :meth:`TurnbullFit.survival`.
        """
        times = np.atleast_1d(_as_times(t))
        if times.ndim != 1:
            raise InputError("times must be one-dimensional")
        return _survival_at(self.left, self.right, self.masses, times)


def _replicate_fits(
    prob: Problem,
    point: TurnbullFit,
    n_rep: int,
    weights_for: Callable[[int], FloatArray],
    *,
    tol: float,
    kkt_tol: float,
    max_iter: int,
    seed: int | None,
    blend: float = 0.5,
) -> BootstrapFit:
    """Fit ``n_rep`` weightings of ``prob``'s distinct intervals on its innermost intervals.

    ``weights_for(k)`` returns the next ``k`` weightings as an (n, k) array;
    it is called for consecutive chunks of replicates, sized to bound memory.
    EM starts from the full-sample masses blended (share ``blend``) with each
    replicate's own initial masses.

    Replicates are fitted first with mass only where the full-sample fit has
    it, where far fewer classes of intervals remain (:func:`outcomes._em.restrict`);
    a replicate whose optimality conditions then fail on the full support is
    refitted there, from that solution. Every replicate returned satisfies
    them on the full support.
    """
    masses = np.empty((n_rep, prob.m))
    iterations = np.zeros(n_rep, dtype=np.intp)
    converged = np.ones(n_rep, dtype=np.bool_)
    keep = np.flatnonzero(point.mass > 0)
    reduced, collapse = restrict(prob, keep)

    def fit_chunk(cols: slice, wc: FloatArray) -> None:
        wr = np.asarray(collapse @ wc)
        start = np.repeat((1 - blend) * point.mass[keep, None], wc.shape[1], axis=1)
        if blend > 0:
            start += blend * initial_masses(reduced, wr)
        sol = fit_columns(reduced, wr, start, tol=tol, kkt_tol=kkt_tol, max_iter=max_iter)
        full = np.zeros((prob.m, wc.shape[1]))
        full[keep] = sol.mass / sol.mass.sum(axis=0)
        _, grad = gradient(prob, full, wc, wc.sum(axis=0))
        redo = np.flatnonzero(grad.max(axis=0) - 1.0 > kkt_tol)
        its, ok = sol.iterations.copy(), sol.converged.copy()
        if redo.size:
            again = fit_columns(
                prob, wc[:, redo], full[:, redo], tol=tol, kkt_tol=kkt_tol, max_iter=max_iter
            )
            full[:, redo] = again.mass / again.mass.sum(axis=0)
            its[redo] += again.iterations
            ok[redo] = again.converged
        masses[cols] = full.T
        iterations[cols] = its
        converged[cols] = ok

    chunk = max(1, _CHUNK_ELEMENTS // max(prob.weight.size, prob.m))
    for lo in range(0, n_rep, chunk):
        cols = slice(lo, min(lo + chunk, n_rep))
        fit_chunk(cols, np.ascontiguousarray(weights_for(cols.stop - cols.start)))
    if not converged.all():
        warnings.warn(
            f"{int((~converged).sum())} of {n_rep} replicate fits did not converge "
            f"in {max_iter} EM-ICM iterations",
            RuntimeWarning,
            stacklevel=3,
        )
    return BootstrapFit(
        left=point.left,
        right=point.right,
        masses=_frozen_float(masses),
        point=point,
        iterations=_frozen_int(iterations),
        converged=_frozen_bool(converged),
        seed=seed,
    )


def _clusters(cluster: npt.ArrayLike | None, n_rows: int) -> IntArray | None:
    """Codes 0..G-1 of each row's cluster (patient), or None."""
    if cluster is None:
        return None
    c = np.asarray(cluster)
    if c.shape != (n_rows,):
        raise InputError(f"cluster must have shape ({n_rows},), got {c.shape}")
    if c.dtype.kind == "f" and np.isnan(c).any():
        raise InputError("cluster must not contain NaN")
    codes: IntArray = np.unique(c, return_inverse=True)[1].astype(np.intp).ravel()
    return codes


class Resampler:
    """The prepared data and point fit of one sample, from which replicates are drawn.

    Preparing the intervals and fitting the point estimate once serves both
    the bootstrap and the jackknife of the same data.

    Parameters
    ----------
    left, right : array_like of float, shape (n,)
        Intervals ``(left, right]`` in months, as in :func:`outcomes._npmle.turnbull`.
    weights : array_like of int, shape (n,), optional
        Frequency weights: a row with weight ``k`` stands for ``k`` identical
        observations (procedures), of its cluster when ``cluster`` is given.
        Must be whole numbers. Default: 1 each.
    cluster : array_like, shape (n,), optional
        Cluster (patient) of each row: the unit of resampling. Default: each
        observation is its own.
    tol, kkt_tol, max_iter
        As in :func:`outcomes._npmle.turnbull`, applied to each replicate
        (the point fit uses ``min(tol, 1e-9)`` and the default ``kkt_tol``).
        Replicates need less precision than the point fit: at the default
        ``tol = 1e-6`` the bootstrap's S(t) at landmarks moves by under 1e-4
        of its standard deviation against ``tol = 1e-7``, for 20% less time.

    Attributes
    ----------
    point : TurnbullFit
        The fit to the full sample.
    n_units : int
        Clusters (or observations, without ``cluster``).
    """

    def __init__(
        self,
        left: npt.ArrayLike,
        right: npt.ArrayLike,
        weights: npt.ArrayLike | None = None,
        *,
        cluster: npt.ArrayLike | None = None,
        tol: float = 1e-6,
        kkt_tol: float = 1e-5,
        max_iter: int = 100_000,
    ) -> None:
        _check_tolerances(tol, kkt_tol, max_iter)
        lo, hi, w = _validate(left, right, weights)
        codes = _clusters(cluster, lo.size)
        if not np.array_equal(w, np.round(w)):
            raise InputError("bootstrap weights must be whole numbers (frequency weights)")
        keep = w > 0
        if not keep.all():
            lo, hi, w = lo[keep], hi[keep], w[keep]
            codes = None if codes is None else np.unique(codes[keep], return_inverse=True)[1]
        self._w = w
        self._codes = codes
        self._tol, self._kkt_tol, self._max_iter = tol, kkt_tol, max_iter
        self._prob = prepare(lo, hi, w)
        self.point = _point_fit(self._prob, tol=min(tol, 1e-9), kkt_tol=KKT_TOL, max_iter=max_iter)
        self.n_units = int(codes.max()) + 1 if codes is not None else int(np.rint(w.sum()))

    def _fits(
        self, n_rep: int, weights_for: Callable[[int], FloatArray], seed: int | None, blend: float
    ) -> BootstrapFit:
        return _replicate_fits(
            self._prob,
            self.point,
            n_rep,
            weights_for,
            tol=self._tol,
            kkt_tol=self._kkt_tol,
            max_iter=self._max_iter,
            seed=seed,
            blend=blend,
        )

    def bootstrap(self, n_boot: int, seed: int | None = 0) -> BootstrapFit:
        """``n_boot`` resamples of the clusters (or observations), with replacement.

        Resampling ``N`` units with replacement is drawing multinomial counts
        over the distinct intervals (or, with clusters, drawing ``G`` clusters
        and mapping the tally onto the distinct intervals by a sparse
        product), so each replicate is a weight vector over the distinct
        intervals.
        """
        if n_boot < 1:
            raise InputError("n_boot must be at least 1")
        prob, rng = self._prob, np.random.default_rng(seed)
        singletons = self._codes is None or (
            self.n_units == self._codes.size and bool(np.all(self._w == 1))
        )
        # consecutive draws from one generator: the same counts whatever the chunking
        if singletons:  # each unit one row: multinomial counts over the distinct intervals
            n_draws = int(np.rint(prob.weight.sum()))
            share = prob.weight / prob.weight.sum()

            def draw(k: int) -> FloatArray:
                out: FloatArray = rng.multinomial(n_draws, share, size=k).T.astype(np.float64)
                return out

        else:  # G clusters drawn with replacement, each bringing all its rows
            assert self._codes is not None
            g = self.n_units
            # design[i, c]: the weight cluster c puts on distinct interval i
            design = sparse.csr_array(
                (self._w, (prob.row_group, self._codes)), shape=(prob.weight.size, g)
            )
            step = max(1, _DRAWS_PER_STEP // g)

            def draw(k: int) -> FloatArray:
                out = np.empty((prob.weight.size, k))
                for lo in range(0, k, step):  # a few replicates at a time, to bound memory
                    r = min(step, k - lo)
                    # 32-bit draws are faster; clusters x replicates fit in them easily
                    picked = rng.integers(0, g, size=(r, g), dtype=np.int32)
                    picked += g * np.arange(r, dtype=np.int32)[:, None]
                    tally = np.bincount(picked.ravel(), minlength=g * r).reshape(r, g)
                    out[:, lo : lo + r] = design @ tally.T.astype(np.float64)
                return out

        return self._fits(n_boot, draw, seed, blend=0.5)

    def jackknife(self, groups: int = 100, seed: int | None = 0) -> BootstrapFit:
        """The fit without each of ``G = min(groups, units)`` random groups of units.

        Units (clusters, or observations) are split at random into groups of
        (nearly) equal size; row ``g`` of the result is the fit without group
        ``g``. For a statistic ``T``, ``(G - 1) / G * sum_g (T_g - mean T)^2``
        estimates its variance, conservatively on average (Efron-Stein).
        """
        n_groups = min(int(groups), self.n_units)
        if n_groups < 2:
            raise InputError("the jackknife needs at least 2 observations (patients) and 2 groups")
        prob = self._prob
        if self._codes is not None:  # rows, each in its cluster, with its weight
            rows = np.arange(self._w.size)
            unit, row_weight = self._codes, self._w
        else:  # one entry per observation: a row of weight k is k of them
            rows = np.repeat(np.arange(self._w.size), self._w.astype(np.intp))
            unit, row_weight = np.arange(rows.size), np.ones(rows.size)
        group = np.random.default_rng(seed).permutation(np.arange(self.n_units) % n_groups)[unit]
        dropped = np.zeros((prob.weight.size, n_groups))
        np.add.at(dropped, (prob.row_group[rows], group), row_weight)
        done = 0

        def take(k: int) -> FloatArray:
            nonlocal done
            done += k
            out: FloatArray = prob.weight[:, None] - dropped[:, done - k : done]
            return out

        # each replicate is close to the full-sample fit: start there
        return self._fits(n_groups, take, seed, blend=0.0)


def turnbull_bootstrap(
    left: npt.ArrayLike,
    right: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
    *,
    cluster: npt.ArrayLike | None = None,
    n_boot: int = 500,
    seed: int | None = 0,
    tol: float = 1e-6,
    kkt_tol: float = 1e-5,
    max_iter: int = 100_000,
) -> BootstrapFit:
    """Nonparametric bootstrap of the Turnbull NPMLE, all replicates at once.

    Resampling with replacement reweights the distinct intervals, and by
    Turnbull's lemma each replicate's NPMLE can be found on the full
    sample's innermost intervals, so the EM-ICM iterations run on (distinct
    intervals x replicates) arrays, in chunks of replicates. With
    ``cluster``, the clusters (patients) are resampled, each with all its
    rows (both knees, repeat procedures). See :class:`Resampler`.

    Parameters
    ----------
    left, right, weights, cluster, tol, kkt_tol, max_iter
        As for :class:`Resampler`.
    n_boot : int
        Number of resamples ``B``.
    seed : int or None
        Seed for :func:`numpy.random.default_rng`.

    Returns
    -------
    BootstrapFit
        ``masses`` has shape (n_boot, m); ``survival(t)`` gives (n_boot, len(t)).
    """
    r = Resampler(
        left, right, weights, cluster=cluster, tol=tol, kkt_tol=kkt_tol, max_iter=max_iter
    )
    return r.bootstrap(n_boot, seed)


def turnbull_jackknife(
    left: npt.ArrayLike,
    right: npt.ArrayLike,
    *,
    cluster: npt.ArrayLike | None = None,
    groups: int = 100,
    seed: int | None = 0,
    tol: float = 1e-6,
    kkt_tol: float = 1e-5,
    max_iter: int = 100_000,
) -> BootstrapFit:
    """Delete-a-group jackknife of the Turnbull NPMLE on the full-sample support.

    The observations (or, with ``cluster``, the clusters: patients with all
    their procedures) are split at random into ``G = min(groups, units)``
    groups of (nearly) equal size (``G`` = units: the ordinary leave-one-out
    jackknife) and the NPMLE is refitted without each group in turn. See
    :meth:`Resampler.jackknife`.

    Parameters
    ----------
    left, right, cluster, tol, kkt_tol, max_iter
        As for :class:`Resampler`.
    groups : int
        Number of groups ``G`` (at least 2).
    seed : int or None
        Seed of the random split.

    Returns
    -------
    BootstrapFit
        ``masses`` has shape (G, m): row ``g`` is the fit without group ``g``.
    """
    r = Resampler(left, right, cluster=cluster, tol=tol, kkt_tol=kkt_tol, max_iter=max_iter)
    return r.jackknife(groups, seed)


def turnbull_replicates(
    left: npt.ArrayLike,
    right: npt.ArrayLike,
    replicate_weights: npt.ArrayLike,
    *,
    tol: float = 1e-6,
    kkt_tol: float = 1e-5,
    max_iter: int = 100_000,
) -> BootstrapFit:
    """Turnbull NPMLEs for given per-observation weight vectors on a common support.

    The building block of :func:`turnbull_bootstrap`, for other resampling
    schemes (e.g. a Bayesian bootstrap with Dirichlet weights).

    Parameters
    ----------
    left, right : array_like of float, shape (n,)
        Intervals ``(left, right]`` in months, as in :func:`turnbull`. Their
        innermost intervals (all rows, unit weights) are the common support,
        and ``point`` is the unweighted fit.
    replicate_weights : array_like of float, shape (B, n)
        Non-negative weights, one row per replicate, each with a positive sum.
    tol, kkt_tol, max_iter
        As in :func:`turnbull`, applied to each replicate.

    Returns
    -------
    BootstrapFit
        With ``seed=None``.
    """
    _check_tolerances(tol, kkt_tol, max_iter)
    lo, hi, ones = _validate(left, right, None)
    rw = np.asarray(replicate_weights, dtype=np.float64)
    if rw.ndim != 2 or rw.shape[1] != lo.size:
        raise InputError(f"replicate_weights must have shape (B, {lo.size}), got {rw.shape}")
    if not np.isfinite(rw).all() or (rw < 0).any() or not (rw.sum(axis=1) > 0).all():
        raise InputError("replicate weights must be finite, >= 0, with a positive sum per row")
    prob = prepare(lo, hi, ones)
    point = _point_fit(prob, tol=min(tol, 1e-9), kkt_tol=KKT_TOL, max_iter=max_iter)
    # sum the weights of identical rows: rows sorted by distinct interval, then reduceat
    order = np.argsort(prob.row_group, kind="stable")
    starts, _ = segments(prob.row_group[order])
    w = np.add.reduceat(rw[:, order], starts, axis=1).T
    done = 0

    def take(k: int) -> FloatArray:
        nonlocal done
        done += k
        out: FloatArray = w[:, done - k : done]
        return out

    return _replicate_fits(
        prob, point, rw.shape[0], take, tol=tol, kkt_tol=kkt_tol, max_iter=max_iter, seed=None
    )
