"""Bias and coverage of the relief estimators on simulated cohorts.

Run ``.venv/bin/python benchmarks/simulate_coverage.py [COHORTS]``. Each cohort
has 300 initial responders whose relief lasts Weibull(shape 1.5, scale 12
months); loss is only seen at visits at 1, 3, 6, 12, 18 and 24 months (+-10%,
whole days), 15% of visits are missed and 10% drop out per year
(``outcomes.datasets.simulate_intervals``). Prints, for the NPMLE with 200
bootstrap resamples (its median from the smooth curve) and for the naive
Kaplan-Meier (loss dated at the visit that found it): mean error and 95% CI
coverage of S(t) at the visits, of the median and of the restricted mean up
to 24 months, coverage over the cohorts where the quantity was estimated.
Figures are quoted in docs/methods.md; benchmarks/simulate_median.py has the
median's 13 settings.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from scipy.integrate import quad

from outcomes.datasets import simulate_intervals
from outcomes.survival import fit_km, fit_npmle, landmark_months

SHAPE, SCALE, N, BOOT, TAU = 1.5, 12.0, 300, 200, 24.0
VISITS = (3.0, 6.0, 12.0, 18.0, 24.0)


def main(cohorts: int) -> None:
    # estimates are at each landmark's whole day (3 months is day 91, 24 months day 730)
    truth = np.exp(-((landmark_months(VISITS) / SCALE) ** SHAPE))
    median = SCALE * np.log(2) ** (1 / SHAPE)
    rmst = quad(lambda t: np.exp(-((t / SCALE) ** SHAPE)), 0, float(landmark_months(TAU)))[0]
    rows: dict[str, list[np.ndarray]] = {"npmle": [], "km": []}
    t0 = time.perf_counter()
    for seed in range(cohorts):
        d = simulate_intervals(N, shape=SHAPE, scale_months=SCALE, seed=seed)
        fits = {
            "npmle": fit_npmle(
                d["lower_months"],
                d["upper_months"],
                landmarks_months=VISITS,
                tau_months=TAU,
                n_boot=BOOT,
                seed=seed,
            ),
            "km": fit_km(
                d["visit_found_months"],
                np.isfinite(d["upper_months"]),
                landmarks_months=VISITS,
                tau_months=TAU,
            ),
        }
        for name, c in fits.items():
            r = c.relief_at
            est = np.r_[r["estimate"], c.median.estimate, c.rmst.estimate]
            lo = np.r_[r["lower"], c.median.lower, c.rmst.lower]
            hi = np.r_[r["upper"], c.median.upper, c.rmst.upper]
            target = np.r_[truth, median, rmst]
            covered = ((lo <= target) & (target <= hi)).astype(float)
            # not estimated (e.g. follow-up short of tau): left out, not counted as a miss
            rows[name].append(np.c_[est - target, np.where(np.isfinite(est), covered, np.nan)])
    print(
        f"{cohorts} cohorts of {N}, Weibull({SHAPE}, {SCALE} months), "
        f"{time.perf_counter() - t0:.0f} s"
    )
    labels = [f"S({m:g})" for m in VISITS] + ["median", f"RMST({TAU:g})"]
    print(f"{'':>10} {'truth':>7} {'NPMLE err':>10} {'cover':>6} {'KM err':>8} {'cover':>6}")
    target = np.r_[truth, median, rmst]
    a, b = np.array(rows["npmle"]), np.array(rows["km"])
    for i, lab in enumerate(labels):
        print(
            f"{lab:>10} {target[i]:>7.3f} {np.nanmean(a[:, i, 0]):>+10.4f} "
            f"{np.nanmean(a[:, i, 1]):>6.3f} {np.nanmean(b[:, i, 0]):>+8.4f} "
            f"{np.nanmean(b[:, i, 1]):>6.3f}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 400)
