"""Time of the relief curve with patient-level intervals, from 10^4 to 10^6 procedures.

Run ``.venv/bin/python benchmarks/bench_relief_ci.py [--quick]``. Data from
``outcomes.datasets.simulate_intervals`` (visits at 1, 3, 6, 12, 18 and 24
months +-10%, whole days: about 50,000 distinct intervals at 10^6): one
procedure per patient, and patients with several procedures (35% bilateral,
25% repeats, within-patient correlation 0.6). Timed, best of 2 runs,
wall-clock seconds: the point fit (``_npmle.turnbull``) and ``fit_npmle`` as
``analyze`` calls it: point fit, 200 bootstrap resamples of patients, the
restricted mean's 100-group jackknife of patients and the smooth curve for
the median. The figures are quoted in docs/methods.md.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np

from outcomes import _npmle
from outcomes.datasets import simulate_intervals
from outcomes.survival import fit_npmle

CLUSTERED = {"p_bilateral": 0.35, "p_repeat": 0.25, "correlation": 0.6}


def best(run: Callable[[], object], repeat: int = 2) -> float:
    times = []
    for _ in range(repeat):  # a couple of runs: the best is the least disturbed
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(quick: bool) -> None:
    sizes = (10_000, 100_000) if quick else (10_000, 100_000, 1_000_000)
    print("NPMLE with 200 patient resamples, the jackknife and the smooth curve (seconds)")
    print(f"{'procedures':>10} {'patients':>9} {'distinct':>9} {'point fit':>10} {'fit_npmle':>10}")
    for kind, kw in (("one each", {}), ("clustered", CLUSTERED)):
        print(f"-- patients: {kind}")
        for n in sizes:
            d = simulate_intervals(n, seed=0, **kw)
            lo, hi = d["lower_months"].to_numpy(), d["upper_months"].to_numpy()
            patient = d["patient"].to_numpy()
            distinct = np.unique(np.column_stack([lo, hi]), axis=0).shape[0]
            point = best(lambda lo=lo, hi=hi: _npmle.turnbull(lo, hi))
            full = best(lambda lo=lo, hi=hi, p=patient: fit_npmle(lo, hi, cluster=p))
            pats = np.unique(patient).size
            print(f"{n:>10,} {pats:>9,} {distinct:>9,} {point:>10.2f} {full:>10.2f}")


if __name__ == "__main__":
    main("--quick" in sys.argv[1:])
