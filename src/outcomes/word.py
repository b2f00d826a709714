"""The audit report as a Word document (python-docx), to edit and circulate.

:func:`write_docx` lays out an :class:`~outcomes.audit.AuditContents` in the
order of the HTML audit report: title block (clinic, period, date of
analysis), key findings, data quality, the cohort, how long relief lasts,
pain scores over time, the benchmark, audit standards, complications and
later events, methods, and the input files with their SHA-256 last. Tables
are Word tables (editable, header row repeated across pages); figures are
PNG in the journal style at 300 dpi, at their journal width.

Needs the ``office`` extra: ``pip install 'outcomes[office]'``.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from outcomes.audit import FIGURES, LANDMARK_NOTE, RELIEF_NOTE, STANDARDS_NOTE, draw, png
from outcomes.errors import OptionError

if TYPE_CHECKING:
    import pandas as pd

    from outcomes.audit import AuditContents, BenchmarkPart

__all__ = ["SECTIONS", "write_docx"]

#: The document's sections (Heading 1), in order.
SECTIONS = (
    "Key findings",
    "Data quality",
    "The cohort",
    "How long relief lasts",
    "Pain scores over time",
    "Benchmark against the literature",
    "Audit standards",
    "Complications and later events",
    "Methods",
    "Input files",
)

_PAGE_CM = (21.0, 29.7)  # A4
_MARGIN_CM = 2.0
_TABLE_PT = 8
_DPI = 300
_KEEP_ROWS = 30  # tables of up to this many rows are not broken across pages


def _docx() -> Any:
    try:
        import docx
    except ImportError:
        raise OptionError("Word reports need python-docx: pip install 'outcomes[office]'") from None
    return docx


def write_docx(contents: AuditContents, path: str | Path) -> Path:
    """Write the audit report as a Word document.

    Parameters
    ----------
    contents : AuditContents
        From :func:`outcomes.audit.audit_contents`.
    path : path
        The .docx file to write (its folder is created).

    Returns
    -------
    Path
        The file written.
    """
    docx = _docx()
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    c = contents
    doc = docx.Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(_PAGE_CM[0]), Cm(_PAGE_CM[1])
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(_MARGIN_CM))
    doc.styles["Normal"].font.size = Pt(10)
    _properties(doc, c)

    doc.add_heading(c.title, level=0)
    facts = doc.add_paragraph()
    for i, (k, v) in enumerate(c.facts):
        if i:
            facts.add_run().add_break()
        facts.add_run(f"{k}: ").bold = True
        facts.add_run(v)

    doc.add_heading(SECTIONS[0], level=1)
    for line in c.findings_lines:
        doc.add_paragraph(line, style="List Bullet")
    _note(doc, "Details, definitions and methods follow; the input files are listed at the end.")

    doc.add_heading("Data quality", level=1)
    doc.add_paragraph(c.read_text)
    if not c.data_quality.empty:
        _table(doc, c.data_quality)

    doc.add_heading("The cohort", level=1)
    _table(doc, c.table_one, first_bold=True)
    if c.exclusions:
        doc.add_paragraph(c.exclusions)

    doc.add_heading("How long relief lasts", level=1)
    _figure(doc, c, "relief_curves", caption=RELIEF_NOTE)
    doc.add_paragraph(c.median_text + " " + c.mean_text)
    _table(doc, c.landmarks)
    if c.landmark_footnote:
        _note(doc, c.landmark_footnote)
    _note(doc, LANDMARK_NOTE)

    doc.add_heading("Pain scores over time", level=1)
    _figure(doc, c, "pain_trajectory")
    _figure(doc, c, "improvement_3_months")

    doc.add_heading("Benchmark against the literature", level=1)
    for part in c.benchmark:
        if len(c.benchmark) > 1:
            doc.add_heading(part.label[:1].upper() + part.label[1:], level=2)
        if part.comparison.empty:
            doc.add_paragraph(f"No published figures for the {part.joint} in the reference table.")
            continue
        if len(part.shown):
            _table(doc, part.shown)
        if part.not_compared:
            _note(doc, part.not_compared)
        if len(part.shown):
            _figure(doc, c, "benchmark", part=part)
        for sentence in part.sentences:
            doc.add_paragraph(sentence, style="List Bullet")

    doc.add_heading("Audit standards", level=1)
    _table(doc, c.standards)
    _note(doc, STANDARDS_NOTE)

    doc.add_heading("Complications and later events", level=1)
    _table(doc, c.complications)
    _figure(doc, c, "complications")
    _figure(doc, c, "events_after_procedure")

    doc.add_heading("Methods", level=1)
    doc.add_paragraph(c.methods)
    p = doc.add_paragraph()
    p.add_run("Definition of relief. ").bold = True
    p.add_run(c.definition)

    doc.add_heading("Input files", level=1)
    p = doc.add_paragraph()
    p.add_run("Software: ").bold = True
    p.add_run(c.software)
    _table(doc, c.inputs)

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def _properties(doc: Any, c: AuditContents) -> None:
    """File properties: the title and the software, nothing from the data."""
    props = doc.core_properties
    props.title = c.title
    props.subject = "Duration of relief after joint denervation: audit"
    props.author = c.clinic or "outcomes"
    props.last_modified_by = "outcomes"
    props.comments = c.software
    props.keywords = "audit; denervation; radiofrequency ablation"
    if c.analysed_on:
        when = dt.datetime.fromisoformat(c.analysed_on)
        props.created = props.modified = when


def _note(doc: Any, text: str) -> None:
    """A small italic paragraph: captions and footnotes."""
    from docx.shared import Pt

    run = doc.add_paragraph().add_run(text)
    run.italic = True
    run.font.size = Pt(9)


def _figure(
    doc: Any,
    c: AuditContents,
    name: str,
    caption: str | None = None,
    part: BenchmarkPart | None = None,
) -> None:
    """A journal-style figure as a 300 dpi PNG at its own width, then its caption."""
    from docx.shared import Cm, Inches

    fig = draw(c, name, "journal", part)
    width_in = float(fig.get_size_inches()[0])
    text_width = Cm(_PAGE_CM[0] - 2 * _MARGIN_CM)
    doc.add_picture(io.BytesIO(png(fig, _DPI)), width=min(Inches(width_in), text_width))
    _note(doc, caption or FIGURES[name])


def _widths(table: pd.DataFrame, total_cm: float) -> list[float]:
    """Column widths (cm): each at least its longest word, the rest shared by text length."""
    char_cm, pad_cm = 0.2, 0.4  # an average character at 8 pt, and the cell's margins
    least, want = [], []
    for col in table.columns:
        cells = [_header(col), *(str(v) for v in table[col])]
        word = max((len(w) for s in cells for w in s.split()), default=1)
        least.append(min(word, 12) * char_cm + pad_cm)  # longer ids may break
        want.append(min(max(len(s) for s in cells), 45) * char_cm + pad_cm)
    spare = total_cm - sum(least)
    if spare <= 0:
        return [w * total_cm / sum(least) for w in least]
    more = [w - m for w, m in zip(want, least, strict=True)]
    if sum(more) <= spare:  # everything fits on one line: share what is left evenly
        return [w + (spare - sum(more)) / len(want) for w in want]
    return [m + spare * x / sum(more) for m, x in zip(least, more, strict=True)]


def _header(name: object) -> str:
    """A column name as a header, first letter capital ("n" and "p" kept)."""
    text = str(name)
    return text[:1].upper() + text[1:] if len(text) > 1 else text


def _table(doc: Any, table: pd.DataFrame, *, first_bold: bool = False) -> None:
    """A DataFrame of text as a Word table: header row bold and repeated on each page."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    t = doc.add_table(rows=1 + len(table), cols=len(table.columns))
    t.style = "Light Grid Accent 1"
    t.autofit = False
    widths = _widths(table, _PAGE_CM[0] - 2 * _MARGIN_CM)
    for j, w in enumerate(widths):
        t.columns[j].width = Cm(w)  # the grid, which LibreOffice reads
    rows = [[_header(c) for c in table.columns]]
    rows += [["-" if v is None else str(v) for v in r] for r in table.itertuples(index=False)]
    for i, values in enumerate(rows):
        row = t.rows[i]
        for j, text in enumerate(values):
            cell = row.cells[j]
            cell.width = Cm(widths[j])
            para = cell.paragraphs[0]
            run = para.add_run(text)
            run.font.size = Pt(_TABLE_PT)
            run.bold = i == 0 or (first_bold and j == 0)
            # a table of up to a page is kept on one page, as Word does it
            para.paragraph_format.keep_with_next = i < len(rows) - 1 and len(rows) <= _KEEP_ROWS
    for i, row in enumerate(t.rows):  # no row split across pages; the header on each
        props = row._tr.get_or_add_trPr()
        for tag in ("w:cantSplit", "w:tblHeader") if i == 0 else ("w:cantSplit",):
            flag = OxmlElement(tag)
            flag.set(qn("w:val"), "true")
            props.append(flag)
    doc.add_paragraph()  # space after the table
