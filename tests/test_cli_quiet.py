"""Nothing but the tool's own words: every command on small, awkward cohorts.

Cohorts where every procedure keeps its relief (all censored), where fewer
than half lose it (median not reached), of a single procedure, and of a
single group. Every command must succeed (or refuse in one line of its own),
print nothing a library wrote (warnings, tracebacks) and put no path of the
machine in any output.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from outcomes.cli import main

#: Lines the tool itself writes to stderr: progress (with indented items) and one-line errors.
OWN_PREFIXES = ("outcomes: ", "Analysing ", "Running ", "Writing ", "  ")
#: Text that only a library, Python or the machine would write.
FOREIGN = ("Warning", "warnings.warn", "Traceback", "site-packages", sys.prefix, str(Path.home()))


def _cohort(relief_days: np.ndarray) -> pd.DataFrame:
    """Knees seen on days 30, 91, 182, 365 and 730; relief until ``relief_days``."""
    rows = []
    for i, until in enumerate(relief_days):  # building a small test file
        start = pd.Timestamp("2022-01-03") + pd.Timedelta(days=7 * i)
        rows.append((f"Q{i:03d}", start, start - pd.Timedelta(days=5), 8))
        rows += [
            (f"Q{i:03d}", start, start + pd.Timedelta(days=d), 3 if d < until else 7)
            for d in (30, 91, 182, 365, 730)
        ]
    frame = pd.DataFrame(rows, columns=["patient_id", "procedure_date", "assessment_date", "score"])
    return frame.assign(joint="knee", side="left", technique="cooled_rfa")


@pytest.fixture(scope="module")
def cohorts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    rng = np.random.default_rng(1)
    made = {
        "all censored": np.full(30, 9999),
        "median not reached": np.where(rng.random(30) < 0.3, 200, 9999),
        "single procedure": np.array([200]),
        "single group": rng.choice([60, 120, 300, 500, 1000], 40),
    }
    folder = tmp_path_factory.mktemp("edge")
    paths = {}
    for name, days in made.items():
        paths[name] = folder / f"{name.replace(' ', '_')}.csv"
        _cohort(days).to_csv(paths[name], index=False, date_format="%Y-%m-%d")
    return paths


def _assert_quiet(out: str, err: str, folder: Path) -> None:
    for line in err.splitlines():
        assert line.startswith(OWN_PREFIXES) or not line.strip(), f"stray stderr line: {line!r}"
    for text in (out, err):
        for bad in (*FOREIGN, str(folder.parent)):
            assert bad not in text, f"{bad!r} in output"


COMMANDS = [
    pytest.param(["validate"], id="validate"),
    pytest.param(["analyze", "--boot", "20"], id="analyze"),
    pytest.param(["analyze", "--boot", "20", "--json"], id="analyze json"),
    pytest.param(["analyze", "--boot", "20", "--by", "technique"], id="analyze by group"),
    pytest.param(["analyze", "--method", "km"], id="analyze km"),
    pytest.param(["benchmark", "--boot", "20"], id="benchmark"),
    pytest.param(["benchmark", "--boot", "20", "--json"], id="benchmark json"),
]
COHORTS = ["all censored", "median not reached", "single procedure", "single group"]


@pytest.mark.parametrize("cohort", COHORTS)
@pytest.mark.parametrize("args", COMMANDS)
def test_command_prints_only_its_own_words(
    cohorts: dict[str, Path], cohort: str, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = cohorts[cohort]
    code = main([args[0], str(path), *args[1:]])
    out, err = capsys.readouterr()
    assert code == 0, err
    _assert_quiet(out, err, path.parent)


def test_a_parametric_fit_without_losses_is_refused_in_one_line(
    cohorts: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["analyze", str(cohorts["all censored"]), "--method", "parametric"])
    out, err = capsys.readouterr()
    assert code != 0
    assert err.count("\n") == 1 and err.startswith("outcomes: error: no loss of relief was seen")
    _assert_quiet(out, err, cohorts["all censored"].parent)


@pytest.mark.parametrize("cohort", ["all censored", "single procedure"])
def test_report_and_figures_render_without_stray_text(
    cohorts: dict[str, Path], cohort: str, tmp_path: Path
) -> None:
    """As a user runs them, in a subprocess: the notebook kernel's own output included."""
    path = cohorts[cohort]
    for args in (
        ["report", str(path), "--boot", "20", "--out", str(tmp_path / "report")],
        ["figures", str(path), "--boot", "20", "--out", str(tmp_path / "figures")],
    ):
        r = subprocess.run(
            [sys.executable, "-m", "outcomes", *args], capture_output=True, text=True, check=False
        )
        assert r.returncode == 0, r.stderr
        # the report names where it went: the only path allowed, on stdout
        out = r.stdout.replace(str(tmp_path), "")
        _assert_quiet(out, r.stderr, path.parent)
    html = (tmp_path / "report" / "audit_report.html").read_text(encoding="utf-8")
    for bad in ("Warning:", "warnings.warn", "Traceback", sys.prefix, str(tmp_path), str(path)):
        assert bad not in html, f"{bad!r} in the report"


@pytest.mark.parametrize("min_cell", ["0", "5"])
def test_share_and_pool_print_only_their_own_words(
    cohorts: dict[str, Path], min_cell: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each awkward cohort shared as a site, then all pooled (a site of one procedure too)."""
    summaries = []
    for i, cohort in enumerate(COHORTS):
        out = tmp_path / f"site{i}.json"
        code = main(["share", str(cohorts[cohort]), "--site", f"site {i}", "--out", str(out),
                     "--min-cell", min_cell])  # fmt: skip
        printed, err = capsys.readouterr()
        assert code == 0, err
        _assert_quiet(printed.replace(str(out), ""), err, tmp_path)
        summaries.append(str(out))
    for args in (["--boot", "20"], ["--boot", "20", "--json"], ["--by", "site", "--boot", "20"]):
        code = main(["pool", *summaries, *args])
        printed, err = capsys.readouterr()
        assert code == 0, err
        _assert_quiet(printed, err, tmp_path)
