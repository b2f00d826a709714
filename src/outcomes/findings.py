"""Key findings: the handful of numbers an audit meeting wants first, as data.

:func:`key_findings` (also :meth:`outcomes.analysis.Analysis.key_findings`)
returns one table that every output renders (the reports' first section, the
Word and slide versions, ``analyze``'s summary and its JSON), so the numbers
agree everywhere. Each row is one finding with its 95% CI:

* ``cohort``: procedures (``estimate``) and patients (``n``), with the
  initial responders followed for duration of relief in ``note``;
* ``responders_3m``: the share of procedures assessed at about 3 months who
  had relief then (as papers report it), among ``n`` assessed;
* ``median_months``: the median duration of relief (smooth curve);
* ``relief_12m``, ``relief_24m``: the estimated share of initial responders
  still in relief at 12 and 24 months (NPMLE);
* ``completer_24m``, one row per joint with a pooled 24-month figure in the
  literature: the joint's responder rate among those assessed at 24 months,
  beside the pooled figure (``reference``...) and the joint's estimated share
  still in relief at 24 months (``relief``...): the completer effect;
* ``standards``: standards met (``estimate``) of those evaluated (``n``);
* ``serious_complications``: procedures with a serious complication.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from outcomes.analysis import Analysis

__all__ = ["COLUMNS", "key_findings"]

COLUMNS = (
    "key",
    "group",
    "finding",
    "estimate",
    "lower",
    "upper",
    "unit",
    "n",
    "reference",
    "reference_lower",
    "reference_upper",
    "source",
    "relief",
    "relief_lower",
    "relief_upper",
    "note",
)
_NAN = math.nan


def _row(key: str, finding: str, unit: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS, _NAN)
    row.update(key=key, group="all", finding=finding, unit=unit, n=None, source="", note="")
    row.update(values)
    return row


def _at(frame: pd.DataFrame, months: float) -> dict[str, Any] | None:
    hit = frame[np.isclose(frame["months"].to_numpy(dtype=float), months)]
    return None if hit.empty else dict(hit.iloc[0])


def key_findings(
    analysis: Analysis,
    *,
    references: pd.DataFrame | None = None,
    standards: Any = None,
) -> pd.DataFrame:
    """The key findings of an analysis, one row each (see the module notes).

    Parameters
    ----------
    analysis : Analysis
    references : DataFrame, optional
        Published figures (default: the shipped table).
    standards : optional
        Audit standards for :func:`outcomes.standards.evaluate_standards`
        (default: its defaults).

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`. Proportions are 0-1, durations months,
        counts whole numbers; NaN where not estimable (``note`` says why).
        No identifiers, no free text from the data.
    """
    from outcomes.endpoints import complication_rates
    from outcomes.standards import evaluate_standards

    c = analysis.counts
    curve = analysis.curve
    rows = [
        _row(
            "cohort",
            "Procedures (patients)",
            "count",
            estimate=float(c["procedures"]),
            n=int(c["patients"]),
            note=f"{c['analysed']:,} initial responders followed for how long relief lasted"
            if analysis.definition.population == "responders"
            else f"{c['analysed']:,} procedures followed for how long relief lasted",
        )
    ]
    r3 = _at(analysis.responder_rates, 3.0)
    if r3 is not None:
        rows.append(
            _row(
                "responders_3m",
                "Responders at 3 months (of those assessed)",
                "proportion",
                estimate=float(r3["rate"]),
                lower=float(r3["lower"]),
                upper=float(r3["upper"]),
                n=int(r3["assessed"]),
            )
        )
    m = curve.median
    rows.append(
        _row(
            "median_months",
            "Median duration of relief",
            "months",
            estimate=m.estimate,
            lower=m.lower,
            upper=m.upper,
            n=curve.n,
            note=m.note,
        )
    )
    for months in (12.0, 24.0):
        at = _at(curve.relief_at, months)
        if at is None:
            continue
        rows.append(
            _row(
                f"relief_{months:g}m",
                f"Still in relief at {months:g} months (estimated)",
                "proportion",
                estimate=float(at["estimate"]),
                lower=float(at["lower"]),
                upper=float(at["upper"]),
                n=curve.n,
                note=str(at["note"]),
            )
        )
    rows += _completer_rows(analysis, references)
    table = evaluate_standards(analysis, standards)
    if len(table):
        missed = table.loc[~table["met"], "standard"].astype(str).tolist()
        rows.append(
            _row(
                "standards",
                "Audit standards met",
                "count",
                estimate=float(table["met"].sum()),
                n=len(table),
                note=("not met: " + "; ".join(missed)) if missed else "all met",
            )
        )
    comp = complication_rates(analysis.cohort)
    serious = comp[comp["complication"] == "any serious"].iloc[0]
    rows.append(
        _row(
            "serious_complications",
            "Serious complications (procedures)",
            "proportion",
            estimate=float(serious["rate"]),
            lower=float(serious["lower"]),
            upper=float(serious["upper"]),
            n=int(serious["of"]),
            note=f"{int(serious['procedures']):,} of {int(serious['of']):,} procedures",
        )
    )
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    out["n"] = out["n"].astype("Int64")
    return out


def _completer_rows(analysis: Analysis, references: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Per joint with a pooled 24-month reference: its completer rate beside it."""
    from outcomes.benchmark import compare, compare_by
    from outcomes.references import load_references

    refs = references if references is not None else load_references()
    pooled = refs[
        refs["design"].astype(str).str.contains("meta-analysis")
        & (refs["measure"] == "responder_rate")
        & np.isclose(pd.to_numeric(refs["months"], errors="coerce"), 24.0)
    ]
    if pooled.empty:
        return []
    relief = analysis.relief
    joints: list[str] = (
        [str(j) for j in relief["joint"].dropna().unique()] if "joint" in relief else []
    )
    wanted = set(joints) & set(pooled["joint"].astype(str))
    if not wanted:
        return []
    if len(joints) > 1:
        parts = [(g, t) for g, _, t in compare_by(analysis, "joint", pooled) if g in wanted]
    else:
        parts = [(joints[0], compare(analysis, pooled))]
    rows = []
    for joint, table in sorted(parts):  # a joint or two
        for r in table.to_dict("records"):
            if not (isinstance(r["cohort_value"], float) and math.isfinite(r["cohort_value"])):
                continue
            rows.append(
                _row(
                    "completer_24m",
                    f"{joint.capitalize()}: responders at 24 months (of those assessed)",
                    "proportion",
                    group=joint,
                    estimate=r["cohort_value"],
                    lower=r["cohort_lower"],
                    upper=r["cohort_upper"],
                    n=int(r["cohort_n"]),
                    reference=r["reference_value"],
                    reference_lower=r["reference_lower"],
                    reference_upper=r["reference_upper"],
                    source=str(r["citation"]),
                    relief=r["cohort_relief_probability"],
                    relief_lower=r["cohort_relief_probability_lower"],
                    relief_upper=r["cohort_relief_probability_upper"],
                )
            )
    return rows
