"""Key findings (outcomes.findings): one table of the numbers every output leads with."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from outcomes.analysis import Analysis, analyze

SAMPLE = Path(__file__).parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def result() -> Analysis:
    return analyze(SAMPLE / "followup_long.csv", events=SAMPLE / "events.csv", n_boot=30)


def test_findings_are_the_analysis_own_numbers(result: Analysis) -> None:
    k = result.key_findings().set_index("key")
    assert list(k.index[:5]) == [
        "cohort", "responders_3m", "median_months", "relief_12m", "relief_24m",
    ]  # fmt: skip
    assert k.loc["cohort", "estimate"] == result.counts["procedures"]
    assert k.loc["cohort", "n"] == result.counts["patients"]
    m = result.curve.median
    assert (k.loc["median_months", "estimate"], k.loc["median_months", "lower"]) == (
        m.estimate,
        m.lower,
    )
    at12 = result.curve.relief_at.set_index("months").loc[12.0]
    assert k.loc["relief_12m", "estimate"] == at12["estimate"]
    r3 = result.responder_rates.set_index("months").loc[3.0]
    assert (
        k.loc["responders_3m", "estimate"] == r3["rate"]
        and k.loc["responders_3m", "n"] == r3["assessed"]
    )


def test_the_24_month_comparison_is_per_joint_with_the_pooled_figure(result: Analysis) -> None:
    rows = result.key_findings().query("key == 'completer_24m'")
    assert list(rows["group"]) == ["knee"]  # the only joint with a pooled 24-month figure
    knee = rows.iloc[0]
    assert knee["reference"] == 0.58 and "Kanjanapanang" in knee["source"]
    knee_only = analyze(
        result.cohort.subset(result.relief.index[result.relief["joint"] == "knee"]), n_boot=30
    )
    rate = knee_only.responder_rates.set_index("months").loc[24.0]
    assert knee["estimate"] == rate["rate"] and knee["n"] == rate["assessed"]
    at24 = knee_only.curve.relief_at.set_index("months").loc[24.0]
    assert knee["relief"] == pytest.approx(at24["estimate"], abs=1e-12)


def test_json_carries_the_same_table(result: Analysis) -> None:
    table = result.key_findings()
    records = json.loads(json.dumps(result.to_dict(), allow_nan=False))["key_findings"]
    assert [r["key"] for r in records] == list(table["key"])
    for r, (_, row) in zip(records, table.iterrows(), strict=True):
        for col in ("estimate", "lower", "upper"):
            value = float(row[col])
            assert (r[col] is None) if not np.isfinite(value) else r[col] == value
