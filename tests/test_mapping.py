"""Mapping files: every section is read, and mistakes are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from outcomes.errors import MappingError
from outcomes.mapping import FileMapping, load_mapping, normalise_name


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "clinic.toml"
    p.write_text(text)
    return p


def test_every_section_is_read(tmp_path: Path) -> None:
    m = load_mapping(
        write(
            tmp_path,
            """
default_instrument = "bpi"
ignore_columns = ["Notes"]
assessment_columns = ["Clinician Name"]

[columns]
"Hosp No" = "patient_id"
" Date of RFA " = "Procedure Date"

[dates]
order = "day-first"

[excel]
sheet = "Follow-up"

[events.columns]
"Hosp No" = "patient_id"

[instruments.BPI]
minimum = 0
maximum = 10
label = "Brief Pain Inventory"
""",
        )
    )
    assert m.columns == {"hosp_no": "patient_id", "date_of_rfa": "procedure_date"}
    assert m.event_columns == {"hosp_no": "patient_id"}
    assert (m.date_order, m.date_format, m.sheet) == ("day-first", None, "Follow-up")
    assert m.ignore_columns == ("notes",)
    assert m.assessment_columns == ("clinician_name",)
    assert m.default_instrument == "bpi"
    bpi = m.instruments["bpi"]
    assert (bpi.minimum, bpi.maximum, bpi.higher_is_better) == (0, 10, False)
    assert set(m.instruments) == {"nrs", "vas", "womac", "oks", "koos", "bpi"}
    assert m.source == "clinic.toml"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            '[dates]\norder = "dmy"\n',
            "dates.order is 'dmy'; use \"day-first\" or",
            id="bad date order",
        ),
        pytest.param(
            '[dates]\nstyle = "x"\n', "unknown key(s) in [dates]: ['style']", id="unknown date key"
        ),
        pytest.param(
            '[columns]\n"a" = 3\n',
            "[columns] 'a' must map to a column name",
            id="rename to a number",
        ),
        pytest.param(
            "[instruments.x]\nminimum = 0\n",
            "[instruments.x] needs minimum and maximum",
            id="instrument without maximum",
        ),
        pytest.param(
            "[instruments.x]\nminimum = 10\nmaximum = 0\n",
            "minimum 10.0 must be below maximum 0.0",
            id="instrument range reversed",
        ),
        pytest.param(
            'default_instrument = "pain"\n',
            "default_instrument 'pain' is not a known",
            id="unknown default instrument",
        ),
        pytest.param(
            'ignore_columns = "notes"\n',
            "ignore_columns must be a list",
            id="ignore_columns not a list",
        ),
    ],
)
def test_mistakes_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(MappingError) as info:
        load_mapping(write(tmp_path, text))
    assert message in str(info.value)
    assert str(info.value).startswith("clinic.toml: ")


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Patient ID", "patient_id"), ("  DAYS-AFTER ", "days_after"), ("nrs_3m", "nrs_3m")],
)
def test_names_are_normalised(name: str, expected: str) -> None:
    assert normalise_name(name) == expected


def test_defaults_need_no_file() -> None:
    m = FileMapping()
    assert m.default_instrument == "nrs" and m.date_order is None


def test_a_near_miss_of_a_canonical_column_is_a_typo(tmp_path: Path) -> None:
    """ "patient_idd" would silently become a covariate and patient_id go missing."""
    path = tmp_path / "typo.toml"
    path.write_text('[columns]\n"Hospital No" = "patient_idd"\n"Age at RFA" = "age"\n')
    with pytest.raises(
        MappingError,
        match="'patient_idd' is not a column outcomes knows; did you mean 'patient_id'",
    ):
        load_mapping(path)
    path.write_text('[columns]\n"Hospital No" = "patient_id"\n"Age at RFA" = "age"\n')
    assert load_mapping(path).columns == {"hospital_no": "patient_id", "age_at_rfa": "age"}
