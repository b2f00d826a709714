"""Date parsing: every supported spelling, and day/month order evidence."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from outcomes._dates import format_order, order_evidence, parse_dates, resolve_order
from outcomes.mapping import FileMapping
from outcomes.problems import ProblemCollector
from outcomes.schema import load_cohort


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
        pytest.param("09.01.2023", None, "2023-01-09", id="dotted without an order"),
        pytest.param("09.01.2023", "month-first", "2023-01-09", id="dotted is day-first always"),
        pytest.param("9.1.2023 14:30", None, "2023-01-09", id="dotted with time"),
        pytest.param("17th Apr 2023", None, "2023-04-17", id="ordinal th"),
        pytest.param("20th Sept 2024", None, "2024-09-20", id="ordinal with Sept"),
        pytest.param("2nd Mar 2022", None, "2022-03-02", id="ordinal nd"),
        pytest.param("1st January 2024", None, "2024-01-01", id="ordinal st, long month"),
        pytest.param("3rd of May 2023", None, "2023-05-03", id="ordinal rd with of"),
        pytest.param("23RD OF JUNE 2023", None, "2023-06-23", id="ordinal in capitals"),
        pytest.param("May 3rd, 2023", None, "2023-05-03", id="US ordinal"),
        pytest.param("Sept 3rd 2024", None, "2024-09-03", id="US ordinal without comma"),
        pytest.param("20 Sept 2024", None, "2024-09-20", id="Sept"),
        pytest.param("20 Sep. 2024", None, "2024-09-20", id="Sep with a full stop"),
        pytest.param("20-September-2024", None, "2024-09-20", id="September"),
        pytest.param("03-04-2024", "month-first", "2024-03-04", id="dashed follows the order"),
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
        pytest.param("31.02.2023", id="dotted, no such day"),
        pytest.param("01.13.2023", id="dotted month-first is not read"),
        pytest.param("17th Foo 2023", id="ordinal with unknown month name"),
        pytest.param("32nd Jan 2023", id="ordinal, no such day"),
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


#: One clinic column: date cells, serial numbers and text typed several ways.
MIXED = [
    (dt.datetime(2024, 4, 3, 9, 0), "2024-04-03"),
    (pd.Timestamp("2024-04-04"), "2024-04-04"),
    (45387, "2024-04-05"),
    (45388.0, "2024-04-06"),
    ("45389", "2024-04-07"),
    ("2024-04-08", "2024-04-08"),
    ("17th Apr 2023", "2023-04-17"),
    ("20th Sept 2024", "2024-09-20"),
    ("3rd of May 2023", "2023-05-03"),
    ("May 3rd, 2023", "2023-05-03"),
    ("3 Apr 2024", "2024-04-03"),
    ("09.01.2023", "2023-01-09"),
    ("13/05/2024", "2024-05-13"),
    ("", None),
    ("n/a", None),
]


@pytest.mark.parametrize(
    ("order", "fmt", "extra", "expected"),
    [
        pytest.param("day-first", None, [], [], id="no format"),
        pytest.param(
            "day-first",
            "%d/%m/%y",
            [("03/04/24", "2024-04-03")],
            [],
            id="format for two-digit years, the rest by kind",
        ),
        pytest.param(
            "day-first",
            "%m.%d.%Y",
            [],
            [("09.01.2023", "2023-09-01")],
            id="format wins over the dotted rule for what it matches",
        ),
    ],
)
def test_mixed_column_parses_each_cell_by_its_kind(
    order: str, fmt: str | None, extra: list, expected: list
) -> None:
    cells = [*MIXED, *extra]
    want = dict(cells) | dict(expected)
    values, bad = parse_dates(pd.Series([c for c, _ in cells], dtype=object), order=order, fmt=fmt)
    assert not bad.any()
    got = [None if pd.isna(v) else v.strftime("%Y-%m-%d") for v in values]
    assert got == [want[c] for c, _ in cells]


def test_mixed_excel_column_loads(tmp_path: Path) -> None:
    """A workbook column of date cells, serials and typed text loads without a mapping."""
    typed = [
        dt.datetime(2023, 1, 9),
        44935,
        "09.01.2023",
        "9th Jan 2023",
        "January 9th, 2023",
        "2023-01-09",
        "09/01/2023",
    ]
    rows = [(f"P{i}", d, day, 5) for i, d in enumerate(typed) for day in (0, 90)]
    frame = pd.DataFrame(rows, columns=["patient_id", "procedure_date", "days_after", "score"])
    frame.loc[len(frame)] = ["P9", "13/01/2023", 0, 5]  # a day above 12: slashed are day-first
    frame.to_excel(tmp_path / "mixed.xlsx", index=False)
    cohort = load_cohort(tmp_path / "mixed.xlsx")
    assert "bad_date" not in set(cohort.problems.table["rule"]), cohort.problems.lines()
    dates = cohort.procedures.set_index("patient_id")["procedure_date"]
    assert set(dates.drop("P9")) == {pd.Timestamp("2023-01-09")}


@pytest.mark.parametrize(
    ("texts", "decided", "example"),
    [
        pytest.param(["13/01/2024", "03/04/2024"], "day-first", "03/04/2024", id="day above 12"),
        pytest.param(["01/13/2024", "03/04/2024"], "month-first", "03/04/2024", id="month second"),
        pytest.param(["03/04/2024", "05/06/2024"], None, "03/04/2024", id="undecided"),
        pytest.param(["13/01/2024", "01/13/2024"], None, None, id="contradictory"),
        pytest.param(["2024-01-13"], None, None, id="no slashed dates"),
        pytest.param(["13.01.2024", "03/04/2024"], None, "03/04/2024", id="dotted is no evidence"),
        pytest.param(["03.04.2024"], None, None, id="dotted is never ambiguous"),
    ],
)
def test_order_evidence(texts: list[str], decided: str | None, example: str | None) -> None:
    ev = order_evidence([pd.Series(texts)])
    assert ev.decided == decided
    assert ev.example == example


@pytest.mark.parametrize(
    ("fmt", "order"),
    [
        pytest.param("%d/%m/%Y", "day-first", id="day-first slashed"),
        pytest.param("%m/%d/%Y", "month-first", id="month-first slashed"),
        pytest.param("%d-%m-%y %H:%M", "day-first", id="dashed with time"),
        pytest.param("%d.%m.%Y", None, id="dotted says nothing of slashed"),
        pytest.param("%d %B %Y", None, id="month name"),
        pytest.param(None, None, id="no format"),
    ],
)
def test_format_order(fmt: str | None, order: str | None) -> None:
    assert format_order(fmt) == order


@pytest.mark.parametrize(
    ("mapping", "texts", "expected", "rules"),
    [
        pytest.param(
            FileMapping(date_format="%d/%m/%Y"),
            ["13/01/2024", "01/13/2024"],
            ("day-first", False),
            [],
            id="slashed format decides, so 01/13 is a bad date, not month-first",
        ),
        pytest.param(
            FileMapping(date_format="%d %B %Y"),
            ["13/01/2024", "3 April 2024"],
            ("day-first", False),
            [],
            id="other format: slashed dates the data decide",
        ),
        pytest.param(
            FileMapping(date_format="%d %B %Y"),
            ["03/04/2024"],
            (None, True),
            ["ambiguous_dates"],
            id="other format: undecided slashed dates are one error",
        ),
        pytest.param(
            FileMapping(date_format="%d %B %Y", date_order="month-first"),
            ["13/01/2024"],
            ("month-first", False),
            [],
            id="the mapping's order wins",
        ),
    ],
)
def test_resolve_order_with_a_format(
    mapping: FileMapping, texts: list[str], expected: tuple, rules: list[str]
) -> None:
    problems = ProblemCollector()
    assert resolve_order([("d", pd.Series(texts))], mapping, problems, "f.csv") == expected
    assert problems.result().table["rule"].tolist() == rules


def ordinal(day: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, ..., 21st, 22nd, 23rd, ..., 31st."""
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


@given(
    st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2100, 12, 31)),
    st.sampled_from(["%b", "%B"]),
    st.sampled_from([str.lower, str.upper, str.title]),
)
def test_every_spelling_of_a_date_parses_to_that_date(d: dt.date, month: str, case) -> None:
    mon = d.strftime(month)
    if d.month == 9 and month == "%b":
        mon = "Sept"  # UK clinics' abbreviation; "Sep" is covered by the other draws
    day = ordinal(d.day)
    spellings = [
        d.isoformat(),
        d.strftime("%Y/%m/%d"),
        d.strftime("%d %b %Y"),
        d.strftime("%d-%B-%Y"),
        d.strftime("%b %d, %Y"),
        str((d - dt.date(1899, 12, 30)).days),
        d.strftime("%d.%m.%Y"),
        case(f"{day} {mon} {d.year}"),
        case(f"{day} of {mon} {d.year}"),
        case(f"{mon} {day}, {d.year}"),
        dt.datetime(d.year, d.month, d.day, 12, 30),
    ]
    for order in (None, "day-first", "month-first"):  # none of these depends on the order
        values, bad = parse_dates(pd.Series(spellings, dtype=object), order=order)
        assert not bad.any()
        assert set(values) == {pd.Timestamp(d)}
    dmy, _ = parse_dates(pd.Series([d.strftime("%d/%m/%Y")]), order="day-first")
    mdy, _ = parse_dates(pd.Series([d.strftime("%m/%d/%Y")]), order="month-first")
    assert dmy.iloc[0] == mdy.iloc[0] == pd.Timestamp(d)


def test_a_bad_date_gets_advice_that_fits_it(tmp_path: Path) -> None:
    """An impossible date is to be corrected; "tbc" is to be left blank; other text is
    to be written as YYYY-MM-DD."""
    path = tmp_path / "bd.csv"
    rows = [("31/02/2024", "P1"), ("tbc", "P2"), ("March the 3rd", "P3")]
    path.write_text(
        "patient_id,procedure_date,days_after,score\n"
        + "".join(f"{p},{d},-1,8\n{p},{d},90,3\n" for d, p in rows)
    )
    lines = load_cohort(path).problems.lines()
    assert any(
        "31/02/2024 is not a date on the calendar (no such day or month)" in x for x in lines
    )
    assert any(
        "tbc is not a date; leave the cell blank if the date is not known" in x for x in lines
    )
    assert any("March the 3rd is not a date; write dates as YYYY-MM-DD" in x for x in lines)
