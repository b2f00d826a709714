"""Shared helpers: small clean cohorts and a way to compare loaded cohorts."""

from __future__ import annotations

import pandas as pd

from outcomes.schema import Cohort

IDENTITY = ["patient_id", "procedure_date", "joint", "side"]


def cohort_signature(cohort: Cohort) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The content of a cohort, independent of row order and internal numbering."""
    procs = cohort.procedures
    cols = [c for c in [*IDENTITY, "technique", *cohort.covariates] if c in procs]
    p = procs[cols].sort_values(IDENTITY).reset_index(drop=True)
    a = cohort.assessments.merge(procs[IDENTITY], left_on="procedure", right_index=True)[
        [*IDENTITY, "days_after", "instrument", "score"]
    ]
    a = a.sort_values([*IDENTITY, "days_after", "instrument"]).reset_index(drop=True)
    a["score"] = a["score"].astype(float)
    return p, a


def assert_same_cohort(a: Cohort, b: Cohort) -> None:
    pa, aa = cohort_signature(a)
    pb, ab = cohort_signature(b)
    pd.testing.assert_frame_equal(pa, pb, check_dtype=False)
    pd.testing.assert_frame_equal(aa, ab, check_dtype=False)
