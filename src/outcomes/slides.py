"""The audit report as a 16:9 slide deck (python-pptx), for the audit meeting.

:func:`write_pptx` lays out an :class:`~outcomes.audit.AuditContents` on
:data:`SLIDES` (8-10 slides: a benchmark slide per joint with a published
figure compared, at most two): a title on every slide, few words, the numbers of the key
findings, figures in the lecture style (1920 x 1080 PNG) and tables as
native, editable tables with text of at least 12 pt. The full sentences
(key findings, the methods paragraph) are in the speaker notes.

Needs the ``office`` extra: ``pip install 'outcomes[office]'``.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from outcomes.audit import FIGURES, LANDMARK_NOTE, RELIEF_NOTE, STANDARDS_NOTE, draw, png
from outcomes.errors import OptionError

if TYPE_CHECKING:
    import pandas as pd

    from outcomes.audit import AuditContents, BenchmarkPart

__all__ = ["MAX_BENCHMARK_SLIDES", "SLIDES", "write_pptx"]

#: Benchmark slides at most: one per joint with a published figure compared.
MAX_BENCHMARK_SLIDES = 2

#: Slide titles, in order. The benchmark slide is one per joint with a published figure
#: compared (at most :data:`MAX_BENCHMARK_SLIDES`), titled "Benchmark: knee (241
#: procedures)" when the cohort has several joints; none when nothing was compared.
SLIDES = (
    "title",
    "Key findings",
    "The cohort",
    "How long relief lasts",
    "Still in relief at each time point",
    "Benchmark against the literature",
    "Audit standards",
    "Complications",
    "Methods",
)

_WIDTH_EMU, _HEIGHT_EMU = 12192000, 6858000  # 16:9, PowerPoint's widescreen
_WIDTH_IN, _HEIGHT_IN = _WIDTH_EMU / 914400, _HEIGHT_EMU / 914400  # 13.33 x 7.5 inches
_MARGIN_IN = 0.5
_TITLE_TOP_IN, _TITLE_HEIGHT_IN = 0.25, 0.85
_BODY_TOP_IN = 1.2
_TITLE_PT = 30
_MIN_PT = 12


def _pptx() -> Any:
    try:
        import pptx
    except ImportError:
        raise OptionError(
            "PowerPoint reports need python-pptx: pip install 'outcomes[office]'"
        ) from None
    return pptx


def write_pptx(contents: AuditContents, path: str | Path, *, figures: Path | None = None) -> Path:
    """Write the audit report as a 16:9 slide deck.

    Parameters
    ----------
    contents : AuditContents
        From :func:`outcomes.audit.audit_contents`.
    path : path
        The .pptx file to write (its folder is created).
    figures : path, optional
        Also save the slides' figures here as 1920 x 1080 PNG files.

    Returns
    -------
    Path
        The file written.
    """
    pptx = _pptx()
    from pptx.util import Emu

    c = contents
    prs = pptx.Presentation()
    prs.slide_width, prs.slide_height = Emu(_WIDTH_EMU), Emu(_HEIGHT_EMU)
    _properties(prs, c)

    _title_slide(prs, c)

    s = _slide(prs, "Key findings")
    _table(s, ["Finding", "Value (95% CI)"], [list(x) for x in c.findings_cells], weights=[3, 2])
    _notes(s, "\n".join(c.findings_lines))

    s = _slide(prs, "The cohort")
    one = c.table_one
    _table(s, [str(x) for x in one.columns], _rows(one), weights=[3] + [1] * (len(one.columns) - 1))
    _notes(s, c.exclusions)

    s = _slide(prs, "How long relief lasts")
    _text(s, c.median_text, top=_BODY_TOP_IN - 0.05, height=0.45, size=18)
    _picture(s, c, "relief_curves", figures, top=_BODY_TOP_IN + 0.4)
    _notes(s, "\n".join([c.median_text, c.mean_text, RELIEF_NOTE]))

    s = _slide(prs, "Still in relief at each time point")
    if "group" in c.landmarks:  # estimates only, groups x months
        header, rows = _landmark_grid(c.landmarks)
        _table(s, header, rows, weights=[1.7] + [2] * (len(header) - 1), bottom=6.55, size=16)
        foot = "Estimated share of initial responders still in relief (95% CI)."
    else:  # one group: the landmark table as it is
        lm = c.landmarks
        _table(s, [str(x) for x in lm.columns], _rows(lm), weights=[1.4, 3, 2, 1.5, 3], size=20)
        foot = ""
    foot = " ".join(x for x in (foot, c.landmark_footnote) if x)
    if foot:
        _text(s, foot, top=6.6, height=0.75, size=_MIN_PT)
    _notes(s, LANDMARK_NOTE)

    for part in _benchmark_parts(c):
        title = "Benchmark against the literature"
        if len(c.benchmark) > 1:
            title = f"Benchmark: {part.label}"
        s = _slide(prs, title)
        _picture(s, c, "benchmark", figures, top=_BODY_TOP_IN, part=part)
        _notes(s, " ".join(x for x in (FIGURES["benchmark"], part.not_compared) if x))

    s = _slide(prs, "Audit standards")
    _table(
        s,
        [str(x) for x in c.standards.columns],
        _rows(c.standards),
        weights=[4, 1.6, 2, 0.8, 1.2, 2.2],
        size=16,
    )
    _notes(s, STANDARDS_NOTE)

    s = _slide(prs, "Complications")
    _table(
        s,
        [str(x) for x in c.complications.columns],
        _rows(c.complications),
        weights=[2.2, 1.6, 1, 2.6],
    )
    _notes(s, FIGURES["complications"])

    s = _slide(prs, "Methods")
    _bullets(s, _methods_points(c))
    _notes(s, c.methods)

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    prs.save(str(path))
    return path


def _properties(prs: Any, c: AuditContents) -> None:
    """File properties: the title and the software, nothing from the data."""
    props = prs.core_properties
    props.title = c.title
    props.subject = "Duration of relief after joint denervation: audit"
    props.author = c.clinic or "outcomes"
    props.last_modified_by = "outcomes"
    props.comments = c.software
    props.keywords = "audit; denervation; radiofrequency ablation"
    props.revision = 1
    if c.analysed_on:
        when = dt.datetime.fromisoformat(c.analysed_on)
        props.created = props.modified = when


def _benchmark_parts(c: AuditContents) -> list[BenchmarkPart]:
    """The joints with a published figure compared, at most :data:`MAX_BENCHMARK_SLIDES`
    (those with the most procedures; the Word report has every one)."""
    compared = [p for p in c.benchmark if len(p.shown)]
    compared.sort(key=lambda p: -p.procedures)
    return compared[:MAX_BENCHMARK_SLIDES]


def _rows(table: pd.DataFrame) -> list[list[str]]:
    return [["-" if v is None else str(v) for v in r] for r in table.itertuples(index=False)]


def _landmark_grid(landmarks: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """The landmark table's estimates as groups x months (one row when ungrouped)."""
    col = "still in relief (estimated)"
    frame = landmarks if "group" in landmarks else landmarks.assign(group="All")
    months = list(dict.fromkeys(frame["months"]))
    header = ["", *(f"{m} months" for m in months)]
    rows = []
    for group in dict.fromkeys(frame["group"]):
        sub = frame[frame["group"] == group].set_index("months")[col]
        cells = (str(sub.get(m, "-")).replace(" †", "\n†") for m in months)
        rows.append([str(group), *cells])
    return header, rows


def _methods_points(c: AuditContents) -> list[str]:
    """The relief definition sentence by sentence, the estimator and the data."""
    a = c.analysis
    sentences = (s.strip() for s in c.definition.split(". "))
    points = [s if s.endswith(".") else s + "." for s in sentences if s]
    ci = (
        f"95% CIs: bootstrap over patients ({a.curve.n_boot} resamples)"
        if a.curve.n_boot
        else "95% CIs as the method gives them"
    )
    points.append(f"{c.software}; {ci}.")
    files = ", ".join(
        f"{n} ({r} rows)"
        for n, r in zip(c.inputs["input file"], c.inputs["data rows"], strict=True)
    )
    points.append(f"Data: {files}. Full methods paragraph in the notes and the Word report.")
    return points


# --------------------------------------------------------------------------- #
# layout


def _slide(prs: Any, title: str) -> Any:
    """A "Title Only" slide with its title across the top."""
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Inches, Pt

    slide = prs.slides.add_slide(prs.slide_layouts[5])
    t = slide.shapes.title
    t.left, t.top = Inches(_MARGIN_IN), Inches(_TITLE_TOP_IN)
    t.width, t.height = Inches(_WIDTH_IN - 2 * _MARGIN_IN), Inches(_TITLE_HEIGHT_IN)
    t.text = title
    para = t.text_frame.paragraphs[0]
    para.alignment = PP_ALIGN.LEFT
    para.runs[0].font.size = Pt(_TITLE_PT)
    para.runs[0].font.bold = True
    return slide


def _title_slide(prs: Any, c: AuditContents) -> None:
    from pptx.util import Inches, Pt

    slide = prs.slides.add_slide(prs.slide_layouts[0])
    title, sub = slide.shapes.title, slide.placeholders[1]
    width = Inches(_WIDTH_IN - 2 * 1.0)
    title.left, title.top, title.width, title.height = Inches(1.0), Inches(2.0), width, Inches(1.6)
    sub.left, sub.top, sub.width, sub.height = Inches(1.0), Inches(3.9), width, Inches(2.0)
    title.text = c.title
    title.text_frame.paragraphs[0].runs[0].font.size = Pt(40)
    lines = [v for _, v in c.facts[:2]] or ["Audit of relief after joint denervation"]
    lines.append(f"Analysed {c.analysed_on}" if c.analysed_on else c.software.split(" (")[0])
    sub.text = "\n".join(lines)
    for para in sub.text_frame.paragraphs:
        for run in para.runs:
            run.font.size = Pt(22)


def _text(slide: Any, text: str, *, top: float, height: float, size: int) -> None:
    from pptx.util import Inches, Pt

    box = slide.shapes.add_textbox(
        Inches(_MARGIN_IN), Inches(top), Inches(_WIDTH_IN - 2 * _MARGIN_IN), Inches(height)
    )
    frame = box.text_frame
    frame.word_wrap = True
    frame.text = text
    for para in frame.paragraphs:
        for run in para.runs:
            run.font.size = Pt(size)


def _bullets(slide: Any, points: list[str], size: int = 18) -> None:
    from pptx.util import Inches, Pt

    box = slide.shapes.add_textbox(
        Inches(_MARGIN_IN),
        Inches(_BODY_TOP_IN),
        Inches(_WIDTH_IN - 2 * _MARGIN_IN),
        Inches(_HEIGHT_IN - _BODY_TOP_IN - 0.3),
    )
    frame = box.text_frame
    frame.word_wrap = True
    for i, point in enumerate(points):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        para.text = "\u2022 " + point
        para.space_after = Pt(6)
        for run in para.runs:
            run.font.size = Pt(size)


def _notes(slide: Any, text: str) -> None:
    if text:
        slide.notes_slide.notes_text_frame.text = text


def _picture(
    slide: Any,
    c: AuditContents,
    name: str,
    figures: Path | None,
    *,
    top: float,
    part: BenchmarkPart | None = None,
) -> None:
    """A lecture-style figure (16:9) as large as fits below ``top``, centred."""
    from pptx.util import Inches

    from outcomes import plots

    fig = draw(c, name, "lecture", part)
    if figures is not None:
        plots.save(fig, figures / (part.stem if part is not None else name), "lecture")
    data = png(fig, 100)
    height = _HEIGHT_IN - top - 0.15
    width = min(height * 16 / 9, _WIDTH_IN - 2 * _MARGIN_IN)
    height = width * 9 / 16
    left = (_WIDTH_IN - width) / 2
    slide.shapes.add_picture(
        io.BytesIO(data), Inches(left), Inches(top), Inches(width), Inches(height)
    )


def _table(
    slide: Any,
    header: list[str],
    rows: list[list[str]],
    *,
    weights: Sequence[float],
    size: int | None = None,
    bottom: float = _HEIGHT_IN - 0.3,
) -> None:
    """A native table filling the body, text as large as the rows allow (at least 12 pt)."""
    from pptx.util import Inches, Pt

    n = len(rows) + 1
    room_pt = (bottom - _BODY_TOP_IN) * 72
    if size is None:
        size = max(_MIN_PT, min(24, int(room_pt / n / 1.75)))
    row_in = size * 1.6 / 72
    width = _WIDTH_IN - 2 * _MARGIN_IN
    shape = slide.shapes.add_table(
        n, len(header), Inches(_MARGIN_IN), Inches(_BODY_TOP_IN), Inches(width), Inches(row_in * n)
    )
    table = shape.table
    if len(weights) != len(header):  # a table that gained a column: widths by its text
        weights = [
            max(min(max(len(r[j]) for r in [header, *rows]), 40), 4) for j in range(len(header))
        ]
    total = sum(weights)
    for j, w in enumerate(weights):
        table.columns[j].width = Inches(width * w / total)
    for i in range(n):
        table.rows[i].height = Inches(row_in)
    for i, values in enumerate([header, *rows]):
        for j, text in enumerate(values):
            cell = table.cell(i, j)
            cell.margin_top = cell.margin_bottom = Inches(0.03)
            cell.text = text[:1].upper() + text[1:] if i == 0 and len(text) > 1 else text
            for para in cell.text_frame.paragraphs:
                for run in para.runs:
                    run.font.size = Pt(size)
                    run.font.bold = i == 0
