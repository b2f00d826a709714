"""Word and PowerPoint audit reports (audit, word, slides): opened with python-docx and
python-pptx, their content is the analysis' own; no identifier reaches them; small
counts hide with --suppress-small; the command line builds them from --format."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import docx
import pandas as pd
import pptx
import pytest
from pptx.util import Emu, Pt

from outcomes import analyze, tables
from outcomes.analysis import Analysis
from outcomes.audit import AuditContents, audit_contents, require_office
from outcomes.cli import _formats, main
from outcomes.errors import OptionError
from outcomes.slides import MAX_BENCHMARK_SLIDES, write_pptx
from outcomes.summary import key_findings_lines
from outcomes.word import SECTIONS, write_docx

SAMPLE = Path(__file__).parents[1] / "data" / "sample"
DAY = dt.date(2024, 3, 1)


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    """The sample as the audit notebook analyses it: by joint, few resamples for speed."""
    return analyze(
        SAMPLE / "followup_long.csv", events=SAMPLE / "events.csv", by="joint", n_boot=20
    )


def _build(
    analysis: Analysis, folder: Path, suppress_small: bool
) -> tuple[AuditContents, Any, Any]:
    contents = audit_contents(
        analysis,
        clinic="Test clinic",
        period="2021-2023",
        analysed_on=DAY,
        suppress_small=suppress_small,
    )
    word = write_docx(contents, folder / "audit_report.docx")
    deck = write_pptx(contents, folder / "audit_report.pptx", figures=folder / "figures")
    return contents, docx.Document(str(word)), pptx.Presentation(str(deck))


@pytest.fixture(scope="module")
def built(
    analysis: Analysis, tmp_path_factory: pytest.TempPathFactory
) -> tuple[AuditContents, Any, Any]:
    return _build(analysis, tmp_path_factory.mktemp("office"), suppress_small=False)


@pytest.fixture(scope="module")
def suppressed(
    analysis: Analysis, tmp_path_factory: pytest.TempPathFactory
) -> tuple[AuditContents, Any, Any]:
    return _build(analysis, tmp_path_factory.mktemp("suppressed"), suppress_small=True)


def _headings(document: Any, level: int) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == f"Heading {level}"]


def _section(document: Any, heading: str) -> list[Any]:
    """The paragraphs under a Heading 1, up to the next one."""
    out: list[Any] = []
    inside = False
    for p in document.paragraphs:
        if p.style.name == "Heading 1":
            inside = p.text == heading
        elif inside:
            out.append(p)
    return out


def _cells(table: Any) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def _slide_tables(deck: Any) -> dict[str, list[list[str]]]:
    """Each slide's native table by slide title."""
    out = {}
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.has_table:
                out[slide.shapes.title.text] = [
                    [c.text for c in row.cells] for row in shape.table.rows
                ]
    return out


# --------------------------------------------------------------------------- #
# Word


def test_word_has_the_sections_of_the_audit_report_in_order(built: tuple[Any, Any, Any]) -> None:
    _, document, _ = built
    title = [p.text for p in document.paragraphs if p.style.name == "Title"]
    assert title == ["Joint denervation audit"]
    assert _headings(document, 1) == list(SECTIONS)
    cover = document.paragraphs[1].text
    assert "Clinic: Test clinic" in cover and "Period: 2021-2023" in cover
    assert "Date of analysis: 2024-03-01" in cover
    assert document.core_properties.title == "Joint denervation audit"


def test_word_key_findings_are_the_sentences_of_the_analysis(
    built: tuple[Any, Any, Any], analysis: Analysis
) -> None:
    _, document, _ = built
    bullets = [p.text for p in _section(document, "Key findings") if p.style.name == "List Bullet"]
    assert bullets == key_findings_lines(analysis.key_findings())


def test_word_tables_are_word_tables_of_the_report_tables(
    built: tuple[Any, Any, Any], analysis: Analysis
) -> None:
    contents, document, _ = built
    by_header = {tuple(_cells(t)[0]): _cells(t) for t in document.tables}
    one = tables.table_one(analysis, by="joint")
    rows = by_header[("", *one.columns)]
    assert [r[0] for r in rows[1:]] == list(one.index)
    assert rows[1][1:] == list(one.loc["Procedures"])  # cells as the table has them
    landmarks = tables.landmark_table(analysis)
    header = tuple(str(c)[:1].upper() + str(c)[1:] for c in landmarks.columns)
    assert len(by_header[header]) == 1 + len(landmarks)
    assert ("Standard", "Target", "Achieved (95% CI)", "n", "Result", "Certainty") in by_header
    assert ("Complication", "Procedures", "Of", "Percent (exact 95% CI)") in by_header
    if landmarks.attrs["footnote"]:  # a probability the data do not identify is explained
        assert landmarks.attrs["footnote"] in [p.text for p in document.paragraphs]
    # the input files come last, with their full SHA-256
    last = _cells(document.tables[-1])
    assert last[0] == ["Input file", "Data rows", "SHA-256"]
    assert [r[2] for r in last[1:]] == [s.sha256 for s in analysis.cohort.sources]
    assert contents.methods in [p.text for p in _section(document, "Methods")]


def test_word_figures_are_embedded_journal_png_at_300_dpi(built: tuple[Any, Any, Any]) -> None:
    contents, document, _ = built
    shapes = document.inline_shapes
    compared = sum(1 for p in contents.benchmark if len(p.shown))
    assert (
        len(shapes) == 5 + compared
    )  # relief, pain, waterfall, complications, events + benchmarks
    images = [
        document.part.related_parts[s._inline.graphic.graphicData.pic.blipFill.blip.embed]
        for s in shapes
    ]
    assert all(im.content_type == "image/png" for im in images)
    relief = images[0].image
    assert relief.px_width == pytest.approx(175 / 25.4 * 300, abs=2)  # 175 mm at 300 dpi
    section = document.sections[0]
    assert all(
        s.width <= section.page_width - section.left_margin - section.right_margin for s in shapes
    )


def test_word_benchmark_is_by_joint_as_in_the_html(built: tuple[Any, Any, Any]) -> None:
    contents, document, _ = built
    joints = [p.joint for p in contents.benchmark]
    assert len(joints) > 1  # the sample has knees, hips and shoulders
    sub = [h for h in _headings(document, 2)]
    assert [h.split(" (")[0] for h in sub] == [j.capitalize() for j in joints]


# --------------------------------------------------------------------------- #
# PowerPoint


def test_slides_are_16_9_with_a_title_on_each(built: tuple[Any, Any, Any]) -> None:
    _, _, deck = built
    assert deck.slide_width * 9 == deck.slide_height * 16
    assert 7 <= len(deck.slides) <= 10
    titles = [s.shapes.title.text for s in deck.slides]
    assert all(t.strip() for t in titles)
    assert titles[0] == "Joint denervation audit"
    benchmark = [t for t in titles if t.startswith("Benchmark")]
    assert 1 <= len(benchmark) <= MAX_BENCHMARK_SLIDES
    assert [t for t in titles if not t.startswith("Benchmark")][1:] == [
        "Key findings",
        "The cohort",
        "How long relief lasts",
        "Still in relief at each time point",
        "Audit standards",
        "Complications",
        "Methods",
    ]


def test_slides_tables_are_native_with_readable_text(
    built: tuple[Any, Any, Any], analysis: Analysis
) -> None:
    contents, _, deck = built
    found = _slide_tables(deck)
    assert set(found) >= {
        "Key findings",
        "The cohort",
        "Still in relief at each time point",
        "Audit standards",
        "Complications",
    }
    assert found["Key findings"][1:] == [list(x) for x in contents.findings_cells]
    one = tables.table_one(analysis, by="joint")
    assert found["The cohort"][0] == ["", *one.columns]
    assert found["The cohort"][1] == ["Procedures", *one.loc["Procedures"]]
    sizes = [
        run.font.size
        for slide in deck.slides
        for shape in slide.shapes
        if shape.has_table
        for row in shape.table.rows
        for cell in row.cells
        for para in cell.text_frame.paragraphs
        for run in para.runs
    ]
    assert sizes and all(s is not None and s >= Pt(12) for s in sizes)


def test_slides_key_findings_numbers_and_sentences(
    built: tuple[Any, Any, Any], analysis: Analysis
) -> None:
    _, _, deck = built
    slide = deck.slides[1]
    notes = slide.notes_slide.notes_text_frame.text.splitlines()
    assert notes == key_findings_lines(analysis.key_findings())
    cells = _slide_tables(deck)["Key findings"]
    median = analysis.curve.median
    assert any(f"{median.estimate:.1f} months" in value for _, value in cells[1:])


def test_slides_figures_are_lecture_png(built: tuple[Any, Any, Any]) -> None:
    _, _, deck = built
    pictures = [
        (slide.shapes.title.text, shape.image)
        for slide in deck.slides
        for shape in slide.shapes
        if shape.shape_type == 13  # MSO_SHAPE_TYPE.PICTURE
    ]
    assert pictures[0][0] == "How long relief lasts"
    assert all(im.content_type == "image/png" and im.size == (1920, 1080) for _, im in pictures)
    assert all(t.startswith(("How long", "Benchmark")) for t, _ in pictures)
    for slide in deck.slides:  # every shape on the slide
        for shape in slide.shapes:
            assert 0 <= shape.left and shape.left + shape.width <= deck.slide_width
            assert 0 <= shape.top and shape.top + shape.height <= deck.slide_height + Emu(1)


def test_one_joint_shows_its_landmark_table_and_one_benchmark_slide(
    analysis: Analysis, tmp_path: Path
) -> None:
    knees = analysis.cohort.procedures.index[analysis.cohort.procedures["joint"] == "knee"]
    raw = pd.read_csv(SAMPLE / "followup_long.csv")
    raw = raw[raw["joint"] == "knee"]
    raw.to_csv(tmp_path / "knee.csv", index=False)
    one = analyze(tmp_path / "knee.csv", n_boot=10)
    assert one.counts["procedures"] == len(knees)
    contents = audit_contents(one, analysed_on=DAY)
    deck = pptx.Presentation(str(write_pptx(contents, tmp_path / "knee.pptx")))
    titles = [s.shapes.title.text for s in deck.slides]
    assert titles.count("Benchmark against the literature") == 1
    assert 8 <= len(titles) <= 9
    found = _slide_tables(deck)["Still in relief at each time point"]
    landmarks = tables.landmark_table(one)
    assert found[1:] == landmarks.to_numpy().tolist()


# --------------------------------------------------------------------------- #
# small counts


def _all_text(document: Any, deck: Any) -> tuple[str, str]:
    word = "\n".join(c for t in document.tables for row in _cells(t) for c in row)
    word += "\n".join(p.text for p in document.paragraphs)
    slides = "\n".join(c for table in _slide_tables(deck).values() for row in table for c in row)
    return word, slides


def test_suppress_small_shows_counts_under_5_as_lt5(
    built: tuple[Any, Any, Any], suppressed: tuple[Any, Any, Any], analysis: Analysis
) -> None:
    plain_word, plain_slides = _all_text(built[1], built[2])
    word, slides = _all_text(suppressed[1], suppressed[2])
    one = tables.table_one(analysis, by="joint", suppress_small=True)
    assert (one == "<5").any().any()  # the sample has small cells to hide
    assert "<5" in word and "<5" in slides
    assert "<5" not in plain_word and "<5" not in plain_slides
    cohort = _slide_tables(suppressed[2])["The cohort"]
    assert cohort[1:] == [
        [str(i), *map(str, r)] for i, r in zip(one.index, one.to_numpy(), strict=True)
    ]


def test_key_findings_hide_counts_under_5_and_the_percent_that_shows_them(
    analysis: Analysis,
) -> None:
    table = analysis.key_findings().copy()
    serious = table["key"] == "serious_complications"
    table.loc[serious, ["estimate", "n"]] = [3 / 300, 300]
    table.loc[serious, "note"] = "3 of 300 procedures"
    r3 = table["key"] == "responders_3m"
    table.loc[r3, "n"] = 4
    shown = key_findings_lines(table, suppress_small=True)
    assert "Serious complications: <5 of 300 procedures." in shown
    assert "At 3 months <5 procedures were assessed: rate not shown (counts under 5)." in shown
    assert not any("1.0%" in line or "3 of 300" in line for line in shown)
    kept = [x for x in key_findings_lines(table) if "Serious" not in x and "At 3 months" not in x]
    assert all(line in shown for line in kept)  # the others word for word
    assert key_findings_lines(table, suppress_small=False) == key_findings_lines(table)


# --------------------------------------------------------------------------- #
# privacy and the command line


def test_no_identifier_reaches_the_word_or_slides(tmp_path: Path) -> None:
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
    data, ev, out = tmp_path / "clinic.csv", tmp_path / "clinic_events.csv", tmp_path / "out"
    raw.to_csv(data, index=False)
    events.to_csv(ev, index=False)
    options = ["--format", "docx,pptx", "--boot", "10", "--out", str(out)]
    r = subprocess.run(
        [sys.executable, "-m", "outcomes", "report", str(data), "--events", str(ev), *options],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    assert f"Word:    {out / 'audit_report.docx'}" in r.stdout
    assert f"Slides:  {out / 'audit_report.pptx'}" in r.stdout
    assert not (out / "audit_report.html").exists()  # only the formats asked for
    texts = []
    for name in ("audit_report.docx", "audit_report.pptx"):
        with zipfile.ZipFile(out / name) as z:
            texts += [(f"{name}:{i}", z.read(i).decode("utf-8", "ignore")) for i in z.namelist()]
    texts += [(p.name, p.read_bytes().decode("utf-8", "ignore")) for p in out.rglob("*.png")]
    assert len(texts) > 20
    for where, text in texts:
        for needle in ("ZQXPAT", "ZQXPROC", "Quenneville", "Zbrowski"):
            assert needle not in text, f"{needle} in {where}"


def test_report_html_and_slides_in_one_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["report", "--format", "html,pptx", "--boot", "10", "--out", str(tmp_path)]
    code = main([*args, "--clinic", "Test clinic"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[:2] == [
        f"Report:  {tmp_path / 'audit_report.html'}",
        f"Slides:  {tmp_path / 'audit_report.pptx'}",
    ]
    assert out[2].startswith(f"Figures: {tmp_path / 'figures'} (")
    assert not (tmp_path / "audit_report.docx").exists()
    deck = pptx.Presentation(str(tmp_path / "audit_report.pptx"))
    assert "Test clinic" in deck.slides[0].placeholders[1].text
    assert (tmp_path / "figures" / "relief_curves.png").is_file()  # slides' figures beside


@pytest.mark.parametrize(
    ("text", "formats"),
    [
        pytest.param("html", ("html",), id="default"),
        pytest.param("html,docx,pptx", ("html", "docx", "pptx"), id="all three"),
        pytest.param(" DOCX , pptx ", ("docx", "pptx"), id="spaces and capitals"),
        pytest.param("pptx,pptx", ("pptx",), id="repeated"),
    ],
)
def test_format_option_takes_any_subset(text: str, formats: tuple[str, ...]) -> None:
    assert _formats(text) == formats


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--format", "pdf"],
            "argument --format: 'pdf': choose from html, docx, pptx",
            id="unknown format",
        ),
        pytest.param(["--format", ","], "argument --format: ','", id="no format"),
        pytest.param(
            ["--format", "docx", "--template", "research"],
            "--format docx makes the audit report; use it with --template audit",
            id="not the audit template",
        ),
    ],
)
def test_bad_format_is_a_one_line_usage_error(args: list[str], message: str) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "outcomes", "report", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 2
    errors = [x for x in r.stderr.splitlines() if "error:" in x]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in r.stderr


def test_missing_office_packages_name_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pptx" else real(name, *a)
    )
    require_office(["docx"])
    with pytest.raises(OptionError, match=r"needs python-pptx: pip install 'outcomes\[office\]'"):
        require_office(["docx", "pptx"])
