"""Several sites, one analysis (sitesummary, pooling, outcomes share / pool).

The bundled sample is split into three sites by patient; each site's file is
analysed on its own and summarised, and the pooled numbers are set against
``analyze`` on the whole file.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from outcomes import analyze
from outcomes.pooling import SummaryError, funnel_limits, pool, read_summaries
from outcomes.sitesummary import (
    _complement,
    _protect,
    _to_schedule,
    site_summary,
    write_summary,
)

SAMPLE = Path(__file__).parents[1] / "data" / "sample"
SITES = ("North", "South", "East")


@pytest.fixture(scope="module")
def site_files(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Path, Path]]:
    """The sample split into three sites by patient, with distinctive ids and a name column."""
    out = tmp_path_factory.mktemp("sites")
    raw = pd.read_csv(SAMPLE / "followup_long.csv")
    events = pd.read_csv(SAMPLE / "events.csv")
    pid = {p: f"ZQXPAT{i:05d}" for i, p in enumerate(raw["patient_id"].unique())}
    raw["patient_id"] = raw["patient_id"].map(pid)
    events["patient_id"] = events["patient_id"].map(pid)
    raw["patient_name"] = "Quenneville-Zbrowski " + raw["patient_id"].str[-5:]
    site = {p: SITES[i % 3] for i, p in enumerate(raw["patient_id"].unique())}
    files = []
    for name in SITES:
        f, e = out / f"{name}.csv", out / f"{name}_events.csv"
        raw[raw["patient_id"].map(site) == name].to_csv(f, index=False)
        events[events["patient_id"].map(site) == name].to_csv(e, index=False)
        files.append((name, f, e))
    return files


@pytest.fixture(scope="module")
def whole():
    return analyze(SAMPLE / "followup_long.csv", events=SAMPLE / "events.csv", n_boot=20)


def _summaries(site_files, min_cell: int) -> list[dict]:
    return [
        site_summary(analyze(f, events=e, n_boot=0), site=name, min_cell=min_cell)
        for name, f, e in site_files
    ]


@pytest.fixture(scope="module")
def exact(site_files):
    return _summaries(site_files, 0)


@pytest.fixture(scope="module")
def protected(site_files):
    return _summaries(site_files, 5)


def test_pooled_exact_summaries_equal_the_analysis_of_the_whole_file(exact, whole) -> None:
    pooled = pool(exact, n_boot=20).to_dict()
    w = whole.to_dict()
    for key in ("patients", "procedures", "assessments", "analysed", "initial_responders"):
        assert pooled["counts"][key] == w["counts"][key], key
    assert pooled["counts"]["excluded"] == w["counts"]["excluded"]
    for p, q in zip(pooled["relief_at"], w["relief_at"], strict=True):
        assert p["months"] == q["months"]
        assert p["estimate"] == pytest.approx(q["estimate"], abs=1e-9)
        assert p.get("bounds", [0, 0]) == pytest.approx(q.get("bounds", [0, 0]), abs=1e-9)
    for p, q in zip(pooled["responder_rate_at"], w["responder_rate_at"], strict=True):
        assert (p["assessed"], p["responders"]) == (q["assessed"], q["responders"])
        assert p["rate"] == pytest.approx(q["rate"], abs=1e-12)
        assert p["lower"] == pytest.approx(q["lower"], abs=1e-12)
    for p, q in zip(pooled["cumulative_incidence"], w["cumulative_incidence"], strict=True):
        assert p["event"] == q["event"]
        assert p["estimate"] == pytest.approx(q["estimate"], abs=1e-9)
    assert pooled["median_months"]["estimate"] == pytest.approx(
        w["median_months"]["estimate"], abs=1e-9
    )
    assert pooled["rmst"]["estimate"] == pytest.approx(w["rmst"]["estimate"], abs=1e-9)
    # benchmark rows compare the same cohort values
    bw = {(b["reference_id"], b["months"]): b for b in w["benchmarks"]}
    for b in pooled["benchmarks"]:
        ref = bw[(b["reference_id"], b["months"])]
        if ref["cohort_value"] is not None and b["months"] in (3.0, 6.0, 12.0, 18.0, 24.0):
            assert b["cohort_value"] == pytest.approx(ref["cohort_value"], abs=1e-9)


def test_pooled_npmle_masses_equal_those_of_the_whole_file(exact, whole) -> None:
    pooled = pool(exact, n_boot=0)
    np.testing.assert_allclose(pooled.curve.times, whole.curve.times, atol=1e-12)
    np.testing.assert_allclose(pooled.curve.survival, whole.curve.survival, atol=1e-9)


def test_pooled_table_one_counts_equal_the_whole_file(exact, whole) -> None:
    prof = pd.concat([pd.DataFrame(s["profiles"]) for s in exact])
    p = whole.cohort.procedures
    for col in ("joint", "technique", "side"):
        got = prof.groupby(col)["procedures"].sum().sort_index()
        want = p[col].astype(str).value_counts().sort_index()
        assert got.to_dict() == want.to_dict(), col
    analysed = prof.loc[prof["analysed"], "procedures"].sum()
    assert analysed == whole.counts["analysed"]
    patients = sum(s["patients"]["all"] for s in exact)
    assert patients == whole.counts["patients"]


def test_protected_summaries_have_no_line_under_five_and_say_what_was_merged(protected) -> None:
    for s in protected:
        assert all(h["patients"] >= 5 for h in s["histories"])
        for key in ("responders", "competing", "profiles"):
            assert all(r["procedures"] >= 5 for r in s[key]), key
        counts = [v for v in s["counts"].values() if isinstance(v, int)]
        counts += [v for v in s["counts"]["excluded"].values() if v is not None]
        counts += [v for v in s["patients"]["by_joint"].values() if v is not None]
        counts += [v for v in s["complications"].values() if v is not None]
        assert all(v == 0 or v >= 5 for v in counts)
        assert s["protection"]["steps"], s["site"]
        # what was widened still holds the exact interval: lower and upper on a grid
        for h in s["histories"]:
            for lo, up, _, _ in h["procedures"]:
                assert up is None or lo < up


def test_protection_moves_visits_to_the_nearest_scheduled_visit() -> None:
    """Day 170 and 190 both near 6 months (182): the loss, mostly before, gets (121, 182];
    day 700 to 24 months (730); 0 and not-seen stay; 40 days is 6 weeks (45)."""
    lower = np.array([170.0, 700.0, 0.0, 40.0])
    upper = np.array([190.0, np.nan, 12.0, 400.0])
    lo, up, moved = _to_schedule(lower, upper)
    np.testing.assert_array_equal(lo, [121.0, 730.0, 0.0, 45.0])
    np.testing.assert_array_equal(up, [182.0, np.nan, 15.0, 365.0])
    assert moved == 6


def test_protection_says_only_the_steps_that_changed_a_line() -> None:
    """A step that leaves every line as it was is not written into the summary."""
    table = pd.DataFrame({"joint": ["knee", "hip", "knee"], "month": [3, 3, 6], "n": [4, 2, 9]})

    def nothing(t: pd.DataFrame, small: pd.Series) -> pd.DataFrame:
        return t

    def merge_joints(t: pd.DataFrame, small: pd.Series) -> pd.DataFrame:
        return t.assign(joint=t["joint"].where(~small, "any"))

    kept, notes, withheld = _protect(
        table,
        ["joint", "month"],
        "n",
        [("did nothing", nothing), ("merged", merge_joints)],
        5,
        "x",
    )
    assert notes == ["x: 6 in lines under 5 merged"]
    assert withheld == 0
    assert sorted(kept["n"]) == [6, 9]


def test_protected_histories_contain_the_scheduled_intervals(site_files) -> None:
    """Widening keeps the NPMLE valid: each exact interval, its visits moved to the
    schedule, lies inside some shared one."""
    name, f, e = site_files[0]
    a = analyze(f, events=e, n_boot=0)
    exact = site_summary(a, site=name, min_cell=0)
    coarse = site_summary(a, site=name, min_cell=5)
    assert "nearest visit of the schedule" in coarse["protection"]["steps"][0]
    shared = [
        (lo, np.inf if up is None else up)
        for h in coarse["histories"]
        for lo, up, *_ in h["procedures"]
    ]
    lows = np.array([x[0] for x in shared])
    ups = np.array([x[1] for x in shared])
    kept = 0
    for h in exact["histories"]:
        for lo, up, *_ in h["procedures"]:
            up = np.nan if up is None else up
            s_lo, s_up, _ = _to_schedule(np.array([lo], float), np.array([up], float))
            lo, up = s_lo[0], np.inf if np.isnan(s_up[0]) else s_up[0]
            kept += bool(np.any((lows <= lo) & (ups >= up)))
    n = sum(len(h["procedures"]) * h["patients"] for h in exact["histories"])
    assert kept >= 0.75 * sum(len(h["procedures"]) for h in exact["histories"])
    assert sum(len(h["procedures"]) * h["patients"] for h in coarse["histories"]) <= n


def test_site_files_hold_no_identifier_date_or_name(site_files, tmp_path: Path) -> None:
    for name, f, e in site_files:
        out = tmp_path / f"{name}.json"
        r = subprocess.run(
            [sys.executable, "-m", "outcomes", "share", str(f), "--events", str(e),
             "--site", name, "--out", str(out)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        text = out.read_text()
        for needle in ("ZQXPAT", "Quenneville", "202", "201"):
            assert needle not in text.replace('"outcomes_version"', ""), (needle, name)
        assert "ZQXPAT" not in r.stdout + r.stderr


def test_pool_cli_json_has_the_analyze_keys_and_per_site_parts(
    site_files, tmp_path: Path, whole
) -> None:
    paths = []
    for name, f, e in site_files:
        s = site_summary(analyze(f, events=e, n_boot=0), site=name, min_cell=0)
        paths.append(write_summary(s, tmp_path / f"{name}.json"))
    r = subprocess.run(
        [sys.executable, "-m", "outcomes", "pool", *map(str, paths), "--json", "--boot", "20"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    got = json.loads(r.stdout)
    want = whole.to_dict()
    for key in ("counts", "median_months", "relief_at", "rmst", "responder_rate_at",
                "cumulative_incidence", "benchmarks", "definition"):  # fmt: skip
        assert key in got, key
    assert [s["site"] for s in got["sites"]] == list(SITES)
    assert sum(s["counts"]["procedures"] for s in got["sites"]) == want["counts"]["procedures"]
    assert got["heterogeneity"]["group_test_by_site"]["df"] == 2
    funnel = got["heterogeneity"]["funnel_12_months"]
    assert sum(f["assessed"] for f in funnel) == next(
        r["assessed"] for r in want["responder_rate_at"] if r["months"] == 12.0
    )


def test_summaries_that_do_not_match_are_refused_one_line_each(exact, tmp_path: Path) -> None:
    a = dict(exact[0])
    b = dict(exact[1], definition={**exact[1]["definition"], "percent_reduction": 30.0})
    c = dict(exact[2], site=a["site"])
    paths = [write_summary(s, tmp_path / f"{i}.json") for i, s in enumerate((a, b, c))]
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(SummaryError) as err:
        read_summaries([*paths])
    lines = str(err.value).splitlines()
    assert any(
        "1.json: its relief definition differs from that of 0.json "
        "(percent_reduction 30.0 against 50.0)" in x
        for x in lines
    )
    assert any("the same site name 'North'" in x for x in lines)
    r = subprocess.run(
        [sys.executable, "-m", "outcomes", "pool", str(tmp_path / "bad.json"), str(paths[0])],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert r.returncode == 1
    assert r.stderr.startswith("outcomes: error: ") and "bad.json: not a site summary" in r.stderr
    assert "Traceback" not in r.stderr


def test_funnel_limits_hold_the_stated_share_of_binomial_rates() -> None:
    rng = np.random.default_rng(1)
    n = np.array([20, 50, 200, 1000])
    lim = funnel_limits(0.4, n)
    draws = rng.binomial(n, 0.4, size=(20000, n.size)) / n
    inside95 = ((draws >= lim["lower_95"].to_numpy()) & (draws <= lim["upper_95"].to_numpy())).mean(
        0
    )
    inside998 = (
        (draws >= lim["lower_998"].to_numpy()) & (draws <= lim["upper_998"].to_numpy())
    ).mean(0)
    # interpolated limits of a discrete rate: near 95% (92.6% at n = 20, the smallest)
    assert np.all(inside95 > 0.92) and np.all(inside95 < 0.985)
    assert np.all(inside95[1:] > 0.94)
    assert np.all(inside998 > 0.995)
    assert np.all(np.diff(lim["upper_95"].to_numpy()) < 0)  # the funnel narrows


def test_pool_refuses_fewer_sites_than_asked(exact) -> None:
    from outcomes.errors import OptionError

    with pytest.raises(OptionError, match="at least 3"):
        pool(exact[:2], min_sites=3, n_boot=0)


def test_funnel_figure_draws_each_site_at_its_rate_and_the_limits(exact) -> None:
    from outcomes import plots

    table = pool(exact, n_boot=0).funnel(12.0)
    fig = plots.funnel(table, style="lecture")
    ax = fig.axes[0]
    site_line = next(line for line in ax.lines if line.get_label() == "Site")
    np.testing.assert_allclose(site_line.get_xdata(), table["assessed"].to_numpy(float))
    np.testing.assert_allclose(site_line.get_ydata(), 100 * table["rate"].to_numpy(float))
    assert {t.get_text() for t in ax.texts} == set(SITES)
    labels = {line.get_label() for line in ax.lines}
    assert {"95% limits", "99.8% limits", "Pooled rate"} <= labels
    for line in ax.lines:  # every limit is drawn, narrowing as more are assessed
        if line.get_label() in ("95% limits", "99.8% limits"):
            y = np.asarray(line.get_ydata(), dtype=float)
            assert np.isfinite(y[5:]).all() and y[-1] > y[5]


def test_report_pooled_renders_per_site_curves_and_the_funnel_without_identifiers(
    site_files, tmp_path: Path
) -> None:
    paths = []
    for name, f, e in site_files:
        s = site_summary(analyze(f, events=e, n_boot=0), site=name, min_cell=5)
        paths.append(write_summary(s, tmp_path / f"{name}.json"))
    out = tmp_path / "report"
    r = subprocess.run(
        [sys.executable, "-m", "outcomes", "report", "--pooled", *map(str, paths),
         "--out", str(out), "--boot", "10"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    html = (out / "pooled_report.html").read_text()
    for heading in ("Key findings", "The sites", "How long relief lasts",
                    "Differences between sites", "Benchmark against the literature",
                    "What each site protected", "Methods"):  # fmt: skip
        assert heading in html, heading
    assert "Warning" not in html and "Traceback" not in html
    figures = {p.stem for p in (out / "figures").iterdir()}
    assert {"relief_curves_by_site", "relief_curves_pooled", "funnel_12_months"} <= figures
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", errors="ignore")
            for needle in ("ZQXPAT", "Quenneville"):
                assert needle not in text, f"{needle} in {path.name}"


def test_pooled_report_tables_carry_each_sites_numbers(exact) -> None:
    from outcomes import pooledreport

    pooled = pool(exact, n_boot=0)
    sites = pooledreport.sites_table(pooled)
    assert list(sites["site"]) == list(SITES)
    for row, s in zip(sites.to_dict("records"), exact, strict=True):
        assert row["procedures"] == str(s["counts"]["procedures"])
    lm = pooledreport.landmark_table(pooled)
    assert list(lm["months"]) == ["3", "6", "12", "18", "24"]
    r12 = pooled.responder_rates.set_index("months").loc[12.0]
    assert lm.iloc[2]["responders among those assessed"].startswith(
        f"{int(r12['responders'])}/{int(r12['assessed'])} "
    )
    lines = pooledreport.key_findings_lines(pooled, pooledreport.per_joint(exact, n_boot=0))
    assert lines[0].startswith("Median duration of relief: ")
    assert any(x.startswith("Knee, responders at 24 months") for x in lines)


def test_key_findings_say_what_protection_costs_only_when_a_site_protected(
    exact, protected
) -> None:
    from outcomes import pooledreport

    mixed = [*exact[:2], protected[2]]
    assert pooledreport.protection_caveat(pool(exact, n_boot=0)) == ""
    caveat = pooledreport.protection_caveat(pool(mixed, n_boot=0))
    assert caveat.startswith("1 of 3 sites protected small cells")
    assert pooledreport.PROTECTED_COVERAGE in caveat
    lines = pooledreport.key_findings_lines(pool(mixed, n_boot=0), [])
    assert lines[-1] == caveat


def _merge_joints_at(summary: dict, months: float) -> dict:
    """A copy of ``summary`` whose first relief history and its responder lines at
    ``months`` are merged across joints, as protection does."""
    s = json.loads(json.dumps(summary))
    first = s["histories"][0]
    first["procedures"] = [[lo, up, "*", tech] for lo, up, _, tech in first["procedures"]]
    for r in s["responders"]:
        if r["months"] == months:
            r["joint"] = "*"
    return s


def test_per_joint_pool_leaves_out_what_a_site_merged_across_joints(exact) -> None:
    """A site that merged histories across joints keeps only its common ones for a joint,
    so its histories leave the knee curve; its responders leave only the merged landmark."""
    merged = _merge_joints_at(exact[0], 3)
    knee = pool([merged, *exact[1:]], joint="knee", n_boot=0)
    others = pool(exact[1:], joint="knee", n_boot=0)
    assert set(knee.relief["site"]) == {exact[1]["site"], exact[2]["site"]}
    np.testing.assert_allclose(
        knee.curve.relief_at["estimate"], others.curve.relief_at["estimate"], atol=1e-12
    )
    rates = knee.responder_rates.set_index("months")["assessed"]
    rates_others = others.responder_rates.set_index("months")["assessed"]
    rates_all = pool(exact, joint="knee", n_boot=0).responder_rates.set_index("months")["assessed"]
    assert rates.loc[3.0] == rates_others.loc[3.0]
    assert rates.loc[12.0] == rates_all.loc[12.0] > rates_others.loc[12.0]
    assert knee.left_out == [f"{exact[0]['site']}'s relief histories, responders at 3 months"]
    assert pool(exact, joint="knee", n_boot=0).left_out == []


def test_per_joint_says_when_no_site_kept_a_joint_apart(exact) -> None:
    """Per-joint pools that would be empty become a note, in the benchmark and key findings."""
    from outcomes import pooledreport

    def no_hip(s: dict) -> dict:
        s = json.loads(json.dumps(s))
        for h in s["histories"]:
            h["procedures"] = [
                [lo, up, "*" if j == "hip" else j, t] for lo, up, j, t in h["procedures"]
            ]
        return s

    joints = pooledreport.per_joint([no_hip(s) for s in exact], n_boot=0)
    # every site merged hips into other joints, so none is left for any joint's curve
    assert [jp.joint for jp in joints] == ["hip", "knee", "shoulder"]
    for jp in joints:
        assert jp.pooled is None and jp.comparison.empty
        assert jp.note == (
            f"no site kept its {jp.joint} relief histories apart from other joints to "
            "protect small cells"
        )
    lines = pooledreport.key_findings_lines(pool(exact, n_boot=0), joints)
    assert (
        "Hip: no estimate of its own; every site merged its hip relief histories with "
        "other joints to protect small cells" in lines
    )


def test_a_small_responder_line_is_withheld_with_its_whole_cell() -> None:
    """7 responders and 3 non-responders at 12 months (knee): sharing the 7 alone would
    give a rate of 100%, so both go; a cell whose lines are all 5 or more stays."""
    table = pd.DataFrame(
        {
            "months": [12.0] * 4,
            "joint": ["knee", "knee", "hip", "hip"],
            "relief": [True, False, True, False],
            "n": [7, 3, 6, 5],
        }
    )
    keys = ["months", "joint", "relief"]
    kept, notes, withheld = _protect(table, keys, "n", [], 5, "x", cell=["months", "joint"])
    assert list(kept["joint"]) == ["hip", "hip"] and withheld == 10
    assert notes == [
        "x: 10 withheld (lines still under 5, with the other lines of their months, joint)"
    ]
    kept, _, withheld = _protect(table, keys, "n", [], 5, "x")
    assert withheld == 3 and len(kept) == 3  # without cell: the rate of the knee would be 7/7


def test_pooled_report_says_when_withheld_competing_events_make_incidence_too_low(
    exact, protected
) -> None:
    from outcomes import pooledreport

    assert pooledreport.competing_caveat(pool(exact, n_boot=0)) == ""
    withheld = [
        s["site"] for s in protected if s["protection"]["competing_withheld_procedures"] != "0"
    ]
    assert withheld  # the sample's sites withhold rare events
    caveat = pooledreport.competing_caveat(pool(protected, n_boot=0))
    assert caveat.startswith(", ".join(withheld) + " withheld competing events")
    assert "too low" in caveat


def test_pool_cli_by_joint_prints_each_group(exact, tmp_path: Path) -> None:
    paths = [write_summary(s, tmp_path / f"{s['site']}.json") for s in exact]
    r = subprocess.run(
        [sys.executable, "-m", "outcomes", "pool", *map(str, paths), "--by", "joint",
         "--boot", "0"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    groups = pool(exact, by="joint", n_boot=0).groups
    for g in groups:
        assert f"  {g.name}: {g.curve.n:,} analysed, median " in r.stdout
    assert "Equal relief across joints: chi-squared" in r.stdout


def test_a_withheld_part_of_a_published_total_cannot_be_found_by_subtraction() -> None:
    """procedures - analysed = the exclusions: with one reason under 5 withheld alone,
    the others would give it away; the next smallest goes too, until 5 or more are hidden."""
    assert _complement({"no_baseline": 1, "no_followup": 12, "non_responder": 40}, 5) == {
        "no_baseline": None,
        "no_followup": None,
        "non_responder": 40,
    }
    assert _complement({"a": 2, "b": 2, "c": 3, "d": 50}, 5) == {
        "a": None, "b": None, "c": None, "d": 50,
    }  # fmt: skip
    assert _complement({"a": 0, "b": 7, "c": 9}, 5) == {"a": 0, "b": 7, "c": 9}
    assert _complement({"losses": 3, "censored": 1}, 5) == {"losses": None, "censored": None}


def test_protected_summaries_hide_small_parts_together(protected, site_files) -> None:
    for (_, f, e), s in zip(site_files, protected, strict=True):
        a = analyze(f, events=e, n_boot=0)
        for raw, shared in (
            (a.counts["excluded"], s["counts"]["excluded"]),
            (
                {"losses": a.counts["losses"], "censored": a.counts["censored"]},
                {"losses": s["counts"]["losses"], "censored": s["counts"]["censored"]},
            ),
        ):
            hidden = [int(raw[key]) for key, v in shared.items() if v is None]
            assert not hidden or sum(hidden) >= 5 or all(v is None for v in shared.values())
