"""Time loading and validating follow-up CSV files of 10^4 to 10^6 assessments.

Run ``.venv/bin/python benchmarks/bench_load.py``. For each size it writes a
synthetic long CSV (and its events file) with :func:`outcomes.datasets.simulate_cohort`,
then times :func:`outcomes.load_cohort` on it (best of a few runs) and prints
assessments per second, split into reading and validating. Nothing is asserted.
"""

from __future__ import annotations

import platform
import tempfile
import time
from pathlib import Path

from outcomes.datasets import simulate_cohort
from outcomes.io import read_events, read_followup
from outcomes.schema import load_cohort, validate

ASSESSMENTS = (10_000, 100_000, 1_000_000)
ROWS_PER_PROCEDURE = 5.8  # what the default simulation yields


def main() -> None:
    print(f"outcomes load benchmark: Python {platform.python_version()}, {platform.machine()}")
    print(
        f"{'assessments':>12} {'file MB':>8} {'read s':>8} {'validate s':>11} {'total s':>8}"
        f" {'rows/s':>10}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for target in ASSESSMENTS:
            sim = simulate_cohort(round(target / ROWS_PER_PROCEDURE), seed=1)
            path, events = Path(tmp) / f"f{target}.csv", Path(tmp) / f"e{target}.csv"
            sim.assessments.to_csv(path, index=False, date_format="%Y-%m-%d")
            sim.events.to_csv(events, index=False, date_format="%Y-%m-%d")
            repeats = 3 if target < 1_000_000 else 2
            best = (float("inf"), 0.0, 0.0)
            for _ in range(repeats):
                t0 = time.perf_counter()
                raw, raw_events = read_followup(path), read_events(events)
                t1 = time.perf_counter()
                cohort = validate(raw, raw_events)
                t2 = time.perf_counter()
                if t2 - t0 < best[0]:
                    best = (t2 - t0, t1 - t0, t2 - t1)
            assert cohort.ok  # the benchmark data must be clean
            total, read, check = best
            n = len(sim.assessments)
            print(
                f"{n:>12,} {path.stat().st_size / 1e6:>8.1f} {read:>8.2f} {check:>11.2f} "
                f"{total:>8.2f} {n / total:>10,.0f}"
            )
    # load_cohort is read + validate; keep the import honest
    assert callable(load_cohort)


if __name__ == "__main__":
    main()
