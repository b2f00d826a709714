"""The figure pack: every figure of an analysis in one style, with their captions.

``write_figures`` writes the files (lecture: 1920 x 1080 PNG; journal: PDF and
SVG) and ``captions.md`` beside them, one caption per figure that says what
is drawn and cites the published figures, for a speaker to paste under a
slide. The literature figures are per joint (each joint against its own
references, :func:`outcomes.benchmark.compare_joints`):

- ``benchmark_<joint>``: forest plot, every comparable published figure;
- ``headline_<joint>``: this clinic against the pooled literature at 6, 12
  and 24 months, like with like (:func:`outcomes.plots.headline`);
- ``relief_vs_literature_<joint>``: the joint's relief curve with the pooled
  published responder rates marked on it.

A cohort of one joint without a joint column gets the names without suffix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from outcomes.errors import OptionError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from outcomes.analysis import Analysis

__all__ = ["FigureSpec", "figure_specs", "write_figures"]

RiskTable = Literal["full", "compact", "none"]


@dataclass(frozen=True)
class FigureSpec:
    """One figure of the pack: file stem, caption, and how to draw it in a style."""

    name: str
    caption: str
    draw: Callable[[str], Figure]


def _sources(rows: pd.DataFrame) -> str:
    """'Kanjanapanang et al. 2025, Pain Medicine; ...', each citation once."""
    return "; ".join(dict.fromkeys(str(c) for c in rows["citation"] if str(c)))


def _literature_specs(
    joint: str, part: Analysis, table: pd.DataFrame, risk_table: RiskTable, small: bool
) -> list[FigureSpec]:
    import numpy as np

    from outcomes import plots

    if table.empty:
        return []
    suffix = "" if joint == "all" else f"_{joint}"
    who = "" if joint == "all" else f"{joint} "
    drawn = table[  # the rows plots.benchmark draws (percent measures, both numbers)
        table["measure"].isin(("responder_rate", "relief_probability"))
        & np.isfinite(table["reference_value"].astype(float))
        & np.isfinite(table["cohort_value"].astype(float))
    ]
    if drawn.empty:
        return []
    specs = [
        FigureSpec(
            f"benchmark{suffix}",
            f"This {who}cohort beside each comparable published figure, grouped by time "
            "point"
            + (", the pooled figure last" if drawn["pooled"].astype(bool).any() else "")
            + " (95% CIs). Sources: "
            + _sources(drawn)
            + ".",
            lambda st: plots.benchmark(table, style=st),
        )
    ]
    timed = np.isfinite(table["months"].astype(float))
    pooled = table[table["pooled"].astype(bool) & timed & (table["measure"] == "responder_rate")]
    if pooled.empty:
        return specs
    months = ", ".join(f"{m:g}" for m in sorted(pooled["months"].unique()))
    title = f"Relief after {who}denervation: this clinic and the literature"
    specs.append(
        FigureSpec(
            f"headline{suffix}",
            f"Responders at {months} months among the {who}procedures assessed then, this "
            "clinic (blue) against the pooled literature (black), like with like; hollow: "
            "the clinic's estimated share of initial responders still in relief, which also "
            "counts those who stopped attending (the gap is the completer effect). 95% CIs. "
            "Source: " + _sources(pooled) + ".",
            lambda st: plots.headline(table, style=st, title=title),
        )
    )
    specs.append(
        FigureSpec(
            f"relief_vs_literature{suffix}",
            f"Share of initial {who}responders still in relief (smooth estimate, 95% CI "
            "shaded; thin steps and boxes: the Turnbull NPMLE). Grey diamonds: published "
            f"responder rates at {months} months among patients assessed then (pooled). "
            "Source: " + _sources(pooled) + ".",
            lambda st: plots.relief_curves(
                part, style=st, references=pooled, risk_table=risk_table, suppress_small=small
            ),
        )
    )
    return specs


def figure_specs(
    analysis: Analysis,
    *,
    comparisons: Sequence[tuple[str, Analysis, pd.DataFrame]] | None = None,
    risk_table: RiskTable = "full",
    suppress_small: bool = False,
) -> list[FigureSpec]:
    """The figures of the pack, in order (nothing drawn yet).

    ``comparisons``: :func:`outcomes.benchmark.compare_joints` of the
    analysis (None: made with the shipped references; ``[]``: no literature
    figures).
    """
    from outcomes import benchmark, plots

    a, small = analysis, suppress_small
    specs = [
        FigureSpec(
            "relief_curves",
            "Share of initial responders still in relief, by months since the procedure "
            "(smooth estimate, 95% CI shaded; thin steps and boxes: the Turnbull NPMLE), with "
            + (
                "the procedures at risk under it."
                if risk_table == "compact"
                else "the procedures at risk, seen to lose relief and censored under it."
                if risk_table == "full"
                else "no risk table."
            ),
            lambda st: plots.relief_curves(
                a, style=st, risk_table=risk_table, suppress_small=small
            ),
        ),
        FigureSpec(
            "pain_trajectory",
            "Pain score at each visit (median and IQR); n assessed below the axis.",
            lambda st: plots.pain_trajectory(a.trajectory(), style=st, suppress_small=small),
        ),
        FigureSpec(
            "improvement_3_months",
            "Improvement from baseline at 3 months, one bar per procedure; dashed: the "
            "responder threshold.",
            lambda st: plots.improvement_waterfall(a.improvement_at(3.0), style=st),
        ),
        FigureSpec(
            "events_after_procedure",
            "Cumulative incidence of a repeat procedure, surgery and death, whichever came "
            "first (Aalen-Johansen, competing events), among all procedures.",
            lambda st: plots.cumulative_incidence(a.competing_curves(), style=st),
        ),
        FigureSpec(
            "complications",
            "Complications, % of procedures with exact 95% CIs; dashed: the 2% target.",
            lambda st: plots.complications(
                a.complications(), style=st, target=0.02, suppress_small=small
            ),
        ),
    ]
    if comparisons is None:
        comparisons = benchmark.compare_joints(a)
    for joint, part, table in comparisons:
        specs += _literature_specs(joint, part, table, risk_table, small)
    regression = a.regression
    if regression is not None:
        specs.append(
            FigureSpec(
                "time_ratios",
                "Time ratios of the accelerated failure time model (95% CIs): above 1, "
                "relief lasts longer.",
                lambda st: plots.regression_forest(regression, style=st),
            )
        )
    return specs


def write_figures(
    analysis: Analysis,
    out: str | Path,
    *,
    style: str = "lecture",
    comparisons: Sequence[tuple[str, Analysis, pd.DataFrame]] | None = None,
    risk_table: RiskTable | None = None,
    suppress_small: bool = False,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write the figure pack and ``captions.md`` into ``out``; return the files written.

    Parameters
    ----------
    style : {"lecture", "journal"}
        Lecture: 1920 x 1080 PNG; journal: PDF and SVG.
    comparisons : list of (joint, Analysis, DataFrame), optional
        :func:`outcomes.benchmark.compare_joints` of the analysis (None: made
        with the shipped references; ``[]``: no literature figures).
    risk_table : {"full", "compact", "none"}, optional
        Under the relief curves; None: compact (at risk only) for lecture,
        full for journal.
    suppress_small : bool
        Counts of 1-4 shown as "<5".
    """
    from outcomes import plots

    if risk_table is None:
        risk_table = "compact" if style == "lecture" else "full"
    if risk_table not in ("full", "compact", "none"):
        raise OptionError(f"risk_table must be 'full', 'compact' or 'none', not {risk_table!r}")
    out = Path(out)
    written: list[Path] = []
    lines = ["# Figure captions", ""]
    for spec in figure_specs(
        analysis, comparisons=comparisons, risk_table=risk_table, suppress_small=suppress_small
    ):
        fig = spec.draw(style)
        files = plots.save(fig, out / spec.name, style)
        written += files
        lines += [f"**{', '.join(p.name for p in files)}**: {spec.caption}", ""]
        if progress is not None:
            progress(f"  {spec.name}")
    captions = out / "captions.md"
    captions.write_text("\n".join(lines), encoding="utf-8")
    return [*written, captions]
