"""Reading clinics' files into raw tables with canonical column names.

This module reads, renames and reshapes; it parses nothing (``schema`` does
that and reports problems). Files are opened read-only and read once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io as _io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from outcomes import _files, _identifiers, layout
from outcomes.errors import InputError
from outcomes.mapping import FileMapping, normalise_name
from outcomes.problems import ProblemCollector

__all__ = [
    "DAYS_PER_MONTH",
    "RawTable",
    "SourceFile",
    "read_events",
    "read_followup",
    "read_table",
    "visit_days",
    "whole_days",
]

#: Days in an average month (365.25 / 12); months = days / DAYS_PER_MONTH everywhere.
DAYS_PER_MONTH = 30.4375


def whole_days(months: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """The whole days in ``months`` months: ``floor(months * 30.4375)``.

    The one rule by which a time in months (a landmark, a visit label, the
    horizon of a restricted mean) becomes a day since the procedure: 3 months
    is day 91, 6 months day 182, 12 months day 365, 18 months day 547 and 24
    months day 730, so that a visit on day 730 counts as two years.
    """
    m = np.asarray(months, dtype=np.float64)
    # the tolerance keeps days / 30.4375 * 30.4375 on its day despite rounding
    return np.floor(m * DAYS_PER_MONTH + 1e-6).astype(np.int64)


ROW = "_row"  # source row number, as a spreadsheet shows it
SCORE_COL = "_score_col"  # the file's own name of the column a score came from
DATE_COL = "_date_col"  # ... and of the column its assessment date came from

_VISIT = re.compile(r"^(?P<inst>[a-z][a-z0-9]*)_(?P<visit>baseline|\d+(?:\.\d+)?[dwm])$")
# Direct identifiers dropped by name: person details and national or hospital numbers,
# from the vocabulary that validate's hint and `outcomes init` also use.
_IDENTIFIER_TOKENS = _identifiers.IDENTIFIER_TOKENS
_IDENTIFIER_PATTERNS = _identifiers.IDENTIFIER_PATTERN


@dataclass(frozen=True)
class SourceFile:
    """An input file as read: its name, SHA-256 of its bytes, data rows used and layout.

    ``layout`` says where the table was found (sheet, header, rows left out;
    None for Parquet).
    """

    name: str
    path: str
    sha256: str
    rows: int
    layout: layout.Layout | None = None


@dataclass(frozen=True)
class RawTable:
    """A file's cells, unparsed, under canonical column names.

    ``frame`` holds one row per assessment (or event) with the cells as read,
    plus bookkeeping columns: ``_row`` (source row number), and for follow-up
    data ``_score_col``/``_date_col`` (the file's own column names, for
    messages). ``original`` maps canonical names back to the file's headers.
    """

    frame: pd.DataFrame
    source: SourceFile
    original: Mapping[str, str]
    layout: str  # "long", "wide" or "events"
    dropped_identifiers: tuple[str, ...] = ()
    problems: ProblemCollector = field(default_factory=ProblemCollector)


def visit_days(visit: str) -> int:
    """Nominal day of a visit label: ``baseline`` is 0, ``2w`` 14, ``3m`` 91.

    Months become whole days by :func:`whole_days` (6m is day 182, 24m day 730).
    """
    if visit == "baseline":
        return 0
    n, unit = float(visit[:-1]), visit[-1]
    if unit == "m":
        return int(whole_days(n))
    return int(np.floor(n * {"d": 1.0, "w": 7.0}[unit] + 0.5))


def _read_frame(
    path: Path, sheet: str | None, header_rows: tuple[int, ...] = ()
) -> tuple[pd.DataFrame, SourceFile]:
    """Read a file's table: the cells under their header, with ``_row`` numbers.

    The header, the data rows and the sheet are found by :mod:`outcomes.layout`
    unless the mapping sets them; what was found is in ``SourceFile.layout``.
    """
    data = _files.read_bytes(path)
    digest = hashlib.sha256(data).hexdigest()
    name = path.name
    if _files.is_parquet(path):
        try:
            frame = pd.read_parquet(_io.BytesIO(data))
        except Exception as exc:
            raise InputError(f"{name}: cannot be read as Parquet: {type(exc).__name__}") from None
        frame = frame.reset_index(drop=True)
        frame.columns = [str(c) for c in frame.columns]
        frame[ROW] = np.arange(1, len(frame) + 1)
        return frame, SourceFile(name, str(path), digest, len(frame))
    suffix = path.suffix.lower()
    if suffix in {".csv", ".tsv", ".txt"}:
        frame, found = _text_table(name, data, header_rows)
    else:
        frame, found = _workbook_table(name, data, sheet, header_rows)
    if not len(frame):
        rows = found.header_rows
        raise InputError(
            f"{name}: has column names (row {rows[-1]}) but no rows of data under them; "
            "export the sheet again with its data"
        )
    frame.columns = [str(c) for c in frame.columns]
    return frame, SourceFile(name, str(path), digest, len(frame), found)


def read_table(path: str | Path, sheet: str | None = None) -> tuple[pd.DataFrame, SourceFile]:
    """A file's table as found, under the file's own column names, nothing dropped.

    The cells as read (no renames, identifier and empty-looking columns kept)
    plus ``_row``, the spreadsheet row number; where the table was found is in
    ``SourceFile.layout``. For ``outcomes init``, which must see every name.

    Raises
    ------
    InputError
        The file cannot be read (see :func:`read_followup`).
    """
    return _read_frame(Path(path), sheet)


def _no_header(name: str) -> InputError:
    return InputError(
        f"{name}: no row of column names found in the first {layout.HEAD_ROWS} rows; put the "
        "names in one row above the data, or give its number as header_row in a mapping file"
    )


def _text_table(
    name: str, data: bytes, header_rows: tuple[int, ...]
) -> tuple[pd.DataFrame, layout.Layout]:
    text, dialect = _files.sniff(data)
    head, width = _files.text_grids(text, dialect, layout.HEAD_ROWS)
    found = layout.find_header(head, header_rows or None)
    if found is None:
        raise _no_header(name)
    header, group, detected = found
    body = _files.text_body(text, dialect, header + 1, max(width, 1))
    frame, left_out = layout.table_below(
        body, layout.names_of(head, header, group), first_row=header + 2
    )
    table = layout.layout_of(
        head, header, group, detected, frame, left_out, first_row=1, sheet=None, other_sheets=()
    )
    return frame, dataclasses.replace(table, dialect=dialect.words())


def _workbook_table(
    name: str, data: bytes, sheet: str | None, header_rows: tuple[int, ...]
) -> tuple[pd.DataFrame, layout.Layout]:
    kind = _files.workbook_kind(name, data)
    if kind == "html":
        grids = {"": _files.html_grid(name, data)}
    else:
        grids = _files.excel_grids(name, data, kind)
    if sheet is not None and sheet not in grids:
        listed = ", ".join(f'"{s}"' for s in grids)
        raise InputError(f"{name}: no sheet named {sheet!r}; the sheets are {listed}")
    names = [sheet] if sheet is not None else list(grids)
    tables = {s: layout.find_table(grids[s], header_rows=header_rows or None) for s in names}
    chosen = layout.choose_sheet(tables)
    if chosen is None:
        raise _no_header(name)
    frame, found = tables[chosen]  # type: ignore[misc]
    others = tuple(s for s in grids if s != chosen)
    return frame, dataclasses.replace(
        found, sheet=chosen if kind != "html" else None, other_sheets=others
    )


def _rename(
    frame: pd.DataFrame,
    renames: Mapping[str, str],
    source: SourceFile,
    ignore: tuple[str, ...],
    problems: ProblemCollector,
) -> tuple[pd.DataFrame, dict[str, str], tuple[str, ...]]:
    """Normalise headers, apply renames, drop ignored and identifier columns."""
    original: dict[str, str] = {}
    keep: dict[str, str] = {}
    dropped: list[str] = []
    canonical_targets = set(renames.values())
    for col in frame.columns:
        if col == ROW:
            continue
        norm = normalise_name(col)
        if norm.startswith("unnamed:") and frame[col].isna().all():
            continue
        if norm in ignore:
            continue
        target = renames.get(norm, norm)
        if target not in canonical_targets and _looks_like_identifier(target):
            dropped.append(col)
            continue
        if target in original:
            problems.add(
                "error",
                "duplicate_column",
                source.name,
                f'column "{col}" and column "{original[target]}" both mean "{target}"; '
                "rename or drop one of them",
                column=col,
            )
            continue
        original[target] = col
        keep[col] = target
    out = frame[[*keep, ROW]].rename(columns=keep)
    if dropped:
        problems.add(
            "warning",
            "identifier_dropped",
            source.name,
            "dropped column(s) that look like direct patient identifiers: "
            + ", ".join(f'"{c}"' for c in dropped)
            + "; they are not read. If one is not an identifier, rename it in a mapping file",
            column=", ".join(dropped),
        )
    return out, original, tuple(dropped)


def _looks_like_identifier(name: str) -> bool:
    if name in {"patient_id", "procedure_id"}:
        return False
    tokens = set(name.split("_"))
    return bool(tokens & _IDENTIFIER_TOKENS) or bool(_IDENTIFIER_PATTERNS.search(name))


def read_followup(path: str | Path, mapping: FileMapping | None = None) -> RawTable:
    """Read a follow-up file, long or wide, into a long raw table.

    Parameters
    ----------
    path : str or Path
        CSV, Excel (.xlsx) or Parquet file.
    mapping : FileMapping, optional
        Column renames, Excel sheet and instruments; defaults apply without one.

    Raises
    ------
    InputError
        The file cannot be read at all. Problems with its content are
        collected in ``RawTable.problems`` instead.
    """
    mapping = mapping or FileMapping()
    p = Path(path)
    frame, source = _read_frame(p, mapping.sheet, mapping.header_rows)
    problems = ProblemCollector()
    frame, original, dropped = _rename(
        frame, mapping.columns, source, mapping.ignore_columns, problems
    )
    score_cols = {
        c: m for c in frame.columns if (m := _VISIT.match(c)) and m["inst"] in mapping.instruments
    }
    if "score" in frame.columns or not score_cols:
        frame[SCORE_COL] = original.get("score", "score")
        frame[DATE_COL] = original.get("assessment_date", original.get("days_after", ""))
        return RawTable(frame, source, original, "long", dropped, problems)
    return RawTable(
        _wide_to_long(frame, score_cols, original), source, original, "wide", dropped, problems
    )


def _wide_to_long(
    frame: pd.DataFrame, score_cols: Mapping[str, re.Match[str]], original: Mapping[str, str]
) -> pd.DataFrame:
    """Melt ``<instrument>_<visit>`` score columns (and ``date_<visit>``) to long rows."""
    date_cols = {c[5:] for c in frame.columns if c.startswith("date_")}
    wide_cols = set(score_cols) | {f"date_{v}" for v in date_cols}
    fixed = [c for c in frame.columns if c not in wide_cols]
    parts = []
    for col, m in score_cols.items():  # one pass per visit column, not per row
        visit = m["visit"]
        score = frame[col]
        present = score.notna() & (score.astype(str).str.strip() != "")
        part = frame.loc[present, fixed].copy()
        part["instrument"] = m["inst"]
        part["visit"] = visit
        part["score"] = score[present]
        date_col = f"date_{visit}"
        part["assessment_date"] = frame.loc[present, date_col] if visit in date_cols else None
        part["days_after"] = visit_days(visit)
        part[SCORE_COL] = original[col]
        part[DATE_COL] = original.get(date_col, original[col])
        parts.append(part)
    long = pd.concat(parts, ignore_index=True)
    return long.sort_values(ROW, kind="stable").reset_index(drop=True)


def read_events(path: str | Path, mapping: FileMapping | None = None) -> RawTable:
    """Read an events file (repeat procedures, surgery, death, ...) into a raw table."""
    mapping = mapping or FileMapping()
    p = Path(path)
    frame, source = _read_frame(p, mapping.sheet)
    problems = ProblemCollector()
    frame, original, dropped = _rename(
        frame, mapping.event_columns or mapping.columns, source, mapping.ignore_columns, problems
    )
    return RawTable(frame, source, original, "events", dropped, problems)
