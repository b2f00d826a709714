"""Figures: both styles render, sizes are as promised, and drawn numbers are the analysis' own."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.text import Text

from outcomes import analyze, plots
from outcomes.benchmark import compare
from outcomes.errors import OptionError

SAMPLE = Path(__file__).parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def result():
    return analyze(
        SAMPLE / "followup_long.csv",
        events=SAMPLE / "events.csv",
        by="joint",
        n_boot=20,
        covariates=("technique", "age"),
    )


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def _every_figure(result, style: str) -> dict[str, Figure]:
    return {
        "relief": plots.relief_curves(result, style=style, references=compare(result)),
        "trajectory": plots.pain_trajectory(result.trajectory(), style=style),
        "waterfall": plots.improvement_waterfall(result.improvement_at(3.0), style=style),
        "benchmark": plots.benchmark(compare(result), style=style),
        "durations": plots.benchmark(compare(result), style=style, measure="months"),
        "forest": plots.regression_forest(result.regression, style=style),
        "events": plots.cumulative_incidence(result.competing_curves(), style=style),
        "complications": plots.complications(result.complications(), style=style, target=0.02),
    }


def test_lecture_pngs_are_1920_by_1080(result, tmp_path: Path) -> None:
    for name, fig in _every_figure(result, "lecture").items():
        (png,) = plots.save(fig, tmp_path / name, "lecture")
        assert png.suffix == ".png"
        assert _png_size(png) == (1920, 1080), name


def test_journal_figures_are_vector_files_85_or_175_mm_wide(result, tmp_path: Path) -> None:
    for name, fig in _every_figure(result, "journal").items():
        width_mm = fig.get_figwidth() * 25.4
        assert min(abs(width_mm - 85), abs(width_mm - 175)) < 0.01, name
        written = plots.save(fig, tmp_path / name, "journal")
        assert sorted(p.suffix for p in written) == [".pdf", ".svg"]
        assert written[0].read_bytes()[:5] == b"%PDF-"
        svg = (tmp_path / f"{name}.svg").read_text()
        assert "<svg" in svg
    # text stays text in SVG (svg.fonttype none): the axis label can be found
    assert plots.MONTHS_LABEL in (tmp_path / "relief.svg").read_text()


def test_journal_text_is_7_to_9_points(result) -> None:
    fig = plots.relief_curves(result, style="journal")
    sizes = {t.get_fontsize() for t in fig.findobj(Text) if t.get_text()}
    assert sizes and min(sizes) >= 7 - 1e-9 and max(sizes) <= 9 + 1e-9


def _risk_cells(fig: Figure) -> dict[tuple[str, str, float], str]:
    out = {}
    for t in fig.findobj(Text):
        gid = t.get_gid()
        if gid and gid.startswith("risk:"):
            _, group, column, months = gid.split(":")
            out[(group, column, float(months))] = t.get_text()
    return out


def test_risk_table_numbers_equal_the_analysis_at_the_ticks(result) -> None:
    fig = plots.relief_curves(result, style="journal")
    cells = _risk_cells(fig)
    table = result.risk_table()
    assert sorted(table["months"].unique()) == [0, 3, 6, 12, 18, 24]
    assert len(cells) == 3 * len(table)
    for r in table.to_dict("records"):
        for column in ("at_risk", "lost", "censored"):
            assert cells[(r["group"], column, r["months"])] == str(r[column])
    # the ticks the table is aligned to are the table's times
    ax = fig.axes[0]
    assert list(ax.get_xticks()) == [0, 3, 6, 12, 18, 24]


def test_suppress_small_hides_counts_of_one_to_four(result) -> None:
    cells = _risk_cells(plots.relief_curves(result, suppress_small=True))
    table = result.risk_table()
    for r in table.to_dict("records"):
        for column in ("at_risk", "lost", "censored"):
            shown = cells[(r["group"], column, r["months"])]
            assert shown == ("<5" if 0 < r[column] < 5 else str(r[column]))
    assert "<5" in cells.values()


def test_trajectory_shows_n_per_visit_and_group(result) -> None:
    traj = result.trajectory()
    fig = plots.pain_trajectory(traj)
    shown = {
        t.get_gid(): t.get_text() for t in fig.findobj(Text) if (t.get_gid() or "")[:2] == "n:"
    }
    for r in traj.to_dict("records"):
        assert shown[f"n:{r['group']}:{r['months']:g}"] == str(r["n"])


def test_group_colours_are_the_same_in_every_figure(result) -> None:
    curves = plots.relief_curves(result)
    traj = plots.pain_trajectory(result.trajectory())
    legend_c = {
        t.get_text().split(" (")[0]: to_hex(h.get_color())
        for t, h in zip(
            curves.axes[0].get_legend().get_texts(),
            curves.axes[0].get_legend().legend_handles,
            strict=True,
        )
    }
    legend_t = {
        t.get_text(): to_hex(h.get_color())
        for t, h in zip(
            traj.axes[0].get_legend().get_texts(),
            traj.axes[0].get_legend().legend_handles,
            strict=True,
        )
    }
    assert legend_c.keys() == legend_t.keys() == {"Hip", "Knee", "Shoulder"}
    for name in legend_c:
        assert legend_c[name] == legend_t[name]
        assert legend_c[name] in [c.lower() for c in plots.OKABE_ITO]


def test_waterfall_bars_are_the_sorted_improvements(result) -> None:
    imp = result.improvement_at(3.0)
    pct, relief = imp["percent"].to_numpy(), imp["relief"].to_numpy()
    assert np.all(np.diff(pct) <= 0)
    fig = plots.improvement_waterfall(imp)
    fills = fig.axes[0].collections[:2]  # relief, then no relief
    for fill, mask in zip(fills, (relief, ~relief), strict=True):
        top = {(round(x, 6), round(y, 6)) for x, y in fill.get_paths()[0].vertices}
        for k in np.flatnonzero(mask):  # each bar's top edge is at its improvement
            assert (k - 0.5, round(pct[k], 6)) in top and (k + 0.5, round(pct[k], 6)) in top


def test_drawing_into_a_given_axes_returns_its_figure(result) -> None:
    fig = Figure()
    ax = fig.subplots()
    assert plots.cumulative_incidence(result.competing_curves(), ax=ax) is fig


def test_unknown_style_is_an_option_error(result) -> None:
    with pytest.raises(OptionError, match="unknown style 'poster'"):
        plots.relief_curves(result, style="poster")


def test_complication_labels_hide_small_counts(result) -> None:
    rates = result.complications()
    plain = [t.get_text() for t in plots.complications(rates).axes[0].get_yticklabels()]
    hidden = [
        t.get_text()
        for t in plots.complications(rates, suppress_small=True).axes[0].get_yticklabels()
    ]
    assert "Nerve injury (1/300)" in plain
    assert "Nerve injury (<5/300)" in hidden
    assert "Swelling (12/300)" in hidden


def test_a_figure_is_saved_in_the_style_it_was_drawn_in(result, tmp_path: Path) -> None:
    fig = plots.complications(result.complications(), style="lecture")
    (png,) = plots.save(fig, tmp_path / "c")  # style taken from the figure
    assert _png_size(png) == (1920, 1080)
    with pytest.raises(OptionError, match="drawn in the journal style"):
        plots.save(plots.complications(result.complications()), tmp_path / "d", "lecture")


# --------------------------------------------------------------------------- #
# lecture figures: compact risk table, headline, the figure pack


def test_compact_risk_table_has_the_at_risk_row_only_and_none_has_none(result) -> None:
    table = result.risk_table()
    cells = _risk_cells(plots.relief_curves(result, style="lecture", risk_table="compact"))
    assert {column for _, column, _ in cells} == {"at_risk"}
    for r in table.to_dict("records"):
        assert cells[(r["group"], "at_risk", r["months"])] == str(r["at_risk"])
    fig = plots.relief_curves(result, style="lecture", risk_table="none")
    assert _risk_cells(fig) == {} and len(fig.axes) == 1
    with pytest.raises(OptionError, match="risk_table must be"):
        plots.relief_curves(result, risk_table="half")


def _knee(result):
    from outcomes.benchmark import compare_joints

    return next((j, a, t) for j, a, t in compare_joints(result) if j == "knee")


def test_headline_draws_the_pooled_literature_and_the_clinic_at_each_time_point(result) -> None:
    _, _, table = _knee(result)
    pooled = table[table["pooled"] & (table["measure"] == "responder_rate")]
    pooled = pooled.sort_values("months")
    assert list(pooled["months"]) == [6.0, 12.0, 24.0]
    fig = plots.headline(table, style="lecture")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["6 months", "12 months", "24 months"]
    # the three series, in legend order, are the table's numbers in percent
    lines = [c.lines[0] for c in ax.containers]
    for line, column in zip(
        lines, ("reference_value", "cohort_value", "cohort_relief_probability"), strict=True
    ):
        np.testing.assert_allclose(line.get_ydata(), 100 * pooled[column].to_numpy(float))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("Literature, pooled") and "estimated" in legend[2]
    source = [t.get_text() for t in ax.texts if t.get_text().startswith("Literature:")]
    assert source == [f"Literature: {pooled['reference_label'].iloc[0]}"]


def test_headline_without_pooled_figures_says_so(result) -> None:
    _, _, table = _knee(result)
    fig = plots.headline(table[~table["pooled"]], style="journal")
    assert "No pooled figure" in " ".join(t.get_text() for t in fig.axes[0].texts)


def test_one_source_on_the_curve_is_named_once_in_the_legend(result) -> None:
    _, part, table = _knee(result)
    pooled = table[table["pooled"] & (table["measure"] == "responder_rate")]
    fig = plots.relief_curves(part, style="lecture", references=pooled, risk_table="none")
    ax = fig.axes[0]
    label = pooled["reference_label"].iloc[0]
    assert not [t for t in ax.texts if t.get_text() == label]  # no label at each point
    assert any(t.get_text().startswith(label) for t in ax.get_legend().get_texts())


def test_figure_pack_has_per_joint_literature_figures_and_a_caption_each(
    result, tmp_path: Path
) -> None:
    from outcomes.figpack import write_figures

    written = write_figures(result, tmp_path, style="lecture")
    names = {p.stem for p in written if p.suffix == ".png"}
    expected = {"relief_curves", "benchmark_knee", "headline_knee", "relief_vs_literature_knee"}
    assert expected <= names
    # the sample's hip and shoulder have no pooled figure: no headline for them
    assert not {"headline_hip", "headline_shoulder"} & names
    captions = (tmp_path / "captions.md").read_text()
    for stem in names:
        assert f"**{stem}.png**: " in captions
    assert captions.count("Kanjanapanang et al. 2025, Pain Medicine") >= 3
    for p in written:
        if p.suffix == ".png":
            assert _png_size(p) == (1920, 1080), p.name
