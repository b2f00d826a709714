"""Visit labels as clinics write them (outcomes.visits), and long sheets that only have them."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outcomes.io import visit_days
from outcomes.schema import load_cohort
from outcomes.visits import canonical_visit


@pytest.mark.parametrize(
    ("label", "canonical", "day"),
    [
        pytest.param("Pre-op", "baseline", 0, id="pre-op"),
        pytest.param("Pre-procedure", "baseline", 0, id="pre-procedure"),
        pytest.param("BASELINE", "baseline", 0, id="baseline, capitals"),
        pytest.param("6/52", "6w", 42, id="UK weeks"),
        pytest.param("3/12", "3m", 91, id="UK months"),
        pytest.param("12/12", "12m", 365, id="UK 12 months"),
        pytest.param("24/12", "24m", 730, id="UK 24 months: day 730"),
        pytest.param("10/7", "10d", 10, id="UK days"),
        pytest.param("2 wk", "2w", 14, id="2 wk"),
        pytest.param("6 weeks", "6w", 42, id="6 weeks"),
        pytest.param("3 mo", "3m", 91, id="3 mo"),
        pytest.param("1 yr", "12m", 365, id="1 yr"),
        pytest.param("Week 6", "6w", 42, id="unit first"),
        pytest.param("12/12 f/u", "12m", 365, id="with f/u"),
        pytest.param("6 months post", "6m", 182, id="with post"),
    ],
)
def test_visit_labels_and_their_days(label: str, canonical: str, day: int) -> None:
    assert canonical_visit(label) == canonical
    assert visit_days(canonical) == day


@pytest.mark.parametrize("label", ["Name", "% improvement 6/52", "", "6/53", "soon", "0/52"])
def test_other_text_is_not_a_visit(label: str) -> None:
    assert canonical_visit(label) is None


@given(
    n=st.integers(1, 104),
    spelling=st.sampled_from(["{n}/52", "{n} wks", "{n} weeks", "Week {n}", "{n}w", "{n} WK"]),
)
def test_every_spelling_of_weeks_is_the_same_visit(n: int, spelling: str) -> None:
    assert canonical_visit(spelling.format(n=n)) == f"{n}w"


def _long(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "long.csv"
    path.write_text("patient_id,procedure_date,visit,score,instrument\n" + "\n".join(rows) + "\n")
    return path


def test_a_long_sheet_with_visit_labels_and_no_dates_uses_their_nominal_days(
    tmp_path: Path,
) -> None:
    rows = [
        f"P{i},2024-03-0{i + 1},{v},{s},nrs"
        for i in range(3)
        for v, s in (("Pre-op", 8), ("6/52", 3), ("3/12", 4), ("12/12", 7))
    ]
    cohort = load_cohort(_long(tmp_path, rows))
    assert cohort.ok, cohort.problems.lines()
    assert sorted(set(cohort.assessments["days_after"])) == [0, 42, 91, 365]


def test_a_label_that_is_not_a_visit_is_an_error_naming_it(tmp_path: Path) -> None:
    rows = ["P1,2024-03-01,Pre-op,8,nrs", "P1,2024-03-01,soon,3,nrs"]
    cohort = load_cohort(_long(tmp_path, rows))
    (line,) = [x for x in cohort.problems.lines() if "bad_visit" in x or "not a visit" in x]
    assert 'long.csv row 3 (patient P1), column "visit": "soon" is not a visit label' in line


def test_a_visit_dated_long_before_its_procedure_is_reported_not_dropped_silently(
    tmp_path: Path,
) -> None:
    path = tmp_path / "early.csv"
    path.write_text(
        "patient_id,procedure_date,assessment_date,score\n"
        "P1,2024-03-01,2024-02-25,8\nP1,2024-03-01,2023-06-01,3\nP1,2024-03-01,2024-06-01,4\n"
    )
    cohort = load_cohort(path)
    (line,) = [x for x in cohort.problems.lines() if "before its procedure" in x]
    assert line.startswith("warning: early.csv row 3") and "274 days before" in line


def test_scores_on_a_second_instrument_are_counted_not_dropped_silently(tmp_path: Path) -> None:
    """The 12-month score on VAS, the others on NRS: validate says so, analyze counts them."""
    from outcomes.analysis import analyze

    path = tmp_path / "wide.csv"
    rows = [f"P{i},2024-01-{1 + i:02d},knee,left,8,3,4,{30 + i}" for i in range(20)]
    path.write_text(
        "patient_id,procedure_date,joint,side,nrs_baseline,nrs_6w,nrs_3m,vas_12m\n"
        + "\n".join(rows)
        + "\n"
    )
    cohort = load_cohort(path)
    (line,) = [x for x in cohort.problems.lines() if "instruments" in x]
    assert "60 NRS, 20 VAS" in line
    counts = analyze(cohort, n_boot=0).counts
    assert counts["scores_not_used"]["other_instrument"] == {"vas": 20}


def test_a_visit_whose_date_contradicts_its_label_is_reported(tmp_path: Path) -> None:
    """ "3/12" dated 30 days before the procedure would become the baseline: an error.
    "6/52" at day 583 and "Pre-op" after the procedure are used at their dates, with a
    warning naming the row; "12/12" at day 400 is a late visit, not a problem."""
    path = tmp_path / "dated.csv"
    path.write_text(
        "patient_id,procedure_date,visit,assessment_date,score,instrument\n"
        "P1,2024-03-01,3/12,2024-01-31,2,nrs\n"
        "P1,2024-03-01,6/52,2025-10-05,3,nrs\n"
        "P2,2024-03-01,Pre-op,2024-03-20,8,nrs\n"
        "P2,2024-03-01,12/12,2025-04-04,4,nrs\n"
    )
    cohort = load_cohort(path)
    lines = [x for x in cohort.problems.lines() if "visit " in x and "is dated" in x]
    assert lines == [
        'error: dated.csv row 2 (patient P1), column "assessment_date": visit "3/12" is dated 30 '
        "days before its procedure; correct the date or the visit label",
        'warning: dated.csv row 3 (patient P1), column "assessment_date": visit "6/52" is dated '
        "583 days after its procedure, far from the visit's own day (42); used at its date: "
        "check the date",
        'warning: dated.csv row 4 (patient P2), column "assessment_date": visit "Pre-op" is '
        "dated 19 days after its procedure; used as a follow-up score at its date: check the "
        "date",
    ]


def test_a_follow_up_visit_dated_far_too_early_is_a_warning(tmp_path: Path) -> None:
    """ "12/12" at day 30 is used at day 30, with a warning; "1/7" on the procedure day is
    an error that says so in those words."""
    path = tmp_path / "early.csv"
    path.write_text(
        "patient_id,procedure_date,visit,assessment_date,score,instrument\n"
        "P1,2024-03-01,Pre-op,2024-03-01,8,nrs\n"
        "P1,2024-03-01,12/12,2024-03-31,3,nrs\n"
        "P2,2024-03-01,1/7,2024-03-01,4,nrs\n"
    )
    lines = [x for x in load_cohort(path).problems.lines() if "is dated" in x]
    assert lines == [
        'error: early.csv row 4 (patient P2), column "assessment_date": visit "1/7" is dated '
        "on the procedure day; correct the date or the visit label",
        'warning: early.csv row 3 (patient P1), column "assessment_date": visit "12/12" is '
        "dated 30 days after its procedure, far from the visit's own day (365); used at its "
        "date: check the date",
    ]
