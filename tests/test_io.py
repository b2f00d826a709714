"""Reading files: formats, header spelling, wide layout, identifiers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from outcomes.io import DAYS_PER_MONTH, read_followup, visit_days
from outcomes.mapping import FileMapping
from outcomes.schema import load_cohort

ROWS = [
    ["P1", "2024-01-10", "2024-01-05", 8],
    ["P1", "2024-01-10", "2024-04-10", 3],
]
HEAD = ["patient_id", "procedure_date", "assessment_date", "score"]


@pytest.mark.parametrize(
    ("visit", "days"),
    [
        pytest.param("baseline", 0, id="baseline"),
        pytest.param("14d", 14, id="days"),
        pytest.param("2w", 14, id="weeks"),
        pytest.param("1m", 30, id="1 month = 30.4375 days"),
        pytest.param("3m", 91, id="3 months"),
        pytest.param("6m", 182, id="6 months: whole days, 182.625 rounds down"),
        pytest.param("12m", 365, id="12 months"),
        pytest.param("24m", 730, id="24 months: day 730, two years"),
    ],
)
def test_nominal_visit_days(visit: str, days: int) -> None:
    assert visit_days(visit) == days
    if visit.endswith("m"):
        assert 0 <= int(visit[:-1]) * DAYS_PER_MONTH - visit_days(visit) < 1


def test_semicolon_csv_with_bom_and_windows_line_ends(tmp_path: Path) -> None:
    p = tmp_path / "excel_export.csv"
    text = "\r\n".join([";".join(HEAD)] + [";".join(map(str, r)) for r in ROWS]) + "\r\n"
    p.write_bytes("\ufeff".encode() + text.encode())
    c = load_cohort(p)
    assert c.ok, c.problems.lines()
    assert c.assessments["score"].tolist() == [8.0, 3.0]


def test_cp1252_csv_is_read(tmp_path: Path) -> None:
    p = tmp_path / "latin.csv"
    text = "patient_id,procedure_date,days_after,score,diagnosis\nP1,2024-01-10,0,8,Artrosis é\n"
    p.write_bytes(text.encode("cp1252"))
    c = load_cohort(p)
    assert c.procedures["diagnosis"].tolist() == ["Artrosis é"]


def test_blank_lines_do_not_shift_row_numbers(tmp_path: Path) -> None:
    p = tmp_path / "gaps.csv"
    p.write_text(
        ",".join(HEAD) + "\nP1,2024-01-10,2024-01-05,8\n\n,,,\nP1,2024-01-10,2024-04-10,11\n"
    )
    c = load_cohort(p)
    assert c.problems.errors.table["row"].tolist() == [5]


def test_excel_named_sheet_and_parquet_give_the_same_cohort(tmp_path: Path) -> None:
    frame = pd.DataFrame(ROWS, columns=HEAD)
    frame.to_csv(tmp_path / "a.csv", index=False)
    with pd.ExcelWriter(tmp_path / "a.xlsx") as xw:
        pd.DataFrame({"notes": ["cover sheet"]}).to_excel(xw, sheet_name="Cover", index=False)
        frame.assign(
            procedure_date=pd.to_datetime(frame["procedure_date"]),
            assessment_date=pd.to_datetime(frame["assessment_date"]),
        ).to_excel(xw, sheet_name="Follow-up", index=False)
    frame.to_parquet(tmp_path / "a.parquet")
    ref = load_cohort(tmp_path / "a.csv")
    xl = load_cohort(tmp_path / "a.xlsx", mapping=FileMapping(sheet="Follow-up"))
    pq = load_cohort(tmp_path / "a.parquet")
    for c in (xl, pq):
        assert c.ok
        pd.testing.assert_frame_equal(
            c.assessments.drop(columns="row"), ref.assessments.drop(columns="row")
        )
    assert xl.assessments["row"].tolist() == [2, 3]
    assert pq.assessments["row"].tolist() == [1, 2]


def test_wide_layout_is_melted_with_nominal_days_when_dates_are_missing(tmp_path: Path) -> None:
    p = tmp_path / "wide.csv"
    p.write_text(
        "patient_id,procedure_date,joint,nrs_baseline,nrs_2w,nrs_3m,date_3m,oks_baseline,oks_3m\n"
        "P1,2024-01-10,knee,8,9,3,2024-04-20,20,40\n"
        "P2,2024-02-01,hip,7,,6,,18,\n"
    )
    raw = read_followup(p)
    assert raw.layout == "wide"
    c = load_cohort(p)
    assert c.ok, c.problems.lines()
    got = c.assessments.merge(c.procedures[["patient_id"]], left_on="procedure", right_index=True)
    got = got.sort_values(["patient_id", "instrument", "days_after"])
    assert got[["patient_id", "instrument", "days_after", "score", "visit"]].values.tolist() == [
        ["P1", "nrs", 0, 8.0, "baseline"],
        ["P1", "nrs", 14, 9.0, "2w"],
        ["P1", "nrs", 101, 3.0, "3m"],  # the actual date, not the nominal day 91
        ["P1", "oks", 0, 20.0, "baseline"],
        ["P1", "oks", 101, 40.0, "3m"],  # date_3m is the date of the visit, any instrument
        ["P2", "nrs", 0, 7.0, "baseline"],
        ["P2", "nrs", 91, 6.0, "3m"],
        ["P2", "oks", 0, 18.0, "baseline"],
    ]


def test_wide_errors_name_the_visit_column(tmp_path: Path) -> None:
    p = tmp_path / "wide.csv"
    p.write_text("patient_id,procedure_date,nrs_baseline,nrs_3m\nP1,2024-01-10,8,11\n")
    assert load_cohort(p).problems.errors.lines() == [
        'error: wide.csv row 2 (patient P1), column "nrs_3m": 11 is outside the NRS range 0-10'
    ]


def test_mapping_renames_columns_case_insensitively(tmp_path: Path) -> None:
    p = tmp_path / "clinic.csv"
    p.write_text(
        "Hosp No,Date of RFA,Seen,Pain\nH1,10/01/2024,05/01/2024,8\nH1,10/01/2024,10/04/2024,3\n"
    )
    m = tmp_path / "m.toml"
    m.write_text(
        '[columns]\n"hosp no" = "patient_id"\n"DATE OF RFA" = "procedure_date"\n'
        '"Seen" = "assessment_date"\n"Pain" = "score"\n[dates]\norder = "day-first"\n'
    )
    c = load_cohort(p, mapping=m)
    assert c.ok, c.problems.lines()
    assert c.procedures["procedure_date"].tolist() == [pd.Timestamp("2024-01-10")]
    assert c.assessments["days_after"].tolist() == [-5, 91]


def test_two_columns_meaning_the_same_is_an_error(tmp_path: Path) -> None:
    p = tmp_path / "dup.csv"
    p.write_text("patient_id,Patient ID,procedure_date,days_after,score\nP1,P1,2024-01-10,0,8\n")
    assert load_cohort(p).problems.errors.lines() == [
        'error: dup.csv, column "Patient ID": column "Patient ID" and column "patient_id" both '
        'mean "patient_id"; rename or drop one of them'
    ]
