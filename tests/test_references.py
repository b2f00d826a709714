"""The literature table and its validation (outcomes.references)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from outcomes.errors import InputError, MissingFileError
from outcomes.references import COLUMNS, MEASURES, ReferenceTableError, load_references

SAMPLE = Path(__file__).parent.parent / "data" / "sample"


def test_shipped_table_loads_and_every_row_is_sourced() -> None:
    refs = load_references()
    assert list(refs.columns) == list(COLUMNS)
    assert refs["id"].is_unique
    assert (refs["citation"] != "").all()
    assert (refs["source"] != "").all()
    assert refs["measure"].isin(MEASURES).all()
    assert refs["measure"].value_counts().to_dict() == {
        "responder_rate": 20,
        "mean_score": 8,
        "mean_duration_months": 3,
        "relief_probability": 1,
        "qualitative": 1,
    }


def test_shipped_table_covers_every_study_of_the_literature_file() -> None:
    studies = set(load_references()["study"])
    assert studies == {
        "davis2018",
        "davis2019",
        "chen2020a",
        "chen2020b",
        "kapural2019",
        "pmc9441169",
        "mccormick2018",
        "kose2022",
        "yildiz2023",
        "shaikh2023",
        "kanjanapanang2025",
        "nice2023",
        "hip2021",
        "karaoglu2024",
        "pinto_bjane",
    }


def test_pooled_figures_and_nice_statement_as_published() -> None:
    refs = load_references().set_index("id")
    pooled = refs.loc[["kanjanapanang2025_6m", "kanjanapanang2025_12m", "kanjanapanang2025_24m"]]
    assert pooled["months"].tolist() == [6, 12, 24]
    assert pooled["value"].tolist() == [0.51, 0.43, 0.58]
    assert pooled["lower"].tolist() == [0.49, 0.40, 0.48]
    assert pooled["upper"].tolist() == [0.54, 0.47, 0.67]
    assert (pooled["technique"] == "").all()
    nice = refs.loc["nice2023_2y"]
    assert nice["measure"] == "qualitative" and math.isnan(nice["value"])
    assert "up to 2 years" in nice["note"]


def test_control_arms_are_marked_and_have_no_technique() -> None:
    refs = load_references()
    control = refs[refs["note"].str.startswith("control arm:")]
    assert sorted(control["id"]) == ["chen2020a_6m_hyaluronic", "davis2018_6m_steroid"]
    assert (control["technique"] == "").all()


def test_rates_are_proportions_and_empty_numbers_stay_empty() -> None:
    refs = load_references()
    rates = refs[refs["measure"].isin(["responder_rate", "relief_probability"])]
    assert rates["value"].between(0, 1).all()
    # the file gives no n per arm for these: left empty, not guessed
    no_n = refs.set_index("id").loc[["mccormick2018_6m_block", "chen2020b_12m"], "n_treated"]
    assert no_n.isna().all()


# --------------------------------------------------------------------------- validation

GOOD = {
    "id": "a_6m",
    "study": "a2020",
    "citation": "A et al. 2020, J Pain",
    "doi_pmid": "",
    "design": "RCT",
    "joint": "knee",
    "technique": "cooled_rfa",
    "n_treated": "50",
    "responder_definition": ">=50% NRS reduction",
    "measure": "responder_rate",
    "months": "6",
    "value": "0.6",
    "lower": "0.5",
    "upper": "0.7",
    "denominator": "",
    "source": "abstract",
    "note": "",
}


def _write(path: Path, rows: list[dict[str, str]], drop: str | None = None) -> Path:
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    if drop:
        frame = frame.drop(columns=drop)
    frame.to_csv(path, index=False)
    return path


def test_a_good_table_loads_with_types(tmp_path: Path) -> None:
    refs = load_references(_write(tmp_path / "refs.csv", [GOOD]))
    row = refs.iloc[0]
    assert row["value"] == 0.6 and row["months"] == 6.0 and row["n_treated"] == 50
    assert str(refs["n_treated"].dtype) == "Int64"


BROKEN = [
    pytest.param(
        {"citation": ""},
        'error: refs.csv row 2, column "citation": empty: every row needs a citation '
        "(authors, year, journal)",
        id="missing citation",
    ),
    pytest.param(
        {"source": " "},
        'error: refs.csv row 2, column "source": empty: every row needs a source (what the '
        "figure was read from, e.g. the abstract)",
        id="missing source",
    ),
    pytest.param(
        {"measure": "rate"},
        "error: refs.csv row 2, column \"measure\": 'rate' is not a known measure: use one of "
        "responder_rate, mean_duration_months, median_duration_months, relief_probability, "
        "mean_score, qualitative",
        id="unknown measure",
    ),
    pytest.param(
        {"technique": "laser"},
        "error: refs.csv row 2, column \"technique\": 'laser' is not a known technique: use "
        "conventional_rfa, cooled_rfa, pulsed_rf, chemical, or leave it empty when mixed or "
        "not specified",
        id="unknown technique",
    ),
    pytest.param(
        {"months": "six"},
        "error: refs.csv row 2, column \"months\": 'six' is not a number: give months since "
        "the procedure, e.g. 24, or leave it empty",
        id="months not a number",
    ),
    pytest.param(
        {"months": "-6"},
        "error: refs.csv row 2, column \"months\": '-6' is negative: months since the "
        "procedure cannot be below 0",
        id="negative months",
    ),
    pytest.param(
        {"value": "60%", "lower": "", "upper": ""},
        "error: refs.csv row 2, column \"value\": '60%' is not a number: give a proportion "
        "(0.58 for 58%), months or points",
        id="value not a number",
    ),
    pytest.param(
        {"n_treated": "50.5"},
        "error: refs.csv row 2, column \"n_treated\": '50.5' is not a whole number of "
        "patients: give the number treated, e.g. 170, or leave it empty",
        id="n not whole",
    ),
    pytest.param(
        {"value": "60", "lower": "", "upper": ""},
        "error: refs.csv row 2, column \"value\": '60' is outside 0-1: give rates as "
        "proportions (0.58 for 58%)",
        id="rate out of range",
    ),
    pytest.param(
        {"measure": "mean_duration_months", "value": "-2.6", "lower": "", "upper": ""},
        "error: refs.csv row 2, column \"value\": '-2.6' is negative: a duration is months >= 0",
        id="negative duration",
    ),
    pytest.param(
        {"lower": "0.65"},
        "error: refs.csv row 2, column \"lower\": '0.65' is above the value '0.6': the "
        "interval must hold it",
        id="lower above value",
    ),
    pytest.param(
        {"upper": "0.55"},
        "error: refs.csv row 2, column \"upper\": '0.55' is below the value '0.6': the "
        "interval must hold it",
        id="upper below value",
    ),
    pytest.param(
        {"value": "", "lower": "", "upper": ""},
        'error: refs.csv row 2, column "value": empty: a responder_rate row needs a value '
        "(only qualitative rows have none)",
        id="value missing",
    ),
    pytest.param(
        {"measure": "qualitative"},
        "error: refs.csv row 2, column \"value\": '0.6' given for a qualitative row: leave "
        "value empty and quote the statement in note",
        id="qualitative with a value",
    ),
]


@pytest.mark.parametrize(("change", "line"), BROKEN)
def test_each_rule_names_file_row_column_and_value(
    tmp_path: Path, change: dict[str, str], line: str
) -> None:
    path = _write(tmp_path / "refs.csv", [{**GOOD, **change}])
    with pytest.raises(ReferenceTableError) as info:
        load_references(path)
    assert str(info.value).splitlines() == [line]
    assert isinstance(info.value, InputError) and isinstance(info.value, ValueError)


def test_missing_column(tmp_path: Path) -> None:
    path = _write(tmp_path / "refs.csv", [GOOD], drop="source")
    with pytest.raises(ReferenceTableError) as info:
        load_references(path)
    assert str(info.value).splitlines() == [
        'error: refs.csv, column "source": the column is missing: add it (its cells may be empty)'
    ]


def test_duplicate_id(tmp_path: Path) -> None:
    path = _write(tmp_path / "refs.csv", [GOOD, {**GOOD, "months": "12"}])
    with pytest.raises(ReferenceTableError) as info:
        load_references(path)
    assert str(info.value).splitlines() == [
        "error: refs.csv row 3, column \"id\": 'a_6m' is used again (first on row 2): "
        "ids must be unique"
    ]


def test_every_problem_is_collected_in_one_pass(tmp_path: Path) -> None:
    rows = [
        {**GOOD, "citation": ""},
        {**GOOD, "id": "b", "measure": "rate"},
        {**GOOD, "id": "c", "value": "60", "lower": "", "upper": ""},
        {**GOOD, "id": "c", "months": "six"},
    ]
    with pytest.raises(ReferenceTableError) as info:
        load_references(_write(tmp_path / "refs.csv", rows))
    lines = str(info.value).splitlines()
    assert [line.split(",")[0] for line in lines] == [
        "error: refs.csv row 2",
        "error: refs.csv row 3",
        "error: refs.csv row 4",
        "error: refs.csv row 5",
        "error: refs.csv row 5",
    ]
    assert set(info.value.problems.table["rule"]) == {
        "missing_text",
        "unknown_measure",
        "rate_out_of_range",
        "duplicate_id",
        "not_a_number",
    }


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError):
        load_references(tmp_path / "nowhere.csv")
    bad = tmp_path / "refs.csv"
    bad.write_bytes(b"\xff\xfe\x00id")
    with pytest.raises(InputError, match=r"refs\.csv: cannot be read"):
        load_references(bad)


# --------------------------------------------------------------------------- compare
