"""``outcomes init``: a mapping proposed for a spreadsheet in the clinic's own column names.

The corpus files (tests/data/clinic/, made by make_clinic_files.py) are
synthetic: uk_wide.xlsx (Hospital No, Patient Name, DOB, 6/52-style score
columns, a bare 12/12, a 12 month VAS, a derived % and a repeat-RFA date),
long_mrn.csv (MRN, Name, D.O.B., a Visit column of 6/52 labels, Date seen,
NRS) and uk_two_row_header.xlsx (group cells over Hosp No, Surname,
Forename, NHS Number, and over the visit labels of the NRS).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outcomes._columns import score_name
from outcomes._identifiers import (
    IDENTIFIER_PATTERN,
    IDENTIFIER_TOKENS,
    best_record_number,
    person_detail,
    record_number_rank,
)
from outcomes.assistant import propose_mapping
from outcomes.cli import main
from outcomes.mapping import load_mapping, normalise_name
from outcomes.schema import load_cohort

CLINIC = Path(__file__).parent / "data" / "clinic"
AS_OF = dt.date(2025, 6, 1)

UK_WIDE_COLUMNS = {
    "Hospital No": "patient_id",
    "Date of RFA": "procedure_date",
    "Target": "joint",
    "Side": "side",
    "Type": "technique",
    "Pre-op NRS": "nrs_baseline",
    "6/52 NRS": "nrs_6w",
    "3/12 NRS": "nrs_3m",
    "6/12 NRS": "nrs_6m",
    "12/12": "nrs_12m",
    "12 month VAS": "vas_12m",
}
LONG_MRN_COLUMNS = {
    "MRN": "patient_id",
    "Date of procedure": "procedure_date",
    "Joint": "joint",
    "Visit": "visit",
    "Date seen": "assessment_date",
    "NRS": "score",
}
TWO_ROW_COLUMNS = {
    "Hosp No": "patient_id",
    "Date of procedure": "procedure_date",
    "Joint": "joint",
    "Technique": "technique",
    "Pain score (NRS 0-10) Pre-op": "nrs_baseline",
    "Pain score (NRS 0-10) 6/52": "nrs_6w",
    "Pain score (NRS 0-10) 3/12": "nrs_3m",
    "Pain score (NRS 0-10) 1 yr": "nrs_12m",
}


def init(tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]) -> tuple[str, Path]:
    """Run ``outcomes init`` on a corpus file; returns the printout and the mapping's path."""
    out = tmp_path / f"{Path(name).stem}.toml"
    code = main(["init", str(CLINIC / name), "--out", str(out)])
    assert code == 0
    return capsys.readouterr().out, out


def comment_of(text: str, entry: str) -> str:
    """The comment of an entry of the TOML: on its line, or on the lines just above it."""
    lines = text.splitlines()
    i = next(i for i, line in enumerate(lines) if line.startswith(entry))
    if "#" in lines[i]:
        return lines[i].split("#", 1)[1].strip()
    above = []
    while lines[i - 1 - len(above)].startswith("# "):
        above.insert(0, lines[i - 1 - len(above)][2:])
    return " ".join(above)


def renames(columns: dict[str, str]) -> dict[str, str]:
    return {normalise_name(k): v for k, v in columns.items()}


@pytest.mark.parametrize(
    ("name", "columns", "procedures", "assessments"),
    [
        pytest.param("uk_wide.xlsx", UK_WIDE_COLUMNS, 12, 71, id="UK wide sheet"),
        pytest.param("long_mrn.csv", LONG_MRN_COLUMNS, 6, 17, id="long sheet with a Visit column"),
        pytest.param(
            "uk_two_row_header.xlsx", TWO_ROW_COLUMNS, 8, 32, id="group row over the names"
        ),
    ],
)
def test_init_writes_a_mapping_that_validates(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    columns: dict[str, str],
    procedures: int,
    assessments: int,
) -> None:
    """The TOML loads, places every column as expected, and the file validates with it."""
    _, out = init(tmp_path, name, capsys)
    mapping = load_mapping(out)
    assert dict(mapping.columns) == renames(columns)
    cohort = load_cohort(CLINIC / name, mapping=out, as_of=AS_OF)
    assert cohort.ok, cohort.problems.lines()
    assert (len(cohort.procedures), len(cohort.assessments)) == (procedures, assessments)
    code = main(["validate", str(CLINIC / name), "--mapping", str(out), "--as-of", "2025-06-01"])
    assert code == 0
    assert "OK: no errors" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "patient_id", "never_read"),
    [
        pytest.param("uk_wide.xlsx", "Hospital No", ["Patient Name", "DOB"], id="Hospital No"),
        pytest.param("long_mrn.csv", "MRN", ["Name", "D.O.B."], id="MRN"),
        pytest.param(
            "uk_two_row_header.xlsx",
            "Hosp No",
            ["Surname", "Forename", "NHS Number"],
            id="Hosp No before NHS Number",
        ),
    ],
)
def test_patient_id_is_the_record_number_and_names_are_never_read(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    patient_id: str,
    never_read: list[str],
) -> None:
    """The hospital number is patient_id, said to stay internal; names and DOB are ignored."""
    printout, out = init(tmp_path, name, capsys)
    mapping = load_mapping(out)
    assert [k for k, v in mapping.columns.items() if v == "patient_id"] == [
        normalise_name(patient_id)
    ]
    for column in never_read:
        assert normalise_name(column) in mapping.ignore_columns
        assert normalise_name(column) not in mapping.columns
    text = out.read_text()
    assert f'"{patient_id}" = "patient_id"' in text
    assert "never printed" in text
    assert f'"{patient_id}" is the patient id' in printout


def test_uk_wide_sheet_visits_instruments_and_dates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """6/52 and 3/12 read as weeks and months; 12/12 takes the NRS of the other columns, saying
    so; day-first because a date proves it; derived and event columns are never read."""
    printout, out = init(tmp_path, "uk_wide.xlsx", capsys)
    text = out.read_text()
    mapping = load_mapping(out)
    assert mapping.date_order == "day-first"
    assert "has a day above 12 first" in text
    assert "CHECK: NRS, 12 months: no instrument in the name; 4 of the 5" in comment_of(
        text, '"12/12" = "nrs_12m"'
    )
    assert '"12/12" read as NRS at 12 months' in printout
    for column in ("% improvement 6/52", "Date of repeat RFA"):
        assert normalise_name(column) in mapping.ignore_columns
    assert "outcomes computes its own" in text
    assert "--events" in text and "repeat_procedure" in text
    assert "Age" in text  # named as a covariate, read as it is


def test_long_sheet_score_visit_and_uk_style_date_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every date could be either order: day-first because visits are written 6/52, 3/12."""
    printout, out = init(tmp_path, "long_mrn.csv", capsys)
    mapping = load_mapping(out)
    assert mapping.default_instrument == "nrs"
    assert mapping.date_order == "day-first"
    assert "UK-style (visits written 6/52, 3/12)" in out.read_text()
    assert "dates read day-first" in printout
    assert normalise_name("Comments") in mapping.ignore_columns


@pytest.mark.parametrize(
    ("name", "lines"),
    [
        pytest.param(
            "uk_wide.xlsx",
            ["Every column was placed or listed in ignore_columns."],
            id="UK wide: referral source is a covariate by its name",
        ),
        pytest.param(
            "long_mrn.csv",
            ["Every column was placed", "Not found (optional): side, technique."],
            id="long: everything placed, side and technique absent",
        ),
        pytest.param(
            "uk_two_row_header.xlsx",
            ['Events: "Date of TKR" (surgery) is not read from this sheet'],
            id="two-row header: an event column",
        ),
    ],
)
def test_printout_says_what_was_not_placed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, lines: list[str]
) -> None:
    printout, out = init(tmp_path, name, capsys)
    for line in lines:
        assert line in printout
    assert f"Wrote {out}: check it, then run" in printout


def test_a_file_in_the_contract_names_maps_to_itself_and_keeps_its_sheet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """two_row_header.xlsx is already in the contract's names; its sheet is pinned."""
    _, out = init(tmp_path, "two_row_header.xlsx", capsys)
    mapping = load_mapping(out)
    assert all(k == v for k, v in mapping.columns.items())
    assert mapping.sheet == "Follow-up"
    assert load_cohort(CLINIC / "two_row_header.xlsx", mapping=out, as_of=AS_OF).ok


def test_without_a_mapping_a_clinic_file_is_still_refused() -> None:
    """Nothing is guessed when validating: the clinic's names need the mapping."""
    cohort = load_cohort(CLINIC / "uk_wide.xlsx", as_of=AS_OF)
    assert not cohort.ok
    assert {"patient_id", "procedure_date"} <= set(
        cohort.problems.errors.table.query("rule == 'missing_column'")["column"]
    )


@pytest.mark.parametrize(
    ("name", "number", "not_named"),
    [
        pytest.param("uk_wide.xlsx", "Hospital No", "Patient Name", id="kept Hospital No"),
        pytest.param("long_mrn.csv", "MRN", "Name", id="MRN, dropped by name"),
        pytest.param(
            "uk_two_row_header.xlsx", "Hosp No", "Surname", id="Hosp No before NHS Number"
        ),
    ],
)
def test_missing_id_hint_names_the_record_number_and_outcomes_init(
    name: str, number: str, not_named: str
) -> None:
    cohort = load_cohort(CLINIC / name, as_of=AS_OF)
    [message] = cohort.problems.table.query("rule == 'missing_column' and column == 'patient_id'")[
        "message"
    ]
    assert f'[columns] "{number}" = "patient_id"' in message
    assert f"run `outcomes init {name}` to write a mapping to check" in message
    assert f'"{not_named}" = "patient_id"' not in message
    assert 'NHS Number" = ' not in message


def test_a_file_with_only_names_gets_no_patient_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Names, DOB, phone, e-mail and address are never proposed, even with nothing else."""
    path = tmp_path / "names.csv"
    rows = [
        "Patient Name,Surname,DOB,Phone,Email,Address,Date of RFA,Pre-op NRS,6/52 NRS",
        *(
            f"Ann Able,Able,0{i + 1}/02/1950,0123 4567,a{i}@x.org,1 High St,1{i}/03/2024,8,3"
            for i in range(5)
        ),
    ]
    path.write_text("\n".join(rows) + "\n")
    out = tmp_path / "m.toml"
    assert main(["init", str(path), "--out", str(out)]) == 0
    printout = capsys.readouterr().out
    mapping = load_mapping(out)
    assert "patient_id" not in mapping.columns.values()
    assert set(mapping.ignore_columns) == {
        "patient_name", "surname", "dob", "phone", "email", "address"
    }  # fmt: skip
    assert '# "Your column" = "patient_id"' in out.read_text()
    assert "NOT FOUND, needed before validate passes: patient_id" in printout
    [message] = load_cohort(path, as_of=AS_OF).problems.table.query(
        "rule == 'missing_column' and column == 'patient_id'"
    )["message"]
    assert "never a name or date of birth" in message
    assert all(f'"{c}" = "patient_id"' not in message for c in ("Patient Name", "DOB"))


@pytest.mark.parametrize(
    ("header", "scores", "expected"),
    [
        pytest.param("Score", (8, 3), "nrs", id="0-10 scores named Score: NRS, to check"),
        pytest.param("VAS", (70, 30), "vas", id="a score column named VAS"),
        pytest.param("Score", (70, 30), None, id="scores to 70 named Score: not guessed"),
    ],
)
def test_long_sheet_instrument_from_the_name_or_the_range(
    tmp_path: Path, header: str, scores: tuple[int, int], expected: str | None
) -> None:
    """NRS is proposed only for 0-10 scores; above that the mapping must name the instrument."""
    path = tmp_path / "long.csv"
    rows = [f"Patient ID,Date of RFA,Date seen,{header}"]
    for i in range(3):
        rows += [f"P{i},2024-01-0{i + 1},2024-01-0{i + 1},{scores[0]}"]
        rows += [f"P{i},2024-01-0{i + 1},2024-04-0{i + 1},{scores[1]}"]
    path.write_text("\n".join(rows) + "\n")
    proposal = propose_mapping(path)
    assert proposal.default_instrument == expected
    out = tmp_path / "m.toml"
    out.write_text(proposal.toml(out.name))
    assert load_cohort(path, mapping=out, as_of=AS_OF).ok == (expected is not None)
    if expected is None:
        assert "default_instrument" in proposal.missing
        assert '# default_instrument = "vas"  # NOT FOUND' in out.read_text()


def test_never_overwrites_the_input_or_an_existing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Default out in the current folder; an existing file needs --force; the input never."""
    data = tmp_path / "data"
    data.mkdir()
    source = data / "uk_wide.xlsx"
    source.write_bytes((CLINIC / "uk_wide.xlsx").read_bytes())
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert main(["init", str(source)]) == 0
    assert (work / "uk_wide.mapping.toml").exists()
    assert sorted(p.name for p in data.iterdir()) == ["uk_wide.xlsx"]
    (work / "uk_wide.mapping.toml").write_text("# mine\n")
    assert main(["init", str(source)]) == 2
    assert "exists; choose another --out, or add --force" in capsys.readouterr().err
    assert (work / "uk_wide.mapping.toml").read_text() == "# mine\n"
    assert main(["init", str(source), "--force"]) == 0
    assert "[columns]" in (work / "uk_wide.mapping.toml").read_text()
    assert main(["init", str(source), "--out", str(source), "--force"]) == 2
    assert "is the input file" in capsys.readouterr().err
    assert hashlib.sha256(source.read_bytes()).hexdigest() == digest


def test_init_as_a_user_runs_it_one_line_errors_no_traceback(tmp_path: Path) -> None:
    """A missing file is a usage error in one line, as for every command."""
    r = subprocess.run(
        [sys.executable, "-m", "outcomes", "init", str(tmp_path / "nope.xlsx")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 2
    assert r.stderr.strip().startswith("outcomes: error: ") and len(r.stderr.splitlines()) == 1
    assert "Traceback" not in r.stdout + r.stderr


def test_awkward_column_names_are_written_as_valid_toml(tmp_path: Path) -> None:
    """Quotes, backslashes, line breaks and accents in names survive the TOML."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    names = ['Hosp "No"', "Date\\of RFA", "Pain score\n6/52 NRS", "Pre-op NRS", "Côté"]
    ws.append(names)
    for i in range(4):
        ws.append([f"H{i}", f"2024-03-0{i + 1}", 3, 8, "L"])
    path = tmp_path / "awkward.xlsx"
    wb.save(path)
    proposal = propose_mapping(path)
    out = tmp_path / "m.toml"
    out.write_text(proposal.toml(out.name))
    mapping = load_mapping(out)
    assert mapping.columns[normalise_name(names[0])] == "patient_id"
    assert mapping.columns[normalise_name(names[2])] == "nrs_6w"
    assert load_cohort(path, mapping=out, as_of=AS_OF).ok


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("6/52 NRS", ("nrs", "6w", False), id="6/52 NRS"),
        pytest.param("3/12 NRS", ("nrs", "3m", False), id="3/12 NRS"),
        pytest.param("Pre-op NRS", ("nrs", "baseline", False), id="Pre-op"),
        pytest.param("Pre-procedure VAS", ("vas", "baseline", False), id="Pre-procedure"),
        pytest.param("Baseline NRS", ("nrs", "baseline", False), id="Baseline"),
        pytest.param("2 wk NRS", ("nrs", "2w", False), id="2 wk"),
        pytest.param("NRS 6 weeks", ("nrs", "6w", False), id="6 weeks"),
        pytest.param("3 mo NRS", ("nrs", "3m", False), id="3 mo"),
        pytest.param("1 yr NRS", ("nrs", "12m", False), id="1 yr"),
        pytest.param("24/12 NRS", ("nrs", "24m", False), id="24/12"),
        pytest.param("12 month VAS", ("vas", "12m", False), id="12 month VAS"),
        pytest.param("Pain score (NRS 0-10) 6/52", ("nrs", "6w", False), id="two-row header"),
        pytest.param("Oxford knee score 6/12", ("oks", "6m", False), id="Oxford knee score"),
        pytest.param("12/12", (None, "12m", False), id="bare visit label"),
        pytest.param("NRS", ("nrs", None, False), id="long sheet score"),
        pytest.param("Date 6/52", (None, "6w", True), id="date of a visit"),
        pytest.param("Date of RFA", (None, None, True), id="procedure date"),
        pytest.param("Referral source", (None, None, False), id="not a score"),
    ],
)
def test_score_column_names(name: str, expected: tuple[str | None, str | None, bool]) -> None:
    assert score_name(name) == expected


WEEKS = ["{n}/52", "{n} wks", "{n} weeks", "Week {n}", "{n}w", "wk {n}", "{n} wk", "{n} Weeks"]
MONTHS = ["{n}/12", "{n} mo", "{n} months", "Month {n}", "{n}m", "{n} mths"]
HEADERS = ["{visit} {inst}", "{inst} {visit}", "{inst} at {visit}", "{inst}_{visit}",
           "Pain score ({inst} 0-10) {visit}", "{inst} - {visit}"]  # fmt: skip


@given(
    n=st.integers(1, 24),
    unit=st.sampled_from(["w", "m"]),
    spelling=st.integers(0, 7),
    header=st.sampled_from(HEADERS),
    inst=st.sampled_from(["NRS", "nrs", "VAS", "Vas"]),
)
def test_visit_header_spellings_map_to_one_canonical_column(
    n: int, unit: str, spelling: int, header: str, inst: str
) -> None:
    """Spellings of one visit ("6/52", "6 wks", "Week 6"), instrument anywhere: one column."""
    forms = WEEKS if unit == "w" else MONTHS
    visit = forms[spelling % len(forms)].format(n=n)
    name = header.format(visit=visit, inst=inst)
    assert score_name(name) == (inst.lower(), f"{n}{unit}", False)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(six_weeks=st.sampled_from(["6/52", "6 wks", "6 weeks", "Week 6", "6w", "wk 6"]))
def test_any_spelling_of_a_visit_loads_as_the_same_day(tmp_path: Path, six_weeks: str) -> None:
    """Proposed, then loaded: a score headed in any spelling of 6 weeks is on day 42."""
    path = tmp_path / "f.csv"
    rows = [f"Hospital No,Date of RFA,Pre-op NRS,{six_weeks} NRS"]
    rows += [f"H{i},2024-03-0{i + 1},8,3" for i in range(4)]
    path.write_text("\n".join(rows) + "\n")
    out = tmp_path / "m.toml"
    out.write_text(propose_mapping(path).toml(out.name))
    cohort = load_cohort(path, mapping=out, as_of=AS_OF)
    assert cohort.ok, cohort.problems.lines()
    assert sorted(set(cohort.assessments["days_after"])) == [0, 42]


@pytest.mark.parametrize(
    ("name", "rank"),
    [
        pytest.param("Study ID", 0, id="Study ID"),
        pytest.param("Patient ID", 0, id="Patient ID"),
        pytest.param("MRN", 1, id="MRN"),
        pytest.param("Hospital No", 1, id="Hospital No"),
        pytest.param("Hosp. No.", 1, id="Hosp. No."),
        pytest.param("Unit No", 1, id="Unit No"),
        pytest.param("NHS Number", 2, id="NHS Number"),
        pytest.param("NRIC", 2, id="NRIC"),
        pytest.param("CHI", 2, id="CHI"),
        pytest.param("Patient Name", None, id="Patient Name is a name"),
        pytest.param("DOB", None, id="DOB"),
        pytest.param("Phone", None, id="Phone"),
        pytest.param("E-mail", None, id="E-mail"),
        pytest.param("Address", None, id="Address"),
    ],
)
def test_record_numbers_are_ranked_and_person_details_are_not(name: str, rank: int | None) -> None:
    assert record_number_rank(name) == rank
    assert (person_detail(name) is not None) == (rank is None)


@pytest.mark.parametrize(
    ("names", "best"),
    [
        pytest.param(["NHS Number", "Hospital No", "Study ID"], "Study ID", id="study id first"),
        pytest.param(["NHS Number", "MRN"], "MRN", id="hospital before national number"),
        pytest.param(["Patient Name", "DOB", "NHS Number"], "NHS Number", id="never the name"),
        pytest.param(["Patient Name", "DOB", "Email"], None, id="no record number: none"),
    ],
)
def test_the_best_record_number(names: list[str], best: str | None) -> None:
    assert best_record_number(names) == best


def test_io_drops_the_same_identifier_columns_as_before() -> None:
    """The shared vocabulary did not change which columns io drops by name."""
    before = set(
        "name names surname forename forenames firstname lastname fullname initials nric nhs ssn "
        "passport medicare mrn phone telephone mobile tel cellphone email mail address street "
        "postcode zip zipcode dob birthdate birthday".split()
    )
    assert set(IDENTIFIER_TOKENS) == before
    patterns = set(IDENTIFIER_PATTERN.pattern.strip("()").split("|"))
    assert patterns == set(
        "date_of_birth birth_date e_mail national_id id_number social_security hospital_number "
        "hosp_no post_code zip_code contact_number ic_number identity_card first_name last_name "
        "given_name family_name".split()
    )
