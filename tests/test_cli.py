"""The command line: exit codes, one line per problem, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from outcomes.cli import main

DATA = Path(__file__).parent / "data"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m outcomes`` as a user would, in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "outcomes", *args], capture_output=True, text=True, check=False
    )


def test_validate_clean_file_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", str(DATA / "minimal.csv"), "--as-of", "2025-01-01"])
    out = capsys.readouterr().out
    assert code == 0
    assert "2 patients, 2 procedures, 4 assessments kept, 0 events" in out
    assert "OK: no errors (0 warning(s))." in out


def test_validate_file_with_errors_exits_1_with_one_line_per_problem() -> None:
    r = run("validate", str(DATA / "bad" / "conflicting_duplicate.csv"))
    assert r.returncode == 1
    lines = [x for x in r.stdout.splitlines() if x.startswith("error: ")]
    assert len(lines) == 2
    assert all("conflicting_duplicate.csv row " in x for x in lines)
    assert "Traceback" not in r.stdout + r.stderr
    assert "FAILED: 2 error(s) must be fixed before analysis." in r.stdout


@pytest.mark.parametrize(
    ("args", "code", "stderr"),
    [
        pytest.param(
            ["validate", "nope.csv"],
            2,
            "outcomes: error: nope.csv: file not found",
            id="missing file is a usage error",
        ),
        pytest.param(
            ["validate", str(DATA / "minimal.csv"), "--mapping", "none.toml"],
            2,
            "mapping file not found",
            id="missing mapping file",
        ),
        pytest.param(
            ["validate"], 2, "the following arguments are required: file", id="no file given"
        ),
        pytest.param(["valdate", "x.csv"], 2, "invalid choice: 'valdate'", id="typo in command"),
        pytest.param(
            ["validate", str(DATA / "minimal.csv"), "--as-of", "01/02/2024"],
            2,
            "'01/02/2024' is not a date as YYYY-MM-DD",
            id="bad --as-of",
        ),
        pytest.param(
            ["validate", str(DATA / "bad" / "not_excel.xlsx")],
            1,
            "outcomes: error: not_excel.xlsx: is not an Excel workbook",
            id="unreadable file",
        ),
        pytest.param(
            [
                "validate",
                str(DATA / "minimal.csv"),
                "--mapping",
                str(DATA / "bad" / "mapping_unknown_key.toml"),
            ],
            1,
            "unknown key(s) 'colour'",
            id="bad mapping",
        ),
    ],
)
def test_usage_and_input_errors(args: list[str], code: int, stderr: str) -> None:
    r = run(*args)
    assert r.returncode == code
    assert stderr in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize(
    "command", ["validate", "analyze", "benchmark", "report", "figures", "sample"]
)
def test_every_subcommand_has_help(command: str) -> None:
    r = run(command, "--help")
    assert r.returncode == 0
    assert "usage: outcomes " + command in r.stdout


def test_problems_can_be_saved_as_csv(tmp_path: Path) -> None:
    out = tmp_path / "problems.csv"
    code = main(
        ["validate", str(DATA / "bad" / "score_out_of_range.csv"), "--problems-csv", str(out)]
    )
    assert code == 1
    text = out.read_text()
    assert text.splitlines()[0] == "severity,rule,file,row,patient,column,value,message"
    assert "out_of_range" in text


SAMPLE = Path(__file__).parents[1] / "data" / "sample"


def test_sample_command_regenerates_the_bundled_sample(tmp_path: Path) -> None:
    r = run("sample", "--out", str(tmp_path))
    assert r.returncode == 0
    assert "synthetic" in r.stdout
    for name in ("followup_long.csv", "events.csv"):
        assert (tmp_path / name).read_bytes() == (SAMPLE / name).read_bytes(), name


def test_bundled_sample_validates_in_both_layouts() -> None:
    from conftest import assert_same_cohort
    from outcomes.schema import load_cohort

    long = load_cohort(SAMPLE / "followup_long.csv", events=SAMPLE / "events.csv")
    wide = load_cohort(SAMPLE / "followup_wide.xlsx", events=SAMPLE / "events.csv")
    assert long.ok and wide.ok
    assert set(long.problems.table["rule"]) <= {"no_followup"}
    assert_same_cohort(long, wide)


def test_analyze_of_a_file_whose_procedures_are_all_excluded_says_why_and_exits_1(
    tmp_path: Path,
) -> None:
    data = tmp_path / "baseline_only.csv"
    data.write_text(
        "patient_id,procedure_date,days_after,score\nP1,2024-01-01,-1,8\nP2,2024-01-01,-1,7\n"
    )
    r = run("analyze", str(data))
    assert r.returncode == 1
    assert r.stderr.startswith(
        "outcomes: error: no procedure can be analysed: every one was excluded "
        "(no assessment after the flare window: 2)"
    )
    assert "outcomes init FILE" in r.stderr and "Traceback" not in r.stderr
