"""Tables and sentences of the pooled report (``outcomes report --pooled``).

Computed here, not in the notebook, so that they are tested; the notebook
``notebooks/pooled_report.ipynb`` only arranges them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd

from outcomes.tables import count, percent_ci

if TYPE_CHECKING:
    from outcomes.pooling import Pooled

__all__ = [
    "JointPool",
    "competing_caveat",
    "competing_table",
    "key_findings_lines",
    "landmark_table",
    "per_joint",
    "protection_caveat",
    "sites_table",
]

#: 95% CI coverage of pooled relief at 3-24 months from protected summaries of
#: three sites of about 100 patients (benchmarks/simulate_pooled.py, docs/pooling.md).
PROTECTED_COVERAGE = "82-91%"


class JointPool(NamedTuple):
    """One joint pooled on its own: the pooled analysis (None when no site kept that
    joint's relief histories apart), its comparison with the joint's references, and
    which sites were left out and why ("" when none)."""

    joint: str
    pooled: Pooled | None
    comparison: pd.DataFrame
    note: str


def per_joint(
    summaries: list[dict[str, Any]], *, n_boot: int = 200, seed: int = 0
) -> list[JointPool]:
    """Each joint named in the site summaries pooled on its own and compared with its
    references; sites that merged that joint's lines with other joints are left out."""
    from outcomes.benchmark import compare
    from outcomes.errors import OptionError
    from outcomes.pooling import pool

    named = {str(j) for s in summaries for j in s["patients"]["by_joint"]}
    out = []
    for j in sorted(named - {"unknown", "*"}):
        try:
            pj = pool(summaries, joint=j, n_boot=n_boot, seed=seed)
        except OptionError as exc:
            out.append(JointPool(j, None, pd.DataFrame(), str(exc)))
            continue
        note = (
            "left out (merged across joints at the site to protect small cells): "
            + "; ".join(pj.left_out)
            if pj.left_out
            else ""
        )
        out.append(JointPool(j, pj, compare(pj), note))  # type: ignore[arg-type]
    return out


def _at(table: pd.DataFrame, months: float) -> Any:
    hit = table[table["months"] == months]
    return None if hit.empty else hit.iloc[0]


def _finite(x: Any) -> bool:
    return x is not None and x == x


def protection_caveat(pooled: Pooled) -> str:
    """What protected summaries cost, in one sentence; "" when every site shared exact tables."""
    protected = [s["site"] for s in pooled.summaries if int(s.get("min_cell", 0)) > 0]
    if not protected:
        return ""
    return (
        f"{len(protected)} of {len(pooled.summaries)} sites protected small cells, so the "
        "pooled curve is that of coarser data (visits moved to a standard schedule, rare "
        "histories widened or joined): in simulation of three sites of about 100 patients "
        "each, relief estimates were on average within 0.01 of the truth, but their 95% CIs "
        f"covered it only {PROTECTED_COVERAGE} of the time, not 95%, and one pool's estimates "
        "can differ from the exact ones by more than their CIs suggest. Exact tables "
        "(--min-cell 0) give the single-site analysis."
    )


def key_findings_lines(pooled: Pooled, joints: list[JointPool]) -> list[str]:
    """The pooled report's key findings, one sentence each."""
    lines = []
    m = pooled.curve.median
    lines.append(
        "Median duration of relief: "
        + (
            f"{m.estimate:.1f} months (95% CI {m.lower:.1f} to {m.upper:.1f})"
            if _finite(m.estimate)
            else "not reached"
        )
    )
    for months in (12.0, 24.0):
        r = _at(pooled.curve.relief_at, months)
        if r is not None and _finite(r["estimate"]):
            lines.append(
                f"Still in relief at {months:g} months (estimated): "
                + percent_ci(r["estimate"], r["lower"], r["upper"])
            )
    for j, pj, cmp, _ in joints:
        if pj is None:
            lines.append(
                f"{j.capitalize()}: no estimate of its own; every site merged its {j} relief "
                "histories with other joints to protect small cells"
            )
        if cmp.empty:
            continue
        row = cmp[cmp["pooled"] & (cmp["measure"] == "responder_rate") & (cmp["months"] == 24.0)]
        if len(row) and _finite(row.iloc[0]["cohort_value"]):
            r = row.iloc[0]
            lines.append(
                f"{j.capitalize()}, responders at 24 months among those assessed: "
                f"{percent_ci(r['cohort_value'], r['cohort_lower'], r['cohort_upper'])}; "
                f"{r['reference_label']}: "
                f"{percent_ci(r['reference_value'], r['reference_lower'], r['reference_upper'])}"
            )
    t = pooled.site_test
    if t is not None:
        lines.append(
            f"Relief durations across sites: chi-squared {t.statistic:.2f} on {t.df} df, "
            f"p = {t.p_value:.3f} ({t.method})"
        )
    f12 = pooled.funnel(12.0)
    flagged = f12[f12["signal"] != ""]
    lines.append(
        "Every site's 12-month responder rate is within the 99.8% funnel limits."
        if flagged.empty
        else "Outside the 99.8% funnel limits at 12 months: "
        + "; ".join(
            f"{site} ({signal})"
            for site, signal in zip(flagged["site"], flagged["signal"], strict=True)
        )
    )
    caveat = protection_caveat(pooled)
    if caveat:
        lines.append(caveat)
    return lines


def sites_table(pooled: Pooled, *, suppress_small: bool = False) -> pd.DataFrame:
    """One row per site: counts, median (95% CI), relief and responders at 12 months."""
    small = suppress_small
    rows = []
    for part in pooled.sites:
        cn = part.counts
        med = part.curve.median
        r12 = _at(part.curve.relief_at, 12.0)
        rr = _at(part.responder_rates, 12.0)
        rows.append(
            {
                "site": part.name,
                "patients": count(int(cn.get("patients", 0)), small),
                "procedures": count(int(cn.get("procedures", 0)), small),
                "analysed": count(int(cn.get("analysed", 0)), small),
                "median, months (95% CI)": (
                    f"{med.estimate:.1f} ({med.lower:.1f}-{med.upper:.1f})"
                    if _finite(med.estimate)
                    else "not reached"
                ),
                "still in relief at 12 months": (
                    percent_ci(r12["estimate"], r12["lower"], r12["upper"])
                    if r12 is not None and _finite(r12["estimate"])
                    else "-"
                ),
                "responders at 12 months": (
                    f"{count(int(rr['responders']), small)}/{count(int(rr['assessed']), small)}"
                    if rr is not None
                    else "-"
                ),
            }
        )
    return pd.DataFrame(rows)


def landmark_table(pooled: Pooled, *, suppress_small: bool = False) -> pd.DataFrame:
    """Relief at each landmark (estimated) beside the responder rate among those assessed."""
    lm, rr = pooled.curve.relief_at, pooled.responder_rates
    return pd.DataFrame(
        {
            "months": [f"{m:g}" for m in lm["months"]],
            "still in relief (estimated)": [
                percent_ci(e, lo, hi) if _finite(e) else "-"
                for e, lo, hi in zip(lm["estimate"], lm["lower"], lm["upper"], strict=True)
            ],
            "responders among those assessed": [
                f"{count(int(k), suppress_small)}/{count(int(n), suppress_small)} "
                + percent_ci(r, lo, hi)
                if n
                else "-"
                for k, n, r, lo, hi in zip(
                    rr["responders"],
                    rr["assessed"],
                    rr["rate"],
                    rr["lower"],
                    rr["upper"],
                    strict=True,
                )
            ],
        }
    )


def competing_caveat(pooled: Pooled) -> str:
    """What withheld competing-event lines cost, in one sentence; "" when none was."""
    from outcomes.pooling import _competing_withheld

    sites = _competing_withheld(pooled.summaries)
    if not sites:
        return ""
    return (
        f"{', '.join(sites)} withheld competing events in lines under their minimum cell "
        "count: these are the rare events (surgery, death) at rare times, so the cumulative "
        "incidences above are too low. Exact tables (--min-cell 0) give the single-site figures."
    )


def competing_table(pooled: Pooled) -> pd.DataFrame:
    """Cumulative incidence of repeat procedure, surgery and death at the landmarks."""
    comp = pooled.competing
    return pd.DataFrame(
        {
            "event": comp["event"].str.replace("_", " "),
            "months": [f"{m:g}" for m in comp["months"]],
            "cumulative incidence (95% CI)": [
                percent_ci(e, lo, hi) if _finite(e) else "-"
                for e, lo, hi in zip(comp["estimate"], comp["lower"], comp["upper"], strict=True)
            ],
        }
    )
