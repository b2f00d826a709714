"""From a file's bytes to the grid of cells of each sheet, or one line saying why not.

Kinds read: CSV and other delimited text (separator, decimal comma and
encoding found by sniffing), Excel workbooks (.xlsx, .xlsm and Excel
97-2003 .xls), an HTML table saved with an .xls name (as electronic patient
records export them) and Parquet. A file that cannot be read (empty,
password-protected, damaged, of another kind) is refused with an
:class:`~outcomes.errors.InputError` naming the file and saying what to do.
The header is not looked for here (:mod:`outcomes.layout` does that): every
row comes back, blank ones included.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from outcomes.errors import InputError, MissingFileError

__all__ = [
    "SUFFIXES",
    "Dialect",
    "excel_grids",
    "html_grid",
    "is_parquet",
    "read_bytes",
    "sniff",
    "text_body",
    "text_grids",
    "workbook_kind",
]

SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".parquet", ".pq"}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # compound file: .xls, or an encrypted .xlsx
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_SAVE_AS = 'save it from Excel as "Excel Workbook (.xlsx)", or export it as CSV'


def read_bytes(path: Path) -> bytes:
    """The file's bytes, after checks that need no parsing.

    Raises
    ------
    MissingFileError
        No such file.
    InputError
        A folder, an unsupported file type, or an empty file.
    """
    if not path.exists():
        raise MissingFileError(f"{path}: file not found")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a file")
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(
            f"{path.name}: unsupported file type {path.suffix!r}; use CSV (.csv), "
            "Excel (.xlsx or .xls) or Parquet (.parquet)"
        )
    data = path.read_bytes()
    if not data.strip():
        raise InputError(f"{path.name}: the file is empty; export the sheet again")
    return data


def workbook_kind(name: str, data: bytes) -> str:
    """``"xlsx"``, ``"xls"`` or ``"html"``: what an Excel-named file really holds.

    Raises
    ------
    InputError
        Password-protected, damaged, or not a spreadsheet at all.
    """
    head = data[:2048].lstrip().lower()
    if data.startswith(_OLE):
        if _ENCRYPTED in data:
            raise InputError(
                f"{name}: the workbook is password-protected (encrypted); open it in Excel, "
                "remove the password (File > Info > Protect Workbook) and save an unprotected copy"
            )
        return "xls"
    if (
        head.startswith((b"<html", b"<!doctype", b"<table", b"<?xml", b"<meta"))
        or b"<table" in head
    ):
        return "html"
    if data.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                if "xl/workbook.xml" not in z.namelist():
                    raise InputError(f"{name}: is a zip archive, not an Excel workbook; {_SAVE_AS}")
        except zipfile.BadZipFile:
            raise InputError(
                f"{name}: the workbook is damaged or incomplete (cut short when copied?); "
                f"copy it again, or open the original and {_SAVE_AS}"
            ) from None
        return "xlsx"
    raise InputError(f"{name}: is not an Excel workbook; {_SAVE_AS}")


def excel_grids(name: str, data: bytes, kind: str) -> dict[str, pd.DataFrame]:
    """Every sheet of a workbook as a grid of cells (no header, object dtype)."""
    engine: Literal["openpyxl", "xlrd"] = "xlrd" if kind == "xls" else "openpyxl"
    try:
        sheets = pd.read_excel(
            io.BytesIO(data), sheet_name=None, header=None, dtype=object, engine=engine
        )
    except ImportError:
        raise InputError(
            f"{name}: reading Excel 97-2003 (.xls) files needs the xlrd package; "
            "pip install xlrd, or save the file as .xlsx"
        ) from None
    except Exception as exc:
        raise InputError(
            f"{name}: the workbook cannot be read ({type(exc).__name__}: {exc}); "
            f"open it in Excel and {_SAVE_AS}"
        ) from None
    return {str(k): v for k, v in sheets.items()}


class _Tables(HTMLParser):
    """The cells of each <table> in an HTML page, row by row."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_grid(name: str, data: bytes) -> pd.DataFrame:
    """The largest table of an HTML page as a grid of cells."""
    parser = _Tables()
    parser.feed(_decode(data))
    tables = [t for t in parser.tables if t]
    if not tables:
        raise InputError(
            f"{name}: is a web page (HTML) without a table; open it in Excel and {_SAVE_AS}"
        )
    rows = max(tables, key=lambda t: len(t) * max(len(r) for r in t))
    width = max(len(r) for r in rows)
    grid = [r + [""] * (width - len(r)) for r in rows]
    return pd.DataFrame(grid, dtype=object).replace("", np.nan)


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, as Excel on Windows writes CSV."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


@dataclass(frozen=True)
class Dialect:
    """How a delimited text file is written."""

    separator: str
    decimal_comma: bool
    encoding: str

    def words(self) -> str:
        sep = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}[self.separator]
        dec = ", decimal comma" if self.decimal_comma else ""
        return f"{sep}-separated{dec}, {self.encoding}"


_DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")


def first_lines(text: str, n: int) -> list[str]:
    """The first ``n`` lines of ``text``, without splitting all of it."""
    end = -1
    for _ in range(n):  # n newlines at most (a few hundred)
        end = text.find("\n", end + 1)
        if end < 0:
            return text.splitlines()
    return text[:end].splitlines()


def sniff(data: bytes) -> tuple[str, Dialect]:
    """The text of a delimited file and its dialect.

    The separator is the one of comma, semicolon, tab and bar that splits the
    first filled lines into the most equal numbers of fields (titles and
    notes above the header count for little); with a semicolon, numbers
    written with a decimal comma ("7,5") are read as 7.5.
    """
    try:
        text, encoding = data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        text, encoding = data.decode("cp1252", errors="replace"), "Windows-1252"
    lines = [ln for ln in first_lines(text, 200) if ln.strip()][:100]
    best, best_score = ",", -1.0
    for sep in (",", ";", "\t", "|"):
        counts = [len(r) for r in csv.reader(lines, delimiter=sep)]
        many = [c for c in counts if c > 1]
        if not many:
            continue
        top = max(set(many), key=many.count)
        score = many.count(top) * top
        if score > best_score:
            best, best_score = sep, score
    decimal = False
    if best == ";":
        cells = [c.strip() for r in csv.reader(lines, delimiter=";") for c in r]
        decimal = any(_DECIMAL_COMMA.match(c) for c in cells)
    return text, Dialect(best, decimal, encoding)


def text_grids(text: str, dialect: Dialect, head_rows: int) -> tuple[pd.DataFrame, int]:
    """The first ``head_rows`` lines as a grid, and the widest row in them."""
    head_lines = first_lines(text, head_rows)
    rows = list(csv.reader(head_lines, delimiter=dialect.separator))
    width = max((len(r) for r in rows), default=0)
    grid = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)
    return grid.replace("", np.nan), width


def text_body(text: str, dialect: Dialect, skip: int, width: int) -> pd.DataFrame:
    """Lines after the first ``skip`` as a grid of text cells (blank lines kept)."""

    def read(n_fields: int) -> pd.DataFrame:
        return pd.read_csv(
            io.StringIO(text),
            sep=dialect.separator,
            header=None,
            names=range(n_fields),
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            skiprows=skip,
            engine="c",
        )

    try:
        frame = read(width)
    except pd.errors.ParserError:  # a row wider than the header: find the widest, read again
        lines = text.splitlines()[skip:]
        frame = read(max(len(r) for r in csv.reader(lines, delimiter=dialect.separator)))
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame(columns=range(width), dtype=object)
    if dialect.decimal_comma:
        frame = frame.apply(_decimal_point)
    return frame


def _decimal_point(col: pd.Series) -> pd.Series:
    """Cells like "7,5" as "7.5" (the distinct values are checked, not every row)."""
    codes, uniques = pd.factorize(col)
    u = pd.Series(uniques, dtype=object)
    hit = u.astype(str).str.match(_DECIMAL_COMMA.pattern)
    if not hit.any():
        return col
    u[hit] = u[hit].str.replace(",", ".", regex=False)
    out = np.asarray(u, dtype=object)[np.maximum(codes, 0)]
    out[codes < 0] = None
    return pd.Series(out, index=col.index, dtype=object)


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() in {".parquet", ".pq"}
