"""Vectorised parsing of the date spellings clinics' spreadsheets contain.

Accepted without configuration, each cell by its own kind, so one column may
mix them:

- real date cells (Excel, Parquet) and Excel serial day numbers (``45385``,
  as numbers or as text);
- ISO dates (``2024-04-03``, optionally with a time) and ``2024/04/03``;
- dates with an English month name or abbreviation (``Sep``, ``Sept`` and
  ``September`` alike), with or without an ordinal day: ``3 Apr 2024``,
  ``03-Apr-2024``, ``17th Apr 2023``, ``1st January 2024``,
  ``3rd of May 2023``, ``April 3, 2024``, ``May 3rd, 2023``;
- dotted day-month-year dates (``09.01.2023``, European exports), always
  read day-first: writing a date with dots is a day-first convention, so
  neither the rest of the column nor a ``[dates] order`` changes them (an
  explicit ``[dates] format`` such as ``%m.%d.%Y`` still can);
- slashed or dashed day-month-year dates (``03/04/2024``, ``03-04-2024``),
  read day-first or month-first as the data decide (a first number above 12
  means day-first, a second above 12 means month-first); when every such date
  could be either, the mapping must say which: ``[dates] order``, or a
  ``[dates] format`` that is itself slashed (``%d/%m/%Y`` is day-first).

A ``[dates] format`` is tried first, on the text cells only; cells it does
not match are read by the rules above.

Only the distinct values of a column are parsed, then mapped back, so a
million rows with a few thousand distinct dates cost a few thousand parses.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from outcomes._cells import MISSING_MARKERS
from outcomes.mapping import FileMapping
from outcomes.problems import ProblemCollector

__all__ = [
    "SLASHED",
    "OrderEvidence",
    "format_order",
    "order_evidence",
    "parse_dates",
    "resolve_order",
]

_ISO = (
    r"^(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"
#: Slashed or dashed day-month-year text, whose order the data or mapping decide.
SLASHED = r"^(?P<a>\d{1,2})[/\-](?P<b>\d{1,2})[/\-](?P<y>\d{4})" + _TIME
_DOTTED = r"^(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})" + _TIME
_ORDINAL = r"(?:st|nd|rd|th)?"
_DAY_MON = (
    r"^(?P<d>\d{1,2})" + _ORDINAL + r"[\s\-/.]*(?:of\s+)?"
    r"(?P<mon>[A-Za-z]{3,9})\.?[\s\-/.,]*(?P<y>\d{4})$"
)
_MON_DAY = r"^(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<d>\d{1,2})" + _ORDINAL + r",?\s+(?P<y>\d{4})$"
_NUMBER = r"^\d+(?:\.\d+)?$"
#: A slashed ``strftime`` format, which says the order of slashed dates.
_SLASHED_FORMAT = re.compile(r"%(?P<first>[dm])[/\-]%(?P<second>[dm])[/\-]%[Yy]")

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}

#: Excel serial day numbers accepted as dates: 1927-05-18 to 2173-10-14.
SERIAL_RANGE = (10_000, 100_000)
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")


@dataclass(frozen=True)
class OrderEvidence:
    """What slashed dates say about day-first versus month-first.

    ``example`` is a slashed date that could be read either way (None if
    there is none); ``day_first``/``month_first`` are examples proving each
    order (a number above 12 in the first or second place).
    """

    n_slashed: int
    example: str | None
    day_first: str | None
    month_first: str | None

    @property
    def decided(self) -> str | None:
        """The order the data prove, or None when undecided or contradictory."""
        if self.day_first and not self.month_first:
            return "day-first"
        if self.month_first and not self.day_first:
            return "month-first"
        return None


def _as_text(s: pd.Series) -> pd.Series:
    """Distinct non-blank values as stripped text (date cells as ISO text)."""
    u = pd.Series(pd.unique(s.dropna()), dtype=object)
    is_dt = u.map(lambda v: isinstance(v, dt.datetime | np.datetime64)) if len(u) else u
    if len(u) and bool(is_dt.any()):
        u = u.where(
            ~is_dt.astype(bool),
            pd.to_datetime(u[is_dt.astype(bool)]).dt.strftime("%Y-%m-%dT%H:%M:%S"),
        )
    t = u.astype(str).str.strip()
    return t[t != ""].drop_duplicates()


def order_evidence(columns: list[pd.Series]) -> OrderEvidence:
    """Look at the slashed dates of some columns for their day/month order."""
    ex = day = mon = None
    n = 0
    for s in columns:
        if s.dtype.kind in "Mmif":
            continue
        t = _as_text(s)
        g = t.str.extract(SLASHED).dropna()
        if g.empty:
            continue
        n += len(g)
        a = g["a"].astype(int)
        b = g["b"].astype(int)
        if day is None and (a > 12).any():
            day = t[g.index[(a > 12).to_numpy()][0]]
        if mon is None and (b > 12).any():
            mon = t[g.index[(b > 12).to_numpy()][0]]
        amb = (a <= 12) & (b <= 12) & (a != b)
        if ex is None and amb.any():
            ex = t[g.index[amb.to_numpy()][0]]
    return OrderEvidence(n, ex, day, mon)


def _build(y: pd.Series, m: pd.Series, d: pd.Series) -> pd.Series:
    frame = pd.DataFrame(
        {"year": pd.to_numeric(y), "month": pd.to_numeric(m), "day": pd.to_numeric(d)}
    )
    return pd.to_datetime(frame, errors="coerce")


def parse_dates(
    s: pd.Series, *, order: str | None = None, fmt: str | None = None
) -> tuple[pd.Series, np.ndarray]:
    """Parse a column of dates.

    Parameters
    ----------
    s : Series
        Text, numbers (Excel serials) or date cells; blanks are missing.
    order : {"day-first", "month-first"} or None
        How to read slashed dates; None leaves them unparsed (reported as bad)
        unless the caller resolved the order beforehand. Dotted dates are
        day-first whatever the order.
    fmt : str or None
        Explicit ``strftime`` format for text; tried before the built-in
        spellings, which then read the text cells it does not match.

    Returns
    -------
    dates : Series of datetime64[ns]
        Midnight of each date (times of day are dropped); NaT where blank or bad.
    bad : ndarray of bool
        True where a non-blank value could not be read as a date.
    """
    if s.dtype.kind == "M":
        return s.dt.normalize(), np.zeros(len(s), dtype=bool)
    if s.dtype.kind in "if":
        num = s.astype(float)
        ok = num.between(*SERIAL_RANGE)
        days = np.floor(num.where(ok).to_numpy())
        out = pd.Series(
            (_EXCEL_EPOCH + pd.to_timedelta(days, unit="D").to_numpy()).astype("datetime64[ns]"),
            index=s.index,
        ).where(ok)
        return out, (num.notna() & ~ok).to_numpy()

    codes, uniques = pd.factorize(s.astype(object), use_na_sentinel=True)
    u = pd.Series(uniques, dtype=object)
    is_dt = u.map(lambda v: isinstance(v, dt.datetime | np.datetime64)).astype(bool)
    text = u.astype(str).str.strip()
    blank_u = text.str.lower().isin(MISSING_MARKERS).to_numpy() & ~is_dt.to_numpy()
    parsed = pd.Series(pd.NaT, index=u.index, dtype="datetime64[ns]")
    if is_dt.any():
        parsed[is_dt] = pd.to_datetime(u[is_dt]).dt.normalize()
    todo = ~is_dt & ~blank_u

    if fmt:
        tried = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        parsed[todo] = tried.dt.normalize()
        todo = todo & parsed.isna()

    for pattern in (_ISO, _DOTTED):  # dotted dates are day-first, whatever ``order`` says
        g = text[todo].str.extract(pattern).dropna()
        if len(g):
            parsed[g.index] = _build(g["y"], g["m"], g["d"])
        todo = todo & parsed.isna()

    if order is not None:
        g = text[todo].str.extract(SLASHED).dropna()
        if len(g):
            day, mon = (g["a"], g["b"]) if order == "day-first" else (g["b"], g["a"])
            parsed[g.index] = _build(g["y"], mon, day)
        todo = todo & parsed.isna()

    for pattern in (_DAY_MON, _MON_DAY):
        g = text[todo].str.extract(pattern, flags=re.IGNORECASE).dropna()
        if len(g):
            month = g["mon"].str.lower().map(_MONTHS)
            ok = month.notna()
            parsed[g.index[ok]] = _build(g["y"][ok], month[ok], g["d"][ok])
        todo = todo & parsed.isna()

    num = pd.to_numeric(text[todo].where(text[todo].str.fullmatch(_NUMBER)), errors="coerce")
    num = num.dropna()
    if len(num):
        ok = num.between(*SERIAL_RANGE)
        serial = num[ok]
        parsed[serial.index] = (
            _EXCEL_EPOCH + np.floor(serial.to_numpy()).astype("timedelta64[D]")
        ).astype("datetime64[ns]")

    bad_u = parsed.isna().to_numpy() & ~blank_u
    values = np.full(len(s), np.datetime64("NaT"), dtype="datetime64[ns]")
    has = codes >= 0
    values[has] = parsed.to_numpy()[codes[has]]
    bad = np.zeros(len(s), dtype=bool)
    bad[has] = bad_u[codes[has]]
    return pd.Series(values, index=s.index), bad


def format_order(fmt: str | None) -> str | None:
    """The order of slashed dates a ``strftime`` format implies, if it says one.

    ``%d/%m/%Y`` (or ``%d-%m-%y``) is day-first, ``%m/%d/%Y`` month-first;
    other formats (``%d %B %Y``, ``%d.%m.%Y``) say nothing about slashed dates.
    """
    m = _SLASHED_FORMAT.search(fmt or "")
    if m is None or m["first"] == m["second"]:
        return None
    return "day-first" if m["first"] == "d" else "month-first"


def resolve_order(
    columns: list[tuple[str, pd.Series]],
    fm: FileMapping,
    problems: ProblemCollector,
    file: str,
    fallback: str | None = None,
) -> tuple[str | None, bool]:
    """Day/month order for a file's slashed dates. Returns (order, ambiguous).

    The mapping's ``[dates] order`` wins, then the order a slashed ``[dates]
    format`` implies, then the data, then ``fallback`` (the follow-up file's
    order, for an events file).
    """
    if fm.date_order:
        return fm.date_order, False
    implied = format_order(fm.date_format)
    if implied:
        return implied, False
    ev = order_evidence([s for _, s in columns])
    if ev.n_slashed == 0:
        return None, False
    if ev.day_first and ev.month_first:
        problems.add(
            "error",
            "inconsistent_dates",
            file,
            f"dates are written both day-first ({ev.day_first!r}) and month-first "
            f"({ev.month_first!r}); make them consistent, or give an explicit "
            'format in a mapping file: [dates] format = "%d/%m/%Y"',
            value=ev.day_first,
        )
        return None, True
    if ev.decided:
        return ev.decided, False
    if fallback:
        return fallback, False
    problems.add(
        "error",
        "ambiguous_dates",
        file,
        f"dates such as {ev.example!r} could be day-first or month-first; say which "
        'in a mapping file ([dates] order = "day-first" or "month-first") and pass it '
        "with --mapping",
        value=ev.example,
    )
    return None, True
