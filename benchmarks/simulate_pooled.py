"""Bias and coverage of the pooled analysis of 3 sites, exact and protected summaries.

Run ``.venv/bin/python benchmarks/simulate_pooled.py [COHORTS]``. Each cohort
has 3 sites of 150 procedures whose relief lasts Weibull(shape 1.5, scale 12
months), visits at 1, 3, 6, 12, 18 and 24 months (+-10%, whole days), 10%
missed, 10% drop-out a year, patients with several procedures (35% a second
knee the same day, 25% a repeat; within-patient correlation 0.6), as the
clustered setting of benchmarks/simulate_patients.py
(``outcomes.datasets.simulate_intervals``, one call per site, so sites split
by patient). Each site's relief histories become a site summary
(``outcomes.sitesummary._histories``; the other tables are left empty) with
``min_cell`` 0 (exact) and 5 (the default protection), and
``outcomes.pooling.pool`` fits the pooled NPMLE with 200 patient resamples.
Prints mean error and 95% CI coverage of S(t) at 3, 6, 12 and 24 months (at
the landmark's whole day) and of the median (months), coverage over the
cohorts where the quantity was estimated, the mean patients withheld per
cohort, and the seconds per cohort.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np
import pandas as pd

from outcomes.datasets import simulate_intervals
from outcomes.endpoints import ReliefDefinition
from outcomes.pooling import pool
from outcomes.sitesummary import _histories
from outcomes.survival import landmark_months

SHAPE, SCALE, PER_SITE, SITES, BOOT = 1.5, 12.0, 150, 3, 200
CLUSTERED = {"p_missed": 0.10, "p_bilateral": 0.35, "p_repeat": 0.25, "correlation": 0.6}
LANDMARKS = [3.0, 6.0, 12.0, 18.0, 24.0]
MARKS = (3.0, 6.0, 12.0, 24.0)
MIN_CELLS = (0, 5)


def summary(d: pd.DataFrame, site: str, k: int) -> tuple[dict[str, Any], int]:
    """A minimal site summary of the relief histories in ``d``; and patients withheld."""
    relief = pd.DataFrame(
        {
            "lower_months": d["lower_months"],
            "upper_months": d["upper_months"],
            "patient": d["patient"],
            "joint": None,
            "technique": None,
            "excluded": None,
        }
    )
    lines, notes, withheld = _histories(relief, k)
    n, m = int(d["patient"].nunique()), len(d)
    return {
        "format": "outcomes-site-summary",
        "version": 1,
        "site": site,
        "min_cell": k,
        "definition": ReliefDefinition().to_dict(),
        "instrument": "nrs",
        "landmarks_months": LANDMARKS,
        "histories": lines,
        "responders": [],
        "competing": [],
        "profiles": [],
        "patients": {"all": n, "by_joint": {}},
        "counts": {
            "patients": n,
            "procedures": m,
            "analysed": m,
            "initial_responders": m,
            "losses": 0,
            "censored": 0,
            "excluded": {},
        },
        "complications": {},
        "protection": {
            "min_cell": k,
            "steps": notes,
            "histories_withheld_patients": str(withheld),
        },
    }, withheld


def main(cohorts: int) -> None:
    survival = np.exp(-((landmark_months(MARKS) / SCALE) ** SHAPE))
    target = np.r_[survival, SCALE * np.log(2) ** (1 / SHAPE)]
    rows: dict[int, list[np.ndarray]] = {k: [] for k in MIN_CELLS}
    withheld: dict[int, list[int]] = {k: [] for k in MIN_CELLS}
    t0 = time.perf_counter()
    for seed in range(cohorts):
        data = [
            simulate_intervals(
                PER_SITE, shape=SHAPE, scale_months=SCALE, seed=SITES * seed + s, **CLUSTERED
            )
            for s in range(SITES)
        ]
        for k in MIN_CELLS:
            made = [summary(d, f"site {s + 1}", k) for s, d in enumerate(data)]
            withheld[k].append(sum(w for _, w in made))
            c = pool([s for s, _ in made], n_boot=BOOT, seed=seed).curve
            r = c.relief_at.set_index("months").loc[list(MARKS)]
            est = np.r_[r["estimate"], c.median.estimate]
            lo = np.r_[r["lower"], c.median.lower]
            hi = np.r_[r["upper"], c.median.upper]
            hit = ((lo <= target) & (target <= hi)).astype(float)
            rows[k].append(np.c_[est - target, np.where(np.isfinite(est), hit, np.nan)])
    secs = (time.perf_counter() - t0) / cohorts
    print(
        f"{cohorts} cohorts of {SITES} sites x {PER_SITE} procedures, Weibull({SHAPE}, {SCALE} "
        f"months), clustered, {BOOT} resamples; {secs:.1f} s per cohort"
    )
    head = "".join(f" {'err k=' + str(k):>9} {'cover':>6}" for k in MIN_CELLS)
    print(f"{'':>8} {'truth':>7}{head}")
    labels = [f"S({m:g})" for m in MARKS] + ["median"]
    arr = {k: np.array(v) for k, v in rows.items()}
    for i, lab in enumerate(labels):
        cells = "".join(
            f" {np.nanmean(arr[k][:, i, 0]):>+9.4f} {np.nanmean(arr[k][:, i, 1]):>6.3f}"
            for k in MIN_CELLS
        )
        print(f"{lab:>8} {target[i]:>7.3f}{cells}")
    print(
        "patients withheld per cohort: "
        + ", ".join(f"k={k} {np.mean(withheld[k]):.1f}" for k in MIN_CELLS)
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
