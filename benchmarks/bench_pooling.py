"""Pooling three sites: exact against protected summaries, and the time it takes.

A simulated cohort is split into three sites by patient; each site is
analysed and summarised (``site_summary``) exactly (min_cell 0) and with the
default protection (min_cell 5), then pooled. Prints, per cohort size, the
pooled relief probabilities, median and 12-month responder rate of both,
the patients whose histories a site withheld, and the seconds taken.

    .venv/bin/python benchmarks/bench_pooling.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from outcomes import analyze
from outcomes.datasets import simulate_cohort
from outcomes.pooling import pool
from outcomes.sitesummary import site_summary


def main() -> None:
    for n in (300, 3_000, 30_000):
        sim = simulate_cohort(n, seed=7)
        a, e = sim.assessments, sim.events
        patients = a["patient_id"].unique()
        site = dict(zip(patients, np.arange(patients.size) % 3, strict=True))
        with tempfile.TemporaryDirectory() as tmp:
            parts = []
            for s in range(3):
                f, ev = Path(tmp) / f"{s}.csv", Path(tmp) / f"{s}_e.csv"
                a[a["patient_id"].map(site) == s].to_csv(f, index=False)
                e[e["patient_id"].map(site) == s].to_csv(ev, index=False)
                parts.append(analyze(f, events=ev, n_boot=0))
        line = [f"{n:>7,} procedures:"]
        for k in (0, 5):
            t0 = time.perf_counter()
            sums = [site_summary(p, site=f"site {i}", min_cell=k) for i, p in enumerate(parts)]
            t_share = time.perf_counter() - t0
            t0 = time.perf_counter()
            pooled = pool(sums, n_boot=200)
            t_pool = time.perf_counter() - t0
            s = pooled.curve.relief_at.set_index("months")["estimate"]
            rr = pooled.responder_rates.set_index("months")
            lost = sum(
                int(x["protection"]["histories_withheld_patients"].split()[-1])
                if x["protection"]["histories_withheld_patients"][0].isdigit()
                else 4
                for x in sums
            )
            line.append(
                f"  min_cell {k}: S(6) {s[6.0]:.3f} S(12) {s[12.0]:.3f} S(24) {s[24.0]:.3f}, "
                f"median {pooled.curve.median.estimate:.2f} mo, responders 12 mo "
                f"{int(rr.loc[12.0, 'responders'])}/{int(rr.loc[12.0, 'assessed'])}, "
                f"histories withheld <= {lost} patients, history lines "
                f"{sum(len(x['histories']) for x in sums):,}; share {t_share:.2f} s, "
                f"pool (200 resamples) {t_pool:.2f} s"
            )
        print("\n".join(line), flush=True)


if __name__ == "__main__":
    main()
