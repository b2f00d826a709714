"""Time the whole analysis at registry scale.

Run ``.venv/bin/python benchmarks/bench_analyze.py``. It prints:

1. ``outcomes analyze`` stages (read, validate, derive, NPMLE with bootstrap CIs,
   responder rates) on simulated cohorts of 10^4 and 10^5 procedures written
   to CSV (10^5 procedures is about 580,000 assessments);
2. the NPMLE with the default 200 bootstrap resamples on 10^5 and 10^6 simulated procedures'
   relief intervals.

Nothing is asserted: speed is reported, not tested.
"""

from __future__ import annotations

import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from outcomes.datasets import simulate_cohort, simulate_intervals
from outcomes.endpoints import derive_relief, responder_rates
from outcomes.io import read_events, read_followup
from outcomes.schema import validate
from outcomes.survival import DEFAULT_BOOT, fit_npmle


def stage_times(path: Path, events: Path) -> dict[str, float]:
    t: dict[str, float] = {}
    t0 = time.perf_counter()
    raw, raw_events = read_followup(path), read_events(events)
    t["read"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    cohort = validate(raw, raw_events).raise_for_errors()
    t["validate"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    relief = derive_relief(cohort)
    t["derive"] = time.perf_counter() - t0
    used = relief[relief["excluded"].isna()]
    t0 = time.perf_counter()
    fit_npmle(used["lower_months"], used["upper_months"], n_boot=DEFAULT_BOOT, seed=0)
    t[f"npmle+{DEFAULT_BOOT} boot"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    responder_rates(cohort)
    t["responder rates"] = time.perf_counter() - t0
    t["total"] = sum(t.values())
    return t


def main() -> None:
    print(f"outcomes analyze benchmark: Python {platform.python_version()}, {platform.machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (10_000, 100_000):
            sim = simulate_cohort(n, seed=2)
            path, events = Path(tmp) / f"f{n}.csv", Path(tmp) / f"e{n}.csv"
            sim.assessments.to_csv(path, index=False, date_format="%Y-%m-%d")
            sim.events.to_csv(events, index=False, date_format="%Y-%m-%d")
            t = stage_times(path, events)
            stages = ", ".join(f"{k} {v:.2f}" for k, v in t.items())
            print(f"{n:>9,} procedures, {len(sim.assessments):>9,} assessments: {stages} s")
    for n in (100_000, 1_000_000):
        d = simulate_intervals(n, seed=0)
        t0 = time.perf_counter()
        c = fit_npmle(d["lower_months"], d["upper_months"], n_boot=DEFAULT_BOOT, seed=0)
        dt = time.perf_counter() - t0
        print(
            f"NPMLE + {DEFAULT_BOOT} bootstrap resamples, {n:>9,} intervals: {dt:.2f} s "
            f"(median {c.median.estimate:.2f} months, "
            f"{np.isfinite(d['upper_months']).mean():.0%} losses seen)"
        )


if __name__ == "__main__":
    main()
