"""Time the figures and the report tables at registry scale.

Run ``.venv/bin/python benchmarks/bench_figures.py``. For simulated cohorts of
10^3, 10^4 and 10^5 procedures (analysed by joint with 200 bootstrap
resamples) it prints the seconds each figure takes to draw and save in the
lecture style (PNG) and the journal style (PDF + SVG), and the report tables.
The rendered report adds a kernel start and HTML conversion (about 5 s on the
sample). Nothing is asserted: speed is reported, not tested.
"""

from __future__ import annotations

import itertools
import platform
import tempfile
import time
from pathlib import Path

from outcomes import analyze, tables
from outcomes.benchmark import compare_joints
from outcomes.datasets import simulate_cohort
from outcomes.io import read_events, read_followup
from outcomes.report import write_figures
from outcomes.schema import validate


def main() -> None:
    print(f"outcomes figures benchmark: Python {platform.python_version()}, {platform.machine()}")
    for n in (1_000, 10_000, 100_000):
        sim = simulate_cohort(n, seed=1)
        with tempfile.TemporaryDirectory() as tmp:
            f, e = Path(tmp) / "f.csv", Path(tmp) / "e.csv"
            sim.assessments.to_csv(f, index=False)
            sim.events.to_csv(e, index=False)
            cohort = validate(read_followup(f), read_events(e)).raise_for_errors()
            t0 = time.perf_counter()
            result = analyze(cohort, by="joint")
            t_an = time.perf_counter() - t0
            times = {}
            for style in ("lecture", "journal"):
                stamps = [("", time.perf_counter())]
                write_figures(
                    result,
                    Path(tmp) / style,
                    style=style,
                    comparisons=compare_joints(result),
                    progress=lambda name: stamps.append((name.strip(), time.perf_counter())),  # noqa: B023
                )
                for (_, start), (name, end) in itertools.pairwise(stamps):
                    times[f"{name}/{style[0]}"] = end - start
            t0 = time.perf_counter()
            tables.table_one(result)
            tables.landmark_table(result)
            tables.complications_table(result)
            t_tab = time.perf_counter() - t0
        figs = ", ".join(f"{k} {v:.2f}" for k, v in times.items())
        print(
            f"{n:>8,} procedures: analyze {t_an:.2f} s; tables {t_tab:.2f} s; "
            f"figures (s; l = lecture PNG, j = journal PDF+SVG) {figs}; "
            f"all figures {sum(times.values()):.1f} s"
        )


if __name__ == "__main__":
    main()
