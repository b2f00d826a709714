"""The data contract: validate raw follow-up and events tables into a Cohort.

One pass collects every problem (see :mod:`outcomes.problems`). Errors stop
the analysis; warnings keep or exclude rows and say why. Nothing here loops
over rows or patients: every check is a vectorised pandas operation.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from outcomes._cells import (
    JOINT_WORDS,
    SIDE_ALIASES,
    TECHNIQUE_ALIASES,
    TECHNIQUE_WORDS,
    clean_text,
    parse_numbers,
    words_to_known,
)
from outcomes._dates import SLASHED, parse_dates, resolve_order
from outcomes._identifiers import (
    RECORD_KINDS,
    best_record_number,
    person_detail,
    record_number_rank,
    words_of,
)
from outcomes.errors import ValidationError
from outcomes.events import (
    ENDS_FOLLOWUP,
    EVENT_TYPES,
    apply_followup_end,
    events_frame,
    inferred_repeats,
    link_events,
)
from outcomes.instruments import Instrument
from outcomes.io import (
    DATE_COL,
    ROW,
    SCORE_COL,
    RawTable,
    SourceFile,
    read_events,
    read_followup,
    visit_days,
)
from outcomes.mapping import JOINTS, TECHNIQUES, FileMapping, load_mapping
from outcomes.problems import ProblemCollector, Problems
from outcomes.visits import canonical_visits

Lazy = pd.Series | Callable[[], pd.Series]

__all__ = ["ENDS_FOLLOWUP", "EVENT_TYPES", "Cohort", "load_cohort", "validate"]

PROCEDURE_FIELDS = ("procedure_date", "joint", "side", "technique")
#: Scores further before their procedure than this (days) cannot be a baseline:
#: ``ReliefDefinition.baseline_window_days``' default.
BASELINE_DAYS = 90
#: An extra column with more distinct values than this, or longer ones, is free text.
MAX_LEVELS = 12
MAX_LEVEL_LENGTH = 30
#: Words in a column's name that mark free text, whatever its values.
FREE_TEXT_NAMES = frozenset(
    {"note", "notes", "comment", "comments", "remark", "remarks", "narrative", "free", "memo"}
)
#: Words in a column's name that mark a covariate a text column may hold.
COVARIATE_WORDS = frozenset(
    (
        "age sex gender bmi weight height kl kellgren grade diabetes diabetic smoker smoking "
        "duration opioid opioids asa ethnicity diagnosis indication laterality referral "
        "depression anxiety employment comorbidity comorbidities anticoagulated anticoagulant "
        "anticoagulation funding prior previous"
    ).split()
)
#: Words in a column's name that mark a date, who did something or how to reach someone,
#: beside the person details of ``person_detail``: never used, whatever the values
#: ("Diagnosis by", "Date of diagnosis", "Next of kin").
PERSONAL_WORDS = frozenset(
    (
        "by who whom with lives date dt dated contact kin gmc birth yob consultant surgeon "
        "doctor clinician nurse gp carer"
    ).split()
)
#: The shape of a date written as numbers: 2015-03-01, 31/02/2024, 09.01.2023.
_DATE_SHAPE = r"\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}"
#: A text value that looks like a person ("Dr Smith") or a date.
_PERSONAL_VALUE = re.compile(r"^(dr|mr|mrs|ms|miss|prof)\.?\s|" + _DATE_SHAPE, re.IGNORECASE)
ASSESSMENT_FIELDS = ("assessment_date", "days_after", "score", "instrument", "visit")


@dataclass(frozen=True)
class Cohort:
    """Validated follow-up data, ready for endpoint derivation.

    Attributes
    ----------
    procedures : DataFrame
        One row per procedure, indexed by ``procedure`` (0..n-1): ``patient``
        (a pseudonym, 0..), ``patient_id`` (as in the file; internal, never
        to be shown in a report), ``procedure_id``, ``procedure_date``,
        ``joint``, ``side``, ``technique``, the covariates, and
        ``followup_end_day``/``followup_end_reason`` (first event that ends
        follow-up, in days since the procedure; NaN/None if none).
    assessments : DataFrame
        One row per kept assessment: ``procedure``, ``days_after`` (whole
        days since the procedure, negative before it), ``instrument``,
        ``score`` (instrument points), ``visit`` (label, if the file has
        one), ``row`` (source row number). Sorted by procedure and day.
    events : DataFrame
        One row per event and procedure: ``procedure``, ``event``,
        ``event_date``, ``days_after``, ``detail``, ``source`` (``file`` or
        ``inferred`` for repeat procedures found in the follow-up data).
    problems : Problems
        Every error and warning found.
    sources : tuple of SourceFile
        Input files with their SHA-256.
    instruments : mapping of str to Instrument
        Instruments the scores were checked against.
    covariates : tuple of str
        Names of procedure-level covariate columns.
    """

    procedures: pd.DataFrame
    assessments: pd.DataFrame
    events: pd.DataFrame
    problems: Problems
    sources: tuple[SourceFile, ...]
    instruments: Mapping[str, Instrument]
    covariates: tuple[str, ...] = ()
    assessment_columns: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when validation found no errors."""
        return not self.problems.has_errors

    def raise_for_errors(self) -> Cohort:
        """Return self, or raise :class:`ValidationError` listing every error."""
        if self.problems.has_errors:
            raise ValidationError(self.problems)
        return self

    def subset(self, procedures: Any) -> Cohort:
        """The part of the cohort holding some procedures (index labels), e.g. one joint."""
        idx = pd.Index(procedures)
        keep_a = self.assessments["procedure"].isin(idx).to_numpy()
        keep_e = self.events["procedure"].isin(idx).to_numpy()
        return Cohort(
            procedures=self.procedures.loc[idx],
            assessments=self.assessments[keep_a],
            events=self.events[keep_e],
            problems=self.problems,
            sources=self.sources,
            instruments=self.instruments,
            covariates=self.covariates,
            assessment_columns=self.assessment_columns,
        )

    def counts(self) -> dict[str, int]:
        """Numbers of patients, procedures, assessments and events."""
        return {
            "patients": int(self.procedures["patient"].nunique()),
            "procedures": len(self.procedures),
            "assessments": len(self.assessments),
            "events": len(self.events),
        }

    def table_by(self, by: tuple[str, ...] = ("joint", "technique")) -> pd.DataFrame:
        """Patients, procedures and assessments by procedure-level columns."""
        by = tuple(c for c in by if c in self.procedures.columns)
        p = self.procedures.assign(
            assessments=self.assessments.groupby("procedure")
            .size()
            .reindex(self.procedures.index, fill_value=0)
        )
        if not by:
            by_cols: list[str] = []
            p = p.assign(all="all")
            by_cols = ["all"]
        else:
            by_cols = list(by)
        return (
            p.fillna({c: "(not given)" for c in by_cols})
            .groupby(by_cols, dropna=False)
            .agg(
                patients=("patient", "nunique"),
                procedures=("patient", "size"),
                assessments=("assessments", "sum"),
            )
            .reset_index()
        )


def load_cohort(
    source: str | Path,
    *,
    events: str | Path | None = None,
    mapping: str | Path | FileMapping | None = None,
    as_of: dt.date | None = None,
) -> Cohort:
    """Read and validate a follow-up file (and optionally an events file).

    Parameters
    ----------
    source : str or Path
        Follow-up scores: CSV, Excel (.xlsx) or Parquet, long or wide format.
    events : str or Path, optional
        Events file: repeat procedures, surgery, death, withdrawal, complications.
    mapping : str, Path or FileMapping, optional
        TOML mapping file (or a loaded one) for column names, dates and instruments.
    as_of : date, optional
        Data cut date: dates after it are reported as in the future and their
        rows excluded. None skips that check (the command line passes today).

    Returns
    -------
    Cohort
        Check ``cohort.ok`` or call ``cohort.raise_for_errors()`` before analysis.

    Raises
    ------
    InputError
        A file cannot be read at all (missing, wrong type, corrupt).
    """
    fm = (
        mapping
        if isinstance(mapping, FileMapping)
        else (load_mapping(mapping) if mapping is not None else FileMapping())
    )
    raw = read_followup(source, fm)
    raw_events = read_events(events, fm) if events is not None else None
    return validate(raw, raw_events, mapping=fm, as_of=as_of)


# --------------------------------------------------------------------------- #
# validation


def validate(
    raw: RawTable,
    raw_events: RawTable | None = None,
    *,
    mapping: FileMapping | None = None,
    as_of: dt.date | None = None,
) -> Cohort:
    """Validate raw tables (see :mod:`outcomes.io`) into a :class:`Cohort`."""
    fm = mapping or FileMapping()
    problems = ProblemCollector()
    problems.extend(raw.problems.result())
    if raw_events is not None:
        problems.extend(raw_events.problems.result())
    sources = (raw.source,) + ((raw_events.source,) if raw_events is not None else ())
    v = _FollowupValidator(raw, fm, problems, as_of)
    out = v.run()
    if out is None:
        return _empty_cohort(problems.result(), sources, fm)
    procedures, assessments, covariates = out
    ev = link_events(raw_events, procedures, fm, problems, v.date_order, as_of)
    events = pd.concat([ev, inferred_repeats(procedures, ev)], ignore_index=True)
    events = events.sort_values(["procedure", "days_after"], kind="stable").reset_index(drop=True)
    procedures, assessments = apply_followup_end(
        procedures, assessments, events, problems, raw.source.name
    )
    _completeness_warnings(
        procedures.drop(index=list(v.error_procedures)), assessments, problems, raw.source.name
    )
    return Cohort(
        procedures=procedures,
        assessments=assessments,
        events=events,
        problems=problems.result(),
        sources=sources,
        instruments=fm.instruments,
        covariates=covariates,
        assessment_columns=tuple(c for c in fm.assessment_columns if c in assessments),
    )


def _empty_cohort(problems: Problems, sources: tuple[SourceFile, ...], fm: FileMapping) -> Cohort:
    procedures = pd.DataFrame(
        {c: pd.Series(dtype=object) for c in ("patient", "patient_id", *PROCEDURE_FIELDS)}
    ).rename_axis("procedure")
    assessments = pd.DataFrame(
        {
            "procedure": pd.Series(dtype=int),
            "days_after": pd.Series(dtype=int),
            "instrument": pd.Series(dtype=object),
            "score": pd.Series(dtype=float),
            "row": pd.Series(dtype=int),
        }
    )
    return Cohort(procedures, assessments, events_frame(), problems, sources, fm.instruments)


def _pick(x: str | Lazy | None, mask: np.ndarray) -> Any:
    """The masked rows of a Series (built first if ``x`` is a callable); scalars as is."""
    if callable(x):
        x = x()
    return x[mask] if isinstance(x, pd.Series) else x


class _FollowupValidator:
    """Checks of the follow-up table; ``run`` returns procedures and assessments."""

    def __init__(
        self, raw: RawTable, fm: FileMapping, problems: ProblemCollector, as_of: dt.date | None
    ) -> None:
        self.raw = raw
        self.f = raw.frame
        self.fm = fm
        self.p = problems
        self.file = raw.source.name
        self.as_of = as_of
        self.date_order: str | None = None
        self.error_rows = np.zeros(len(self.f), dtype=bool)
        self.error_procedures = np.array([], dtype=int)

    def name(self, canonical: str) -> str:
        return self.raw.original.get(canonical, canonical)

    def add(
        self,
        severity: str,
        rule: str,
        mask: np.ndarray,
        message: str | Lazy,
        column: str | pd.Series,
        value: Lazy | None = None,
    ) -> None:
        """Add one problem per True in ``mask`` (row-aligned with the frame).

        ``message`` and ``value`` may be callables returning row-aligned Series,
        so that the text is only built when some row has the problem.
        """
        if not mask.any():
            return
        if severity == "error":
            self.error_rows |= mask
        f = self.f
        msg = _pick(message, mask)
        col = column[mask] if isinstance(column, pd.Series) else column
        pid = f["patient_id"][mask] if "patient_id" in f else None
        val = _pick(value, mask)
        self.p.add(
            severity, rule, self.file, msg, row=f[ROW][mask], patient=pid, column=col, value=val
        )

    def covariates(self, candidates: list[str], days: pd.Series | None = None) -> tuple[str, ...]:
        """The extra columns that may reach an analysis or a report.

        Declared covariates (mapping file ``covariates = [...]``) are used.
        Otherwise a column of numbers is used (age, BMI, KL grade), and a
        column of text only when its name says it is a known covariate
        (:data:`COVARIATE_WORDS`: sex, diagnosis, smoking, ...) and it holds at
        most :data:`MAX_LEVELS` short values. Anything else is not used, with a
        warning naming the column, so that free text ("Notes", "Social") and
        event text or dates never reach an output; a column named like a
        person detail or a record number is never used; a column of numbers
        named like a score at a visit ("NRS 6 weeks") is an error: it needs a
        mapping, not a place in Table 1.
        """
        if not candidates:
            return ()
        from outcomes._columns import _event_kind, score_name

        values = self.f[candidates].to_numpy(dtype=object)
        empty = (pd.isna(values) | (values == "")).all(axis=0)
        keep, free, scores = [], [], []
        for c, is_empty in zip(candidates, empty, strict=True):  # the extra columns
            if is_empty:
                continue
            name = str(self.name(c))
            if c in self.fm.covariates:
                keep.append(c)
                continue
            words = set(words_of(name).split("_"))
            if (
                person_detail(name) is not None
                or record_number_rank(name) is not None
                or words & PERSONAL_WORDS
            ):
                free.append(
                    (
                        c,
                        "looks like a person's detail, a date or a record number; not used, so "
                        "it reaches no output",
                    )
                )
                continue
            if not words & COVARIATE_WORDS and (
                _event_kind(words_of(name)) is not None or words & {"event", "events"}
            ):
                free.append(
                    (
                        c,
                        "holds events; not used: put them in an events file (--events, see "
                        "docs/data-format.md)",
                    )
                )
                continue
            text = clean_text(self.f[c])
            _, bad = parse_numbers(text)
            levels = text.dropna().unique()
            if not bad.any():
                if score_name(name)[1] is not None:
                    scores.append(c)
                else:
                    keep.append(c)
                continue
            longest = max((len(str(v)) for v in levels), default=0)
            wordy = any(len(str(v).split()) >= 5 for v in levels)
            personal = any(_PERSONAL_VALUE.search(str(v)) for v in levels)
            short = len(levels) <= MAX_LEVELS and longest <= MAX_LEVEL_LENGTH
            if (
                short
                and not wordy
                and not personal
                and words & COVARIATE_WORDS
                and not words & FREE_TEXT_NAMES
            ):
                keep.append(c)
            else:
                free.append((c, f"holds text ({len(levels):,} different values)"))
        names = [self.name(c) for c, e in zip(candidates, empty, strict=True) if e]
        if names:
            shown = ", ".join(f'"{x}"' for x in names[:5])
            more = f" and {len(names) - 5:,} more" if len(names) > 5 else ""
            self.p.add(
                "warning",
                "column_not_used",
                self.file,
                f"{len(names):,} empty column(s) not used: {shown}{more}",
                column=names[0] if len(names) == 1 else None,
            )
        for c, why in free:
            advice = (
                ""
                if "not used" in why
                else "; not used, so it reaches no output (if it is a grouping such as sex or "
                "diagnosis, declare it in a mapping file: covariates = [...])"
            )
            self.p.add(
                "warning",
                "column_not_used",
                self.file,
                f'column "{self.name(c)}" {why}{advice}',
                column=self.name(c),
            )
        # beside a score column that holds follow-up, a duplicate; else the scores
        # themselves, which must not be lost silently
        has_followup = days is not None and bool((days > 0).any())
        for c in scores:
            self.p.add(
                "warning" if has_followup else "error",
                "score_not_mapped",
                self.file,
                f'column "{self.name(c)}" looks like a pain score at a visit, which outcomes '
                "reads only through a mapping: "
                + (
                    "not used (the file's score column is read)"
                    if has_followup
                    else "run outcomes init FILE to write one (or list the column under "
                    "ignore_columns)"
                ),
                column=self.name(c),
            )
        return tuple(keep)

    def visit_dates_agree(
        self, label: pd.Series, nominal: pd.Series, days: pd.Series, dated: np.ndarray
    ) -> None:
        """A dated assessment whose visit label says otherwise: a follow-up visit ("3/12")
        dated on or before its procedure would be read as the baseline (an error); one
        dated far from its label's day (after twice it plus 28 days, or before half of it
        less 28 days: "12/12" at day 30), or a pre-procedure
        visit dated after the procedure, is a warning."""
        f = self.f
        follow = (nominal > 0).to_numpy() & dated
        before = follow & (days <= 0).to_numpy()

        def said(what: str) -> pd.Series:
            when = days.abs().map("{:.0f}".format) + f" days {what} its procedure"
            return (
                'visit "'
                + label.astype(str)
                + '" is dated '
                + when.where(days != 0, "on the procedure day")
            )

        self.add(
            "error",
            "visit_date",
            before,
            lambda: said("before") + "; correct the date or the visit label",
            f[DATE_COL],
        )
        far = follow & ~before & ((days > 2 * nominal + 28) | (days < nominal / 2 - 28)).to_numpy()
        self.add(
            "warning",
            "visit_date",
            far,
            lambda: (
                said("after")
                + ", far from the visit's own day ("
                + nominal.map("{:.0f}".format)
                + "); used at its date: check the date"
            ),
            f[DATE_COL],
        )
        late_baseline = (nominal <= 0).to_numpy() & dated & (days > 0).to_numpy()
        self.add(
            "warning",
            "visit_date",
            late_baseline,
            lambda: said("after") + "; used as a follow-up score at its date: check the date",
            f[DATE_COL],
        )

    def known_values(
        self,
        column: str,
        known: tuple[str, ...],
        aliases: Mapping[str, str],
        words: Mapping[str, str],
        drop: np.ndarray,
    ) -> pd.Series:
        """``column`` read through the mapping's and the built-in aliases, then by the
        words a cell holds ("Rt knee" -> knee, "Cooled RF (Coolief)" -> cooled_rfa); a
        value still not one of ``known`` is an error (it could be free text, which no
        output may carry), its row is dropped (``drop`` is updated in place). Only the
        known word is kept, never the cell's text."""
        mapped = {**aliases, **self.fm.value_aliases.get(column, {})}
        values = clean_text(self.f[column], lower=True, aliases=mapped)
        values = words_to_known(values, known, words, first_wins=column == "technique")
        raw = clean_text(self.f[column])
        bad = (values.notna() & ~values.isin(known)).to_numpy()
        self.add(
            "error",
            "bad_value",
            bad,
            lambda: (
                '"' + raw.astype(str) + f'" is not a {column} outcomes knows; write one of '
                f"{', '.join(known)}, or name it in the mapping file: [values.{column}] "
                f'"your word" = "{known[0]}"'
            ),
            self.name(column),
            raw,
        )
        drop |= bad
        return values

    def required(self) -> bool:
        f = self.f
        missing = [c for c in ("patient_id", "procedure_date", "score") if c not in f]
        if "assessment_date" not in f and "days_after" not in f and "visit" not in f:
            missing.append("assessment_date")
        for c in missing:
            found = ", ".join(f'"{x}"' for x in self.raw.original.values())
            extra = (
                ' (or "days_after", or a "visit" label such as 3/12)'
                if c == "assessment_date"
                else ""
            )
            hint, example = "", f'[columns] "Your name" = "{c}"'
            if c == "patient_id":  # a record number; never a name, date of birth or contact
                number = best_record_number(
                    [*self.raw.original.values(), *self.raw.dropped_identifiers]
                )
                example = (
                    f'[columns] "{number}" = "patient_id": "{number}" looks like '
                    f"{RECORD_KINDS[record_number_rank(number) or 0]}, used to link rows and "
                    "never printed"
                    if number
                    else '[columns] "Your column" = "patient_id", a study, hospital or national '
                    "number, never a name or date of birth"
                )
                hint = f"; run `outcomes init {self.file}` to write a mapping to check"
            elif c == "score" and self.raw.layout == "long":
                hint = (
                    "; for one row per procedure, name score columns "
                    "<instrument>_<visit>, e.g. nrs_baseline, nrs_3m"
                )
            self.p.add(
                "error",
                "missing_column",
                self.file,
                f'required column "{c}"{extra} is missing (found: {found}); rename it, or map '
                f"your column in a mapping file ({example}){hint}",
                column=c,
            )
        return not missing

    def run(self) -> tuple[pd.DataFrame, pd.DataFrame, tuple[str, ...]] | None:
        if not self.required():
            return None
        f = self.f
        n = len(f)
        drop = np.zeros(n, dtype=bool)  # rows not usable (errors or excluded)

        # identifiers
        pid = clean_text(f["patient_id"])
        f["patient_id"] = pid
        bad = pid.isna().to_numpy()
        self.add("error", "missing_value", bad, "patient id is blank", self.name("patient_id"))
        drop |= bad

        # dates
        date_cols = [(c, f[c]) for c in ("procedure_date", "assessment_date") if c in f]
        self.date_order, ambiguous = resolve_order(date_cols, self.fm, self.p, self.file)
        pdate, bad_p = self.dates("procedure_date", ambiguous)
        blank_p = pdate.isna().to_numpy() & ~bad_p
        self.add(
            "error",
            "missing_value",
            blank_p,
            "procedure date is blank",
            self.name("procedure_date"),
        )
        drop |= pdate.isna().to_numpy()

        days = pd.Series(np.nan, index=f.index)
        if "assessment_date" in f:
            adate, bad_a = self.dates("assessment_date", ambiguous)
            days = (adate - pdate).dt.days.astype(float)
            drop |= bad_a
        else:
            adate = pd.Series(pd.NaT, index=f.index, dtype="datetime64[ns]")
        if "days_after" in f:
            d_text = clean_text(f["days_after"])
            d_num, bad_d = parse_numbers(d_text)
            frac = d_num.notna() & (d_num != np.floor(d_num))
            use = days.isna().to_numpy()
            bad_d = (bad_d | frac.to_numpy()) & use
            self.add(
                "error",
                "not_a_number",
                bad_d,
                lambda: d_text.astype(str) + " is not a whole number of days",
                self.name("days_after"),
                d_text,
            )
            days = days.where(~use, d_num)
            drop |= bad_d
        if "visit" in f:  # a visit label stands for its nominal day where no date is given
            label = canonical_visits(clean_text(f["visit"]))
            nominal = label.map(visit_days, na_action="ignore").astype(float)
            use = days.isna().to_numpy() & label.notna().to_numpy() & ~drop
            days = days.where(~use, nominal)
            unread = days.isna().to_numpy() & ~drop & clean_text(f["visit"]).notna().to_numpy()
            self.add(
                "error",
                "bad_visit",
                unread,
                lambda: (
                    '"'
                    + clean_text(f["visit"]).astype(str)
                    + '" is not a visit label; write it as 6/52, 3/12, 6 weeks or 3m (or give '
                    "the assessment date)"
                ),
                self.name("visit"),
                clean_text(f["visit"]),
            )
            drop |= unread
            self.visit_dates_agree(clean_text(f["visit"]), nominal, days, ~use & ~drop)
        no_day = days.isna().to_numpy() & ~drop
        self.add(
            "error",
            "missing_value",
            no_day,
            "assessment date is blank (and no days_after or visit label is given)",
            f[DATE_COL],
        )
        drop |= no_day
        early = (days < -BASELINE_DAYS).to_numpy() & ~drop
        self.add(
            "warning",
            "before_procedure",
            early,
            lambda: (
                "assessment dated "
                + (-days).map("{:.0f}".format)
                + " days before its procedure, more than the "
                + str(BASELINE_DAYS)
                + "-day baseline window: not used as baseline or follow-up; check the date"
            ),
            f[DATE_COL],
        )

        # scores and instruments
        score_text = clean_text(f["score"])
        score, bad_s = parse_numbers(score_text)
        self.add(
            "error",
            "not_a_number",
            bad_s,
            lambda: score_text.astype(str) + " is not a number",
            f[SCORE_COL],
            score_text,
        )
        blank_s = score_text.isna().to_numpy()

        def no_score() -> pd.Series:
            marked = f["score"].astype(str).str.strip()
            return pd.Series(
                np.where(
                    marked.str.lower().isin(("", "nan", "none")),
                    "no score (blank): this visit is not used",
                    '"' + marked + '" is read as no score (did not attend, not done, n/a): '
                    "this visit is not used",
                ),
                index=f.index,
            )

        self.add("warning", "missing_score", blank_s, no_score, f[SCORE_COL])
        drop |= bad_s | blank_s

        if "instrument" in f:
            inst = clean_text(f["instrument"], lower=True).fillna(self.fm.default_instrument)
        else:
            inst = pd.Series(self.fm.default_instrument, index=f.index, dtype=object)
        known = inst.isin(list(self.fm.instruments)).to_numpy()
        self.add(
            "error",
            "unknown_instrument",
            ~known,
            lambda: (
                inst.astype(str)
                + " is not a known instrument ("
                + ", ".join(sorted(self.fm.instruments))
                + "); declare it in a mapping file under [instruments.NAME]"
            ),
            self.name("instrument"),
            inst,
        )
        drop |= ~known
        codes, names = pd.factorize(inst)
        lo = np.array(
            [self.fm.instruments[k].minimum if k in self.fm.instruments else np.nan for k in names]
        )[codes]
        hi = np.array(
            [self.fm.instruments[k].maximum if k in self.fm.instruments else np.nan for k in names]
        )[codes]
        sc = score.to_numpy()
        out = ~np.isnan(sc) & known & ((sc < lo) | (sc > hi))
        self.add(
            "error",
            "out_of_range",
            out,
            lambda: (
                score_text.astype(str)
                + " is outside the "
                + inst.map(
                    lambda k: (
                        self.fm.instruments[k].name.upper()
                        + " range "
                        + self.fm.instruments[k].range_text
                    ),
                    na_action="ignore",
                )
            ),
            f[SCORE_COL],
            score_text,
        )
        drop |= out

        # procedure-level fields
        joint = clean_text(f["joint"], lower=True) if "joint" in f else None
        side = clean_text(f["side"], lower=True) if "side" in f else None
        technique = clean_text(f["technique"], lower=True) if "technique" in f else None
        if side is not None:
            norm = clean_text(f["side"], lower=True, aliases=SIDE_ALIASES, only_aliases=True)
            bad = (side.notna() & norm.isna()).to_numpy()
            self.add(
                "error",
                "bad_value",
                bad,
                lambda: (
                    side.astype(str) + " is not left or right; enter each side of a bilateral "
                    "procedure as its own procedure"
                ),
                self.name("side"),
                side,
            )
            drop |= bad
            side = norm
        if joint is not None:
            joint = self.known_values("joint", JOINTS, {}, JOINT_WORDS, drop)
        if technique is not None:
            technique = self.known_values(
                "technique", TECHNIQUES, TECHNIQUE_ALIASES, TECHNIQUE_WORDS, drop
            )

        # future dates
        if self.as_of is not None:
            cut = pd.Timestamp(self.as_of)
            fut_p = (pdate > cut).to_numpy()
            self.add(
                "warning",
                "future_date",
                fut_p,
                lambda: (
                    pdate.dt.strftime("%Y-%m-%d")
                    + " is after the data cut "
                    + cut.strftime("%Y-%m-%d")
                    + ": row excluded"
                ),
                self.name("procedure_date"),
                lambda: f["procedure_date"].astype(str),
            )
            fut_a = (adate > cut).to_numpy() & ~fut_p
            self.add(
                "warning",
                "future_date",
                fut_a,
                lambda: (
                    adate.dt.strftime("%Y-%m-%d")
                    + " is after the data cut "
                    + cut.strftime("%Y-%m-%d")
                    + ": row excluded"
                ),
                f[DATE_COL],
                lambda: f["assessment_date"].astype(str),
            )
            drop |= fut_p | fut_a

        # procedure key
        has_pid_col = "procedure_id" in f
        proc_id = clean_text(f["procedure_id"]) if has_pid_col else None
        key_parts: dict[str, pd.Series] = {"patient_id": pid}
        if proc_id is not None:
            blank_id = proc_id.isna().to_numpy() & ~drop
            self.add(
                "error",
                "missing_value",
                blank_id,
                "procedure id is blank",
                self.name("procedure_id"),
            )
            drop |= blank_id
            key_parts["procedure_id"] = proc_id
        else:
            key_parts["procedure_date"] = pdate
            if joint is not None:
                key_parts["joint"] = joint
            if side is not None:
                key_parts["side"] = side
        keyframe = pd.DataFrame(key_parts)
        key = keyframe.groupby(list(key_parts), sort=False, dropna=False).ngroup().to_numpy()

        fields: dict[str, pd.Series] = {"procedure_date": pdate}
        if joint is not None:
            fields["joint"] = joint
        if side is not None:
            fields["side"] = side
        if technique is not None:
            fields["technique"] = technique
        skip = {
            "patient_id",
            "procedure_id",
            ROW,
            SCORE_COL,
            DATE_COL,
            *ASSESSMENT_FIELDS,
            *PROCEDURE_FIELDS,
            *self.fm.assessment_columns,
        }
        covariates = self.covariates([c for c in f.columns if c not in skip], days)
        for c in covariates:
            fields[c] = clean_text(f[c])
        no_key = (pid.isna() | pdate.isna()).to_numpy()
        for c, values in fields.items():
            if c not in key_parts:
                drop |= self.consistent(c, values, key, no_key)

        keep = ~drop
        # duplicates: same procedure, day and instrument
        a = pd.DataFrame(
            {
                "key": key,
                "days_after": days.to_numpy(),
                "instrument": inst.to_numpy(),
                "score": score.to_numpy(),
                "row": f[ROW].to_numpy(),
                "i": np.arange(n),
            }
        )[keep]
        grp = a.groupby(["key", "days_after", "instrument"], sort=False)
        size = grp["score"].transform("size")
        nuniq = grp["score"].transform("nunique")
        conflict = np.zeros(n, dtype=bool)
        conflict[a["i"][(size > 1) & (nuniq > 1)].to_numpy()] = True
        self.add(
            "error",
            "conflicting_duplicate",
            conflict,
            lambda: (
                "score " + score_text.astype(str) + " conflicts with a different score for the "
                "same procedure and instrument on the same day (day "
                + days.map("{:.0f}".format, na_action="ignore").astype(str)
                + ")"
            ),
            f[SCORE_COL],
            score_text,
        )
        dup_extra = np.zeros(n, dtype=bool)
        repeated = a[(size > 1) & (nuniq == 1)]
        extra = repeated["i"][repeated.duplicated(["key", "days_after", "instrument"])]
        dup_extra[extra.to_numpy()] = True
        self.add(
            "warning",
            "duplicate_row",
            dup_extra,
            "repeats an earlier row with the same procedure, day, instrument and score: "
            "row skipped",
            f[SCORE_COL],
            score_text,
        )
        keep &= ~conflict & ~dup_extra

        # assemble
        pf = pd.DataFrame({"key": key, "patient_id": pid, **fields})
        if proc_id is not None:
            pf["procedure_id"] = proc_id
        usable = (~pdate.isna() & ~pid.isna()).to_numpy() & (key >= 0)
        if proc_id is not None:
            usable &= proc_id.notna().to_numpy()
        if self.as_of is not None:
            usable &= ~(pdate > pd.Timestamp(self.as_of)).to_numpy()
        procs = pf[usable].groupby("key", sort=True).first()
        codes = pd.factorize(procs["patient_id"])[0]
        procs.insert(0, "patient", codes)
        procs["procedure_id"] = procs.get(
            "procedure_id", pd.Series(None, index=procs.index, dtype=object)
        )
        for c in covariates:
            num, bad = parse_numbers(procs[c])
            if not bad.any() and num.notna().any():
                procs[c] = num
        key_to_proc = pd.Series(np.arange(len(procs)), index=procs.index)
        self.error_procedures = (
            key_to_proc.reindex(np.unique(key[self.error_rows])).dropna().astype(int).to_numpy()
        )
        procs = procs.reset_index(drop=True).rename_axis("procedure")

        keep &= usable
        assess = pd.DataFrame(
            {
                "procedure": key_to_proc.reindex(key[keep]).to_numpy(),
                "days_after": days[keep].astype(int).to_numpy(),
                "instrument": inst[keep].to_numpy(),
                "score": score[keep].to_numpy(),
            }
        )
        for c in ("visit", *self.fm.assessment_columns):
            if c in f:
                assess[c] = clean_text(f[c])[keep].to_numpy()
        assess["row"] = f[ROW][keep].to_numpy()
        assess = assess.sort_values(["procedure", "days_after", "instrument"], kind="stable")
        self.instruments_note(assess["instrument"])
        return procs, assess.reset_index(drop=True), covariates

    def instruments_note(self, instruments: pd.Series) -> None:
        """A warning when scores are on several instruments: an analysis uses one."""
        counts = instruments.value_counts()
        if len(counts) < 2:
            return
        used = str(counts.index[0])
        each = ", ".join(f"{n:,} {str(k).upper()}" for k, n in counts.items())
        self.p.add(
            "warning",
            "several_instruments",
            self.file,
            f"scores are on {len(counts)} instruments ({each}): an analysis uses one, the most "
            f"frequent ({used.upper()}) unless you choose another (outcomes analyze "
            "--instrument); the others' scores are counted as not used",
        )

    def dates(self, c: str, ambiguous: bool) -> tuple[pd.Series, np.ndarray]:
        f = self.f
        order = self.date_order
        values, bad = parse_dates(f[c], order=order, fmt=self.fm.date_format)
        report = bad
        if ambiguous:  # slashed dates were reported once for the whole file
            text = f[c].astype(str).str.strip()
            report = bad & ~text.str.match(SLASHED).to_numpy()
        hint = (
            f' (the mapping gives format "{self.fm.date_format}")'
            if self.fm.date_format
            else "; write dates as YYYY-MM-DD or set [dates] format in a mapping file"
        )
        col = f[DATE_COL] if c == "assessment_date" else self.name(c)

        def message() -> pd.Series:
            text = f[c].astype(str).str.strip()
            # 31/02/2024, 2024-13-01: the shape of a date, but no such day
            shaped = text.str.fullmatch(_DATE_SHAPE)
            wordy = ~text.str.contains(r"\d")  # "tbc", "unknown"
            return pd.Series(
                np.select(
                    [shaped.to_numpy(), wordy.to_numpy()],
                    [
                        text + " is not a date on the calendar (no such day or month); correct it",
                        text + " is not a date; leave the cell blank if the date is not known",
                    ],
                    default=text + " is not a date" + hint,
                ),
                index=f.index,
            )

        self.add("error", "bad_date", report, message, col, lambda: f[c].astype(str))
        return values, bad

    def consistent(
        self, c: str, values: pd.Series, key: np.ndarray, drop: np.ndarray
    ) -> np.ndarray:
        """Report rows whose procedure-level value differs from the rest of the procedure."""
        v = values.astype("int64") if values.dtype.kind == "M" else values
        d = pd.DataFrame({"key": key, "v": v})[values.notna().to_numpy() & ~drop]
        if d.empty or not (d.groupby("key")["v"].nunique() > 1).any():
            return np.zeros(len(values), dtype=bool)
        counts = d.groupby(["key", "v"], sort=False).size().rename("n").reset_index()
        mode = counts.sort_values("n", ascending=False, kind="stable").drop_duplicates("key")
        expected = d["key"].map(mode.set_index("key")["v"])
        differs = d.index[(d["v"] != expected).to_numpy()]
        mask = np.zeros(len(values), dtype=bool)
        mask[differs] = True
        shown = values.dt.strftime("%Y-%m-%d") if values.dtype.kind == "M" else values.astype(str)
        exp_full = pd.Series(pd.NA, index=values.index, dtype=object)
        exp_shown = (
            expected.astype("int64").astype("datetime64[ns]").dt.strftime("%Y-%m-%d")
            if values.dtype.kind == "M"
            else expected.astype(str)
        )
        exp_full[d.index] = exp_shown.to_numpy()
        self.add(
            "error",
            "inconsistent_procedure",
            mask,
            shown
            + " differs from "
            + exp_full.astype(str)
            + " in the other rows of the same procedure; a procedure-level value must be "
            "the same on every row"
            + (
                ""
                if c in PROCEDURE_FIELDS
                else " (if it changes from visit to visit, list the column under "
                "assessment_columns in a mapping file)"
            ),
            self.name(c),
            shown,
        )
        return mask


def _completeness_warnings(
    procedures: pd.DataFrame, assessments: pd.DataFrame, problems: ProblemCollector, file: str
) -> None:
    """Warn about procedures without a baseline or without any follow-up."""
    g = assessments.groupby("procedure")
    first_day = g["days_after"].min().reindex(procedures.index)
    last_day = g["days_after"].max().reindex(procedures.index)
    first_row = g["row"].min().reindex(procedures.index)
    for rule, mask, msg in (
        (
            "no_baseline",
            ~(first_day <= 0),
            "procedure has no assessment on or before its date (no baseline); it cannot be "
            "analysed",
        ),
        (
            "no_followup",
            ~(last_day > 0),
            "procedure has no assessment after its date (no follow-up)",
        ),
    ):
        if mask.any():
            problems.add(
                "warning",
                rule,
                file,
                msg,
                row=first_row[mask],
                patient=procedures["patient_id"][mask],
                column=None,
            )
