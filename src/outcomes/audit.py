"""The audit report's contents, gathered once for the Word and PowerPoint versions.

The HTML report is a notebook (``notebooks/audit_report.ipynb``); the Word
document (:mod:`outcomes.word`) and the slide deck (:mod:`outcomes.slides`)
are laid out from one :class:`AuditContents`, made here from an
:class:`~outcomes.analysis.Analysis` with the same functions the notebook
calls: :mod:`outcomes.tables` for the tables, :mod:`outcomes.summary` for
the sentences, :func:`outcomes.findings.key_findings` for the key findings
and :mod:`outcomes.plots` for the figures. Nothing is estimated here.

No patient identifier or free text from the data reaches the contents:
only the analysis' counts, summaries, estimates, file names and row numbers.
With ``suppress_small`` every count of 1-4 shows as "<5", as in the HTML;
here also in the key findings and the standards' ``n``.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from outcomes import tables
from outcomes.errors import OptionError
from outcomes.summary import format_estimate, hides_small_count, key_findings_lines
from outcomes.survival import Estimate

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from outcomes.analysis import Analysis
    from outcomes.standards import Standard

__all__ = [
    "FIGURES",
    "OFFICE_PACKAGES",
    "AuditContents",
    "BenchmarkPart",
    "audit_contents",
    "draw",
    "png",
    "require_office",
]

#: Formats built here -> (module, the package that provides it).
OFFICE_PACKAGES = {"docx": ("docx", "python-docx"), "pptx": ("pptx", "python-pptx")}

#: Figures of the audit report, in order: name -> what it shows (captions in both formats).
FIGURES = {
    "relief_curves": "Share of initial responders still in relief, by months since the "
    "procedure (95% CI shaded), with the procedures at risk, seen to lose relief and "
    "censored under it.",
    "pain_trajectory": "Pain score at each visit (median and IQR); n assessed below the axis.",
    "improvement_3_months": "Improvement from baseline at 3 months, one bar per procedure; "
    "the dashed line is the responder threshold.",
    "benchmark": "This cohort beside the published figures, with 95% CIs.",
    "complications": "Complications, % of procedures with exact 95% CIs; dashed: the 2% target.",
    "events_after_procedure": "Cumulative incidence of a repeat procedure, surgery (e.g. knee "
    "replacement) and death, whichever came first (Aalen-Johansen, competing events), among "
    "all procedures.",
}

RELIEF_NOTE = (
    "Thick lines: the smooth estimate of the share of initial responders still in relief, "
    "which gives the median (shaded: its 95% CI). Thin steps: the Turnbull NPMLE, whose values "
    "are in the table below; light boxes: loss of relief between two visits, where the data "
    "cannot say when. Table under the curves: procedures still at risk, seen to lose relief, "
    "and censored (follow-up ended) at each time."
)
LANDMARK_NOTE = (
    "Still in relief (estimated): probability that relief lasts beyond that time, among all "
    "analysed procedures. Responder rate: share with relief among procedures assessed at that "
    "visit, as papers report it; those who lost relief earlier often stop coming, so this rate "
    "usually looks better than the estimate."
)
STANDARDS_NOTE = (
    "A standard is met when the estimate reaches the target; certainty says whether the 95% CI "
    "lies clear of the target. Default standards are starting points for a local audit; set "
    "your own with a standards CSV (see docs/reports.md)."
)


@dataclass(frozen=True)
class BenchmarkPart:
    """One joint against its own references (the whole cohort when it has one joint).

    Attributes
    ----------
    joint : str
        The joint (or "all").
    procedures : int
        Procedures of that joint.
    label : str
        "knee (241 procedures)", the count "<5" when suppressing small counts.
    comparison : DataFrame
        :func:`outcomes.benchmark.compare` of the joint (for the figure); may be empty.
    shown : DataFrame
        :func:`outcomes.tables.benchmark_table`, the rows compared.
    not_compared : str
        The references not compared, and why ("" when none).
    sentences : tuple of str
        One sentence per reference (:func:`outcomes.benchmark.benchmark_sentences`);
        left out when ``suppress_small`` and one would name a count of 1-4.
    """

    joint: str
    procedures: int
    label: str
    comparison: pd.DataFrame
    shown: pd.DataFrame
    not_compared: str
    sentences: tuple[str, ...]

    @property
    def stem(self) -> str:
        """File name of its figure, as the HTML report names it: ``benchmark_<joint>``."""
        return f"benchmark_{self.joint}"


@dataclass(frozen=True)
class AuditContents:
    """Everything the audit report shows, as text and text tables (no identifiers).

    Attributes
    ----------
    analysis : Analysis
        The analysis the figures are drawn from (:func:`draw`).
    title, clinic, period, analysed_on : str
        Cover; ``analysed_on`` is the date of analysis as YYYY-MM-DD ("" not shown).
    suppress_small : bool
        Counts of 1-4 show as "<5" everywhere below and in the figures.
    findings : DataFrame
        :func:`outcomes.findings.key_findings` (with the standards used below).
    findings_lines : tuple of str
        The key findings in words (:func:`outcomes.summary.key_findings_lines`).
    findings_cells : tuple of (str, str)
        The key findings as (finding, value with 95% CI), for a slide.
    read_text : str
        What was read and whether validation found problems.
    data_quality, table_one, landmarks, standards, complications : DataFrame
        The report tables (:mod:`outcomes.tables`); ``table_one``'s row labels
        are its first column.
    exclusions, median_text, mean_text, landmark_footnote : str
    benchmark : tuple of BenchmarkPart
        Each joint against its own references, as the HTML report shows them.
    methods, definition, software : str
    inputs : DataFrame
        Input files: name, data rows, SHA-256.
    """

    analysis: Analysis
    title: str
    clinic: str
    period: str
    analysed_on: str
    suppress_small: bool
    findings: pd.DataFrame
    findings_lines: tuple[str, ...]
    findings_cells: tuple[tuple[str, str], ...]
    read_text: str
    data_quality: pd.DataFrame
    table_one: pd.DataFrame
    exclusions: str
    median_text: str
    mean_text: str
    landmarks: pd.DataFrame
    landmark_footnote: str
    benchmark: tuple[BenchmarkPart, ...]
    standards: pd.DataFrame
    complications: pd.DataFrame
    methods: str
    definition: str
    software: str
    inputs: pd.DataFrame

    @property
    def facts(self) -> list[tuple[str, str]]:
        """The cover's facts: clinic, period, date of analysis (those given)."""
        pairs = [
            ("Clinic", self.clinic),
            ("Period", self.period),
            ("Date of analysis", self.analysed_on),
        ]
        return [(k, v) for k, v in pairs if v]


def audit_contents(
    analysis: Analysis,
    *,
    title: str = "Joint denervation audit",
    clinic: str = "",
    period: str = "",
    analysed_on: dt.date | None = None,
    comparisons: Sequence[tuple[str, Analysis, pd.DataFrame]] | None = None,
    standards: tuple[Standard, ...] | str | Path | None = None,
    suppress_small: bool = False,
) -> AuditContents:
    """Gather the audit report's contents from an analysis, as the notebook does.

    Parameters
    ----------
    analysis : Analysis
        As the audit notebook makes it (by joint when there are several).
    title, clinic, period : str
        Cover text.
    analysed_on : date, optional
        Date of analysis shown on the cover (None: not shown).
    comparisons : list of (joint, Analysis, DataFrame), optional
        :func:`outcomes.benchmark.compare_joints` of the analysis (None: made
        with the shipped references, as the notebook does).
    standards : Standards, CSV path or None
        Audit standards (None: :data:`outcomes.standards.DEFAULT_STANDARDS`);
        the key findings count the same standards.
    suppress_small : bool
        Show counts of 1-4 as "<5".
    """
    from outcomes import __version__, benchmark
    from outcomes.endpoints import EXCLUSIONS
    from outcomes.findings import key_findings
    from outcomes.standards import evaluate_standards
    from outcomes.summary import METHOD_NAMES, methods_paragraph

    a = analysis
    small = suppress_small
    if comparisons is None:
        comparisons = benchmark.compare_joints(a)
    findings = key_findings(a, standards=standards)
    counts = a.cohort.counts()
    problems = tables.data_quality(a.cohort)
    read = (
        f"{counts['patients']:,} patients, {counts['procedures']:,} procedures, "
        f"{counts['assessments']:,} assessments and {counts['events']:,} events were read. "
        + (
            "No problems were found."
            if problems.empty
            else "Validation found the problems below (errors would have stopped the analysis; "
            "warnings are reported and the rows kept or excluded as each rule says)."
        )
    )
    excluded = a.counts["excluded"]
    exclusions = (
        "Not analysed for duration of relief: "
        + "; ".join(
            f"{EXCLUSIONS.get(k, k)}: {tables.count(v, small)}" for k, v in excluded.items()
        )
        + "."
        if excluded
        else ""
    )
    one = tables.table_one(a, by=a.by or "joint", suppress_small=small)
    one = one.rename_axis("").reset_index()  # row labels as the first column
    landmarks = tables.landmark_table(a, suppress_small=small)
    curve = a.curve
    inputs = pd.DataFrame(
        {
            "input file": [s.name for s in a.cohort.sources],
            "data rows": [f"{s.rows:,d}" for s in a.cohort.sources],
            "SHA-256": [s.sha256 for s in a.cohort.sources],
        }
    )
    return AuditContents(
        analysis=a,
        title=title,
        clinic=clinic,
        period=period,
        analysed_on=analysed_on.isoformat() if analysed_on is not None else "",
        suppress_small=small,
        findings=findings,
        findings_lines=tuple(key_findings_lines(findings, suppress_small=small)),
        findings_cells=tuple(_findings_cells(findings, a, small)),
        read_text=read,
        data_quality=problems,
        table_one=one,
        exclusions=exclusions,
        median_text=f"Median duration of relief: {format_estimate(curve.median)} "
        "(read from the smooth curve).",
        mean_text=f"Mean duration of relief up to {curve.tau_months:g} months: "
        f"{format_estimate(curve.rmst)}.",
        landmarks=landmarks,
        landmark_footnote=str(landmarks.attrs.get("footnote", "")),
        benchmark=tuple(_benchmark_part(j, sub, t, small) for j, sub, t in comparisons),
        standards=tables.standards_table(evaluate_standards(a, standards), suppress_small=small),
        complications=tables.complications_table(a, suppress_small=small),
        methods=methods_paragraph(a, suppress_small=small),
        definition=a.definition.describe(),
        software=f"outcomes {__version__} (method: {METHOD_NAMES.get(a.method, a.method)})",
        inputs=inputs,
    )


def _benchmark_part(
    joint: str, analysis: Analysis, comparison: pd.DataFrame, suppress_small: bool
) -> BenchmarkPart:
    """One joint's comparison as the notebook shows it: rows compared, the rest named."""
    from outcomes.benchmark import benchmark_sentences

    n = int(analysis.counts["procedures"])
    label = f"{joint} ({tables.count(n, suppress_small)} procedures)"
    shown = tables.benchmark_table(comparison)
    if shown.empty:
        return BenchmarkPart(joint, n, label, comparison, shown, "", ())
    compared = shown["this cohort (95% CI)"] != "-"
    rest = shown[~compared]
    not_compared = (
        "Not compared (another scale, measure or time point): "
        + "; ".join(
            f"{r} ({c.lower()})"
            for r, c in zip(rest["reference"], rest["comparability"], strict=True)
        )
        + "."
        if len(rest)
        else ""
    )
    sentences = tuple(benchmark_sentences(comparison, analysis))
    cohort_n = pd.to_numeric(comparison["cohort_n"], errors="coerce")
    if suppress_small and ((cohort_n > 0) & (cohort_n < 5)).any():
        sentences = ()  # they name the counts assessed
    return BenchmarkPart(
        joint,
        n,
        label,
        comparison,
        shown[compared].reset_index(drop=True),
        not_compared,
        sentences,
    )


# --------------------------------------------------------------------------- #
# key findings, with small counts hidden


def _small(n: float, suppress_small: bool) -> bool:
    return suppress_small and math.isfinite(n) and 0 < round(n) < 5


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], frame.to_dict("records"))


def _float(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def _findings_cells(
    table: pd.DataFrame, analysis: Analysis, suppress_small: bool
) -> list[tuple[str, str]]:
    """Each key finding as (finding, value with 95% CI) for a slide."""
    cells = []
    for r in _records(table):
        key = r["key"]
        est, lo, hi = _float(r["estimate"]), _float(r["lower"]), _float(r["upper"])
        n = _float(r["n"])
        hidden = hides_small_count(r, suppress_small)
        if key == "cohort":
            value = (
                f"{tables.count(round(est), suppress_small)} "
                f"({tables.count(round(n), suppress_small)} patients)"
            )
            finding = "Procedures"
        elif hidden:
            value = "not shown (counts under 5)"
            finding = str(r["finding"])
        elif key == "median_months":
            value = format_estimate(Estimate(est, lo, hi, str(r["note"]))).replace("95% CI ", "")
            finding = str(r["finding"])
        elif key == "standards":
            value = f"{round(est)} of {round(n)}"
            finding = str(r["finding"])
        elif key == "completer_24m":
            ref = tables.percent_ci(
                _float(r["reference"]), _float(r["reference_lower"]), _float(r["reference_upper"])
            )
            value = f"{tables.percent_ci(est, lo, hi)}; literature {ref}"
            finding = str(r["finding"])
        else:
            digits = 1 if key == "serious_complications" else 0
            value = tables.percent_ci(est, lo, hi, digits) if math.isfinite(est) else "-"
            if not math.isfinite(est) and r["note"]:
                value = str(r["note"])
            finding = str(r["finding"])
        cells.append((finding, value))
    return cells


# --------------------------------------------------------------------------- #
# figures


def draw(
    contents: AuditContents, name: str, style: str, part: BenchmarkPart | None = None
) -> Figure:
    """One of :data:`FIGURES`, drawn by :mod:`outcomes.plots` in ``style``
    (``"benchmark"``: that of ``part``)."""
    from outcomes import plots

    a, small = contents.analysis, contents.suppress_small
    if name == "relief_curves":
        # compact on a slide: the curve keeps the room
        return plots.relief_curves(
            a,
            style=style,
            risk_table="compact" if style == "lecture" else "full",
            suppress_small=small,
        )
    if name == "pain_trajectory":
        return plots.pain_trajectory(a.trajectory(), style=style, suppress_small=small)
    if name == "improvement_3_months":
        return plots.improvement_waterfall(a.improvement_at(3.0), style=style)
    if name == "benchmark":
        if part is None:
            raise ValueError("the benchmark figure is drawn per joint: pass part=")
        return plots.benchmark(part.comparison, style=style)
    if name == "complications":
        return plots.complications(
            a.complications(), style=style, target=0.02, suppress_small=small
        )
    if name == "events_after_procedure":
        return plots.cumulative_incidence(a.competing_curves(), style=style)
    raise KeyError(f"unknown figure {name!r}; one of {', '.join(FIGURES)}")


def png(fig: Figure, dpi: int) -> bytes:
    """The figure as PNG bytes on white at ``dpi`` dots per inch."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()


def require_office(formats: Sequence[str]) -> None:
    """Check that the packages for these formats (``"docx"``, ``"pptx"``) are installed.

    Raises
    ------
    OptionError
        Naming the missing packages and the extra that installs them.
    """
    import importlib.util

    missing = [
        OFFICE_PACKAGES[f][1]
        for f in formats
        if f in OFFICE_PACKAGES and importlib.util.find_spec(OFFICE_PACKAGES[f][0]) is None
    ]
    if missing:
        raise OptionError(
            f"--format {','.join(formats)} needs {' and '.join(missing)}: "
            "pip install 'outcomes[office]'"
        )
