"""One call from a follow-up file to the numbers a paper or an audit needs.

``analyze`` loads and validates the data, derives relief intervals, fits the
relief curve (overall and by group), and collects the summaries in an
:class:`Analysis` whose ``to_dict()`` is JSON-safe and free of patient
identifiers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from outcomes.endpoints import (
    COMPETING_EVENTS,
    EXCLUSIONS,
    TRAJECTORY_MONTHS,
    ReliefDefinition,
    complication_rates,
    derive_competing_events,
    derive_relief,
    group_labels,
    landmark_assessments,
    responder_rates,
    score_trajectory,
)
from outcomes.errors import InputError, OptionError
from outcomes.grouptest import GroupTest, compare_groups
from outcomes.mapping import FileMapping
from outcomes.schema import Cohort, load_cohort
from outcomes.survival import (
    DEFAULT_BOOT,
    ReliefCurve,
    cumulative_incidence,
    fit_km,
    fit_npmle,
    risk_table,
)

__all__ = ["METHODS", "RISK_TABLE_MONTHS", "Analysis", "analyze"]

#: Times of the risk table under relief curves, months.
RISK_TABLE_MONTHS = (0.0, 3.0, 6.0, 12.0, 18.0, 24.0)

METHODS = ("npmle", "km", "parametric", "weibull", "loglogistic", "lognormal")

Method = Literal["npmle", "km", "parametric", "weibull", "loglogistic", "lognormal"]


@dataclass(frozen=True, eq=False)
class GroupResult:
    """Relief estimates for one group (e.g. one technique)."""

    name: str
    curve: ReliefCurve
    responder_rates: pd.DataFrame
    counts: dict[str, Any]


@dataclass(frozen=True, eq=False)
class Analysis:
    """Results of :func:`analyze`.

    Attributes
    ----------
    cohort : Cohort
        The validated input (holds patient identifiers: keep it internal).
    definition : ReliefDefinition
    method : str
    relief : DataFrame
        One row per procedure: responder status and loss-of-relief interval
        (see :func:`outcomes.endpoints.derive_relief`).
    curve : ReliefCurve
        Relief curve and summaries of all analysed procedures.
    responder_rates : DataFrame
        Literature-style responder rates at the landmark visits.
    by : str or None
    groups : list of GroupResult
    group_test : GroupTest or None
    competing : DataFrame
        Cumulative incidence of repeat procedure, surgery and death (competing
        events, Aalen-Johansen) among all procedures, at the landmarks.
    regression : DataFrame or None
        Time ratios of the accelerated failure time regression, with
        ``covariates``.
    dropout_curve : ReliefCurve or None
        Sensitivity analysis for informative drop-out: the same estimator
        with procedures whose follow-up stopped in relief counted as losing
        it by their next scheduled visit (``ReliefDefinition(dropout="loss")``).
    dropout_converted : int
        Procedures that sensitivity analysis turned from censored into losses.
    """

    cohort: Cohort
    definition: ReliefDefinition
    method: str
    relief: pd.DataFrame
    curve: ReliefCurve
    responder_rates: pd.DataFrame
    landmarks_months: tuple[float, ...]
    seed: int
    by: str | None = None
    groups: list[GroupResult] = field(default_factory=list)
    group_test: GroupTest | None = None
    competing: pd.DataFrame | None = None
    regression: pd.DataFrame | None = None
    dropout_curve: ReliefCurve | None = None
    dropout_converted: int = 0

    @property
    def counts(self) -> dict[str, Any]:
        return _counts(self.cohort, self.relief)

    def curves(self) -> list[tuple[str, ReliefCurve]]:
        """The relief curves to show: one per group with ``by`` (sorted by name), else overall."""
        if self.groups:
            return sorted(((g.name, g.curve) for g in self.groups), key=lambda x: x[0])
        return [("all", self.curve)]

    def risk_table(self, months: tuple[float, ...] = RISK_TABLE_MONTHS) -> pd.DataFrame:
        """At risk, lost and censored at each time for each curve of :meth:`curves`.

        ``group``, ``months``, ``at_risk``, ``lost``, ``censored``; see
        :func:`outcomes.survival.risk_table` for what each count means.
        """
        used = self.relief[self.relief["excluded"].isna()]
        labels = group_labels(used, self.by)
        frames = []
        for name, _ in self.curves():  # one per group (a handful)
            sub = used[(labels == name).to_numpy()]
            t = risk_table(sub["lower_months"], sub["upper_months"], months)
            frames.append(t.assign(group=name))
        return pd.concat(frames, ignore_index=True)[
            ["group", "months", "at_risk", "lost", "censored"]
        ]

    def trajectory(self, visits_months: tuple[float, ...] = TRAJECTORY_MONTHS) -> pd.DataFrame:
        """Pain score by visit, per group (see :func:`outcomes.endpoints.score_trajectory`)."""
        return score_trajectory(
            self.cohort, self.definition, by=self.by, visits_months=visits_months
        )

    def improvement_at(self, months: float = 3.0) -> pd.DataFrame:
        """Improvement from baseline at the visit nearest ``months``, one row per procedure.

        ``group``, ``days_after``, ``percent`` (improvement in percent of the
        room to improve: for pain scores, percent pain reduction) and
        ``relief``, sorted by ``percent`` (largest first); no identifiers.
        ``attrs``: ``months``, ``threshold`` (the definition's percent
        reduction, or None) and ``instrument``.
        """
        la = landmark_assessments(self.cohort, (float(months),), self.definition)
        group = group_labels(self.cohort.procedures, self.by).reindex(la["procedure"])
        out = pd.DataFrame(
            {
                "group": group.to_numpy(),
                "days_after": la["days_after"].to_numpy(),
                "percent": la["percent"].to_numpy(),
                "relief": la["relief"].to_numpy(),
            }
        ).sort_values("percent", ascending=False, kind="stable", ignore_index=True)
        out.attrs.update(
            months=float(months),
            threshold=self.definition.percent_reduction,
            instrument=la.attrs.get("instrument"),
        )
        return out

    def key_findings(self) -> pd.DataFrame:
        """The handful of numbers an audit wants first, as data (see :mod:`outcomes.findings`).

        Every output (reports, slides, ``analyze``'s summary and JSON) renders
        this one table, so their numbers agree.
        """
        from outcomes.findings import key_findings

        return key_findings(self)

    def complications(self) -> pd.DataFrame:
        """Complications by kind with exact 95% CIs (see ``endpoints.complication_rates``)."""
        return complication_rates(self.cohort)

    def competing_curves(self) -> pd.DataFrame:
        """Cumulative incidence of repeat procedure, surgery and death at every event time.

        Same columns as :attr:`competing`; a step function in ``months``.
        """
        ce = derive_competing_events(self.cohort)
        names = {code: name for name, code in COMPETING_EVENTS.items()}
        times = np.unique(np.r_[0.0, ce["months"].to_numpy()[ce["cause"].to_numpy() > 0]])
        return cumulative_incidence(ce["months"], ce["cause"], names, landmarks_months=tuple(times))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary (no patient identifiers, no row-level data)."""
        from outcomes import __version__

        out: dict[str, Any] = {
            "outcomes_version": __version__,
            "input": [
                {"file": s.name, "sha256": s.sha256, "rows": s.rows} for s in self.cohort.sources
            ],
            "definition": {
                **self.definition.to_dict(),
                "instrument": self.relief.attrs.get("instrument"),
                "text": self.definition.describe(),
            },
            "method": self.method,
            "seed": self.seed,
            "bootstrap_resamples": self.curve.n_boot,
            "counts": self.counts,
            **_summaries(self.curve, self.responder_rates),
        }
        if self.competing is not None:
            out["cumulative_incidence"] = [
                {
                    "event": r["event"],
                    "months": _num(r["months"]),
                    "estimate": _num(r["estimate"]),
                    "lower": _num(r["lower"]),
                    "upper": _num(r["upper"]),
                    **({"note": r["note"]} if r["note"] else {}),
                }
                for r in _records(self.competing)
            ]
        if self.regression is not None:
            reg = self.regression
            out["regression"] = {
                "model": f"interval-censored {reg.attrs.get('family', 'weibull')} AFT",
                "n": int(reg.attrs.get("n", 0)),
                "n_dropped": int(reg.attrs.get("n_dropped", 0)),
                "reference_levels": {
                    str(k): str(v) for k, v in dict(reg.attrs.get("reference_levels", {})).items()
                },
                "terms": [
                    {
                        "term": str(r["term"]),
                        "time_ratio": _num(r["time_ratio"]),
                        "lower": _num(r["lower"]),
                        "upper": _num(r["upper"]),
                        "p_value": _num(r["p_value"]),
                    }
                    for r in _records(reg)
                ],
            }
        if self.curve.method not in ("npmle", "km"):
            out["parametric"] = {
                "family": self.curve.extra.get("family"),
                "aic": _num(self.curve.extra.get("aic", math.nan)),
            }
        if self.dropout_curve is not None:
            out["sensitivity"] = {
                "dropout_as_loss": {
                    "description": (
                        "procedures whose follow-up stopped while in relief, with no event "
                        "ending it, counted as losing relief by their next scheduled visit"
                    ),
                    "procedures_changed": self.dropout_converted,
                    "median_months": _median(self.dropout_curve),
                    "relief_at": _relief_records(self.dropout_curve),
                    "rmst": {
                        "tau_months": self.dropout_curve.tau_months,
                        **self.dropout_curve.rmst.to_dict(),
                    },
                }
            }
        from outcomes.benchmark import benchmark_records, compare

        out["key_findings"] = [
            {k: (_num(v) if isinstance(v, float) else v) for k, v in r.items()}
            for r in _records(self.key_findings().astype(object).where(lambda f: f.notna(), None))
        ]
        out["benchmarks"] = benchmark_records(compare(self))
        if self.by is not None:
            out["by"] = self.by
            out["groups"] = [
                {"group": g.name, "counts": g.counts, **_summaries(g.curve, g.responder_rates)}
                for g in self.groups
            ]
            out["group_test"] = self.group_test.to_dict() if self.group_test else None
        return out


def _relief_records(curve: ReliefCurve) -> list[dict[str, Any]]:
    """``relief_at`` as JSON records; where S is not identified, its bounds too."""
    out = []
    for r in _records(curve.relief_at):
        rec: dict[str, Any] = {
            "months": _num(r["months"]),
            "estimate": _num(r["estimate"]),
            "lower": _num(r["lower"]),
            "upper": _num(r["upper"]),
        }
        if "identified" in r and math.isfinite(float(r["estimate"])):
            rec["identified"] = bool(r["identified"])
            if not r["identified"]:
                rec["bounds"] = [_num(r["bound_low"]), _num(r["bound_high"])]
        if r["note"]:
            rec["note"] = r["note"]
        out.append(rec)
    return out


def _median(curve: ReliefCurve) -> dict[str, Any]:
    out = curve.median.to_dict()
    if curve.smooth is not None:
        out["source"] = "smooth curve: " + curve.smooth.method
    return out


def _summaries(curve: ReliefCurve, rates: pd.DataFrame) -> dict[str, Any]:
    return {
        "median_months": _median(curve),
        "relief_at": _relief_records(curve),
        "rmst": {"tau_months": curve.tau_months, **curve.rmst.to_dict()},
        "responder_rate_at": [
            {
                "months": _num(r["months"]),
                "assessed": int(r["assessed"]),
                "responders": int(r["responders"]),
                "rate": _num(r["rate"]),
                "lower": _num(r["lower"]),
                "upper": _num(r["upper"]),
            }
            for r in _records(rates)
        ],
        "followup_months": _num(curve.identified_until),
    }


def _num(x: Any) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], frame.to_dict("records"))


def _counts(cohort: Cohort, relief: pd.DataFrame) -> dict[str, Any]:
    analysed = relief["excluded"].isna()
    lost = relief["event"].isin(["loss", "repeat_procedure"]) & analysed
    excluded = relief.loc[~analysed, "excluded"].value_counts()
    a = cohort.assessments[cohort.assessments["procedure"].isin(relief.index)]
    used = relief.attrs.get("instrument")
    other = a.loc[a["instrument"] != used, "instrument"].value_counts()
    return {
        "patients": int(relief["patient"].nunique()),
        "procedures": len(relief),
        "assessments": len(a),
        "scores_not_used": {
            "other_instrument": {str(k): int(v) for k, v in other.items()},
        },
        "analysed": int(analysed.sum()),
        "initial_responders": int((relief["responder"] == True).sum()),  # noqa: E712
        "losses": int(lost.sum()),
        "censored": int(analysed.sum() - lost.sum()),
        "excluded": {str(k): int(v) for k, v in excluded.items()},
    }


def _fit(
    relief: pd.DataFrame,
    method: str,
    landmarks: tuple[float, ...],
    tau: float,
    n_boot: int,
    seed: int,
) -> ReliefCurve:
    used = relief[relief["excluded"].isna()]
    if used.empty:
        why = relief["excluded"].value_counts()
        said = "; ".join(f"{EXCLUSIONS.get(str(k), k)}: {int(n):,}" for k, n in why.items())
        raise InputError(
            f"no procedure can be analysed: every one was excluded ({said}); if the file has "
            "follow-up scores, check that they were read as scores (outcomes validate; a "
            "mapping from outcomes init FILE places them)"
        )
    if method == "npmle":
        return fit_npmle(
            used["lower_months"],
            used["upper_months"],
            cluster=used["patient"],
            landmarks_months=landmarks,
            tau_months=tau,
            n_boot=n_boot,
            seed=seed,
        )
    if method in ("parametric", "weibull", "loglogistic", "lognormal"):
        from outcomes.parametric import fit_parametric

        family = "best" if method == "parametric" else method
        return fit_parametric(
            used["lower_months"],
            used["upper_months"],
            family=family,
            landmarks_months=landmarks,
            tau_months=tau,
        )
    if method == "km":
        lost = used["event"].isin(["loss", "repeat_procedure"]).to_numpy()
        time = np.where(lost, used["upper_months"], used["lower_months"])
        return fit_km(time, lost, landmarks_months=landmarks, tau_months=tau)
    raise OptionError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")


def analyze(
    source: str | Path | Cohort,
    *,
    events: str | Path | None = None,
    mapping: str | Path | FileMapping | None = None,
    definition: ReliefDefinition | None = None,
    by: str | None = None,
    landmarks_months: tuple[float, ...] = (3, 6, 12, 18, 24),
    tau_months: float = 24.0,
    method: Method = "npmle",
    covariates: tuple[str, ...] | None = None,
    n_boot: int = DEFAULT_BOOT,
    seed: int = 0,
    as_of: dt.date | None = None,
) -> Analysis:
    """How long relief lasts: load, validate, derive and estimate in one call.

    Parameters
    ----------
    source : str, Path or Cohort
        Follow-up file (CSV, Excel, Parquet; long or wide), or a loaded cohort.
    events, mapping, as_of
        As for :func:`outcomes.load_cohort` (ignored when ``source`` is a cohort).
    definition : ReliefDefinition, optional
        Responder and loss-of-relief rules; defaults to ``ReliefDefinition()``.
    by : str, optional
        A procedure-level column (joint, technique, ...) for per-group estimates
        and a test of equal relief durations.
    landmarks_months : tuple of float
        Months at which to report relief probabilities and responder rates.
    tau_months : float
        Horizon of the restricted mean duration of relief, months.
    method : {"npmle", "km", "parametric", "weibull", "loglogistic", "lognormal"}
        Estimator of the relief curve: the Turnbull NPMLE (default); the naive
        Kaplan-Meier that dates loss at the visit that found it (biased; for
        comparison only); or a parametric fit to the intervals ("parametric":
        the family with the lowest AIC), whose numbers beyond the last
        follow-up are labelled "extrapolated".
    covariates : tuple of str, optional
        Procedure-level columns for a multivariable interval-censored Weibull
        accelerated failure time regression (time ratios with 95% CIs).
    n_boot : int
        Bootstrap resamples for confidence intervals.
    seed : int
        Seed of the bootstrap; the same seed gives the same intervals.

    Raises
    ------
    ValidationError
        The data have errors; its ``problems`` lists every one.
    """
    cohort = (
        source
        if isinstance(source, Cohort)
        else load_cohort(source, events=events, mapping=mapping, as_of=as_of)
    )
    cohort.raise_for_errors()
    d = definition or ReliefDefinition()
    relief = derive_relief(cohort, d)
    marks = tuple(float(m) for m in landmarks_months)
    curve = _fit(relief, method, marks, tau_months, n_boot, seed)
    rates = responder_rates(cohort, marks, d)
    groups: list[GroupResult] = []
    test = None
    if by is not None:
        if by not in relief.columns or by in ("patient", "procedure_id"):
            options = [
                c for c in relief.columns if c in ("joint", "side", "technique", *cohort.covariates)
            ]
            raise OptionError(f"cannot group by {by!r}; choose one of: {', '.join(options)}")
        labels = group_labels(relief, by)
        for name in pd.unique(labels):
            sub = relief[(labels == name).to_numpy()]
            if not sub["excluded"].isna().any():
                continue
            sub_cohort = cohort.subset(sub.index)
            groups.append(
                GroupResult(
                    str(name),
                    _fit(sub, method, marks, tau_months, n_boot, seed),
                    responder_rates(sub_cohort, marks, d),
                    _counts(sub_cohort, sub),
                )
            )
        used = relief["excluded"].isna().to_numpy()
        test = compare_groups(
            relief["lower_months"][used],
            relief["upper_months"][used],
            labels[used],
            cluster=relief["patient"][used],
        )
    regression = None
    if covariates:
        from outcomes.parametric import fit_aft

        unknown = [c for c in covariates if c not in relief.columns or c == "patient"]
        if unknown:
            raise OptionError(
                f"unknown covariate(s) {', '.join(unknown)}; choose from: "
                + ", ".join(c for c in ("joint", "side", "technique", *cohort.covariates))
            )
        regression = fit_aft(relief[relief["excluded"].isna()], covariates=tuple(covariates))
    ce = derive_competing_events(cohort)
    names = {code: name for name, code in COMPETING_EVENTS.items()}
    competing = cumulative_incidence(ce["months"], ce["cause"], names, landmarks_months=marks)
    dropout_curve, converted = None, 0
    if d.dropout == "censor" and method in ("npmle", "km"):
        worst = derive_relief(cohort, dataclasses.replace(d, dropout="loss"))
        converted = int(((worst["event"] == "loss") & (relief["event"] == "censored")).sum())
        dropout_curve = _fit(worst, method, marks, tau_months, n_boot, seed)
    return Analysis(
        cohort,
        d,
        method,
        relief,
        curve,
        rates,
        marks,
        seed,
        by,
        groups,
        test,
        competing,
        regression,
        dropout_curve,
        converted,
    )
