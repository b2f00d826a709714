"""Spreadsheets kept the way clinics keep them (tests/data/clinic/), one situation each.

Each file loads to the cohort it holds, or is refused in one line that names
the file and says what to do. The files are synthetic and made by
tests/data/clinic/make_clinic_files.py.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outcomes.errors import InputError
from outcomes.schema import load_cohort

CLINIC = Path(__file__).parent / "data" / "clinic"


@pytest.mark.parametrize(
    ("name", "procedures", "assessments", "header", "layout_words"),
    [
        pytest.param(
            "title_notes_blank.csv",
            6,
            18,
            (5,),
            "2 title or note row(s) above the header",
            id="title, note and blank rows above the header",
        ),
        pytest.param(
            "two_row_header.xlsx",
            8,
            32,
            (3, 4),
            "3 summary or sign-off row(s) under the data",
            id="merged group row, footer rows, several sheets",
        ),
        pytest.param(
            "european.csv",
            6,
            12,
            (1,),
            "semicolon-separated, decimal comma, Windows-1252",
            id="semicolons, decimal comma, dotted dates, Windows-1252",
        ),
        pytest.param("old_excel.xls", 5, 15, (1,), 'sheet "Sheet1"', id="Excel 97-2003"),
        pytest.param("epr_export.xls", 5, 15, (1,), "header in row 1", id="HTML saved as .xls"),
    ],
)
def test_file_loads_with_what_was_found_said(
    name: str, procedures: int, assessments: int, header: tuple[int, ...], layout_words: str
) -> None:
    cohort = load_cohort(CLINIC / name)
    assert cohort.ok, cohort.problems.lines()
    assert len(cohort.procedures) == procedures
    assert len(cohort.assessments) == assessments
    found = cohort.sources[0].layout
    assert found is not None and found.header_rows == header
    assert layout_words in " ".join(found.lines())


def test_two_row_header_reads_the_sheet_with_the_data_and_names_the_others() -> None:
    found = load_cohort(CLINIC / "two_row_header.xlsx").sources[0].layout
    assert found is not None
    assert found.sheet == "Follow-up" and found.other_sheets == ("Lists", "Summary")
    assert (found.first_row, found.last_row, found.data_rows) == (5, 12, 8)


def test_european_numbers_and_dates_are_read_as_written() -> None:
    cohort = load_cohort(CLINIC / "european.csv")
    assert set(cohort.assessments["score"]) == {7.5, 3.0}
    first = cohort.procedures.sort_values("patient_id").iloc[0]
    assert first["procedure_date"] == pd.Timestamp("2023-02-01")  # 01.02.2023: day first


@pytest.mark.parametrize(
    ("name", "message"),
    [
        pytest.param("empty.csv", "empty.csv: the file is empty", id="0-byte file"),
        pytest.param(
            "header_only.csv",
            "header_only.csv: has column names (row 1) but no rows of data under them",
            id="header only",
        ),
        pytest.param(
            "password.xlsx",
            "password.xlsx: the workbook is password-protected (encrypted); open it in Excel, "
            "remove the password",
            id="password-protected workbook",
        ),
        pytest.param(
            "truncated.xlsx",
            "truncated.xlsx: the workbook is damaged or incomplete",
            id="truncated workbook",
        ),
    ],
)
def test_unreadable_file_is_refused_in_one_line_saying_what_to_do(name: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        load_cohort(CLINIC / name)
    text = str(info.value)
    assert text.startswith(message) and "\n" not in text


def test_free_text_is_not_used_and_says_so() -> None:
    cohort = load_cohort(CLINIC / "free_text_notes.csv")
    assert "notes" not in cohort.covariates and "notes" not in cohort.procedures
    warned = [x for x in cohort.problems.lines() if "not used, so it reaches no output" in x]
    assert len(warned) == 1 and 'column "notes" holds text' in warned[0]


def _extra_columns_file(tmp_path: Path, **extra: list[object]) -> Path:
    """Two patients in the contract's long format, with extra columns."""
    base = {
        "patient_id": ["P1", "P1", "P2", "P2"],
        "procedure_date": ["2024-01-10"] * 2 + ["2024-02-01"] * 2,
        "days_after": [-1, 91, -1, 91],
        "score": [8, 3, 7, 2],
    }
    path = tmp_path / "extra.csv"
    pd.DataFrame({**base, **extra}).to_csv(path, index=False)
    return path


def test_short_text_that_is_not_a_known_covariate_reaches_no_output(tmp_path: Path) -> None:
    """A carer's name in a short "Social" column, and event text and dates typed into the
    sheet, are not covariates (Table 1 would print them); sex is."""
    path = _extra_columns_file(
        tmp_path,
        Social=["Wife Mary Snodgrass helps"] * 2 + ["Lives alone"] * 2,
        Event=["Died", "Died", "", ""],
        **{"Event date": ["6th Mar 2024"] * 2 + ["", ""]},
        sex=["F", "F", "M", "M"],
    )
    cohort = load_cohort(path)
    assert cohort.covariates == ("sex",)
    # who, when and how to reach someone never reach Table 1, even under a covariate word
    personal = _extra_columns_file(
        tmp_path,
        **{
            "Diagnosis by": ["Dr Smith"] * 2 + ["Dr Jones"] * 2,
            "Date of diagnosis": ["2015-03-01"] * 2 + ["2016-04-01"] * 2,
            "Smoking - lives with": ["wife Mary"] * 2 + ["son Tom"] * 2,
            "Contact": [7700900123] * 2 + [7700900456] * 2,
            "GMC": [4471234] * 2 + [4471235] * 2,
            "Diagnosis": ["Dr Smith's OA"] * 4,
            "Referral source": ["GP"] * 2 + ["Orthopaedics"] * 2,
            "Prior TKR": ["yes"] * 2 + ["no"] * 2,
        },
    )
    assert load_cohort(personal).covariates == ("referral_source", "prior_tkr")
    for column in ("Social", "Event", "Event date"):
        assert column.lower().replace(" ", "_") not in cohort.procedures
    lines = cohort.problems.lines()
    assert any('column "Social" holds text' in x and "reaches no output" in x for x in lines)
    assert any(
        'column "Event" holds events; not used: put them in an events file' in x for x in lines
    )
    assert any('column "Event date" looks like a person\'s detail, a date' in x for x in lines)


def test_unmapped_score_columns_are_an_error_that_points_to_init(tmp_path: Path) -> None:
    """Numbers under "NRS 6 weeks" are scores outcomes cannot place without a mapping: not
    a covariate; where the score column holds no follow-up they are the follow-up, so the
    file is refused with the init hint; beside follow-up scores, a warning."""
    only_baseline = tmp_path / "baseline.csv"
    pd.DataFrame(
        {
            "patient_id": ["P1", "P2"],
            "procedure_date": ["2024-01-10", "2024-02-01"],
            "days_after": [-1, -1],
            "score": [8, 7],
            "NRS 6 weeks": [4, 3],
            "age": [70, 65],
        }
    ).to_csv(only_baseline, index=False)
    cohort = load_cohort(only_baseline)
    assert cohort.covariates == ("age",)
    errors = cohort.problems.errors.table
    assert list(errors["column"]) == ["NRS 6 weeks"]
    assert "run outcomes init FILE" in errors["message"].iloc[0]
    beside = _extra_columns_file(tmp_path, **{"Pre-op NRS": [8, None, 7, None]})
    cohort = load_cohort(beside)
    assert cohort.problems.errors.table.empty and cohort.covariates == ()
    assert any(
        'column "Pre-op NRS" looks like a pain score' in x and "not used" in x
        for x in cohort.problems.lines()
    )


def test_ten_thousand_empty_columns_load_quickly_without_warnings(tmp_path: Path) -> None:
    """20 rows, 10,000 empty columns: one line says they were not used."""
    import time
    import warnings

    head = "patient_id,procedure_date,days_after,score," + ",".join(f"c{j}" for j in range(10_000))
    empty = "," * 9_999
    rows = [
        f"P{i},2024-01-{1 + i:02d},{d},{s},{empty}"
        for i in range(10)
        for d, s in ((-1, 8), (91, 3))
    ]
    path = tmp_path / "wide.csv"
    path.write_text(head + "\n" + "\n".join(rows) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        start = time.perf_counter()
        cohort = load_cohort(path)
        seconds = time.perf_counter() - start
    assert cohort.ok and len(cohort.assessments) == 20
    assert any("10,000 empty column(s) not used" in x for x in cohort.problems.lines())
    assert seconds < 10  # about 1 s here; 36 s before empty columns were set aside


def test_input_files_are_never_written(tmp_path: Path) -> None:
    """Loading reads the bytes only: every corpus file is unchanged afterwards."""
    copied = tmp_path / "clinic"
    shutil.copytree(CLINIC, copied)
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in copied.iterdir()}
    for path in copied.iterdir():
        if path.suffix != ".py":
            try:
                load_cohort(path)
            except InputError:
                pass
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in copied.iterdir()}
    assert json.dumps(before, sort_keys=True) == json.dumps(after, sort_keys=True)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    titles=st.lists(
        st.sampled_from(["Audit 2024", "Notes: NRS 0-10", "", "Prepared by J. Bloggs"]), max_size=5
    ),
    sep=st.sampled_from([",", ";", "\t"]),
    footer=st.lists(st.sampled_from(["Mean", "n = 4", "Checked 01/02/2024", ""]), max_size=3),
)
def test_header_is_found_wherever_it_is(
    tmp_path: Path, titles: list[str], sep: str, footer: list[str]
) -> None:
    """Titles, notes and blank rows above, summary rows below, any separator: same cohort."""
    header = sep.join(["patient_id", "procedure_date", "days_after", "score"])
    data = [
        sep.join([f"P{i}", f"2024-02-{1 + i:02d}", str(d), str(s)])
        for i in range(4)
        for d, s in ((-1, 8), (42, 3), (91, 4))
    ]
    lines = [*titles, header, *data, *footer]
    path = tmp_path / "f.csv"
    path.write_text("\n".join(lines) + "\n")
    cohort = load_cohort(path)
    assert cohort.ok, cohort.problems.lines()
    assert len(cohort.procedures) == 4 and len(cohort.assessments) == 12
    found = cohort.sources[0].layout
    assert found is not None and found.header_rows == (len(titles) + 1,)


def test_header_row_and_covariates_set_in_the_mapping(tmp_path: Path) -> None:
    """[header_row] overrides the rules; a declared covariate is used even if wordy."""
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        'header_row = [3, 4]\ncovariates = ["notes"]\n[excel]\nsheet = "Follow-up"\n'
    )
    cohort = load_cohort(CLINIC / "two_row_header.xlsx", mapping=mapping)
    found = cohort.sources[0].layout
    assert found is not None and found.header_rows == (3, 4) and not found.detected
    assert "set in the mapping" in found.lines()[0]
    declared = tmp_path / "notes.toml"
    declared.write_text('covariates = ["notes"]\n')
    notes = load_cohort(CLINIC / "free_text_notes.csv", mapping=declared)
    assert "notes" in notes.covariates


@pytest.mark.parametrize("value", ["0", '"four"', "[5, 4]", "[1, 2, 3]", "true"])
def test_a_bad_header_row_is_refused(tmp_path: Path, value: str) -> None:
    from outcomes.errors import MappingError
    from outcomes.mapping import load_mapping

    mapping = tmp_path / "m.toml"
    mapping.write_text(f"header_row = {value}\n")
    with pytest.raises(MappingError, match="header_row must be a row number"):
        load_mapping(mapping)


def test_joint_and_technique_must_be_known_words_or_mapped(tmp_path: Path) -> None:
    """A cell is read by the joint or technique word it holds ("Rt knee", "Cooled RF
    per Dr Jane Smith"), keeping only that word; a cell naming none or two is an error
    naming it, and the mapping's [values] reads the clinic's own words."""
    path = _extra_columns_file(
        tmp_path,
        joint=["Rt Knee", "Rt Knee", "Knee and hip", "Knee and hip"],
        technique=["Cooled RF per Dr Jane Smith"] * 2 + ["Laser"] * 2,
    )
    cohort = load_cohort(path)
    errors = cohort.problems.errors.table
    assert sorted(set(errors["column"])) == ["joint", "technique"]
    assert set(errors["row"]) == {4, 5}  # the second procedure's rows
    assert errors["message"].str.contains('"Knee and hip" is not a joint outcomes knows').any()
    assert errors["message"].str.contains("[values.technique]", regex=False).any()
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[values.joint]\n"Knee and hip" = "other"\n[values.technique]\n"Laser" = "other"\n'
    )
    cohort = load_cohort(path, mapping=mapping)
    assert cohort.problems.errors.table.empty
    assert list(cohort.procedures["joint"]) == ["knee", "other"]
    assert list(cohort.procedures["technique"]) == ["cooled_rfa", "other"]


def test_a_missing_marker_in_a_score_cell_is_named_as_such(tmp_path: Path) -> None:
    """ "DNA" (did not attend) is no score: the warning says so, not that the cell is blank."""
    path = _extra_columns_file(tmp_path)
    text = path.read_text().replace(",91,3", ",91,DNA")
    path.write_text(text)
    lines = load_cohort(path).problems.lines()
    assert any(
        '"DNA" is read as no score (did not attend, not done, n/a): this visit is not used' in x
        for x in lines
    )
