"""The multi-site commands of the command line: ``share`` and ``pool``."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

EXIT_OK = 0


def add_parsers(sub: Any) -> None:
    """Add ``share`` and ``pool`` to the command line's subparsers."""
    from outcomes.cli import _input_options, _relief_options

    s = sub.add_parser(
        "share",
        help="write this site's summary for pooling: count tables, no rows, ids or dates",
        description="Analyse a follow-up file and write the site's summary for a pooled "
        "analysis of several sites (outcomes pool): count tables of relief histories, "
        "responders at the landmarks, competing events and Table 1, with lines of fewer "
        "than --min-cell patients or procedures widened, merged or withheld (said in the "
        "file's 'protection'). No row, identifier, date or free text leaves the site.",
    )
    s.add_argument("file", type=Path, help="follow-up scores file")
    _input_options(s)
    s.add_argument("--site", required=True, metavar="NAME", help="the site's name in the pool")
    s.add_argument("--out", type=Path, required=True, metavar="SITE.json", help="file to write")
    s.add_argument(
        "--min-cell",
        type=int,
        default=5,
        metavar="N",
        help="no line counts fewer than N (default 5; 0: exact tables, only where allowed)",
    )
    _relief_options(s)
    s.add_argument(
        "--landmarks",
        type=_months,
        default=(3.0, 6.0, 12.0, 18.0, 24.0),
        metavar="M,M,...",
        help="landmark months (default 3,6,12,18,24; the same at every site)",
    )
    s.set_defaults(func=_cmd_share)

    p = sub.add_parser(
        "pool",
        help="pool site summaries: one analysis of several sites",
        description="Pool the summaries written by outcomes share at each site: the "
        "pooled relief curve (Turnbull NPMLE of every site's histories, patients "
        "resampled for the CIs), responder rates, competing events, per-site parts, the "
        "test of equal relief across sites and a funnel of site responder rates.",
    )
    p.add_argument("summaries", type=Path, nargs="+", metavar="SITE.json")
    p.add_argument("--by", choices=("site", "joint", "technique"), help="per-group estimates")
    p.add_argument("--tau", type=float, default=24.0, metavar="MONTHS", help="RMST horizon")
    p.add_argument("--boot", type=int, default=200, metavar="B", help="bootstrap resamples")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=_cmd_pool)


def _months(text: str) -> tuple[float, ...]:
    from outcomes.cli import _months as months

    return months(text)


def _cmd_share(args: argparse.Namespace) -> int:
    from outcomes.analysis import analyze
    from outcomes.cli import _percent
    from outcomes.endpoints import ReliefDefinition
    from outcomes.sitesummary import site_summary, write_summary

    definition = ReliefDefinition(
        percent_reduction=_percent(args),
        absolute_reduction=args.absolute,
        population=args.population,
        instrument=args.instrument,
    )
    print(f"Analysing {args.file.name} ...", file=sys.stderr)
    result = analyze(
        args.file,
        events=args.events,
        mapping=args.mapping,
        as_of=args.as_of or dt.date.today(),
        definition=definition,
        landmarks_months=args.landmarks,
        n_boot=0,
    )
    summary = site_summary(result, site=args.site, min_cell=args.min_cell)
    path = write_summary(summary, args.out)
    steps = summary["protection"]["steps"]
    print(
        f"Site summary of {args.site}: {len(summary['histories']):,} relief-history lines, "
        f"{len(summary['responders']):,} responder lines, {len(summary['competing']):,} "
        f"competing-event lines, {len(summary['profiles']):,} Table 1 lines"
    )
    if args.min_cell > 0:
        print(f"Small cells (under {args.min_cell}):" + ("" if steps else " none"))
        for step in steps:
            print(f"  {step}")
    else:
        print("Exact tables (--min-cell 0): no line was protected")
    print(f"Written: {path} (read it before it leaves the site)")
    return EXIT_OK


def _cmd_pool(args: argparse.Namespace) -> int:
    import json

    from outcomes.pooling import pool, read_summaries

    summaries = read_summaries(args.summaries)
    result = pool(summaries, by=args.by, tau_months=args.tau, n_boot=args.boot, seed=args.seed)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return EXIT_OK
    print(_text(result))
    return EXIT_OK


def _text(result: Any) -> str:
    """The pooled summary in words, as ``outcomes analyze`` prints one site's."""
    from outcomes.tables import percent_ci

    c = result.counts
    m = result.curve.median
    lines = [
        f"Pooled analysis of {len(result.summaries)} sites: "
        + ", ".join(s["site"] for s in result.summaries),
        f"{c.get('patients', 0):,} patients, {c.get('procedures', 0):,} procedures, "
        f"{c.get('analysed', 0):,} analysed for duration of relief",
        "Median duration of relief: "
        + (
            f"{m.estimate:.1f} months (95% CI {m.lower:.1f} to {m.upper:.1f})"
            if m.estimate == m.estimate
            else "not reached"
        ),
    ]
    for r in result.curve.relief_at.to_dict("records"):
        if r["estimate"] == r["estimate"]:
            lines.append(
                f"  still in relief at {r['months']:g} months: "
                + percent_ci(r["estimate"], r["lower"], r["upper"])
            )
    lines.append("Responders among those assessed:")
    for r in result.responder_rates.to_dict("records"):
        if r["assessed"]:
            lines.append(
                f"  {r['months']:g} months: {r['responders']}/{r['assessed']} "
                + percent_ci(r["rate"], r["lower"], r["upper"])
            )
    if result.by is not None and result.by != "site":
        lines.append(f"By {result.by}:")
        for g in result.groups:
            gm = g.curve.median
            median = (
                f"median {gm.estimate:.1f} months ({gm.lower:.1f} to {gm.upper:.1f})"
                if gm.estimate == gm.estimate
                else "median not reached"
            )
            r12 = g.curve.relief_at[g.curve.relief_at["months"] == 12.0]
            at12 = (
                "; at 12 months " + percent_ci(*r12.iloc[0][["estimate", "lower", "upper"]])
                if len(r12) and r12.iloc[0]["estimate"] == r12.iloc[0]["estimate"]
                else ""
            )
            lines.append(f"  {g.name}: {g.curve.n:,} analysed, {median}{at12}")
        gt = result.group_test
        if gt is not None:
            lines.append(
                f"Equal relief across {result.by}s: chi-squared {gt.statistic:.2f} on {gt.df} df, "
                f"p = {gt.p_value:.3f}"
            )
    t = result.site_test
    if t is not None:
        lines.append(
            f"Equal relief across sites: chi-squared {t.statistic:.2f} on {t.df} df, "
            f"p = {t.p_value:.3f}"
        )
    f = result.funnel(12.0)
    for r in f.to_dict("records"):
        if r["signal"]:
            lines.append(f"  {r['site']}: 12-month responder rate {r['signal']}")
    if result.withheld:
        lines.append("Counts a site withheld (under its minimum): " + "; ".join(result.withheld))
    if result.left_out:
        lines.append(
            f"Left out of the curves by {result.by} (merged across {result.by}s at the site to "
            "protect small cells): " + "; ".join(result.left_out)
        )
    return "\n".join(lines)
