"""Report-ready tables: the cohort ("Table 1"), data quality, landmarks, standards.

Each function takes results and returns a DataFrame of text cells, ready to
show. None shows a patient identifier: only counts, summaries, file names
and row numbers. With ``suppress_small=True`` counts of 1-4 show as "<5"
(for reports that leave the clinic).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from outcomes.endpoints import ReliefDefinition, group_labels
from outcomes.summary import label as _label

if TYPE_CHECKING:
    from outcomes.analysis import Analysis
    from outcomes.schema import Cohort

__all__ = [
    "benchmark_table",
    "complications_table",
    "count",
    "data_quality",
    "landmark_table",
    "percent_ci",
    "regression_table",
    "sensitivity",
    "standards_table",
    "table_one",
]


def count(n: int, suppress_small: bool = False) -> str:
    """A count as text; 1-4 as "<5" when ``suppress_small``."""
    n = int(n)
    return "<5" if suppress_small and 0 < n < 5 else f"{n:,d}"


def _pct(x: float, digits: int = 0) -> str:
    return f"{100 * x:.{digits}f}%" if math.isfinite(x) else "-"


def percent_ci(est: float, lo: float, hi: float, digits: int = 0) -> str:
    """``45% (39-52%)``; "-" when there is no estimate."""
    if not math.isfinite(est):
        return "-"
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return _pct(est, digits)
    return f"{_pct(est, digits)} ({100 * lo:.{digits}f}-{100 * hi:.{digits}f}%)"


def _n_pct(k: int, n: int, suppress_small: bool) -> str:
    if suppress_small and 0 < k < 5:
        return "<5"
    return f"{k:,d} ({100 * k / n:.0f}%)" if n else f"{k:,d}"


def _small(n: int, suppress_small: bool) -> bool:
    return suppress_small and 0 < int(n) < 5


_SUPPRESSED = "suppressed (n < 5)"


# --------------------------------------------------------------------------- #


def table_one(
    analysis: Analysis, by: str = "joint", *, suppress_small: bool = False
) -> pd.DataFrame:
    """Characteristics of the procedures, one column per group of ``by`` and "All".

    Rows: procedures, patients, technique and side (n, %), each covariate
    (numeric: median [IQR]; categorical: n (%) per level), the baseline pain
    score (median [IQR]) and procedures analysed for relief duration.
    """
    cohort = analysis.cohort
    p = cohort.procedures
    relief = analysis.relief
    frame = p.assign(
        baseline_score=relief["baseline_score"].reindex(p.index),
        analysed=relief["excluded"].reindex(p.index).isna(),
    )
    if by in frame.columns:
        labels = group_labels(frame, by)
    else:
        labels = pd.Series("All", index=frame.index)
    groups = [g for g in sorted(pd.unique(labels)) if g != "All"]
    cols = {_label(g): frame[(labels == g).to_numpy()] for g in groups}
    cols["All"] = frame
    rows: list[tuple[str, dict[str, str]]] = []

    def add(name: str, fn: Any) -> None:
        rows.append((name, {c: fn(sub) for c, sub in cols.items()}))

    add("Procedures", lambda d: count(len(d), suppress_small))
    add("Patients", lambda d: count(d["patient"].nunique(), suppress_small))
    for col in ("technique", "side", *cohort.covariates):
        if col == by or col not in frame.columns:
            continue
        values = frame[col]
        numeric = pd.api.types.is_numeric_dtype(values) and values.nunique() > 6
        if numeric:
            add(f"{_label(col)}, median [IQR]", lambda d, c=col: _median_iqr(d[c]))
            continue
        levels = sorted(values.dropna().astype(str).unique())
        if len(levels) > 12:  # free text: not a table row
            continue
        for lev in levels:
            add(
                f"{_label(col)}: {_label(_level(lev))}",
                lambda d, c=col, v=lev: _n_pct(
                    int((d[c].dropna().astype(str) == v).sum()), len(d), suppress_small
                ),
            )
        if values.isna().any():
            add(
                f"{_label(col)}: not recorded",
                lambda d, c=col: _n_pct(int(d[c].isna().sum()), len(d), suppress_small),
            )
    inst = str(relief.attrs.get("instrument", "score")).upper()
    add(f"Baseline {inst} score, median [IQR]", lambda d: _median_iqr(d["baseline_score"]))
    add(
        "Analysed for duration of relief",
        lambda d: _n_pct(int(d["analysed"].sum()), len(d), suppress_small),
    )
    out = pd.DataFrame([r for _, r in rows], index=[n for n, _ in rows])
    out.index.name = ""
    return out


def _level(v: str) -> str:
    """Whole-number levels read as floats ("3.0") print as "3"."""
    try:
        f = float(v)
    except ValueError:
        return v
    return f"{f:g}" if f == int(f) else v


def _median_iqr(x: pd.Series) -> str:
    x = pd.to_numeric(x, errors="coerce").dropna()
    if x.empty:
        return "-"
    q1, med, q3 = np.quantile(x.to_numpy(dtype=float), [0.25, 0.5, 0.75])
    return f"{med:.3g} [{q1:.3g}-{q3:.3g}]"


def data_quality(cohort: Cohort) -> pd.DataFrame:
    """What was left out when reading, then problems found in validation, counted by rule.

    ``severity`` ("read" for rows and columns left out when the table was
    found: titles, footers, empty ones), ``problem`` (in words), ``count``,
    ``where`` (file and the first five spreadsheet rows) and ``consequence``
    (errors stop the analysis; warnings keep or exclude rows as the rule
    says). No values, no patients.
    """
    rows = []
    for src in cohort.sources:
        for why, n in src.layout.skipped if src.layout is not None else ():
            rows.append(
                {
                    "severity": "read",
                    "problem": why[:1].upper() + why[1:],
                    "count": f"{n:,d}",
                    "where": src.name,
                    "consequence": "not read",
                }
            )
    t = cohort.problems.table
    for (sev, rule), sub in t.groupby(["severity", "rule"], sort=True):  # a few rules
        where = []
        for file, f in sub.groupby("file", sort=True):
            r = f["row"].dropna().astype(int).sort_values().unique()
            shown = ", ".join(str(x) for x in r[:5]) + (", ..." if len(r) > 5 else "")
            where.append(f"{file}" + (f" rows {shown}" if len(r) else ""))
        rows.append(
            {
                "severity": str(sev),
                "problem": _label(rule),
                "count": f"{len(sub):,d}",
                "where": "; ".join(where),
                "consequence": "stops the analysis" if sev == "error" else "reported; see rule",
            }
        )
    return pd.DataFrame(rows, columns=["severity", "problem", "count", "where", "consequence"])


#: Marks a relief probability the data do not identify (see :data:`NOT_IDENTIFIED_NOTE`).
NOT_IDENTIFIED = "†"
NOT_IDENTIFIED_NOTE = (
    "† Relief was lost between two visits around this time and the data cannot say when: "
    "the value shown spreads that loss evenly between the visits, and any value in the "
    "range given fits the data as well."
)


def landmark_table(analysis: Analysis, *, suppress_small: bool = False) -> pd.DataFrame:
    """At each landmark: relief probability (NPMLE, 95% CI) and the responder rate.

    One block per group when the analysis has groups, then all procedures. A
    probability the data do not identify is marked :data:`NOT_IDENTIFIED`
    with the range they allow; ``attrs["footnote"]`` then explains the mark.
    """
    parts = [("All", analysis.curve, analysis.responder_rates)]
    if analysis.groups:
        parts = [(_label(g.name), g.curve, g.responder_rates) for g in analysis.groups] + parts
    rows = []
    for name, curve, rates in parts:
        ra = curve.relief_at.set_index("months")
        for r in rates.to_dict("records"):
            m = float(r["months"])
            c: Any = ra.loc[m] if m in ra.index else None
            prob = (
                percent_ci(float(c["estimate"]), float(c["lower"]), float(c["upper"]))
                if c is not None and math.isfinite(float(c["estimate"]))
                else (str(c["note"]) if c is not None else "-")
            )
            if (
                c is not None
                and math.isfinite(float(c["estimate"]))
                and not c.get("identified", True)
            ):
                low, high = float(c["bound_low"]), float(c["bound_high"])
                prob += f" {NOT_IDENTIFIED} data allow {100 * low:.0f}-{100 * high:.0f}%"
            assessed = int(r["assessed"])
            hide = _small(assessed, suppress_small) or _small(r["responders"], suppress_small)
            rows.append(
                {
                    "group": name,
                    "months": f"{m:g}",
                    "still in relief (estimated)": prob,
                    "assessed at the visit": count(assessed, suppress_small),
                    "with relief": count(int(r["responders"]), suppress_small),
                    "responder rate": percent_ci(
                        float(r["rate"]), float(r["lower"]), float(r["upper"])
                    )
                    if assessed and not hide
                    else (_SUPPRESSED if hide else "-"),
                }
            )
    out = pd.DataFrame(rows)
    out = out if analysis.groups else out.drop(columns="group")
    marked = out["still in relief (estimated)"].str.contains(NOT_IDENTIFIED, regex=False)
    out.attrs["footnote"] = NOT_IDENTIFIED_NOTE if marked.any() else ""
    return out


def complications_table(analysis: Analysis, *, suppress_small: bool = False) -> pd.DataFrame:
    """Complications by kind: procedures, percent and exact 95% CI."""
    c = analysis.complications()
    return pd.DataFrame(
        {
            "complication": [_label(k) for k in c["complication"]],
            "procedures": [count(k, suppress_small) for k in c["procedures"]],
            "of": [count(n) for n in c["of"]],
            "percent (exact 95% CI)": [
                _SUPPRESSED if _small(k, suppress_small) else percent_ci(e, lo, hi, 1)
                for k, e, lo, hi in zip(
                    c["procedures"], c["rate"], c["lower"], c["upper"], strict=True
                )
            ],
        }
    )


def standards_table(evaluated: pd.DataFrame, *, suppress_small: bool = False) -> pd.DataFrame:
    """:func:`outcomes.standards.evaluate_standards` as text: target, achieved, met.

    ``suppress_small`` shows an ``n`` of 1-4 as "<5".
    """
    rows = []
    for r in evaluated.to_dict("records"):
        months = r["measure"] == "median_months"
        fmt = (lambda x: f"{x:.1f} months") if months else (lambda x: _pct(x))
        target = ("at least " if r["direction"] == ">=" else "at most ") + fmt(r["target"])
        if months:
            achieved = (
                f"{r['achieved']:.1f} ({r['lower']:.1f}-{r['upper']:.1f}) months"
                if math.isfinite(r["achieved"])
                else r["note"]
            )
        else:
            achieved = percent_ci(r["achieved"], r["lower"], r["upper"], 1)
        met = (
            "Met" if r["met"] else ("Not estimable" if r["note"] == "not estimable" else "Not met")
        )
        evidence = "95% CI clear of the target" if r["conclusive"] else "95% CI includes the target"
        rows.append(
            {
                "standard": r["standard"],
                "target": target,
                "achieved (95% CI)": achieved,
                "n": count(int(r["n"]), suppress_small),
                "result": met,
                "certainty": evidence if math.isfinite(r["achieved"]) else "",
            }
        )
    return pd.DataFrame(rows)


def sensitivity(analysis: Analysis, *, n_boot: int | None = None) -> pd.DataFrame:
    """The main results under other definitions and estimators, one row each.

    Scenarios: the analysis as run; relief as >= 30% and >= 50% reduction and
    as >= 2 points; population "all" (non-responders lose relief at once);
    informative drop-out (follow-up that stopped in relief counted as loss by
    the next scheduled visit); the naive Kaplan-Meier; the best parametric fit
    (values beyond the last follow-up labelled "extrapolated").
    """
    from outcomes.analysis import analyze
    from outcomes.summary import format_estimate

    d = analysis.definition
    boot = analysis.curve.n_boot if n_boot is None else n_boot
    scenarios: list[tuple[str, ReliefDefinition, str]] = [
        ("As analysed", d, analysis.method),
        (
            "Relief: >= 30% reduction",
            _replace(d, percent_reduction=30.0, absolute_reduction=None),
            "npmle",
        ),
        (
            "Relief: >= 50% reduction",
            _replace(d, percent_reduction=50.0, absolute_reduction=None),
            "npmle",
        ),
        (
            "Relief: >= 2 points",
            _replace(d, percent_reduction=None, absolute_reduction=2.0),
            "npmle",
        ),
        ("Population: all procedures", _replace(d, population="all"), "npmle"),
        (
            "Drop-out in relief counted as loss by the next visit",
            _replace(d, dropout="loss"),
            "npmle",
        ),
        ("Naive Kaplan-Meier (biased)", d, "km"),
        ("Parametric (best by AIC)", d, "parametric"),
    ]
    rows = []
    for name, definition, method in scenarios:  # eight analyses of the same cohort
        a = (
            analysis
            if name == "As analysed"
            else analyze(
                analysis.cohort,
                definition=definition,
                method=method,  # type: ignore[arg-type]
                landmarks_months=analysis.landmarks_months,
                tau_months=analysis.curve.tau_months,
                n_boot=boot,
                seed=analysis.seed,
            )
        )
        c = a.curve
        at12 = c.relief_at[np.isclose(c.relief_at["months"], 12.0)]
        s12 = (
            percent_ci(
                float(at12.iloc[0]["estimate"]),
                float(at12.iloc[0]["lower"]),
                float(at12.iloc[0]["upper"]),
            )
            if len(at12)
            else "-"
        )
        if len(at12) and at12.iloc[0]["note"]:
            s12 = f"{s12} ({at12.iloc[0]['note']})" if s12 != "-" else str(at12.iloc[0]["note"])
        rows.append(
            {
                "scenario": name,
                "analysed": f"{c.n:,d}",
                "median, months": format_estimate(c.median, unit=""),
                "still in relief at 12 months": s12,
                f"mean up to {c.tau_months:g} months": format_estimate(c.rmst, unit=""),
            }
        )
    return pd.DataFrame(rows)


def _replace(d: ReliefDefinition, **changes: Any) -> ReliefDefinition:
    from dataclasses import replace

    return replace(d, **changes)


def benchmark_table(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`outcomes.benchmark.compare` as text: published and cohort figures side by side."""
    rows = []
    for r in table.to_dict("records"):
        measure = str(r["measure"])
        months_unit = measure.endswith("_months")

        def fmt(
            v: float, lo: float, hi: float, months_unit: bool = months_unit, measure: str = measure
        ) -> str:
            if not math.isfinite(v):
                return "-"
            if months_unit:
                ci = f" ({lo:.1f}-{hi:.1f})" if math.isfinite(lo) and math.isfinite(hi) else ""
                return f"{v:.1f}{ci}"
            if measure == "mean_score":
                return f"{v:g}"
            return percent_ci(v, lo, hi)

        m = float(r["months"])
        rows.append(
            {
                "reference": str(r.get("reference_label") or r["reference_id"]),
                "measure": _label(measure),
                "months": f"{m:g}" if math.isfinite(m) else "-",
                "published (95% CI)": fmt(
                    float(r["reference_value"]),
                    float(r["reference_lower"]),
                    float(r["reference_upper"]),
                ),
                "this cohort (95% CI)": fmt(
                    float(r["cohort_value"]), float(r["cohort_lower"]), float(r["cohort_upper"])
                ),
                "p": f"{float(r['p_value']):.2g}" if math.isfinite(float(r["p_value"])) else "",
                "comparability": str(r["comparability"]).split(":")[0],
            }
        )
    return pd.DataFrame(rows)


def regression_table(regression: pd.DataFrame) -> pd.DataFrame:
    """Time ratios of ``Analysis.regression`` as text, reference levels named."""
    refs = dict(regression.attrs.get("reference_levels", {}))
    rows = []
    for r in regression.to_dict("records"):
        term = str(r["term"])
        name, _, level = term.partition("=")
        shown = f"{_label(name)}: {_label(level)}" if level else _label(name)
        if level and name in refs:
            shown += f" (vs {_label(refs[name])})"
        p = float(r["p_value"])
        rows.append(
            {
                "term": shown,
                "time ratio (95% CI)": f"{float(r['time_ratio']):.2f} "
                f"({float(r['lower']):.2f}-{float(r['upper']):.2f})",
                "p": "<0.001" if p < 0.001 else f"{p:.3f}",
            }
        )
    return pd.DataFrame(rows)
