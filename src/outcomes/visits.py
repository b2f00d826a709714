"""Visit labels as clinics write them, and the day each one stands for.

A visit label names a follow-up visit: in a long sheet's ``visit`` column, or
in a wide sheet's column names. Understood, in any letter case:

* baseline: "Pre-op", "Pre-procedure", "Pre-RFA", "Baseline", "BL", "Initial";
* UK notation: "6/52" (weeks: 6 weeks), "3/12" (months: 3 months), "10/7" (days);
* a number and a unit: "2 wk", "6 weeks", "3 mo", "3m", "12 months", "1 yr", "14d";
  or a unit and a number: "week 6", "month 3", "year 1"; optionally followed
  by "post", "after", "f/u" or "follow-up".

The canonical label is ``baseline``, ``<n>d``, ``<n>w`` or ``<n>m`` (years are
12 months), the spelling of the wide layout's ``<instrument>_<visit>``
columns, and its nominal day is :func:`outcomes.io.visit_days` of it (months
by the whole-day rule: 3/12 is day 91, 12/12 day 365, 24/12 day 730).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["canonical_visit", "canonical_visits"]

_BASELINE = re.compile(
    r"^(pre[\s\-_.]*(op|operative|procedure|procedural|rfa|treatment|tx|injection)?|baseline"
    r"|base|bl|initial|before|screening|visit\s*0|day\s*0|0)$"
)
_UNIT = (
    r"(?P<unit>d|dy|day|days|w|wk|wks|week|weeks|m|mo|mos|mth|mths|mnth|mnths|month|months"
    r"|y|yr|yrs|year|years)"
)
_AFTER = r"(?:\s+(?:post|after|f/?u|follow[\s\-]?up|post[\s\-]?op|post[\s\-]?procedure))?"
_UK = re.compile(r"^(?P<n>\d+(?:\.\d+)?)\s*/\s*(?P<per>52|12|7)" + _AFTER + "$")
_NUMBER_UNIT = re.compile(r"^(?P<n>\d+(?:\.\d+)?)\s*" + _UNIT + r"\.?" + _AFTER + "$")
_UNIT_NUMBER = re.compile(r"^" + _UNIT + r"\.?\s*(?P<n>\d+(?:\.\d+)?)" + _AFTER + "$")
_KIND = {"d": "d", "w": "w", "m": "m", "y": "y"}


def canonical_visit(label: object) -> str | None:
    """The canonical spelling of a visit label ("6/52" -> "6w"), or None if it is not one.

    Parameters
    ----------
    label : object
        A cell or a column name.

    Returns
    -------
    str or None
        ``"baseline"``, ``"<n>d"``, ``"<n>w"`` or ``"<n>m"``.
    """
    text = " ".join(str(label).strip().lower().split())
    if not text or text == "nan":
        return None
    if _BASELINE.match(text):
        return "baseline"
    m = _UK.match(text)
    if m:
        n = float(m["n"])
        unit = {"52": "w", "12": "m", "7": "d"}[m["per"]]
        return None if n == 0 else f"{n:g}{unit}"
    m = _NUMBER_UNIT.match(text) or _UNIT_NUMBER.match(text)
    if m:
        n = float(m["n"])
        unit = _KIND[m["unit"][0]]
        if unit == "y":
            n, unit = 12 * n, "m"
        return "baseline" if n == 0 else f"{n:g}{unit}"
    return None


def canonical_visits(labels: pd.Series) -> pd.Series:
    """:func:`canonical_visit` of every cell, computed once per distinct label."""
    codes, uniques = pd.factorize(labels)
    canon = np.array([canonical_visit(u) for u in uniques], dtype=object)  # distinct labels
    out = np.full(len(labels), None, dtype=object)
    has = codes >= 0
    out[has] = canon[codes[has]]
    return pd.Series(out, index=labels.index, dtype=object)
