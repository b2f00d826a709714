"""Figures that set the clinic beside the literature: the benchmark forest,
the headline figure (6, 12 and 24 months, like with like), and the published
points marked on a relief curve. Tables come from :mod:`outcomes.benchmark`.
"""

from __future__ import annotations

from typing import Literal

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from outcomes._figstyle import GREY, OKABE_ITO, _canvas, _check_style, _rc
from outcomes.errors import OptionError

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


def headline(
    table: pd.DataFrame,
    *,
    ax: Axes | None = None,
    style: str = "lecture",
    title: str | None = None,
    cohort: str = "This clinic",
) -> Figure:
    """This clinic against the pooled literature at 6, 12 and 24 months, like with like.

    ``table`` is :func:`outcomes.benchmark.compare` for one joint; its pooled
    responder rates with a time point are drawn (black diamonds) beside the
    clinic's responder rate among those assessed then (blue circles): the same
    measure. Hollow circles: the clinic's estimated share of initial
    responders still in relief then, which counts those who stopped coming
    too; the gap to the blue circles is the completer effect. Lines: 95% CIs.
    ``cohort`` names the clinic in the legend ("The pooled sites" for a pool).
    """
    name = _check_style(style)
    pooled = table["pooled"].astype(bool) if "pooled" in table else table["reference_id"] == ""
    t = table[
        pooled
        & (table["measure"] == "responder_rate")
        & np.isfinite(table["months"].astype(float))
        & np.isfinite(table["cohort_value"].astype(float))
    ].sort_values("months")
    with _rc(name):
        fig, ax = _canvas(ax, name, "single", 70)
        x = np.arange(len(t), dtype=float)
        series = (
            ("reference", "black", "D", -0.2, "Literature, pooled (of those assessed)", "full"),
            ("cohort", OKABE_ITO[0], "o", 0.0, f"{cohort} (of those assessed)", "full"),
            (
                "cohort_relief_probability",
                OKABE_ITO[1],
                "o",
                0.2,
                f"{cohort}, estimated still in relief",
                "none",
            ),
        )
        for col, colour, marker, dx, lab, fill in series:
            v = t[f"{col}_value" if col != "cohort_relief_probability" else col].to_numpy(float)
            lo = t[f"{col}_lower"].to_numpy(float)
            hi = t[f"{col}_upper"].to_numpy(float)
            err = np.clip(
                np.where(np.isfinite(lo) & np.isfinite(hi), [v - lo, hi - v], 0.0), 0.0, None
            )
            ax.errorbar(
                x + dx,
                100 * v,
                yerr=100 * err,
                fmt=marker,
                color=colour,
                ecolor=colour,
                capsize=3,
                fillstyle=fill,
                label=lab,
            )
        ax.set_xticks(x)
        ax.set_xticklabels([f"{m:g} months" for m in t["months"]])
        ax.set_xlim(-0.6, max(len(t), 1) - 0.4)
        ax.set_ylim(0, 100)
        ax.set_ylabel("Percent with relief (95% CI)")
        if len(t):
            # beside the axes on a slide, under them in a column; the title keeps the top
            if name == "lecture":
                ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), borderaxespad=0.0)
            else:
                ax.legend(loc="upper left", bbox_to_anchor=(0, -0.22), borderaxespad=0.0)
            source = str(t["reference_label"].iloc[0]) if "reference_label" in t else ""
            ax.annotate(
                f"Literature: {source}",
                (1, 0),
                xycoords="axes fraction",
                xytext=(0, -2.2 * mpl.rcParams["font.size"]),
                textcoords="offset points",
                ha="right",
                va="top",
                fontsize=0.7 * mpl.rcParams["font.size"],
                color=GREY,
            )
        else:
            ax.text(0.5, 0.5, "No pooled figure with a time point", transform=ax.transAxes,
                    ha="center", va="center", color=GREY)  # fmt: skip
        if title:
            ax.set_title(title, loc="left")
    return fig


def _reference_points(ax: Axes, refs: pd.DataFrame, until: float) -> None:
    """Published figures (0-1 scale, with months) as grey diamonds with CIs, labelled
    (one source: named once, in the legend)."""
    r = refs[np.isfinite(refs["months"].astype(float)) & np.isfinite(refs["reference_value"])]
    r = r[r["months"].astype(float) <= until]
    if "measure" in r:  # durations (months) are not points on a 0-1 curve
        r = r[r["measure"].isin(_PERCENT_MEASURES)]
    if r.empty:
        return
    x = r["months"].to_numpy(dtype=float)
    y = r["reference_value"].to_numpy(dtype=float)
    lo = r["reference_lower"].to_numpy(dtype=float)
    hi = r["reference_upper"].to_numpy(dtype=float)
    has = np.isfinite(lo) & np.isfinite(hi)
    err = np.where(has, [y - lo, hi - y], 0.0)
    names = [
        str(n) for n in (r["reference_label"] if "reference_label" in r else r["reference_id"])
    ]
    one = len(set(names)) == 1  # one source (the pooled figures): name it once, in the legend
    ax.errorbar(
        x,
        y,
        yerr=err,
        fmt="D",
        color=GREY,
        ecolor=GREY,
        capsize=2,
        label=f"{names[0]}:\nresponders of those assessed"
        if one
        else "Published responders (of those assessed)",
        zorder=5,
        clip_on=False,  # a point at the axis end stays whole
    )
    if one:
        return
    for i, (xi, yi, name) in enumerate(zip(x, y, names, strict=True)):
        right = xi > 0.75 * until  # label on the left near the right edge: stays inside
        ax.annotate(
            name,
            (xi, yi),
            xytext=(-5 if right else 5, 6 if i % 2 == 0 else -10),
            textcoords="offset points",
            ha="right" if right else "left",
            fontsize=0.8 * mpl.rcParams["font.size"],
            color=GREY,
        )
