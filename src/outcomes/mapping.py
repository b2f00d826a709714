"""Mapping files: how a clinic's own spreadsheet maps onto the data contract.

A mapping file is TOML. Every part is optional::

    default_instrument = "nrs"        # when the file has no instrument column
    ignore_columns = ["notes"]        # columns to drop on load
    assessment_columns = ["clinician"]  # extra columns that vary by visit
    covariates = ["occupation"]       # extra columns to use even if they look like free text
    header_row = 4                    # the header's row number (default: found); or [3, 4]
                                      # for a group row over the names

    [columns]                         # your column name = canonical name
    "Hosp No" = "patient_id"
    "Date of RFA" = "procedure_date"
    "Pain score" = "score"

    [dates]
    order = "day-first"               # or "month-first", for 03/04/2024 style dates
    # format = "%d/%m/%y"             # or an explicit strftime format, tried first

    [excel]
    sheet = "Follow-up"               # default: the sheet that holds the data

    [events.columns]                  # renames for the events file
    "Hosp No" = "patient_id"

    [events.synonyms]                 # your word in the event column = canonical event
    "Revision" = "surgery"
    "Lost" = "withdrawal"

    [values.technique]                # your word in the technique column = a known one
    "Coolief v2" = "cooled_rfa"
    [values.joint]                    # your word in the joint column = a known one
    "Genicular" = "knee"

    [instruments.bpi]                 # register an instrument
    minimum = 0
    maximum = 10
    higher_is_better = false
    label = "Brief Pain Inventory, average pain"

Column names on both sides are matched case-insensitively, ignoring
surrounding spaces; inner spaces and hyphens count as underscores.

Event words are matched the same way. ``[events.synonyms]`` adds to (or
overrides) the built-in synonyms, ``outcomes.events.EVENT_SYNONYMS``: "TKR",
"THR", "TKA", "knee replacement", "arthroplasty" ... -> ``surgery``; "died",
"deceased", "RIP" -> ``death``; "repeat RFA", "redo RFA", "re-do",
"repeat ablation" -> ``repeat_procedure``. Each value must be one of
:data:`EVENT_TYPES`; a canonical event cannot be redefined. An event typed as
a synonym keeps the clinic's word as its ``detail`` when that cell is blank.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from outcomes.errors import MappingError, MissingFileError
from outcomes.instruments import DEFAULT_INSTRUMENTS, Instrument

__all__ = [
    "DATE_ORDERS",
    "EVENT_TYPES",
    "JOINTS",
    "TECHNIQUES",
    "FileMapping",
    "load_mapping",
    "normalise_name",
]

DATE_ORDERS = ("day-first", "month-first")
#: Event kinds an events file may hold (the mapping file's synonyms must name one).
EVENT_TYPES = ("repeat_procedure", "surgery", "death", "withdrawal", "complication")
#: The data contract's column names (docs/data-format.md).
CANONICAL_COLUMNS = (
    "patient_id",
    "procedure_id",
    "procedure_date",
    "joint",
    "side",
    "technique",
    "assessment_date",
    "days_after",
    "score",
    "instrument",
    "visit",
)
#: Joints and techniques a file may name (after the built-in and the mapping's aliases):
#: anything else could be free text, which no output may carry.
JOINTS = ("knee", "hip", "shoulder", "ankle", "elbow", "wrist", "sacroiliac", "other")
TECHNIQUES = ("conventional_rfa", "cooled_rfa", "pulsed_rf", "chemical", "other")

_TOP_KEYS = {
    "default_instrument",
    "ignore_columns",
    "assessment_columns",
    "covariates",
    "header_row",
    "columns",
    "dates",
    "excel",
    "events",
    "instruments",
    "values",
}


def normalise_name(name: object) -> str:
    """Canonical spelling of a column name: lower case, trimmed, ``_`` for spaces."""
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


@dataclass(frozen=True)
class FileMapping:
    """Settings that adapt a clinic's files to the data contract.

    Parameters
    ----------
    columns, event_columns : mapping of str to str
        Renames, from the clinic's column name (normalised) to the canonical one,
        for the follow-up file and the events file.
    event_synonyms : mapping of str to str
        Words of the events file's ``event`` column (normalised) read as a
        canonical event (one of :data:`EVENT_TYPES`), on top of the built-in
        ``outcomes.events.EVENT_SYNONYMS``.
    date_order : {"day-first", "month-first"} or None
        How to read slashed dates such as 03/04/2024. None: infer when the
        data decide it (a day above 12), else stop with an error.
    date_format : str or None
        An explicit ``strftime`` format for text dates; overrides ``date_order``.
    sheet : str or None
        Excel sheet name; None for the sheet that holds the data (see
        :mod:`outcomes.layout`).
    header_rows : tuple of int
        Row numbers of the header (the names row, or a group row and the
        names row); empty: found by :mod:`outcomes.layout`.
    default_instrument : str
        Instrument of scores when the file has no ``instrument`` column.
    ignore_columns, assessment_columns : tuple of str
        Columns to drop, and extra columns whose values may differ from visit
        to visit (all other extra columns are procedure-level covariates).
    covariates : tuple of str
        Extra columns declared as covariates: used even when their values
        look like free text (other extra columns must be numeric or short
        categories to be used).
    instruments : mapping of str to Instrument
        The instrument registry: the defaults plus any declared in the file.
    value_aliases : mapping of str to mapping of str to str
        ``[values.joint]`` and ``[values.technique]``: the clinic's words
        (normalised) read as one of :data:`JOINTS` or :data:`TECHNIQUES`.
    source : str or None
        File the mapping was read from.
    """

    columns: Mapping[str, str] = field(default_factory=dict)
    event_columns: Mapping[str, str] = field(default_factory=dict)
    event_synonyms: Mapping[str, str] = field(default_factory=dict)
    date_order: str | None = None
    date_format: str | None = None
    sheet: str | None = None
    header_rows: tuple[int, ...] = ()
    default_instrument: str = "nrs"
    ignore_columns: tuple[str, ...] = ()
    assessment_columns: tuple[str, ...] = ()
    covariates: tuple[str, ...] = ()
    instruments: Mapping[str, Instrument] = field(
        default_factory=lambda: MappingProxyType(dict(DEFAULT_INSTRUMENTS))
    )
    value_aliases: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    source: str | None = None

    def __post_init__(self) -> None:
        if self.date_order is not None and self.date_order not in DATE_ORDERS:
            raise MappingError(
                f"{self.source or 'mapping'}: dates.order is {self.date_order!r}; "
                f'use "day-first" or "month-first"'
            )
        if self.default_instrument not in self.instruments:
            raise MappingError(
                f"{self.source or 'mapping'}: default_instrument "
                f"{self.default_instrument!r} is not a known instrument "
                f"({', '.join(sorted(self.instruments))})"
            )


def load_mapping(path: str | Path) -> FileMapping:
    """Read a TOML mapping file.

    Raises
    ------
    MappingError
        The file is missing, is not valid TOML, or has unknown keys or values.
    """
    p = Path(path)
    name = p.name
    try:
        with p.open("rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        raise MissingFileError(f"{path}: mapping file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{name}: not valid TOML: {exc}") from None

    unknown = set(doc) - _TOP_KEYS
    if unknown:
        raise MappingError(
            f"{name}: unknown key(s) {', '.join(sorted(map(repr, unknown)))}; "
            f"known: {', '.join(sorted(_TOP_KEYS))}"
        )

    def table(key: str, parent: dict[str, Any] = doc, where: str = "") -> dict[str, Any]:
        v = parent.get(key, {})
        if not isinstance(v, dict):
            raise MappingError(f"{name}: [{where}{key}] must be a table")
        return v

    def renames(tab: dict[str, Any], where: str) -> dict[str, str]:
        out = {}
        for k, v in tab.items():
            if not isinstance(v, str):
                raise MappingError(f"{name}: [{where}] {k!r} must map to a column name (text)")
            out[normalise_name(k)] = normalise_name(v)
        return out

    columns = renames(table("columns"), "columns")
    for k, v in columns.items():  # a near miss of a canonical name is a typo, not a covariate
        near = difflib.get_close_matches(v, CANONICAL_COLUMNS, n=1, cutoff=0.8)
        if v not in CANONICAL_COLUMNS and near and not v.startswith(("score_", "date_")):
            raise MappingError(
                f"{name}: [columns] {k!r} = {v!r} is not a column outcomes knows; "
                f"did you mean {near[0]!r}?"
            )
    events = table("events")
    unknown_ev = set(events) - {"columns", "synonyms"}
    if unknown_ev:
        raise MappingError(
            f"{name}: unknown key(s) in [events]: {sorted(unknown_ev)}; use columns or synonyms"
        )
    event_columns = renames(table("columns", events, "events."), "events.columns")
    event_synonyms: dict[str, str] = {}
    for k, v in table("synonyms", events, "events.").items():
        event = normalise_name(v) if isinstance(v, str) else ""
        if event not in EVENT_TYPES:
            raise MappingError(
                f"{name}: [events.synonyms] {k!r} = {v!r} is not an event; "
                f"use one of {', '.join(EVENT_TYPES)}"
            )
        if normalise_name(k) in EVENT_TYPES and normalise_name(k) != event:
            raise MappingError(
                f"{name}: [events.synonyms] {k!r} is itself an event and cannot mean {event!r}"
            )
        event_synonyms[normalise_name(k)] = event

    dates = table("dates")
    unknown_d = set(dates) - {"order", "format"}
    if unknown_d:
        raise MappingError(
            f"{name}: unknown key(s) in [dates]: {sorted(unknown_d)}; use order or format"
        )
    excel = table("excel")
    if set(excel) - {"sheet"}:
        raise MappingError(f"{name}: unknown key(s) in [excel]: {sorted(set(excel) - {'sheet'})}")

    instruments = dict(DEFAULT_INSTRUMENTS)
    for key, spec in table("instruments").items():
        if not isinstance(spec, dict):
            raise MappingError(f"{name}: [instruments.{key}] must be a table")
        allowed = {"minimum", "maximum", "higher_is_better", "label"}
        if set(spec) - allowed or not {"minimum", "maximum"} <= set(spec):
            raise MappingError(
                f"{name}: [instruments.{key}] needs minimum and maximum "
                f"(optional: higher_is_better, label); got {sorted(spec)}"
            )
        try:
            inst = Instrument(
                normalise_name(key),
                float(spec["minimum"]),
                float(spec["maximum"]),
                bool(spec.get("higher_is_better", False)),
                str(spec.get("label", key)),
            )
        except (TypeError, ValueError) as exc:
            raise MappingError(f"{name}: [instruments.{key}]: {exc}") from None
        instruments[inst.name] = inst

    values = table("values")
    if set(values) - {"joint", "technique"}:
        raise MappingError(
            f"{name}: unknown key(s) in [values]: {sorted(set(values) - {'joint', 'technique'})}; "
            "use joint or technique"
        )
    value_aliases: dict[str, dict[str, str]] = {}
    for column, known in (("joint", JOINTS), ("technique", TECHNIQUES)):
        for k, v in table(column, values, "values.").items():
            target = normalise_name(v) if isinstance(v, str) else ""
            if target not in known:
                raise MappingError(
                    f"{name}: [values.{column}] {k!r} = {v!r} is not a {column} outcomes knows; "
                    f"use one of {', '.join(known)}"
                )
            value_aliases.setdefault(column, {})[normalise_name(k)] = target

    def names(key: str) -> tuple[str, ...]:
        v = doc.get(key, [])
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise MappingError(f"{name}: {key} must be a list of column names")
        return tuple(normalise_name(x) for x in v)

    header = doc.get("header_row", [])
    header_rows = [header] if isinstance(header, int) and not isinstance(header, bool) else header
    if not (
        isinstance(header_rows, list)
        and len(header_rows) <= 2
        and all(isinstance(r, int) and not isinstance(r, bool) and r >= 1 for r in header_rows)
        and header_rows == sorted(set(header_rows))
    ):
        raise MappingError(
            f"{name}: header_row must be a row number (e.g. 4), or two for a group row over "
            f"the names (e.g. [3, 4]); got {header!r}"
        )

    return FileMapping(
        columns=columns,
        event_columns=event_columns,
        event_synonyms=event_synonyms,
        date_order=dates.get("order"),
        date_format=dates.get("format"),
        sheet=excel.get("sheet"),
        header_rows=tuple(header_rows),
        default_instrument=normalise_name(doc.get("default_instrument", "nrs")),
        ignore_columns=names("ignore_columns"),
        assessment_columns=names("assessment_columns"),
        covariates=names("covariates"),
        instruments=MappingProxyType(instruments),
        value_aliases=value_aliases,
        source=name,
    )
