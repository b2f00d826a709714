"""Rendered reports: each notebook runs on the sample; the HTML is whole, offline and private."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from outcomes import analyze, tables
from outcomes.report import TEMPLATES, notebook_path, render_report

SAMPLE = Path(__file__).parents[1] / "data" / "sample"
NOTEBOOKS = Path(__file__).parents[1] / "notebooks"

AUDIT_SECTIONS = [
    "Key findings",  # first: the handful of numbers a meeting wants
    "Data quality",
    "The cohort",
    "How long relief lasts",
    "Pain scores over time",
    "Benchmark against the literature",
    "Audit standards",
    "Complications and later events",
    "Methods",
]
RESEARCH_SECTIONS = [
    *AUDIT_SECTIONS[:-1],
    "Group comparison",
    "Regression",
    "Sensitivity analyses",
    "Methods",
]


def _headings(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<h2[^>]*>(.*?)</h2>", html)]


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_committed_notebooks_are_thin_and_without_outputs(name: str) -> None:
    nb = json.loads(notebook_path(name).read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert "parameters" in code[0]["metadata"].get("tags", [])
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    source = "\n".join("".join(c["source"]) for c in code)
    imports = set(re.findall(r"^(?:from|import) (\S+)", source, flags=re.M))
    assert imports <= {"outcomes", "IPython.display", "pathlib", "datetime"}
    assert "outcomes._" not in source  # public modules only


@pytest.fixture(scope="module")
def audit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("audit")
    return render_report(out=out, parameters={"n_boot": 20, "period": "2021-2023"}, progress=None)


def test_audit_report_has_its_sections_and_embedded_figures(audit: Path) -> None:
    html = audit.read_text()
    assert _headings(html) == AUDIT_SECTIONS
    assert "Joint denervation audit" in html and "2021-2023" in html
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', html)) >= 6
    for sha in ("a98b87589521aa77", "77d6ff10e4ce023a"):  # input files' SHA-256 on the cover
        assert sha in html
    assert "outcomes 0.1.0" in html
    figures = {p.name for p in (audit.parent / "figures").iterdir()}
    # the benchmark per joint: each joint against its own references
    assert {"relief_curves.pdf", "relief_curves.svg", "benchmark_knee.svg"} <= figures


def test_audit_report_opens_offline_and_shows_no_code(audit: Path) -> None:
    html = audit.read_text()
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r'<link[^>]+href="http', html)
    assert "import outcomes" not in html  # code cells hidden
    assert "Traceback" not in html and "Warning" not in html


def test_audit_report_tables_are_the_analysis_tables(audit: Path) -> None:
    """The landmark table in the HTML is tables.landmark_table of the same analysis."""
    html = audit.read_text()
    result = analyze(
        SAMPLE / "followup_long.csv", events=SAMPLE / "events.csv", by="joint", n_boot=20
    )
    expected = tables.landmark_table(result)
    section = html.split("How long relief lasts")[1]
    table = section[section.index("<table") : section.index("</table>")]
    rows = [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", tr, re.S)]
        for tr in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]
    rows = [r for r in rows if r]  # the header row has <th> cells only
    assert rows == expected.astype(str).values.tolist()


def test_research_and_lecture_notebooks_execute(tmp_path: Path) -> None:
    research = render_report(
        template="research", out=tmp_path / "r", parameters={"n_boot": 20}, progress=None
    )
    assert _headings(research.read_text()) == RESEARCH_SECTIONS
    lecture = render_report(
        template="lecture", out=tmp_path / "l", parameters={"n_boot": 20}, progress=None
    )
    pngs = sorted((lecture.parent / "figures").glob("*.png"))
    assert len(pngs) >= 6
    assert len(re.findall(r"<img[^>]+src=\"data:image/png;base64,", lecture.read_text())) == len(
        pngs
    )


def test_no_identifier_reaches_any_output(tmp_path: Path) -> None:
    """Distinctive patient and procedure ids and a name column never leave the clinic."""
    raw = pd.read_csv(SAMPLE / "followup_long.csv")
    events = pd.read_csv(SAMPLE / "events.csv")
    pid = {p: f"ZQXPAT{i:05d}" for i, p in enumerate(raw["patient_id"].unique())}
    prid = {p: f"ZQXPROC{i:05d}" for i, p in enumerate(raw["procedure_id"].unique())}
    raw["patient_id"] = raw["patient_id"].map(pid)
    raw["procedure_id"] = raw["procedure_id"].map(prid)
    raw["patient_name"] = "Quenneville-Zbrowski " + raw["patient_id"].str[-5:]
    events["patient_id"] = events["patient_id"].map(pid)
    events["procedure_id"] = events["procedure_id"].map(prid)
    events["detail"] = events["detail"].replace(prid)  # repeat procedures name the new one
    data = tmp_path / "clinic.csv"
    ev = tmp_path / "clinic_events.csv"
    raw.to_csv(data, index=False)
    events.to_csv(ev, index=False)
    out = tmp_path / "out"
    for template in ("research", "lecture"):
        render_report(
            data,
            events=ev,
            template=template,
            out=out / template,
            parameters={"n_boot": 10},
            progress=None,
        )
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "outcomes",
            "figures",
            str(data),
            "--events",
            str(ev),
            "--style",
            "journal",
            "--out",
            str(out / "figures"),
            "--boot",
            "10",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) > 20
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="ignore")
        for needle in ("ZQXPAT", "ZQXPROC", "Quenneville"):
            assert needle not in text, f"{needle} in {path.name}"


def test_report_cli_says_where_the_output_went(tmp_path: Path) -> None:
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "outcomes",
            "report",
            "--out",
            str(tmp_path),
            "--boot",
            "10",
            "--suppress-small",
            "--clinic",
            "Test clinic",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    assert f"Report:  {tmp_path / 'audit_report.html'}" in r.stdout
    assert "Running audit_report.ipynb" in r.stderr
    html = (tmp_path / "audit_report.html").read_text()
    assert "Test clinic" in html and "&lt;5" in html  # small counts suppressed


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["report", "nope.csv"], 2, "nope.csv"),
        (["report", "--template", "poster"], 2, "invalid choice: 'poster'"),
        (["figures", "--out", "x", "--style", "poster"], 2, "invalid choice: 'poster'"),
    ],
)
def test_report_usage_errors_are_one_line(args: list[str], code: int, message: str) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "outcomes", *args], capture_output=True, text=True, check=False
    )
    assert r.returncode == code
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_report_on_data_with_errors_exits_1_before_running(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    raw = pd.read_csv(SAMPLE / "followup_long.csv")
    raw.loc[5, "score"] = 14
    raw.to_csv(bad, index=False)
    r = subprocess.run(
        [sys.executable, "-m", "outcomes", "report", str(bad), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 1
    assert "bad.csv: 1 error(s) (1 out of range); see each with its row: outcomes validate" in (
        r.stderr
    )
    assert "P00002" not in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "out" / "audit_report.html").exists()


def test_notebooks_folder_is_the_one_used() -> None:
    assert notebook_path("audit") == NOTEBOOKS / "audit_report.ipynb"


def test_key_findings_open_the_report_with_the_numbers_of_analyze(audit: Path) -> None:
    """Every sentence of the key findings is analyze's own, from Analysis.key_findings()."""
    import html as html_lib

    from outcomes.analysis import analyze
    from outcomes.summary import key_findings_lines

    text = html_lib.unescape(audit.read_text())
    result = analyze(
        SAMPLE / "followup_long.csv", events=SAMPLE / "events.csv", by="joint", n_boot=20
    )
    for line in key_findings_lines(result.key_findings()):
        assert line in text, line
    assert text.index("Key findings") < text.index("SHA-256")


def test_report_and_figures_on_a_file_without_a_joint_column(tmp_path: Path) -> None:
    """joint is optional: the audit report and the figure pack render with one group."""
    data = tmp_path / "no_joint.csv"
    pd.read_csv(SAMPLE / "followup_long.csv").drop(columns=["joint"]).to_csv(data, index=False)
    for args in (
        ["report", str(data), "--out", str(tmp_path / "rep"), "--boot", "10"],
        ["figures", str(data), "--out", str(tmp_path / "fig"), "--boot", "10"],
    ):
        r = subprocess.run(
            [sys.executable, "-m", "outcomes", *args], capture_output=True, text=True, check=False
        )
        assert r.returncode == 0, r.stderr
        assert "Traceback" not in r.stderr + r.stdout
    html = (tmp_path / "rep" / "audit_report.html").read_text()
    assert "Benchmark against the literature" in html
    assert any((tmp_path / "fig").glob("relief_curves*"))


def test_a_failed_report_leaves_no_traceback_in_the_output_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The executed notebook of a failed run holds a traceback: it is moved out of the
    folder the clinic shares, and the error says where it went."""
    import papermill as pm

    from outcomes.errors import OutcomesError

    def fail(source: str, executed: str, **_: object) -> None:
        Path(executed).write_text('{"traceback": "KeyError"}')
        raise pm.PapermillExecutionError(0, 8, "", "KeyError", "'joint'", [])

    monkeypatch.setattr(pm, "execute_notebook", fail)
    out = tmp_path / "rep"
    with pytest.raises(OutcomesError) as err:
        render_report(out=out, progress=None)
    message = str(err.value)
    assert message.startswith("the audit report failed in cell 8: KeyError: 'joint'; please report")
    assert not list(out.glob("*.ipynb"))
    kept = Path(message.split("traceback, is ")[1].split(";")[0])
    assert kept.exists() and kept.parent != out
