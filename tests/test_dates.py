"""Date parsing: every supported spelling, and day/month order evidence."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from outcomes._dates import order_evidence, parse_dates


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        pytest.param("2024-04-03", None, "2024-04-03", id="ISO"),
        pytest.param("2024-04-03 14:30:00", None, "2024-04-03", id="ISO with time"),
        pytest.param("2024/4/3", None, "2024-04-03", id="year first with slashes"),
        pytest.param("3 Apr 2024", None, "2024-04-03", id="day month-name year"),
        pytest.param("03-Apr-2024", None, "2024-04-03", id="Excel text export"),
        pytest.param("April 3, 2024", None, "2024-04-03", id="US long form"),
        pytest.param("3 September 2024", None, "2024-09-03", id="long month name"),
        pytest.param("45385", None, "2024-04-03", id="Excel serial as text"),
        pytest.param("03/04/2024", "day-first", "2024-04-03", id="day-first"),
        pytest.param("03/04/2024", "month-first", "2024-03-04", id="month-first"),
        pytest.param("03.04.2024", "day-first", "2024-04-03", id="dotted day-first"),
    ],
)
def test_supported_spellings(text: str, order: str | None, expected: str) -> None:
    values, bad = parse_dates(pd.Series([text]), order=order)
    assert not bad.any()
    assert values.iloc[0] == pd.Timestamp(expected)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("2024-02-30", id="no such day"),
        pytest.param("yesterday", id="words"),
        pytest.param("3 Foo 2024", id="unknown month name"),
        pytest.param("12", id="number too small for an Excel serial"),
        pytest.param("03/04/2024", id="slashed without an order"),
    ],
)
def test_unparseable_values_are_flagged(text: str) -> None:
    values, bad = parse_dates(pd.Series([text, "2024-01-01"]))
    assert bad.tolist() == [True, False]
    assert pd.isna(values.iloc[0])


def test_blanks_and_missing_markers_are_missing_not_bad() -> None:
    values, bad = parse_dates(pd.Series(["", "  ", None, "n/a", "2024-01-01"], dtype=object))
    assert not bad.any()
    assert values.isna().tolist() == [True, True, True, True, False]


def test_numeric_and_datetime_columns() -> None:
    serials = pd.Series([45385.0, np.nan, 5.0])
    values, bad = parse_dates(serials)
    assert values.iloc[0] == pd.Timestamp("2024-04-03")
    assert bad.tolist() == [False, False, True]
    stamps = pd.Series(pd.to_datetime(["2024-04-03 10:00", None]))
    values, bad = parse_dates(stamps)
    assert values.iloc[0] == pd.Timestamp("2024-04-03") and not bad.any()


def test_excel_cells_mixing_dates_and_text() -> None:
    cells = pd.Series([dt.datetime(2024, 4, 3, 9, 0), "2024-04-04", 45387], dtype=object)
    values, bad = parse_dates(cells)
    assert not bad.any()
    assert values.tolist() == [pd.Timestamp(f"2024-04-0{d}") for d in (3, 4, 5)]


@pytest.mark.parametrize(
    ("texts", "decided", "example"),
    [
        pytest.param(["13/01/2024", "03/04/2024"], "day-first", "03/04/2024", id="day above 12"),
        pytest.param(["01/13/2024", "03/04/2024"], "month-first", "03/04/2024", id="month second"),
        pytest.param(["03/04/2024", "05/06/2024"], None, "03/04/2024", id="undecided"),
        pytest.param(["13/01/2024", "01/13/2024"], None, None, id="contradictory"),
        pytest.param(["2024-01-13"], None, None, id="no slashed dates"),
    ],
)
def test_order_evidence(texts: list[str], decided: str | None, example: str | None) -> None:
    ev = order_evidence([pd.Series(texts)])
    assert ev.decided == decided
    assert ev.example == example


@given(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_every_spelling_of_a_date_parses_to_that_date(d: dt.date) -> None:
    spellings = [
        d.isoformat(),
        d.strftime("%Y/%m/%d"),
        d.strftime("%d %b %Y"),
        d.strftime("%d-%B-%Y"),
        d.strftime("%b %d, %Y"),
        str((d - dt.date(1899, 12, 30)).days),
    ]
    values, bad = parse_dates(pd.Series(spellings))
    assert not bad.any()
    assert set(values) == {pd.Timestamp(d)}
    dmy, _ = parse_dates(pd.Series([d.strftime("%d/%m/%Y")]), order="day-first")
    mdy, _ = parse_dates(pd.Series([d.strftime("%m/%d/%Y")]), order="month-first")
    assert dmy.iloc[0] == mdy.iloc[0] == pd.Timestamp(d)
