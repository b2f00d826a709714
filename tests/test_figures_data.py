"""What the figures and report tables are drawn from: risk table, trajectory, complications."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from outcomes import analyze, load_cohort
from outcomes.endpoints import (
    MILD_COMPLICATIONS,
    complication_rates,
    responder_rates,
    score_trajectory,
)
from outcomes.survival import risk_table

SAMPLE = Path(__file__).parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def cohort():
    return load_cohort(SAMPLE / "followup_long.csv", events=SAMPLE / "events.csv")


def test_risk_table_counts_by_hand() -> None:
    # loss seen at 2 and 4 months; follow-up ended with relief at 2 and 5 months
    t = risk_table([1, 2, 3, 5], [2, np.inf, 4, np.inf], [0, 2, 3, 6])
    assert t["lost"].tolist() == [0, 1, 1, 2]
    assert t["censored"].tolist() == [0, 1, 1, 2]
    assert t["at_risk"].tolist() == [4, 2, 2, 0]


def test_risk_table_adds_up_and_at_risk_never_rises(cohort) -> None:
    result = analyze(cohort, n_boot=0)
    t = result.risk_table((0, 1, 3, 6, 9, 12, 18, 24, 36))
    n = result.curve.n
    assert (t["at_risk"] + t["lost"] + t["censored"] == n).all()
    assert np.all(np.diff(t["at_risk"]) <= 0)
    assert t["lost"].iloc[-1] == result.curve.n_events


def test_trajectory_n_and_median_match_the_files_visits(cohort) -> None:
    """In the sample each visit lies within 25% of its nominal month, so the
    nearest-visit rule finds exactly the rows labelled with that visit."""
    traj = score_trajectory(cohort).set_index("months")
    raw = pd.read_csv(SAMPLE / "followup_long.csv")
    with_baseline = set(raw.loc[raw["visit"] == "baseline", "procedure_id"])
    for months, label in ((3.0, "3m"), (6.0, "6m"), (12.0, "12m")):
        scores = raw.loc[(raw["visit"] == label) & raw["procedure_id"].isin(with_baseline), "score"]
        assert traj.loc[months, "n"] == len(scores)
        assert traj.loc[months, "median"] == scores.median()
        assert traj.loc[months, "mean"] == pytest.approx(scores.mean())
    assert traj.loc[0.0, "n"] == len(with_baseline)


def test_trajectory_per_group_adds_up_to_all(cohort) -> None:
    all_ = score_trajectory(cohort).set_index("months")["n"]
    by = score_trajectory(cohort, by="joint").groupby("months")["n"].sum()
    pd.testing.assert_series_equal(by, all_, check_names=False)


def test_complications_count_procedures_once_per_kind(cohort) -> None:
    ev = pd.read_csv(SAMPLE / "events.csv")
    comp = ev[ev["event"] == "complication"]
    rates = complication_rates(cohort).set_index("complication")
    n = len(cohort.procedures)
    for kind, procs in comp.groupby("detail")["procedure_id"]:
        assert rates.loc[kind, "procedures"] == procs.nunique()
    assert rates.loc["any", "procedures"] == comp["procedure_id"].nunique()
    serious = comp[~comp["detail"].isin(MILD_COMPLICATIONS)]["procedure_id"].nunique()
    assert rates.loc["any serious", "procedures"] == serious
    assert (rates["of"] == n).all()
    assert (rates["lower"] <= rates["rate"]).all() and (rates["rate"] <= rates["upper"]).all()


def test_improvement_at_3_months_is_what_the_responder_rate_counts(cohort) -> None:
    result = analyze(cohort, n_boot=0)
    imp = result.improvement_at(3.0)
    rate = responder_rates(cohort, (3.0,)).iloc[0]
    assert len(imp) == rate["assessed"]
    assert imp["relief"].sum() == rate["responders"]
    assert (imp["relief"] == (imp["percent"] >= 50 - 1e-9)).all()
    assert "patient" not in imp.columns and "procedure" not in imp.columns
