"""Command line: ``outcomes validate``, ``outcomes analyze``, ``outcomes sample``.

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

from outcomes import __version__
from outcomes.errors import MissingFileError, OptionError, OutcomesError

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

    a = sub.add_parser(
        "analyze",
        help="how long relief lasts: relief curve, median, landmarks, responder rates",
        description="Derive loss-of-relief intervals and estimate how long relief lasts "
        "(Turnbull NPMLE with bootstrap 95% CIs). Prints a summary, or JSON with --json.",
    )
    a.add_argument("file", type=Path, help="follow-up scores file")
    _input_options(a)
    a.add_argument(
        "--by",
        metavar="COL",
        help="estimate per group of this column "
        "(joint, technique, ...) and test equal relief durations",
    )
    a.add_argument(
        "--percent",
        type=float,
        default=None,
        metavar="P",
        help="relief: at least P%% reduction from baseline (default 50 unless "
        "only --absolute is given)",
    )
    a.add_argument(
        "--absolute",
        type=float,
        default=None,
        metavar="POINTS",
        help="relief: at least this many points reduction (with --percent: either)",
    )
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
        "--population",
        choices=("responders", "all"),
        default="responders",
        help="duration among initial responders (default) or all procedures",
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
    a.add_argument(
        "--boot",
        type=int,
        default=200,
        metavar="B",
        help="bootstrap resamples for confidence intervals (default 200)",
    )
    a.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    a.add_argument(
        "--covariates",
        type=_names,
        default=None,
        metavar="COL,COL,...",
        help="multivariable Weibull AFT regression on these procedure-level "
        "columns (time ratios with 95%% CIs)",
    )
    a.add_argument("--json", action="store_true", help="print the results as JSON")
    a.set_defaults(func=_cmd_analyze)

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


def _cmd_validate(args: argparse.Namespace) -> int:
    from outcomes.schema import load_cohort

    cohort = load_cohort(
        args.file, events=args.events, mapping=args.mapping, as_of=args.as_of or dt.date.today()
    )
    counts = cohort.counts()
    for src in cohort.sources:
        print(f"{src.name}: {src.rows:,} rows, sha256 {src.sha256[:16]}")
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


def _cmd_analyze(args: argparse.Namespace) -> int:
    import json

    from outcomes.analysis import analyze
    from outcomes.endpoints import ReliefDefinition
    from outcomes.summary import summary_text

    percent = (
        args.percent if args.percent is not None else (50.0 if args.absolute is None else None)
    )
    definition = ReliefDefinition(
        percent_reduction=percent,
        absolute_reduction=args.absolute,
        combine=args.combine,
        confirm=args.confirm,
        population=args.population,
    )
    result = analyze(
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
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(summary_text(result))
    return EXIT_OK


def _cmd_sample(args: argparse.Namespace) -> int:
    from outcomes.datasets import write_sample

    kwargs = {} if args.seed is None else {"seed": args.seed}
    paths = write_sample(args.out, n_procedures=args.procedures, **kwargs)
    for p in paths:
        print(f"wrote {p}")
    print("These data are synthetic: simulated procedures, not real patients.")
    return EXIT_OK


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
    except OutcomesError as exc:
        print(f"outcomes: error: {exc}", file=sys.stderr)
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
