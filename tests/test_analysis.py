"""analyze(): counts, JSON output without identifiers, groups, and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from outcomes.analysis import analyze
from outcomes.endpoints import ReliefDefinition
from outcomes.errors import OptionError
from outcomes.schema import load_cohort

SAMPLE = Path(__file__).parents[1] / "data" / "sample"
LONG, EVENTS = SAMPLE / "followup_long.csv", SAMPLE / "events.csv"


@pytest.fixture(scope="module")
def result():
    return analyze(LONG, events=EVENTS, by="technique", n_boot=50)


def test_counts_add_up(result) -> None:
    c = result.counts
    assert c["procedures"] == 300 and c["patients"] == 247
    assert c["analysed"] + sum(c["excluded"].values()) == c["procedures"]
    assert c["losses"] + c["censored"] == c["analysed"]
    assert c["initial_responders"] == c["analysed"]  # population = responders
    relief = result.relief
    assert c["losses"] == int(relief["event"].isin(["loss", "repeat_procedure"]).sum())


def test_to_dict_is_json_with_the_documented_keys_and_no_identifiers(result) -> None:
    d = result.to_dict()
    text = json.dumps(d, allow_nan=False)  # NaN would not be valid JSON
    for key in (
        "outcomes_version",
        "input",
        "definition",
        "method",
        "counts",
        "median_months",
        "relief_at",
        "rmst",
        "responder_rate_at",
        "groups",
        "group_test",
    ):
        assert key in d
    assert {"estimate", "lower", "upper"} <= set(d["median_months"])
    assert [r["months"] for r in d["relief_at"]] == [3, 6, 12, 18, 24]
    assert d["input"][0]["sha256"] == result.cohort.sources[0].sha256
    assert "P00001" not in text and "PR000001" not in text
    assert {g["group"] for g in d["groups"]} <= {
        "conventional_rfa",
        "cooled_rfa",
        "pulsed_rf",
        "chemical",
    }


def test_a_cohort_can_be_passed_instead_of_a_path() -> None:
    cohort = load_cohort(LONG, events=EVENTS)
    a = analyze(cohort, n_boot=0, landmarks_months=(4.5,))
    assert a.to_dict()["relief_at"][0]["months"] == 4.5


def test_looser_definition_gives_more_responders() -> None:
    strict = analyze(LONG, n_boot=0, definition=ReliefDefinition(percent_reduction=70))
    loose = analyze(LONG, n_boot=0, definition=ReliefDefinition(percent_reduction=30))
    assert loose.counts["initial_responders"] > strict.counts["initial_responders"]


def test_km_method_overstates_median_on_the_sample() -> None:
    npmle = analyze(LONG, events=EVENTS, n_boot=0)
    km = analyze(LONG, events=EVENTS, method="km")
    assert km.curve.median.estimate > npmle.curve.median.estimate


def test_unknown_group_column_is_an_option_error() -> None:
    with pytest.raises(OptionError, match="cannot group by 'colour'"):
        analyze(LONG, by="colour", n_boot=0)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "outcomes", *args], capture_output=True, text=True, check=False
    )


def test_cli_analyze_prints_a_summary_and_json() -> None:
    r = cli("analyze", str(LONG), "--events", str(EVENTS), "--boot", "20")
    assert r.returncode == 0, r.stderr
    assert "Median duration of relief (smooth curve):" in r.stdout
    assert "Responders at each visit" in r.stdout
    r = cli("analyze", str(LONG), "--boot", "0", "--json", "--landmarks", "3,12")
    d = json.loads(r.stdout)
    assert [x["months"] for x in d["relief_at"]] == [3, 12]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--by", "colour"], "cannot group by 'colour'", id="unknown group column"),
        pytest.param(
            ["--percent", "150"],
            "percent_reduction must be in (0, 100]",
            id="threshold out of range",
        ),
        pytest.param(
            ["--landmarks", "3,x"], "is not a comma-separated list of months", id="bad landmarks"
        ),
    ],
)
def test_cli_analyze_option_errors_exit_2(args: list[str], message: str) -> None:
    r = cli("analyze", str(LONG), "--boot", "0", *args)
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_analyze_with_data_errors_exits_1() -> None:
    bad = Path(__file__).parent / "data" / "bad" / "score_out_of_range.csv"
    r = cli("analyze", str(bad))
    assert r.returncode == 1
    # counts and where to look, one line; the problem lines (with patient ids) are validate's
    assert r.stderr.count("\n") == 1
    assert "score_out_of_range.csv: 1 error(s) (1 out of range)" in r.stderr
    assert f"see each with its row: outcomes validate {bad}" in r.stderr
    assert "P1" not in r.stderr and "patient" not in r.stderr


def test_cumulative_incidence_of_competing_events(result) -> None:
    ci = result.to_dict()["cumulative_incidence"]
    assert {r["event"] for r in ci} == {"repeat_procedure", "surgery", "death"}
    for event in ("repeat_procedure", "surgery", "death"):
        rows = [r for r in ci if r["event"] == event]
        assert [r["months"] for r in rows] == [3, 6, 12, 18, 24]
        est = [r["estimate"] for r in rows]
        assert est == sorted(est)  # cumulative: never decreases
        assert all(r["lower"] <= r["estimate"] <= r["upper"] for r in rows)
    # the sample has 26 repeats among 300 procedures: incidence by 24 months is plausible
    rep24 = next(r for r in ci if r["event"] == "repeat_procedure" and r["months"] == 24)
    assert 0.05 < rep24["estimate"] < 0.3


def test_parametric_method_and_regression_reach_the_json() -> None:
    a = analyze(LONG, events=EVENTS, method="parametric", covariates=("technique", "age"))
    d = a.to_dict()
    assert d["parametric"]["family"] in ("weibull", "loglogistic", "lognormal")
    terms = {t["term"]: t for t in d["regression"]["terms"]}
    # the sample's true pulsed RF relief (median 4-5 months) is far shorter than cooled RFA (9-14)
    assert terms["technique=pulsed_rf"]["upper"] < 1
    assert d["regression"]["reference_levels"]["technique"] == "cooled_rfa"
    json.dumps(d, allow_nan=False)


def test_unknown_covariate_is_an_option_error() -> None:
    with pytest.raises(OptionError, match="unknown covariate"):
        analyze(LONG, n_boot=0, covariates=("colour",))


def test_a_second_identical_knee_does_not_narrow_the_intervals(tmp_path: Path) -> None:
    """Every knee patient's knee copied to the other side, same day and scores: patients count."""
    import numpy as np
    import pandas as pd

    d = pd.read_csv(LONG)
    knees = d[d["joint"] == "knee"]
    first = knees.drop_duplicates("patient_id")[["patient_id", "procedure_date", "side"]]
    one = knees.merge(first, on=["patient_id", "procedure_date", "side"])  # one knee each
    other = one.assign(
        side=one["side"].map({"left": "right", "right": "left"}),
        procedure_id=one["procedure_id"] + "B",
    )
    one.to_csv(tmp_path / "one.csv", index=False)
    pd.concat([one, other]).to_csv(tmp_path / "both.csv", index=False)
    single = analyze(tmp_path / "one.csv", n_boot=300)
    both = analyze(tmp_path / "both.csv", n_boot=300)
    assert both.counts["procedures"] == 2 * single.counts["procedures"]
    assert both.counts["patients"] == single.counts["patients"]
    a, b = single.curve.relief_at, both.curve.relief_at
    ok = np.isfinite(a["estimate"]) & (a["estimate"] < 1)
    np.testing.assert_allclose(b["estimate"][ok], a["estimate"][ok], atol=1e-9)
    ratio = (b["upper"] - b["lower"])[ok] / (a["upper"] - a["lower"])[ok]
    # different resamples, so widths differ by chance (most at 3 months, inside a cluster
    # of visits, where replicates may place loss anywhere); counting knees gives 0.71
    assert 0.85 < ratio.mean() < 1.2 and (ratio > 0.75).all(), ratio
    assert both.curve.n_clusters == single.curve.n_clusters
    assert both.curve.rmst.std_err == pytest.approx(single.curve.rmst.std_err, rel=0.1)
