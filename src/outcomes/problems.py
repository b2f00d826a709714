"""Validation problems carried as data: one row per problem.

Every check appends a block of rows at once (vectorised), in the manner of
pandera's lazy validation: nothing stops at the first problem, and callers
get a table they can filter, count or save, plus one readable line each.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["COLUMNS", "ProblemCollector", "Problems"]

#: Columns of a problems table, in order.
COLUMNS = ("severity", "rule", "file", "row", "patient", "column", "value", "message")

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problems:
    """A table of validation problems.

    Columns: ``severity`` (``"error"`` stops the analysis, ``"warning"`` does
    not), ``rule`` (a short key such as ``score_out_of_range``), ``file``
    (source file name), ``row`` (row number as a spreadsheet shows it: the
    header is row 1, the first data row is row 2; empty when the problem is
    not about one row), ``patient`` (patient id as in the file), ``column``
    (column name as in the file), ``value`` (the offending value as text) and
    ``message`` (what is wrong and what to do).

    The ``patient`` column is for the clinic's own data cleaning; reports
    leave it out.
    """

    table: pd.DataFrame = field(default_factory=lambda: _empty())

    def __len__(self) -> int:
        return len(self.table)

    @property
    def errors(self) -> Problems:
        """Only the problems that stop the analysis."""
        return Problems(self.table[self.table["severity"] == ERROR].reset_index(drop=True))

    @property
    def warnings(self) -> Problems:
        """Only the problems that do not stop the analysis."""
        return Problems(self.table[self.table["severity"] == WARNING].reset_index(drop=True))

    @property
    def has_errors(self) -> bool:
        return bool((self.table["severity"] == ERROR).any())

    def counts(self) -> pd.DataFrame:
        """Number of problems by severity and rule."""
        t = self.table
        if t.empty:
            return pd.DataFrame({"severity": [], "rule": [], "n": []})
        return t.groupby(["severity", "rule"], sort=True).size().rename("n").reset_index()

    def lines(self) -> list[str]:
        """One readable line per problem, e.g.

        ``error: visits.csv row 214, column "score": 12 is outside the NRS range 0-10``
        """
        t = self.table
        if t.empty:
            return []
        where = t["file"].astype(str)
        has_row = t["row"].notna()
        where = where.where(~has_row, where + " row " + t["row"].astype("Int64").astype(str))
        has_pat = t["patient"].notna()
        where = where.where(~has_pat, where + " (patient " + t["patient"].astype(str) + ")")
        has_col = t["column"].notna() & (t["column"].astype(str) != "")
        where = where.where(~has_col, where + ', column "' + t["column"].astype(str) + '"')
        out = t["severity"].astype(str) + ": " + where + ": " + t["message"].astype(str)
        return out.tolist()


class ProblemCollector:
    """Accumulates blocks of problems during one validation pass."""

    def __init__(self) -> None:
        self._blocks: list[pd.DataFrame] = []

    def add(
        self,
        severity: str,
        rule: str,
        file: str,
        message: str | Iterable[str] | pd.Series,
        *,
        row: int | Iterable[int] | pd.Series | None = None,
        patient: str | Iterable[str] | pd.Series | None = None,
        column: str | Iterable[str] | pd.Series | None = None,
        value: object = None,
    ) -> None:
        """Add one problem, or a block of them when any argument is a sequence.

        Scalars are broadcast against the longest sequence argument.
        """
        parts = {
            "row": row,
            "patient": patient,
            "column": column,
            "value": value,
            "message": message,
        }
        n = 1
        for v in parts.values():
            if isinstance(v, pd.Series | np.ndarray | list | tuple):
                n = max(n, len(v))
        if n == 0:
            return
        data: dict[str, object] = {"severity": severity, "rule": rule, "file": file}
        for k, v in parts.items():
            if isinstance(v, pd.Series):
                data[k] = v.to_numpy()
            elif isinstance(v, np.ndarray | list | tuple):
                data[k] = np.asarray(v, dtype=object)
            else:
                data[k] = v
        block = pd.DataFrame(data, index=pd.RangeIndex(n))
        self._blocks.append(block)

    def extend(self, problems: Problems) -> None:
        if len(problems):
            self._blocks.append(problems.table)

    def result(self) -> Problems:
        """All problems collected, errors first, then in file and row order."""
        blocks = [b for b in self._blocks if len(b)]
        if not blocks:
            return Problems()
        t = pd.concat(
            [b.reindex(columns=list(COLUMNS)).astype(object) for b in blocks], ignore_index=True
        )
        t["row"] = pd.to_numeric(t["row"], errors="coerce").astype("Int64")
        for c in ("patient", "column", "value"):
            col = t[c].astype(object)
            t[c] = col.astype(str).where(col.notna(), None)
        t = t.drop_duplicates()  # a wide row yields several assessments, one problem
        t["_sev"] = (t["severity"] != ERROR).astype(int)
        t = t.sort_values(["_sev", "file", "row"], kind="stable", na_position="first")
        return Problems(t.drop(columns="_sev").reset_index(drop=True))


def _empty() -> pd.DataFrame:
    t = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    t["row"] = t["row"].astype("Int64")
    return t
