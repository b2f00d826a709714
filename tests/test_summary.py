"""The text summary: how estimates are written."""

from __future__ import annotations

import math

import pytest

from outcomes.summary import format_estimate
from outcomes.survival import Estimate

NAN = math.nan


@pytest.mark.parametrize(
    ("estimate", "text"),
    [
        pytest.param(Estimate(7.6, 6.4, 8.1), "7.6 months (95% CI 6.4-8.1)", id="usual"),
        pytest.param(
            Estimate(6.61, 6.58, 6.64),
            "6.61 months (95% CI 6.58-6.64)",
            id="narrow interval gets another digit",
        ),
        pytest.param(
            Estimate(9.0, 7.5, NAN, "upper limit not reached"),
            "9.0 months (95% CI 7.5-not reached)",
            id="upper limit not reached",
        ),
        pytest.param(Estimate(NAN, 12.0, NAN, "not reached"), "not reached", id="not reached"),
        pytest.param(
            Estimate(NAN, NAN, NAN, "not estimated: follow-up ends at 9.0 months"),
            "not estimated: follow-up ends at 9.0 months",
            id="not estimable",
        ),
    ],
)
def test_format_estimate(estimate: Estimate, text: str) -> None:
    assert format_estimate(estimate) == text


def test_key_findings_hide_counts_of_one_to_four_when_asked() -> None:
    """--suppress-small: a sentence that would show or reveal a count of 1-4 says "<5"."""
    import pandas as pd

    from outcomes.findings import COLUMNS
    from outcomes.summary import key_findings_lines

    row = dict.fromkeys(COLUMNS, float("nan"))
    row.update(key="serious_complications", group="all", finding="", unit="proportion",
               estimate=2 / 300, lower=0.001, upper=0.02, n=300, note="2 of 300 procedures",
               source="")  # fmt: skip
    table = pd.DataFrame([row])
    shown = key_findings_lines(table)[0]
    hidden = key_findings_lines(table, suppress_small=True)[0]
    assert "2 of 300" in shown and "0.7%" in shown
    assert hidden == "Serious complications: <5 of 300 procedures." and "%" not in hidden
