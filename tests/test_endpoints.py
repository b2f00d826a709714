"""Relief derivation: each rule on a hand-made case, and invariants by property tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outcomes.endpoints import ReliefDefinition, derive_relief
from outcomes.io import DAYS_PER_MONTH
from outcomes.schema import load_cohort

M = DAYS_PER_MONTH


def one(
    tmp_path: Path,
    rows: list[tuple[int, float]],
    definition: ReliefDefinition | None = None,
    events: str | None = None,
    instrument: str = "nrs",
) -> pd.Series:
    """Derive relief for a single knee procedure given (day, score) pairs."""
    text = "patient_id,procedure_date,joint,side,days_after,score,instrument\n" + "".join(
        f"A,2024-01-01,knee,left,{d},{s},{instrument}\n" for d, s in rows
    )
    p = tmp_path / "one.csv"
    p.write_text(text)
    ev = None
    if events:
        ev = tmp_path / "ev.csv"
        ev.write_text("patient_id,procedure_date,event,event_date\n" + events)
    r = derive_relief(load_cohort(p, events=ev), definition)
    assert len(r) == 1
    return r.iloc[0]


CASES = [
    pytest.param(
        [(-3, 8), (7, 9), (30, 3), (91, 4), (183, 6)],
        {},
        (91, 183, "loss"),
        id="loss between the last visit with relief and the first without",
    ),
    pytest.param(
        [(-3, 8), (30, 4), (91, 4), (183, 2)],
        {},
        (183, np.inf, "censored"),
        id="never lost: censored after the last visit",
    ),
    pytest.param(
        [(-3, 8), (30, 4), (91, 5), (183, 4), (365, 6)],
        {"confirm": 2},
        (183, np.inf, "censored"),
        id="confirm=2: a single visit without relief is not loss, nor an unconfirmed last",
    ),
    pytest.param(
        [(-3, 8), (30, 4), (91, 5), (183, 6)],
        {"confirm": 2},
        (30, 91, "loss"),
        id="confirm=2: loss dated at the first of two",
    ),
    pytest.param(
        [(-3, 8), (10, 2), (30, 6)], {}, None, id="relief inside the flare window does not count"
    ),
    pytest.param(
        [(-3, 8), (30, 6), (91, 7)],
        {"absolute_reduction": 2, "percent_reduction": None},
        (30, 91, "loss"),
        id="absolute 2 points: 8 -> 6 is relief, 8 -> 7 is not",
    ),
    pytest.param(
        [(-3, 8), (30, 6), (91, 3)],
        {"absolute_reduction": 2, "combine": "all"},
        None,
        id="both thresholds: 8 -> 6 is not 50%, so no initial response",
    ),
    pytest.param(
        [(-120, 2), (-30, 8), (30, 4), (91, 6)],
        {},
        (30, 91, "loss"),
        id="baseline is the latest score in the window",
    ),
]


@pytest.mark.parametrize(("rows", "kwargs", "expected"), CASES)
def test_relief_interval(
    tmp_path: Path,
    rows: list[tuple[int, float]],
    kwargs: dict,
    expected: tuple[float, float, str] | None,
) -> None:
    r = one(tmp_path, rows, ReliefDefinition(**kwargs))
    if expected is None:
        assert r["excluded"] == "non_responder"
        assert not r["responder"]
        return
    lo, hi, event = expected
    assert r["responder"]
    assert r["lower_months"] == pytest.approx(lo / M, abs=1e-12)
    assert r["upper_months"] == pytest.approx(hi / M, abs=1e-12)
    assert r["event"] == event


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        pytest.param([(30, 3), (91, 4)], "no_baseline", id="no score before the procedure"),
        pytest.param([(-100, 8), (30, 3)], "no_baseline", id="baseline outside the 90-day window"),
        pytest.param([(-3, 0), (30, 0)], "baseline_at_best", id="baseline 0 cannot improve"),
        pytest.param([(-3, 8), (7, 3)], "no_followup", id="only flare-window follow-up"),
    ],
)
def test_exclusions(tmp_path: Path, rows: list[tuple[int, float]], reason: str) -> None:
    r = one(tmp_path, rows)
    assert r["excluded"] == reason
    assert pd.isna(r["responder"])
    assert np.isnan(r["lower_months"])


def test_population_all_counts_non_responders_as_immediate_loss(tmp_path: Path) -> None:
    r = one(tmp_path, [(-3, 8), (30, 6), (91, 3)], ReliefDefinition(population="all"))
    assert r["excluded"] is None and not r["responder"]
    assert (r["lower_months"], r["upper_months"], r["event"]) == (0.0, 30 / M, "loss")


def test_higher_is_better_instrument_measures_improvement_upwards(tmp_path: Path) -> None:
    # Oxford Knee Score 0-48: baseline 16 has room 32; 50% needs >= 32 points
    r = one(tmp_path, [(-3, 16), (30, 40), (91, 30)], instrument="oks")
    assert r["responder"]
    assert (r["lower_months"], r["upper_months"]) == (30 / M, 91 / M)


def test_repeat_procedure_before_loss_counts_as_loss(tmp_path: Path) -> None:
    rows = [(-3, 8), (30, 3), (91, 3)]
    ev = "A,2024-01-01,repeat_procedure,2024-06-01\n"
    r = one(tmp_path, rows, events=ev)
    assert (r["lower_months"], r["upper_months"], r["event"]) == (
        91 / M,
        152 / M,
        "repeat_procedure",
    )
    r = one(tmp_path, rows, ReliefDefinition(repeat_procedure_is_loss=False), events=ev)
    assert (r["lower_months"], r["upper_months"], r["event"], r["censor_reason"]) == (
        91 / M,
        np.inf,
        "censored",
        "repeat_procedure",
    )


def test_surgery_censors_at_the_last_assessment_before_it(tmp_path: Path) -> None:
    r = one(
        tmp_path, [(-3, 8), (30, 3), (91, 3), (200, 9)], events="A,2024-01-01,surgery,2024-05-01\n"
    )
    assert (r["lower_months"], r["upper_months"], r["event"], r["censor_reason"]) == (
        91 / M,
        np.inf,
        "censored",
        "surgery",
    )


def test_output_has_no_patient_identifier(tmp_path: Path) -> None:
    r = derive_relief(load_cohort(Path(__file__).parent / "data" / "minimal.csv"))
    assert "patient_id" not in r.columns


# --------------------------------------------------------------------------- #
# properties


@st.composite
def long_tables(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 8))
    rows = []
    for i in range(n):
        base_day = -draw(st.integers(0, 100))
        days = sorted(draw(st.sets(st.integers(1, 800), min_size=0, max_size=7)))
        for d in [base_day, *days]:
            rows.append(
                (
                    f"P{i}",
                    "2023-03-01",
                    "knee",
                    "left" if i % 2 else "right",
                    d,
                    draw(st.integers(0, 10)),
                )
            )
    return pd.DataFrame(
        rows, columns=["patient_id", "procedure_date", "joint", "side", "days_after", "score"]
    )


def _derive(tmp_path: Path, frame: pd.DataFrame, d: ReliefDefinition) -> pd.DataFrame:
    p = tmp_path / "h.csv"
    frame.to_csv(p, index=False)
    return derive_relief(load_cohort(p), d)


definitions = st.builds(
    ReliefDefinition,
    percent_reduction=st.sampled_from([30.0, 50.0, 70.0]),
    confirm=st.integers(1, 3),
    population=st.sampled_from(["responders", "all"]),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(frame=long_tables(), d=definitions, seed=st.integers(0, 2**16))
def test_bounds_are_ordered_and_shuffling_rows_changes_nothing(
    tmp_path: Path, frame: pd.DataFrame, d: ReliefDefinition, seed: int
) -> None:
    r = _derive(tmp_path, frame, d)
    used = r[r["excluded"].isna()]
    assert (used["lower_months"] >= 0).all()
    assert (used["lower_months"] < used["upper_months"]).all()
    assert used["event"].isin(["loss", "censored", "repeat_procedure"]).all()
    shuffled = frame.sample(frac=1, random_state=seed).reset_index(drop=True)
    s = _derive(tmp_path, shuffled, d)
    key = ["joint", "side", "baseline_score", "lower_months", "upper_months", "event"]
    a = r.assign(p=r["patient"].map(dict(enumerate(pd.factorize(frame["patient_id"])[1]))))
    b = s.assign(p=s["patient"].map(dict(enumerate(pd.factorize(shuffled["patient_id"])[1]))))
    pd.testing.assert_frame_equal(
        a.set_index("p").sort_index()[key], b.set_index("p").sort_index()[key]
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    frame=long_tables(),
    strict=st.sampled_from([50.0, 70.0]),
    loose=st.sampled_from([20.0, 30.0, 50.0]),
)
def test_a_looser_threshold_never_yields_fewer_responders(
    tmp_path: Path, frame: pd.DataFrame, strict: float, loose: float
) -> None:
    loose = min(loose, strict)
    n_strict = _derive(tmp_path, frame, ReliefDefinition(percent_reduction=strict))[
        "responder"
    ].sum()
    n_loose = _derive(tmp_path, frame, ReliefDefinition(percent_reduction=loose))["responder"].sum()
    assert n_loose >= n_strict


def test_responder_rate_uses_the_assessment_nearest_the_landmark(tmp_path: Path) -> None:
    from outcomes.endpoints import responder_rates

    text = "patient_id,procedure_date,days_after,score\n" + "".join(
        f"{p},2024-01-01,{d},{s}\n"
        for p, d, s in [
            ("A", 0, 8),
            ("A", 80, 3),
            ("A", 95, 7),  # 95 is nearest 91: no relief
            ("B", 0, 8),
            ("B", 100, 2),  # relief at day 100 (within 68-114)
            ("C", 0, 8),
            ("C", 30, 2),  # not assessed near 3 months
            ("D", 0, 8),
            ("D", 120, 2),  # day 120 is outside +-25% of 91.3
        ]
    )
    p = tmp_path / "rr.csv"
    p.write_text(text)
    rr = responder_rates(load_cohort(p), landmarks_months=(3,))
    assert rr[["months", "assessed", "responders"]].values.tolist() == [[3.0, 2, 1]]
    assert rr["rate"].iloc[0] == 0.5
    assert rr["lower"].iloc[0] < 0.5 < rr["upper"].iloc[0]


def test_competing_events_take_the_first_event_or_censor_at_the_last_visit(
    tmp_path: Path,
) -> None:
    from outcomes.endpoints import derive_competing_events

    p = tmp_path / "f.csv"
    p.write_text(
        "patient_id,procedure_date,joint,side,days_after,score\n"
        "A,2024-01-01,knee,left,0,8\nA,2024-01-01,knee,left,90,3\n"
        "B,2024-01-01,knee,left,0,8\nB,2024-01-01,knee,left,200,3\n"
        "C,2024-01-01,knee,left,0,8\nC,2024-01-01,knee,left,60,3\n"
    )
    ev = tmp_path / "e.csv"
    ev.write_text(
        "patient_id,procedure_date,event,event_date\n"
        "A,2024-01-01,surgery,2024-06-01\nA,,death,2024-09-01\n"
        "C,2024-01-01,withdrawal,2024-04-01\n"
    )
    c = load_cohort(p, events=ev)
    out = derive_competing_events(c)
    by_patient = out.join(c.procedures["patient_id"]).set_index("patient_id")
    assert by_patient.loc["A", "cause"] == 2  # surgery came before death
    assert by_patient.loc["A", "months"] == pytest.approx(152 / M)
    assert (by_patient.loc["B", "cause"], by_patient.loc["B", "months"]) == (0, 200 / M)
    assert by_patient.loc["C", "cause"] == 0  # withdrawal censors, at the last visit
    assert by_patient.loc["C", "months"] == pytest.approx(60 / M)


@pytest.mark.parametrize(
    ("last_day", "other_last_day", "events", "expected"),
    [
        pytest.param(91, 400, None, (91, 182, "loss"), id="stopped after 3 months: lost by 6"),
        pytest.param(170, 400, None, (170, 365, "loss"), id="early 6-month visit: lost by 12"),
        pytest.param(91, 150, None, (91, np.inf, "censored"), id="6-month visit not yet due"),
        pytest.param(730, 900, None, (730, np.inf, "censored"), id="schedule completed"),
        pytest.param(
            91,
            400,
            "A,2024-01-01,withdrawal,2024-05-01\n",
            (91, np.inf, "censored"),
            id="withdrawal is not drop-out",
        ),
    ],
)
def test_dropout_in_relief_counts_as_loss_in_the_sensitivity_analysis(
    tmp_path: Path,
    last_day: int,
    other_last_day: int,
    events: str | None,
    expected: tuple[float, float, str],
) -> None:
    """ReliefDefinition(dropout="loss"): informative drop-out, the worst plausible case."""
    rows = [("A", -3, 8), ("A", 30, 3), ("A", last_day, 3)]
    rows += [("B", -3, 8), ("B", 30, 3), ("B", other_last_day, 3)]
    text = "patient_id,procedure_date,joint,side,days_after,score\n" + "".join(
        f"{p},2024-01-01,knee,left,{d},{s}\n" for p, d, s in rows
    )
    (tmp_path / "f.csv").write_text(text)
    ev = None
    if events:
        ev = tmp_path / "ev.csv"
        ev.write_text("patient_id,procedure_date,event,event_date\n" + events)
    cohort = load_cohort(tmp_path / "f.csv", events=ev)
    censored = derive_relief(cohort).iloc[0]
    assert censored["event"] == "censored" and censored["upper_months"] == np.inf
    r = derive_relief(cohort, ReliefDefinition(dropout="loss")).iloc[0]
    lo, hi, event = expected
    assert r["lower_months"] == pytest.approx(lo / M, abs=1e-12)
    assert r["upper_months"] == pytest.approx(hi / M, abs=1e-12)
    assert r["event"] == event
