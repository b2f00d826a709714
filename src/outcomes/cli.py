"""Command line: ``outcomes init``, ``validate``, ``analyze``, ``benchmark``, ``report``,
``figures``, ``sample``, ``share``, ``pool``.

Exit codes: 0 success (warnings allowed), 1 the data have errors, 2 usage
errors (unknown option, missing file). Errors print one line each, never a
traceback (set ``OUTCOMES_DEBUG=1`` to see one for a crash).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from outcomes import __version__
from outcomes.errors import MissingFileError, OptionError, OutcomesError, ValidationError

if TYPE_CHECKING:
    from outcomes.analysis import Analysis
    from outcomes.standards import Standard

EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_CRASH = 0, 1, 2, 3
METHOD_CHOICES = ("npmle", "km", "parametric", "weibull", "loglogistic", "lognormal")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date as YYYY-MM-DD") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="outcomes",
        description="How long does relief from joint denervation last? "
        "Validate follow-up pain scores and analyse them.",
    )
    parser.add_argument("--version", action="version", version=f"outcomes {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    v = sub.add_parser(
        "validate",
        help="check a follow-up file against the data contract",
        description="Read a follow-up file (CSV, Excel or Parquet; long or wide), check it, "
        "and print counts and every problem found. Exit 0 without errors, 1 with errors.",
    )
    v.add_argument("file", type=Path, help="follow-up scores file")
    _input_options(v)
    v.add_argument(
        "--max-problems",
        type=int,
        default=100,
        metavar="N",
        help="print at most N problems (default 100; 0 for all)",
    )
    v.add_argument(
        "--problems-csv", type=Path, metavar="OUT", help="also write every problem to this CSV file"
    )
    v.set_defaults(func=_cmd_validate)

    i = sub.add_parser(
        "init",
        help="propose a mapping file for a spreadsheet in the clinic's own column names",
        description="Read a follow-up file as the clinic keeps it and write a commented TOML "
        "mapping (patient id, procedure date, joint, side, technique, score columns, date "
        "order, columns never read) for you to check, then pass to --mapping. Prints what "
        "rests on an assumption and what could not be placed. The input is only read.",
    )
    i.add_argument("file", type=Path, help="follow-up scores file")
    i.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="mapping file to write (default: FILE's name with .mapping.toml, in the "
        "current folder)",
    )
    i.add_argument("--force", action="store_true", help="replace --out if it exists")
    i.add_argument("--sheet", help="workbook sheet to read (default: the one with the data)")
    i.set_defaults(func=_cmd_init)

    a = sub.add_parser(
        "analyze",
        help="how long relief lasts: relief curve, median, landmarks, responder rates",
        description="Derive loss-of-relief intervals and estimate how long relief lasts "
        "(Turnbull NPMLE with bootstrap 95% CIs). Prints a summary, or JSON with --json.",
    )
    a.add_argument("file", type=Path, help="follow-up scores file")
    _input_options(a)
    _analysis_options(a)
    a.add_argument("--json", action="store_true", help="print the results as JSON")
    a.set_defaults(func=_cmd_analyze)

    b = sub.add_parser(
        "benchmark",
        help="set the clinic's results beside the published figures, like with like",
        description="Analyse a follow-up file and compare it with the published figures "
        "(responder rates among those assessed, relief probabilities, durations), one "
        "paragraph per reference with how comparable the two numbers are.",
    )
    b.add_argument("file", type=Path, help="follow-up scores file")
    _input_options(b)
    _analysis_options(b)
    b.add_argument(
        "--references",
        type=Path,
        metavar="FILE",
        help="your own references CSV (same columns as the shipped table)",
    )
    b.add_argument(
        "--joint",
        help="compare with references for this joint (default: the cohort's joint when it has one)",
    )
    b.add_argument("--technique", help="compare with references for this technique")
    b.add_argument(
        "--include-other",
        action="store_true",
        help="also show references of other joints and techniques, marked as such",
    )
    b.add_argument(
        "--all-joints",
        action="store_true",
        help="compare the whole cohort at once (default with several joints: each joint "
        "against its own references)",
    )
    b.add_argument("--json", action="store_true", help="print the comparison as JSON")
    b.set_defaults(func=_cmd_benchmark)

    r = sub.add_parser(
        "report",
        help="render an audit or research report (HTML) with its figures",
        description="Check the data, then run a report notebook on them and write a "
        "self-contained HTML file (code hidden, images embedded, opens offline) and the "
        "figures. Without FILE, reports on the bundled synthetic sample.",
    )
    r.add_argument("file", type=Path, nargs="?", help="follow-up scores file (default: sample)")
    _input_options(r)
    r.add_argument(
        "--template",
        choices=("audit", "research", "lecture"),
        default="audit",
        help="audit (default), research (adds group comparison, regression, sensitivity) "
        "or lecture (the figure pack)",
    )
    r.add_argument(
        "--pooled",
        type=Path,
        nargs="+",
        metavar="SITE.json",
        help="report the pooled analysis of these site summaries (outcomes share) instead "
        "of a file: per-site and pooled curves, the funnel plot, the benchmark",
    )
    r.add_argument(
        "--out",
        type=Path,
        default=Path("reports"),
        metavar="DIR",
        help="output folder (default reports)",
    )
    r.add_argument(
        "--format",
        type=_formats,
        default=("html",),
        metavar="F,F,...",
        help="html (default), docx (Word) and/or pptx (16:9 slides), comma-separated; "
        "docx and pptx are audit reports",
    )
    r.add_argument("--title", help="report title")
    r.add_argument("--clinic", default="", help="clinic name for the cover")
    r.add_argument("--period", default="", help="period covered, e.g. '2023-2024'")
    _report_options(r)
    r.add_argument(
        "--standards",
        type=Path,
        metavar="FILE",
        help="CSV of audit standards (default: the built-in ones)",
    )
    r.set_defaults(func=_cmd_report)

    f = sub.add_parser(
        "figures",
        help="write the figure pack (lecture PNGs or journal PDF/SVG)",
        description="Analyse a follow-up file and write its figures: relief curves with a "
        "risk table, pain trajectory, improvement waterfall, events, complications and, for "
        "each joint with published figures, the benchmark, the headline figure (6, 12 and 24 "
        "months against the pooled literature) and the relief curve with the published "
        "figures marked; captions.md holds a caption for each. Without FILE, uses the bundled "
        "synthetic sample.",
    )
    f.add_argument("file", type=Path, nargs="?", help="follow-up scores file (default: sample)")
    _input_options(f)
    f.add_argument(
        "--style",
        choices=("lecture", "journal"),
        default="lecture",
        help="lecture: 1920x1080 PNG (default); journal: PDF and SVG",
    )
    f.add_argument(
        "--risk-table",
        choices=("full", "compact", "none"),
        default=None,
        help="under the relief curves: at risk, lost and censored (full; journal default), "
        "at risk only (compact; lecture default) or none",
    )
    f.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    _report_options(f)
    f.set_defaults(func=_cmd_figures)

    s = sub.add_parser(
        "sample",
        help="write a synthetic sample cohort",
        description="Write a synthetic cohort (long CSV, wide Excel, events CSV) generated by "
        "outcomes.datasets.simulate_cohort. The data are simulated, not real patients.",
    )
    s.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    s.add_argument(
        "--procedures",
        type=int,
        default=300,
        metavar="N",
        help="number of procedures (default 300)",
    )
    s.add_argument("--seed", type=int, default=None, help="random seed (default: the sample's)")
    s.set_defaults(func=_cmd_sample)

    from outcomes._cli_pool import add_parsers

    add_parsers(sub)
    return parser


def _input_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--events",
        type=Path,
        metavar="FILE",
        help="events file: repeat procedures, surgery, death, withdrawal, complications",
    )
    p.add_argument(
        "--mapping",
        type=Path,
        metavar="FILE",
        help="TOML mapping of your column names, date order and instruments",
    )
    p.add_argument(
        "--as-of",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="data cut date; later dates are flagged (default: today)",
    )


def _analysis_options(a: argparse.ArgumentParser) -> None:
    """Options shared by analyze and benchmark: definition, method, output."""
    a.add_argument(
        "--by",
        metavar="COL",
        help="estimate per group of this column "
        "(joint, technique, ...) and test equal relief durations",
    )
    _relief_options(a)
    a.add_argument(
        "--combine",
        choices=("any", "all"),
        default="any",
        help="with both thresholds: relief if either (any) or both (all) hold",
    )
    a.add_argument(
        "--confirm",
        type=int,
        default=1,
        metavar="K",
        help="loss needs K consecutive assessments without relief (default 1)",
    )
    a.add_argument(
        "--method",
        choices=METHOD_CHOICES,
        default="npmle",
        help="estimator of the relief curve (default npmle)",
    )
    a.add_argument(
        "--landmarks",
        type=_months,
        default=(3.0, 6.0, 12.0, 18.0, 24.0),
        metavar="M,M,...",
        help="months for relief probabilities (default 3,6,12,18,24)",
    )
    a.add_argument(
        "--tau",
        type=float,
        default=24.0,
        metavar="MONTHS",
        help="horizon of the restricted mean duration (default 24)",
    )
    _boot_options(a)
    a.add_argument(
        "--covariates",
        type=_names,
        default=None,
        metavar="COL,COL,...",
        help="multivariable Weibull AFT regression on these procedure-level "
        "columns (time ratios with 95%% CIs)",
    )


def _relief_options(p: argparse.ArgumentParser) -> None:
    """--percent, --absolute, --population: the relief definition's main choices."""
    p.add_argument(
        "--percent",
        type=float,
        default=None,
        metavar="P",
        help="relief: at least P%% reduction from baseline (default 50 unless "
        "only --absolute is given)",
    )
    p.add_argument(
        "--absolute",
        type=float,
        default=None,
        metavar="POINTS",
        help="relief: at least this many points reduction (with --percent: either)",
    )
    p.add_argument(
        "--population",
        choices=("responders", "all"),
        default="responders",
        help="duration among initial responders (default) or all procedures",
    )
    p.add_argument(
        "--instrument",
        default=None,
        metavar="NAME",
        help="the instrument to analyse, e.g. nrs or vas (default: the most frequent)",
    )


def _percent(args: argparse.Namespace) -> float | None:
    """--percent, defaulting to 50 unless only --absolute was given."""
    if args.percent is not None:
        return float(args.percent)
    return 50.0 if args.absolute is None else None


def _boot_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--boot",
        type=int,
        default=200,
        metavar="B",
        help="bootstrap resamples for confidence intervals (default 200)",
    )
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")


def _report_options(p: argparse.ArgumentParser) -> None:
    """Options shared by report and figures."""
    p.add_argument(
        "--by",
        default="joint",
        metavar="COL",
        help="groups for curves and tables (default joint; 'none' for all together)",
    )
    _relief_options(p)
    p.add_argument(
        "--suppress-small",
        action="store_true",
        help="show counts of 1-4 as '<5' (for reports leaving the clinic)",
    )
    _boot_options(p)


def _checked_inputs(args: argparse.Namespace) -> tuple[Path, Path | None]:
    """The data files to report on (the sample without FILE), validated: errors exit 1."""
    from outcomes.report import sample_files
    from outcomes.schema import load_cohort

    if args.file is None:
        data, events = sample_files()
        events = args.events or events
    else:
        data, events = args.file, args.events
    cohort = load_cohort(
        data, events=events, mapping=args.mapping, as_of=args.as_of or dt.date.today()
    )
    cohort.raise_for_errors()  # one line per error, exit 1
    return Path(data), Path(events) if events is not None else None


def _by(text: str) -> str | None:
    return None if text.lower() in ("none", "") else text


#: Formats of ``outcomes report --format``.
REPORT_FORMATS = ("html", "docx", "pptx")


def _formats(text: str) -> tuple[str, ...]:
    """``--format html,docx,pptx``: any of :data:`REPORT_FORMATS`, comma-separated."""
    names = tuple(dict.fromkeys(x.strip().lower() for x in text.split(",") if x.strip()))
    unknown = [x for x in names if x not in REPORT_FORMATS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"{text!r}: choose from {', '.join(REPORT_FORMATS)}, comma-separated (e.g. html,docx)"
        )
    return names


def _report_analysis(args: argparse.Namespace, data: Path, events: Path | None) -> Analysis:
    """The analysis the audit notebook makes, with the same settings (for Word and slides)."""
    from outcomes.analysis import analyze
    from outcomes.endpoints import ReliefDefinition
    from outcomes.schema import load_cohort

    cohort = load_cohort(
        data, events=events, mapping=args.mapping, as_of=args.as_of or dt.date.today()
    )
    by = _by(args.by)
    if by is not None and (by not in cohort.procedures or cohort.procedures[by].nunique() < 2):
        by = None  # one group only: all procedures together, as the notebook does
    definition = ReliefDefinition(
        percent_reduction=_percent(args),
        absolute_reduction=args.absolute,
        population=args.population,
        instrument=args.instrument,
    )
    return analyze(cohort, definition=definition, by=by, n_boot=args.boot, seed=args.seed)


def _cmd_report(args: argparse.Namespace) -> int:
    from outcomes.report import render_report
    from outcomes.standards import load_standards

    if args.pooled:
        return _pooled_report(args)
    office = [f for f in args.format if f != "html"]
    if office and args.template != "audit":
        raise OptionError(
            f"--format {','.join(office)} makes the audit report; use it with --template audit"
        )
    if office:  # fail before the long work when the office extra is missing
        from outcomes.audit import require_office

        require_office(office)
    data, events = _checked_inputs(args)
    standards = load_standards(args.standards) if args.standards is not None else None
    titles = {
        "audit": "Joint denervation audit",
        "research": "Duration of relief after joint denervation",
        "lecture": "Relief after joint denervation: figures",
    }
    params: dict[str, Any] = {
        "title": args.title or titles[args.template],
        "clinic": args.clinic,
        "period": args.period,
        "by": _by(args.by),
        "percent_reduction": _percent(args),
        "absolute_reduction": args.absolute,
        "population": args.population,
        "instrument": args.instrument,
        "suppress_small": args.suppress_small,
        "n_boot": args.boot,
        "seed": args.seed,
        "as_of": (args.as_of or dt.date.today()).isoformat(),
    }
    if args.template != "lecture":
        params["standards_file"] = str(args.standards.resolve()) if args.standards else None
    written: list[tuple[str, Path]] = []
    if "html" in args.format:
        html = render_report(
            data,
            events=events,
            mapping=args.mapping,
            template=args.template,
            out=args.out,
            parameters=params,
            progress=lambda m: print(m, file=sys.stderr),
        )
        written.append(("Report:", html))
    if office:
        written += _office_reports(args, data, events, standards, params, office)
    out = args.out.resolve()
    figures = sorted((out / "figures").glob("*"))
    for what, path in written:
        print(f"{what:<8} {path}")
    print(f"Figures: {out / 'figures'} ({len(figures)} files)")
    return EXIT_OK


def _pooled_report(args: argparse.Namespace) -> int:
    from outcomes.pooling import read_summaries
    from outcomes.report import render_report

    if args.file is not None:
        raise OptionError("give either FILE or --pooled SITE.json ..., not both")
    if [f for f in args.format if f != "html"]:
        raise OptionError("--pooled writes the HTML report only; leave out --format")
    read_summaries(args.pooled)  # one line per problem before the long work
    html = render_report(
        template="pooled",
        out=args.out,
        parameters={
            "summary_files": [str(p.resolve()) for p in args.pooled],
            "suppress_small": args.suppress_small,
            "n_boot": args.boot,
            "seed": args.seed,
            **({"title": args.title} if args.title else {}),
        },
        progress=lambda m: print(m, file=sys.stderr),
    )
    out = args.out.resolve()
    figures = sorted((out / "figures").glob("*"))
    print(f"{'Report:':<8} {html}")
    print(f"Figures: {out / 'figures'} ({len(figures)} files)")
    return EXIT_OK


def _office_reports(
    args: argparse.Namespace,
    data: Path,
    events: Path | None,
    standards: tuple[Standard, ...] | None,
    params: dict[str, Any],
    formats: list[str],
) -> list[tuple[str, Path]]:
    """The audit report as Word and/or slides, from one analysis; (label, file) each."""
    from outcomes.audit import audit_contents
    from outcomes.slides import write_pptx
    from outcomes.word import write_docx

    print(f"Analysing {data.name} for {' and '.join(formats)} ...", file=sys.stderr)
    contents = audit_contents(
        _report_analysis(args, data, events),
        title=params["title"],
        clinic=args.clinic,
        period=args.period,
        analysed_on=dt.date.today(),
        standards=standards,
        suppress_small=args.suppress_small,
    )
    out = args.out.resolve()
    written = []
    if "docx" in formats:
        print("Writing audit_report.docx ...", file=sys.stderr)
        written.append(("Word:", write_docx(contents, out / "audit_report.docx")))
    if "pptx" in formats:
        print("Writing audit_report.pptx ...", file=sys.stderr)
        path = write_pptx(contents, out / "audit_report.pptx", figures=out / "figures")
        written.append(("Slides:", path))
    return written


def _cmd_figures(args: argparse.Namespace) -> int:
    from outcomes.benchmark import compare_joints
    from outcomes.figpack import write_figures

    data, events = _checked_inputs(args)
    print(f"Analysing {data.name} ...", file=sys.stderr)
    result = _report_analysis(args, data, events)  # the report's analysis: same options
    print(f"Writing {args.style} figures ...", file=sys.stderr)
    written = write_figures(
        result,
        args.out,
        style=args.style,
        comparisons=compare_joints(result),
        risk_table=args.risk_table,
        suppress_small=args.suppress_small,
        progress=lambda m: print(m, file=sys.stderr),
    )
    print(f"Figures: {args.out.resolve()} ({len(written)} files)")
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    from outcomes.schema import load_cohort

    cohort = load_cohort(
        args.file, events=args.events, mapping=args.mapping, as_of=args.as_of or dt.date.today()
    )
    counts = cohort.counts()
    for src in cohort.sources:
        print(f"{src.name}: {src.rows:,} rows, sha256 {src.sha256[:16]}")
        for line in src.layout.lines() if src.layout is not None else ():
            print(f"  {line}")
    print(
        f"{counts['patients']:,} patients, {counts['procedures']:,} procedures, "
        f"{counts['assessments']:,} assessments kept, {counts['events']:,} events"
    )
    if counts["procedures"]:
        print()
        print(cohort.table_by().to_string(index=False))
    problems = cohort.problems
    n_err, n_warn = len(problems.errors), len(problems.warnings)
    if len(problems):
        print()
        print(f"Problems: {n_err:,} error(s), {n_warn:,} warning(s)")
        lines = problems.lines()
        limit = args.max_problems if args.max_problems > 0 else len(lines)
        for line in lines[:limit]:
            print(line)
        if len(lines) > limit:
            print(
                f"... and {len(lines) - limit:,} more (--max-problems 0 shows all, "
                "--problems-csv OUT saves them)"
            )
    if args.problems_csv:
        problems.table.to_csv(args.problems_csv, index=False)
        print(f"problems written to {args.problems_csv}")
    print()
    if n_err:
        print(f"FAILED: {n_err:,} error(s) must be fixed before analysis.")
        return EXIT_DATA
    print(f"OK: no errors ({n_warn:,} warning(s)).")
    return EXIT_OK


def _cmd_init(args: argparse.Namespace) -> int:
    import shlex

    from outcomes.assistant import propose_mapping, write_mapping

    out = args.out or Path(f"{args.file.stem}.mapping.toml")
    proposal = propose_mapping(args.file, sheet=args.sheet)
    written = write_mapping(proposal, out, force=args.force)
    for line in proposal.lines():
        print(line)
    print()
    print(f"Wrote {written}: check it, then run")
    print(
        f"  outcomes validate {shlex.quote(str(args.file))} --mapping {shlex.quote(str(written))}"
    )
    return EXIT_OK


def _names(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip())


def _months(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of months, e.g. 3,6,12"
        ) from None
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError("landmarks must be positive months")
    return values


def _run_analysis(args: argparse.Namespace) -> Analysis:
    from outcomes.analysis import analyze
    from outcomes.endpoints import ReliefDefinition

    definition = ReliefDefinition(
        percent_reduction=_percent(args),
        absolute_reduction=args.absolute,
        combine=args.combine,
        confirm=args.confirm,
        population=args.population,
        instrument=args.instrument,
    )
    return analyze(
        args.file,
        events=args.events,
        mapping=args.mapping,
        as_of=args.as_of or dt.date.today(),
        definition=definition,
        by=args.by,
        landmarks_months=args.landmarks,
        tau_months=args.tau,
        method=args.method,
        n_boot=args.boot,
        seed=args.seed,
        covariates=args.covariates,
    )


def _cmd_analyze(args: argparse.Namespace) -> int:
    import json

    from outcomes.summary import summary_text

    result = _run_analysis(args)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(summary_text(result))
    return EXIT_OK


def _cmd_benchmark(args: argparse.Namespace) -> int:
    import json

    from outcomes.benchmark import benchmark_records, compare, compare_by

    result = _run_analysis(args)
    by = args.by
    several = result.relief["joint"].nunique() > 1 if "joint" in result.relief else False
    if by is None and several and args.joint is None and not args.all_joints:
        by = "joint"  # each joint against its own references
    if by:
        groups = compare_by(result, by, args.references, include_other=args.include_other)
        if args.json:
            print(json.dumps({name: benchmark_records(t) for name, _, t in groups}, indent=2))
            return EXIT_OK
        for name, sub, t in groups:
            print(f"=== {by} = {name} ===")
            if t.empty:
                print(f"No published figures for {by} {name} in the reference table.")
            else:
                _print_benchmark(t, sub)
            print()
        return EXIT_OK
    table = compare(
        result,
        args.references,
        joint=args.joint,
        technique=args.technique,
        include_other=args.include_other,
    )
    if args.json:
        print(json.dumps(benchmark_records(table), indent=2))
        return EXIT_OK
    _print_benchmark(table, result)
    return EXIT_OK


def _print_benchmark(table: Any, result: Analysis) -> None:
    from outcomes.benchmark import benchmark_sentences

    print(
        f"{len(table)} published figures compared with {result.counts['procedures']} "
        f"procedures ({', '.join(s.name for s in result.cohort.sources)})."
    )
    print()
    print(
        f"{'reference':<34} {'measure':<22} {'months':>6} {'published':>9} {'cohort':>8}  "
        "comparability"
    )
    for r in _records(table):
        ref, coh, months = (
            "" if r[k] != r[k] else f"{r[k]:.3g}"  # NaN: blank
            for k in ("reference_value", "cohort_value", "months")
        )
        print(
            f"{r['reference_id']!s:<34} {r['measure']!s:<22} {months:>6} {ref:>9} {coh:>8}  "
            f"{str(r['comparability']).split(':')[0]}"
        )
    for sentence in benchmark_sentences(table, result):
        print()
        print(sentence)


def _records(frame: Any) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], frame.to_dict("records"))


def _cmd_sample(args: argparse.Namespace) -> int:
    from outcomes.datasets import write_sample

    kwargs = {} if args.seed is None else {"seed": args.seed}
    paths = write_sample(args.out, n_procedures=args.procedures, **kwargs)
    for p in paths:
        print(f"wrote {p}")
    print("These data are synthetic: simulated procedures, not real patients.")
    return EXIT_OK


def _errors_in_words(exc: ValidationError, args: argparse.Namespace) -> str:
    """The errors counted by file and kind, and where to see them: no rows, no patients."""
    errors = exc.problems.errors.table
    parts = []
    for file, sub in errors.groupby("file", sort=True):  # a file or two
        kinds = sub["rule"].value_counts()
        each = ", ".join(f"{n:,} {str(rule).replace('_', ' ')}" for rule, n in kinds.items())
        parts.append(f"{file}: {len(sub):,} error(s) ({each})")
    cmd = "outcomes validate " + (str(getattr(args, "file", None) or "FILE"))
    for option in ("events", "mapping"):
        if getattr(args, option, None):
            cmd += f" --{option} {getattr(args, option)}"
    return "; ".join(parts) + f"; see each with its row: {cmd}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except (MissingFileError, OptionError) as exc:
        print(f"outcomes: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValidationError as exc:  # counts only: the problem lines name patients
        print(f"outcomes: error: {_errors_in_words(exc, args)}", file=sys.stderr)
        return EXIT_DATA
    except OutcomesError as exc:
        for line in str(exc).splitlines() or [""]:  # one line per problem
            print(f"outcomes: error: {line}", file=sys.stderr)
        return EXIT_DATA
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        print("outcomes: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("OUTCOMES_DEBUG"):
            traceback.print_exc()
        print(
            f"outcomes: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in outcomes; rerun with OUTCOMES_DEBUG=1 for details and report it.",
            file=sys.stderr,
        )
        return EXIT_CRASH


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
