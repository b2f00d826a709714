"""Tests of the synthetic cohort: its contract, its truth and its files."""

from __future__ import annotations

import dataclasses
import math
from datetime import date
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from outcomes.datasets import (
    SimulatedCohort,
    SimulationParameters,
    simulate_cohort,
    write_sample,
)

PROCEDURE_COLUMNS = [
    "patient_id",
    "procedure_id",
    "procedure_date",
    "joint",
    "side",
    "technique",
    "age",
    "sex",
    "bmi",
    "kl_grade",
]
LONG_COLUMNS = [*PROCEDURE_COLUMNS, "visit", "assessment_date", "instrument", "score"]
VISITS = ["baseline", "2w", "1m", "3m", "6m", "12m", "18m", "24m"]
COMPLICATIONS = {"infection", "nerve_injury", "bleeding", "skin_burn", "swelling"}


@pytest.fixture(scope="module")
def cohort() -> SimulatedCohort:
    return simulate_cohort(3000, seed=7)


@pytest.fixture(scope="module")
def large() -> SimulatedCohort:
    return simulate_cohort(20_000, seed=11)


def with_truth(c: SimulatedCohort) -> pd.DataFrame:
    """Assessments joined to their procedure's truth and baseline score."""
    base = c.assessments.loc[c.assessments["visit"] == "baseline", ["procedure_id", "score"]]
    out = c.assessments.merge(c.truth, on="procedure_id", validate="many_to_one")
    out = out.merge(base.rename(columns={"score": "baseline"}), on="procedure_id")
    out["day"] = (out["assessment_date"] - out["procedure_date"]).dt.days
    return out


# Reproducibility and size -------------------------------------------------


def test_same_seed_same_cohort() -> None:
    a, b = simulate_cohort(400, seed=3), simulate_cohort(400, seed=3)
    pd.testing.assert_frame_equal(a.assessments, b.assessments)
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.truth, b.truth)


def test_other_seed_other_cohort() -> None:
    a, b = simulate_cohort(400, seed=3), simulate_cohort(400, seed=4)
    assert not a.assessments.equals(b.assessments)
    assert not a.truth["relief_months"].equals(b.truth["relief_months"])


@pytest.mark.parametrize("n", [1, 2, 17, 300, 1001])
def test_exact_number_of_procedures(n: int) -> None:
    c = simulate_cohort(n, seed=n)
    assert len(c.truth) == n
    assert c.truth["procedure_id"].is_unique
    assert c.assessments["procedure_id"].nunique() == n
    assert len(c.to_wide()) == n


@pytest.mark.parametrize(
    "n",
    [pytest.param(0, id="zero"), pytest.param(-5, id="negative")],
)
def test_rejects_non_positive_size(n: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        simulate_cohort(n)


def test_rejects_non_integer_size() -> None:
    with pytest.raises(TypeError):
        simulate_cohort(10.5)  # type: ignore[arg-type]


# The data contract -----------------------------------------------------------


def test_long_table_columns_and_types(cohort: SimulatedCohort) -> None:
    a = cohort.assessments
    assert list(a.columns) == LONG_COLUMNS
    assert a["patient_id"].str.fullmatch(r"P\d{5}").all()
    assert a["procedure_id"].str.fullmatch(r"PR\d{6}").all()
    for col in ("procedure_date", "assessment_date"):
        assert pd.api.types.is_datetime64_dtype(a[col])
        assert (a[col] == a[col].dt.normalize()).all()
    for col in ("age", "kl_grade", "score"):
        assert pd.api.types.is_integer_dtype(a[col])
    assert set(a["joint"]) == {"knee", "hip", "shoulder"}
    assert set(a["side"]) == {"left", "right"}
    assert set(a["technique"]) == {"conventional_rfa", "cooled_rfa", "pulsed_rf", "chemical"}
    assert set(a["sex"]) == {"F", "M"}
    assert set(a["visit"]) == set(VISITS)
    assert set(a["instrument"]) == {"nrs"}
    assert a["age"].between(40, 95).all()
    assert set(a["kl_grade"]) == {2, 3, 4}
    assert (a["bmi"] == a["bmi"].round(1)).all()


def test_no_identifying_columns(cohort: SimulatedCohort) -> None:
    frames = [cohort.assessments, cohort.events, cohort.truth, cohort.to_wide()]
    names = {c.lower() for f in frames for c in f.columns}
    assert not {n for n in names if "name" in n or "birth" in n or n == "dob"}


def test_scores_are_integers_0_to_10(cohort: SimulatedCohort) -> None:
    score = cohort.assessments["score"]
    assert score.between(0, 10).all()
    baseline = score[cohort.assessments["visit"] == "baseline"]
    assert baseline.between(5, 10).all()


def test_procedure_columns_constant_within_procedure(cohort: SimulatedCohort) -> None:
    per_procedure = cohort.assessments.groupby("procedure_id")[PROCEDURE_COLUMNS].nunique()
    assert (per_procedure == 1).all().all()


def test_each_procedure_has_one_baseline_and_ordered_visits(cohort: SimulatedCohort) -> None:
    a = cohort.assessments
    assert not a.duplicated(["procedure_id", "visit"]).any()
    first = a.groupby("procedure_id", sort=False)["visit"].first()
    assert (first == "baseline").all()
    order = a["visit"].map({v: i for i, v in enumerate(VISITS)})
    same = a["procedure_id"].eq(a["procedure_id"].shift())
    assert (order.diff()[same] > 0).all()
    assert (a["assessment_date"].diff()[same] > pd.Timedelta(0)).all()


def test_visit_days_follow_the_schedule(cohort: SimulatedCohort) -> None:
    t = with_truth(cohort)
    first = t.groupby("visit")["day"].min().to_dict()
    last = t.groupby("visit")["day"].max().to_dict()
    assert first["baseline"] >= -30 and last["baseline"] <= 0
    assert first["2w"] >= 1 and last["2w"] <= 13
    assert all(first[v] >= 14 for v in VISITS if v not in ("baseline", "2w"))


def test_procedure_dates_within_enrolment(cohort: SimulatedCohort) -> None:
    d = cohort.truth.merge(cohort.to_wide(), on="procedure_id")["procedure_date"]
    assert (cohort.params.start_date, cohort.params.enrolment_end) == (
        date(2018, 1, 1),
        date(2023, 12, 31),
    )
    assert d.min() >= pd.Timestamp("2018-01-01")
    assert d.max() <= pd.Timestamp("2023-12-31")


def test_wide_holds_the_same_assessments(cohort: SimulatedCohort) -> None:
    wide = cohort.to_wide()
    expected = PROCEDURE_COLUMNS + [f"{k}_{v}" for v in VISITS for k in ("nrs", "date")]
    assert list(wide.columns) == expected
    back = pd.DataFrame(
        {
            "procedure_id": np.repeat(wide["procedure_id"].to_numpy(), len(VISITS)),
            "visit": np.tile(VISITS, len(wide)),
            "score": wide[[f"nrs_{v}" for v in VISITS]].to_numpy().ravel(),
            "assessment_date": wide[[f"date_{v}" for v in VISITS]].to_numpy().ravel(),
        }
    ).dropna(subset=["assessment_date"])
    long = cohort.assessments[["procedure_id", "visit", "score", "assessment_date"]]
    assert len(back) == len(long)
    merged = long.merge(back, on=["procedure_id", "visit"], suffixes=("", "_wide"))
    assert len(merged) == len(long)
    assert (merged["score"] == merged["score_wide"].astype(int)).all()
    assert (merged["assessment_date"] == merged["assessment_date_wide"]).all()
    assert wide["procedure_id"].tolist() == cohort.truth["procedure_id"].tolist()


# The truth -------------------------------------------------------------------


def test_fifty_percent_rule_recovers_relief_exactly(cohort: SimulatedCohort) -> None:
    t = with_truth(cohort)
    t = t[t["day"] >= 14]
    observed = t["score"] <= t["baseline"] / 2  # >= 50% reduction from baseline
    truth = t["responder"] & (t["assessment_date"] < t["loss_date"])
    assert (observed == truth).all()
    assert 0.2 < observed.mean() < 0.8  # both states are well represented


def test_flare_visit_often_near_baseline(cohort: SimulatedCohort) -> None:
    t = with_truth(cohort)
    in_relief = t[(t["visit"] == "2w") & t["responder"] & (t["assessment_date"] < t["loss_date"])]
    flared = in_relief["score"] > in_relief["baseline"] / 2
    # p_flare = 0.4; binomial sd with ~1,000 visits is about 0.016.
    assert abs(flared.mean() - 0.4) < 0.07


def test_truth_is_consistent(cohort: SimulatedCohort) -> None:
    t = cohort.truth.merge(cohort.to_wide()[["procedure_id", "procedure_date"]])
    assert t["responder"].dtype == bool
    assert t["relief_months"].notna().eq(t["responder"]).all()
    assert t["loss_date"].notna().eq(t["responder"]).all()
    r = t[t["responder"]]
    days = (r["loss_date"] - r["procedure_date"]).dt.days
    assert (days == np.ceil(r["relief_months"] * 365.25 / 12)).all()
    assert (t["followup_end_date"] >= t["procedure_date"]).all()
    assert (t["followup_end_date"] <= pd.Timestamp("2025-06-30")).all()
    assert set(t["end_reason"]) <= {
        "completed",
        "data_cut",
        "death",
        "withdrawal",
        "lost_to_follow_up",
        "surgery",
        "repeat_procedure",
    }


def test_no_assessment_after_followup_end_or_data_cut(cohort: SimulatedCohort) -> None:
    t = with_truth(cohort)
    assert (t["assessment_date"] <= t["followup_end_date"]).all()
    assert t["assessment_date"].max() <= pd.Timestamp("2025-06-30")


def test_late_procedures_have_no_24_month_visit(cohort: SimulatedCohort) -> None:
    a = cohort.assessments
    late = a["procedure_date"] > pd.Timestamp("2025-06-30") - pd.Timedelta(days=650)
    assert not (late & (a["visit"] == "24m")).any()
    assert (~late & (a["visit"] == "24m")).any()


@pytest.mark.parametrize("technique", ["conventional_rfa", "cooled_rfa", "pulsed_rf", "chemical"])
def test_response_probability_recovered(large: SimulatedCohort, technique: str) -> None:
    p = large.params.response_probability[technique]
    t = large.truth.merge(large.to_wide()[["procedure_id", "technique"]])
    r = t.loc[t["technique"] == technique, "responder"]
    se = math.sqrt(p * (1 - p) / len(r))
    assert len(r) > 400
    assert abs(r.mean() - p) < 4 * se  # 4 binomial standard errors


@pytest.mark.parametrize(
    ("joint", "technique"),
    [
        ("knee", "conventional_rfa"),
        ("knee", "cooled_rfa"),
        ("knee", "chemical"),
        ("hip", "conventional_rfa"),
        ("hip", "cooled_rfa"),
        ("shoulder", "pulsed_rf"),
    ],
)
def test_weibull_relief_recovered(large: SimulatedCohort, joint: str, technique: str) -> None:
    shape, scale = large.params.relief_weibull[(joint, technique)]
    t = large.truth.merge(large.to_wide()[["procedure_id", "joint", "technique"]])
    x = t.loc[(t["joint"] == joint) & (t["technique"] == technique), "relief_months"].dropna()
    n = len(x)
    assert n > 300
    k_hat, _, scale_hat = stats.weibull_min.fit(x.to_numpy(), floc=0)
    # Asymptotic standard errors of the Weibull MLE: sd(k) = 0.780 k / sqrt(n),
    # sd(scale) = 1.053 scale / (k sqrt(n)). Allow 4 of them.
    assert abs(k_hat - shape) < 4 * 0.780 * shape / math.sqrt(n)
    assert abs(scale_hat - scale) < 4 * 1.053 * scale / (shape * math.sqrt(n))


# Events ----------------------------------------------------------------------


def test_events_table(cohort: SimulatedCohort) -> None:
    e = cohort.events
    assert list(e.columns) == ["patient_id", "procedure_id", "event", "event_date", "detail"]
    assert set(e["event"]) <= {"repeat_procedure", "surgery", "complication", "death", "withdrawal"}
    assert {"repeat_procedure", "surgery", "complication"} <= set(e["event"])
    assert set(e.loc[e["event"] == "complication", "detail"]) <= COMPLICATIONS
    assert set(e.loc[e["event"] == "surgery", "detail"]) == {"knee_replacement"}


def test_event_dates_within_followup(cohort: SimulatedCohort) -> None:
    wide = cohort.to_wide()[["procedure_id", "patient_id", "procedure_date", "joint"]]
    e = cohort.events.merge(wide, on="procedure_id", suffixes=("", "_p"))
    e = e.merge(cohort.truth, on="procedure_id")
    assert len(e) == len(cohort.events)
    assert (e["patient_id"] == e["patient_id_p"]).all()
    assert (e["event_date"] >= e["procedure_date"]).all()
    assert (e["event_date"] <= e["followup_end_date"]).all()
    assert (e.loc[e["event"] == "surgery", "joint"] == "knee").all()
    # Events that end follow-up end it on their date, and only those do.
    ending = e[e["event"].isin(["surgery", "death", "withdrawal", "repeat_procedure"])]
    assert (ending["event_date"] == ending["followup_end_date"]).all()
    assert (ending["event"] == ending["end_reason"]).all()
    ended = cohort.truth["end_reason"].isin(["surgery", "death", "withdrawal", "repeat_procedure"])
    assert ended.sum() == len(ending)


def test_repeat_procedures_link_to_the_original(cohort: SimulatedCohort) -> None:
    wide = cohort.to_wide().set_index("procedure_id")
    rep = cohort.events[cohort.events["event"] == "repeat_procedure"]
    assert len(rep) > 50
    assert rep["detail"].is_unique
    original = wide.loc[rep["procedure_id"]]
    repeat = wide.loc[rep["detail"]]
    assert (repeat["procedure_date"].to_numpy() == rep["event_date"].to_numpy()).all()
    for col in ("patient_id", "joint", "side", "technique"):
        assert (original[col].to_numpy() == repeat[col].to_numpy()).all()
    assert (repeat["procedure_date"].to_numpy() > original["procedure_date"].to_numpy()).all()
    # A repeat follows loss of relief on the original.
    truth = cohort.truth.set_index("procedure_id").loc[rep["procedure_id"]]
    assert truth["responder"].all()
    assert (truth["loss_date"].to_numpy() < rep["event_date"].to_numpy()).all()


def test_bilateral_knees_are_separate_procedures(cohort: SimulatedCohort) -> None:
    wide = cohort.to_wide()
    sides = wide.groupby("patient_id").agg(joint=("joint", "first"), n_sides=("side", "nunique"))
    both = sides[sides["n_sides"] == 2]
    assert len(both) > 20
    assert (both["joint"] == "knee").all()
    same_day = wide.duplicated(["patient_id", "procedure_date"], keep=False)
    assert same_day.any()


# Parameters --------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"joint_probabilities": {"knee": 0.7, "hip": 0.2}}, id="joints sum below 1"),
        pytest.param({"p_missed_visit": 1.5}, id="probability above 1"),
        pytest.param({"data_cut": date(2023, 6, 30)}, id="data cut before enrolment end"),
        pytest.param({"flare_visit_days": (7, 20)}, id="flare visit after day 14"),
        pytest.param(
            {"visit_months": {"2w": 0.5, "1m": 1.0, "6w": 1.1}}, id="overlapping visit windows"
        ),
        pytest.param(
            {"relief_weibull": {("knee", "cooled_rfa"): (1.5, 14.0)}}, id="missing Weibull group"
        ),
        pytest.param({"p_stop_after_loss": {0.0: 1.5}}, id="stop probability above 1"),
        pytest.param({"p_stop_after_loss": {-3.0: 0.5}}, id="stop from negative months"),
        pytest.param({"p_stop_after_loss": 0.4}, id="stop probability not keyed by months"),
    ],
)
def test_invalid_parameters_rejected(change: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="invalid SimulationParameters"):
        SimulationParameters(**change)  # type: ignore[arg-type]


def test_parameters_change_the_cohort() -> None:
    p = dataclasses.replace(
        SimulationParameters(),
        p_missed_visit=0.0,
        dropout_per_year=0.0,
        p_stop_after_loss={},
        p_flare=0.0,
    )
    c = simulate_cohort(500, seed=1, params=p)
    assert c.params is p
    assert (c.truth["end_reason"] != "lost_to_follow_up").all()
    t = with_truth(c)
    t = t[t["visit"] != "baseline"]
    in_relief = t["responder"] & (t["assessment_date"] < t["loss_date"])
    assert (in_relief == (t["score"] <= t["baseline"] / 2)).all()  # no flare even at 2w
    # With no missed visit, a procedure followed to the end has all 7 follow-up visits.
    completed = t[t["end_reason"] == "completed"]
    assert (completed.groupby("procedure_id").size() == 7).all()


# Informative drop-out ------------------------------------------------------------


@pytest.fixture(scope="module")
def attending() -> pd.DataFrame:
    """Relief at the 3- to 24-month visits by procedure (NaN: not attended), and
    whether the 6- and 18-month visits were due before the data cut.

    No missed visits, background drop-out, death, withdrawal, knee replacement or
    repeat: a visit is then missed only because the patient stopped attending.
    """
    p = dataclasses.replace(
        SimulationParameters(),
        p_missed_visit=0.0,
        dropout_per_year=0.0,
        death_per_year=0.0,
        withdrawal_per_year=0.0,
        knee_replacement_per_year=0.0,
        p_repeat=0.0,
    )
    c = simulate_cohort(20_000, seed=5, params=p)
    t = with_truth(c)
    t = t[t["visit"].isin(["3m", "6m", "12m", "18m", "24m"])]
    t = t.assign(relief=t["score"] <= t["baseline"] / 2)
    wide = t.pivot(index="procedure_id", columns="visit", values="relief")
    procedure_date = c.to_wide().set_index("procedure_id")["procedure_date"]

    def due(months: float) -> pd.Series:  # the visit's whole window ends before the data cut
        last_day = round(round(months * 30.4375) * (1 + p.visit_jitter)) + 1
        return procedure_date + pd.Timedelta(days=last_day) <= pd.Timestamp(p.data_cut)

    return wide.assign(due_6m=due(6), due_18m=due(18))


@pytest.mark.parametrize(
    ("visit", "following", "stop"),
    [
        pytest.param("3m", "6m", 0.4, id="before 12 months"),
        pytest.param("12m", "18m", 0.9, id="from 12 months"),
    ],
)
def test_patients_without_relief_stop_attending(
    attending: pd.DataFrame, visit: str, following: str, stop: float
) -> None:
    seen = attending[attending[visit].notna() & attending[f"due_{following}"]]
    relief = seen[visit].astype(bool)
    without, within = seen[~relief], seen[relief]
    assert len(without) > 1000 and len(within) > 1000
    # In relief: every due visit is attended (nothing else stops a patient here).
    assert within[following].notna().all()
    # Without relief: the next visit is attended with probability 1 - stop.
    attended = without[following].notna().mean()
    se = math.sqrt(stop * (1 - stop) / len(without))
    assert abs(attended - (1 - stop)) < 4 * se  # 4 binomial standard errors


def test_stopping_is_lost_to_follow_up_on_the_day_of_a_visit_without_relief() -> None:
    p = dataclasses.replace(SimulationParameters(), dropout_per_year=0.0)
    c = simulate_cohort(2000, seed=8, params=p)
    t = with_truth(c)
    last = t.sort_values("assessment_date").groupby("procedure_id").tail(1)
    lost = last[last["end_reason"] == "lost_to_follow_up"]
    assert len(lost) > 500
    assert (lost["assessment_date"] == lost["followup_end_date"]).all()
    assert (lost["score"] > lost["baseline"] / 2).all()  # the last visit found no relief
    assert (lost["day"] >= p.response_day).all()


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 120), seed=st.integers(0, 2**32 - 1))
def test_invariants_hold_for_any_seed(n: int, seed: int) -> None:
    c = simulate_cohort(n, seed=seed)
    assert len(c.truth) == n
    t = with_truth(c)
    assert t["score"].between(0, 10).all()
    assert (t["assessment_date"] <= t["followup_end_date"]).all()
    late = t[t["day"] >= 14]
    truth = late["responder"] & (late["assessment_date"] < late["loss_date"])
    assert ((late["score"] <= late["baseline"] / 2) == truth).all()
    assert (c.truth["relief_months"].dropna() > 0).all()


# Files -------------------------------------------------------------------------


def test_write_sample(tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("keep me")
    paths = write_sample(tmp_path, n_procedures=60, seed=5)
    assert [p.name for p in paths] == ["followup_long.csv", "followup_wide.xlsx", "events.csv"]
    assert other.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["notes.txt", "followup_long.csv", "followup_wide.xlsx", "events.csv"]
    )
    expected = simulate_cohort(60, seed=5)

    long = pd.read_csv(paths[0], parse_dates=["procedure_date", "assessment_date"])
    pd.testing.assert_frame_equal(long, expected.assessments, check_dtype=False)
    first_line = paths[0].read_text().splitlines()[1]
    assert first_line.split(",")[2].count("-") == 2 and ":" not in first_line

    book = openpyxl.load_workbook(paths[1])
    assert book.sheetnames[0] == "followup"
    sheet = book["followup"]
    header = [cell.value for cell in sheet[1]]
    assert header == list(expected.to_wide().columns)
    date_columns = [i + 1 for i, name in enumerate(header) if "date" in name]
    assert len(date_columns) == 9
    for row in sheet.iter_rows(min_row=2):
        for cell in (row[i - 1] for i in date_columns):
            assert cell.value is None or (cell.is_date and cell.number_format == "YYYY-MM-DD")
        assert row[header.index("date_baseline")].is_date  # the baseline is never missed
    wide = pd.read_excel(paths[1], sheet_name="followup")
    assert len(wide) == 60

    events = pd.read_csv(paths[2], parse_dates=["event_date"])
    assert len(events) == len(expected.events)
    assert (events["event_date"].to_numpy() == expected.events["event_date"].to_numpy()).all()


# The bundled sample ------------------------------------------------------------


def test_bundled_sample_shows_the_completer_effect() -> None:
    """Knees: responder rates among those assessed near the pooled literature, relief shorter."""
    from outcomes.analysis import analyze

    sample = Path(__file__).parents[1] / "data" / "sample"
    result = analyze(
        sample / "followup_long.csv", events=sample / "events.csv", by="joint", n_boot=0
    )
    knee = next(g for g in result.groups if g.name == "knee")
    rates = knee.responder_rates.set_index("months")
    relief = knee.curve.relief_at.set_index("months")["estimate"]
    # 12 months: about the pooled 43% (kanjanapanang2025), all treated knees assessed.
    assert 0.40 <= rates.loc[12.0, "rate"] <= 0.50
    # 24 months: near the pooled 58%, with enough knees assessed then ...
    assert rates.loc[24.0, "assessed"] >= 40
    assert 0.45 <= rates.loc[24.0, "rate"] <= 0.65
    # ... while far fewer initial responders kept their relief that long.
    assert rates.loc[24.0, "rate"] - relief.loc[24.0] >= 0.2
    assert rates.loc[24.0, "rate"] > rates.loc[12.0, "rate"]  # completers look better later
    assert 9 <= knee.curve.median.estimate <= 12  # months
