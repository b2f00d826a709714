"""Time :func:`outcomes.datasets.simulate_cohort` at 10^4, 10^5 and 10^6 procedures.

Run ``.venv/bin/python benchmarks/bench_datasets.py``. Prints the best wall time of
a few runs for each size and the assessment rows produced per second. Nothing is
asserted: speed is reported, not tested.
"""

from __future__ import annotations

import platform
import time

import numpy as np

from outcomes.datasets import simulate_cohort

SIZES = (10_000, 100_000, 1_000_000)


def _best_of(n_procedures: int, repeats: int) -> tuple[float, int, int]:
    """Best wall time in seconds, and the assessment and event row counts."""
    times: list[float] = []
    n_assessments = n_events = 0
    for _ in range(repeats):
        start = time.perf_counter()
        cohort = simulate_cohort(n_procedures, seed=0)
        times.append(time.perf_counter() - start)
        n_assessments, n_events = len(cohort.assessments), len(cohort.events)
    return min(times), n_assessments, n_events


def main() -> None:
    print(f"simulate_cohort, numpy {np.__version__}, Python {platform.python_version()}")
    print(f"{'procedures':>12} {'seconds':>9} {'assessments':>12} {'events':>9} {'assess/s':>12}")
    for n in SIZES:
        seconds, n_assessments, n_events = _best_of(n, repeats=3 if n < 1_000_000 else 1)
        rate = n_assessments / seconds
        print(f"{n:>12,} {seconds:>9.2f} {n_assessments:>12,} {n_events:>9,} {rate:>12,.0f}")
    cohort = simulate_cohort(SIZES[-1], seed=0)
    start = time.perf_counter()
    cohort.to_wide()
    print(f"to_wide() at {SIZES[-1]:,} procedures: {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
