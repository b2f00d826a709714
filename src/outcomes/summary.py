"""Plain-text summary of an analysis, for the terminal and for logs.

Shows no patient identifier: only counts and estimates.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from outcomes.survival import Estimate, ReliefCurve

if TYPE_CHECKING:
    from outcomes.analysis import Analysis

__all__ = ["format_estimate", "summary_text"]

METHOD_NAMES = {
    "npmle": "Turnbull NPMLE for interval-censored durations",
    "km": "naive Kaplan-Meier, loss dated at the visit that found it (overstates duration)",
    "parametric": "parametric fit to the intervals, family by AIC",
    "weibull": "Weibull fit to the intervals",
    "loglogistic": "log-logistic fit to the intervals",
    "lognormal": "log-normal fit to the intervals",
}


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
    lines = [
        f"Median duration of relief:   {format_estimate(curve.median)}",
        f"Mean relief up to {curve.tau_months:g} months:  {format_estimate(curve.rmst)}",
        "",
        "Probability that relief lasts beyond:",
        f"  {'months':>6}  {'estimate':>8}  95% CI",
    ]
    for r in _records(curve.relief_at):
        if math.isfinite(float(r["estimate"])):
            ci = f"{_pct(float(r['lower']))}-{_pct(float(r['upper']))}"
            lines.append(f"  {float(r['months']):>6g}  {_pct(float(r['estimate'])):>8}  {ci}")
        else:
            lines.append(f"  {float(r['months']):>6g}  {'-':>8}  {r['note']}")
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


def summary_text(analysis: Analysis) -> str:
    """A readable report of an :class:`~outcomes.analysis.Analysis`."""
    a = analysis
    c = a.counts
    curve = a.curve
    files = ", ".join(f"{s.name} (sha256 {s.sha256[:12]})" for s in a.cohort.sources)
    ci = (
        f"95% CIs from {curve.n_boot} bootstrap resamples (seed {a.seed})"
        if curve.n_boot
        else {"km": "log-log 95% CIs", "npmle": "no confidence intervals"}.get(
            a.method, "delta-method 95% CIs; values beyond the last follow-up are extrapolated"
        )
    )
    excluded = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in c["excluded"].items())
    lines = [
        f"Input:      {files}",
        f"Method:     {METHOD_NAMES.get(a.method, a.method)}; {ci}",
        f"Definition: {a.definition.describe()}",
        "",
        f"{c['procedures']} procedures in {c['patients']} patients; {c['analysed']} analysed: "
        f"{c['losses']} lost relief, {c['censored']} still had relief at their last visit.",
        f"Excluded: {excluded or 'none'}.",
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
