"""Figure styles shared by the figure modules: journal and lecture, sizes, saving.

Two styles: ``"journal"`` (85 or 175 mm wide, 7-9 pt text; saved as vector
PDF and SVG) and ``"lecture"`` (1920 x 1080 px PNG, large text, thick lines).
Colours are the Okabe-Ito colour-blind-safe palette.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, cast

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from outcomes.errors import OptionError

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
