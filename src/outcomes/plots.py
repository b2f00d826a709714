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

import math
from typing import TYPE_CHECKING, Literal

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from outcomes._benchfigs import _reference_points, benchmark, headline
from outcomes._figstyle import (
    GREY,
    MM_PER_INCH,
    MONTHS_LABEL,
    OKABE_ITO,
    STYLES,
    _canvas,
    _check_style,
    _colour,
    _count,
    _figure,
    _months_axis,
    _rc,
    save,
    style,
)
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
    "funnel",
    "headline",
    "improvement_waterfall",
    "pain_trajectory",
    "regression_forest",
    "relief_curves",
    "save",
    "style",
]

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


def relief_curves(
    analysis: Analysis,
    *,
    ax: Axes | None = None,
    style: str = "journal",
    references: pd.DataFrame | None = None,
    risk_table: bool | Literal["full", "compact", "none"] = True,
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
        ``reference_value``, CI), labelled by ``reference_label``.
    risk_table : bool or {"full", "compact", "none"}
        The table under the curves: at risk, lost and censored ("full",
        True), at risk only ("compact", for slides), or none.
    until_months : float
        Right end of the x axis, months.
    suppress_small : bool
        Show risk-table counts of 1-4 as "<5".
    """
    name = _check_style(style)
    mode = risk_table if isinstance(risk_table, str) else ("full" if risk_table else "none")
    if mode not in ("full", "compact", "none"):
        raise OptionError(f"risk_table must be 'full', 'compact' or 'none', not {risk_table!r}")
    risk_table = mode != "none"
    ticks = [t for t in (0, 3, 6, 12, 18, 24, 30, 36) if t <= until_months]
    curves = analysis.curves()
    with _rc(name):
        if ax is None:
            rows = (3 if mode == "full" else 1) * len(curves) + (len(curves) > 1)
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
                tab,
                analysis.risk_table(tuple(float(t) for t in ticks)),
                many,
                suppress_small,
                compact=mode == "compact",
            )
            tab.set_xlim(0, until_months)
    return fig


def _risk_table(
    ax: Axes, table: pd.DataFrame, many: bool, suppress_small: bool, *, compact: bool = False
) -> None:
    """Counts as text at the x ticks: rows At risk, Lost relief, Censored per group.

    ``compact``: the At risk row only, one per group, named by the group.

    Row names are the y tick labels, so that the layout makes room for them.
    """
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.tick_params(left=False, bottom=False, labelbottom=False, pad=1.8 * mpl.rcParams["font.size"])
    groups = list(pd.unique(table["group"]))
    names: list[str] = []
    colours: list[str] = []
    rows_shown = (
        (("at_risk", "At risk"),)
        if compact
        else (("at_risk", "At risk"), ("lost", "Lost relief"), ("censored", "Censored"))
    )
    for i, g in enumerate(groups):
        if many and not compact:
            names.append(_label(g))
            colours.append(_colour(i))
        sub = table[table["group"] == g]
        for column, text in rows_shown:
            row = len(names)
            names.append(f"At risk, {_label(g)}" if compact and many else text)
            colours.append(_colour(i) if compact and many else "black")
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


def funnel(
    table: pd.DataFrame,
    *,
    ax: Axes | None = None,
    style: str = "journal",
) -> Figure:
    """Each site's responder rate against its number assessed, in the funnel of the pooled
    rate's 95% and 99.8% control limits (``Pooled.funnel()``), as national audits draw it.

    Dashed: the 95% limits; solid grey: the 99.8% limits; the line across: the
    pooled rate. Each site is a labelled point.
    """
    from outcomes.pooling import funnel_limits

    name = _check_style(style)
    with _rc(name):
        fig, ax = _canvas(ax, name, "single", 70)
        t = table[table["assessed"] > 0]
        target = float(table["pooled_rate"].iloc[0]) if len(table) else math.nan
        top = max(float(t["assessed"].max()) * 1.15, 10.0) if len(t) else 10.0
        n = np.arange(1.0, math.ceil(top) + 1.0)  # whole numbers assessed: binomial limits
        lim = funnel_limits(target, n)
        thin = 0.5 * mpl.rcParams["lines.linewidth"]
        for side in ("lower", "upper"):
            ax.plot(n, 100 * lim[f"{side}_95"], color=GREY, linestyle="--", linewidth=thin,
                    label="95% limits" if side == "lower" else None)  # fmt: skip
            ax.plot(n, 100 * lim[f"{side}_998"], color=GREY, linewidth=thin,
                    label="99.8% limits" if side == "lower" else None)  # fmt: skip
        ax.axhline(100 * target, color="black", linewidth=thin, label="Pooled rate")
        ax.plot(t["assessed"], 100 * t["rate"], "o", color=OKABE_ITO[0], label="Site")
        by_x = t.sort_values(["assessed", "rate"], kind="stable")
        for i, (x, y, site) in enumerate(
            zip(by_x["assessed"], by_x["rate"], by_x["site"], strict=True)
        ):
            up = i % 2 == 0  # alternate above and below along x: neighbours do not collide
            ax.annotate(str(site), (x, 100 * y), xytext=(6, 8 if up else -8),
                        textcoords="offset points", va="bottom" if up else "top")  # fmt: skip
        months = float(table["months"].iloc[0]) if len(table) else math.nan
        ax.set_xlim(0, top)
        ax.set_ylim(0, 100)
        ax.set_xlabel(f"Procedures assessed at {months:g} months")
        ax.set_ylabel("Responders, % of those assessed")
        ax.legend(
            loc="lower left", bbox_to_anchor=(0, 1), ncols=4 if name == "lecture" else 2,
            borderaxespad=0.2,
        )  # fmt: skip
    return fig
