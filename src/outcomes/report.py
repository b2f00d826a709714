"""Rendered reports and figure packs: the last step of the pipeline.

``render_report`` executes one of the parameterised notebooks in
``notebooks/`` with papermill and converts it to a self-contained HTML file
(code hidden, images embedded, no script loaded from the internet).
``write_figures`` (from :mod:`outcomes.figpack`) writes the figure pack of an
analysis in one style.

The notebooks are found beside the package in a source checkout (the
editable install that ``make`` creates), or in ``OUTCOMES_NOTEBOOKS``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from outcomes.errors import MissingFileError, OptionError, OutcomesError
from outcomes.figpack import write_figures

if TYPE_CHECKING:
    import pandas as pd


__all__ = [
    "TEMPLATES",
    "notebook_path",
    "render_report",
    "sample_files",
    "show_figure",
    "show_table",
    "write_figures",
]

#: Report templates: name -> notebook file.
TEMPLATES = {
    "audit": "audit_report.ipynb",
    "research": "research_report.ipynb",
    "lecture": "lecture_figures.ipynb",
    "pooled": "pooled_report.ipynb",
}

_CHECKOUT = Path(__file__).resolve().parents[2]
_HTML_TEMPLATES = Path(__file__).resolve().parent / "templates"


def notebook_path(template: str) -> Path:
    """The notebook behind a template (``"audit"``, ``"research"`` or ``"lecture"``)."""
    if template not in TEMPLATES:
        raise OptionError(f"unknown template {template!r}; choose one of: {', '.join(TEMPLATES)}")
    folder = Path(os.environ.get("OUTCOMES_NOTEBOOKS", _CHECKOUT / "notebooks"))
    path = folder / TEMPLATES[template]
    if not path.is_file():
        raise MissingFileError(
            f"{path}: report notebook not found; run from a source checkout of outcomes "
            "(pip install -e .) or set OUTCOMES_NOTEBOOKS to the folder holding the notebooks"
        )
    return path


def sample_files(folder: str | Path | None = None) -> tuple[Path, Path]:
    """The bundled synthetic sample (follow-up CSV, events CSV).

    From ``data/sample/`` of a source checkout; elsewhere a fresh copy is
    written (same seed, same data) into ``folder`` or a temporary folder.
    """
    bundled = _CHECKOUT / "data" / "sample"
    followup, events = bundled / "followup_long.csv", bundled / "events.csv"
    if followup.is_file() and events.is_file():
        return followup, events
    from outcomes.datasets import write_sample

    out = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="outcomes-"))
    written = write_sample(out)
    by_name = {p.name: p for p in written}
    return by_name["followup_long.csv"], by_name["events.csv"]


def _export_html(executed: Any, title: str) -> str:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        extra_template_basedirs=[str(_HTML_TEMPLATES)],
        template_name="outcomes",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        anchor_link_text="",
    )
    executed.metadata["title"] = title
    body, _ = exporter.from_notebook_node(executed)
    return str(body)


def render_report(
    data: str | Path | None = None,
    *,
    events: str | Path | None = None,
    mapping: str | Path | None = None,
    template: str = "audit",
    out: str | Path = "reports",
    parameters: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = print,
) -> Path:
    """Execute a report notebook on a data file and write it as one HTML file.

    Parameters
    ----------
    data : path, optional
        Follow-up file; None: the bundled synthetic sample (with its events).
    template : {"audit", "research", "lecture", "pooled"}
    out : path
        Output folder: ``<template>_report.html`` (``lecture_figures.html``),
        the executed notebook beside it, and ``figures/``.
    parameters : dict, optional
        Further notebook parameters (title, clinic, period, by,
        percent_reduction, suppress_small, style, ...).

    Returns
    -------
    Path
        The HTML file.
    """
    try:
        import nbformat
        import papermill as pm
    except ImportError:
        raise OptionError(
            "rendered reports need papermill and nbconvert: pip install 'outcomes[report]'"
        ) from None

    say = progress or (lambda _msg: None)
    nb_in = notebook_path(template)
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    params: dict[str, Any] = {"output_dir": str(out), **(parameters or {})}
    if template != "pooled":  # the pooled report reads site summaries (summary_files)
        if data is None:
            data, sample_events = sample_files(out / "sample_data")
            events = events if events is not None else sample_events
        params = {
            "data_file": str(Path(data).resolve()),
            "events_file": str(Path(events).resolve()) if events is not None else None,
            "mapping_file": str(Path(mapping).resolve()) if mapping is not None else None,
            **params,
        }
    stem = nb_in.stem
    executed_path = out / f"{stem}.ipynb"
    on = Path(data).name if data is not None else "the site summaries"
    say(f"Running {nb_in.name} on {on} ...")
    try:
        pm.execute_notebook(
            str(nb_in),
            str(executed_path),
            parameters=params,
            cwd=str(out),
            progress_bar=progress is not None and sys.stderr.isatty(),
            log_output=False,
            # no TCP transport warning, nor the KeyboardInterrupt the kernel logs when shut down
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
    except pm.PapermillExecutionError as exc:
        # the failed notebook holds a traceback: out of the output folder, which is shared
        kept = Path(tempfile.mkdtemp(prefix="outcomes-failed-")) / executed_path.name
        if executed_path.exists():
            shutil.move(executed_path, kept)
        raise OutcomesError(
            f"the {template} report failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}; "
            f"please report it (the executed notebook, with the traceback, is {kept}; it "
            "holds the data's tables, so share it only inside the clinic)"
        ) from None
    say("Writing HTML ...")
    nb = nbformat.read(executed_path, as_version=4)
    html = _export_html(nb, str(params.get("title") or stem.replace("_", " ").title()))
    html_path = out / f"{stem}.html"
    html_path.write_text(html, encoding="utf-8")
    return html_path


def show_table(table: pd.DataFrame, *, index: bool = False) -> None:
    """Display a table in a notebook as plain HTML (text escaped)."""
    from IPython.display import HTML, display

    display(HTML(table.to_html(index=index, escape=True, border=0, na_rep="-")))


def show_figure(fig: Any, stem: str | Path | None = None) -> None:
    """Display a figure in a notebook and, given ``stem``, save it (see :func:`plots.save`)."""
    from IPython.display import display

    from outcomes import plots

    if stem is not None:
        plots.save(fig, stem)
    display(fig)
