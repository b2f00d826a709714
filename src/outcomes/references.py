"""The literature table: published outcome figures, loaded and validated.

The table (``outcomes/data/references.csv``, its columns documented in
``references.md`` next to it) holds one row per published figure, each with
its citation and the source it was read from. A user's own table with the
same columns is checked the same way as data files: every problem, one line
each, naming file, row, column and value. :mod:`outcomes.benchmark` sets a
clinic's results beside these figures.
"""

from __future__ import annotations

from importlib import resources
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd

from outcomes.errors import InputError, MissingFileError
from outcomes.problems import ProblemCollector, Problems

__all__ = [
    "COLUMNS",
    "MEASURES",
    "TECHNIQUES",
    "ReferenceTableError",
    "load_references",
]

#: Columns of a references table, in order.
COLUMNS = tuple(
    "id study citation doi_pmid design joint technique n_treated responder_definition "
    "measure months value lower upper denominator source note".split()
)

#: What a reference figure measures.
MEASURES = (
    "responder_rate",
    "mean_duration_months",
    "median_duration_months",
    "relief_probability",
    "mean_score",
    "qualitative",
)

#: Technique vocabulary (empty in a reference: mixed, pooled or not specified).
TECHNIQUES = ("conventional_rfa", "cooled_rfa", "pulsed_rf", "chemical")

_RATES = ("responder_rate", "relief_probability")
DURATIONS = ("mean_duration_months", "median_duration_months")
_NUMBERS = ("n_treated", "months", "value", "lower", "upper")
_TEXT = tuple(c for c in COLUMNS if c not in _NUMBERS)
_REQUIRED = {
    "id": "an id, unique in the table (e.g. kanjanapanang2025_24m)",
    "study": "the id of its study (e.g. kanjanapanang2025)",
    "citation": "a citation (authors, year, journal)",
    "measure": f"a measure ({', '.join(MEASURES)})",
    "source": "a source (what the figure was read from, e.g. the abstract)",
}
_NOT_A_NUMBER = {
    "n_treated": "is not a whole number of patients: give the number treated, e.g. 170, "
    "or leave it empty",
    "months": "is not a number: give months since the procedure, e.g. 24, or leave it empty",
    "value": "is not a number: give a proportion (0.58 for 58%), months or points",
    "lower": "is not a number: give a proportion (0.58 for 58%), months or points, "
    "or leave it empty",
    "upper": "is not a number: give a proportion (0.58 for 58%), months or points, "
    "or leave it empty",
}


class ReferenceTableError(InputError):
    """A references table breaks its contract; one message line per problem.

    Attributes
    ----------
    problems : Problems
        Every problem found, one row each (file, row, column, value, message).
    """

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        super().__init__("\n".join(problems.lines()))


# --------------------------------------------------------------------------- loading


def load_references(path: str | Path | None = None) -> pd.DataFrame:
    """The literature table: the one shipped with the package, or a user's CSV.

    Parameters
    ----------
    path : str or Path, optional
        A UTF-8 CSV with the columns of :data:`COLUMNS` (see
        ``outcomes/data/references.md``). None: the shipped table.

    Returns
    -------
    DataFrame
        One row per published figure, columns :data:`COLUMNS` in order. Text
        columns hold ``""`` where empty; ``n_treated`` (patients) is Int64;
        ``months`` (months since the procedure), ``value``, ``lower`` and
        ``upper`` (proportions 0-1 for rates, months for durations, score
        units for scores) are floats, NaN where empty. Extra columns are
        dropped.

    Raises
    ------
    ReferenceTableError
        The table has problems: missing columns, empty ids, citations or
        sources, duplicate ids, unknown measures or techniques, numbers that
        are not numbers or out of range, intervals that do not contain their
        value. The message has one line per problem, naming file, row (as a
        spreadsheet numbers it: the header is row 1), column and value.
    InputError
        The file cannot be read as a CSV table (``MissingFileError`` if it
        does not exist).
    """
    if path is None:
        name = "references.csv"
        text = (resources.files("outcomes") / "data" / name).read_text(encoding="utf-8")
    else:
        p = Path(path)
        name = p.name
        if not p.is_file():
            raise MissingFileError(f"{p}: references file not found") from None
        try:
            text = p.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{name}: cannot be read as UTF-8 text ({exc})") from exc
    try:
        raw = pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{name}: cannot be read as a CSV table ({exc})") from exc
    raw.columns = pd.Index([str(c).strip() for c in raw.columns])
    cells = {c: raw[c].astype(str).str.strip() for c in COLUMNS if c in raw.columns}
    numbers = {c: _to_number(cells[c]) for c in _NUMBERS if c in cells}
    problems = _validate(cells, numbers, name, len(raw))
    if problems.has_errors:
        raise ReferenceTableError(problems)
    out = pd.DataFrame({c: cells[c] for c in _TEXT})
    out["n_treated"] = numbers["n_treated"].round().astype("Int64")
    for c in ("months", "value", "lower", "upper"):
        out[c] = numbers[c].astype(float)
    return out[list(COLUMNS)].reset_index(drop=True)


def _to_number(text: pd.Series) -> pd.Series:
    x = pd.to_numeric(text.where(text != ""), errors="coerce").astype(float)
    return x.where(np.isfinite(x))


def _validate(
    cells: dict[str, pd.Series], numbers: dict[str, pd.Series], name: str, n_rows: int
) -> Problems:
    """Every problem of a references table in one pass (see :func:`load_references`)."""
    pc = ProblemCollector()
    rows = pd.Series(np.arange(n_rows) + 2)

    def add(rule: str, bad: pd.Series, column: str, value: pd.Series, message: pd.Series) -> None:
        mask = bad.to_numpy(dtype=bool)
        if mask.any():
            pc.add(
                "error",
                rule,
                name,
                message[mask],
                row=rows[mask],
                column=column,
                value=value[mask],
            )

    for c in COLUMNS:
        if c not in cells:
            pc.add(
                "error",
                "missing_column",
                name,
                "the column is missing: add it (its cells may be empty)",
                column=c,
            )
    for c, what in _REQUIRED.items():
        if c in cells:
            empty = cells[c] == ""
            add(
                "missing_text",
                empty,
                c,
                cells[c],
                pd.Series(f"empty: every row needs {what}", rows.index),
            )
    if "id" in cells:
        ids = cells["id"]
        again = ids.duplicated(keep="first") & (ids != "")
        first = pd.Series(
            rows[~ids.duplicated(keep="first")].to_numpy(), index=ids[~ids.duplicated()]
        )
        msg = ids.map(repr) + " is used again (first on row " + ids.map(first).astype(str)
        add("duplicate_id", again, "id", ids, msg + "): ids must be unique")
    measure = cells.get("measure", pd.Series("", rows.index))
    known = measure.isin(MEASURES)
    add(
        "unknown_measure",
        (measure != "") & ~known,
        "measure",
        measure,
        measure.map(repr) + f" is not a known measure: use one of {', '.join(MEASURES)}",
    )
    if "technique" in cells:
        tech = cells["technique"]
        add(
            "unknown_technique",
            (tech != "") & ~tech.isin(TECHNIQUES),
            "technique",
            tech,
            tech.map(repr)
            + f" is not a known technique: use {', '.join(TECHNIQUES)}, or leave it empty "
            "when mixed or not specified",
        )
    for c, x in numbers.items():
        text = cells[c]
        bad = (text != "") & x.isna()
        if c == "n_treated":
            bad |= x.notna() & ((x < 0) | (x != x.round()))
        add("not_a_number", bad, c, text, text.map(repr) + " " + _NOT_A_NUMBER[c])
        if c in ("months", "n_treated"):
            what = "months since the procedure" if c == "months" else "a number of patients"
            message = text.map(repr) + f" is negative: {what} cannot be below 0"
            add("negative_number", x < 0, c, text, message)
    is_rate = measure.isin(_RATES)
    is_duration = measure.isin(DURATIONS)
    for c in ("value", "lower", "upper"):
        if c not in numbers:
            continue
        x, text = numbers[c], cells[c]
        add(
            "rate_out_of_range",
            is_rate & ((x < 0) | (x > 1)),
            c,
            text,
            text.map(repr) + " is outside 0-1: give rates as proportions (0.58 for 58%)",
        )
        add(
            "negative_duration",
            is_duration & (x < 0),
            c,
            text,
            text.map(repr) + " is negative: a duration is months >= 0",
        )
    if {"value", "lower", "upper"} <= numbers.keys():
        v, lo, hi = numbers["value"], numbers["lower"], numbers["upper"]
        vt, lt, ht = cells["value"], cells["lower"], cells["upper"]
        add(
            "interval_order",
            lo > v,
            "lower",
            lt,
            lt.map(repr) + " is above the value " + vt.map(repr) + ": the interval must hold it",
        )
        add(
            "interval_order",
            v > hi,
            "upper",
            ht,
            ht.map(repr) + " is below the value " + vt.map(repr) + ": the interval must hold it",
        )
        add(
            "interval_order",
            v.isna() & (lo > hi),
            "upper",
            ht,
            ht.map(repr) + " is below the lower bound " + lt.map(repr),
        )
    if "value" in cells:
        vt = cells["value"]
        add(
            "missing_value",
            known & (measure != "qualitative") & (vt == ""),
            "value",
            vt,
            "empty: a " + measure + " row needs a value (only qualitative rows have none)",
        )
        add(
            "qualitative_value",
            (measure == "qualitative") & (vt != ""),
            "value",
            vt,
            vt.map(repr) + " given for a qualitative row: leave value empty and quote the "
            "statement in note",
        )
    return pc.result()


# --------------------------------------------------------------------------- comparing
