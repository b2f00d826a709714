"""From validated scores to interval-censored relief durations.

Loss of relief is only seen at a visit, so each procedure's relief duration
is known to lie in an interval ``(lower, upper]`` of months since the
procedure (``upper = inf``: relief not lost by the last visit). The rules are
set by a :class:`ReliefDefinition`; everything here is vectorised over all
assessments at once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from outcomes._binomial import wilson
from outcomes.errors import OptionError
from outcomes.io import DAYS_PER_MONTH, whole_days
from outcomes.schema import Cohort

__all__ = [
    "COMPETING_EVENTS",
    "EXCLUSIONS",
    "MILD_COMPLICATIONS",
    "TRAJECTORY_MONTHS",
    "ReliefDefinition",
    "assessment_relief",
    "complication_rates",
    "derive_competing_events",
    "derive_relief",
    "group_labels",
    "landmark_assessments",
    "responder_rates",
    "score_trajectory",
]

#: Exclusion reasons, in the order they are checked.
EXCLUSIONS = {
    "no_baseline": "no baseline score within the baseline window",
    "baseline_at_best": "baseline score already at the best possible value: cannot improve",
    "no_followup": "no assessment after the flare window",
    "non_responder": "no relief at the first assessment (population = responders)",
}


@dataclass(frozen=True)
class ReliefDefinition:
    """What counts as relief, and when it is lost.

    Parameters
    ----------
    percent_reduction : float or None
        Relief needs at least this improvement from baseline, in percent of
        the room to improve (for a 0-10 NRS: (baseline - score) / baseline).
        Default 50. None: not used.
    absolute_reduction : float or None
        Relief needs at least this improvement in instrument points (e.g. 2
        NRS points). Default None: not used.
    combine : {"any", "all"}
        With both thresholds set: relief if either ("any") or both ("all") hold.
    baseline_window_days : int
        Baseline is the latest assessment from this many days before the
        procedure up to the procedure day. Default 90.
    flare_window_days : int
        Assessments with 0 < days after < this are ignored: pain often flares
        for up to two weeks after the procedure. Default 14.
    confirm : int
        Consecutive assessments without relief needed to call relief lost;
        loss is dated by the first of them. Default 1.
    repeat_procedure_is_loss : bool
        A repeat procedure on the same joint and side, before loss was seen,
        counts as loss between the last assessment with relief and the repeat
        (default); otherwise it censors follow-up.
    population : {"responders", "all"}
        "responders": duration of relief among initial responders (default).
        "all": non-responders count as losing relief in (0, first assessment].
    instrument : str or None
        Instrument to analyse; None uses the cohort's most frequent one.
    dropout : {"censor", "loss"}
        A procedure whose follow-up stopped while in relief, with no event
        ending it (surgery, death, withdrawal, repeat procedure), is censored
        at its last visit ("censor", default: drop-out unrelated to relief).
        "loss", a sensitivity analysis for informative drop-out (patients
        whose pain returns often stop coming): it lost relief by its next
        scheduled visit, unless that visit was not yet due at the data cut
        (the last date in the data) or the schedule had ended.
    schedule_months : tuple of float
        The scheduled follow-up visits, months since the procedure, for
        ``dropout="loss"``. A last visit belongs to the scheduled visit
        nearest to it in ratio (day 100 is the 3-month visit, day 170 the
        6-month one). Default 1, 3, 6, 12, 18 and 24 months.
    """

    percent_reduction: float | None = 50.0
    absolute_reduction: float | None = None
    combine: Literal["any", "all"] = "any"
    baseline_window_days: int = 90
    flare_window_days: int = 14
    confirm: int = 1
    repeat_procedure_is_loss: bool = True
    population: Literal["responders", "all"] = "responders"
    instrument: str | None = None
    dropout: Literal["censor", "loss"] = "censor"
    schedule_months: tuple[float, ...] = (1.0, 3.0, 6.0, 12.0, 18.0, 24.0)

    def __post_init__(self) -> None:
        if self.percent_reduction is None and self.absolute_reduction is None:
            raise OptionError("set percent_reduction, absolute_reduction or both")
        if self.percent_reduction is not None and not 0 < self.percent_reduction <= 100:
            raise OptionError(
                f"percent_reduction must be in (0, 100], got {self.percent_reduction}"
            )
        if self.absolute_reduction is not None and self.absolute_reduction <= 0:
            raise OptionError(f"absolute_reduction must be > 0, got {self.absolute_reduction}")
        if self.combine not in ("any", "all"):
            raise OptionError(f'combine must be "any" or "all", got {self.combine!r}')
        if self.population not in ("responders", "all"):
            raise OptionError(f'population must be "responders" or "all", got {self.population!r}')
        if self.confirm < 1:
            raise OptionError(f"confirm must be >= 1, got {self.confirm}")
        if self.baseline_window_days < 0 or self.flare_window_days < 1:
            raise OptionError("baseline_window_days must be >= 0 and flare_window_days >= 1")
        if self.dropout not in ("censor", "loss"):
            raise OptionError(f'dropout must be "censor" or "loss", got {self.dropout!r}')
        sched = tuple(float(m) for m in self.schedule_months)
        if not sched or any(m <= 0 for m in sched) or list(sched) != sorted(set(sched)):
            raise OptionError(
                f"schedule_months must be increasing and positive, got {self.schedule_months}"
            )
        object.__setattr__(self, "schedule_months", sched)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """The definition in words, for reports and methods sections."""
        parts = []
        if self.percent_reduction is not None:
            parts.append(f"at least {self.percent_reduction:g}% reduction from baseline")
        if self.absolute_reduction is not None:
            parts.append(f"at least {self.absolute_reduction:g} points reduction")
        thresholds = (" or " if self.combine == "any" else " and ").join(parts)
        confirm = (
            "the first assessment without relief"
            if self.confirm == 1
            else f"the first of {self.confirm} consecutive assessments without relief"
        )
        pop = (
            "among initial responders (relief at the first assessment after the flare window)"
            if self.population == "responders"
            else "among all treated procedures (non-responders lose relief at once)"
        )
        repeat = (
            "A repeat procedure on the same joint and side before loss was seen counts as loss."
            if self.repeat_procedure_is_loss
            else "A repeat procedure censors follow-up."
        )
        dropout = ""
        if self.dropout == "loss":
            *head, tail = (f"{m:g}" for m in self.schedule_months)
            visits = f"{', '.join(head)} and {tail}" if head else tail
            dropout = (
                " Sensitivity analysis for informative drop-out: a procedure whose follow-up "
                "stopped while in relief, with no event ending it, counts as losing relief by its "
                f"next scheduled visit (visits at {visits} months) if that visit was due by the "
                "last date in the data."
            )
        return (
            f"Relief: {thresholds}. Baseline: the latest score from {self.baseline_window_days} "
            f"days before the procedure to the procedure day. Scores in the first "
            f"{self.flare_window_days} days are ignored (post-procedure flare). Loss of relief: "
            f"{confirm}, dated between it and the previous assessment; duration {pop}. "
            f"{repeat} Surgery, death and withdrawal censor follow-up at the last assessment "
            f"before them.{dropout} Months are days / 30.4375."
        )


def assessment_relief(cohort: Cohort, definition: ReliefDefinition | None = None) -> pd.DataFrame:
    """Relief at every assessment after the flare window, for procedures with a baseline.

    Returns
    -------
    DataFrame
        ``procedure``, ``days_after``, ``score``, ``baseline_score``,
        ``improvement`` (instrument points, positive is better), ``percent``
        (improvement in percent of the room to improve) and ``relief`` (bool),
        sorted by procedure and day. ``attrs`` holds per-procedure Series
        ``baseline``, ``baseline_day`` and ``room`` and the ``instrument`` used.
    """
    d = definition or ReliefDefinition()
    cohort.raise_for_errors()
    a = cohort.assessments
    instrument = d.instrument or (a["instrument"].mode().iloc[0] if len(a) else "nrs")
    if instrument not in cohort.instruments or not (a["instrument"] == instrument).any():
        raise OptionError(
            f"instrument {instrument!r} is not in the data; choose one of "
            + ", ".join(sorted(a["instrument"].unique()))
        )
    inst = cohort.instruments[instrument]
    a = a[a["instrument"] == instrument]
    day = a["days_after"].to_numpy()
    index = cohort.procedures.index

    # baseline: the latest assessment in [-window, 0]
    base = a[(day >= -d.baseline_window_days) & (day <= 0)]
    base = base.drop_duplicates("procedure", keep="last")  # sorted by procedure, day
    bscore = pd.Series(base["score"].to_numpy(), index=base["procedure"]).reindex(index)
    bday = pd.Series(base["days_after"].to_numpy(), index=base["procedure"]).reindex(index)
    room = (inst.maximum - bscore) if inst.higher_is_better else (bscore - inst.minimum)

    # follow-up after the flare window, for procedures that can improve
    post = a[day >= d.flare_window_days]
    b = bscore.reindex(post["procedure"]).to_numpy()
    r = room.reindex(post["procedure"]).to_numpy()
    ok = ~np.isnan(b) & (r > 0)
    post, b, r = post[ok], b[ok], r[ok]
    s = post["score"].to_numpy()
    gain = (s - b) if inst.higher_is_better else (b - s)
    percent = 100.0 * gain / r
    tests = []
    if d.percent_reduction is not None:
        tests.append(percent >= d.percent_reduction - 1e-9)
    if d.absolute_reduction is not None:
        tests.append(gain >= d.absolute_reduction - 1e-9)
    relief = np.logical_or.reduce(tests) if d.combine == "any" else np.logical_and.reduce(tests)
    out = pd.DataFrame(
        {
            "procedure": post["procedure"].to_numpy(),
            "days_after": post["days_after"].to_numpy(),
            "score": s,
            "baseline_score": b,
            "improvement": gain,
            "percent": percent,
            "relief": relief,
        }
    )
    out.attrs.update(baseline=bscore, baseline_day=bday, room=room, instrument=instrument)
    return out


def derive_relief(cohort: Cohort, definition: ReliefDefinition | None = None) -> pd.DataFrame:
    """One row per procedure: responder status and the interval holding loss of relief.

    Parameters
    ----------
    cohort : Cohort
        A validated cohort (errors must have been fixed).
    definition : ReliefDefinition, optional
        Defaults to ``ReliefDefinition()``.

    Returns
    -------
    DataFrame
        Indexed by ``procedure``, with the procedure-level columns (without
        ``patient_id``) and: ``baseline_score``, ``baseline_day``,
        ``first_day`` (first assessment after the flare window, days),
        ``responder`` (bool; NA if excluded before response was known),
        ``lower_months``, ``upper_months`` (loss lies in (lower, upper];
        upper is inf when relief was not seen to end), ``event`` (``loss``,
        ``repeat_procedure`` or ``censored``), ``censor_reason``
        (``end_of_followup``, ``surgery``, ``death``, ``withdrawal``,
        ``repeat_procedure``), ``n_followup`` (assessments used) and
        ``excluded`` (reason, see :data:`EXCLUSIONS`, or None).
    """
    d = definition or ReliefDefinition()
    out = cohort.procedures.drop(columns=["patient_id"]).copy()
    n = len(out)
    ar = assessment_relief(cohort, d)
    bscore, bday, room = ar.attrs["baseline"], ar.attrs["baseline_day"], ar.attrs["room"]
    out["baseline_score"] = bscore
    out["baseline_day"] = bday
    pp = ar["procedure"].to_numpy()
    pday = ar["days_after"].to_numpy().astype(float)
    relief = ar["relief"].to_numpy()
    m = len(pp)
    first = np.ones(m, dtype=bool)
    first[1:] = pp[1:] != pp[:-1]
    pos = np.arange(m) - np.maximum.accumulate(np.where(first, np.arange(m), 0))

    first_day = pd.Series(pday[first], index=pp[first]).reindex(out.index)
    responder_at = pd.Series(relief[first], index=pp[first]).reindex(out.index)
    n_follow = pd.Series(pp).value_counts().reindex(out.index, fill_value=0)

    # 5. loss: the first run of `confirm` assessments without relief, after the first
    lost = ~relief
    confirmed = lost.copy()
    for k in range(1, d.confirm):
        nxt = np.zeros(m, dtype=bool)
        nxt[:-k] = lost[k:] & (pp[k:] == pp[:-k])
        confirmed &= nxt
    is_loss = confirmed & (pos >= 1)
    prev_day = np.r_[np.nan, pday[:-1]]
    loss_rows = np.flatnonzero(is_loss)
    loss_rows = (
        loss_rows[np.r_[True, pp[loss_rows][1:] != pp[loss_rows][:-1]]]
        if len(loss_rows)
        else loss_rows
    )
    loss_lo = pd.Series(prev_day[loss_rows], index=pp[loss_rows]).reindex(out.index)
    loss_hi = pd.Series(pday[loss_rows], index=pp[loss_rows]).reindex(out.index)
    # last assessment with relief before any loss: the censoring point otherwise
    before_loss = relief & (
        pos < pd.Series(pos[loss_rows], index=pp[loss_rows]).reindex(pp).fillna(np.inf).to_numpy()
    )
    last_relief = (
        pd.Series(pday[before_loss], index=pp[before_loss])
        .groupby(level=0)
        .max()
        .reindex(out.index)
    )

    # 6. events
    end_day = out["followup_end_day"].astype(float)
    end_reason = out["followup_end_reason"]
    repeat = (end_reason == "repeat_procedure") & d.repeat_procedure_is_loss
    lost_seen = loss_hi.notna()
    repeat_loss = repeat & ~lost_seen & (end_day > last_relief)

    lower = np.where(lost_seen, loss_lo, last_relief)
    upper = np.where(lost_seen, loss_hi, np.inf)
    lower = np.where(repeat_loss, last_relief, lower)
    upper = np.where(repeat_loss, end_day, upper)
    event = np.where(lost_seen, "loss", np.where(repeat_loss, "repeat_procedure", "censored"))
    censor = _choose(event == "censored", end_reason.fillna("end_of_followup").to_numpy())

    responder = responder_at.astype("boolean")
    # 7. population "all": non-responders lose relief in (0, first assessment]
    nonresp = (responder_at == False).to_numpy()  # noqa: E712 - NA-aware comparison
    if d.population == "all":
        lower = np.where(nonresp, 0.0, lower)
        upper = np.where(nonresp, first_day, upper)
        event = np.where(nonresp, "loss", event)
        censor = _choose(~nonresp, censor)

    if d.dropout == "loss":
        lower, upper, event, censor = _dropout_as_loss(
            cohort, d, out, np.asarray(lower, float), np.asarray(upper, float), event, censor
        )

    excluded = np.full(n, None, dtype=object)
    no_follow = first_day.isna().to_numpy()
    excluded[no_follow] = "no_followup"
    excluded[(room <= 0).to_numpy()] = "baseline_at_best"
    excluded[bscore.isna().to_numpy()] = "no_baseline"
    if d.population == "responders":
        excluded[nonresp & pd.isna(excluded)] = "non_responder"
    unknown = pd.Series(excluded).isin(["no_baseline", "baseline_at_best", "no_followup"])
    responder = responder.mask(unknown.to_numpy())

    keep = pd.isna(excluded)
    out["first_day"] = first_day
    out["responder"] = responder
    out["lower_months"] = np.where(keep, np.asarray(lower, dtype=float) / DAYS_PER_MONTH, np.nan)
    out["upper_months"] = np.where(keep, np.asarray(upper, dtype=float) / DAYS_PER_MONTH, np.nan)
    out["event"] = _choose(keep, event)
    out["censor_reason"] = _choose(keep, censor)
    out["n_followup"] = n_follow.to_numpy()
    out["excluded"] = excluded
    out.attrs["definition"] = d.to_dict()
    out.attrs["instrument"] = ar.attrs["instrument"]
    return out


def _dropout_as_loss(
    cohort: Cohort,
    d: ReliefDefinition,
    procedures: pd.DataFrame,
    lower: np.ndarray,
    upper: np.ndarray,
    event: np.ndarray,
    censor: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Intervals (days) with drop-out in relief counted as loss by the next scheduled visit."""
    schedule = whole_days(np.asarray(d.schedule_months)).astype(float)
    dropped = (event == "censored") & (censor == "end_of_followup") & np.isfinite(lower)
    dropped &= lower > 0
    last = np.where(dropped, lower, schedule[0])
    slot = np.argmin(np.abs(np.log(last[:, None] / schedule[None, :])), axis=1)
    nxt = slot + 1
    has_next = nxt < schedule.size
    next_day = np.where(has_next, schedule[np.minimum(nxt, schedule.size - 1)], np.inf)
    # the data cut: the last date anywhere in the data
    a = cohort.assessments
    start = procedures["procedure_date"]
    a_dates = start.reindex(a["procedure"]).to_numpy() + pd.to_timedelta(
        a["days_after"].to_numpy(), unit="D"
    )
    cut = max(pd.Series(a_dates).max(), cohort.events["event_date"].max())
    if pd.isna(cut):
        cut = pd.Series(a_dates).max()
    days_to_cut = (pd.Timestamp(cut) - start).dt.days.to_numpy(dtype=float)
    due = next_day <= days_to_cut
    convert = dropped & has_next & due & (next_day > last)
    upper = np.where(convert, next_day, upper)
    event = np.where(convert, "loss", event)
    censor = _choose(~convert, censor)
    return lower, upper, event, censor


def _choose(condition: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Object array: ``values`` where ``condition`` holds, else None."""
    out = np.full(len(condition), None, dtype=object)
    out[condition] = np.asarray(values, dtype=object)[condition]
    return out


def group_labels(frame: pd.DataFrame, by: str | None) -> pd.Series:
    """Each row's group as text: its value of ``by`` ("(not given)" when blank), or "all"."""
    if by is None:
        return pd.Series("all", index=frame.index, dtype=object)
    values = frame[by].astype(object)
    return values.where(values.notna(), "(not given)").astype(str)


def landmark_assessments(
    cohort: Cohort,
    landmarks_months: tuple[float, ...] = (3, 6, 12, 18, 24),
    definition: ReliefDefinition | None = None,
    *,
    window: float = 0.25,
) -> pd.DataFrame:
    """The assessment nearest each landmark visit, one row per procedure and landmark.

    Among a procedure's assessments after the flare window (with a baseline;
    see :func:`assessment_relief`) within +-``window`` (a fraction) of the
    landmark's day (:func:`outcomes.io.whole_days`: 12 months is day 365), the
    nearest one (the earlier one on a tie).

    Returns
    -------
    DataFrame
        ``months`` (the landmark) and the columns of :func:`assessment_relief`.
    """
    ar = assessment_relief(cohort, definition)
    attrs, ar.attrs = ar.attrs, {}  # Series in attrs would break concat
    days = ar["days_after"].to_numpy().astype(float)
    frames = []
    for months in landmarks_months:  # one vectorised pass per landmark (a handful)
        target = float(whole_days(months))
        inside = np.abs(days - target) <= window * target
        cand = ar[inside].assign(dist=np.abs(days[inside] - target))
        nearest = cand.sort_values(["procedure", "dist", "days_after"], kind="stable")
        frames.append(nearest.drop_duplicates("procedure").assign(months=float(months)))
    out = pd.concat(frames, ignore_index=True).drop(columns="dist")
    out.attrs.update(attrs)
    return out[["months", *ar.columns]]


def responder_rates(
    cohort: Cohort,
    landmarks_months: tuple[float, ...] = (3, 6, 12, 18, 24),
    definition: ReliefDefinition | None = None,
    *,
    window: float = 0.25,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Literature-style responder rate at each landmark visit, with a Wilson CI.

    Among procedures with a baseline and an assessment within +-``window``
    (a fraction) of the landmark, the share with relief at the assessment
    nearest to the landmark (the earlier one on a tie). This is what papers
    report as "responders at 12 months": a rate among those assessed then,
    not the probability that relief lasted that long.

    Returns
    -------
    DataFrame
        One row per landmark: ``months``, ``assessed``, ``responders``,
        ``rate``, ``lower``, ``upper`` (NaN rate where nobody was assessed).
    """
    la = landmark_assessments(cohort, landmarks_months, definition, window=window)
    marks = pd.Index([float(m) for m in landmarks_months], name="months")
    g = la.groupby("months")["relief"]
    out = pd.DataFrame(
        {
            "assessed": g.size().reindex(marks, fill_value=0).astype(int),
            "responders": g.sum().reindex(marks, fill_value=0).astype(int),
        }
    ).reset_index()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rate"] = out["responders"] / out["assessed"].where(out["assessed"] > 0)
    out["lower"], out["upper"] = wilson(out["responders"], out["assessed"], conf_level)
    return out


#: Visits of the pain trajectory, months (baseline is 0; 0.5 is the 2-week visit).
TRAJECTORY_MONTHS = (0.0, 0.5, 1.0, 3.0, 6.0, 12.0, 18.0, 24.0)


def score_trajectory(
    cohort: Cohort,
    definition: ReliefDefinition | None = None,
    *,
    by: str | None = None,
    visits_months: tuple[float, ...] = TRAJECTORY_MONTHS,
    window: float = 0.25,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Pain score by visit (baseline and follow-up), per group.

    Procedures with a baseline (see :func:`assessment_relief`); at month 0 the
    baseline score, at each later visit the procedure's assessment nearest to
    it within +-``window`` of it, flare window included (the 2-week visit shows
    the flare).

    Returns
    -------
    DataFrame
        One row per group and visit: ``group`` ("all" without ``by``),
        ``months``, ``n``, ``median``, ``q1``, ``q3`` (quartiles), ``mean``,
        ``lower``, ``upper`` (t-based CI of the mean), in the instrument's
        points; ``attrs["instrument"]`` names it.
    """
    from scipy import stats

    ar = assessment_relief(cohort, definition)
    instrument = ar.attrs["instrument"]
    base = ar.attrs["baseline"].dropna()
    a = cohort.assessments
    a = a[(a["instrument"] == instrument) & a["procedure"].isin(base.index)]
    days = a["days_after"].to_numpy().astype(float)
    frames = [pd.DataFrame({"procedure": base.index, "months": 0.0, "score": base.to_numpy()})]
    for months in visits_months:  # one vectorised pass per visit (a handful)
        if months <= 0:
            continue
        target = float(whole_days(months))
        inside = (np.abs(days - target) <= window * target) & (days > 0)
        cand = a[inside].assign(dist=np.abs(days[inside] - target))
        nearest = cand.sort_values(["procedure", "dist", "days_after"], kind="stable")
        nearest = nearest.drop_duplicates("procedure")
        frames.append(
            pd.DataFrame(
                {
                    "procedure": nearest["procedure"].to_numpy(),
                    "months": float(months),
                    "score": nearest["score"].to_numpy(),
                }
            )
        )
    scores = pd.concat(frames, ignore_index=True)
    scores = scores[scores["months"].isin([float(m) for m in visits_months])]
    labels = group_labels(cohort.procedures, by)
    scores["group"] = labels.reindex(scores["procedure"]).to_numpy()
    g = scores.groupby(["group", "months"], sort=True)["score"]
    out = pd.DataFrame(
        {
            "n": g.size(),
            "median": g.median(),
            "q1": g.quantile(0.25),
            "q3": g.quantile(0.75),
            "mean": g.mean(),
            "sd": g.std(),
        }
    ).reset_index()
    n = out["n"].to_numpy().astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = stats.t.ppf(0.5 + conf_level / 2, n - 1) * out["sd"] / np.sqrt(n)
    out["lower"], out["upper"] = out["mean"] - half, out["mean"] + half
    out.attrs["instrument"] = instrument
    return out.drop(columns="sd")


#: Complications that are expected and mild; the others count as serious.
MILD_COMPLICATIONS = ("swelling", "pain_flare", "bruising")


def complication_rates(cohort: Cohort, *, conf_level: float = 0.95) -> pd.DataFrame:
    """Procedures with each kind of complication, with exact (Clopper-Pearson) CIs.

    The denominator is every procedure in the cohort; a procedure counts once
    per kind however many such events it had. Kinds come from the events'
    ``detail`` ("unspecified" when blank).

    Returns
    -------
    DataFrame
        ``complication`` (each kind, then "any serious" (kinds other than
        :data:`MILD_COMPLICATIONS`) and "any"), ``procedures`` (with it),
        ``of`` (all procedures), ``rate``, ``lower``, ``upper``.
    """
    from outcomes._binomial import clopper_pearson

    n = len(cohort.procedures)
    ev = cohort.events[cohort.events["event"] == "complication"]
    kind = ev["detail"].astype(object).where(ev["detail"].notna(), "unspecified").astype(str)
    ev = pd.DataFrame({"procedure": ev["procedure"].to_numpy(), "kind": kind.to_numpy()})
    per_kind = (
        ev.drop_duplicates()
        .groupby("kind")["procedure"]
        .size()
        .sort_values(ascending=False, kind="stable")
    )
    serious = ev.loc[~ev["kind"].isin(MILD_COMPLICATIONS), "procedure"].nunique()
    counts = [*per_kind.items(), ("any serious", serious), ("any", ev["procedure"].nunique())]
    out = pd.DataFrame(counts, columns=["complication", "procedures"])
    out["procedures"] = out["procedures"].astype(int)
    out["of"] = n
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rate"] = out["procedures"] / n if n else np.nan
    out["lower"], out["upper"] = clopper_pearson(out["procedures"], out["of"], conf_level)
    return out


#: Competing events after a procedure, with their cause codes.
COMPETING_EVENTS = {"repeat_procedure": 1, "surgery": 2, "death": 3}


def derive_competing_events(cohort: Cohort) -> pd.DataFrame:
    """Time to the first of repeat procedure, surgery or death, for every procedure.

    Returns
    -------
    DataFrame
        Indexed by ``procedure``: ``months`` (to the first such event, or to
        the last assessment when none happened: censored) and ``cause``
        (0 censored, 1 repeat procedure, 2 surgery, 3 death; see
        :data:`COMPETING_EVENTS`). Withdrawal censors.
    """
    cohort.raise_for_errors()
    index = cohort.procedures.index
    ev = cohort.events[cohort.events["event"].isin(list(COMPETING_EVENTS))]
    first = ev.sort_values(["procedure", "days_after"], kind="stable").drop_duplicates("procedure")
    event_day = first.set_index("procedure")["days_after"].reindex(index)
    cause = first.set_index("procedure")["event"].map(COMPETING_EVENTS).reindex(index)
    last = cohort.assessments.groupby("procedure")["days_after"].max().reindex(index)
    censor_day = last.fillna(0).clip(lower=0)
    has = event_day.notna()
    days = np.where(has, event_day, censor_day)
    return pd.DataFrame(
        {"months": days / DAYS_PER_MONTH, "cause": np.where(has, cause, 0).astype(int)},
        index=index,
    )
