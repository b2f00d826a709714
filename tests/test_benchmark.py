"""A cohort set beside the published figures, like with like (outcomes.benchmark)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from outcomes.analysis import Analysis, analyze
from outcomes.benchmark import (
    _definition_caveat,
    _newcombe,
    _relief_at,
    _z_test,
    benchmark_records,
    benchmark_sentences,
    compare,
)
from outcomes.endpoints import ReliefDefinition, responder_rates
from outcomes.errors import OptionError
from outcomes.references import load_references
from test_references import GOOD, _write

SAMPLE = Path(__file__).parent.parent / "data" / "sample"


@pytest.fixture(scope="module")
def sample() -> Analysis:
    """The bundled synthetic cohort (knee, hip and shoulder; several techniques)."""
    return analyze(SAMPLE / "followup_long.csv", events=SAMPLE / "events.csv", n_boot=50)


@pytest.fixture(scope="module")
def short_knee(tmp_path_factory: pytest.TempPathFactory) -> Analysis:
    """Knees only, with no visit beyond 400 days (about 13 months)."""
    d = pd.read_csv(SAMPLE / "followup_long.csv")
    days = (pd.to_datetime(d["assessment_date"]) - pd.to_datetime(d["procedure_date"])).dt.days
    keep = d[(days <= 400) & (d["joint"] == "knee")]
    ev = pd.read_csv(SAMPLE / "events.csv")
    ev = ev[ev["procedure_id"].isin(keep["procedure_id"])]
    folder = tmp_path_factory.mktemp("short")
    keep.to_csv(folder / "followup.csv", index=False)
    ev.to_csv(folder / "events.csv", index=False)
    return analyze(folder / "followup.csv", events=folder / "events.csv", n_boot=20)


# --------------------------------------------------------------------------- shipped table


def test_pooled_24_month_row_uses_the_analysis_responder_rate(sample: Analysis) -> None:
    table = compare(sample)
    row = table.set_index("reference_id").loc["kanjanapanang2025_24m"]
    at24 = sample.responder_rates.set_index("months").loc[24.0]
    assert row["cohort_value"] == at24["rate"]
    assert row["cohort_lower"] == at24["lower"] and row["cohort_upper"] == at24["upper"]
    assert row["cohort_n"] == at24["assessed"]
    assert row["reference_value"] == 0.58
    assert (row["reference_lower"], row["reference_upper"]) == (0.48, 0.67)
    assert row["difference"] == pytest.approx(at24["rate"] - 0.58)
    relief24 = sample.curve.relief_at.set_index("months").loc[24.0]
    assert row["cohort_relief_probability"] == relief24["estimate"]
    assert "exact binomial test" in row["test"]
    assert "Neither is the chance that relief lasts 24 months" in row["comparability"]


def test_exact_test_and_wilson_interval_match_r(sample: Analysis) -> None:
    row = compare(sample).set_index("reference_id").loc["kanjanapanang2025_24m"]
    at24 = sample.responder_rates.set_index("months").loc[24.0]
    assert (at24["responders"], at24["assessed"]) == (31, 58)  # the sample's counts
    # R 4.2.2: binom.test(31, 58, p = 0.58)$p.value
    assert row["p_value"] == pytest.approx(0.507536293385851, rel=1e-9)
    # R 4.2.2: prop.test(31, 58, correct = FALSE)$conf.int
    assert row["cohort_lower"] == pytest.approx(0.408001750439952, abs=1e-12)
    assert row["cohort_upper"] == pytest.approx(0.656679776747137, abs=1e-12)


def test_two_sample_comparison_matches_r(sample: Analysis) -> None:
    """hip2021: 66/96 responders at 6 months; the sample: 90/167 (all joints)."""
    row = compare(sample).set_index("reference_id").loc["hip2021_6m"]
    assert row["cohort_n"] == 167 and row["cohort_value"] == pytest.approx(90 / 167)
    # R 4.2.2: prop.test(c(90, 66), c(167, 96), correct = FALSE)$p.value
    assert row["p_value"] == pytest.approx(0.0182055387560755, rel=1e-9)
    # R 4.2.2, Newcombe's hybrid score interval from R's Wilson intervals:
    #   w1 <- prop.test(90, 167, correct = FALSE)$conf.int
    #   w2 <- prop.test(66, 96, correct = FALSE)$conf.int
    #   p1 <- 90/167; p2 <- 66/96; d <- p1 - p2
    #   c(d - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2), d + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2))
    assert row["difference"] == pytest.approx(-0.148577844311377, abs=1e-12)
    assert row["difference_lower"] == pytest.approx(-0.261600364232479, abs=1e-12)
    assert row["difference_upper"] == pytest.approx(-0.025515822173552, abs=1e-12)
    assert row["test"].startswith("two-sample z-test") and "66/96" in row["test"]


def test_helpers_match_r_and_newcombe_1998() -> None:
    # R 4.2.2: prop.test(c(61, 43), c(100, 58), correct = FALSE)$p.value
    assert _z_test(61, 100, 43, 58) == pytest.approx(0.0932988228399624, rel=1e-9)
    # R 4.2.2: prop.test(c(61, 0.741 * 58), c(100, 58), correct = FALSE)$p.value
    assert _z_test(61, 100, 0.741 * 58, 58) == pytest.approx(0.0942804085684593, rel=1e-9)
    # Newcombe (1998), Stat Med 17:873, method 10, 56/70 vs 48/80: 0.0524 to 0.3339
    from outcomes._binomial import wilson

    (l1,), (h1,) = wilson([56], [70])
    (l2,), (h2,) = wilson([48], [80])
    lo, hi = _newcombe(56 / 70, l1, h1, 48 / 80, l2, h2)
    assert (round(lo, 4), round(hi, 4)) == (0.0524, 0.3339)


def test_months_that_are_not_landmarks_are_computed_on_the_fly(sample: Analysis) -> None:
    row = compare(sample).set_index("reference_id").loc["shaikh2023_10m"]
    assert 9.9 not in sample.landmarks_months
    direct = responder_rates(sample.cohort, (9.9,), sample.definition).iloc[0]
    assert row["cohort_value"] == direct["rate"] and row["cohort_n"] == direct["assessed"]
    curve = sample.curve
    assert row["cohort_relief_probability"] == pytest.approx(
        np.interp(9.9, curve.times, curve.survival)
    )
    assert all(math.isnan(x) for x in _relief_at(curve, curve.identified_until + 1))


def test_out_of_reach_rows_say_so_and_print_no_number(short_knee: Analysis) -> None:
    table = compare(short_knee).set_index("reference_id")
    row = table.loc["kanjanapanang2025_24m"]
    cohort = ["cohort_value", "cohort_lower", "cohort_upper", "difference", "p_value"]
    assert row[cohort].isna().all() and pd.isna(row["cohort_n"])
    assert row["comparability"].startswith(
        "Cannot compare: no cohort visits near 24 months (18.0-30.0 months)"
    )
    nice = table.loc["nice2023_2y"]
    assert "up to 2 years" in nice["comparability"]
    assert (
        "before 24 months, so relief lasting 24 months could not be compared"
        in (nice["comparability"])
    )
    duration = table.loc["kapural2019_duration"]
    assert math.isnan(duration["cohort_value"])
    assert "horizon of its restricted mean" in duration["comparability"]
    # earlier visits are still compared
    assert table.loc["kanjanapanang2025_12m", "cohort_value"] > 0


def test_joint_filter_and_include_other(short_knee: Analysis, sample: Analysis) -> None:
    refs = load_references()
    hips = set(refs.loc[refs["joint"] == "hip", "id"])
    knee_only = compare(short_knee)
    assert not hips & set(knee_only["reference_id"])
    assert "The cohort mixes joints" not in " ".join(knee_only["comparability"])
    everything = compare(short_knee, include_other=True).set_index("reference_id")
    assert hips <= set(everything.index)
    assert everything.loc["hip2021_6m", "comparability"].count("Other joint: the reference is hip")
    steroid = everything.loc["davis2018_6m_steroid", "comparability"]
    assert "Control arm (intra-articular steroid), not denervation" in steroid
    assert "davis2018_6m_steroid" not in set(knee_only["reference_id"])
    # a mixed cohort: references for each of its joints, with a caution
    mixed = compare(sample).set_index("reference_id")
    assert hips <= set(mixed.index)
    assert (
        "The cohort mixes joints (knee 241, hip 39, shoulder 20 procedures)"
        in (mixed.loc["kanjanapanang2025_24m", "comparability"])
    )
    assert not hips & set(compare(sample, joint="knee")["reference_id"])


def test_technique_filter(sample: Analysis) -> None:
    table = compare(sample, technique="cooled_rfa").set_index("reference_id")
    assert "pmc9441169_conventional_12m" not in table.index
    assert {"pmc9441169_cooled_12m", "kanjanapanang2025_24m"} <= set(table.index)
    with pytest.raises(OptionError, match="unknown technique 'laser'"):
        compare(sample, technique="laser")


def test_durations_scores_and_probabilities_are_labelled(sample: Analysis) -> None:
    table = compare(sample).set_index("reference_id")
    mean = table.loc["kapural2019_duration"]
    assert mean["cohort_value"] == sample.curve.rmst.estimate
    assert mean["comparability"].startswith("Not the same measure: the cohort figure is the")
    assert "restricted mean" in mean["comparability"] and math.isnan(mean["p_value"])
    assert mean["test"] == "no test: the reference gives no spread"
    score = table.loc["karaoglu2024_6m"]
    assert score["comparability"].startswith("Not comparable: score scale, not a responder")
    assert math.isnan(score["cohort_value"])
    kose = table.loc["kose2022_6m"]
    relief6 = sample.curve.relief_at.set_index("months").loc[6.0]
    assert kose["cohort_value"] == relief6["estimate"] and kose["cohort_n"] == sample.curve.n
    assert "does not say whether it counts all treated patients" in kose["comparability"]


def test_a_path_gives_the_same_table_as_the_loaded_references(
    sample: Analysis, tmp_path: Path
) -> None:
    path = _write(tmp_path / "refs.csv", [{**GOOD, "technique": ""}])
    by_path = compare(sample, path)
    assert by_path["reference_id"].tolist() == ["a_6m"]
    pd.testing.assert_frame_equal(by_path, compare(sample, load_references(path)))


def test_definition_mismatch_is_flagged() -> None:
    d = ReliefDefinition()
    assert _definition_caveat(">=50% NRS reduction", d) is None
    assert _definition_caveat(">=2-point pain score fall", d) == (
        "Different responder definitions: the reference counts >=2-point pain score fall, "
        "the cohort at least 50% relief."
    )


# --------------------------------------------------------------------------- reporting


def test_records_are_json_safe(sample: Analysis) -> None:
    records = benchmark_records(compare(sample))
    json.dumps(records, allow_nan=False)
    assert list(records[0]) == [
        "reference_id",
        "citation",
        "measure",
        "months",
        "reference_value",
        "reference_lower",
        "reference_upper",
        "cohort_value",
        "cohort_lower",
        "cohort_upper",
        "difference",
        "p_value",
        "comparability",
    ]
    nice = next(r for r in records if r["reference_id"] == "nice2023_2y")
    assert nice["reference_value"] is None and nice["cohort_value"] is None


def test_sentences_give_reference_and_cohort_numbers(sample: Analysis) -> None:
    sentences = benchmark_sentences(compare(sample), sample)
    at24 = next(s for s in sentences if "pooled 58%" in s)
    assert at24.startswith(
        "At 24 months 53% (95% CI 41-66%) of the 58 procedures assessed (knee, hip and "
        "shoulder) still had at least 50% relief, against a pooled 58% (48-67%) in the "
        "literature (Kanjanapanang et al. 2025, Pain Medicine)"
    )
    assert "Relief lasted at least 24 months for an estimated" in at24
    assert any(s.startswith("NICE interventional procedures guidance IPG767") for s in sentences)
    assert sentences[-1].startswith("Mean pain scores reported by")


def test_sentences_say_could_not_be_compared(short_knee: Analysis) -> None:
    sentences = benchmark_sentences(compare(short_knee), short_knee)
    at24 = next(s for s in sentences if "pooled 58%" in s)
    assert at24.startswith(
        "At 24 months the cohort could not be compared with a pooled 58% (48-67%) in the "
        "literature (Kanjanapanang et al. 2025, Pain Medicine): no cohort visits near 24 months"
    )
    assert any(
        s.startswith("At 12 months") and "of the" in s and "knees assessed" in s for s in sentences
    )


def test_to_dict_carries_the_benchmarks(sample: Analysis) -> None:
    d = sample.to_dict()
    ids = {b["reference_id"] for b in d["benchmarks"]}
    assert "kanjanapanang2025_24m" in ids
    assert set(d["benchmarks"][0]) == {
        "reference_id",
        "citation",
        "measure",
        "months",
        "reference_value",
        "reference_lower",
        "reference_upper",
        "cohort_value",
        "cohort_lower",
        "cohort_upper",
        "difference",
        "p_value",
        "comparability",
    }
    json.dumps(d, allow_nan=False)


def test_cli_benchmark_table_sentences_and_json() -> None:
    import subprocess
    import sys

    base = [
        sys.executable,
        "-m",
        "outcomes",
        "benchmark",
        str(SAMPLE / "followup_long.csv"),
        "--events",
        str(SAMPLE / "events.csv"),
        "--boot",
        "20",
    ]
    r = subprocess.run(base, capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert "kanjanapanang2025_24m" in r.stdout and "comparability" in r.stdout
    assert "against a pooled 58% (48-67%)" in r.stdout
    assert "=== joint = knee ===" in r.stdout  # several joints: each against its own
    r = subprocess.run([*base, "--json"], capture_output=True, text=True, check=False)
    per_joint = json.loads(r.stdout)
    assert set(per_joint) == {"knee", "hip", "shoulder"}
    assert any(x["reference_id"] == "nice2023_2y" for x in per_joint["knee"])
    assert all(x["reference_id"] != "nice2023_2y" for x in per_joint["hip"])
    r = subprocess.run(
        [*base, "--all-joints", "--json"], capture_output=True, text=True, check=False
    )
    rows = json.loads(r.stdout)  # the whole cohort at once, a list as before
    assert any(x["reference_id"] == "nice2023_2y" for x in rows)
    bad = subprocess.run(
        [*base, "--references", "nope.csv"], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 2 and "nope.csv" in bad.stderr and "Traceback" not in bad.stderr


def test_compare_by_joint_meets_each_joint_with_its_own_references(sample: Analysis) -> None:
    from outcomes.benchmark import compare_by

    groups = {name: (sub, table) for name, sub, table in compare_by(sample, "joint")}
    assert set(groups) == {"knee", "hip", "shoulder"}
    knee_sub, knee = groups["knee"]
    assert set(knee_sub.relief["joint"]) == {"knee"}
    pooled = knee.set_index("reference_id").loc["kanjanapanang2025_24m"]
    assert str(pooled["comparability"]).startswith("Like with like")
    rate = knee_sub.responder_rates.set_index("months").loc[24.0]
    assert pooled["cohort_value"] == pytest.approx(rate["rate"])
    hip = groups["hip"][1]
    assert set(hip["reference_id"]) >= {"hip2021_6m", "hip2021_12m"}
    assert not any(i.startswith("kanjanapanang") for i in hip["reference_id"])


@pytest.fixture(scope="module")
def day_730(tmp_path_factory: pytest.TempPathFactory) -> Analysis:
    """280 knees seen on days 30, 91, 182, 365 and 730: two years is day 730, not 730.5."""
    rng = np.random.default_rng(730)
    n = 280
    days = np.array([30, 91, 182, 365, 730])
    relief_until = rng.choice([60, 120, 300, 500, 1000], size=n, p=[0.2, 0.2, 0.25, 0.2, 0.15])
    start = pd.Timestamp("2022-01-03") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    rows = []
    for i in range(n):  # building the test file, a row per visit
        rows.append((f"K{i:03d}", start[i], start[i] - pd.Timedelta(days=7), 8))
        rows += [
            (
                f"K{i:03d}",
                start[i],
                start[i] + pd.Timedelta(days=int(d)),
                3 if d < relief_until[i] else 7,
            )
            for d in days
        ]
    frame = pd.DataFrame(rows, columns=["patient_id", "procedure_date", "assessment_date", "score"])
    frame = frame.assign(joint="knee", side="left", technique="conventional_rfa")
    path = tmp_path_factory.mktemp("day730") / "followup.csv"
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")
    return analyze(path, n_boot=20)


def test_a_cohort_seen_on_day_730_gets_its_24_month_figures(day_730: Analysis) -> None:
    at24 = day_730.curve.relief_at.set_index("months").loc[24.0]
    assert np.isfinite(at24["estimate"]) and at24["identified"]
    rates = day_730.responder_rates.set_index("months").loc[24.0]
    assert rates["assessed"] == 280
    # everyone was seen at every visit: the NPMLE at day 730 is the share still in relief
    assert at24["estimate"] == pytest.approx(rates["rate"], abs=1e-9)
    row = compare(day_730).set_index("reference_id").loc["kanjanapanang2025_24m"]
    assert row["cohort_value"] == rates["rate"] and row["cohort_n"] == 280
    assert not row["comparability"].startswith("Cannot compare")
    assert row["cohort_relief_probability"] == at24["estimate"]


def test_each_joint_meets_its_own_references(sample: Analysis) -> None:
    from outcomes.benchmark import compare_joints

    parts = {joint: table for joint, _, table in compare_joints(sample)}
    assert set(parts) == set(sample.relief["joint"].dropna().unique())
    for joint, table in parts.items():
        assert (table["reference_joint"] == joint).all(), joint


def test_references_are_labelled_by_first_author_year_technique_and_size(sample: Analysis) -> None:
    t = compare(sample).set_index("reference_id")
    assert t.loc["davis2018_6m", "reference_label"] == "Davis 2018 (cooled RFA, n = 76)"
    pooled = t.loc["kanjanapanang2025_24m"]
    assert pooled["pooled"] and pooled["reference_label"].startswith("Kanjanapanang 2025 (pooled")
    assert not t.loc["davis2018_6m", "pooled"]
