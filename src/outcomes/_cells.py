"""Vectorised cleaning of spreadsheet cells: blanks, text, numbers.

Each function works on the distinct values of a column and maps the result
back with integer codes, so cost grows with the number of distinct values,
not rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = [
    "JOINT_WORDS",
    "MISSING_MARKERS",
    "SIDE_ALIASES",
    "TECHNIQUE_ALIASES",
    "TECHNIQUE_WORDS",
    "clean_text",
    "parse_numbers",
    "words_to_known",
]

#: Cell texts read as "no value" (compared lower-case, trimmed). "dna" is the
#: UK clinic shorthand for "did not attend".
MISSING_MARKERS = frozenset(
    {
        "",
        "na",
        "n/a",
        "nan",
        "null",
        "none",
        "-",
        "--",
        ".",
        "missing",
        "missed",
        "dna",
        "not done",
        "nd",
        "#n/a",
    }
)


#: Spellings of side and technique read as the canonical values.
SIDE_ALIASES = {
    "l": "left",
    "lt": "left",
    "left": "left",
    "r": "right",
    "rt": "right",
    "right": "right",
}
#: Words that name a joint or technique inside a longer cell ("Rt knee", "Cooled RF
#: (Coolief)", "Shoulder (SSN)"); for techniques the first family found in this order
#: wins, since "cooled RF" also holds "RF".
JOINT_WORDS = {
    **{w: "knee" for w in ("knee", "knees", "genicular", "gn")},
    **{w: "hip" for w in ("hip", "hips")},
    **{w: "shoulder" for w in ("shoulder", "shoulders", "ssn", "suprascapular")},
    **{w: "sacroiliac" for w in ("sacroiliac", "iliac", "si", "sij")},
    "ankle": "ankle",
    "elbow": "elbow",
    "wrist": "wrist",
}
TECHNIQUE_WORDS = {
    **{w: "cooled_rfa" for w in ("cooled", "coolief")},
    **{w: "pulsed_rf" for w in ("pulsed", "prf", "prfa")},
    **{w: "chemical" for w in ("phenol", "alcohol", "chemical", "neurolysis", "glycerol")},
    **{
        w: "conventional_rfa"
        for w in (
            "conventional",
            "thermal",
            "continuous",
            "standard",
            "rf",
            "rfa",
            "crf",
            "crfa",
            "radiofrequency",
            "rfd",
        )
    },
}
TECHNIQUE_ALIASES = {
    "rfa": "conventional_rfa",
    "conventional": "conventional_rfa",
    "crfa": "conventional_rfa",
    "thermal_rfa": "conventional_rfa",
    "cooled": "cooled_rfa",
    "crf": "conventional_rfa",  # "CRF vs PRF" in the literature
    "coolief": "cooled_rfa",
    "pulsed": "pulsed_rf",
    "prf": "pulsed_rf",
    "pulsed_rfa": "pulsed_rf",
    "phenol": "chemical",
    "alcohol": "chemical",
    "chemical_neurolysis": "chemical",
}


def _distinct(s: pd.Series) -> tuple[np.ndarray, pd.Series]:
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    return codes, pd.Series(np.asarray(uniques, dtype=object), dtype=object)


def _text_of(u: pd.Series) -> pd.Series:
    """Text of distinct cell values; whole-number floats (Excel) lose their ``.0``."""
    if len(u) and pd.api.types.infer_dtype(u, skipna=True) != "string":
        u = u.map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else v)
    return u.astype(str).str.strip()


def clean_text(
    s: pd.Series,
    *,
    lower: bool = False,
    aliases: Mapping[str, str] | None = None,
    only_aliases: bool = False,
) -> pd.Series:
    """Cells as trimmed text (object dtype), None where blank or a missing marker.

    ``lower`` also lower-cases and turns spaces and hyphens into ``_``;
    ``aliases`` then renames values (``only_aliases``: others become None).
    """
    codes, u = _distinct(s)
    t = _text_of(u)
    t = t.where(~t.str.lower().isin(MISSING_MARKERS), None)
    if lower:
        t = t.str.lower().str.replace(r"[\s\-]+", "_", regex=True)
    if aliases is not None:
        mapped = t.map(aliases)
        t = mapped if only_aliases else mapped.fillna(t)
    vals = t.to_numpy(dtype=object)
    out = np.full(len(s), None, dtype=object)
    has = codes >= 0
    out[has] = vals[codes[has]]
    return pd.Series(out, index=s.index, dtype=object)


def parse_numbers(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse cleaned text (see :func:`clean_text`) as floats.

    Returns the numbers (NaN where blank or bad) and a mask of non-blank cells
    that are not numbers.
    """
    if text.dtype.kind in "if":
        return text.astype(float), np.zeros(len(text), dtype=bool)
    codes, u = _distinct(text)
    num = pd.to_numeric(u, errors="coerce").astype(float).to_numpy()
    vals = np.full(len(text), np.nan)
    has = codes >= 0
    vals[has] = num[codes[has]]
    bad = has & np.isnan(vals)
    return pd.Series(vals, index=text.index), bad


def words_to_known(
    values: pd.Series, known: tuple[str, ...], words: Mapping[str, str], *, first_wins: bool
) -> pd.Series:
    """Values (already lower-cased, ``_`` for spaces) not in ``known`` read by the words
    they hold: "rt_knee" -> "knee". A value naming two different ones is left as it is
    (for techniques, ``first_wins``: the family listed first in ``words`` is taken).
    One pass over the distinct values."""
    order = {v: i for i, v in enumerate(dict.fromkeys(words.values()))}
    out: dict[str, str] = {}
    for v in pd.unique(values.dropna()):
        if v in known:
            continue
        found = {words[t] for t in re.split(r"[^a-z0-9]+", str(v)) if t in words}
        if len(found) == 1 or (found and first_wins):
            out[v] = min(found, key=order.__getitem__)
    read = values.map(out)  # a dict: looked up, not called per row
    return read.where(read.notna(), values)
