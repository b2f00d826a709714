"""Audit standards: a target per measure, and whether the clinic met it.

A standard names a measure of the analysis, a direction and a target, e.g.
"at least 50% of procedures assessed at 3 months have relief". The defaults
(:data:`DEFAULT_STANDARDS`) are starting points for a local audit, not
national standards; a clinic sets its own in a CSV (:func:`load_standards`).

A standard is **met** when the estimate reaches the target; the table also
says whether the 95% CI lies entirely on one side of the target (the
evidence is then conclusive either way) or straddles it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from outcomes.errors import InputError

if TYPE_CHECKING:
    from outcomes.analysis import Analysis

__all__ = ["DEFAULT_STANDARDS", "MEASURES", "Standard", "evaluate_standards", "load_standards"]

#: Measures a standard can use, and what ``months`` / ``detail`` mean for each.
MEASURES = {
    "responder_rate": "share of procedures assessed at the visit nearest `months` with relief",
    "relief_probability": "estimated probability that relief lasts beyond `months` (NPMLE)",
    "median_months": "median duration of relief, months",
    "complication_rate": "share of procedures with a complication of kind `detail` "
    "('any', 'any serious', or a kind such as 'infection')",
}


@dataclass(frozen=True)
class Standard:
    """One audit standard.

    Attributes
    ----------
    id : str
    description : str
        The standard in words, as the report shows it.
    measure : str
        One of :data:`MEASURES`.
    direction : str
        ``">="`` (at least the target) or ``"<="`` (at most).
    target : float
        Proportions as fractions (0.5 = 50%); durations in months.
    months : float
        Time point for responder rates and relief probabilities.
    detail : str
        Kind of complication for ``complication_rate``.
    """

    id: str
    description: str
    measure: str
    direction: str
    target: float
    months: float = math.nan
    detail: str = ""


#: Sensible defaults for a local audit (change them with a standards CSV).
DEFAULT_STANDARDS = (
    Standard(
        "responders_3m",
        "At least 50% of procedures assessed at 3 months have relief",
        "responder_rate",
        ">=",
        0.50,
        months=3.0,
    ),
    Standard(
        "relief_6m",
        "Relief lasts beyond 6 months for at least 50% of initial responders",
        "relief_probability",
        ">=",
        0.50,
        months=6.0,
    ),
    Standard(
        "serious_complications",
        "Serious complications (other than swelling or flare) in fewer than 2% of procedures",
        "complication_rate",
        "<=",
        0.02,
        detail="any serious",
    ),
)

_COLUMNS = ("id", "description", "measure", "direction", "target", "months", "detail")


def load_standards(path: str | Path) -> tuple[Standard, ...]:
    """Read standards from a CSV with columns ``id, description, measure, direction,
    target`` and optional ``months, detail``.

    Raises
    ------
    InputError
        One line per problem, naming the file, row, column and value.
    """
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise InputError(f"{path}: no such standards file") from None
    frame.columns = [c.strip().lower() for c in frame.columns]
    problems = [
        f"{path.name}: missing column {c!r}" for c in _COLUMNS[:5] if c not in frame.columns
    ]
    if problems:
        raise InputError("\n".join(problems))
    out = []
    for i, r in enumerate(frame.to_dict("records")):  # a handful of standards
        row = i + 2  # spreadsheet row: header is row 1
        where = f"{path.name}: row {row}"
        measure = str(r["measure"]).strip()
        if measure not in MEASURES:
            problems.append(
                f"{where}, column 'measure': {measure!r} is not one of {', '.join(MEASURES)}"
            )
        direction = str(r["direction"]).strip()
        if direction not in (">=", "<="):
            problems.append(f"{where}, column 'direction': {direction!r} is not '>=' or '<='")
        numbers = {}
        for col in ("target", "months"):
            text = str(r.get(col, "")).strip()
            try:
                numbers[col] = float(text) if text else math.nan
            except ValueError:
                problems.append(f"{where}, column {col!r}: {text!r} is not a number")
                numbers[col] = math.nan
        if not math.isfinite(numbers["target"]) and not any(
            f"{row}, column 'target'" in p for p in problems
        ):
            problems.append(f"{where}, column 'target': a target is required")
        if measure in ("responder_rate", "relief_probability") and not math.isfinite(
            numbers["months"]
        ):
            problems.append(f"{where}, column 'months': {measure} needs a time point in months")
        out.append(
            Standard(
                str(r["id"]).strip(),
                str(r["description"]).strip(),
                measure,
                direction,
                numbers["target"],
                numbers["months"],
                str(r.get("detail", "")).strip()
                or ("any" if measure == "complication_rate" else ""),
            )
        )
    if problems:
        raise InputError("\n".join(problems))
    return tuple(out)


def _achieved(s: Standard, analysis: Analysis) -> tuple[float, float, float, int, str]:
    """Estimate, CI and n of the standard's measure in the analysis, with a note."""
    if s.measure == "responder_rate":
        rates = analysis.responder_rates
        row = rates[np.isclose(rates["months"], s.months)]
        if row.empty:
            from outcomes.endpoints import responder_rates

            row = responder_rates(analysis.cohort, (s.months,), analysis.definition)
        r = row.iloc[0]
        return float(r["rate"]), float(r["lower"]), float(r["upper"]), int(r["assessed"]), ""
    if s.measure == "relief_probability":
        from outcomes.benchmark import _relief_at

        est, lo, hi = _relief_at(analysis.curve, s.months)
        return est, lo, hi, analysis.curve.n, "" if math.isfinite(est) else "beyond follow-up"
    if s.measure == "median_months":
        m = analysis.curve.median
        return m.estimate, m.lower, m.upper, analysis.curve.n, m.note
    c = analysis.complications()
    row = c[c["complication"] == s.detail]
    if row.empty:  # no such complication recorded: 0 of n
        from outcomes._binomial import clopper_pearson

        n = len(analysis.cohort.procedures)
        lo_, hi_ = clopper_pearson(0, n)
        return 0.0, float(lo_), float(hi_), n, ""
    r = row.iloc[0]
    return float(r["rate"]), float(r["lower"]), float(r["upper"]), int(r["of"]), ""


def evaluate_standards(
    analysis: Analysis, standards: tuple[Standard, ...] | str | Path | None = None
) -> pd.DataFrame:
    """Achieved value of each standard with its 95% CI, and whether it was met.

    Returns
    -------
    DataFrame
        ``id``, ``standard``, ``measure``, ``direction``, ``target``,
        ``achieved``, ``lower``, ``upper``, ``n``, ``met`` (bool; NaN-safe:
        False when not estimable), ``conclusive`` (the CI lies on one side
        of the target), ``note``.
    """
    if standards is None:
        standards = DEFAULT_STANDARDS
    elif isinstance(standards, (str, Path)):
        standards = load_standards(standards)
    rows: list[dict[str, Any]] = []
    for s in standards:
        est, lo, hi, n, note = _achieved(s, analysis)
        ok = math.isfinite(est)
        met = ok and (est >= s.target if s.direction == ">=" else est <= s.target)
        conclusive = math.isfinite(lo) and math.isfinite(hi) and (lo > s.target or hi < s.target)
        rows.append(
            {
                "id": s.id,
                "standard": s.description,
                "measure": s.measure,
                "direction": s.direction,
                "target": s.target,
                "achieved": est,
                "lower": lo,
                "upper": hi,
                "n": n,
                "met": bool(met),
                "conclusive": bool(conclusive),
                "note": note or ("" if ok else "not estimable"),
            }
        )
    return pd.DataFrame(rows)
