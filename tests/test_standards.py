"""Audit standards: evaluation against the analysis, and clear errors for a bad file."""

from __future__ import annotations

from pathlib import Path

import pytest

from outcomes import analyze
from outcomes.errors import InputError
from outcomes.standards import DEFAULT_STANDARDS, Standard, evaluate_standards, load_standards

SAMPLE = Path(__file__).parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def result():
    return analyze(SAMPLE / "followup_long.csv", events=SAMPLE / "events.csv", n_boot=50)


def test_defaults_are_evaluated_from_the_analysis_numbers(result) -> None:
    t = evaluate_standards(result).set_index("id")
    assert list(t.index) == [s.id for s in DEFAULT_STANDARDS]
    r3 = result.responder_rates.set_index("months").loc[3.0]
    assert t.loc["responders_3m", "achieved"] == r3["rate"]
    assert t.loc["responders_3m", "n"] == r3["assessed"]
    assert t.loc["responders_3m", "met"] == (r3["rate"] >= 0.5)
    comp = result.complications().set_index("complication").loc["any serious"]
    assert t.loc["serious_complications", "achieved"] == comp["rate"]
    assert t.loc["serious_complications", "met"] == (comp["rate"] <= 0.02)


def test_met_and_conclusive_follow_the_target(result) -> None:
    rate = float(result.responder_rates.set_index("months").loc[3.0, "rate"])
    lo = float(result.responder_rates.set_index("months").loc[3.0, "lower"])
    easy = Standard("easy", "easy", "responder_rate", ">=", lo / 2, months=3.0)
    hard = Standard("hard", "hard", "responder_rate", ">=", min(rate + 0.01, 1.0), months=3.0)
    t = evaluate_standards(result, (easy, hard)).set_index("id")
    assert t.loc["easy", "met"] and t.loc["easy", "conclusive"]
    assert not t.loc["hard", "met"] and not t.loc["hard", "conclusive"]


def test_standards_file_round_trip(tmp_path: Path, result) -> None:
    f = tmp_path / "standards.csv"
    f.write_text(
        "id,description,measure,direction,target,months,detail\n"
        "r6,Half respond at 6 months,responder_rate,>=,0.5,6,\n"
        "inf,Infections under 1%,complication_rate,<=,0.01,,infection\n"
    )
    loaded = load_standards(f)
    assert [s.id for s in loaded] == ["r6", "inf"]
    t = evaluate_standards(result, f).set_index("id")
    assert t.loc["inf", "achieved"] == 1 / 300  # one infection in the sample's 300 procedures
    assert t.loc["inf", "met"]


def test_bad_standards_file_names_row_column_and_value(tmp_path: Path) -> None:
    f = tmp_path / "standards.csv"
    f.write_text(
        "id,description,measure,direction,target,months\n"
        "a,x,responder_rat,>=,0.5,3\n"
        "b,x,responder_rate,=>,half,3\n"
        "c,x,relief_probability,>=,0.5,\n"
    )
    with pytest.raises(InputError) as err:
        load_standards(f)
    lines = str(err.value).splitlines()
    assert "standards.csv: row 2, column 'measure': 'responder_rat' is not one of" in lines[0]
    assert "standards.csv: row 3, column 'direction': '=>' is not '>=' or '<='" in lines[1]
    assert "standards.csv: row 3, column 'target': 'half' is not a number" in lines[2]
    assert (
        "standards.csv: row 4, column 'months': relief_probability needs a time point" in lines[3]
    )
    assert len(lines) == 4
