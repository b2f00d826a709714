"""Plain-text summary of an analysis, for the terminal and for logs.

Shows no patient identifier: only counts and estimates.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from outcomes.survival import Estimate, ReliefCurve

if TYPE_CHECKING:
    from outcomes.analysis import Analysis

__all__ = ["cover_markdown", "format_estimate", "label", "methods_paragraph", "summary_text"]

METHOD_NAMES = {
    "npmle": "Turnbull NPMLE for interval-censored durations",
    "km": "naive Kaplan-Meier, loss dated at the visit that found it (overstates duration)",
    "parametric": "parametric fit to the intervals, family by AIC",
    "weibull": "Weibull fit to the intervals",
    "loglogistic": "log-logistic fit to the intervals",
    "lognormal": "log-normal fit to the intervals",
}


#: Words shown in capitals by :func:`label`.
_ABBREVIATIONS = {
    "rfa": "RFA",
    "rf": "RF",
    "nrs": "NRS",
    "vas": "VAS",
    "womac": "WOMAC",
    "oks": "OKS",
    "bmi": "BMI",
    "kl": "KL",
}


def label(text: object) -> str:
    """A code as a label: ``kl_grade`` -> ``KL grade``, ``cooled_rfa`` -> ``Cooled RFA``."""
    words = str(text).replace("_", " ").split()
    out = " ".join(_ABBREVIATIONS.get(w.lower(), w) for w in words)
    return out[:1].upper() + out[1:]


def _pct(x: float) -> str:
    return "-" if not math.isfinite(x) else f"{100 * x:.1f}%"


def format_estimate(e: Estimate, unit: str = " months", digits: int = 1) -> str:
    """``7.6 months (95% CI 6.5-8.1)``, or the note when there is no estimate."""
    if not math.isfinite(e.estimate):
        return e.note or "not estimable"
    if math.isfinite(e.lower) and math.isfinite(e.upper) and e.upper - e.lower < 0.5:
        digits += 1  # a narrow interval (large cohort) would otherwise print as 6.6-6.6
    text = f"{e.estimate:.{digits}f}{unit}"
    lo = f"{e.lower:.{digits}f}" if math.isfinite(e.lower) else "?"
    hi = f"{e.upper:.{digits}f}" if math.isfinite(e.upper) else "not reached"
    if math.isfinite(e.lower) or math.isfinite(e.upper):
        text += f" (95% CI {lo}-{hi})"
    return text


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], frame.to_dict("records"))


def _curve_lines(curve: ReliefCurve, rates: pd.DataFrame) -> list[str]:
    smooth = " (smooth curve)" if curve.smooth is not None else ""
    lines = [
        f"Median duration of relief{smooth}:   {format_estimate(curve.median)}",
        f"Mean relief up to {curve.tau_months:g} months:  {format_estimate(curve.rmst)}",
        "",
        "Probability that relief lasts beyond:",
        f"  {'months':>6}  {'estimate':>8}  95% CI",
    ]
    unidentified = False
    for r in _records(curve.relief_at):
        if math.isfinite(float(r["estimate"])):
            ci = f"{_pct(float(r['lower']))}-{_pct(float(r['upper']))}"
            mark = ""
            if not r.get("identified", True):
                unidentified = True
                bounds = f"{_pct(float(r['bound_low']))}-{_pct(float(r['bound_high']))}"
                mark = f"  * the data allow {bounds}"
            lines.append(f"  {float(r['months']):>6g}  {_pct(float(r['estimate'])):>8}  {ci}{mark}")
        else:
            lines.append(f"  {float(r['months']):>6g}  {'-':>8}  {r['note']}")
    if unidentified:
        lines.append(
            "  * relief was lost somewhere between two visits around this time, and the data "
            "cannot say when: the value shown spreads that loss evenly between them."
        )
    if smooth:
        lines.append(
            "  (Probabilities: the NPMLE, which follows the visits. Median: the smooth curve, "
            "since between visits the NPMLE cannot say where relief falls to one half.)"
        )
    lines += [
        "",
        "Responders at each visit (among procedures assessed then, as papers report):",
        f"  {'months':>6}  {'assessed':>8}  {'relief':>6}  {'rate':>6}  95% CI",
    ]
    for r in _records(rates):
        ci = f"{_pct(float(r['lower']))}-{_pct(float(r['upper']))}" if int(r["assessed"]) else ""
        lines.append(
            f"  {float(r['months']):>6g}  {int(r['assessed']):>8}  {int(r['responders']):>6}  "
            f"{_pct(float(r['rate'])):>6}  {ci}"
        )
    return lines


def _not_used(a: Analysis) -> list[str]:
    """A line on scores of other instruments, which this analysis leaves out."""
    other = a.counts["scores_not_used"]["other_instrument"]
    if not other:
        return []
    inst = str(a.relief.attrs.get("instrument") or "").upper()
    each = ", ".join(f"{n:,} {k.upper()}" for k, n in other.items())
    return [f"Scores not used: {each} (this analysis uses {inst}; choose with --instrument)."]


def _pct_words(est: float, lo: float, hi: float) -> str:
    """ "45% (95% CI 39-52%)"; the estimate alone when there is no interval."""
    if not math.isfinite(est):
        return "not estimable"
    digits = 1 if 0 < est < 0.1 else 0
    text = f"{100 * est:.{digits}f}%"
    if math.isfinite(lo) and math.isfinite(hi):
        text += f" (95% CI {100 * lo:.{digits}f}-{100 * hi:.{digits}f}%)"
    return text


def finding_counts(row: dict[str, Any]) -> list[float]:
    """The counts a key finding's sentence shows, and those its percentage reveals."""
    key, est = row["key"], float(row["estimate"])
    n = float(row["n"]) if row["n"] is not None and not pd.isna(row["n"]) else math.nan
    if key == "cohort":
        analysed = re.match(r"^([\d,]+)", str(row["note"]))
        return [est, n, float(analysed.group(1).replace(",", "")) if analysed else math.nan]
    if key in ("responders_3m", "completer_24m", "serious_complications"):
        return [n, est * n]  # assessed (or procedures), and those with relief (or complication)
    return []


def hides_small_count(row: dict[str, Any], suppress_small: bool) -> bool:
    """Whether a key finding would show (or reveal) a count of 1-4 that must be hidden."""
    return suppress_small and any(
        math.isfinite(x) and 0 < round(x) < 5 for x in finding_counts(row)
    )


def _suppressed_sentence(row: dict[str, Any]) -> str:
    """A key finding with its counts of 1-4 as "<5" and no percentage that reveals them."""
    key = row["key"]
    n = float(row["n"]) if row["n"] is not None and not pd.isna(row["n"]) else math.nan

    def c(x: float) -> str:
        return "<5" if math.isfinite(x) and 0 < round(x) < 5 else f"{round(x):,d}"

    if key == "cohort":
        counts = finding_counts(row)
        note = re.sub(r"^[\d,]+", c(counts[2]), str(row["note"]))
        return f"{c(float(row['estimate']))} procedures in {c(n)} patients; {note}."
    if key == "responders_3m":
        return f"At 3 months {c(n)} procedures were assessed: rate not shown (counts under 5)."
    if key == "completer_24m":
        return (
            f"{str(row['group']).capitalize()}: {c(n)} procedures assessed at 24 months: "
            "rate not shown (counts under 5)."
        )
    return f"Serious complications: {c(float(row['estimate']) * n)} of {c(n)} procedures."


def key_findings_lines(table: pd.DataFrame, *, suppress_small: bool = False) -> list[str]:
    """The key findings (:meth:`Analysis.key_findings`) in plain words, one sentence each.

    With ``suppress_small``, a sentence that would show or reveal a count of
    1-4 shows it as "<5" and leaves out the percentage.
    """
    lines = []
    for r in _records(table):
        key = r["key"]
        if hides_small_count(r, suppress_small):
            lines.append(_suppressed_sentence(r))
            continue
        est, lo, hi = float(r["estimate"]), float(r["lower"]), float(r["upper"])
        if key == "cohort":
            lines.append(f"{int(est):,} procedures in {int(r['n']):,} patients; {r['note']}.")
        elif key == "responders_3m":
            lines.append(
                f"At 3 months {_pct_words(est, lo, hi)} of the {int(r['n']):,} procedures "
                "assessed then had relief (at least the responder threshold)."
            )
        elif key == "median_months":
            est_m = Estimate(est, lo, hi, str(r["note"]))
            lines.append(f"Relief lasted a median of {format_estimate(est_m)}.")
        elif key in ("relief_12m", "relief_24m"):
            months = key.removeprefix("relief_").removesuffix("m")
            lines.append(
                f"An estimated {_pct_words(est, lo, hi)} of initial responders still had relief "
                f"at {months} months."
                if math.isfinite(est)
                else f"Relief at {months} months: {r['note'] or 'not estimable'}."
            )
        elif key == "completer_24m":
            ref = _pct_words(
                float(r["reference"]), float(r["reference_lower"]), float(r["reference_upper"])
            )
            still = _pct_words(
                float(r["relief"]), float(r["relief_lower"]), float(r["relief_upper"])
            )
            why = (
                ": the completer figure is higher because patients whose relief wears off often "
                "stop attending"
                if est > float(r["relief"])
                else ""
            )
            lines.append(
                f"{str(r['group']).capitalize()}: of the {int(r['n']):,} procedures still "
                f"assessed at 24 months, {_pct_words(est, lo, hi)} had relief, beside "
                f"{ref} pooled in the literature ({r['source']}), which also counts only "
                "those still followed. Counting those who stopped coming too, an estimated "
                f"{still} of initial responders still had relief at 24 months{why}."
            )
        elif key == "standards":
            lines.append(f"Audit standards: {int(est)} of {int(r['n'])} met ({r['note']}).")
        elif key == "serious_complications":
            lines.append(f"Serious complications: {r['note']}, {_pct_words(est, lo, hi)}.")
    return lines


def summary_text(analysis: Analysis) -> str:
    """A readable report of an :class:`~outcomes.analysis.Analysis`."""
    a = analysis
    c = a.counts
    curve = a.curve
    files = ", ".join(f"{s.name} (sha256 {s.sha256[:12]})" for s in a.cohort.sources)
    ci = (
        f"95% CIs from {curve.n_boot} bootstrap resamples (seed {a.seed}; "
        "restricted mean: jackknife standard error)"
        if curve.n_boot
        else {"km": "log-log 95% CIs", "npmle": "no confidence intervals"}.get(
            a.method, "delta-method 95% CIs; values beyond the last follow-up are extrapolated"
        )
    )
    excluded = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in c["excluded"].items())
    lines = [
        "Key findings:",
        *(f"- {x}" for x in key_findings_lines(a.key_findings())),
        "",
        f"Input:      {files}",
        f"Method:     {METHOD_NAMES.get(a.method, a.method)}; {ci}",
        f"Definition: {a.definition.describe()}",
        "",
        f"{c['procedures']} procedures in {c['patients']} patients; {c['analysed']} analysed: "
        f"{c['losses']} lost relief, {c['censored']} still had relief at their last visit.",
        f"Excluded: {excluded or 'none'}.",
        *_not_used(a),
        f"Follow-up reaches {curve.identified_until:.1f} months.",
        "",
        *_curve_lines(curve, a.responder_rates),
    ]
    if a.competing is not None:
        lines += [
            "",
            "Events after the procedure (all procedures; cumulative incidence, competing risks):",
            f"  {'months':>6}  "
            + "  ".join(f"{e.replace('_', ' '):>17}" for e in a.competing["event"].unique()),
        ]
        wide = a.competing.pivot(index="months", columns="event", values="estimate")
        for months, row in wide.iterrows():
            cells = "  ".join(f"{_pct(float(row[e])):>17}" for e in a.competing["event"].unique())
            lines.append(f"  {float(cast(float, months)):>6g}  {cells}")
    if a.regression is not None:
        reg = a.regression
        refs = ", ".join(
            f"{k} = {v}" for k, v in dict(reg.attrs.get("reference_levels", {})).items()
        )
        lines += [
            "",
            f"Time ratios (interval-censored {reg.attrs.get('family', 'weibull')} AFT; "
            f"> 1 means longer relief; n = {reg.attrs.get('n')}"
            + (f"; reference: {refs}" if refs else "")
            + "):",
        ]
        for r in _records(reg):
            lines.append(
                f"  {r['term']!s:<28} {float(r['time_ratio']):>6.2f}  "
                f"({float(r['lower']):.2f}-{float(r['upper']):.2f})  "
                f"p = {float(r['p_value']):.3g}"
            )
    if a.by is not None:
        for g in a.groups:
            gc = g.counts
            lines += [
                "",
                f"--- {a.by} = {g.name}: {gc['analysed']} analysed, {gc['losses']} lost relief",
                *_curve_lines(g.curve, g.responder_rates),
            ]
        if a.group_test is not None and math.isfinite(a.group_test.p_value):
            t = a.group_test
            lines += [
                "",
                f"Equal relief durations by {a.by}: chi2 = {t.statistic:.2f}, df = {t.df}, "
                f"p = {t.p_value:.3g} ({t.method}).",
            ]
    return "\n".join(lines)


def cover_markdown(
    analysis: Analysis,
    *,
    title: str,
    clinic: str = "",
    period: str = "",
    analysed_on: str = "",
    standards: Any = None,
    suppress_small: bool = False,
) -> str:
    """The report's opening as Markdown: what, whose, when, then the key findings.

    ``standards`` (a CSV path or standards) are those the report evaluates;
    ``suppress_small`` shows counts of 1-4 as "<5".
    """
    import datetime as dt

    from outcomes.findings import key_findings

    when = analysed_on or dt.date.today().isoformat()
    lines = [f"# {title}", ""]
    facts = [f"**Clinic:** {clinic}" if clinic else "", f"**Period:** {period}" if period else ""]
    facts.append(f"**Date of analysis:** {when}")
    lines += ["  \n".join(f for f in facts if f), "", "## Key findings", ""]
    table = key_findings(analysis, standards=standards)
    lines += [f"- {x}" for x in key_findings_lines(table, suppress_small=suppress_small)]
    lines += [
        "",
        "*Details, definitions and methods follow; the input files are listed at the end.*",
    ]
    return "\n".join(lines)


def provenance_markdown(analysis: Analysis) -> str:
    """The input files with their SHA-256, the software, and the definition of relief."""
    from outcomes import __version__

    a = analysis
    files = "\n".join(f"| {s.name} | {s.rows:,d} | `{s.sha256}` |" for s in a.cohort.sources)
    return "\n".join(
        [
            f"**Software:** outcomes {__version__} (method: "
            f"{METHOD_NAMES.get(a.method, a.method)})",
            "",
            "| input file | data rows | SHA-256 |",
            "|---|---:|---|",
            files,
            "",
            f"**Definition of relief.** {a.definition.describe()}",
        ]
    )


def methods_paragraph(analysis: Analysis, *, suppress_small: bool = False) -> str:
    """A methods paragraph generated from the settings actually used, ready for a paper.

    ``suppress_small`` shows a count of 1-4 in it as "<5".
    """
    from outcomes import __version__

    a = analysis
    d = a.definition
    c = a.counts
    inst = str(a.relief.attrs.get("instrument") or "nrs").upper()
    marks = ", ".join(f"{m:g}" for m in a.landmarks_months)
    if a.method == "npmle":
        estimator = (
            "Because loss of relief is only observed at follow-up visits, durations were "
            "treated as interval-censored between the last visit with relief and the first "
            "visit without it, and the survival function of relief duration was estimated by "
            "the nonparametric maximum likelihood estimator (Turnbull); where it is not unique "
            "(within an interval between visits that holds a loss) the value shown spreads "
            "that loss evenly across the interval and the range the data allow is reported. "
            "Time points were compared in whole days (24 months = day 730). 95% confidence "
            "intervals came from a nonparametric bootstrap over patients, each drawn with all "
            f"their procedures ({a.curve.n_boot} resamples, seed {a.seed}), logit-normal for "
            "probabilities; the restricted mean's interval is normal with a delete-a-group "
            "jackknife standard error (100 random groups of patients). The median duration "
            "of relief was read from a smooth estimate of the curve: Royston-Parmar splines "
            "of the log cumulative hazard in log time (a Weibull curve, and one with an "
            "interior knot at the median of the visits that bracket a loss of relief) "
            "averaged with Akaike weights, with a model-averaged tail-area 95% confidence "
            "interval from patient-level (cluster-robust) variances."
        )
        if a.by is not None:
            estimator += (
                " Groups were compared with a log-rank test for interval-censored data whose "
                "variance counts each patient once (cluster-robust) when patients had several "
                "procedures."
            )
        if a.dropout_curve is not None:
            k = a.dropout_converted
            changed = "<5" if suppress_small and 0 < k < 5 else f"{k:,d}"
            estimator += (
                " In a sensitivity analysis for informative drop-out, procedures whose follow-up "
                "stopped while in relief, with no event ending it, were counted as losing relief "
                f"by their next scheduled visit ({changed} procedures); the median "
                f"was then {format_estimate(a.dropout_curve.median)}."
            )
    elif a.method == "km":
        estimator = (
            "Relief duration was estimated with the Kaplan-Meier method, dating loss of "
            "relief at the visit where it was found (log-log 95% confidence intervals); "
            "this overstates duration because loss happened between visits."
        )
    else:
        estimator = (
            f"A {METHOD_NAMES.get(a.method, a.method)} was fitted by maximum likelihood to "
            "the interval-censored durations, with delta-method 95% confidence intervals; "
            "values beyond the last follow-up are extrapolations."
        )
    thresholds = []
    if d.percent_reduction is not None:
        thresholds.append(f"a reduction of at least {d.percent_reduction:g}% from baseline")
    if d.absolute_reduction is not None:
        thresholds.append(f"a reduction of at least {d.absolute_reduction:g} points")
    relief = (" or " if d.combine == "any" else " and ").join(thresholds)
    pop = (
        "Duration of relief was analysed among initial responders (relief at the first "
        f"assessment on or after day {d.flare_window_days})"
        if d.population == "responders"
        else "Duration of relief was analysed among all procedures, non-responders losing "
        "relief at their first assessment"
    )
    parts = [
        f"Pain was recorded on the {inst} before the procedure and at follow-up visits. "
        f"The baseline was the latest score within {d.baseline_window_days} days before the "
        f"procedure; scores in the first {d.flare_window_days} days were disregarded because "
        f"of the post-procedure flare. Relief at a visit was defined as {relief}. "
        f"{pop}; loss of relief was the first "
        + (
            "later assessment without relief"
            if d.confirm == 1
            else f"of {d.confirm} consecutive later assessments without relief"
        )
        + ". "
        + (
            "A repeat procedure on the same joint and side counted as loss of relief; "
            if d.repeat_procedure_is_loss
            else "A repeat procedure censored follow-up; "
        )
        + "surgery, death and withdrawal censored follow-up at the last assessment before them.",
        estimator,
        f"We report the probability of relief lasting beyond {marks} months, the median "
        "duration of relief, and the restricted mean duration of relief up to "
        f"{a.curve.tau_months:g} months. For comparison with published figures, responder "
        "rates at each landmark visit were computed among procedures assessed within 25% "
        "of the landmark (Wilson 95% confidence intervals).",
    ]
    if a.by is not None:
        parts.append(
            f"Relief durations were compared by {a.by.replace('_', ' ')} with a generalised "
            "log-rank test for interval-censored data (permutation variance)."
        )
    if a.regression is not None:
        parts.append(
            "Covariate effects were estimated with an interval-censored Weibull accelerated "
            "failure time model and are reported as time ratios with 95% confidence intervals."
        )
    parts.append(
        "Repeat procedures, surgery and death were described by Aalen-Johansen cumulative "
        "incidence, treating them as competing events; complication rates have exact "
        "(Clopper-Pearson) 95% confidence intervals."
    )
    parts.append(
        f"Of {c['procedures']:,d} procedures in {c['patients']:,d} patients, "
        f"{c['analysed']:,d} were analysed. Analyses used outcomes {__version__} "
        "(Python), whose estimators are checked against R's survival package."
    )
    return " ".join(parts)
