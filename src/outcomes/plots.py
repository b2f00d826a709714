"""Figures: relief curves with a risk table, pain trajectories, waterfalls, forests.

This module draws and computes nothing: every number comes from an
:class:`~outcomes.analysis.Analysis` or a table made from one. Each function
takes the results and ``ax=None`` (draw into that Axes, or make a new
figure) and returns the matplotlib Figure.

Two styles: ``"journal"`` (85 or 175 mm wide, 7-9 pt text; save as vector
PDF and SVG) and ``"lecture"`` (1920 x 1080 px PNG, large text, thick lines).
Colours are the Okabe-Ito colour-blind-safe palette. New figures are
``matplotlib.figure.Figure`` objects, not pyplot figures: no backend or
global figure list is involved, so batch figure packs do not leak memory.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from outcomes.errors import OptionError
from outcomes.summary import label as _label

if TYPE_CHECKING:
    from outcomes.analysis import Analysis
    from outcomes.survival import ReliefCurve

__all__ = [
    "MONTHS_LABEL",
    "OKABE_ITO",
    "STYLES",
    "benchmark",
    "complications",
    "cumulative_incidence",
    "improvement_waterfall",
    "pain_trajectory",
    "regression_forest",
    "relief_curves",
    "save",
    "style",
]

Style = Literal["journal", "lecture"]

#: Okabe-Ito colours in the order groups get them (yellow left out: too pale on white).
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
GREY = "#7f7f7f"
MONTHS_LABEL = "Months since procedure"
MM_PER_INCH = 25.4

_BASE = {
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "font.family": "DejaVu Sans",
    "legend.frameon": False,
    "svg.fonttype": "none",  # text stays text in SVG
    "pdf.fonttype": 42,  # TrueType in PDF: editable in Illustrator
    "figure.constrained_layout.use": True,
}

#: rcParams of each style.
STYLES: dict[str, dict[str, Any]] = {
    "journal": {
        **_BASE,
        "figure.dpi": 150,
        "savefig.dpi": 300,
        "font.size": 8,
        "axes.titlesize": 9,
        "axes.labelsize": 8,
        "xtick.labelsize": 7,
        "ytick.labelsize": 7,
        "legend.fontsize": 7,
        "lines.linewidth": 1.2,
        "lines.markersize": 4,
        "axes.linewidth": 0.6,
        "xtick.major.width": 0.6,
        "ytick.major.width": 0.6,
    },
    "lecture": {
        **_BASE,
        "figure.dpi": 100,
        "savefig.dpi": 100,
        "font.size": 22,
        "axes.titlesize": 28,
        "axes.labelsize": 26,
        "xtick.labelsize": 22,
        "ytick.labelsize": 22,
        "legend.fontsize": 22,
        "lines.linewidth": 4,
        "lines.markersize": 12,
        "axes.linewidth": 2,
        "xtick.major.width": 2,
        "ytick.major.width": 2,
        "xtick.major.size": 8,
        "ytick.major.size": 8,
    },
}

#: Figure sizes, inches: journal single (85 mm) and double (175 mm) column; lecture 1920x1080.
_SIZES = {
    ("journal", "single"): (85 / MM_PER_INCH, 65 / MM_PER_INCH),
    ("journal", "double"): (175 / MM_PER_INCH, 110 / MM_PER_INCH),
    ("lecture", "single"): (19.2, 10.8),
    ("lecture", "double"): (19.2, 10.8),
}


def _check_style(name: str) -> Style:
    if name not in STYLES:
        raise OptionError(f"unknown style {name!r}; choose one of: {', '.join(STYLES)}")
    return name  # type: ignore[return-value]


@contextlib.contextmanager
def style(name: str) -> Iterator[None]:
    """Context in which figures are made in a style (``"journal"`` or ``"lecture"``)."""
    with _rc(_check_style(name)):
        yield


def _rc(name: str) -> contextlib.AbstractContextManager[None]:
    return mpl.rc_context(cast(Any, STYLES[name]))


def _figure(name: Style, width: str, height: float | None = None) -> Figure:
    """A new figure of the style's size; ``height`` (inches) overrides journal heights."""
    w, h = _SIZES[(name, width)]
    if height is not None and name == "journal":
        h = height
    fig = Figure(figsize=(w, h), dpi=STYLES[name]["figure.dpi"], layout="constrained")
    fig.set_label(f"outcomes:{name}")  # save() writes it in the style it was drawn in
    return fig


def _canvas(ax: Axes | None, name: Style, width: str, height_mm: float) -> tuple[Figure, Axes]:
    """The given Axes and its figure, or a new figure of the style's size with one Axes."""
    if ax is not None:
        return ax.get_figure(), ax  # type: ignore[return-value]
    fig = _figure(name, width, height=height_mm / MM_PER_INCH)
    return fig, fig.subplots()


def _colour(i: int) -> str:
    return OKABE_ITO[i % len(OKABE_ITO)]


def _count(n: int, suppress_small: bool) -> str:
    """A count as text; 1-4 as "<5" when ``suppress_small``."""
    return "<5" if suppress_small and 0 < n < 5 else f"{n:d}"


def _months_axis(ax: Axes, ticks: Sequence[float], until: float) -> None:
    ax.set_xticks(list(ticks))
    ax.set_xticklabels([f"{t:g}" for t in ticks])
    ax.set_xlim(0, until)
    ax.set_xlabel(MONTHS_LABEL)


# --------------------------------------------------------------------------- #
# relief curves


def _draw_curve(
    ax: Axes, curve: ReliefCurve, colour: str, label: str, band: bool, band_alpha: float
) -> None:
    t, s = curve.times, curve.survival
    if curve.step or len(curve.unidentified) == 0:
        if band:
            ax.fill_between(
                t,
                curve.lower,
                curve.upper,
                step="post" if curve.step else None,
                color=colour,
                alpha=band_alpha,
                linewidth=0,
            )
        ax.plot(
            t, s, drawstyle="steps-post" if curve.step else "default", color=colour, label=label
        )
        return
    # NPMLE: a thin line where it is identified (flat between Turnbull intervals,
    # and any drop at an exact time); a box over each Turnbull interval, spanning
    # the values the curve may take there, since the data cannot say when in it
    # relief was lost. Over it the smooth curve with its band, when there is one.
    smooth = curve.smooth
    breaks = np.flatnonzero((np.diff(t) > 0) & (np.diff(s) != 0)) + 1

    def broken(y: np.ndarray) -> np.ndarray:
        return np.insert(np.asarray(y, dtype=float), breaks, np.nan)

    if band and smooth is None:
        ax.fill_between(
            broken(t),
            broken(curve.lower),
            broken(curve.upper),
            color=colour,
            alpha=band_alpha,
            linewidth=0,
        )
    width = mpl.rcParams["lines.linewidth"] * (0.5 if smooth is not None else 1.0)
    ax.plot(
        broken(t),
        broken(s),
        color=colour,
        linewidth=width,
        alpha=0.8 if smooth is not None else 1.0,
        label=None if smooth is not None else label,
    )
    q, p = curve.unidentified[:, 0], curve.unidentified[:, 1]
    finite = np.isfinite(p)
    top, bottom = np.interp(q[finite], t, s), np.interp(p[finite], t, s)
    ax.bar(
        q[finite],
        top - bottom,
        width=p[finite] - q[finite],
        bottom=bottom,
        align="edge",
        color=colour,
        alpha=0.25,
        linewidth=0,
    )
    if smooth is not None:
        if band:
            ax.fill_between(
                smooth.times,
                smooth.lower,
                smooth.upper,
                color=colour,
                alpha=band_alpha,
                linewidth=0,
            )
        ax.plot(smooth.times, smooth.survival, color=colour, label=label)


def _reference_points(ax: Axes, refs: pd.DataFrame, until: float) -> None:
    """Published figures (0-1 scale, with months) as grey diamonds with CIs, labelled."""
    r = refs[np.isfinite(refs["months"].astype(float)) & np.isfinite(refs["reference_value"])]
    r = r[r["months"].astype(float) <= until]
    if r.empty:
        return
    x = r["months"].to_numpy(dtype=float)
    y = r["reference_value"].to_numpy(dtype=float)
    lo = r["reference_lower"].to_numpy(dtype=float)
    hi = r["reference_upper"].to_numpy(dtype=float)
    has = np.isfinite(lo) & np.isfinite(hi)
    err = np.where(has, [y - lo, hi - y], 0.0)
    ax.errorbar(
        x,
        y,
        yerr=err,
        fmt="D",
        color=GREY,
        ecolor=GREY,
        capsize=2,
        label="Published figures",
        zorder=5,
    )
    for i, (xi, yi, name) in enumerate(zip(x, y, r["reference_id"], strict=True)):
        right = xi > 0.75 * until  # label on the left near the right edge: stays inside
        ax.annotate(
            str(name),
            (xi, yi),
            xytext=(-5 if right else 5, 6 if i % 2 == 0 else -10),
            textcoords="offset points",
            ha="right" if right else "left",
            fontsize=0.8 * mpl.rcParams["font.size"],
            color=GREY,
        )


def relief_curves(
    analysis: Analysis,
    *,
    ax: Axes | None = None,
    style: str = "journal",
    references: pd.DataFrame | None = None,
    risk_table: bool = True,
    until_months: float = 24.0,
    band: bool = True,
    suppress_small: bool = False,
    title: str | None = None,
) -> Figure:
    """Probability that relief lasts beyond t, one curve per group, with a risk table.

    For the NPMLE: the smooth curve (which gives the median) with its 95%
    band, over the NPMLE itself as a thin line where it is identified and a
    light box over each Turnbull interval, where the data cannot say when
    relief was lost (the box spans the values the curve may take there).
    Under it, a KMunicate-style table (Morris et al., BMJ Open 2019): at
    risk, lost and censored per group at the x ticks
    (:meth:`Analysis.risk_table`).

    Parameters
    ----------
    analysis : Analysis
    ax : Axes, optional
        Draw the curves here; the risk table then goes in an inset below it.
    references : DataFrame, optional
        Rows of :func:`outcomes.benchmark.compare` to overlay (``months``,
        ``reference_value``, CI), labelled by ``reference_id``.
    until_months : float
        Right end of the x axis, months.
    suppress_small : bool
        Show risk-table counts of 1-4 as "<5".
    """
    name = _check_style(style)
    ticks = [t for t in (0, 3, 6, 12, 18, 24, 30, 36) if t <= until_months]
    curves = analysis.curves()
    with _rc(name):
        if ax is None:
            rows = 3 * len(curves) + (len(curves) > 1)
            fig = _figure(name, "double", height=(70 + 4.2 * rows) / MM_PER_INCH)
            if risk_table:
                ratio = 0.06 * rows if name == "journal" else 0.075 * rows
                ax, tab = fig.subplots(2, 1, height_ratios=[1, ratio], sharex=True)
            else:
                ax, tab = fig.subplots(1, 1), None
        else:
            fig = ax.get_figure()  # type: ignore[assignment]
            tab = ax.inset_axes((0, -0.55, 1, 0.35), sharex=ax) if risk_table else None
        many = len(curves) > 1
        for i, (group, curve) in enumerate(curves):
            label = f"{_label(group)} (n = {_count(curve.n, suppress_small)})"
            _draw_curve(
                ax, curve, _colour(i) if many else OKABE_ITO[0], label, band, 0.1 if many else 0.2
            )
        if references is not None:
            _reference_points(ax, references, until_months)
        ax.set_ylim(0, 1.02)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1])
        ax.set_yticklabels(["0%", "25%", "50%", "75%", "100%"])
        ax.set_ylabel("Still in relief")
        _months_axis(ax, ticks, until_months)
        if many or references is not None:
            ax.legend(loc="upper right")
        if title:
            ax.set_title(title, loc="left")
        if tab is not None:
            ax.tick_params(labelbottom=True)
            ax.set_xlabel(MONTHS_LABEL)
            _risk_table(
                tab, analysis.risk_table(tuple(float(t) for t in ticks)), many, suppress_small
            )
            tab.set_xlim(0, until_months)
    return fig


def _risk_table(ax: Axes, table: pd.DataFrame, many: bool, suppress_small: bool) -> None:
    """Counts as text at the x ticks: rows At risk, Lost relief, Censored per group.

    Row names are the y tick labels, so that the layout makes room for them.
    """
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.tick_params(left=False, bottom=False, labelbottom=False, pad=1.8 * mpl.rcParams["font.size"])
    groups = list(pd.unique(table["group"]))
    names: list[str] = []
    colours: list[str] = []
    for i, g in enumerate(groups):
        if many:
            names.append(_label(g))
            colours.append(_colour(i))
        sub = table[table["group"] == g]
        for column, text in (
            ("at_risk", "At risk"),
            ("lost", "Lost relief"),
            ("censored", "Censored"),
        ):
            row = len(names)
            names.append(text)
            colours.append("black")
            for t, v in zip(sub["months"], sub[column], strict=True):
                ax.text(
                    float(t),
                    row,
                    _count(int(v), suppress_small),
                    ha="center",
                    va="center",
                    gid=f"risk:{g}:{column}:{float(t):g}",
                )
    ax.set_ylim(len(names) - 0.5, -0.5)
    ax.set_yticks(np.arange(len(names)))
    ax.set_yticklabels(names)
    for label, colour in zip(ax.get_yticklabels(), colours, strict=True):
        label.set_color(colour)
        if colour != "black":
            label.set_fontweight("bold")


# --------------------------------------------------------------------------- #
# pain scores and improvement


def pain_trajectory(
    trajectory: pd.DataFrame,
    *,
    ax: Axes | None = None,
    style: str = "journal",
    statistic: Literal["median", "mean"] = "median",
    suppress_small: bool = False,
) -> Figure:
    """Pain score at each visit per group: median and IQR (or mean and 95% CI), n below.

    ``trajectory`` is :meth:`Analysis.trajectory` (``group``, ``months``,
    ``n``, ``median``, ``q1``, ``q3``, ``mean``, ``lower``, ``upper``).
    Visits are evenly spaced and labelled by their month (0 is baseline).
    """
    name = _check_style(style)
    if statistic not in ("median", "mean"):
        raise OptionError(f"statistic must be 'median' or 'mean', not {statistic!r}")
    visits = np.sort(trajectory["months"].astype(float).unique())
    groups = list(pd.unique(trajectory["group"]))
    with _rc(name):
        fig, ax = _canvas(ax, name, "double", 75 + 5 * len(groups))
        width = 0.5
        offsets = (np.arange(len(groups)) - (len(groups) - 1) / 2) * width / max(len(groups), 1)
        for i, g in enumerate(groups):
            sub = trajectory[trajectory["group"] == g].set_index("months").reindex(visits)
            x = np.arange(len(visits)) + offsets[i]
            mid = sub[statistic].to_numpy(dtype=float)
            lo, hi = (
                (sub["q1"], sub["q3"]) if statistic == "median" else (sub["lower"], sub["upper"])
            )
            err = np.vstack([mid - lo.to_numpy(dtype=float), hi.to_numpy(dtype=float) - mid])
            ax.errorbar(
                x,
                mid,
                yerr=err,
                fmt="-o",
                color=_colour(i),
                capsize=3,
                label=_label(g) if len(groups) > 1 else None,
            )
            counts = sub["n"].fillna(0).astype(int)
            for xi, (visit, ni) in enumerate(zip(visits, counts, strict=True)):
                ax.annotate(
                    _count(int(ni), suppress_small),
                    (xi, 0),
                    xycoords=("data", "axes fraction"),
                    xytext=(
                        0,
                        -2.6 * mpl.rcParams["xtick.labelsize"]
                        - 1.3 * i * mpl.rcParams["font.size"],
                    ),
                    textcoords="offset points",
                    ha="center",
                    va="top",
                    color=_colour(i),
                    fontsize=0.85 * mpl.rcParams["font.size"],
                    gid=f"n:{g}:{visit:g}",
                )
        ax.set_xticks(np.arange(len(visits)))
        ax.set_xticklabels(["Baseline" if v == 0 else f"{v:g}" for v in visits])
        ax.set_xlabel(
            MONTHS_LABEL + " (n assessed below)",
            labelpad=(len(groups) + 1) * 1.3 * mpl.rcParams["font.size"],
        )
        instrument = str(trajectory.attrs.get("instrument", "score"))
        what = "median and IQR" if statistic == "median" else "mean and 95% CI"
        ax.set_ylabel(f"{_label(instrument)} pain score ({what})")
        ax.set_ylim(bottom=0)
        if len(groups) > 1:
            ax.legend(loc="upper right", ncols=min(len(groups), 4))
    return fig


def improvement_waterfall(
    improvement: pd.DataFrame,
    *,
    ax: Axes | None = None,
    style: str = "journal",
) -> Figure:
    """Improvement from baseline per procedure at a visit, sorted, with the threshold.

    ``improvement`` is :meth:`Analysis.improvement_at` (``percent``, ``relief``,
    attrs ``months`` and ``threshold``). One bar per procedure (drawn as two
    filled step outlines, so that 10^5 procedures take a second), coloured
    by relief; the responder threshold is a dashed line.
    """
    name = _check_style(style)
    pct = improvement["percent"].to_numpy(dtype=float)
    relief = improvement["relief"].to_numpy(dtype=bool)
    months = improvement.attrs.get("months")
    threshold = improvement.attrs.get("threshold")
    with _rc(name):
        fig, ax = _canvas(ax, name, "double", 70)
        # one filled step outline per colour, not one bar per procedure: fast at 10^5
        edges = np.arange(pct.size + 1) - 0.5
        for mask, colour, label in (
            (relief, OKABE_ITO[0], "Relief"),
            (~relief, OKABE_ITO[1], "No relief"),
        ):
            height = np.where(mask, pct, 0.0)
            ax.fill_between(
                edges,
                0,
                np.r_[height, height[-1:]],
                step="post",
                color=colour,
                linewidth=0,
                label=label,
            )
        if threshold is not None:
            ax.axhline(
                float(threshold),
                color="black",
                linestyle="--",
                linewidth=0.6 * mpl.rcParams["lines.linewidth"],
            )
            ax.annotate(
                f"{float(threshold):g}% threshold",
                (1, float(threshold)),
                xycoords=("axes fraction", "data"),
                xytext=(0, 3),
                textcoords="offset points",
                ha="right",
                va="bottom",
            )
        ax.axhline(0, color="black", linewidth=0.5 * mpl.rcParams["lines.linewidth"])
        ax.set_xlim(-0.5, max(pct.size, 1) - 0.5)
        ax.set_xticks([])
        when = f" at {months:g} months" if months is not None else ""
        ax.set_xlabel(f"Procedures assessed{when} (n = {pct.size}), sorted")
        ax.set_ylabel("Improvement from baseline (%)")
        ax.set_ylim(min(-100.0, float(np.nanmin(pct, initial=0)) - 5), 105)
        ax.legend(loc="lower left")
    return fig


# --------------------------------------------------------------------------- #
# forest-style plots


_PERCENT_MEASURES = ("responder_rate", "relief_probability")
_MONTH_MEASURES = ("mean_duration_months", "median_duration_months")


def benchmark(
    table: pd.DataFrame,
    *,
    ax: Axes | None = None,
    style: str = "journal",
    measure: Literal["percent", "months"] = "percent",
) -> Figure:
    """Cohort beside published figures, one row per reference (forest style).

    ``table`` is :func:`outcomes.benchmark.compare`. ``measure="percent"``
    shows responder rates and relief probabilities; ``"months"`` shows
    durations. Rows without both numbers (other scales, out of reach) are
    left out. Published: grey squares; cohort: blue circles; lines are 95% CIs.
    """
    name = _check_style(style)
    kinds = _PERCENT_MEASURES if measure == "percent" else _MONTH_MEASURES
    if measure not in ("percent", "months"):
        raise OptionError(f"measure must be 'percent' or 'months', not {measure!r}")
    scale = 100.0 if measure == "percent" else 1.0
    t = table[table["measure"].isin(kinds)]
    t = t[
        np.isfinite(t["reference_value"].astype(float))
        & np.isfinite(t["cohort_value"].astype(float))
    ]
    # grouped by time point, each group's pooled figure last and set apart
    pooled = t["pooled"].astype(bool) if "pooled" in t else pd.Series(False, index=t.index)
    t = t.assign(_pooled=pooled).sort_values(["months", "_pooled"], kind="stable")
    months = t["months"].to_numpy(dtype=float)
    new_group = np.r_[True, months[1:] != months[:-1]] if len(t) else np.array([], dtype=bool)
    # y from the top: a header line per group, a row per reference, a gap between groups
    step = np.where(new_group, 2.0, 1.0) + np.r_[0.0, new_group[1:] * 0.5]
    y = -np.cumsum(step)
    headers = y[new_group] + 1.0
    with _rc(name):
        fig, ax = _canvas(ax, name, "double", 25 + 6 * max(len(t) + int(new_group.sum()), 1))
        is_pooled = t["_pooled"].to_numpy(dtype=bool)
        for (col, lo, hi), colour, marker, dy, lab, rows in (
            (
                ("reference_value", "reference_lower", "reference_upper"),
                GREY,
                "s",
                0.15,
                "Published",
                ~is_pooled,
            ),
            (
                ("reference_value", "reference_lower", "reference_upper"),
                "black",
                "D",
                0.15,
                "Published, pooled",
                is_pooled,
            ),
            (
                ("cohort_value", "cohort_lower", "cohort_upper"),
                OKABE_ITO[0],
                "o",
                -0.15,
                "This cohort",
                np.ones(len(t), dtype=bool),
            ),
        ):
            if not rows.any():
                continue
            v = t[col].to_numpy(dtype=float)[rows] * scale
            low = t[lo].to_numpy(dtype=float)[rows] * scale
            high = t[hi].to_numpy(dtype=float)[rows] * scale
            err = np.where(np.isfinite(low) & np.isfinite(high), [v - low, high - v], 0.0)
            err = np.clip(err, 0.0, None)  # a value at its limit, up to rounding
            ax.errorbar(
                v,
                y[rows] + dy,
                xerr=err,
                fmt=marker,
                color=colour,
                ecolor=colour,
                capsize=2,
                label=lab,
            )
        labels = [str(x) for x in t.get("reference_label", t["reference_id"])]
        group_names = [f"{m:g} months" for m in months[new_group]]
        ax.set_yticks(np.r_[y, headers])
        ax.set_yticklabels([*labels, *group_names])
        for tick in ax.get_yticklabels()[len(labels) :]:
            tick.set_fontweight("bold")
        for tick, p in zip(ax.get_yticklabels()[: len(labels)], is_pooled, strict=True):
            if p:
                tick.set_fontstyle("italic")
        ax.tick_params(axis="y", length=0)
        ax.set_ylim((y.min() if len(y) else -1.0) - 0.7, 0.3)
        if measure == "percent":
            ax.set_xlim(0, 100)
            ax.set_xlabel("Percent with relief (95% CI)")
        else:
            ax.set_xlim(left=0)
            ax.set_xlabel("Duration of relief, months (95% CI)")
        if len(t):
            ax.legend(loc="lower left", bbox_to_anchor=(0, 1), ncols=2, borderaxespad=0.2)
        else:
            ax.text(
                0.5,
                0.5,
                "No published figure comparable on this scale",
                transform=ax.transAxes,
                ha="center",
                va="center",
                color=GREY,
            )
    return fig


def regression_forest(
    regression: pd.DataFrame,
    *,
    ax: Axes | None = None,
    style: str = "journal",
) -> Figure:
    """Time ratios with 95% CIs on a log scale (from ``Analysis.regression``).

    A time ratio above 1 means longer relief than the reference level.
    """
    name = _check_style(style)
    with _rc(name):
        fig, ax = _canvas(ax, name, "double", 25 + 7 * max(len(regression), 1))
        y = np.arange(len(regression))[::-1]
        tr = regression["time_ratio"].to_numpy(dtype=float)
        lo = regression["lower"].to_numpy(dtype=float)
        hi = regression["upper"].to_numpy(dtype=float)
        ax.errorbar(tr, y, xerr=[tr - lo, hi - tr], fmt="s", color=OKABE_ITO[0], capsize=2)
        ax.axvline(1.0, color=GREY, linestyle="--", linewidth=0.6 * mpl.rcParams["lines.linewidth"])
        ax.set_xscale("log")
        lo_x = min(float(np.nanmin(lo, initial=1.0)), 0.9)
        hi_x = max(float(np.nanmax(hi, initial=1.0)), 1.1)
        ticks = [v for v in (0.125, 0.25, 0.5, 1, 2, 4, 8) if lo_x / 1.5 <= v <= hi_x * 1.5]
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{v:g}" for v in ticks])
        ax.xaxis.set_minor_locator(mpl.ticker.NullLocator())
        ax.set_xlim(lo_x / 1.2, hi_x * 1.2)
        ax.set_yticks(y)
        ax.set_yticklabels([_label(str(t)).replace("=", ": ") for t in regression["term"]])
        ax.set_xlabel("Time ratio (95% CI); above 1: longer relief")
        refs = dict(regression.attrs.get("reference_levels", {}))
        if refs:
            ax.set_title(
                "Compared with " + ", ".join(f"{k} {_label(str(v))}" for k, v in refs.items()),
                loc="left",
                fontsize=mpl.rcParams["font.size"],
            )
    return fig


def cumulative_incidence(
    curves: pd.DataFrame,
    *,
    ax: Axes | None = None,
    style: str = "journal",
    until_months: float = 24.0,
) -> Figure:
    """Cumulative incidence of competing events (step curves with 95% CI bands).

    ``curves`` is :meth:`Analysis.competing_curves` (``event``, ``months``,
    ``estimate``, ``lower``, ``upper``).
    """
    name = _check_style(style)
    with _rc(name):
        fig, ax = _canvas(ax, name, "single", 65)
        top = 0.0
        for i, (event, sub) in enumerate(curves.groupby("event", sort=False)):
            sub = sub[np.isfinite(sub["estimate"].astype(float))]
            x = np.r_[sub["months"].to_numpy(dtype=float), until_months]
            y = np.r_[sub["estimate"].to_numpy(dtype=float), sub["estimate"].iloc[-1]]
            lo = np.r_[sub["lower"].to_numpy(dtype=float), sub["lower"].iloc[-1]]
            hi = np.r_[sub["upper"].to_numpy(dtype=float), sub["upper"].iloc[-1]]
            ax.fill_between(
                x, 100 * lo, 100 * hi, step="post", color=_colour(i), alpha=0.15, linewidth=0
            )
            ax.step(x, 100 * y, where="post", color=_colour(i), label=_label(str(event)))
            top = max(top, float(np.nanmax(hi)))
        ax.set_ylim(0, max(5.0, 100 * top * 1.1))
        ax.set_ylabel("Cumulative incidence (%)")
        _months_axis(ax, [t for t in (0, 3, 6, 12, 18, 24) if t <= until_months], until_months)
        ax.legend(loc="upper left")
    return fig


def complications(
    rates: pd.DataFrame,
    *,
    ax: Axes | None = None,
    style: str = "journal",
    target: float | None = None,
    suppress_small: bool = False,
) -> Figure:
    """Complications by kind: percent of procedures with exact 95% CIs.

    ``rates`` is :meth:`Analysis.complications`; ``target`` (a proportion,
    e.g. 0.02) draws a dashed line; ``suppress_small`` shows counts of 1-4 as "<5".
    """
    name = _check_style(style)
    with _rc(name):
        fig, ax = _canvas(ax, name, "single", 20 + 6 * max(len(rates), 1))
        y = np.arange(len(rates))[::-1]
        v = 100 * rates["rate"].to_numpy(dtype=float)
        lo = 100 * rates["lower"].to_numpy(dtype=float)
        hi = 100 * rates["upper"].to_numpy(dtype=float)
        ax.errorbar(v, y, xerr=[v - lo, hi - v], fmt="o", color=OKABE_ITO[1], capsize=2)
        if target is not None:
            ax.axvline(
                100 * target,
                color=GREY,
                linestyle="--",
                linewidth=0.6 * mpl.rcParams["lines.linewidth"],
                label=f"Target {100 * target:g}%",
            )
        ax.set_yticks(y)
        ax.set_yticklabels(
            [
                f"{_label(str(k))} ({_count(int(n), suppress_small)}/{int(d)})"
                for k, n, d in zip(
                    rates["complication"], rates["procedures"], rates["of"], strict=True
                )
            ]
        )
        ax.set_xlim(left=0)
        ax.set_xlabel("% of procedures (exact 95% CI)")
        if target is not None:
            ax.legend(loc="best")
    return fig


# --------------------------------------------------------------------------- #
# saving


def save(fig: Figure, stem: str | Path, style: str | None = None) -> list[Path]:
    """Write a figure: journal style as PDF and SVG, lecture as a 1920x1080 PNG.

    ``stem`` is the path without extension; ``style`` defaults to the style
    the figure was drawn in (journal for figures drawn into your own Axes).
    Returns the files written.

    Raises
    ------
    OptionError
        ``style`` differs from the one the figure was drawn in (text sizes
        and line widths are set when drawing: draw it again in that style).
    """
    drawn = str(fig.get_label())
    drawn_style = drawn.split(":", 1)[1] if drawn.startswith("outcomes:") else None
    name = _check_style(style or drawn_style or "journal")
    if drawn_style is not None and name != drawn_style:
        raise OptionError(
            f"this figure was drawn in the {drawn_style} style; draw it with "
            f"style={name!r} to save it in the {name} style"
        )
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    if name == "lecture":
        fig.set_size_inches(19.2, 10.8)
        out = [stem.with_suffix(".png")]
        fig.savefig(out[0], dpi=100, facecolor="white")
        return out
    out = [stem.with_suffix(".pdf"), stem.with_suffix(".svg")]
    for path in out:
        fig.savefig(path, facecolor="white")
    return out
