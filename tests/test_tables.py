"""Report tables: the numbers are the analysis' numbers; small counts can be hidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from outcomes import analyze, tables
from outcomes.summary import format_estimate, methods_paragraph

SAMPLE = Path(__file__).parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def result():
    return analyze(
        SAMPLE / "followup_long.csv", events=SAMPLE / "events.csv", by="joint", n_boot=20
    )


@pytest.mark.parametrize(
    ("n", "shown"), [(0, "0"), (1, "<5"), (4, "<5"), (5, "5"), (1234, "1,234")]
)
def test_count_suppresses_one_to_four(n: int, shown: str) -> None:
    assert tables.count(n, suppress_small=True) == shown
    assert tables.count(n) == f"{n:,d}"


def test_table_one_counts_procedures_per_joint(result) -> None:
    t = tables.table_one(result, by="joint")
    per_joint = result.cohort.procedures["joint"].value_counts()
    for joint, n in per_joint.items():
        assert t.loc["Procedures", joint.capitalize()] == str(n)
    assert t.loc["Procedures", "All"] == str(len(result.cohort.procedures))
    assert t.loc["Patients", "All"] == str(result.counts["patients"])
    assert "Joint: Knee" not in t.index  # the grouping column is not repeated as rows


def test_small_complication_counts_and_their_percentages_are_hidden(result) -> None:
    plain = tables.complications_table(result).set_index("complication")
    hidden = tables.complications_table(result, suppress_small=True).set_index("complication")
    assert plain.loc["Nerve injury", "procedures"] == "1"
    assert hidden.loc["Nerve injury", "procedures"] == "<5"
    assert hidden.loc["Nerve injury", "percent (exact 95% CI)"].startswith("suppressed")
    assert hidden.loc["Swelling", "procedures"] == plain.loc["Swelling", "procedures"] == "12"


def test_data_quality_shows_rules_and_rows_not_patients_or_values(result) -> None:
    t = tables.data_quality(result.cohort)
    assert set(t.columns) == {"severity", "problem", "count", "where", "consequence"}
    problems = result.cohort.problems.table
    assert t["count"].astype(int).sum() == len(problems)
    text = t.to_string()
    for pid in problems["patient"].dropna().unique():
        assert str(pid) not in text


def test_sensitivity_rows_are_reanalyses(result) -> None:
    t = tables.sensitivity(result, n_boot=20).set_index("scenario")
    assert t.loc["As analysed", "median, months"] == format_estimate(result.curve.median, unit="")
    km = analyze(result.cohort, method="km", n_boot=0)
    assert t.loc["Naive Kaplan-Meier (biased)", "median, months"] == format_estimate(
        km.curve.median, unit=""
    )
    # the 30% definition finds at least as many initial responders as the 50% one
    assert int(t.loc["Relief: >= 30% reduction", "analysed"]) >= int(
        t.loc["Relief: >= 50% reduction", "analysed"]
    )


def test_methods_paragraph_follows_the_settings(result) -> None:
    text = methods_paragraph(result)
    assert "at least 50% from baseline" in text
    assert f"{result.curve.n_boot} resamples" in text
    assert "jackknife standard error" in text  # the restricted mean's interval
    assert "compared by joint" in text
    other = analyze(result.cohort, method="km", n_boot=0)
    assert "Kaplan-Meier" in methods_paragraph(other)
    assert "compared by" not in methods_paragraph(other)


def test_regression_table_names_terms_and_reference_levels(result) -> None:
    reg = analyze(result.cohort, covariates=("technique", "age"), n_boot=0).regression
    t = tables.regression_table(reg)
    assert len(t) == len(reg)
    ref = reg.attrs["reference_levels"]["technique"]
    first = reg.iloc[0]
    assert t.loc[0, "term"].startswith("Technique: ")
    assert ref == "cooled_rfa"  # the commonest technique in the sample is the reference
    assert t.loc[0, "term"].endswith("(vs Cooled RFA)")
    assert t.loc[0, "time ratio (95% CI)"] == (
        f"{first['time_ratio']:.2f} ({first['lower']:.2f}-{first['upper']:.2f})"
    )
    assert t.loc[len(t) - 1, "term"] == "Age"


def test_a_value_the_data_do_not_identify_is_marked_with_its_range(tmp_path) -> None:
    """Visits on days 30 and 365 only: S at 6 months (day 182) lies in (30, 365], unknown."""
    from outcomes.analysis import analyze
    from outcomes.tables import NOT_IDENTIFIED, landmark_table

    rows = ["patient_id,procedure_date,days_after,score"]
    for i in range(40):
        lost = i % 2 == 0
        rows += [f"P{i},2024-01-{1 + i % 28:02d},-3,8", f"P{i},2024-01-{1 + i % 28:02d},30,2"]
        rows.append(f"P{i},2024-01-{1 + i % 28:02d},365,{7 if lost else 2}")
    (tmp_path / "f.csv").write_text("\n".join(rows) + "\n")
    result = analyze(tmp_path / "f.csv", landmarks_months=(1, 6), n_boot=20)
    table = landmark_table(result)
    at6 = table.set_index("months").loc["6", "still in relief (estimated)"]
    assert NOT_IDENTIFIED in at6 and "data allow 50-100%" in at6
    assert NOT_IDENTIFIED not in table.set_index("months").loc["1", "still in relief (estimated)"]
    assert table.attrs["footnote"].startswith(NOT_IDENTIFIED)
