"""Proposing a mapping file for a clinic's own spreadsheet (``outcomes init``).

A clinic names its columns its own way ("Hospital No", "Date of RFA",
"Pre-op NRS", "6/52 NRS"). :func:`propose_mapping` reads the file, names and
cells, and proposes what each column is; :meth:`Proposal.toml` writes it as
a commented TOML mapping (:mod:`outcomes.mapping`) for the clinic to check,
and :meth:`Proposal.lines` says what was placed, what rests on an
assumption, and what could not be placed. Nothing here is used when a file
is validated: without the mapping a file in the clinic's names is refused.

What is proposed:

- ``patient_id``: a record number, a study or patient id before a hospital
  number before a national number (:mod:`outcomes._identifiers`); never a
  person's name, date of birth, phone, e-mail or address, which are listed
  in ``ignore_columns`` (never read);
- ``procedure_date``, ``joint``, ``side``, ``technique``, by name and by
  values (knee/hip/shoulder is the joint, L/R the side, cooled/pulsed/phenol
  the technique);
- scores: wide, a column per instrument and visit ("6/52 NRS" ->
  ``nrs_6w``, "Pre-op NRS" -> ``nrs_baseline``, "Pain score (NRS 0-10) 3/12"
  -> ``nrs_3m``; a bare "12/12" takes the instrument of the other score
  columns); long, the score, instrument, assessment date and visit columns;
- the date order, when the dates prove it or the file is UK-style;
- ``ignore_columns`` for derived figures ("% improvement 6/52", "change",
  "responder": outcomes computes its own), events (a date of repeat RFA,
  TKR or death: they belong in an events file) and free-text notes.
"""

from __future__ import annotations

import json
import re
import shlex
import textwrap
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from outcomes._columns import (
    INSTRUMENTS,
    MORE_INSTRUMENTS,
    UK_NOTATION,
    Column,
    Guess,
    guess,
    profile,
    visit_words,
)
from outcomes._dates import order_evidence
from outcomes._identifiers import words_of
from outcomes.errors import OptionError
from outcomes.instruments import Instrument
from outcomes.io import ROW, SourceFile, read_table

__all__ = ["Left", "Placed", "Proposal", "propose_mapping", "write_mapping"]

_WIDTH = 99  # of a line of the TOML
_WIDE = re.compile(r"[a-z][a-z0-9]*_(?:baseline|\d+(?:\.\d+)?[dwm])")


@dataclass(frozen=True)
class Placed:
    """A column placed in ``[columns]``: the file's name, the canonical one, and why.

    ``check`` marks a placement that rests on an assumption the clinic should
    check (an instrument taken from the other columns, a date column by
    elimination).
    """

    column: str
    target: str
    why: str
    check: bool = False


@dataclass(frozen=True)
class Left:
    """A column not placed in ``[columns]``, with why; ``ignore`` lists it in ignore_columns."""

    column: str
    why: str
    ignore: bool


@dataclass(frozen=True)
class Proposal:
    """A mapping proposed for one file: what to write, and what to say about it.

    Attributes
    ----------
    source : SourceFile
        The file read, with where its table was found.
    form : {"wide", "long"}
        One row per procedure, or one row per assessment.
    placed : tuple of Placed
        Renames for ``[columns]``, in the file's column order.
    left : tuple of Left
        Columns not placed: ignored (never read) or not placed (read as they are).
    covariates : tuple of str
        Columns read as they are, as covariates (age, sex, BMI, ...).
    events : tuple of (str, str)
        Columns of events (file name, event kind): they belong in an events file.
    default_instrument : str or None
        For a long sheet whose score column names its instrument.
    instruments : tuple of Instrument
        Instruments to declare (published scales outcomes does not ship).
    date_order : {"day-first", "month-first"} or None
        How to read slashed dates; None when not needed or not known.
    date_why : str
        The evidence for the order, or why none is given ("" when not needed).
    checks : tuple of str
        Assumptions the clinic should check, one sentence each.
    missing : tuple of str
        Canonical columns not found (``patient_id``, ``joint``, ...).
    """

    source: SourceFile
    form: str
    placed: tuple[Placed, ...]
    left: tuple[Left, ...]
    covariates: tuple[str, ...]
    events: tuple[tuple[str, str], ...]
    default_instrument: str | None
    instruments: tuple[Instrument, ...]
    date_order: str | None
    date_why: str
    checks: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def unplaced(self) -> tuple[Left, ...]:
        """Columns neither placed nor ignored: read as they are."""
        return tuple(x for x in self.left if not x.ignore)

    @property
    def ignored(self) -> tuple[Left, ...]:
        """Columns for ``ignore_columns``: never read."""
        return tuple(x for x in self.left if x.ignore)

    def toml(self, out_name: str = "mapping.toml") -> str:
        """The mapping as commented TOML; ``out_name`` is named in the command to run."""
        return _toml(self, out_name)

    def lines(self) -> list[str]:
        """What was found, what to check and what was not placed, for the command line."""
        return _lines(self)


def propose_mapping(path: str | Path, sheet: str | None = None) -> Proposal:
    """Propose a mapping for a clinic's follow-up file.

    Parameters
    ----------
    path : str or Path
        The follow-up file (CSV, Excel or Parquet), read only.
    sheet : str, optional
        The workbook sheet; default the sheet that holds the data.

    Returns
    -------
    Proposal
        What each column is, with the evidence; :meth:`Proposal.toml` writes it.

    Raises
    ------
    InputError
        The file cannot be read.
    """
    frame, source = read_table(path, sheet)
    columns = [profile(str(c), frame[c]) for c in frame.columns if c != ROW]
    guesses = [guess(c) for c in columns]
    by_name = {c.name: c for c in columns}
    checks: list[str] = []

    wide = [g for g in guesses if g.role == "score_wide"]
    long_scores = [g for g in guesses if g.role == "score_long"]
    form = "wide" if wide and (not long_scores or len(wide) >= 2) else "long"
    _resolve_bare_scores(wide, by_name, checks)
    _resolve_dates(guesses, form, checks)

    best_id = min(
        (g for g in guesses if g.role == "patient_id"), key=lambda g: g.rank, default=None
    )
    placed, left = _place(guesses, form, best_id)
    taken = {p.target: p.column for p in placed}

    default_instrument, declare, needs_instrument = _instruments(
        form, guesses, wide, taken, by_name, checks
    )

    date_cols = [p.column for p in placed if "date" in p.target]
    order, order_why, order_check = _date_order(frame, date_cols, guesses, by_name)
    if order_check:
        checks.append(order_check)
    if best_id is not None:
        checks.insert(
            0,
            f'"{best_id.column}" is the patient id ({best_id.why}): it links a patient\'s rows '
            "and is never printed",
        )
    missing = _missing(form, taken, needs_instrument)
    return Proposal(
        source=source,
        form=form,
        placed=tuple(placed),
        left=tuple(left),
        covariates=tuple(g.column for g in guesses if g.role == "covariate"),
        events=tuple((g.column, g.event or "") for g in guesses if g.role == "event"),
        default_instrument=default_instrument,
        instruments=declare,
        date_order=order,
        date_why=order_why,
        checks=tuple(checks),
        missing=missing,
    )


def _instruments(
    form: str,
    guesses: list[Guess],
    wide: list[Guess],
    taken: dict[str, str],
    by_name: dict[str, Column],
    checks: list[str],
) -> tuple[str | None, tuple[Instrument, ...], bool]:
    """The default instrument of a long sheet, the scales to declare, and whether one is missing.

    A long sheet's score column named after its instrument ("NRS") gives the
    default; a score column named only "Score" is NRS when its scores are
    0-10, and otherwise the mapping must say which instrument.
    """
    default_instrument, needs_instrument = None, False
    instruments = {g.instrument for g in wide if g.target in taken and g.instrument}
    score = next(
        (g for g in guesses if g.target == "score" and taken.get("score") == g.column), None
    )
    if form == "long" and score is not None and "instrument" not in taken:
        default_instrument = score.instrument
        c = by_name[score.column]
        if default_instrument is None and c.high <= 10:
            default_instrument = "nrs"
            checks.append(
                f'"{score.column}" read as NRS: the name gives no instrument and the '
                f"scores are {c.low:g}-{c.high:g}"
            )
        elif default_instrument is None:
            needs_instrument = True
            checks.append(
                f'"{score.column}" names no instrument and its scores reach {c.high:g}, above '
                "the NRS range 0-10: set default_instrument (vas, womac, koos, ...) in the "
                "mapping"
            )
        if default_instrument is not None:
            instruments.add(default_instrument)
    declare = tuple(MORE_INSTRUMENTS[i] for i in sorted(instruments) if i in MORE_INSTRUMENTS)
    for inst in declare:
        checks.append(
            f"{inst.label} declared as [instruments.{inst.name}]: range {inst.range_text}, "
            f"{'higher' if inst.higher_is_better else 'lower'} is better"
        )
    return default_instrument, declare, needs_instrument


def _missing(form: str, taken: dict[str, str], needs_instrument: bool) -> tuple[str, ...]:
    """What validate needs and the mapping lacks, then the optional columns not found."""
    needed = ["patient_id", "procedure_date", *(["score"] if form == "long" else [])]
    if form == "wide" and not any(t.split("_")[0] in INSTRUMENTS for t in taken):
        needed.append("score columns (<instrument>_<visit>)")
    if form == "long" and not {"assessment_date", "days_after", "visit"} & set(taken):
        needed.append("assessment_date (or days_after, or visit)")
    needed += ["default_instrument"] if needs_instrument else []
    return tuple(c for c in (*needed, *_OPTIONAL) if c not in taken)


_OPTIONAL = ("joint", "side", "technique")
#: What to say in [columns] about a needed column not found: the target to write, and what.
_NOT_FOUND = {
    "patient_id": ("patient_id", "a study, hospital or national number; never a name or DOB"),
    "procedure_date": ("procedure_date", "the day of the procedure"),
    "score": ("score", "the score of each row"),
    "score columns (<instrument>_<visit>)": ("nrs_6w", "a score column per visit"),
    "assessment_date (or days_after, or visit)": (
        "assessment_date",
        "the day of the assessment (or days_after, or a visit label)",
    ),
}
_IGNORED = frozenset({"person", "identifier", "derived", "event", "free_text"})
_LONG_ONLY = frozenset({"score_long", "assessment_date", "visit", "instrument", "days_after"})


def _place(
    guesses: list[Guess], form: str, best_id: Guess | None
) -> tuple[list[Placed], list[Left]]:
    """Each column placed once, in file order: the first of two for one target wins."""
    placed: list[Placed] = []
    left: list[Left] = []
    taken: dict[str, str] = {}
    for g in guesses:
        target, why = g.target, g.why
        if form == "wide" and g.role in _LONG_ONLY:
            why = (
                f'looks like the "{g.target}" of a sheet with a row per visit, but this sheet '
                "has a column per visit"
            )
            target = ""
        elif form == "long" and g.role in {"score_wide", "date_wide"}:
            why, target = "a column for one visit, in a sheet with a row per visit", ""
        elif g.role == "patient_id" and best_id is not None and g is not best_id:
            left.append(
                Left(g.column, f'{g.why}: not needed, "{best_id.column}" links the rows', True)
            )
            continue
        elif g.role == "patient_id":
            why = f"{g.why}: links a patient's rows; internal, never printed"
        if g.role == "covariate":
            continue
        if not target:
            left.append(Left(g.column, why, ignore=g.role in _IGNORED))
        elif target in taken:
            left.append(
                Left(g.column, f'also looks like {target}, which is "{taken[target]}"', False)
            )
        else:
            taken[target] = g.column
            placed.append(Placed(g.column, target, why, g.check))
    return placed, left


def _resolve_bare_scores(wide: list[Guess], by_name: dict[str, Column], checks: list[str]) -> None:
    """Give a score column named only by its visit ("12/12") the other columns' instrument.

    The instrument most of the named score columns have, among those whose
    range holds the column's values; on a tie, the nearest named column to
    its left. Without named score columns, NRS when the values are 0-10.
    """
    named = [g for g in wide if g.instrument]  # before any bare column is given one
    counts = Counter(g.instrument for g in named)
    for g in wide:
        if g.instrument is None:
            c = by_name[g.column]
            fits = [
                i
                for i in counts
                if i is not None
                and INSTRUMENTS[i].minimum <= c.low <= c.high <= INSTRUMENTS[i].maximum
            ]
            if fits:
                top = max(counts[i] for i in fits)
                tied = [i for i in fits if counts[i] == top]
                at = next(i for i, h in enumerate(wide) if h is g)
                before = [h.instrument for h in wide[:at] if h.instrument in tied]
                best = before[-1] if before else tied[0]
                how = (
                    f"{counts[best]} of the {len(named)} score columns that name an instrument "
                    f"are {best.upper()}, and its scores, {c.low:g} to {c.high:g}, fit that range"
                )
            elif not named and c.high <= 10 and c.low >= 0:
                best, how = (
                    "nrs",
                    f"no column names an instrument and the scores are {c.low:g}-{c.high:g}",
                )
            else:
                g.role, g.why = (
                    "unplaced",
                    "a score with no instrument in its name; say which in [columns]",
                )
                continue
            g.instrument, g.check = best, True
            g.why = (
                f"{best.upper()}, {visit_words(g.visit or '')}: no instrument in the name; {how}"
            )
            checks.append(
                f'"{g.column}" read as {best.upper()} at {visit_words(g.visit or "")}: {how}'
            )
        g.target = f"{g.instrument}_{g.visit}"


def _resolve_dates(guesses: list[Guess], form: str, checks: list[str]) -> None:
    """Place a date column named only "Date", as the one date a sheet lacks.

    The procedure date of a wide sheet without one, or the assessment date of
    a long sheet whose procedure date is another column; else not placed.
    """
    roles = {g.role for g in guesses}
    for g in guesses:
        if g.role != "plain_date":
            continue
        if form == "long" and "procedure_date" in roles and "assessment_date" not in roles:
            g.role, g.target = "assessment_date", "assessment_date"
        elif form == "wide" and "procedure_date" not in roles:
            g.role, g.target = "procedure_date", "procedure_date"
        else:
            g.role = "unplaced"
            continue
        roles.add(g.role)
        g.why, g.check = (
            f"the only other date column, read as the {g.target.replace('_', ' ')}",
            True,
        )
        checks.append(
            f'"{g.column}" read as the {g.target.replace("_", " ")}: its name says only "date"'
        )


def _date_order(
    frame: pd.DataFrame, date_cols: list[str], guesses: list[Guess], by_name: dict[str, Column]
) -> tuple[str | None, str, str]:
    """The order of slashed dates, its evidence, and what to check (if anything)."""
    evidence = {c: order_evidence([frame[c]]) for c in date_cols}
    if not any(e.n_slashed for e in evidence.values()):
        return None, "", ""
    day = next(((c, e.day_first) for c, e in evidence.items() if e.day_first), None)
    month = next(((c, e.month_first) for c, e in evidence.items() if e.month_first), None)
    if day and month:
        why = (
            f'dates are written both day-first ("{day[1]}" in "{day[0]}") and month-first '
            f'("{month[1]}" in "{month[0]}"): make them consistent, or set [dates] format'
        )
        return None, why, why
    if day:
        return "day-first", f'"{day[1]}" in "{day[0]}" has a day above 12 first', ""
    if month:
        return "month-first", f'"{month[1]}" in "{month[0]}" has a day above 12 second', ""
    example = next((e.example for e in evidence.values() if e.example), None)
    if example is None:  # 05/05/2024 and the like: the same day either way
        return "day-first", "every slashed date reads the same either way", ""
    uk = _uk_style(guesses, by_name)
    if uk:
        why = (
            f'every slashed date (e.g. "{example}") could be read either way; day-first '
            f"because the file is UK-style ({uk})"
        )
        return "day-first", why, f"dates read day-first: {why}"
    why = f'dates such as "{example}" could be day-first or month-first: say which'
    return None, why, f"{why} in [dates] order; validate refuses the file until then"


def _uk_style(guesses: list[Guess], by_name: dict[str, Column]) -> str:
    """Why the file is UK-style ("" if it is not): visits written 6/52, an NHS or CHI number."""
    found = []
    labels = [g.column for g in guesses if UK_NOTATION.search(g.column)]
    labels += [t for g in guesses if g.role == "visit" for t in by_name[g.column].texts]
    uk = list(dict.fromkeys(m for t in labels for m in UK_NOTATION.findall(t)))
    if uk:
        found.append("visits written " + ", ".join(uk[:3]))
    numbers = [g.column for g in guesses if set(words_of(g.column).split("_")) & {"nhs", "chi"}]
    if numbers:
        found.append(f'a "{numbers[0]}" column')
    return "; ".join(found)


def _q(text: str) -> str:
    """A TOML basic string."""
    return json.dumps(text, ensure_ascii=False)


def _aligned(rows: list[tuple[str, str]], indent: str = "") -> list[str]:
    """Entries with their comments in one column; a comment too long for the line goes above."""
    width = min(max((len(a) for a, _ in rows), default=0), 44)
    out = []
    for a, b in rows:
        b = _one_line(b)
        if not b:
            out.append(f"{indent}{a}")
        elif len(indent) + max(width, len(a)) + 4 + len(b) <= _WIDTH:
            out.append(f"{indent}{a:<{width}}  # {b}")
        elif len(indent) + len(a) + 4 + len(b) <= _WIDTH:
            out.append(f"{indent}{a}  # {b}")
        else:
            out += [f"{indent}# {x}" for x in textwrap.wrap(b, _WIDTH - len(indent) - 2)]
            out.append(f"{indent}{a}")
    return out


def _one_line(text: str) -> str:
    """Text safe in a comment: a column name's line breaks and tabs become spaces."""
    return " ".join(text.split())


def _comment(text: str) -> list[str]:
    """A paragraph as comment lines."""
    return [f"# {x}" for x in textwrap.wrap(_one_line(text), _WIDTH - 2, break_on_hyphens=False)]


def _toml(p: Proposal, out_name: str) -> str:
    src = p.source
    lines = [
        f"# Mapping for {src.name}, proposed by `outcomes init`. Check each line against the",
        "# spreadsheet and change what is wrong (lines marked CHECK rest on an assumption), then:",
        f"#   outcomes validate {_shell(src.name)} --mapping {_shell(out_name)}",
        "#",
    ]
    for line in src.layout.lines() if src.layout else ():
        lines += _comment(line)
    layout = src.layout
    if layout is not None and len(layout.header_rows) == 2:
        header = list(layout.header_rows)
        example = next((x.column for x in p.placed if _WIDE.fullmatch(x.target)), "")
        lines += _comment(
            "The header has a group row over the names: a name that is only a visit label is "
            "read with its group in front"
            + (f" ({_q(example)})" if example else "")
            + ", as written below."
        )
        lines.append(f"# header_row = {header}  # uncomment to pin the header rows")
    lines.append(
        "# Layout: "
        + (
            "wide, one row per procedure and a score column per visit."
            if p.form == "wide"
            else "long, one row per assessment."
        )
    )
    lines.append("")
    if "default_instrument" in p.missing:
        lines += _aligned(
            [('# default_instrument = "vas"', "NOT FOUND: the scores' instrument; not NRS (0-10)")]
        )
        lines.append("")
    if p.default_instrument:
        lines += _aligned(
            [(f"default_instrument = {_q(p.default_instrument)}", "the instrument of every score")]
        )
        lines.append("")
    if p.ignored:
        lines.append("# Columns outcomes never reads:")
        lines.append("ignore_columns = [")
        lines += _aligned([(f"{_q(x.column)},", x.why) for x in p.ignored], "    ")
        lines.append("]")
        lines.append("")
    lines += ["[columns]  # your column = the column outcomes reads"]
    rows = [
        (f"{_q(x.column)} = {_q(x.target)}", ("CHECK: " if x.check else "") + x.why)
        for x in p.placed
    ]
    lines += _aligned(rows)
    for missing in p.missing:
        if missing in _NOT_FOUND:
            target, note = _NOT_FOUND[missing]
            lines += _aligned([(f'# "Your column" = {_q(target)}', f"NOT FOUND: {note}")])
    if p.covariates:
        shown = ", ".join(_q(c) for c in p.covariates)
        lines.append(f"# Read as they are, as covariates: {shown}")
    if p.date_order or p.date_why:
        lines += ["", "[dates]"]
        if p.date_order:
            lines += _aligned([(f"order = {_q(p.date_order)}", p.date_why)])
        else:
            lines += [f"# {p.date_why}", '# order = "day-first"  # or "month-first"']
    if src.layout is not None and src.layout.sheet is not None and src.layout.other_sheets:
        others = ", ".join(f'"{s}"' for s in src.layout.other_sheets)
        lines += ["", "[excel]"]
        lines += _aligned([(f"sheet = {_q(src.layout.sheet)}", f"the data; not read: {others}")])
    for inst in p.instruments:
        lines += [
            "",
            f"[instruments.{inst.name}]  # CHECK: outcomes does not ship this scale",
            f"minimum = {inst.minimum:g}",
            f"maximum = {inst.maximum:g}",
            f"higher_is_better = {'true' if inst.higher_is_better else 'false'}",
            f"label = {_q(inst.label)}",
        ]
    if p.events:
        lines += ["", *_events_comment(p)]
    if p.unplaced:
        lines += [
            "",
            "# Not placed: a column of numbers is a covariate, a column of text only when its",
            "# name says it is one (sex, diagnosis, ...) or it is listed in covariates; other",
            "# text is left out. Place them above, or list them in ignore_columns:",
        ]
        for x in p.unplaced:
            text = _one_line(f"{_q(x.column)}: {x.why}")
            lines += [f"#   {y}" for y in textwrap.wrap(text, _WIDTH - 4, subsequent_indent="  ")]
    return "\n".join(lines) + "\n"


def _events_comment(p: Proposal) -> list[str]:
    names = {x.target: x.column for x in p.placed}
    pid = _csv(names.get("patient_id", "patient_id"))
    pdate = _csv(names.get("procedure_date", "procedure_date"))
    first_col, first_event = p.events[0]
    return [
        *_comment(
            f"Events: {_listed(p.events)} {'hold' if len(p.events) > 1 else 'holds'} events, "
            "which are not read from this sheet: until they are in an events file, follow-up "
            "after a repeat procedure, surgery or death is not cut short. An events file has "
            "one row per event and is passed with --events; your column names work there "
            "too (the [columns] renames apply to it unless the mapping has [events.columns]):"
        ),
        f"#   {pid},{pdate},event,event_date",
        f"#   <{pid}>,<{pdate}>,{first_event},<{first_col}>",
        *_comment(
            "event is one of repeat_procedure, surgery, death, withdrawal, complication; "
            "TKR, THR, died, redo RFA and the like are understood too."
        ),
    ]


def _listed(events: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f'"{c}" ({e.replace("_", " ")})' for c, e in events)


def _csv(name: str) -> str:
    name = _one_line(name)
    return '"' + name.replace('"', '""') + '"' if "," in name or '"' in name else name


def _shell(name: str) -> str:
    return name if re.fullmatch(r"[\w.\-/]+", name) else _one_line(shlex.quote(name))


def _lines(p: Proposal) -> list[str]:
    src = p.source
    out = [f"{src.name}: {line}" for line in (src.layout.lines()[:1] if src.layout else [])]
    form = "one row per procedure" if p.form == "wide" else "one row per assessment"
    out.append(
        f"Proposed: {len(p.placed)} column(s) placed, {len(p.ignored)} never read "
        f"(ignore_columns), {len(p.unplaced)} not placed; {p.form} layout ({form})."
    )
    if p.checks:
        out.append("Check:")
        out += [f"  {c}" for c in p.checks]
    if p.events:
        out.append(
            f"Events: {_listed(p.events)} {'are' if len(p.events) > 1 else 'is'} not read from "
            "this sheet: put the events in an events file (--events); the end of the mapping "
            "says how."
        )
    if p.unplaced:
        out.append(
            "Not placed (a covariate if numbers, or text named as a covariate such as sex; "
            "other text is left out):"
        )
        out += [f'  "{x.column}": {x.why}' for x in p.unplaced]
    else:
        out.append("Every column was placed or listed in ignore_columns.")
    required = [m for m in p.missing if m not in _OPTIONAL]
    if required:
        out.append(
            "NOT FOUND, needed before validate passes: " + ", ".join(required) + " (see the "
            "NOT FOUND lines of the mapping)."
        )
    optional = [m for m in p.missing if m in _OPTIONAL]
    if optional:
        out.append("Not found (optional): " + ", ".join(optional) + ".")
    return [("  " if x.startswith("  ") else "") + _one_line(x) for x in out]


def write_mapping(proposal: Proposal, out: str | Path, *, force: bool = False) -> Path:
    """Write the proposal's TOML to ``out``, never over the input file.

    An existing ``out`` is replaced only with ``force``.

    Raises
    ------
    OptionError
        ``out`` is the input file, or exists and ``force`` is False.
    """
    path = Path(out)
    if path.resolve() == Path(proposal.source.path).resolve():
        raise OptionError(f"{path}: is the input file; choose another --out")
    text = proposal.toml(path.name)
    try:
        with path.open("w" if force else "x", encoding="utf-8") as fh:
            fh.write(text)
    except FileExistsError:
        raise OptionError(
            f"{path}: exists; choose another --out, or add --force to replace it"
        ) from None
    except OSError as exc:
        raise OptionError(
            f"{path}: cannot be written ({exc.strerror}); choose another --out"
        ) from None
    return path
