"""A clinic's results set beside published figures, like with like.

The literature table (:mod:`outcomes.references`) holds one row per
published figure.
:func:`compare` matches each figure with the cohort's number that answers the
same question:

- a published responder rate at m months counts the patients *assessed* then
  (completers), so it is compared with the cohort's responder rate at the
  visit nearest m months (Wilson CI), and the cohort's estimated probability
  that relief lasts beyond m months is shown beside it, with a note on why
  the two differ;
- a published mean (median) duration of relief is set beside the restricted
  mean (median) of the cohort's relief curve, untested when the paper gives
  no spread;
- a published share with relief lasting at least m months is set beside the
  relief curve at m months;
- mean scores and statements are shown, with what can and cannot be said.

Every row says in plain words how comparable the two numbers are; a number the
cohort cannot provide (no visits near that month, follow-up too short) is
left empty and the note says why.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
from scipy import stats

from outcomes._binomial import binomial_test, wilson
from outcomes.endpoints import ReliefDefinition, group_labels, responder_rates
from outcomes.errors import OptionError
from outcomes.io import DAYS_PER_MONTH
from outcomes.references import COLUMNS, DURATIONS, TECHNIQUES, load_references

if TYPE_CHECKING:
    from outcomes.analysis import Analysis
    from outcomes.survival import ReliefCurve

__all__ = ["benchmark_records", "benchmark_sentences", "compare", "compare_by", "compare_joints"]

_TECHNIQUE_NAMES = {
    "conventional_rfa": "conventional RFA",
    "cooled_rfa": "cooled RFA",
    "pulsed_rf": "pulsed RF",
    "chemical": "chemical neurolysis",
}
_CONTROL = "control arm"
_RESULT_COLUMNS = tuple(
    "reference_id citation reference_joint reference_technique reference_design "
    "measure months reference_value reference_lower reference_upper cohort_value "
    "cohort_lower cohort_upper cohort_n difference difference_lower difference_upper "
    "p_value test comparability cohort_relief_probability "
    "cohort_relief_probability_lower cohort_relief_probability_upper reference_n "
    "reference_label pooled".split()
)
_TEXT_RESULTS = tuple(
    "reference_id citation reference_joint reference_technique reference_design "
    "measure test comparability reference_label pooled".split()
)
_RECORD_KEYS = tuple(
    "reference_id citation measure months reference_value reference_lower "
    "reference_upper cohort_value cohort_lower cohort_upper difference p_value "
    "comparability".split()
)
_NAN = math.nan


def compare(
    analysis: Analysis,
    references: pd.DataFrame | str | Path | None = None,
    *,
    joint: str | None = None,
    technique: str | None = None,
    include_other: bool = False,
) -> pd.DataFrame:
    """Set the cohort's results beside each published figure that applies to it.

    Parameters
    ----------
    analysis : Analysis
        Result of :func:`outcomes.analysis.analyze`. Responder rates at a
        reference's month that the analysis did not compute (not among its
        landmarks) are computed here with the same definition.
    references : DataFrame, str or Path, optional
        A table from :func:`load_references`, or the path of a CSV to load;
        None: the shipped table.
    joint : str, optional
        Compare with references for this joint ("knee", "hip", "shoulder").
        Default: the cohort's joints (its only joint when it has one).
    technique : str, optional
        Compare with references for this technique (one of
        :data:`TECHNIQUES`). Default: the cohort's techniques. References
        with no technique (pooled, mixed) match any.
    include_other : bool
        Also show references of other joints or techniques, and control
        arms, each marked as such in ``comparability``.

    Returns
    -------
    DataFrame
        One row per reference, in the table's order: ``reference_id``,
        ``citation``, ``reference_joint``, ``reference_technique``,
        ``reference_design``, ``measure``, ``months`` (the reference's time
        point, months since the procedure), ``reference_value``,
        ``reference_lower``, ``reference_upper``, ``cohort_value``,
        ``cohort_lower``, ``cohort_upper`` (95% CI), ``cohort_n`` (the
        cohort's denominator), ``difference`` (cohort - reference) with
        ``difference_lower`` and ``difference_upper``, ``p_value``, ``test``
        (which test and interval, or why none), ``comparability`` (how far
        the two numbers answer the same question, in plain words) and
        ``cohort_relief_probability`` (+ ``_lower``, ``_upper``): the
        estimated probability that relief lasts beyond ``months``. Rates and
        probabilities are proportions 0-1, durations months. Cohort values
        are NaN where the cohort cannot answer (``comparability`` says why).
    """
    refs = references if isinstance(references, pd.DataFrame) else load_references(references)
    missing = [c for c in COLUMNS if c not in refs.columns]
    if missing:
        raise OptionError(f"the references table lacks columns: {', '.join(missing)}")
    if technique is not None and technique not in TECHNIQUES:
        raise OptionError(f"unknown technique {technique!r}; choose one of {', '.join(TECHNIQUES)}")
    joints = _counts(analysis.relief, "joint")
    techniques = _counts(analysis.relief, "technique")
    joint_sel = {joint.strip().lower()} if joint else set(joints)
    tech_sel = {technique} if technique else set(techniques)
    rates: dict[float, tuple[int, int, float, float, float]] = {}

    def rate_at(months: float) -> tuple[int, int, float, float, float]:
        if months not in rates:
            rr = analysis.responder_rates
            hit = rr[np.isclose(rr["months"].to_numpy(dtype=float), months)]
            if hit.empty and analysis.cohort is None:  # pooled: only the shared landmarks
                return (0, 0, math.nan, math.nan, math.nan)
            if hit.empty:
                hit = responder_rates(analysis.cohort, (months,), analysis.definition)
            r = hit.iloc[0]
            rates[months] = (
                int(r["assessed"]),
                int(r["responders"]),
                float(r["rate"]),
                float(r["lower"]),
                float(r["upper"]),
            )
        return rates[months]

    rows = []
    for ref in cast(list[dict[str, Any]], refs.to_dict("records")):
        other, caveats = _scope(ref, joints, techniques, joint_sel, tech_sel)
        if other and not include_other:
            continue
        measure = str(ref["measure"])
        months = _float(ref["months"])
        if measure == "responder_rate":
            row = _responder_row(ref, analysis, rate_at, caveats)
        elif measure == "relief_probability":
            row = _probability_row(ref, analysis, caveats)
        elif measure in DURATIONS:
            row = _duration_row(ref, analysis.curve, _population(analysis.definition))
        elif measure == "qualitative":
            row = _qualitative_row(ref, analysis)
        else:
            row = _empty_row()
            row["test"] = "not compared"
            row["main"] = "Not comparable: score scale, not a responder measure."
        if str(row["main"]).startswith(("Cannot compare", "Not comparable")):
            # how the cohort is mixed does not matter for a row that is not compared
            caveats = [c for c in caveats if c.startswith(("Other", "Control"))]
        note = str(ref["note"])
        tail = "" if measure == "qualitative" or _is_control(note) or not note else note
        flags = [c for c in caveats if c.startswith(("Other", "Control"))]  # said first
        rest = [c for c in caveats if c not in flags]
        source = [f"Source note: {tail}"] if tail else []
        text = " ".join([*flags, str(row.pop("main")), *rest, *source])
        rows.append(
            {
                "reference_id": ref["id"],
                "citation": ref["citation"],
                "reference_joint": ref["joint"],
                "reference_technique": ref["technique"],
                "reference_design": ref["design"],
                "measure": measure,
                "months": months,
                "reference_value": _float(ref["value"]),
                "reference_lower": _float(ref["lower"]),
                "reference_upper": _float(ref["upper"]),
                **row,
                "comparability": text,
                "reference_n": _float(ref["n_treated"]),
                "reference_label": _label_of(ref),
                "pooled": _is_pooled(ref),
            }
        )
    out = pd.DataFrame(rows, columns=list(_RESULT_COLUMNS))
    for c in _RESULT_COLUMNS:
        if c not in _TEXT_RESULTS and c != "cohort_n":
            out[c] = out[c].astype(float)
    out["cohort_n"] = out["cohort_n"].astype("Int64")
    return out


def _is_pooled(ref: dict[str, Any]) -> bool:
    """Whether a reference pools several studies (a meta-analysis)."""
    return "meta-analysis" in str(ref["design"]).lower()


def _label_of(ref: dict[str, Any]) -> str:
    """The label "First author year (technique, n)", e.g. "Davis 2018 (cooled RFA, n = 76)".

    Without an author ("et al."), the source as cited up to its first comma
    or bracket ("Pain Physician 2021", "NICE ... IPG767", "PMC9441169 2022").
    """
    citation = str(ref["citation"])
    year = re.search(r"\b(?:19|20)\d{2}\b", citation)
    author = re.match(r"^([A-Z][\w'\-]+) et al\.?", citation)
    if author:
        name = author.group(1)
    else:
        ids = re.search(r"\b(PMC\d+|IPG\d+|PMID \d+)\b", citation)
        name = ids.group(1) if ids else re.split(r"[,(]", citation)[0].strip()
        name = re.sub(r"\s*\b(?:19|20)\d{2}\b", "", name).strip()
        if ids and citation.startswith("NICE"):
            name = f"NICE {name}"
    name = f"{name} {year.group(0)}" if year else name
    n = _float(ref["n_treated"])
    size = f"n = {n:,.0f}" if math.isfinite(n) else ""
    if _is_pooled(ref):
        studies = re.search(r"(\d+) studies", str(ref["design"]))
        what = f"pooled, {studies.group(1)} studies" if studies else "pooled"
    elif _is_control(str(ref["note"])):
        what = "control arm"
    else:
        what = _TECHNIQUE_NAMES.get(str(ref["technique"]), str(ref["technique"]) or "")
    inside = ", ".join(x for x in (what, size) if x)
    return f"{name} ({inside})" if inside else name


_PROBABILITY_KEYS = (
    "cohort_relief_probability",
    "cohort_relief_probability_lower",
    "cohort_relief_probability_upper",
)


def _float(x: Any) -> float:
    """A table cell as a float (NaN for empty or missing)."""
    return float(x) if x is not None and not pd.isna(x) else _NAN


def _counts(relief: pd.DataFrame, column: str) -> dict[str, int]:
    """Procedures per value of a column (most frequent first; empty if not recorded)."""
    if column not in relief.columns:
        return {}
    counts = relief[column].dropna().astype(str).value_counts()
    return {str(k): int(v) for k, v in counts.items()}


def _is_control(note: str) -> bool:
    return note.strip().lower().startswith(_CONTROL)


def _technique_name(code: str) -> str:
    return _TECHNIQUE_NAMES.get(code, code.replace("_", " "))


def _mix(counts: dict[str, int], names: dict[str, str] | None = None) -> str:
    """The cohort's make-up in words: "knee 229, hip 45 procedures"."""
    parts = [f"{(names or {}).get(k, k)} {v}" for k, v in counts.items()]
    return ", ".join(parts) + (" procedures" if sum(counts.values()) != 1 else " procedure")


def _scope(
    ref: dict[str, Any],
    joints: dict[str, int],
    techniques: dict[str, int],
    joint_sel: set[str],
    tech_sel: set[str],
) -> tuple[bool, list[str]]:
    """Whether a reference is "other" (another joint, technique, or a control arm),
    and the caveats on how it matches the cohort."""
    caveats: list[str] = []
    other = False
    note = str(ref["note"])
    if _is_control(note):
        other = True
        arm = note.split(":", 1)[1].split("(")[0].strip(" .") if ":" in note else "no denervation"
        caveats.append(f"Control arm ({arm}), not denervation: shown for context only.")
    rj = str(ref["joint"])
    if rj and joints:
        if joint_sel and rj not in joint_sel:
            other = True
            caveats.append(
                f"Other joint: the reference is {rj}, the cohort {_mix(joints)}; "
                "shown for context only."
            )
        elif rj not in joints:
            caveats.append(f"The reference is {rj}, but the cohort has no {rj} ({_mix(joints)}).")
        elif len(joints) > 1:
            caveats.append(
                f"The cohort mixes joints ({_mix(joints)}) while the reference is {rj} only: "
                f"analyse the {rj} procedures on their own for a like-with-like figure."
            )
    elif rj:
        caveats.append("The cohort's joint is not recorded.")
    rt = str(ref["technique"])
    names = _TECHNIQUE_NAMES
    if rt and techniques:
        if tech_sel and rt not in tech_sel:
            other = True
            caveats.append(
                f"Other technique: the reference is {_technique_name(rt)}, the cohort "
                f"{_mix(techniques, names)}; shown for context only."
            )
        elif rt not in techniques:
            caveats.append(
                f"The reference is {_technique_name(rt)}, but the cohort has none "
                f"({_mix(techniques, names)})."
            )
        elif len(techniques) > 1:
            caveats.append(
                f"The cohort mixes techniques ({_mix(techniques, names)}) while the reference "
                f"is {_technique_name(rt)} only."
            )
    elif rt:
        caveats.append("The cohort's technique is not recorded.")
    return other, caveats


def _definition_words(d: ReliefDefinition) -> str:
    """The cohort's relief threshold in words: "at least 50% relief"."""
    parts = []
    if d.percent_reduction is not None:
        parts.append(f"at least {d.percent_reduction:g}% relief")
    if d.absolute_reduction is not None:
        parts.append(f"a fall of at least {d.absolute_reduction:g} points")
    return (" or " if d.combine == "any" else " and ").join(parts)


def _definition_caveat(text: str, d: ReliefDefinition) -> str | None:
    """A caveat when the reference's responder definition differs from the cohort's."""
    if not text:
        return "The reference does not state its responder definition."
    pct = re.search(r"(\d+(?:\.\d+)?)\s*%", text)
    pts = re.search(r"(\d+(?:\.\d+)?)\s*-?\s*points?", text)
    ref_pct = float(pct.group(1)) if pct else None
    ref_pts = float(pts.group(1)) if pts else None
    if ref_pct is None and ref_pts is None:
        return (
            f"Check the definitions: the reference counts {text}, "
            f"the cohort {_definition_words(d)}."
        )
    if ref_pct == d.percent_reduction and ref_pts == d.absolute_reduction:
        return None
    return (
        f"Different responder definitions: the reference counts {text}, "
        f"the cohort {_definition_words(d)}."
    )


def _reference_counts(ref: dict[str, Any]) -> tuple[float, float, str] | None:
    """Responders and denominator of a published rate, when the table gives an n.

    ``k/n`` in ``denominator`` gives both; a leading number gives n (and k =
    rate x n); an empty denominator falls back on ``n_treated``; any other
    text means the denominator is unknown (None).
    """
    value = _float(ref["value"])
    den = str(ref["denominator"]).strip()
    frac = re.match(r"(\d+)\s*/\s*(\d+)", den)
    if frac and int(frac.group(2)) > 0:
        return float(frac.group(1)), float(frac.group(2)), f"{frac.group(1)}/{frac.group(2)}"
    lead = re.match(r"(\d+)\b", den)
    n = float(lead.group(1)) if lead else _float(ref["n_treated"]) if not den else _NAN
    if not n > 0 or not math.isfinite(value):
        return None
    shown = f"{_published(value)}% of {n:g}" + (
        "" if den else " treated (number assessed not given)"
    )
    return value * n, n, shown


def _newcombe(
    p1: float, lo1: float, hi1: float, p2: float, lo2: float, hi2: float
) -> tuple[float, float]:
    """Square-and-add (MOVER) interval of p1 - p2 from intervals of each.

    With Wilson intervals for both this is Newcombe's hybrid score interval
    (Newcombe 1998, method 10).
    """
    d = p1 - p2
    return (
        d - math.sqrt((p1 - lo1) ** 2 + (hi2 - p2) ** 2),
        d + math.sqrt((hi1 - p1) ** 2 + (p2 - lo2) ** 2),
    )


def _z_test(k1: float, n1: float, k2: float, n2: float) -> float:
    """Two-sided z-test of equal proportions, pooled variance: R's
    ``prop.test(c(k1, k2), c(n1, n2), correct = FALSE)$p.value``."""
    pooled = (k1 + k2) / (n1 + n2)
    var = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if var <= 0:
        return 1.0
    z = (k1 / n1 - k2 / n2) / math.sqrt(var)
    return float(2 * stats.norm.sf(abs(z)))


def _relief_at(curve: ReliefCurve, months: float) -> tuple[float, float, float]:
    """Probability that relief lasts beyond ``months``, with its 95% CI (NaN beyond follow-up).

    The curve's landmark estimate where ``months`` is a landmark; otherwise
    the curve and its pointwise band evaluated at the same whole day (linear
    between knots, or a step function for Kaplan-Meier).
    """
    from outcomes.survival import landmark_months

    if not curve.covers(months):
        return _NAN, _NAN, _NAN
    at = curve.relief_at
    hit = at[np.isclose(at["months"].to_numpy(dtype=float), months)]
    if len(hit):
        r = hit.iloc[0]
        return float(r["estimate"]), float(r["lower"]), float(r["upper"])
    t = np.asarray(curve.times, dtype=float)
    x = float(landmark_months(months, whole_day=curve.whole_day))

    def value(y: np.ndarray) -> float:
        y = np.asarray(y, dtype=float)
        if curve.step:
            return float(y[max(int(np.searchsorted(t, x, side="right")) - 1, 0)])
        return float(np.interp(x, t, y))

    return value(curve.survival), value(curve.lower), value(curve.upper)


def _followup(curve: ReliefCurve) -> str:
    """The last follow-up in words: "23.98 months (day 730)"."""
    until = curve.identified_until
    if curve.whole_day:
        return f"{until:.2f} months (day {round(until * DAYS_PER_MONTH)})"
    return f"{until:g} months"


def _population(d: ReliefDefinition) -> str:
    return "initial responders" if d.population == "responders" else "treated procedures"


def _published(x: float) -> str:
    """A published proportion as a percentage, as printed (0.741 -> "74.1")."""
    return f"{round(100 * x, 1):g}"


def _pct(x: float) -> str:
    """A cohort proportion as a percentage ("61", "2.9" below 10%)."""
    if not math.isfinite(x):
        return "n/a"
    v = 100 * x
    return f"{v:.1f}" if 0 < abs(v) < 10 else f"{v:.0f}"


def _pct_ci(est: float, lo: float, hi: float) -> str:
    """A proportion with its interval: "61% (52-69%)"."""
    return f"{_pct(est)}% ({_pct(lo)}-{_pct(hi)}%)"


def _empty_row() -> dict[str, Any]:
    keys = (
        "cohort_value",
        "cohort_lower",
        "cohort_upper",
        "difference",
        "difference_lower",
        "difference_upper",
        "p_value",
        *_PROBABILITY_KEYS,
    )
    return {**dict.fromkeys(keys, _NAN), "cohort_n": None, "test": "", "main": ""}


def _responder_row(
    ref: dict[str, Any],
    analysis: Analysis,
    rate_at: Callable[[float], tuple[int, int, float, float, float]],
    caveats: list[str],
) -> dict[str, Any]:
    out = _empty_row()
    months, value = _float(ref["months"]), _float(ref["value"])
    if not math.isfinite(months):
        out["main"] = "Cannot compare: the reference gives no time point to match."
        return out
    relief = _relief_at(analysis.curve, months)
    out.update(zip(_PROBABILITY_KEYS, relief, strict=True))
    assessed, k, rate, lo, hi = rate_at(months)
    w_lo, w_hi = 0.75 * months, 1.25 * months
    if assessed == 0:
        out["main"] = (
            f"Cannot compare: no cohort visits near {months:g} months ({w_lo:.1f}-{w_hi:.1f} "
            "months)."
        )
        return out
    out.update(cohort_value=rate, cohort_lower=lo, cohort_upper=hi, cohort_n=assessed)
    counts = _reference_counts(ref)
    if counts is not None:
        k2, n2, shown = counts
        p2 = k2 / n2
        lo2, hi2 = (float(x[0]) for x in wilson([k2], [n2]))
        out["difference"] = rate - p2
        out["difference_lower"], out["difference_upper"] = _newcombe(rate, lo, hi, p2, lo2, hi2)
        out["p_value"] = _z_test(k, assessed, k2, n2)
        out["test"] = (
            f"two-sample z-test (as R prop.test, no continuity correction) of {k}/{assessed} "
            f"against {shown}; difference CI: Newcombe hybrid score"
        )
    else:
        out["difference"] = rate - value
        out["p_value"] = binomial_test(k, assessed, value)
        ref_lo, ref_hi = _float(ref["lower"]), _float(ref["upper"])
        if math.isfinite(ref_lo) and math.isfinite(ref_hi):
            out["difference_lower"], out["difference_upper"] = _newcombe(
                rate, lo, hi, value, ref_lo, ref_hi
            )
            interval = "the cohort's Wilson CI and the published 95% CI combined (square-and-add)"
            given = "no n per time point"
        else:
            out["difference_lower"], out["difference_upper"] = lo - value, hi - value
            interval = "the cohort's Wilson CI only"
            given = "no n or CI given"
        out["test"] = (
            f"exact binomial test of {k}/{assessed} against the published "
            f"{_published(value)}% taken as exact ({given}); difference CI: {interval}"
        )
    d = analysis.definition
    definition = _definition_caveat(str(ref["responder_definition"]), d)
    if definition:
        caveats.append(definition)
    if counts is not None and counts[1] == _float(ref["n_treated"]) and "/" in ref["denominator"]:
        caveats.append(
            f"The reference counts all {counts[1]:g} treated, not only those assessed: its rate "
            "is lower than a rate among those assessed would be."
        )
    verdict = "Comparable with caution" if caveats else "Like with like"
    chance = (
        f"The cohort's estimate of that chance is {_pct_ci(*relief)} of {_population(d)} "
        "(cohort_relief_probability)."
        if math.isfinite(relief[0])
        else f"The cohort's relief curve does not reach {months:g} months."
    )
    out["main"] = (
        f"{verdict}: both count the patients assessed at about {months:g} months who were "
        f"responders (cohort: {_definition_words(d)} at the visit nearest {months:g} months, "
        f"{w_lo:.1f}-{w_hi:.1f} months; {assessed} assessed). Neither is the chance that relief "
        f"lasts {months:g} months: a responder rate counts whoever is seen at that visit, "
        f"initial non-responders included and those no longer followed left out. {chance}"
        + (f" Only {assessed} assessed: the interval is wide." if assessed < 20 else "")
    )
    return out


def _probability_row(ref: dict[str, Any], analysis: Analysis, caveats: list[str]) -> dict[str, Any]:
    out = _empty_row()
    curve, d = analysis.curve, analysis.definition
    months, value = _float(ref["months"]), _float(ref["value"])
    if not math.isfinite(months):
        out["main"] = "Cannot compare: the reference gives no time point to match."
        return out
    est, lo, hi = _relief_at(curve, months)
    out.update(zip(_PROBABILITY_KEYS, (est, lo, hi), strict=True))
    if not math.isfinite(est):
        out["main"] = (
            f"Cannot compare: the cohort's relief curve ends at its last follow-up, "
            f"{_followup(curve)}, before {months:g} months."
        )
        return out
    out.update(cohort_value=est, cohort_lower=lo, cohort_upper=hi, cohort_n=curve.n)
    out["difference"] = est - value
    counts = _reference_counts(ref)
    ref_lo, ref_hi = _float(ref["lower"]), _float(ref["upper"])
    if counts is not None:
        ref_lo, ref_hi = (float(x[0]) for x in wilson([counts[0]], [counts[1]]))
    if math.isfinite(ref_lo) and math.isfinite(ref_hi):
        out["difference_lower"], out["difference_upper"] = _newcombe(
            est, lo, hi, value, ref_lo, ref_hi
        )
        interval = "the two intervals combined (square-and-add)"
    else:
        out["difference_lower"], out["difference_upper"] = lo - value, hi - value
        interval = "the cohort's interval only (the reference gives no n or CI)"
    out["test"] = (
        "no test: the cohort's figure is an estimate with a bootstrap interval, not a count of "
        f"patients; difference CI: {interval}"
    )
    definition = _definition_caveat(str(ref["responder_definition"]), d)
    if definition:
        caveats.append(definition)
    whom = ""
    if d.population == "responders" and counts is None:
        whom = (
            " The reference does not say whether it counts all treated patients or responders "
            "only; if all treated, its figure is lower than one among responders would be."
        )
    out["main"] = (
        f"{'Comparable with caution' if caveats or whom else 'Like with like'}: both are the "
        f"share whose relief lasted at least {months:g} months. The cohort's is estimated from "
        f"its relief curve among {_population(d)} ({curve.n} procedures), using what is known "
        f"of those lost to follow-up.{whom}"
    )
    return out


def _duration_row(ref: dict[str, Any], curve: ReliefCurve, who: str) -> dict[str, Any]:
    out = _empty_row()
    value = _float(ref["value"])
    mean = ref["measure"] == "mean_duration_months"
    est = curve.rmst if mean else curve.median
    tau = curve.tau_months
    if not math.isfinite(est.estimate):
        if mean:
            why = (
                f"the cohort's relief curve ends at {_followup(curve)}, before "
                f"the {tau:g}-month horizon of its restricted mean"
            )
        else:
            why = (
                "the cohort's median duration of relief was not reached (more than half still "
                f"had relief at the end of follow-up, {_followup(curve)})"
            )
        out["main"] = f"Cannot compare: {why}."
        return out
    out.update(
        cohort_value=est.estimate, cohort_lower=est.lower, cohort_upper=est.upper, cohort_n=curve.n
    )
    out["difference"] = est.estimate - value
    ref_lo, ref_hi = _float(ref["lower"]), _float(ref["upper"])
    if math.isfinite(ref_lo) and math.isfinite(ref_hi):
        out["difference_lower"], out["difference_upper"] = _newcombe(
            est.estimate, est.lower, est.upper, value, ref_lo, ref_hi
        )
        out["test"] = "no test; difference CI: the two intervals combined (square-and-add)"
    else:
        out["test"] = "no test: the reference gives no spread"
    definition = str(ref["responder_definition"]) or "relief"
    if mean:
        out["main"] = (
            f"Not the same measure: the cohort figure is the restricted mean, the average "
            f"number of months with relief within the first {tau:g} months among {who}; it "
            f"cannot exceed {tau:g} and is shorter than an unrestricted mean whenever relief "
            f"lasts beyond {tau:g} months. The reference is a mean duration of {definition}; "
            "the abstract does not say how long patients were followed or how those still in "
            "relief were counted. Read the difference as a rough guide."
        )
    else:
        out["main"] = (
            "Comparable with caution: both are median durations of relief; the cohort's is "
            f"read from its relief curve, the reference's counts {definition}."
        )
    return out


def _qualitative_row(ref: dict[str, Any], analysis: Analysis) -> dict[str, Any]:
    out = _empty_row()
    curve = analysis.curve
    months = _float(ref["months"])
    statement = str(ref["note"]) or "A statement without a figure."
    if not math.isfinite(months):
        out["main"] = f"Statement: {statement} Nothing to compare it with."
        return out
    relief = _relief_at(curve, months)
    out.update(zip(_PROBABILITY_KEYS, relief, strict=True))
    if math.isfinite(relief[0]):
        reach = (
            f"The cohort's relief curve reaches {months:g} months (follow-up to "
            f"{_followup(curve)}): an estimated {_pct_ci(*relief)} of "
            f"{_population(analysis.definition)} still had relief at {months:g} months."
        )
    else:
        reach = (
            f"The cohort's relief curve ends at {_followup(curve)}, before "
            f"{months:g} months, so relief lasting {months:g} months could not be compared."
        )
    out["main"] = f"Statement, no figure: {statement} {reach}"
    return out


# --------------------------------------------------------------------------- reporting


def benchmark_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The comparison as JSON-safe records (NaN as None), e.g. for ``Analysis.to_dict()``.

    Parameters
    ----------
    table : DataFrame
        A table from :func:`compare`.

    Returns
    -------
    list of dict
        One dict per row with ``reference_id``, ``citation``, ``measure``,
        ``months`` (months since the procedure), ``reference_value``,
        ``reference_lower``, ``reference_upper``, ``cohort_value``,
        ``cohort_lower``, ``cohort_upper``, ``difference`` (proportions 0-1
        for rates and probabilities, months for durations), ``p_value`` and
        ``comparability``.
    """
    out = []
    for r in cast(list[dict[str, Any]], table.to_dict("records")):
        rec: dict[str, Any] = {}
        for k in _RECORD_KEYS:
            v = r[k]
            if isinstance(v, str):
                rec[k] = v
            else:
                x = _float(v)
                rec[k] = x if math.isfinite(x) else None
        out.append(rec)
    return out


def benchmark_sentences(table: pd.DataFrame, analysis: Analysis) -> list[str]:
    """Plain sentences for a report, one per compared figure.

    Parameters
    ----------
    table : DataFrame
        A table from :func:`compare` on ``analysis``.
    analysis : Analysis
        The analysis compared (for its relief definition and joints).

    Returns
    -------
    list of str
        E.g. "At 24 months 61% (95% CI 52-69%) of the 88 knees assessed still
        had at least 50% relief, against a pooled 58% (48-67%) in the
        literature (...)". Figures the cohort cannot provide are said to
        have "could not be compared", with the reason. Mean scores, which
        are not compared, share one closing sentence.
    """
    d = analysis.definition
    joints = _counts(analysis.relief, "joint")
    unit = f"{next(iter(joints))}s assessed" if len(joints) == 1 else "procedures assessed"
    if len(joints) > 1:
        unit += f" ({_and(list(joints))})"
    pop = _population(d)
    tau = analysis.curve.tau_months
    out: list[str] = []
    scores: list[str] = []
    for r in cast(list[dict[str, Any]], table.to_dict("records")):
        measure, m, note = str(r["measure"]), _float(r["months"]), str(r["comparability"])
        cannot = re.search(r"Cannot compare: (.*?)\.(?:\s|$)", note)
        reason = cannot.group(1) if cannot else ""
        ref = _reference_words(r)
        if "Other joint:" in note or "Other technique:" in note:
            ref += " (another joint or technique, for context only)"
        if measure == "mean_score":
            if r["citation"] not in scores:
                scores.append(str(r["citation"]))
        elif measure == "qualitative":
            out.append(f"{r['citation']}: {note.removeprefix('Statement, no figure: ')}")
        elif cannot and not math.isfinite(m):
            out.append(f"{_capital(ref)} could not be compared: {reason}.")
        elif measure == "responder_rate" and cannot:
            out.append(f"At {m:g} months the cohort could not be compared with {ref}: {reason}.")
        elif measure == "responder_rate":
            s = (
                f"At {m:g} months {_pct(r['cohort_value'])}% (95% CI {_pct(r['cohort_lower'])}-"
                f"{_pct(r['cohort_upper'])}%) of the {r['cohort_n']} {unit} still had "
                f"{_definition_words(d)}, against {ref}: {_difference_words(r)}."
            )
            prob = _float(r["cohort_relief_probability"])
            if math.isfinite(prob):
                lo, hi = r["cohort_relief_probability_lower"], r["cohort_relief_probability_upper"]
                s += (
                    f" Relief lasted at least {m:g} months for an estimated "
                    f"{_pct_ci(prob, lo, hi)} of {pop}."
                )
            out.append(s)
        elif measure == "relief_probability" and cannot:
            out.append(
                f"The share with relief lasting at least {m:g} months could not be compared "
                f"with {ref}: {reason}."
            )
        elif measure == "relief_probability":
            out.append(
                f"An estimated {_pct_ci(r['cohort_value'], r['cohort_lower'], r['cohort_upper'])} "
                f"of {pop} had relief lasting at least {m:g} months, against {ref}: "
                f"{_difference_words(r)}."
            )
        elif cannot:
            out.append(f"{_capital(ref)} could not be compared: {reason}.")
        elif measure == "mean_duration_months":
            out.append(
                f"Within the first {tau:g} months relief lasted on average "
                f"{_months_ci(r)} among {pop} (restricted mean), against {ref}; a restricted "
                "mean is not an unrestricted mean, so this is a rough guide and was not tested."
            )
        else:
            out.append(f"Relief lasted a median of {_months_ci(r)} among {pop}, against {ref}.")
    if scores:
        out.append(
            f"Mean pain scores reported by {_and(scores)} are on a score scale, not a responder "
            "measure, and were not compared."
        )
    return out


def _and(items: list[str]) -> str:
    """A list in words: "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _reference_words(r: dict[str, Any]) -> str:
    """The published figure in words: "a pooled 58% (48-67%) in the literature (...)"."""
    v, lo, hi = (
        _float(r["reference_value"]),
        _float(r["reference_lower"]),
        _float(r["reference_upper"]),
    )
    measure = str(r["measure"])
    if measure in DURATIONS:
        kind = "a mean" if measure == "mean_duration_months" else "a median"
        figure = f"{kind} of {v:g} months" + (
            f" ({lo:g}-{hi:g})" if math.isfinite(lo) and math.isfinite(hi) else ""
        )
    else:
        figure = f"{_published(v)}%" + (
            f" ({_published(lo)}-{_published(hi)}%)"
            if math.isfinite(lo) and math.isfinite(hi)
            else ""
        )
    design, technique = str(r["reference_design"]).lower(), str(r["reference_technique"])
    control = re.search(r"Control arm \(([^)]*)\)", str(r["comparability"]))
    if "meta-analysis" in design or "pooled" in design:
        return f"a pooled {figure} in the literature ({r['citation']})"
    if control:
        return f"{figure} in the {control.group(1)} control arm of {r['citation']}"
    with_technique = f" with {_technique_name(technique)}" if technique else ""
    return f"{figure}{with_technique} in {r['citation']}"


def _difference_words(r: dict[str, Any]) -> str:
    """The difference in words: "a difference of -55 percentage points (95% CI ...; p ...)"."""

    def pp(x: Any) -> str:
        v = 100 * _float(x)
        return f"{v:+.1f}" if abs(v) < 10 else f"{v:+.0f}"

    text = f"a difference of {pp(r['difference'])} percentage points"
    lo, hi = _float(r["difference_lower"]), _float(r["difference_upper"])
    extra = [f"95% CI {pp(lo)} to {pp(hi)}"] if math.isfinite(lo) and math.isfinite(hi) else []
    p = _float(r["p_value"])
    if math.isfinite(p):
        name = re.match(r"(.*?test)", str(r["test"]))
        shown = "p < 0.001" if p < 0.001 else f"p = {p:.2g}"
        extra.append(f"{name.group(1)} {shown}" if name else shown)
    return text + (f" ({'; '.join(extra)})" if extra else "")


def _months_ci(r: dict[str, Any]) -> str:
    est, lo, hi = _float(r["cohort_value"]), _float(r["cohort_lower"]), _float(r["cohort_upper"])
    ci = f" (95% CI {lo:.1f}-{hi:.1f})" if math.isfinite(lo) and math.isfinite(hi) else ""
    return f"{est:.1f} months{ci}"


def compare_joints(
    analysis: Analysis,
    references: pd.DataFrame | str | Path | None = None,
    *,
    include_other: bool = False,
) -> list[tuple[str, Analysis, pd.DataFrame]]:
    """Each joint against its own references; the cohort as it is when it has one joint.

    Returns
    -------
    list of (joint, Analysis of that joint, comparison table)
        As :func:`compare_by`; an empty table when no reference is for that joint.
    """
    relief = analysis.relief
    joints = [str(j) for j in relief["joint"].dropna().unique()] if "joint" in relief else []
    if len(joints) > 1:
        return compare_by(analysis, "joint", references, include_other=include_other)
    name = joints[0] if joints else "all"
    return [(name, analysis, compare(analysis, references, include_other=include_other))]


def compare_by(
    analysis: Analysis,
    by: str,
    references: pd.DataFrame | str | Path | None = None,
    *,
    include_other: bool = False,
) -> list[tuple[str, Analysis, pd.DataFrame]]:
    """Compare each group of a cohort (e.g. each joint) with its own references.

    Every group is analysed on its own with the settings of ``analysis``
    (definition, method, landmarks, horizon, resamples, seed), then compared
    with :func:`compare`, so a knee group meets knee references like with like.

    Returns
    -------
    list of (group name, Analysis of the group, comparison table)
    """
    from outcomes.analysis import analyze

    relief = analysis.relief
    if by not in relief.columns or by == "patient":
        raise OptionError(f"cannot compare by {by!r}: not a procedure-level column")
    labels = group_labels(relief, by)
    out = []
    for name in pd.unique(labels):  # one analysis per group (a handful)
        procs = relief.index[(labels == name).to_numpy()]
        if not relief.loc[procs, "excluded"].isna().any():
            continue
        sub = analyze(
            analysis.cohort.subset(procs),
            definition=analysis.definition,
            landmarks_months=analysis.landmarks_months,
            tau_months=analysis.curve.tau_months,
            method=cast(Any, analysis.method),
            n_boot=analysis.curve.n_boot,
            seed=analysis.seed,
        )
        out.append((str(name), sub, compare(sub, references, include_other=include_other)))
    return out
