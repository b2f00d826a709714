"""Timings of the Turnbull NPMLE (outcomes._npmle) against lifelines and R.

Run from the repository root::

    .venv/bin/python benchmarks/bench_npmle.py            # everything
    .venv/bin/python benchmarks/bench_npmle.py --quick    # 1e3 and 1e4 only

Data are clinic-like: follow-up visits at 0.5, 1, 3, 6, 12, 18 and 24 months,
each moved by up to a week and rounded to whole days (months = days /
30.4375), 15% of visits missed, drop-out after a random visit, relief lasting
a Weibull time. The interval is (last visit with relief, first visit without]
or (last visit, inf] when relief outlasted follow-up.

Timed: ``turnbull`` (the point fit), ``turnbull_bootstrap`` with 200
resamples, lifelines' ``KaplanMeierFitter.fit_interval_censoring`` (1e3, and
1e4 in a child process that is stopped after 60 s), and R's ``survfit(Surv(l, r,
type = "interval2") ~ 1)`` for 1e3 when Rscript is on the PATH (timed inside
R, so R's start-up is excluded). Each figure is the best of ``--repeat`` runs
(a single run where one takes over 5 s). Wall-clock seconds on a shared
machine: expect noise.
"""

from __future__ import annotations

import argparse
import multiprocessing
import queue
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from multiprocessing.queues import Queue
from pathlib import Path

import numpy as np
import numpy.typing as npt

from outcomes._npmle import turnbull, turnbull_bootstrap

FloatArray = npt.NDArray[np.float64]
DAYS_PER_MONTH = 30.4375
BUDGET_SECONDS = 60.0
N_BOOT = 200


def clinic_like(n: int, seed: int = 2024) -> tuple[FloatArray, FloatArray]:
    """``n`` clinic-like intervals (left, right] in months; right = inf when censored."""
    rng = np.random.default_rng(seed)
    months = np.array([0.5, 1, 3, 6, 12, 18, 24])
    visit = np.rint(months * DAYS_PER_MONTH + rng.uniform(-7, 7, (n, months.size)))
    visit /= DAYS_PER_MONTH
    seen = rng.random((n, months.size)) > 0.15
    seen &= np.arange(months.size) < rng.integers(2, months.size + 1, n)[:, None]
    event = rng.weibull(1.2, n) * 8.0
    left = np.where(seen & (visit < event[:, None]), visit, 0.0).max(axis=1)
    right = np.where(seen & (visit >= event[:, None]), visit, np.inf).min(axis=1)
    return left, right


def best_time(run: Callable[[], object], repeat: int) -> float:
    """Best wall-clock time of up to ``repeat`` runs (one run if it takes over 5 s)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
        if times[-1] > 5.0:
            break
    return min(times)


def lifelines_time(left: FloatArray, right: FloatArray) -> float:
    """Seconds for lifelines' interval-censored Kaplan-Meier (Turnbull) fit."""
    from lifelines import KaplanMeierFitter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        KaplanMeierFitter().fit_interval_censoring(left, right)
        return time.perf_counter() - start


def _lifelines_child(n: int, out: Queue[float]) -> None:
    out.put(lifelines_time(*clinic_like(n)))


def lifelines_time_limited(n: int, limit: float) -> float | None:
    """:func:`lifelines_time` on ``clinic_like(n)`` in a child process; None past ``limit`` s."""
    ctx = multiprocessing.get_context("spawn")
    out: Queue[float] = ctx.Queue()
    child = ctx.Process(target=_lifelines_child, args=(n, out))
    child.start()
    try:
        return out.get(timeout=limit + 30.0)  # + the child's start-up and data generation
    except queue.Empty:
        return None
    finally:
        if child.is_alive():
            child.terminate()
        child.join()


R_SCRIPT = r"""
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
d$right[is.infinite(d$right)] <- Inf
elapsed <- system.time(
  fit <- survfit(Surv(left, right, type = "interval2") ~ 1, data = d)
)[["elapsed"]]
times <- sort(unique(c(d$left, d$right[is.finite(d$right)])))
s <- summary(fit, times = times, extend = TRUE)$surv
cat(sprintf("%.6f\n", elapsed))
cat(sprintf("%.17g", s), sep = "\n")
"""


def r_time(left: FloatArray, right: FloatArray) -> tuple[float, float, FloatArray] | None:
    """Seconds inside R and wall-clock with start-up, plus R's S at the endpoints."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.csv"
        script = Path(tmp) / "fit.R"
        rows = "\n".join(
            f"{lo:.17g},{'Inf' if np.isinf(hi) else f'{hi:.17g}'}"
            for lo, hi in zip(left, right, strict=True)
        )
        data.write_text("left,right\n" + rows + "\n")
        script.write_text(R_SCRIPT)
        start = time.perf_counter()
        done = subprocess.run(
            [rscript, str(script), str(data)],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        wall = time.perf_counter() - start
    if done.returncode != 0:
        print(f"  (R failed: {done.stderr.strip()[:200]})")
        return None
    lines = done.stdout.split()
    return float(lines[0]), wall, np.array([float(x) for x in lines[1:]])


def endpoints(left: FloatArray, right: FloatArray) -> FloatArray:
    both = np.concatenate([left, right])
    return np.unique(both[np.isfinite(both)])


def fmt_row(method: str, n: int, seconds: float | None, note: str = "") -> str:
    if seconds is None:
        return f"{method:<36} {n:>9,d} {'-':>10} {'-':>14}  {note}"
    rate = n / seconds
    return f"{method:<36} {n:>9,d} {seconds:>10.3f} {rate:>14,.0f}  {note}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="sizes 1e3 and 1e4 only")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (best kept)")
    parser.add_argument("--no-lifelines", action="store_true")
    parser.add_argument("--no-r", action="store_true")
    args = parser.parse_args(argv)
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000, 1_000_000]

    print(f"Turnbull NPMLE timings (clinic-like data; best of {args.repeat}; wall-clock seconds)")
    print(f"{'method':<36} {'intervals':>9} {'seconds':>10} {'intervals/s':>14}  note")
    print("-" * 96)
    data = {n: clinic_like(n) for n in sizes}
    boot_seconds: dict[int, float] = {}
    for n in sizes:
        left, right = data[n]
        fit = turnbull(left, right)

        def fit_once(left: FloatArray = left, right: FloatArray = right) -> object:
            return turnbull(left, right)

        seconds = best_time(fit_once, args.repeat)
        distinct = np.unique(np.column_stack([left, right]), axis=0).shape[0]
        note = f"{distinct:,} distinct, m = {fit.left.size}, {fit.iterations} iterations"
        print(fmt_row("outcomes turnbull()", n, seconds, note))

    for i, n in enumerate(sizes):
        left, right = data[n]
        if i > 0 and boot_seconds.get(sizes[i - 1], 0.0) * 10 > BUDGET_SECONDS:
            guess = boot_seconds[sizes[i - 1]] * 10
            print(
                fmt_row(
                    f"outcomes bootstrap, {N_BOOT} resamples",
                    n,
                    None,
                    f"skipped: predicted ~{guess:.0f} s > {BUDGET_SECONDS:.0f} s",
                )
            )
            continue

        def run(left: FloatArray = left, right: FloatArray = right) -> object:
            return turnbull_bootstrap(left, right, n_boot=N_BOOT, seed=1)

        seconds = best_time(run, args.repeat)
        boot_seconds[n] = seconds
        note = f"{N_BOOT * n / seconds:,.0f} resampled intervals/s"
        print(fmt_row(f"outcomes bootstrap, {N_BOOT} resamples", n, seconds, note))

    left, right = data[1_000]
    point = turnbull(left, right)
    if not args.no_lifelines:
        seconds = lifelines_time(left, right)
        print(fmt_row("lifelines fit_interval_censoring", 1_000, seconds, "closed intervals"))
        if 10_000 in data:
            seconds_1e4 = lifelines_time_limited(10_000, BUDGET_SECONDS)
            if seconds_1e4 is not None and seconds_1e4 <= BUDGET_SECONDS:
                print(fmt_row("lifelines fit_interval_censoring", 10_000, seconds_1e4))
            else:
                stop = f"stopped: over {BUDGET_SECONDS:.0f} s"
                print(fmt_row("lifelines fit_interval_censoring", 10_000, None, stop))
    if not args.no_r:
        result = r_time(left, right)
        if result is None:
            print(fmt_row("R survfit interval2", 1_000, None, "skipped: no Rscript"))
        else:
            inside, wall, theirs = result
            print(
                fmt_row(
                    "R survfit interval2 (inside R)", 1_000, inside, f"{wall:.2f} s with start-up"
                )
            )
            # the same curve at the data's endpoints, and the likelihood of each
            # (no exact times in these data: P_i = S(left_i) - S(right_i))
            times = endpoints(left, right)
            gap = np.abs(theirs - point.survival(times)).max()

            def at(s: FloatArray, x: FloatArray) -> FloatArray:
                return np.where(np.isinf(x), 0.0, np.interp(x, times, s))

            r_loglik = float(np.log(at(theirs, left) - at(theirs, right)).sum())
            print(
                f"  agreement at 1e3: max |S_R - S_ours| = {gap:.3g} at the endpoints; "
                f"log-likelihood R {r_loglik:.4f}, ours {point.log_likelihood:.4f} "
                f"(gradient gap {point.gradient_gap:.1e})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
