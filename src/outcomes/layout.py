"""Where the table is in a sheet: its header, its data rows, and which sheet holds it.

Clinics put a title, notes and blank rows above the header, a row of merged
group cells ("Patient", "Pain score (NRS 0-10)") over the column names, and
summary rows under the data ("Mean", "n = 40", a sign-off). :func:`find_table`
finds the table in a grid of cells read without a header, and
:func:`choose_sheet` picks the sheet of a workbook that holds the data. A
:class:`Layout` says what was found, for ``validate``'s summary.

The rules, in order:

1. The width of the table is the largest number of filled cells in a row.
2. The header is the first row with text in at least half that many cells
   (and at least two), nearly all of it text, followed by a row of data
   (a row with a number or a date in it).
3. The nearest filled row above it is a group row when it has text in two or
   more cells, none of them a number or a date. Its merged cells span to the
   right until the next filled one. A column's name is then the name below,
   prefixed by its group when that name alone is a visit label ("Pre-op",
   "6/52", "3 mo") or appears more than once in the row.
4. The data end at the last row that is not a summary row: rows at the bottom
   that start with a summary word (mean, median, total, n =, SD, min, max,
   count, signed, checked, audited, ...) or hold a single cell are footer rows.
5. Filled rows above the header are title or note rows; empty rows and
   columns with no value at all are dropped. All are counted, with the reason.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from outcomes.visits import canonical_visit

__all__ = [
    "Layout",
    "choose_sheet",
    "column_letter",
    "find_header",
    "find_table",
    "is_visit_label",
    "layout_of",
    "names_of",
    "table_below",
]

#: Rows looked at to find the header.
HEAD_ROWS = 60
#: Rows at the bottom looked at for footer rows.
TAIL_ROWS = 60

_NUMBER = re.compile(r"^[-+]?\d+(?:[.,]\d+)?%?$")
_DATE = re.compile(
    r"^(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"
    r"|\d{1,2}(?:st|nd|rd|th)?[\s\-/.]*(?:of\s+)?[A-Za-z]{3,9}\.?[\s\-/.,]*\d{2,4})(?:[ T].*)?$"
)
_SUMMARY = re.compile(
    r"^(mean|median|average|avg|total|totals|sum|sd|s\.d\.|std|standard deviation|n\s*=|n\b"
    r"|count|min|minimum|max|maximum|range|iqr|signed|checked|audited|reviewed|prepared by"
    r"|completed by|verified|printed|page \d|end of|source:|key:)",
    re.IGNORECASE,
)


def is_visit_label(text: str) -> bool:
    """Whether a header is only a visit label: "Pre-op", "6/52", "3/12", "3 mo", "1 yr"."""
    return canonical_visit(text) is not None


def column_letter(index: int) -> str:
    """Spreadsheet letter of a 0-based column: 0 -> A, 26 -> AA."""
    out = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


@dataclass(frozen=True)
class Layout:
    """What :func:`find_table` found in a sheet.

    Attributes
    ----------
    sheet : str or None
        The sheet read (None for a CSV file).
    other_sheets : tuple of str
        The workbook's other sheets, not read.
    header_rows : tuple of int
        Row numbers of the header, as the spreadsheet shows them (a group
        row first when there are two).
    first_row, last_row : int
        First and last row numbers of the data used.
    data_rows : int
        Rows of data used (empty rows between them left out).
    skipped : tuple of (str, int)
        Rows and columns left out, with the reason.
    detected : bool
        Whether the header was found by the rules (False: set in the mapping).
    dialect : str or None
        For a text file, how it is written ("semicolon-separated, decimal
        comma, UTF-8").
    """

    sheet: str | None
    other_sheets: tuple[str, ...]
    header_rows: tuple[int, ...]
    first_row: int
    last_row: int
    data_rows: int
    skipped: tuple[tuple[str, int], ...] = ()
    detected: bool = True
    dialect: str | None = None

    def lines(self) -> list[str]:
        """The layout in words, one line each, for ``validate``'s summary."""
        where = f'sheet "{self.sheet}"' if self.sheet is not None else "the file"
        if self.dialect:
            where += f" ({self.dialect})"
        rows = self.header_rows
        head = f"row {rows[0]}" if len(rows) == 1 else f"rows {rows[0]}-{rows[-1]}"
        how = "found" if self.detected else "as set in the mapping"
        out = [
            f"Read {where}: header in {head} ({how}), data in rows {self.first_row}-"
            f"{self.last_row} ({self.data_rows:,} rows used)."
        ]
        if self.other_sheets:
            names = ", ".join(f'"{s}"' for s in self.other_sheets)
            out.append(f"Other sheets, not read: {names} (choose one with [excel] sheet).")
        if self.skipped:
            out.append("Left out: " + "; ".join(f"{n:,} {why}" for why, n in self.skipped) + ".")
        return out


def _kinds(grid: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per cell: filled, text (not a number or a date), number-or-date; boolean arrays."""
    values = grid.to_numpy(dtype=object)
    flat = values.ravel()
    text = np.array([_text(v) for v in flat], dtype=object)  # the head or tail rows only
    filled = text != ""
    numeric = (
        np.array(
            [
                (
                    isinstance(v, (int, float, np.number, dt.date, dt.datetime, pd.Timestamp))
                    and not isinstance(v, bool)
                )
                or bool(_NUMBER.match(t) or _DATE.match(t))
                for v, t in zip(flat, text, strict=True)
            ]
        )
        & filled
    )
    shape = values.shape
    return filled.reshape(shape), (filled & ~numeric).reshape(shape), numeric.reshape(shape)


def _text(v: object) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
        return ""
    return str(v).strip()


def _header_at(filled: np.ndarray, text: np.ndarray, numeric: np.ndarray) -> int | None:
    """Index (in the rows given) of the header row by rules 1-2, or None."""
    counts = filled.sum(axis=1)
    width = int(counts.max(initial=0))
    if width == 0:
        return None
    texts = text.sum(axis=1)
    has_data: np.ndarray = np.asarray(numeric.any(axis=1))
    need = max(2, int(np.ceil(0.5 * width)))
    candidates = np.flatnonzero((texts >= need) & (texts >= 0.8 * counts))
    for r in candidates:  # the first few rows of a sheet
        below = np.flatnonzero(counts[r + 1 :] > 0)
        if below.size and has_data[r + 1 + below[0]]:
            return int(r)
    return int(candidates[0]) if candidates.size else None


def _group_row(filled: np.ndarray, text: np.ndarray, header: int) -> int | None:
    above = np.flatnonzero(filled[:header].any(axis=1))
    if not above.size:
        return None
    r = int(above[-1])
    if filled[r].sum() >= 2 and (text[r] == filled[r]).all():
        return r
    return None


def _names(grid: pd.DataFrame, header: int, group: int | None) -> list[str]:
    """Column names from the header row (and group row), per rule 3."""
    names = [_text(v) for v in grid.iloc[header]]
    if group is None:
        return [n or f"column {column_letter(i)}" for i, n in enumerate(names)]
    groups = [_text(v) for v in grid.iloc[group]]
    spans, current = [], ""
    for g in groups:  # merged cells: a group spans right until the next filled cell
        current = g or current
        spans.append(current)
    seen = pd.Series([n.lower() for n in names]).value_counts()
    out = []
    for i, (name, g) in enumerate(zip(names, spans, strict=True)):
        if not name:
            out.append(g or f"column {column_letter(i)}")
        elif g and (is_visit_label(name) or seen[name.lower()] > 1):
            out.append(f"{g} {name}")
        else:
            out.append(name)
    return out


def _footer_start(tail: pd.DataFrame, width: int) -> int:
    """Index (in ``tail``) where footer rows start (``len(tail)`` when none), per rule 4."""
    cells = tail.to_numpy(dtype=object)
    end = len(cells)
    for r in range(len(cells) - 1, -1, -1):  # upwards from the bottom, over the last rows
        row = [_text(v) for v in cells[r]]
        filled = [t for t in row if t]
        if not filled:
            continue
        if _SUMMARY.match(filled[0]) or (len(filled) == 1 and width >= 3):
            end = r
            continue
        break
    return end


def find_header(
    head: pd.DataFrame, header_rows: Sequence[int] | None = None, first_row: int = 1
) -> tuple[int, int | None, bool] | None:
    """Where the header is in the first rows of a sheet (rules 1-3).

    Parameters
    ----------
    head : DataFrame
        The first rows of the sheet, as read without a header (object dtype).
    header_rows : sequence of int, optional
        Row numbers of the header set in the mapping (the names row, or a
        group row and the names row).
    first_row : int
        Spreadsheet row number of ``head``'s first row.

    Returns
    -------
    (header, group, detected) or None
        0-based positions in ``head`` of the names row and of the group row
        (None without one), and whether they were found rather than set;
        None when no header can be found.
    """
    if header_rows:
        rows = [int(r) - first_row for r in header_rows]
        if min(rows) < 0 or max(rows) >= len(head):
            return None
        return rows[-1], (rows[0] if len(rows) > 1 else None), False
    filled, text, numeric = _kinds(head)
    found = _header_at(filled, text, numeric)
    if found is None:
        return None
    return found, _group_row(filled, text, found), True


def names_of(head: pd.DataFrame, header: int, group: int | None) -> list[str]:
    """Column names from the header row and the group row (rule 3)."""
    return _names(head, header, group)


def table_below(
    body: pd.DataFrame, names: Sequence[str], *, first_row: int
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The data rows under a header: named columns, ``_row``, footer and empty rows out.

    Parameters
    ----------
    body : DataFrame
        The rows below the header as read (object dtype, no header).
    names : sequence of str
        A name for each column of ``body`` (extra columns are named by letter).
    first_row : int
        Spreadsheet row number of ``body``'s first row.

    Returns
    -------
    frame : DataFrame
        The data, with ``_row``.
    left_out : dict of str to int
        Counts of footer rows, empty rows and empty columns left out.
    """
    body = body.reset_index(drop=True)
    body.columns = pd.RangeIndex(body.shape[1])
    values = body.to_numpy(dtype=object)
    blank = pd.isna(values) | (values == "")
    filled_rows = ~blank.all(axis=1)
    width = int((~blank).sum(axis=1).max(initial=0))
    rows = np.flatnonzero(filled_rows)
    tail = rows[-TAIL_ROWS:]
    end = len(body)
    if tail.size:
        cut = _footer_start(body.iloc[tail], width)
        if cut < tail.size:
            end = int(tail[cut])
    n_footer = int(filled_rows[end:].sum())
    keep_rows = filled_rows.copy()
    keep_rows[end:] = False
    names = list(names) + [f"column {column_letter(i)}" for i in range(len(names), body.shape[1])]
    empty_cols = blank[:end].all(axis=0) & np.array([n.startswith("column ") for n in names])
    frame = body.loc[keep_rows, ~empty_cols]
    frame.columns = [n for n, e in zip(names, empty_cols, strict=True) if not e]
    frame = frame.assign(_row=np.arange(len(body))[keep_rows] + first_row).reset_index(drop=True)
    left_out = {
        "summary or sign-off row(s) under the data": n_footer,
        "empty row(s)": int((~filled_rows[:end]).sum()),
        "empty column(s)": int(empty_cols.sum()),
    }
    return frame, left_out


def find_table(
    grid: pd.DataFrame,
    *,
    first_row: int = 1,
    header_rows: Sequence[int] | None = None,
    sheet: str | None = None,
    other_sheets: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, Layout] | None:
    """The table in a grid of cells: its data under its column names, and where it was.

    Parameters
    ----------
    grid : DataFrame
        The cells as read, no header, one row per spreadsheet row (blank rows
        included), object dtype.
    first_row : int
        Spreadsheet row number of the grid's first row.
    header_rows : sequence of int, optional
        Row numbers of the header as set in the mapping (one row, or a group
        row and the names row); otherwise found by the rules.
    sheet, other_sheets
        For the :class:`Layout`.

    Returns
    -------
    (DataFrame, Layout) or None
        The data rows (columns named, plus ``_row``: spreadsheet row numbers),
        or None when no header can be found.
    """
    head = grid.iloc[:HEAD_ROWS] if not header_rows else grid.iloc[: max(header_rows) + 1]
    found = find_header(head, header_rows, first_row)
    if found is None:
        return None
    header, group, detected = found
    frame, left_out = table_below(
        grid.iloc[header + 1 :], names_of(head, header, group), first_row=first_row + header + 1
    )
    return frame, layout_of(
        head,
        header,
        group,
        detected,
        frame,
        left_out,
        first_row=first_row,
        sheet=sheet,
        other_sheets=other_sheets,
    )


def layout_of(
    head: pd.DataFrame,
    header: int,
    group: int | None,
    detected: bool,
    frame: pd.DataFrame,
    left_out: Mapping[str, int],
    *,
    first_row: int,
    sheet: str | None,
    other_sheets: tuple[str, ...],
) -> Layout:
    """The :class:`Layout` of a table found by :func:`find_header` and :func:`table_below`."""
    filled = ~(pd.isna(head.to_numpy(dtype=object)) | (head.to_numpy(dtype=object) == ""))
    above = int(filled[:header].any(axis=1).sum()) - (1 if group is not None else 0)
    blank_above = int((~filled[:header].any(axis=1)).sum())
    skipped = {
        "title or note row(s) above the header": above,
        **left_out,
        "empty row(s)": left_out.get("empty row(s)", 0) + blank_above,
    }
    rows = [r + first_row for r in ([group] if group is not None else []) + [header]]
    return Layout(
        sheet=sheet,
        other_sheets=other_sheets,
        header_rows=tuple(rows),
        first_row=header + 1 + first_row,
        last_row=int(frame["_row"].iloc[-1]) if len(frame) else header + first_row,
        data_rows=len(frame),
        skipped=tuple((why, n) for why, n in skipped.items() if n),
        detected=detected,
    )


#: Words of column names that mark the follow-up table (any language of the corpus).
_KNOWN = re.compile(
    r"(patient|hospital|mrn|nhs|\bid\b|date|procedure|rfa|joint|knee|hip|shoulder|side"
    r"|technique|score|nrs|vas|womac|oxford|oks|pain|baseline|pre[\s\-]?op|visit|week|month"
    r"|/52|/12|instrument|days?\b)",
    re.IGNORECASE,
)


def choose_sheet(tables: Mapping[str, tuple[pd.DataFrame, Layout] | None]) -> str | None:
    """The sheet whose table looks most like follow-up data, by its column names and size."""

    def score(item: tuple[str, tuple[pd.DataFrame, Layout] | None]) -> float:
        found = item[1]
        if found is None:
            return -1.0
        frame, layout = found
        known = sum(bool(_KNOWN.search(str(c))) for c in frame.columns if c != "_row")
        return 1000.0 * known + min(layout.data_rows, 999)

    best = max(tables.items(), key=score, default=None)
    return None if best is None or best[1] is None else best[0]
