"""The data contract: validation rules and invariance of the loaded cohort."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import assert_same_cohort
from outcomes.errors import MappingError, ValidationError
from outcomes.mapping import FileMapping, load_mapping
from outcomes.schema import load_cohort

# --------------------------------------------------------------------------- #
# a small clean cohort, written out in many spellings

JOINTS = ["knee", "hip", "shoulder"]
SIDES = ["left", "right"]


@st.composite
def cohorts(draw: st.DrawFn) -> pd.DataFrame:
    """A clean long table: 1-4 procedures, each with a baseline and 1-5 follow-ups."""
    n = draw(st.integers(1, 4))
    rows = []
    for i in range(n):
        pdate = dt.date(2021, 1, 1) + dt.timedelta(days=draw(st.integers(0, 900)))
        joint, side = JOINTS[i % 3], SIDES[i % 2]
        days = sorted(draw(st.sets(st.integers(1, 800), min_size=1, max_size=5)))
        technique = draw(st.sampled_from(["conventional_rfa", "cooled_rfa", "pulsed_rf"]))
        age = draw(st.integers(40, 90))
        for d in [-draw(st.integers(0, 60)), *days]:
            rows.append(
                {
                    "patient_id": f"P{i // 2}",
                    "procedure_date": pdate,
                    "joint": joint,
                    "side": side,
                    "technique": technique,
                    "age": age,
                    "assessment_date": pdate + dt.timedelta(days=d),
                    "score": draw(st.integers(0, 10)),
                }
            )
    return pd.DataFrame(rows)


DATE_SPELLINGS = {
    "iso": lambda d: d.isoformat(),
    "iso_time": lambda d: d.isoformat() + "T00:00:00",
    "ymd_slash": lambda d: d.strftime("%Y/%m/%d"),
    "day_month_name": lambda d: d.strftime("%d %b %Y"),
    "day_dash_month_name": lambda d: d.strftime("%d-%b-%Y"),
    "month_name_day": lambda d: d.strftime("%B %d, %Y"),
    "excel_serial": lambda d: str((d - dt.date(1899, 12, 30)).days),
    "day_first": lambda d: d.strftime("%d/%m/%Y"),
    "month_first": lambda d: d.strftime("%m/%d/%Y"),
    "day_first_dots": lambda d: d.strftime("%d.%m.%Y"),
}
ORDER = {"day_first": "day-first", "month_first": "month-first", "day_first_dots": "day-first"}


def write(frame: pd.DataFrame, path: Path, spelling: str = "iso") -> Path:
    out = frame.copy()
    for c in ("procedure_date", "assessment_date"):
        if c in out:
            out[c] = out[c].map(DATE_SPELLINGS[spelling])
    out.to_csv(path, index=False)
    return path


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=cohorts(),
    order=st.randoms(use_true_random=False),
    spelling=st.sampled_from(sorted(DATE_SPELLINGS)),
    case=st.sampled_from(["upper", "title", "spaces"]),
)
def test_column_order_case_whitespace_and_date_spelling_do_not_change_the_cohort(
    tmp_path: Path, data: pd.DataFrame, order, spelling: str, case: str
) -> None:
    reference = load_cohort(write(data, tmp_path / "ref.csv")).raise_for_errors()

    cols = list(data.columns)
    order.shuffle(cols)
    shuffled = data[cols].sample(frac=1, random_state=order.randint(0, 1000))
    rename = {
        "upper": lambda c: c.upper(),
        "title": lambda c: c.replace("_", " ").title(),
        "spaces": lambda c: f"  {c} ",
    }[case]
    shuffled = shuffled.rename(columns=rename)
    for c in shuffled.columns:  # re-spell the dates under their renamed headers
        if c.strip().lower().replace(" ", "_") in ("procedure_date", "assessment_date"):
            shuffled[c] = shuffled[c].map(DATE_SPELLINGS[spelling])
    shuffled.to_csv(tmp_path / "v.csv", index=False)
    mapping = FileMapping(date_order=ORDER.get(spelling))
    variant = load_cohort(tmp_path / "v.csv", mapping=mapping).raise_for_errors()
    assert_same_cohort(reference, variant)


def to_wide(long: pd.DataFrame) -> pd.DataFrame:
    """One row per procedure with nrs_<n>d and date_<n>d columns (n = days, baseline first)."""
    long = long.copy()
    long["days"] = (
        pd.to_datetime(long["assessment_date"]) - pd.to_datetime(long["procedure_date"])
    ).dt.days
    long["visit"] = np.where(
        long.groupby(["patient_id", "joint", "side"]).cumcount() == 0,
        "baseline",
        "v" + long.groupby(["patient_id", "joint", "side"]).cumcount().astype(str),
    )
    fixed = ["patient_id", "procedure_date", "joint", "side", "technique", "age"]
    score = long.pivot(index=fixed, columns="visit", values="score")
    date = long.pivot(index=fixed, columns="visit", values="assessment_date")
    score.columns = [f"nrs_{c}" if c == "baseline" else f"nrs_{int(c[1:])}0d" for c in score]
    date.columns = [f"date_{c}" if c == "baseline" else f"date_{int(c[1:])}0d" for c in date]
    return pd.concat([score, date], axis=1).reset_index()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=cohorts(), fmt=st.sampled_from(["csv", "xlsx", "parquet"]))
def test_long_and_wide_forms_give_the_same_cohort(
    tmp_path: Path, data: pd.DataFrame, fmt: str
) -> None:
    long = load_cohort(write(data, tmp_path / "long.csv")).raise_for_errors()
    wide = to_wide(data)
    # wide dates as real dates (Excel, Parquet) or ISO text (CSV)
    for c in wide.columns:
        if c.startswith("date_") or c == "procedure_date":
            wide[c] = pd.to_datetime(wide[c])
    path = tmp_path / f"wide.{fmt}"
    if fmt == "csv":
        wide.to_csv(path, index=False, date_format="%Y-%m-%d")
    elif fmt == "xlsx":
        wide.to_excel(path, index=False)
    else:
        wide.to_parquet(path, index=False)
    assert_same_cohort(long, load_cohort(path).raise_for_errors())


# --------------------------------------------------------------------------- #
# rules, one case each


def csv(tmp_path: Path, text: str, name: str = "f.csv") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


HEAD = "patient_id,procedure_date,assessment_date,score,joint,side,technique\n"


def test_procedures_are_identified_by_patient_date_joint_and_side(tmp_path: Path) -> None:
    c = load_cohort(
        csv(
            tmp_path,
            HEAD
            + "P1,2024-01-10,2024-01-05,8,knee,left,cooled_rfa\n"
            + "P1,2024-01-10,2024-01-05,7,knee,right,cooled_rfa\n"
            + "P1,2024-01-10,2024-04-10,3,knee,left,cooled_rfa\n"
            + "P1,2024-01-10,2024-04-10,6,knee,right,cooled_rfa\n",
        )
    )
    assert c.ok
    assert len(c.procedures) == 2
    assert c.counts()["patients"] == 1
    by_side = c.assessments.merge(c.procedures[["side"]], left_on="procedure", right_index=True)
    assert by_side.groupby("side")["score"].apply(list).to_dict() == {
        "left": [8.0, 3.0],
        "right": [7.0, 6.0],
    }


def test_procedure_id_column_identifies_procedures(tmp_path: Path) -> None:
    c = load_cohort(
        csv(
            tmp_path,
            "patient_id,procedure_id,procedure_date,days_after,score\n"
            "P1,A,2024-01-10,0,8\nP1,A,2024-01-10,90,3\nP1,B,2024-01-10,0,7\nP1,B,2024-01-10,90,7\n",
        )
    )
    assert c.ok
    assert sorted(c.procedures["procedure_id"]) == ["A", "B"]


def test_blank_procedure_level_cells_are_filled_from_the_same_procedure(tmp_path: Path) -> None:
    c = load_cohort(
        csv(
            tmp_path,
            HEAD
            + "P1,2024-01-10,2024-01-05,8,knee,left,cooled_rfa\n"
            + "P1,2024-01-10,2024-04-10,3,knee,left,\n",
        )
    )
    assert c.ok
    assert c.procedures["technique"].tolist() == ["cooled_rfa"]


def test_technique_and_side_aliases_are_normalised(tmp_path: Path) -> None:
    c = load_cohort(
        csv(
            tmp_path,
            HEAD
            + "P1,2024-01-10,2024-01-05,8,Knee,L,Cooled\n"
            + "P1,2024-01-10,2024-04-10,3,knee,left,cooled rfa\n",
        )
    )
    assert c.ok, c.problems.lines()
    assert c.procedures[["joint", "side", "technique"]].iloc[0].tolist() == [
        "knee",
        "left",
        "cooled_rfa",
    ]


def test_identical_duplicate_rows_are_kept_once_with_a_warning(tmp_path: Path) -> None:
    c = load_cohort(
        csv(
            tmp_path,
            HEAD
            + "P1,2024-01-10,2024-01-05,8,knee,left,cooled_rfa\n"
            + "P1,2024-01-10,2024-04-10,3,knee,left,cooled_rfa\n"
            + "P1,2024-01-10,2024-04-10,3,knee,left,cooled_rfa\n",
        )
    )
    assert c.ok
    assert len(c.assessments) == 2
    assert c.problems.table["rule"].tolist() == ["duplicate_row"]
    assert c.problems.table["row"].tolist() == [4]


def test_missing_markers_such_as_dna_are_blank_scores(tmp_path: Path) -> None:
    c = load_cohort(
        csv(
            tmp_path,
            HEAD
            + "P1,2024-01-10,2024-01-05,8,knee,left,cooled_rfa\n"
            + "P1,2024-01-10,2024-02-10,DNA,knee,left,cooled_rfa\n"
            + "P1,2024-01-10,2024-04-10,3,knee,left,cooled_rfa\n",
        )
    )
    assert c.ok
    assert len(c.assessments) == 2
    assert c.problems.table["rule"].tolist() == ["missing_score"]


def test_future_dates_are_excluded_against_the_data_cut(tmp_path: Path) -> None:
    path = csv(
        tmp_path,
        HEAD
        + "P1,2024-01-10,2024-01-05,8,knee,left,cooled_rfa\n"
        + "P1,2024-01-10,2024-04-10,3,knee,left,cooled_rfa\n"
        + "P1,2024-01-10,2062-04-10,3,knee,left,cooled_rfa\n",
    )
    c = load_cohort(path, as_of=dt.date(2025, 1, 1))
    assert c.ok
    assert len(c.assessments) == 2
    assert c.problems.lines() == [
        'warning: f.csv row 4 (patient P1), column "assessment_date": 2062-04-10 is after the '
        "data cut 2025-01-01: row excluded"
    ]
    # without a data cut there is no notion of "future"
    assert len(load_cohort(path).assessments) == 3


def test_no_baseline_and_no_followup_are_warnings(tmp_path: Path) -> None:
    c = load_cohort(
        csv(
            tmp_path,
            HEAD
            + "P1,2024-01-10,2024-04-10,3,knee,left,cooled_rfa\n"
            + "P2,2024-01-10,2024-01-05,8,knee,left,cooled_rfa\n",
        )
    )
    assert c.ok
    assert sorted(c.problems.table["rule"]) == ["no_baseline", "no_followup"]
    assert len(c.procedures) == 2


def test_identifier_columns_are_dropped_with_a_warning(tmp_path: Path) -> None:
    c = load_cohort(
        csv(
            tmp_path,
            "Patient ID,Patient Name,DOB,NRIC,Phone,E-mail,Home Address,procedure_date,days_after,"
            "score,age\n"
            "P1,Ann Lee,1950-01-01,S1234567A,555,a@b.c,1 Road,2024-01-10,0,8,74\n"
            "P1,Ann Lee,1950-01-01,S1234567A,555,a@b.c,1 Road,2024-01-10,90,3,74\n",
        )
    )
    assert c.ok
    assert c.covariates == ("age",)
    (line,) = c.problems.warnings.lines()
    assert line == (
        'warning: f.csv, column "Patient Name, DOB, NRIC, Phone, E-mail, Home Address": dropped '
        'column(s) that look like direct patient identifiers: "Patient Name", "DOB", "NRIC", '
        '"Phone", "E-mail", "Home Address"; they are not read. If one is not an identifier, '
        "rename it in a mapping file"
    )
    shown = c.procedures.to_string() + c.assessments.to_string()
    assert "Ann Lee" not in shown and "S1234567A" not in shown


def test_raise_for_errors_lists_every_error(tmp_path: Path) -> None:
    c = load_cohort(
        csv(
            tmp_path,
            HEAD
            + "P1,2024-01-10,2024-01-05,11,knee,left,cooled_rfa\n"
            + "P1,2024-01-10,2024-04-10,-1,knee,left,cooled_rfa\n",
        )
    )
    with pytest.raises(ValidationError) as info:
        c.raise_for_errors()
    assert len(info.value.problems) == 2
    assert "11 is outside the NRS range 0-10" in str(info.value)
    assert "-1 is outside the NRS range 0-10" in str(info.value)


def test_higher_is_better_instrument_from_mapping(tmp_path: Path) -> None:
    m = tmp_path / "m.toml"
    m.write_text(
        '[columns]\n"Pain" = "score"\n"Tool" = "instrument"\n'
        "[instruments.bpi]\nminimum = 0\nmaximum = 10\n"
    )
    c = load_cohort(
        csv(
            tmp_path,
            "patient_id,procedure_date,days_after,Pain,Tool\n"
            "P1,2024-01-10,0,8,BPI\nP1,2024-01-10,90,3,bpi\nP1,2024-01-10,180,12,bpi\n",
        ),
        mapping=m,
    )
    assert c.problems.lines() == [
        'error: f.csv row 4 (patient P1), column "Pain": 12 is outside the BPI range 0-10'
    ]


# --------------------------------------------------------------------------- #
# events

FOLLOW = (
    HEAD
    + "P1,2024-01-10,2024-01-05,8,knee,left,cooled_rfa\n"
    + "P1,2024-01-10,2024-04-10,3,knee,left,cooled_rfa\n"
    + "P1,2024-01-10,2024-10-10,3,knee,left,cooled_rfa\n"
    + "P1,2024-01-10,2024-01-05,7,knee,right,cooled_rfa\n"
    + "P1,2024-01-10,2024-04-10,2,knee,right,cooled_rfa\n"
    + "P1,2024-11-01,2024-10-30,7,knee,left,cooled_rfa\n"
    + "P1,2024-11-01,2025-02-01,2,knee,left,cooled_rfa\n"
)


def test_events_link_to_procedures_and_end_followup(tmp_path: Path) -> None:
    ev = csv(
        tmp_path,
        "patient_id,procedure_date,joint,side,event,event_date,detail\n"
        "P1,2024-01-10,knee,left,surgery,2024-06-01,knee_replacement\n"
        "P1,2024-01-10,knee,right,complication,2024-01-12,swelling\n",
        "ev.csv",
    )
    c = load_cohort(csv(tmp_path, FOLLOW), events=ev)
    assert c.ok, c.problems.lines()
    p = c.procedures
    left = p.index[(p["side"] == "left") & (p["procedure_date"] == "2024-01-10")][0]
    right = p.index[p["side"] == "right"][0]
    assert p.loc[left, "followup_end_reason"] == "surgery"
    assert p.loc[left, "followup_end_day"] == (dt.date(2024, 6, 1) - dt.date(2024, 1, 10)).days
    # the day-274 assessment after surgery is excluded, with a warning naming its row
    assert c.assessments.loc[c.assessments["procedure"] == left, "days_after"].tolist() == [-5, 91]
    assert (
        "warning: f.csv row 4 (patient P1): assessment on day 274 is after the surgery on "
        "day 143, which ends follow-up: row excluded"
    ) in c.problems.lines()
    assert pd.isna(p.loc[right, "followup_end_reason"])
    comp = c.events[c.events["event"] == "complication"]
    assert comp[["procedure", "days_after", "detail"]].values.tolist() == [[right, 2.0, "swelling"]]


def test_ambiguous_event_for_bilateral_same_day_is_an_error(tmp_path: Path) -> None:
    ev = csv(
        tmp_path,
        "patient_id,procedure_date,event,event_date\nP1,2024-01-10,surgery,2024-06-01\n",
        "ev.csv",
    )
    c = load_cohort(csv(tmp_path, FOLLOW), events=ev)
    assert [r for r in c.problems.table["rule"] if r != "no_followup"] == ["ambiguous_event"]


def test_death_without_procedure_applies_to_all_procedures_of_the_patient(tmp_path: Path) -> None:
    ev = csv(
        tmp_path, "patient_id,procedure_date,event,event_date\nP1,,death,2025-03-01\n", "ev.csv"
    )
    c = load_cohort(csv(tmp_path, FOLLOW), events=ev)
    assert c.ok
    deaths = c.events[c.events["event"] == "death"]
    assert sorted(deaths["procedure"]) == sorted(c.procedures.index)


def test_repeat_procedure_on_same_joint_and_side_is_inferred(tmp_path: Path) -> None:
    c = load_cohort(csv(tmp_path, FOLLOW))
    assert c.ok
    rep = c.events[c.events["event"] == "repeat_procedure"]
    first = c.procedures.index[
        (c.procedures["side"] == "left") & (c.procedures["procedure_date"] == "2024-01-10")
    ][0]
    assert rep[["procedure", "source"]].values.tolist() == [[first, "inferred"]]
    assert rep["days_after"].tolist() == [(dt.date(2024, 11, 1) - dt.date(2024, 1, 10)).days]
    assert c.procedures.loc[first, "followup_end_reason"] == "repeat_procedure"


def test_repeat_procedure_from_events_file_is_not_duplicated(tmp_path: Path) -> None:
    ev = csv(
        tmp_path,
        "patient_id,procedure_date,joint,side,event,event_date\n"
        "P1,2024-01-10,knee,left,repeat_procedure,2024-11-01\n",
        "ev.csv",
    )
    c = load_cohort(csv(tmp_path, FOLLOW), events=ev)
    rep = c.events[c.events["event"] == "repeat_procedure"]
    assert rep["source"].tolist() == ["file"]


EVENT_HEAD = "patient_id,procedure_date,joint,side,event,event_date,detail\n"


def one_event(tmp_path: Path, event: str, detail: str = "", mapping: Path | None = None):
    """The loaded events of FOLLOW with one event on P1's left knee treated 2024-01-10."""
    ev = csv(
        tmp_path, EVENT_HEAD + f"P1,2024-01-10,knee,left,{event},2024-06-01,{detail}\n", "ev.csv"
    )
    c = load_cohort(csv(tmp_path, FOLLOW), events=ev, mapping=mapping)
    assert c.ok, c.problems.lines()
    return c.events[c.events["source"] == "file"]


@pytest.mark.parametrize(
    ("typed", "event", "detail"),
    [
        pytest.param("TKR", "surgery", "tkr", id="TKR"),
        pytest.param("THR", "surgery", "thr", id="THR"),
        pytest.param("tka", "surgery", "tka", id="TKA"),
        pytest.param("knee replacement", "surgery", "knee_replacement", id="knee replacement"),
        pytest.param(
            "Total Knee Replacement", "surgery", "total_knee_replacement", id="total knee"
        ),
        pytest.param("hip-replacement", "surgery", "hip_replacement", id="hip, hyphenated"),
        pytest.param(" Arthroplasty ", "surgery", "arthroplasty", id="arthroplasty, spaces"),
        pytest.param("died", "death", "died", id="died"),
        pytest.param("Deceased", "death", "deceased", id="deceased"),
        pytest.param("RIP", "death", "rip", id="RIP"),
        pytest.param("Death", "death", None, id="death is canonical: no detail"),
        pytest.param("repeat RFA", "repeat_procedure", "repeat_rfa", id="repeat RFA"),
        pytest.param("Redo RFA", "repeat_procedure", "redo_rfa", id="redo RFA"),
        pytest.param("re-do", "repeat_procedure", "re_do", id="re-do"),
        pytest.param("re_do", "repeat_procedure", "re_do", id="re_do, underscore"),
        pytest.param("repeat ablation", "repeat_procedure", "repeat_ablation", id="ablation"),
        pytest.param(
            "Repeat procedure", "repeat_procedure", None, id="repeat procedure is canonical"
        ),
        pytest.param("repeat__procedure", "repeat_procedure", None, id="doubled underscore"),
        pytest.param(" SURGERY ", "surgery", None, id="canonical in capitals"),
    ],
)
def test_event_synonyms_are_read_as_the_canonical_event(
    tmp_path: Path, typed: str, event: str, detail: str | None
) -> None:
    ev = one_event(tmp_path, typed)
    assert ev["event"].tolist() == [event]
    assert ev["detail"].tolist() == [detail]


def test_a_given_detail_is_kept_over_the_synonym(tmp_path: Path) -> None:
    ev = one_event(tmp_path, "TKR", "Revision of UKR")
    assert ev[["event", "detail"]].values.tolist() == [["surgery", "revision_of_ukr"]]


def test_mapping_file_adds_and_overrides_event_synonyms(tmp_path: Path) -> None:
    m = tmp_path / "clinic.toml"
    m.write_text(
        '[events.synonyms]\n"Revision" = "surgery"\n"Lost" = " Withdrawal"\n'
        '"Wound infection" = "complication"\n"Arthroplasty" = "complication"\n'
    )
    assert load_mapping(m).event_synonyms == {
        "revision": "surgery",
        "lost": "withdrawal",
        "wound_infection": "complication",
        "arthroplasty": "complication",
    }
    for typed, event in [
        ("revision", "surgery"),
        ("LOST", "withdrawal"),
        ("wound-infection", "complication"),
        ("arthroplasty", "complication"),  # the clinic's meaning wins over the built-in
        ("TKR", "surgery"),  # built-ins still apply
    ]:
        ev = one_event(tmp_path, typed, mapping=m)
        assert ev["event"].tolist() == [event], typed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            '[events.synonyms]\n"Revision" = "surgry"\n',
            "clinic.toml: [events.synonyms] 'Revision' = 'surgry' is not an event; use one of "
            "repeat_procedure, surgery, death, withdrawal, complication",
            id="misspelt event",
        ),
        pytest.param(
            '[events.synonyms]\n"Lost" = 3\n',
            "clinic.toml: [events.synonyms] 'Lost' = 3 is not an event",
            id="not text",
        ),
        pytest.param(
            '[events.synonyms]\n"Death" = "withdrawal"\n',
            "clinic.toml: [events.synonyms] 'Death' is itself an event and cannot mean "
            "'withdrawal'",
            id="redefines a canonical event",
        ),
        pytest.param(
            "[events]\nsynonym = 1\n",
            "clinic.toml: unknown key(s) in [events]: ['synonym']; use columns or synonyms",
            id="unknown key in events",
        ),
    ],
)
def test_bad_event_synonyms_in_mapping_are_named(tmp_path: Path, text: str, message: str) -> None:
    m = tmp_path / "clinic.toml"
    m.write_text(text)
    with pytest.raises(MappingError) as info:
        load_mapping(m)
    assert message in str(info.value)


def test_unknown_event_is_still_reported_among_synonyms(tmp_path: Path) -> None:
    ev = csv(
        tmp_path,
        EVENT_HEAD
        + "P1,2024-01-10,knee,left,TKR,2024-06-01,\n"
        + "P1,2024-01-10,knee,right,Amputation,2024-06-01,\n",
        "ev.csv",
    )
    c = load_cohort(csv(tmp_path, FOLLOW), events=ev)
    assert c.problems.errors.lines() == [
        'error: ev.csv row 3 (patient P1), column "event": amputation is not a known event '
        "(repeat_procedure, surgery, death, withdrawal, complication); name it in a mapping "
        'file: [events.synonyms] "your word" = "complication" (or another of those)'
    ]
    assert c.events.loc[c.events["source"] == "file", "event"].tolist() == ["surgery"]
