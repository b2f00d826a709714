"""The corpus of broken files in tests/data/bad/: each gets its own clear message.

Each case names the file, the rule it breaks and the exact line a user sees.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from outcomes.errors import InputError, MappingError, MissingFileError
from outcomes.schema import load_cohort

DATA = Path(__file__).parent / "data"
BAD = DATA / "bad"

FOLLOWUP_CASES = [
    pytest.param(
        "missing_column.csv",
        'error: missing_column.csv, column "procedure_date": required column "procedure_date" '
        'is missing (found: "patient_id", "proc date", "assessment_date", "score"); rename it, '
        'or map your column in a mapping file ([columns] "Your name" = "procedure_date")',
        id="required column missing",
    ),
    pytest.param(
        "score_out_of_range.csv",
        'error: score_out_of_range.csv row 3 (patient P1), column "score": '
        "12 is outside the NRS range 0-10",
        id="NRS score above 10",
    ),
    pytest.param(
        "vas_out_of_range.csv",
        'error: vas_out_of_range.csv row 3 (patient P1), column "score": '
        "120 is outside the VAS range 0-100",
        id="VAS score above 100, instrument spelled in capitals",
    ),
    pytest.param(
        "score_not_a_number.csv",
        'error: score_not_a_number.csv row 3 (patient P1), column "score": seven is not a number',
        id="score is text",
    ),
    pytest.param(
        "bad_date.csv",
        'error: bad_date.csv row 3 (patient P1), column "assessment_date": 2024-02-30 is not a '
        "date on the calendar (no such day or month); correct it",
        id="impossible date",
    ),
    pytest.param(
        "ambiguous_dates.csv",
        "error: ambiguous_dates.csv: dates such as '03/04/2024' could be day-first or "
        'month-first; say which in a mapping file ([dates] order = "day-first" or '
        '"month-first") and pass it with --mapping',
        id="slashed dates ambiguous",
    ),
    pytest.param(
        "inconsistent_dates.csv",
        "error: inconsistent_dates.csv: dates are written both day-first ('13/01/2024') and "
        "month-first ('04/13/2024'); make them consistent, or give an explicit format in a "
        'mapping file: [dates] format = "%d/%m/%Y"',
        id="day-first and month-first mixed",
    ),
    pytest.param(
        "conflicting_duplicate.csv",
        'error: conflicting_duplicate.csv row 4 (patient P1), column "score": score 5 conflicts '
        "with a different score for the same procedure and instrument on the same day (day 91)",
        id="two scores on one day",
    ),
    pytest.param(
        "inconsistent_procedure.csv",
        'error: inconsistent_procedure.csv row 4 (patient P1), column "technique": pulsed_rf '
        "differs from cooled_rfa in the other rows of the same procedure; a procedure-level "
        "value must be the same on every row",
        id="technique varies within a procedure",
    ),
    pytest.param(
        "unknown_instrument.csv",
        'error: unknown_instrument.csv row 2 (patient P1), column "instrument": bpi is not a '
        "known instrument (koos, nrs, oks, vas, womac); declare it in a mapping file under "
        "[instruments.NAME]",
        id="instrument not registered",
    ),
    pytest.param(
        "bad_side.csv",
        'error: bad_side.csv row 2 (patient P1), column "side": bilateral is not left or right; '
        "enter each side of a bilateral procedure as its own procedure",
        id="side is bilateral",
    ),
    pytest.param(
        "blank_patient.csv",
        'error: blank_patient.csv row 3, column "patient_id": patient id is blank',
        id="patient id blank",
    ),
    pytest.param(
        "days_after_fraction.csv",
        'error: days_after_fraction.csv row 3 (patient P1), column "days_after": 12.5 is not a '
        "whole number of days",
        id="days_after not whole",
    ),
]


@pytest.mark.parametrize(("name", "line"), FOLLOWUP_CASES)
def test_bad_followup_file_gets_its_message(name: str, line: str) -> None:
    cohort = load_cohort(BAD / name)
    lines = cohort.problems.lines()
    assert line in lines
    assert not cohort.ok


@pytest.mark.parametrize(("name", "line"), FOLLOWUP_CASES[5:7])
def test_date_order_problem_is_reported_once_not_per_row(name: str, line: str) -> None:
    cohort = load_cohort(BAD / name)
    assert cohort.problems.lines() == [line]


def test_errors_do_not_also_raise_completeness_warnings() -> None:
    """A procedure whose only follow-up row is broken is not also called 'no follow-up'."""
    cohort = load_cohort(BAD / "score_out_of_range.csv")
    assert "no_followup" not in set(cohort.problems.table["rule"])


EVENT_CASES = [
    pytest.param(
        "events_unknown_procedure.csv",
        'error: events_unknown_procedure.csv row 3 (patient P7), column "procedure_date": this '
        "event's patient and procedure_date match no procedure in the follow-up file",
        id="event for unknown procedure",
    ),
    pytest.param(
        "events_unknown_event.csv",
        'error: events_unknown_event.csv row 2 (patient P1), column "event": amputation is not '
        "a known event (repeat_procedure, surgery, death, withdrawal, complication); name it "
        'in a mapping file: [events.synonyms] "your word" = "complication" (or another of those)',
        id="unknown event kind",
    ),
    pytest.param(
        "events_blank_date.csv",
        'error: events_blank_date.csv row 2 (patient P1), column "event_date": event date is blank',
        id="event date blank",
    ),
]


@pytest.mark.parametrize(("name", "line"), EVENT_CASES)
def test_bad_events_file_gets_its_message(name: str, line: str) -> None:
    cohort = load_cohort(DATA / "minimal.csv", events=BAD / name)
    assert line in cohort.problems.lines()


@pytest.mark.parametrize(
    ("name", "error", "text"),
    [
        pytest.param(
            "not_excel.xlsx",
            InputError,
            'not_excel.xlsx: is not an Excel workbook; save it from Excel as "Excel '
            'Workbook (.xlsx)", or export it as CSV',
            id="text file named .xlsx",
        ),
        pytest.param(
            "unsupported.json",
            InputError,
            "unsupported.json: unsupported file type '.json'; use CSV (.csv), Excel "
            "(.xlsx or .xls) or Parquet (.parquet)",
            id="JSON file",
        ),
        pytest.param("does_not_exist.csv", MissingFileError, "file not found", id="missing file"),
    ],
)
def test_unreadable_file_raises_one_clear_error(name: str, error: type, text: str) -> None:
    with pytest.raises(error) as info:
        load_cohort(BAD / name)
    assert text in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        pytest.param(
            "mapping_unknown_key.toml",
            "mapping_unknown_key.toml: unknown key(s) 'colour'",
            id="unknown key",
        ),
        pytest.param(
            "mapping_not_toml.toml", "mapping_not_toml.toml: not valid TOML", id="broken TOML"
        ),
    ],
)
def test_bad_mapping_file(name: str, text: str) -> None:
    with pytest.raises(MappingError, match=text.replace("(", r"\(").replace(")", r"\)")):
        load_cohort(DATA / "minimal.csv", mapping=BAD / name)


def test_input_files_are_never_modified() -> None:
    files = sorted(BAD.iterdir())
    before = {f: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}
    mtimes = {f: f.stat().st_mtime_ns for f in files}
    for f in files:
        if f.suffix == ".toml":
            continue
        try:
            load_cohort(f) if not f.name.startswith("events_") else load_cohort(
                DATA / "minimal.csv", events=f
            )
        except InputError:
            pass
    assert {f: hashlib.sha256(f.read_bytes()).hexdigest() for f in files} == before
    assert {f: f.stat().st_mtime_ns for f in files} == mtimes
