"""A synthetic follow-up cohort with known truth, for tests, examples and benchmarks.

:func:`simulate_cohort` draws pain clinic follow-up after joint (knee, hip,
shoulder) denervation: a long table of 0-10 NRS pain scores at scheduled
visits, an events table (repeat procedures, knee replacement, complications,
death, withdrawal) and the truth behind them (who responded and for how many
months). Every random quantity comes from one ``numpy.random.Generator`` seeded
by the caller, and every date is fixed by :class:`SimulationParameters`, never
by today's date, so a seed always gives the same cohort.

The scores are built so that the usual 50% responder rule recovers the truth
exactly at every visit on or after day 14: while a procedure is in relief its
score is at most ``floor(baseline / 2)``; otherwise it is above ``baseline / 2``.
Only the early "2w" visit (days 7-13 by default) departs from this, through
the post-procedure flare.

Drop-out is informative, as in a clinic: a patient found without relief at a
visit often stops attending (``SimulationParameters.p_stop_after_loss``),
while patients in relief keep coming, so responder rates among those assessed
overstate how long relief lasts.

Everything is vectorised over procedures; the only Python loops run over
visits, repeat generations, joints or (joint, technique) groups.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "SimulatedCohort",
    "SimulationParameters",
    "simulate_cohort",
    "simulate_intervals",
    "write_sample",
]

_JOINTS = ("knee", "hip", "shoulder")
_TECHNIQUES = ("conventional_rfa", "cooled_rfa", "pulsed_rf", "chemical")
_SIDES = ("left", "right")
_SEXES = ("F", "M")
# Column order is the tie-break: a death on the day of the 24-month visit ends as "death".
_END_REASONS = (
    "death",
    "surgery",
    "withdrawal",
    "lost_to_follow_up",
    "completed",
    "data_cut",
    "repeat_procedure",
)
_DAYS_PER_YEAR = 365.25
_DAYS_PER_MONTH = _DAYS_PER_YEAR / 12
_EPOCH = np.datetime64("1970-01-01", "D")
_NEVER = np.iinfo(np.int64).max  # a day that never comes (no stop)
_PROCEDURE_COLUMNS = (
    "patient_id",
    "procedure_id",
    "procedure_date",
    "joint",
    "side",
    "technique",
    "age",
    "sex",
    "bmi",
    "kl_grade",
)
Array = np.ndarray[Any, Any]


def _default_techniques() -> dict[str, dict[str, float]]:
    return {
        "knee": {"conventional_rfa": 0.40, "cooled_rfa": 0.35, "pulsed_rf": 0.05, "chemical": 0.20},
        "hip": {"conventional_rfa": 0.45, "cooled_rfa": 0.40, "pulsed_rf": 0.10, "chemical": 0.05},
        "shoulder": {
            "conventional_rfa": 0.15,
            "cooled_rfa": 0.05,
            "pulsed_rf": 0.80,
            "chemical": 0.0,
        },
    }


def _default_weibull() -> dict[tuple[str, str], tuple[float, float]]:
    # Shape 0.9 throughout; scale = median / ln(2) ** (1 / 0.9), median in the comment.
    # The literature row each follows is in SimulationParameters' docstring.
    return {
        ("knee", "conventional_rfa"): (0.9, 11.3),  # median 7.5 months
        ("knee", "cooled_rfa"): (0.9, 19.5),  # 13.0
        ("knee", "pulsed_rf"): (0.9, 7.5),  # 5.0
        ("knee", "chemical"): (0.9, 12.0),  # 8.0
        ("hip", "conventional_rfa"): (0.9, 7.5),  # 5.0
        ("hip", "cooled_rfa"): (0.9, 21.0),  # 14.0
        ("hip", "pulsed_rf"): (0.9, 6.0),  # 4.0
        ("hip", "chemical"): (0.9, 9.0),  # 6.0
        ("shoulder", "conventional_rfa"): (0.9, 9.0),  # 6.0
        ("shoulder", "cooled_rfa"): (0.9, 13.5),  # 9.0
        ("shoulder", "pulsed_rf"): (0.9, 7.5),  # 5.0
        ("shoulder", "chemical"): (0.9, 7.5),  # 5.0 (no shoulder procedure is chemical)
    }


@dataclass(frozen=True)
class SimulationParameters:
    """The true parameters of the synthetic cohort.

    Defaults make a cohort that looks like a pain clinic's, consistent with the
    abstracts in ``shared/references/joint-denervation-literature.md`` (cited by
    their row id, e.g. kanjanapanang2025); they are plausible choices, not
    estimates, and a value that no row gives is called an assumption. Two
    things matter most for what the sample shows:

    - Knee relief among responders has a median of about 9 months (7.5 for
      conventional RFA, 13 for cooled RFA), with a long tail: about 20% of
      responders still have relief at 24 months.
    - Drop-out is informative: a patient whose pain has returned often stops
      attending (``p_stop_after_loss``) or comes back for a repeat
      (``p_repeat``), while patients in relief keep attending. So the responder
      rate among the knees assessed at a visit (what papers report) overstates
      relief: about 45% at 12 and 50% at 24 months, near the pooled 43% and
      58% of kanjanapanang2025, while only about a quarter of initial
      responders are still in relief at 24 months.

    Rates "per year" are the probability of the event within one year under a
    constant hazard.

    Parameters
    ----------
    joint_probabilities : Mapping[str, float]
        Share of patients by treated joint (``knee``, ``hip``, ``shoulder``).
        Assumption: knee denervation is the common one (most rows of the
        literature file are knee studies); 75% knee gives about 40-50 knees
        assessed at 24 months in a sample of 300 procedures.
    technique_probabilities : Mapping[str, Mapping[str, float]]
        Share of techniques within each joint. A patient's second knee and
        repeat procedures use the technique of the first procedure.
    response_probability : Mapping[str, float]
        Probability, by technique, that a procedure brings relief at all
        (a "responder"). Relief starts on the procedure day. Cooled RFA 0.65:
        kapural2019 (responders 65%). Conventional RFA 0.55: yildiz2023 (50%
        responders at 3 months, after some relief has already ended). Chemical
        0.55: yildiz2023 (phenol, 53.1% at 3 months). Pulsed RF 0.45: an
        assumption (non-ablative; pinto_bjane reports a mean NRS fall of only
        34.4% at 6 months).
    relief_weibull : Mapping[tuple[str, str], tuple[float, float]]
        Weibull (shape, scale in months since the procedure) of the duration
        of relief among responders, by (joint, technique); median = scale *
        ln(2) ** (1 / shape). Shape 0.9 throughout: a slowly falling hazard, as
        when relief that ends within months in some patients (pmc9441169,
        conventional RFA: mean 2.6 months) lasts beyond 2 years in others
        (kanjanapanang2025: 58% responders at 24 months among those assessed;
        nice2023: relief "up to 2 years", typically less). Knee: cooled RFA
        (0.9, 19.5), median 13 months, restricted mean over 24 months 13.5 and
        52% of responders in relief at 12 months (kapural2019: mean relief 12.5
        months; pmc9441169: mean 11.1 months, 46% of all treated at 12 months);
        conventional RFA (0.9, 11.3), median 7.5, shorter than cooled as in
        pmc9441169 (2.6 vs 11.1 months; 8.8% vs 46% at 12 months), with 57% of
        responders in relief at 6 months (kose2022: 62% with relief lasting 6
        months or more); chemical (0.9, 12.0), median 8 (shaikh2023: 43.5%
        responders at a mean 9.9 months); pulsed RF (0.9, 7.5), median 5, an
        assumption. Hip: cooled RFA (0.9, 21.0), median 14 (hip2021: 69%
        responders at 6 months, 52% at 12); conventional RFA (0.9, 7.5), median
        5 (karaoglu2024: NRS 8.9 before, 5.1 at 3 months and 5.8 at 6, so most
        relief has gone by 6 months); pulsed RF and chemical shorter, an
        assumption. Shoulder: pulsed RF (0.9, 7.5), median 5 (pinto_bjane: NRS
        fell 34.4% at 6 months); the others an assumption. A responder whose
        relief ends before the first visit on or after day 14 (e.g. 15% of
        shoulder pulsed RF responders end before day 30) is seen as a
        non-responder there; ``responder`` in the truth is the latent state.
    p_right_side : float
        Probability that the (first) treated side is the right.
    p_female : float
        Probability that a patient is female.
    age_mean, age_sd : float
        Normal age at the first procedure, years.
    age_range : tuple[float, float]
        Ages are clipped to this range, years.
    bmi_mean, bmi_sd : float
        Normal body-mass index, kg/m^2, constant per patient.
    bmi_range : tuple[float, float]
        BMI is clipped to this range, kg/m^2.
    kl_grade_probabilities : Mapping[int, float]
        Kellgren-Lawrence radiographic grade (2-4) of the treated joint side.
    p_bilateral_knee : float
        Probability that a knee patient has both knees treated, as two
        procedures.
    p_bilateral_same_day : float
        Probability that both knees are treated on the same day; otherwise the
        second knee follows after ``bilateral_delay_days``.
    bilateral_delay_days : tuple[int, int]
        Inclusive range of the delay to the second knee, days.
    baseline_nrs_mean, baseline_nrs_sd : float
        Normal baseline pain, rounded and clipped to ``baseline_nrs_range``,
        0-10 NRS.
    baseline_nrs_range : tuple[int, int]
        Inclusive range of baseline pain, 0-10 NRS.
    p_flare : float
        Probability that the flare visit shows a post-procedure flare: a score
        between 15% below and 35% above baseline whatever the relief status.
    visit_months : Mapping[str, float]
        Follow-up visits, label to nominal months since the procedure, in
        order. Nominal day = round(months * 30.4375).
    flare_visit : str
        The early visit at which the flare can show.
    flare_visit_days : tuple[int, int]
        Inclusive range of the flare visit day, days since the procedure;
        must end before ``response_day``.
    response_day : int
        First day since the procedure at which relief is judged, days.
    visit_jitter : float
        Other visits fall uniformly within +/- this fraction of the nominal
        day, rounded to whole days.
    baseline_days_before : tuple[int, int]
        Inclusive range of days before the procedure of the baseline visit.
    p_missed_visit : float
        Probability that a follow-up visit is missed (the baseline never is),
        whatever the relief: an assumption.
    p_stop_after_loss : Mapping[float, float]
        Informative drop-out. After each attended visit (from
        ``response_day`` on) that finds no relief, because relief has ended
        or never came, the patient stops attending that procedure's visits
        with this probability: every later visit is missed, though the
        patient may still come back for a repeat (``p_repeat``). Keyed by
        months since the procedure: a visit uses the entry with the largest
        key at or below its nominal months (0 if none). Default 0.4 before
        12 months and 0.9 from the 12-month visit on, where many clinics end
        the routine schedule (the literature file's schedules: "1, 3, 6, 12
        months with optional 18 and 24") and patients without relief are
        mostly discharged. The values are assumptions, set so that the
        responder rates among those assessed (completers) come near the
        pooled 43% at 12 months and 58% at 24 months of kanjanapanang2025,
        while patients in relief keep attending. Probabilities in [0, 1],
        keys in months >= 0.
    start_date, enrolment_end : datetime.date
        First procedures fall uniformly between these dates; no procedure
        (second knee, repeat) is done after ``enrolment_end``. Defaults
        2018-01-01 to 2023-12-31: with the data cut 18 months after the end,
        most procedures can reach their 24-month visit, the time of the
        pooled 24-month figure (kanjanapanang2025).
    data_cut : datetime.date
        Administrative end of follow-up: nothing after it is recorded.
    dropout_per_year, death_per_year, withdrawal_per_year : float
        Patient-level competing ends of follow-up, counted from the first
        procedure, whatever the relief. Drop-out is not recorded as an event
        (the clinic does not know); death and withdrawal are. Background
        drop-out 3% a year is low on purpose (an assumption): most drop-out
        follows loss of relief (``p_stop_after_loss``).
    knee_replacement_per_year : float
        Knee replacement of a treated knee, counted from its first procedure;
        ends follow-up of that knee and is recorded as event ``surgery``.
    p_repeat : float
        Probability that a responder whose relief ends while still followed is
        offered a repeat on the same joint and side (hip2021 reports repeats
        with similar relief; the 30% is an assumption).
    repeat_delay_days : tuple[int, int]
        Inclusive range of days from loss of relief to the repeat. The lower
        bound of 35 keeps the repeat's baseline visit after the loss; the
        upper bound of 120 (an assumption) brings most repeats before the
        next scheduled visit of the original procedure.
    max_repeats : int
        Largest number of repeats on one joint side.
    complication_probabilities : Mapping[str, float]
        Probability per procedure of each complication (independent).
    complication_delay_days : tuple[int, int]
        Inclusive range of days after the procedure that a complication is
        recorded.
    """

    joint_probabilities: Mapping[str, float] = field(
        default_factory=lambda: {"knee": 0.75, "hip": 0.17, "shoulder": 0.08}
    )
    technique_probabilities: Mapping[str, Mapping[str, float]] = field(
        default_factory=_default_techniques
    )
    response_probability: Mapping[str, float] = field(
        default_factory=lambda: {
            "conventional_rfa": 0.55,
            "cooled_rfa": 0.65,
            "pulsed_rf": 0.45,
            "chemical": 0.55,
        }
    )
    relief_weibull: Mapping[tuple[str, str], tuple[float, float]] = field(
        default_factory=_default_weibull
    )
    p_right_side: float = 0.5
    p_female: float = 0.6
    age_mean: float = 65.0
    age_sd: float = 9.0
    age_range: tuple[float, float] = (40.0, 90.0)
    bmi_mean: float = 30.0
    bmi_sd: float = 5.0
    bmi_range: tuple[float, float] = (18.5, 50.0)
    kl_grade_probabilities: Mapping[int, float] = field(
        default_factory=lambda: {2: 0.30, 3: 0.45, 4: 0.25}
    )
    p_bilateral_knee: float = 0.15
    p_bilateral_same_day: float = 0.4
    bilateral_delay_days: tuple[int, int] = (14, 120)
    baseline_nrs_mean: float = 7.3
    baseline_nrs_sd: float = 1.3
    baseline_nrs_range: tuple[int, int] = (5, 10)
    p_flare: float = 0.4
    visit_months: Mapping[str, float] = field(
        default_factory=lambda: {
            "2w": 0.5,
            "1m": 1.0,
            "3m": 3.0,
            "6m": 6.0,
            "12m": 12.0,
            "18m": 18.0,
            "24m": 24.0,
        }
    )
    flare_visit: str = "2w"
    flare_visit_days: tuple[int, int] = (7, 13)
    response_day: int = 14
    visit_jitter: float = 0.10
    baseline_days_before: tuple[int, int] = (0, 30)
    p_missed_visit: float = 0.15
    p_stop_after_loss: Mapping[float, float] = field(default_factory=lambda: {0.0: 0.4, 12.0: 0.9})
    start_date: date = date(2018, 1, 1)
    enrolment_end: date = date(2023, 12, 31)
    data_cut: date = date(2025, 6, 30)
    dropout_per_year: float = 0.03
    death_per_year: float = 0.01
    withdrawal_per_year: float = 0.01
    knee_replacement_per_year: float = 0.04
    p_repeat: float = 0.3
    repeat_delay_days: tuple[int, int] = (35, 120)
    max_repeats: int = 3
    complication_probabilities: Mapping[str, float] = field(
        default_factory=lambda: {
            "infection": 0.002,
            "nerve_injury": 0.003,
            "bleeding": 0.003,
            "skin_burn": 0.001,
            "swelling": 0.05,
        }
    )
    complication_delay_days: tuple[int, int] = (1, 10)

    def __post_init__(self) -> None:
        problems = _check_parameters(self)
        if problems:
            raise ValueError("invalid SimulationParameters: " + "; ".join(problems))

    @property
    def visits(self) -> tuple[str, ...]:
        """Visit labels in schedule order, ``"baseline"`` first."""
        return ("baseline", *self.visit_months)


def _check_parameters(p: SimulationParameters) -> list[str]:
    """Return one message per inconsistent parameter (empty when all is well)."""
    out: list[str] = []

    def distribution(name: str, probs: Mapping[Any, float], allowed: tuple[Any, ...]) -> None:
        unknown = sorted(set(probs) - set(allowed), key=str)
        if unknown:
            out.append(f"{name}: unknown keys {unknown}, expected some of {list(allowed)}")
        values = list(probs.values())
        if any(not 0 <= v <= 1 for v in values) or not math.isclose(sum(values), 1.0):
            out.append(f"{name}: probabilities {dict(probs)} must lie in [0, 1] and sum to 1")

    distribution("joint_probabilities", p.joint_probabilities, _JOINTS)
    distribution("kl_grade_probabilities", p.kl_grade_probabilities, (0, 1, 2, 3, 4))
    for joint in _JOINTS:
        techniques = p.technique_probabilities.get(joint, {})
        distribution(f"technique_probabilities[{joint!r}]", techniques, _TECHNIQUES)
        for technique, prob in techniques.items():
            shape_scale = p.relief_weibull.get((joint, technique))
            if prob > 0 and (shape_scale is None or min(shape_scale) <= 0):
                out.append(f"relief_weibull: need positive (shape, scale) for {joint}/{technique}")
    for technique in _TECHNIQUES:
        if not 0 <= p.response_probability.get(technique, -1.0) <= 1:
            out.append(f"response_probability[{technique!r}] must be in [0, 1]")
    values = {f.name: getattr(p, f.name) for f in fields(p)}
    rates = {
        k: v
        for k, v in values.items()
        if (k.startswith("p_") or k.endswith("_per_year")) and not isinstance(v, Mapping)
    }
    rates["visit_jitter"] = p.visit_jitter
    rates.update({f"complication {k}": v for k, v in p.complication_probabilities.items()})
    out += [f"{k} = {v!r} must be in [0, 1)" for k, v in rates.items() if not 0 <= v < 1]
    stop = p.p_stop_after_loss
    if not isinstance(stop, Mapping):
        out.append(
            f"p_stop_after_loss = {stop!r} must map months to a probability, e.g. {{0: 0.4}}"
        )
    else:
        bad = {
            k: v
            for k, v in stop.items()
            if not (_is_number(k) and _is_number(v) and k >= 0 and 0 <= v <= 1)
        }
        if bad:
            out.append(
                f"p_stop_after_loss: {bad} needs months >= 0 as keys and probabilities in [0, 1]"
            )
    for name, (lo, hi) in ((k, v) for k, v in values.items() if isinstance(v, tuple)):
        if not 0 <= lo <= hi:
            out.append(f"{name} = {(lo, hi)} must satisfy 0 <= low <= high")
    if not 0 <= p.baseline_nrs_range[0] <= p.baseline_nrs_range[1] <= 10:
        out.append("baseline_nrs_range must lie within 0-10")
    if p.repeat_delay_days[0] <= p.baseline_days_before[1]:
        out.append("repeat_delay_days must start after baseline_days_before ends")
    if not p.start_date <= p.enrolment_end < p.data_cut:
        out.append("dates must satisfy start_date <= enrolment_end < data_cut")
    if p.flare_visit not in p.visit_months:
        out.append(f"flare_visit {p.flare_visit!r} is not in visit_months")
    elif p.flare_visit_days[1] >= p.response_day:
        out.append("flare_visit_days must end before response_day")
    previous_high = p.flare_visit_days[1] if p.flare_visit in p.visit_months else 0
    for label, months in p.visit_months.items():
        if label in ("baseline", p.flare_visit):
            continue
        lo, hi = _jitter_window(months, p.visit_jitter)
        if lo < max(p.response_day, previous_high + 1):
            out.append(f"visit {label!r}: day window {lo}-{hi} overlaps an earlier window")
        previous_high = hi
    if p.max_repeats < 0:
        out.append("max_repeats must be >= 0")
    return out


def _is_number(x: object) -> bool:
    return isinstance(x, int | float | np.integer | np.floating) and not isinstance(x, bool)


def _jitter_window(months: float, jitter: float) -> tuple[int, int]:
    nominal = round(months * _DAYS_PER_MONTH)
    return round(nominal * (1 - jitter)), round(nominal * (1 + jitter))


@dataclass(frozen=True, eq=False)  # comparing DataFrames with == is ambiguous
class SimulatedCohort:
    """A simulated cohort: what the clinic records and the truth behind it.

    Attributes
    ----------
    assessments : pandas.DataFrame
        Long table, one row per attended visit, columns in the canonical order:
        procedure-level columns (``age`` in years at the procedure, ``bmi`` in
        kg/m^2, ``kl_grade`` 2-4), ``visit`` label, ``assessment_date`` and the
        0-10 NRS ``score`` (``instrument`` is ``"nrs"``). Sorted by patient,
        procedure date, procedure and visit.
    events : pandas.DataFrame
        ``patient_id, procedure_id, event, event_date, detail``; events are
        ``repeat_procedure`` (detail: the repeat's procedure_id), ``surgery``
        (``knee_replacement``), ``complication`` (its kind), ``death`` and
        ``withdrawal`` (no detail).
    truth : pandas.DataFrame
        One row per procedure, in the order of :meth:`to_wide`:
        ``responder`` (bool), ``relief_months`` (months since the procedure,
        NaN for non-responders), ``loss_date`` (first day without relief, NaT
        for non-responders; may fall after follow-up ends),
        ``followup_end_date`` and ``end_reason`` (``lost_to_follow_up``: the
        background drop-out, or the patient stopped attending after a visit
        without relief, whose date is then the end).
    params : SimulationParameters
        The parameters the cohort was drawn from.
    """

    assessments: pd.DataFrame
    events: pd.DataFrame
    truth: pd.DataFrame
    params: SimulationParameters

    def to_wide(self) -> pd.DataFrame:
        """One row per procedure, as a clinic spreadsheet holds it.

        Returns
        -------
        pandas.DataFrame
            The procedure-level columns, then ``nrs_<visit>`` (nullable Int64,
            0-10 NRS) and ``date_<visit>`` (datetime64, NaT when missed) for
            every visit in schedule order, baseline first.
        """
        a = self.assessments
        codes, _ = pd.factorize(a["procedure_id"])
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        wide = a.iloc[starts][list(_PROCEDURE_COLUMNS)].reset_index(drop=True)
        visits = self.params.visits
        visit_code = pd.Categorical(a["visit"], categories=visits).codes
        n = len(wide)
        score = np.zeros((n, len(visits)), dtype=np.int64)
        seen = np.zeros((n, len(visits)), dtype=bool)
        when = np.full((n, len(visits)), np.datetime64("NaT"), dtype="datetime64[ns]")
        score[codes, visit_code] = a["score"].to_numpy()
        seen[codes, visit_code] = True
        when[codes, visit_code] = a["assessment_date"].to_numpy()
        columns: dict[str, Any] = {}
        for k, visit in enumerate(visits):
            columns[f"nrs_{visit}"] = pd.arrays.IntegerArray(score[:, k], ~seen[:, k])
            columns[f"date_{visit}"] = when[:, k]
        return pd.concat([wide, pd.DataFrame(columns)], axis=1)


def simulate_cohort(
    n_procedures: int = 300, seed: int = 0, params: SimulationParameters | None = None
) -> SimulatedCohort:
    """Simulate follow-up after joint denervation with a known truth.

    Patients are drawn one after another; each brings one procedure, a second
    knee for bilateral knee patients and repeats after loss of relief. The
    patients are taken in the order drawn until exactly ``n_procedures``
    procedures are held: the last patient may lose procedures that would have
    come later (like a data cut on that patient alone).

    Parameters
    ----------
    n_procedures : int
        Exact number of procedures, counting second knees and repeats.
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed, number and
        parameters always give the same cohort.
    params : SimulationParameters, optional
        True parameters; the defaults when omitted.

    Returns
    -------
    SimulatedCohort
        Assessments, events, truth and the parameters.
    """
    if isinstance(n_procedures, bool) or not isinstance(n_procedures, int | np.integer):
        raise TypeError(f"n_procedures must be an integer, got {n_procedures!r}")
    if n_procedures < 1:
        raise ValueError(f"n_procedures must be at least 1, got {n_procedures!r}")
    p = params if params is not None else SimulationParameters()
    rng = np.random.default_rng(seed)
    patients = _draw_patients(int(n_procedures), p, rng)
    procs = _draw_procedures(patients, p, rng)
    procs = _keep_first(procs, int(n_procedures))
    return _assemble(procs, patients, p, rng)


def _day(d: date) -> int:
    return int((np.datetime64(d, "D") - _EPOCH).astype(np.int64))


def _exp_days(rng: np.random.Generator, n: int, per_year: float) -> Array:
    """Whole days to an event with constant hazard; ``inf`` when the rate is 0."""
    e = rng.standard_exponential(n)
    if per_year == 0:
        return np.full(n, np.inf)
    return np.floor(e / (-math.log1p(-per_year) / _DAYS_PER_YEAR))


def _choice(
    rng: np.random.Generator, probs: Mapping[Any, float], keys: tuple[Any, ...], n: int
) -> Array:
    """Codes into ``keys`` drawn with ``probs`` (missing keys have probability 0)."""
    weights = np.array([probs.get(k, 0.0) for k in keys], dtype=float)
    return rng.choice(len(keys), size=n, p=weights / weights.sum())


def _draw_patients(n: int, p: SimulationParameters, rng: np.random.Generator) -> dict[str, Array]:
    start, end = _day(p.start_date), _day(p.enrolment_end)
    joint = _choice(rng, p.joint_probabilities, _JOINTS, n)
    technique = np.zeros(n, dtype=np.int64)
    for j, name in enumerate(_JOINTS):
        rows = np.flatnonzero(joint == j)
        if rows.size:
            technique[rows] = _choice(rng, p.technique_probabilities[name], _TECHNIQUES, rows.size)
    first = rng.integers(start, end + 1, n)
    return {
        "joint": joint,
        "technique": technique,
        "female": rng.random(n) < p.p_female,
        "age0": np.clip(rng.normal(p.age_mean, p.age_sd, n), *p.age_range),
        "bmi": np.round(np.clip(rng.normal(p.bmi_mean, p.bmi_sd, n), *p.bmi_range), 1),
        "first": first,
        "death": first + _exp_days(rng, n, p.death_per_year),
        "withdrawal": first + _exp_days(rng, n, p.withdrawal_per_year),
        "dropout": first + _exp_days(rng, n, p.dropout_per_year),
        "bilateral": (joint == 0) & (rng.random(n) < p.p_bilateral_knee),
    }


def _draw_procedures(
    pat: dict[str, Array], p: SimulationParameters, rng: np.random.Generator
) -> dict[str, Array]:
    """First procedures on each side, then up to ``max_repeats`` generations of repeats."""
    n = pat["joint"].size
    enrol_end = _day(p.enrolment_end)
    # Joint sides: slot 0 for every patient, slot 1 for the second knee.
    right = rng.random(n) < p.p_right_side
    same_day = rng.random(n) < p.p_bilateral_same_day
    delay = np.where(same_day, 0, rng.integers(*_incl(p.bilateral_delay_days), n))
    second = pat["first"] + delay
    patient_end = np.minimum.reduce([pat["death"], pat["withdrawal"], pat["dropout"]])
    has_second = pat["bilateral"] & (second <= enrol_end) & (second < patient_end)
    sp = np.r_[np.arange(n), np.flatnonzero(has_second)]
    side_date = np.r_[pat["first"], second[has_second]]
    is_knee = pat["joint"][sp] == 0
    surgery = np.where(
        is_knee, side_date + _exp_days(rng, sp.size, p.knee_replacement_per_year), np.inf
    )
    sides = {
        "patient": sp,
        "slot": np.r_[np.zeros(n, dtype=np.int64), np.ones(has_second.sum(), dtype=np.int64)],
        "right": np.r_[right, ~right[has_second]],
        "kl": np.array(sorted(p.kl_grade_probabilities))[
            _choice(rng, p.kl_grade_probabilities, tuple(sorted(p.kl_grade_probabilities)), sp.size)
        ],
        "surgery": surgery,
    }
    generation = {k: sides[k] for k in ("patient", "slot", "right", "kl", "surgery")}
    generation |= {"date": side_date, "gen": np.zeros(sp.size, dtype=np.int64)}
    generation["parent"] = np.full(sp.size, -1)
    generations = [_draw_outcomes(generation, pat, p, rng)]
    offset = 0
    for g in range(1, p.max_repeats + 1):
        last = generations[-1]
        size = last["date"].size
        repeat_date = (
            last["date"] + last["loss_off"] + rng.integers(*_incl(p.repeat_delay_days), size)
        )
        chosen = np.flatnonzero(
            last["responder"]
            & (rng.random(size) < p.p_repeat)
            & (repeat_date <= enrol_end)
            & (repeat_date < last["natural_end"])
        )
        if chosen.size == 0:
            break
        child = {k: last[k][chosen] for k in ("patient", "slot", "right", "kl", "surgery")}
        child |= {"date": repeat_date[chosen], "gen": np.full(chosen.size, g)}
        child["parent"] = offset + chosen
        offset += size
        generations.append(_draw_outcomes(child, pat, p, rng))
    return {k: np.concatenate([gen[k] for gen in generations]) for k in generations[0]}


def _incl(bounds: tuple[int, int]) -> tuple[int, int]:
    """Arguments of ``Generator.integers`` for an inclusive range."""
    return bounds[0], bounds[1] + 1


def _draw_outcomes(
    procs: dict[str, Array],
    pat: dict[str, Array],
    p: SimulationParameters,
    rng: np.random.Generator,
) -> dict[str, Array]:
    """Response, relief duration, visit days and natural end of follow-up."""
    size = procs["date"].size
    joint = pat["joint"][procs["patient"]]
    technique = pat["technique"][procs["patient"]]
    resp_p = np.array([p.response_probability[t] for t in _TECHNIQUES])[technique]
    responder = rng.random(size) < resp_p
    relief_days = np.full(size, np.nan)
    for (jname, tname), (shape, scale) in p.relief_weibull.items():
        rows = np.flatnonzero(
            responder & (joint == _JOINTS.index(jname)) & (technique == _TECHNIQUES.index(tname))
        )
        relief_days[rows] = scale * _DAYS_PER_MONTH * rng.weibull(shape, rows.size)
    # Relief holds on day t since the procedure iff t < relief_days, i.e. t < loss_off.
    loss_off = np.where(responder, np.ceil(np.nan_to_num(relief_days)), 0).astype(np.int64)
    offsets = np.empty((size, 1 + len(p.visit_months)), dtype=np.int64)
    offsets[:, 0] = -rng.integers(*_incl(p.baseline_days_before), size)
    for k, (label, months) in enumerate(p.visit_months.items(), start=1):
        if label == p.flare_visit:
            offsets[:, k] = rng.integers(*_incl(p.flare_visit_days), size)
        else:
            nominal = round(months * _DAYS_PER_MONTH)
            u = rng.uniform(-p.visit_jitter, p.visit_jitter, size)
            offsets[:, k] = np.round(nominal * (1 + u))
    attended, stop = _draw_attendance(procs["date"], offsets, loss_off, p, rng)
    candidates = np.column_stack(
        [
            pat["death"][procs["patient"]],
            procs["surgery"],
            pat["withdrawal"][procs["patient"]],
            pat["dropout"][procs["patient"]],
            procs["date"] + offsets[:, -1],
            np.full(size, _day(p.data_cut)),
        ]
    )
    reason = np.argmin(candidates, axis=1)
    natural_end = candidates[np.arange(size), reason].astype(np.int64)
    return procs | {
        "responder": responder,
        "relief_days": relief_days,
        "loss_off": loss_off,
        "offsets": offsets,
        "attended": attended,
        "stop": stop,
        "natural_end": natural_end,
        "reason": reason,
    }


def _draw_attendance(
    date_: Array, offsets: Array, loss_off: Array, p: SimulationParameters, rng: np.random.Generator
) -> tuple[Array, Array]:
    """Which scheduled visits are attended, and the day a patient stops attending.

    Every follow-up visit is missed with ``p_missed_visit``. After each attended
    visit from ``response_day`` on that finds no relief (relief lost, or never
    there), the patient stops attending that procedure with
    ``p_stop_after_loss``: all its later visits are missed. The stop day is
    that visit's day (``_NEVER`` when the patient never stops).
    """
    size, width = offsets.shape
    attended = np.ones((size, width), dtype=bool)
    attended[:, 1:] = rng.random((size, width - 1)) >= p.p_missed_visit
    without_relief = attended & (offsets >= p.response_day) & (offsets >= loss_off[:, None])
    stops = without_relief & (rng.random((size, width)) < _stop_probabilities(p)[None, :])
    rows, first = np.arange(size), np.argmax(stops, axis=1)  # first visit followed by a stop
    stopped, stop_off = stops[rows, first], offsets[rows, first]
    attended &= ~stopped[:, None] | (offsets <= stop_off[:, None])
    return attended, np.where(stopped, date_ + stop_off, _NEVER)


def _stop_probabilities(p: SimulationParameters) -> Array:
    """``p_stop_after_loss`` at each visit of ``p.visits`` (baseline first: 0)."""
    steps = sorted(p.p_stop_after_loss.items())
    months = [0.0, *p.visit_months.values()]
    out = np.zeros(len(months))
    for k, m in enumerate(months[1:], start=1):  # a handful of visits
        out[k] = next((prob for start, prob in reversed(steps) if start <= m), 0.0)
    return out


def _keep_first(procs: dict[str, Array], n: int) -> dict[str, Array]:
    """Keep the first ``n`` procedures in patient order and apply kept repeats."""
    order = np.lexsort((procs["gen"], procs["slot"], procs["date"], procs["patient"]))
    kept = np.sort(order[:n])
    new_index = np.full(procs["date"].size, -1)
    new_index[kept] = np.arange(n)
    out = {k: v[kept] for k, v in procs.items()}
    out["parent"] = np.where(out["parent"] >= 0, new_index[out["parent"]], -1)
    children = np.flatnonzero(out["parent"] >= 0)
    parents = out["parent"][children]
    out["end"] = out["natural_end"].copy()
    stopped = out["stop"] < out["end"]  # stopped attending after a visit without relief
    out["end"][stopped] = out["stop"][stopped]
    out["reason"][stopped] = _END_REASONS.index("lost_to_follow_up")
    out["end"][parents] = out["date"][children]
    out["reason"][parents] = _END_REASONS.index("repeat_procedure")
    return out


def _ids(prefix: str, numbers: Array, width: int) -> Array:
    text = np.char.zfill(numbers.astype(str), max(width, len(str(int(numbers.max(initial=0))))))
    return np.char.add(prefix, text).astype(object)


def _dates(days: Array) -> Array:
    return (_EPOCH + days.astype("timedelta64[D]")).astype("datetime64[ns]")


def _constant(value: object, n: int) -> Array:
    """An object array of ``n`` references to ``value`` (``np.full`` is 10x slower)."""
    out = np.empty(n, dtype=object)
    out.fill(value)
    return out


def _expit(x: Array) -> Array:
    return 1.0 / (1.0 + np.exp(-x))


def _assemble(
    procs: dict[str, Array],
    pat: dict[str, Array],
    p: SimulationParameters,
    rng: np.random.Generator,
) -> SimulatedCohort:
    n = procs["date"].size
    patient = procs["patient"]
    # Patient numbers follow the first procedure date, procedure numbers the procedure date.
    kept_patients = np.flatnonzero(np.bincount(patient, minlength=pat["first"].size))
    rank = np.full(pat["first"].size, -1)
    rank[kept_patients[np.lexsort((kept_patients, pat["first"][kept_patients]))]] = np.arange(
        kept_patients.size
    )
    prank = rank[patient]
    pr_order = np.lexsort((procs["gen"], procs["slot"], prank, procs["date"]))
    pr_number = np.empty(n, dtype=np.int64)
    pr_number[pr_order] = np.arange(1, n + 1)
    row = np.lexsort((pr_number, procs["date"], prank))  # final row order of procedures
    inverse = np.empty(n, dtype=np.int64)
    inverse[row] = np.arange(n)
    procs = {k: v[row] for k, v in procs.items()}
    procs["parent"] = np.where(procs["parent"] >= 0, inverse[procs["parent"]], -1)
    patient, prank, pr_number = procs["patient"], prank[row], pr_number[row]
    patient_id = _ids("P", prank + 1, 5)
    procedure_id = _ids("PR", pr_number, 6)
    date_, end = procs["date"], procs["end"]

    age = np.floor(pat["age0"][patient] + (date_ - pat["first"][patient]) / _DAYS_PER_YEAR)
    proc_cols: dict[str, Array] = {
        "patient_id": patient_id,
        "procedure_id": procedure_id,
        "procedure_date": _dates(date_),
        "joint": np.array(_JOINTS, dtype=object)[pat["joint"][patient]],
        "side": np.array(_SIDES, dtype=object)[procs["right"].astype(np.int64)],
        "technique": np.array(_TECHNIQUES, dtype=object)[pat["technique"][patient]],
        "age": age.astype(np.int64),
        "sex": np.array(_SEXES, dtype=object)[(~pat["female"][patient]).astype(np.int64)],
        "bmi": pat["bmi"][patient],
        "kl_grade": procs["kl"].astype(np.int64),
    }

    scores = _draw_scores(procs, p, rng)
    offsets = procs["offsets"]
    visit_day = date_[:, None] + offsets
    keep = procs["attended"] & (visit_day <= end[:, None])
    which, visit = np.nonzero(keep)  # row-major: procedures in order, visits in order
    columns = {k: v[which] for k, v in proc_cols.items()}
    columns["visit"] = np.array(p.visits, dtype=object)[visit]
    columns["assessment_date"] = _dates(visit_day[which, visit])
    columns["instrument"] = _constant("nrs", which.size)
    columns["score"] = scores[which, visit]
    # copy=False: the arrays are fresh, and consolidating them would double the time.
    assessments = pd.DataFrame(columns, copy=False)

    responder = procs["responder"]
    truth = pd.DataFrame(
        {
            "procedure_id": procedure_id,
            "responder": responder,
            "relief_months": procs["relief_days"] / _DAYS_PER_MONTH,
            "loss_date": pd.Series(_dates(date_ + procs["loss_off"])).where(responder),
            "followup_end_date": _dates(end),
            "end_reason": np.array(_END_REASONS, dtype=object)[procs["reason"]],
        }
    )
    events = _events(procs, p, rng, patient_id, procedure_id, prank)
    return SimulatedCohort(assessments, events, truth, p)


def _draw_scores(
    procs: dict[str, Array], p: SimulationParameters, rng: np.random.Generator
) -> Array:
    """0-10 NRS at every scheduled visit (baseline first), attended or not.

    In relief the score is at most ``floor(baseline / 2)``, otherwise above
    ``baseline / 2``, so a >= 50% reduction is relief, exactly. Each procedure
    has its own depth of relief and of partial improvement (a random effect),
    with visit-to-visit noise around it.
    """
    n, v = procs["offsets"].shape[0], procs["offsets"].shape[1] - 1
    lo, hi = p.baseline_nrs_range
    base = np.clip(np.round(rng.normal(p.baseline_nrs_mean, p.baseline_nrs_sd, n)), lo, hi)
    base = base.astype(np.int64)
    half = base // 2
    in_relief = procs["responder"][:, None] & (procs["offsets"][:, 1:] < procs["loss_off"][:, None])
    # In relief: a fraction x of the way from 0 to floor(b/2), typically 2-3 points for b = 7.
    x = _expit(1.0 + 0.8 * rng.standard_normal((n, 1)) + 0.6 * rng.standard_normal((n, v)))
    relief = np.minimum(np.floor((half + 1)[:, None] * x), half[:, None])
    # Not in relief: reduction from baseline between -30% and 50%, about 17% on average.
    d = 0.5 - 0.8 * _expit(
        -0.4 + 0.8 * rng.standard_normal((n, 1)) + 0.6 * rng.standard_normal((n, v))
    )
    none = np.ceil(base[:, None] * (1 - d))
    # Clipping guarantees the 50% rule whatever the rounding did, and the 0-10 range.
    follow = np.where(
        in_relief,
        np.clip(relief, 0, half[:, None]),
        np.clip(none, (half + 1)[:, None], 10),
    )
    # The flare visit: near or above baseline, whatever the relief, for a share of procedures.
    j = list(p.visit_months).index(p.flare_visit)
    flare = rng.random(n) < p.p_flare
    flare_score = np.clip(np.ceil(base * (1 + rng.uniform(-0.15, 0.35, n))), half + 1, 10)
    follow[:, j] = np.where(flare, flare_score, follow[:, j])
    scores = np.empty((n, v + 1), dtype=np.int64)
    scores[:, 0] = base
    scores[:, 1:] = follow
    return scores


def _events(
    procs: dict[str, Array],
    p: SimulationParameters,
    rng: np.random.Generator,
    patient_id: Array,
    procedure_id: Array,
    prank: Array,
) -> pd.DataFrame:
    n = procs["date"].size
    rows: list[Array] = []
    kinds: list[Array] = []
    days: list[Array] = []
    details: list[Array] = []

    def add(which: Array, event: str, day: Array, detail: Array | str | None) -> None:
        rows.append(which)
        kinds.append(_constant(event, which.size))
        days.append(day)
        details.append(detail if isinstance(detail, np.ndarray) else _constant(detail, which.size))

    children = np.flatnonzero(procs["parent"] >= 0)
    add(
        procs["parent"][children],
        "repeat_procedure",
        procs["date"][children],
        procedure_id[children],
    )
    for reason, detail in (("death", None), ("surgery", "knee_replacement"), ("withdrawal", None)):
        which = np.flatnonzero(procs["reason"] == _END_REASONS.index(reason))
        add(which, reason, procs["end"][which], detail)
    for kind, prob in p.complication_probabilities.items():
        day = procs["date"] + rng.integers(*_incl(p.complication_delay_days), n)
        which = np.flatnonzero((rng.random(n) < prob) & (day <= procs["end"]))
        add(which, "complication", day[which], kind)
    which = np.concatenate(rows)
    day = np.concatenate(days)
    event = np.concatenate(kinds)
    order = np.lexsort((event, which, day, prank[which]))
    which, day, event = which[order], day[order], event[order]
    return pd.DataFrame(
        {
            "patient_id": patient_id[which],
            "procedure_id": procedure_id[which],
            "event": event,
            "event_date": _dates(day),
            "detail": np.concatenate(details)[order],
        }
    )


def write_sample(out_dir: str | Path, n_procedures: int = 300, seed: int = 20240101) -> list[Path]:
    """Write the sample files a clinic would keep, from :func:`simulate_cohort`.

    Writes only ``followup_long.csv`` (dates ``YYYY-MM-DD``),
    ``followup_wide.xlsx`` (sheet ``followup``, dates as Excel dates) and
    ``events.csv`` into ``out_dir`` (created if needed), replacing those three
    files if present and touching nothing else. The truth is not written.

    Parameters
    ----------
    out_dir : str or Path
        Directory to write into.
    n_procedures : int
        Number of procedures, see :func:`simulate_cohort`.
    seed : int
        Random seed.

    Returns
    -------
    list of Path
        The three files written, in the order above.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cohort = simulate_cohort(n_procedures, seed)
    long_path, wide_path, events_path = (
        out / "followup_long.csv",
        out / "followup_wide.xlsx",
        out / "events.csv",
    )
    cohort.assessments.to_csv(long_path, index=False, date_format="%Y-%m-%d")
    wide = cohort.to_wide()
    with pd.ExcelWriter(wide_path, engine="openpyxl") as writer:
        wide.to_excel(writer, sheet_name="followup", index=False, freeze_panes=(1, 2))
        # The openpyxl writer ignores ExcelWriter(datetime_format=...) (pandas issue
        # 44284), so dates would show a 00:00:00 time: format the date columns here.
        sheet = writer.sheets["followup"]
        for k, column in enumerate(wide.columns, start=1):
            if pd.api.types.is_datetime64_dtype(wide[column]):
                for (cell,) in sheet.iter_rows(min_row=2, min_col=k, max_col=k):
                    cell.number_format = "YYYY-MM-DD"
    cohort.events.to_csv(events_path, index=False, date_format="%Y-%m-%d")
    return [long_path, wide_path, events_path]


def simulate_intervals(
    n: int,
    *,
    shape: float = 1.5,
    scale_months: float = 12.0,
    visits_months: tuple[float, ...] = (1, 3, 6, 12, 18, 24),
    jitter: float = 0.1,
    p_missed: float = 0.15,
    dropout_per_year: float = 0.1,
    p_bilateral: float = 0.0,
    p_repeat: float = 0.0,
    correlation: float = 0.0,
    seed: int = 0,
) -> pd.DataFrame:
    """Interval-censored durations from a known Weibull truth and a visit schedule.

    For checking estimators: relief lasts ``T ~ Weibull(shape, scale_months)``
    months; loss is only seen at attended visits (each visit day jittered by
    +-``jitter`` of its nominal day, whole days, missed with probability
    ``p_missed``, none after an exponential drop-out). Loss lies in
    (last attended visit before T, first attended visit at or after T]; with no
    visit after T it is right-censored at the last visit before T.

    With ``p_bilateral``, ``p_repeat`` or ``correlation`` set, procedures are
    grouped into patients: each patient has a first procedure, a second knee
    treated the same day with probability ``p_bilateral`` (same visit days,
    missed visits and drop-out as the first: one attendance for both) and a
    repeat procedure with probability ``p_repeat`` (its own visits). Durations
    of one patient's procedures share a patient effect: ``T = F^-1(Phi(Z))``
    with ``Z = sqrt(rho) U + sqrt(1 - rho) e`` (a Gaussian copula,
    ``rho = correlation``; each ``T`` is still Weibull). ``n`` counts
    procedures; the last patient may lose procedures to make it exact.

    Returns
    -------
    DataFrame
        ``lower_months``, ``upper_months`` (inf when censored), ``true_months``,
        ``visit_found_months`` (the visit that found the loss, as the naive
        Kaplan-Meier approach dates it; the censoring visit otherwise) and
        ``patient`` (0, 1, ...; one per row unless clustered).
    """
    rng = np.random.default_rng(seed)
    clustered = p_bilateral > 0 or p_repeat > 0 or correlation > 0
    if not clustered:
        true = scale_months * rng.weibull(shape, n)
        patient = np.arange(n)
        copy_of = np.arange(n)
    else:
        true, patient, copy_of = _clustered_durations(
            rng, n, shape, scale_months, p_bilateral, p_repeat, correlation
        )
    nominal = np.round(np.asarray(visits_months, dtype=float) * _DAYS_PER_MONTH)
    days = np.round(nominal * (1 + rng.uniform(-jitter, jitter, (n, nominal.size))))
    months = days / _DAYS_PER_MONTH
    dropout = (
        rng.exponential(12.0 / dropout_per_year, n) if dropout_per_year > 0 else np.full(n, np.inf)
    )
    attended = (rng.random((n, nominal.size)) >= p_missed) & (months <= dropout[:, None])
    # a second knee treated the same day shares the first one's attendances
    months, attended = months[copy_of], attended[copy_of]
    before = attended & (months < true[:, None])
    after = attended & (months >= true[:, None])
    lower = np.where(before, months, 0.0).max(axis=1)
    upper = np.where(after, months, np.inf).min(axis=1)
    return pd.DataFrame(
        {
            "lower_months": lower,
            "upper_months": upper,
            "true_months": true,
            "visit_found_months": np.where(np.isfinite(upper), upper, lower),
            "patient": patient,
        }
    )


def _clustered_durations(
    rng: np.random.Generator,
    n: int,
    shape: float,
    scale_months: float,
    p_bilateral: float,
    p_repeat: float,
    correlation: float,
) -> tuple[Array, Array, Array]:
    """Weibull durations of ``n`` procedures grouped into patients (see simulate_intervals).

    Returns the durations, each procedure's patient and, for a same-day second
    knee, the row whose visits it shares (its own row otherwise).
    """
    from scipy.special import log_ndtr

    if not 0 <= correlation < 1:
        raise ValueError(f"correlation must be in [0, 1), got {correlation}")
    bilateral = rng.random(n) < p_bilateral  # per patient; at most n patients needed
    repeat = rng.random(n) < p_repeat
    per_patient = 1 + bilateral.astype(int) + repeat.astype(int)
    n_pat = int(np.searchsorted(np.cumsum(per_patient), n)) + 1
    per_patient = per_patient[:n_pat]
    patient = np.repeat(np.arange(n_pat), per_patient)[:n]
    first = np.r_[True, patient[1:] != patient[:-1]]
    rank = np.arange(n) - np.maximum.accumulate(np.where(first, np.arange(n), 0))
    second_knee = (rank == 1) & bilateral[patient]
    copy_of = np.where(second_knee, np.arange(n) - 1, np.arange(n))
    u = rng.standard_normal(n_pat)[patient]
    z = np.sqrt(correlation) * u + np.sqrt(1 - correlation) * rng.standard_normal(n)
    true = scale_months * (-log_ndtr(-z)) ** (1 / shape)  # F^-1(Phi(z)), Weibull
    return true, patient, copy_of
