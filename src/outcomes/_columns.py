"""What a column's name and cells say it is, for ``outcomes init``.

The vocabulary :mod:`outcomes.assistant` proposes a mapping from: instrument
names and the visit labels around them in a score column's name
(:func:`score_name`: "6/52 NRS" is NRS at 6 weeks), the words of procedure
and assessment dates, derived figures and events, and the values that make a
column the joint (knee, hip, shoulder), the side (L, R) or the technique
(cooled, pulsed, phenol). :func:`guess` reads one column on its own; the
assistant then weighs the columns against each other. Person details and
record numbers are :mod:`outcomes._identifiers`' vocabulary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from outcomes._cells import SIDE_ALIASES, TECHNIQUE_ALIASES, clean_text, parse_numbers
from outcomes._dates import parse_dates
from outcomes._identifiers import (
    IDENTIFIER_PATTERN,
    IDENTIFIER_TOKENS,
    RECORD_KINDS,
    person_detail,
    record_number_rank,
    words_of,
)
from outcomes.events import EVENT_SYNONYMS
from outcomes.instruments import DEFAULT_INSTRUMENTS, Instrument
from outcomes.mapping import EVENT_TYPES, normalise_name
from outcomes.schema import COVARIATE_WORDS, FREE_TEXT_NAMES
from outcomes.visits import canonical_visit

__all__ = [
    "INSTRUMENTS",
    "MORE_INSTRUMENTS",
    "SHARE",
    "UK_NOTATION",
    "Column",
    "Guess",
    "guess",
    "profile",
    "score_name",
    "visit_words",
]

#: Share of a column's distinct values that must fit a vocabulary for its values to decide.
SHARE = 0.8

#: Words and phrases of a column name naming an instrument.
_INSTRUMENT_WORDS = {
    "nrs": "nrs",
    "nprs": "nrs",
    "numeric rating scale": "nrs",
    "numerical rating scale": "nrs",
    "numeric pain rating scale": "nrs",
    "vas": "vas",
    "visual analogue scale": "vas",
    "visual analog scale": "vas",
    "womac": "womac",
    "oks": "oks",
    "oxford knee score": "oks",
    "oxford knee": "oks",
    "koos": "koos",
    "ohs": "ohs",
    "oxford hip score": "ohs",
    "oxford hip": "ohs",
    "oss": "oss",
    "oxford shoulder score": "oss",
    "oxford shoulder": "oss",
    "hoos": "hoos",
    "spadi": "spadi",
}
#: Published scales outcomes does not ship, declared in [instruments.<name>] when used.
MORE_INSTRUMENTS = {
    i.name: i
    for i in (
        Instrument("ohs", 0, 48, True, "Oxford Hip Score (0-48)"),
        Instrument("oss", 0, 48, True, "Oxford Shoulder Score (0-48)"),
        Instrument("hoos", 0, 100, True, "HOOS (0-100)"),
        Instrument("spadi", 0, 100, False, "SPADI total (0-100)"),
    )
}
INSTRUMENTS = {**DEFAULT_INSTRUMENTS, **MORE_INSTRUMENTS}
_INSTRUMENT_RE = re.compile(
    r"(?<![a-z])("
    + "|".join(re.escape(w) for w in sorted(_INSTRUMENT_WORDS, key=len, reverse=True))
    + r")(?![a-z])"
)
#: Words around a visit label in a score column's name that say nothing more.
_FILLER = re.compile(
    r"(?<![a-z])(pain|score|scores|rating|scale|at|the|of|visit|review|clinic|appointment"
    r"|appt|assessment|seen|value|result|total|mm|date|dt)(?![a-z])"
)
_RANGE = re.compile(r"(?<![\d/])0\s*[-–]\s*(?:10|100)(?![\d/])")
_POST_OP = re.compile(r"^post[\s\-]?(?:op|operative|procedure|rfa)\s+")

_DERIVED = frozenset(
    (
        "improvement improved change changed reduction reduced responder responders response "
        "difference diff delta mcid relief percent percentage pct"
    ).split()
)
_EVENT_WORDS = {
    **EVENT_SYNONYMS,
    **{e: e for e in EVENT_TYPES},
    "repeat": "repeat_procedure",
    "repeated": "repeat_procedure",
    "revision": "surgery",
    "replacement": "surgery",
    "complications": "complication",
    "withdrew_consent": "withdrawal",
    "lost_to_follow_up": "withdrawal",
}
_PROCEDURE_WORDS = frozenset(
    (
        "rfa rf procedure proc op operation treatment tx ablation denervation intervention "
        "injection lesion lesioning radiofrequency neurotomy coolief"
    ).split()
)
_SEEN_WORDS = frozenset(
    (
        "seen assessment assessed review reviewed visit clinic follow followup fu appointment "
        "appt contact questionnaire completed scored attended"
    ).split()
)
_JOINTS = frozenset(
    {"knee", "hip", "shoulder", "ankle", "elbow", "wrist", "sacroiliac", "si", "sij", "si_joint"}
)
_SIDES = frozenset({*SIDE_ALIASES, "bilateral", "bilat", "both"})
_TECHNIQUES = frozenset({*TECHNIQUE_ALIASES, *TECHNIQUE_ALIASES.values()})
_PERSON_NAME = re.compile(
    r"^((dr|mr|mrs|ms|miss|prof)\.?\s+)?[A-Z][a-z'\-]+(,?\s+[A-Z][a-z'\-]+\.?){1,3}$"
)
#: At most this many distinct values, this long, for a column placed by its name alone.
_FEW, _SHORT = 12, 30
UK_NOTATION = re.compile(r"(?<!\d)\d+(?:\.\d+)?\s*/\s*(?:52|12)(?!\d)")
_VISIT_WORDS = {"d": "day", "w": "week", "m": "month"}


@dataclass(frozen=True)
class Column:
    """What a column's cells look like: distinct texts, share of numbers and of dates."""

    name: str
    texts: tuple[str, ...]  # distinct non-blank values, trimmed, in order of appearance
    n: int  # non-blank cells
    numbers: float  # share of non-blank cells that are numbers
    dates: float  # share of non-blank cells that are dates (not plain numbers)
    low: float
    high: float
    integers: bool

    @property
    def lower(self) -> list[str]:
        return [normalise_name(t) for t in self.texts]

    def share_in(self, vocabulary: frozenset[str]) -> float:
        values = self.lower
        return sum(v in vocabulary for v in values) / len(values) if values else 0.0

    def shown(self, k: int = 5) -> str:
        values = sorted(set(self.texts), key=str.lower)
        more = f", ... ({len(values)} values)" if len(values) > k else ""
        return ", ".join(values[:k]) + more


def profile(name: str, s: pd.Series) -> Column:
    """A column's cells in brief: distinct values, and what share are numbers or dates.

    Only distinct values are parsed. A date is a date in either day/month
    order; a plain number (a hospital number, an Excel serial) is not a date.
    """
    text = clean_text(s)
    filled = text.notna()
    n = int(filled.sum())
    texts = tuple(str(t) for t in pd.unique(text[filled]))
    if not n:
        return Column(name, (), 0, 0.0, 0.0, np.nan, np.nan, False)
    num, _ = parse_numbers(text)
    is_num = num.notna() & filled
    raw = s.where(filled)
    dates = np.zeros(len(s), dtype=bool)
    for order in ("day-first", "month-first"):  # a date is a date in either order
        parsed, _ = parse_dates(raw.astype(object), order=order)
        dates |= parsed.notna().to_numpy()
    dates &= ~is_num.to_numpy() | s.map(lambda v: hasattr(v, "year")).to_numpy()
    values = num[is_num]
    return Column(
        name,
        texts,
        n,
        float(is_num.sum()) / n,
        float(dates.sum()) / n,
        float(values.min()) if len(values) else np.nan,
        float(values.max()) if len(values) else np.nan,
        bool(len(values)) and bool((values == np.floor(values)).all()),
    )


def score_name(name: str) -> tuple[str | None, str | None, bool]:
    """Read a column name as (instrument, visit, is a date): "6/52 NRS" -> ("nrs", "6w", False).

    The instrument is a word or phrase naming one ("NRS", "Oxford knee score");
    the visit is what is left once the instrument, a range such as "0-10",
    brackets and filler words ("pain", "score", "date", "seen", ...) are taken
    out, read by :func:`outcomes.visits.canonical_visit` ("Pre-op",
    "6/52", "3 mo", "1 yr", "Week 6"). None where there is none.
    """
    text = f" {str(name).lower()} "
    m = _INSTRUMENT_RE.search(text)
    instrument = _INSTRUMENT_WORDS[m[1]] if m else None
    if m:
        text = text[: m.start()] + " " + text[m.end() :]
    is_date = bool(re.search(r"(?<![a-z])(date|dt)(?![a-z])", text))
    text = _RANGE.sub(" ", text)
    text = re.sub(r"[()\[\]:,;_|]", " ", text)
    text = re.sub(r"(?<!\S)[-–—@.]+(?!\S)", " ", text)  # a lone dash between words
    text = _FILLER.sub(" ", text)
    text = " ".join(text.split())
    visit = canonical_visit(text) if text else None
    if visit is None and _POST_OP.match(text):
        visit = canonical_visit(_POST_OP.sub("", text))
    return instrument, visit, is_date


def visit_words(visit: str) -> str:
    """A canonical visit in words: "6w" -> "6 weeks", "12m" -> "12 months"."""
    if visit == "baseline":
        return "baseline"
    n, unit = visit[:-1], _VISIT_WORDS[visit[-1]]
    return f"{n} {unit}{'' if n == '1' else 's'}"


def _event_kind(words: str) -> str | None:
    padded = f"_{words}_"
    for word, event in sorted(_EVENT_WORDS.items(), key=lambda kv: -len(kv[0])):
        if f"_{word}_" in padded:
            return event
    return None


@dataclass
class Guess:
    """A column's first reading, before the columns are weighed against each other."""

    column: str
    role: str  # a canonical name, "score_wide", "date_wide", "score_long", or a kind of Left
    target: str = ""
    why: str = ""
    instrument: str | None = None
    visit: str | None = None
    rank: int = 9
    check: bool = False
    event: str | None = None


def guess(c: Column) -> Guess:
    """The role one column's name and values suggest, on its own.

    In order of precedence: empty; a person's details (by name; never a
    patient id); a record number (a patient id candidate, ranked); another
    direct identifier; a derived figure; an event; the contract's own names;
    a score or date column of one visit (wide); a procedure or assessment
    date; days after; a long sheet's score; a visit-label, side, joint,
    technique or instrument column (by values, or by name with few values);
    a procedure id; a covariate; free text; people's names by their values.
    """
    name, words = c.name, words_of(c.name)
    tokens = set(words.split("_"))
    norm = normalise_name(name)
    if not c.n:
        return Guess(name, "empty", why="empty: no values")
    detail = person_detail(name)
    if detail is not None:
        return Guess(name, "person", why=f"{detail}: never read, never a patient id")
    rank = record_number_rank(name)
    if rank is None and tokens <= {"patient", "pt"} and _code_like(c):
        rank = 0
    if rank is not None:
        if _names_like(c) or c.dates >= SHARE:
            return Guess(name, "person", why="values look like names or dates: never read")
        return Guess(name, "patient_id", "patient_id", RECORD_KINDS[rank], rank=rank)
    if bool(tokens & IDENTIFIER_TOKENS) or IDENTIFIER_PATTERN.search(norm):
        return Guess(name, "identifier", why="a direct identifier: never read")
    if "%" in name or tokens & _DERIVED:
        return Guess(name, "derived", why="derived from the scores: outcomes computes its own")
    event = _event_kind(words)
    if event is not None:
        return Guess(
            name, "event", why=f"an event ({event}): belongs in an events file", event=event
        )
    if norm in {"patient_id", "procedure_id", "procedure_date", "assessment_date", "days_after"}:
        return Guess(name, norm, norm, "already outcomes' own column name")
    if norm == "score" and c.numbers >= SHARE:
        return Guess(name, norm, norm, f"scores, {c.low:g}-{c.high:g}")
    if norm in {"joint", "side", "technique", "instrument", "visit", "score"}:
        return Guess(name, norm, norm, f"values: {c.shown()}")
    instrument, visit, is_date = score_name(name)
    if visit is not None and is_date and c.dates >= SHARE:
        return Guess(
            name, "date_wide", f"date_{visit}", f"date of the visit at {visit_words(visit)}"
        )
    if visit is not None and not is_date and c.numbers >= SHARE:
        if instrument is not None and instrument not in INSTRUMENTS:
            return Guess(name, "unplaced", why="a score of an instrument outcomes does not know")
        why = f"{instrument.upper()}, {visit_words(visit)}" if instrument else ""
        return Guess(name, "score_wide", "", why, instrument, visit)
    if c.dates >= SHARE:
        if tokens & _PROCEDURE_WORDS:
            return Guess(name, "procedure_date", "procedure_date", "the procedure's date")
        if tokens & _SEEN_WORDS:
            return Guess(name, "assessment_date", "assessment_date", "the assessment's date")
        if tokens <= {"date", "dt"}:
            return Guess(name, "plain_date", why="a date column")
        return Guess(name, "unplaced", why="dates, of what the name does not say")
    if tokens & {"day", "days"} and c.numbers >= SHARE and c.integers:
        return Guess(name, "days_after", "days_after", "whole days since the procedure")
    if instrument is not None and visit is None and c.numbers >= SHARE:
        return Guess(name, "score_long", "score", f"{instrument.upper()} scores", instrument)
    if tokens & {"score", "pain"} and visit is None and c.numbers >= SHARE:
        return Guess(name, "score_long", "score", f"scores, {c.low:g}-{c.high:g}")
    if c.numbers < SHARE and c.texts:
        if sum(canonical_visit(t) is not None for t in c.texts) / len(c.texts) >= SHARE:
            return Guess(name, "visit", "visit", f"visit labels: {c.shown()}")
        if _side_and_joint(c):
            return Guess(
                name,
                "unplaced",
                why=f"side and joint together ({c.texts[0]}): split it into a side column "
                "(L, R) and a joint column (knee, hip, ...) for outcomes to read both",
            )
        few = len(c.texts) <= _FEW and max(len(t) for t in c.texts) <= _SHORT
        for target, values, names in (
            ("side", _SIDES, {"side", "laterality", "l_r"}),
            ("joint", _JOINTS, {"joint", "site", "target"}),
            ("technique", _TECHNIQUES, {"technique", "method", "modality"}),
            ("instrument", frozenset(INSTRUMENTS), {"instrument", "scale"}),
        ):
            if c.share_in(values) >= SHARE or (few and (tokens | {words}) & names):
                return Guess(name, target, target, f"values: {c.shown()}")
    if tokens & {"procedure", "episode"} and tokens & {"id", "no", "number"}:
        return Guess(name, "procedure_id", "procedure_id", "identifies a procedure")
    if tokens & COVARIATE_WORDS:
        return Guess(name, "covariate", why="a covariate, read as it is")
    if tokens & FREE_TEXT_NAMES:
        return Guess(name, "free_text", why="free text: never reaches an analysis or a report")
    if _names_like(c):
        return Guess(name, "person", why="values look like people's names: never read")
    if name.startswith("column ") and name[7:].isalpha():
        return Guess(name, "unplaced", why="no name in the header")
    return Guess(name, "unplaced", why="not a column outcomes knows")


def _names_like(c: Column) -> bool:
    texts = [t for t in c.texts if not t.isdigit()]
    return len(texts) >= 2 and sum(bool(_PERSON_NAME.match(t)) for t in texts) >= SHARE * len(texts)


def _code_like(c: Column) -> bool:
    return bool(c.texts) and all(any(ch.isdigit() for ch in t) and " " not in t for t in c.texts)


def _side_and_joint(c: Column) -> bool:
    both = 0
    for value in c.lower:
        parts = set(re.split(r"[_/()\-,]+", value))
        both += bool(parts & set(SIDE_ALIASES)) and bool(parts & _JOINTS)
    return both >= SHARE * len(c.lower)
