"""A site's summary for pooling: count tables, no rows, no identifiers, no dates.

``site_summary(analysis, site=...)`` turns one clinic's analysis into the
counts that the pooled analysis needs (:mod:`outcomes.pooling`), as a
JSON-ready dict that the person approving its release can read:

``histories``
    Patient relief histories: each line a list of procedures, each procedure
    its loss-of-relief interval (lower, upper] in whole days since the
    procedure (``null``: relief not seen to end), joint and technique, and
    the number of patients with exactly that history. The pooled Turnbull
    NPMLE, its patient-level bootstrap, the smooth median and the group test
    need nothing else, so they equal the single-site analysis.
``responders``
    Procedures assessed at each landmark visit, and responders among them,
    by joint and technique.
``competing``
    Procedures by time (whole days) to the first repeat procedure, surgery
    or death, or to the last visit (cause 0), by joint and technique.
``profiles``
    Procedures by joint, technique, side, baseline score and whether
    analysed (Table 1).
``patients``, ``counts``, ``complications``
    Totals.

Small cells. With ``min_cell=k`` (default 5) no line of a table counts
fewer than k patients or procedures. First every history's visits are moved
to the nearest visit of a standard schedule (:data:`SCHEDULE_MONTHS`, on a
log scale, as a study reports "the 6-month visit"): a rule that depends on
the visit days alone, so it coarsens all lines alike, and without it a visit
a few days after its grid point would be widened by a whole grid step below.
Lines still under k are then protected in steps, each applied only to the
lines still small, and each step is written in ``protection``:

1. histories and competing times are widened onto a visit grid (1-2 weeks
   and months, then 1, 3, 6, 9, 12, 18, 24 months, then 3, 6, 12, 24 months;
   histories last onto 6, 12, 24 months, after step 3):
   an interval (l, u] becomes (floor to grid, ceil to grid], which still
   holds the time relief was lost, so the NPMLE stays valid for the coarser
   data; an event time goes down to the grid point below;
2. technique, then joint become ``"*"`` (all) (profiles first drop the
   baseline score, then the side): techniques across the whole group of a
   joint holding a small line (so the joint's total stays exact and the
   small line cannot be found by subtraction), joints in the small lines
   only (so the other joints keep their own lines);
3. a history of several procedures that is still small is split into
   single procedures (those patients then count as independent);
4. small single procedures, in order of their intervals, are joined in runs
   of at least k, each run given the interval covering its members';
5. what is still small is withheld, and its size said (as "fewer than k"
   when it is under k).

With ``min_cell=0`` nothing is protected: the tables are exact.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from outcomes.errors import OptionError
from outcomes.io import DAYS_PER_MONTH, whole_days

if TYPE_CHECKING:
    from outcomes.analysis import Analysis

__all__ = ["FORMAT", "GRIDS_MONTHS", "SCHEDULE_MONTHS", "site_summary", "write_summary"]

#: Name and version of the file format.
FORMAT = {"format": "outcomes-site-summary", "version": 1}

#: The visit grids small lines are widened onto, finest first (months; nested).
GRIDS_MONTHS: tuple[tuple[float, ...], ...] = (
    (
        0,
        0.5,
        1,
        1.5,
        2,
        3,
        4,
        5,
        6,
        7,
        8,
        9,
        10,
        11,
        12,
        13.5,
        15,
        16.5,
        18,
        21,
        24,
        30,
        36,
        48,
        60,
        120,
    ),
    (0, 1, 3, 6, 9, 12, 18, 24, 36, 48, 60, 120),
    (0, 3, 6, 12, 24, 36, 60, 120),
    (0, 6, 12, 24, 120),
)
#: The visit schedule of protected histories (months; 0.5 and 1.5 are 2 and 6 weeks).
SCHEDULE_MONTHS: tuple[float, ...] = (0.5, 1, 1.5, 2, 3, 4, 6, 9, 12, 18, 24, 36, 48, 60, 120)

_GRID_NAMES = (
    "the monthly visit grid",
    "the 1, 3, 6, 9, 12, 18, 24-month grid",
    "the 3, 6, 12, 24-month grid",
    "the 6, 12, 24-month grid",
)

ALL = "*"

Step = tuple[str, Callable[[pd.DataFrame, pd.Series], pd.DataFrame]]


def _grid_days(level: int) -> np.ndarray:
    return whole_days(np.asarray(GRIDS_MONTHS[level], dtype=float)).astype(float)


def _floor_to(days: pd.Series, grid: np.ndarray) -> pd.Series:
    """Each day down to the grid point at or below it (NaN stays NaN)."""
    d = days.to_numpy(dtype=float)
    i = np.searchsorted(grid, d, side="right") - 1
    out = np.where(np.isnan(d), np.nan, grid[np.clip(i, 0, grid.size - 1)])
    return pd.Series(out, index=days.index)


def _ceil_to(days: pd.Series, grid: np.ndarray) -> pd.Series:
    """Each day up to the grid point at or above it; beyond the grid: NaN (not seen)."""
    d = days.to_numpy(dtype=float)
    i = np.searchsorted(grid, d, side="left")
    out = np.where(i < grid.size, grid[np.minimum(i, grid.size - 1)], np.nan)
    return pd.Series(np.where(np.isnan(d), np.nan, out), index=days.index)


def _to_schedule(lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Visit days (lower, upper] moved to the nearest scheduled visit on a log scale
    (0 and NaN kept). Two visits moved onto one scheduled visit: the lower goes to
    the visit before when the two were mostly before it, else the upper to the
    visit after. Also the number of visit days that moved."""
    days = whole_days(np.asarray(SCHEDULE_MONTHS, dtype=float)).astype(float)
    cut = np.sqrt(days[:-1] * days[1:])

    def snap(d: np.ndarray) -> np.ndarray:
        on = np.isfinite(d) & (d > 0)
        return np.where(on, days[np.searchsorted(cut, np.where(on, d, 1.0))], d)

    lo, up = snap(lower), snap(upper)
    clash = np.isfinite(up) & (up <= lo)
    down = clash & ((lower + upper) / 2 < lo)
    up_ = clash & ~down
    i = np.searchsorted(days, lo[down], side="left") - 1
    lo[down] = np.where(i >= 0, days[np.maximum(i, 0)], 0.0)
    up[up_] = days[np.minimum(np.searchsorted(days, lo[up_], side="right"), days.size - 1)]
    moved = int(np.sum(lo != lower) + np.sum(np.isfinite(up) & (up != upper)))
    return lo, up, moved


# --------------------------------------------------------------------------- #
# small-cell protection


def _protect(
    table: pd.DataFrame,
    keys: list[str],
    count: str,
    steps: list[Step],
    k: int,
    what: str,
    cell: list[str] | None = None,
) -> tuple[pd.DataFrame, list[str], int]:
    """Apply ``steps`` to the lines counting 1 to k-1 until none is left; withhold the rest.

    A step gets the table and the mask of its small lines and returns the
    table with those lines (or the groups holding them) changed; lines that
    become equal are added up. With ``cell`` (e.g. landmark, joint and
    technique of a responder line), a small line is withheld with every line
    of its cell, so that a rate from the lines shared is never that of the
    common outcome alone.
    """
    notes: list[str] = []
    t = _sum(table, keys, count)
    for name, step in steps:
        small = (t[count] > 0) & (t[count] < k)
        if not small.any():
            break
        before = int(t.loc[small, count].sum())
        changed = _sum(step(t, small), keys, count)
        if not changed.equals(t):  # a step that changes nothing is not said
            notes.append(f"{what}: {_size(before, k)} in lines under {k} {name}")
        t = changed
    small = (t[count] > 0) & (t[count] < k)
    if cell is not None and small.any():
        small = small.groupby([t[c] for c in cell], dropna=False).transform("any").astype(bool)
    withheld = int(t.loc[small, count].sum())
    if withheld:
        notes.append(
            f"{what}: {_size(withheld, k)} in lines still under {k} withheld"
            if cell is None
            else f"{what}: {_size(withheld, k)} withheld (lines still under {k}, with the other "
            f"lines of their {', '.join(cell)})"
        )
    return t[~small & (t[count] > 0)].reset_index(drop=True), notes, withheld


def _sum(t: pd.DataFrame, keys: list[str], count: str) -> pd.DataFrame:
    return (
        t.groupby(keys, dropna=False, sort=True)[count].sum().reset_index()
        if len(t)
        else t[[*keys, count]]
    )


def _size(n: int, k: int) -> str:
    return f"fewer than {k}" if n < k else f"{n:,}"


def _widen_interval(level: int) -> Callable[[pd.DataFrame, pd.Series], pd.DataFrame]:
    grid = _grid_days(level)

    def step(t: pd.DataFrame, small: pd.Series) -> pd.DataFrame:
        t = t.copy()
        lows = [c for c in t.columns if c.endswith("lower_days")]
        for lo in lows:
            up = lo.replace("lower", "upper")
            has = t[lo].notna() & small
            t.loc[has, lo] = _floor_to(t.loc[has, lo], grid)
            t.loc[has, up] = _ceil_to(t.loc[has, up], grid)
        return _canonical_histories(t) if lows != ["lower_days"] else t

    return step


def _floor_days(level: int) -> Callable[[pd.DataFrame, pd.Series], pd.DataFrame]:
    grid = _grid_days(level)

    def step(t: pd.DataFrame, small: pd.Series) -> pd.DataFrame:
        t = t.copy()
        t.loc[small, "days"] = _floor_to(t.loc[small, "days"], grid)
        return t

    return step


def _merge(
    column: str, within: list[str] | None
) -> Callable[[pd.DataFrame, pd.Series], pd.DataFrame]:
    """``column`` becomes "*" in every line of each ``within`` group holding a small line
    (the whole group, so that the small line cannot be found by subtraction from the
    group's total); ``within=None``: in the small lines only."""

    def step(t: pd.DataFrame, small: pd.Series) -> pd.DataFrame:
        t = t.copy()
        if within is None:
            mask = small.to_numpy()
        elif within:
            hit = t.loc[small, within].drop_duplicates().assign(_hit=1)
            mask = t[within].merge(hit, on=within, how="left")["_hit"].notna().to_numpy()
        else:
            mask = np.ones(len(t), dtype=bool)
        t.loc[mask, column] = ALL
        return t

    return step


# --------------------------------------------------------------------------- #
# histories: one line per distinct patient history


_PROC_FIELDS = ("lower_days", "upper_days", "joint", "technique")


def _canonical_histories(wide: pd.DataFrame) -> pd.DataFrame:
    """Wide histories (p0_lower_days, ..., patients) with the procedures of each line in
    one order (by interval, joint, technique), so equal histories are equal lines."""
    long = _long(wide)
    return _wide(long)


def _long(wide: pd.DataFrame) -> pd.DataFrame:
    """One row per procedure: ``line``, the fields, ``patients`` (of that line)."""
    n = sum(1 for c in wide.columns if c.endswith("_lower_days"))
    parts = []
    for i in range(n):
        cols = {f"p{i}_{f}": f for f in _PROC_FIELDS}
        part = wide[list(cols)].rename(columns=cols)
        part = part.assign(line=np.arange(len(wide)), patients=wide["patients"].to_numpy())
        parts.append(part[part["joint"].notna()])
    return pd.concat(parts, ignore_index=True)


def _wide(long: pd.DataFrame) -> pd.DataFrame:
    """Lines of procedures (``line``, fields, ``patients``) as wide, canonical histories."""
    long = long.assign(
        _u=long["upper_days"].fillna(np.inf),
    ).sort_values(["line", "lower_days", "_u", "joint", "technique"], kind="stable")
    long["pos"] = long.groupby("line").cumcount()
    wide = long.pivot(index="line", columns="pos", values=list(_PROC_FIELDS))
    wide.columns = [f"p{c[1]}_{c[0]}" for c in wide.columns.to_flat_index()]
    n = int(long["pos"].max()) + 1 if len(long) else 0
    order = [f"p{i}_{f}" for i in range(n) for f in _PROC_FIELDS]
    wide = wide[order] if n else pd.DataFrame(columns=[f"p0_{f}" for f in _PROC_FIELDS])
    wide["patients"] = long.groupby("line")["patients"].first()
    for c in wide.columns:
        if c.endswith("_days"):
            wide[c] = wide[c].astype(float)
    return wide.reset_index(drop=True)


def _merge_procedures(field: str) -> Callable[[pd.DataFrame, pd.Series], pd.DataFrame]:
    """``field`` of every procedure of the small histories becomes "*"."""

    def step(t: pd.DataFrame, small: pd.Series) -> pd.DataFrame:
        t = t.copy()
        for c in [c for c in t.columns if c.endswith(f"_{field}")]:
            t.loc[small & t[c].notna(), c] = ALL
        return _canonical_histories(t)

    return step


def _join_neighbours(k: int) -> Callable[[pd.DataFrame, pd.Series], pd.DataFrame]:
    """Small single-procedure lines, in order of their intervals, joined in runs of at
    least ``k`` patients; each run gets the interval covering all of its members (lowest
    lower, highest upper), which holds each member's time, so the NPMLE stays valid."""

    def step(t: pd.DataFrame, small: pd.Series) -> pd.DataFrame:
        long = _long(t)
        single = long.groupby("line")["line"].transform("size") == 1
        hit = long[small.to_numpy()[long["line"].to_numpy()] & single.to_numpy()]
        if int(hit["patients"].sum()) < k:
            return t  # too few to make one line: withheld
        hit = hit.assign(_u=hit["upper_days"].fillna(np.inf)).sort_values(
            ["lower_days", "_u"], kind="stable"
        )
        before = np.cumsum(hit["patients"].to_numpy()) - hit["patients"].to_numpy()
        run = before // k
        last = int((before[-1] + hit["patients"].to_numpy()[-1]) // k)
        run = np.minimum(run, max(last - 1, 0))  # a short last run joins the one before
        hit = hit.assign(_run=run)
        g = hit.groupby("_run")
        lo = g["lower_days"].transform("min")
        up = g["_u"].transform("max")
        same = {f: g[f].transform("nunique") == 1 for f in ("joint", "technique")}
        long.loc[hit.index, "lower_days"] = lo
        long.loc[hit.index, "upper_days"] = up.where(np.isfinite(up), np.nan)
        for f, ok in same.items():
            long.loc[hit.index, f] = hit[f].where(ok, ALL)
        return _wide(long)

    return step


def _split(t: pd.DataFrame, small: pd.Series) -> pd.DataFrame:
    """Small histories of several procedures become single procedures."""
    long = _long(t)
    several = long.groupby("line")["line"].transform("size") > 1
    hit = small.to_numpy()[long["line"].to_numpy()] & several.to_numpy()
    # each such procedure on a line of its own, with the patients of its history
    long.loc[hit, "line"] = t.shape[0] + np.arange(int(hit.sum()))
    return _wide(long)


def _histories(relief: pd.DataFrame, k: int) -> tuple[list[dict[str, Any]], list[str], int]:
    used = relief[relief["excluded"].isna()]
    lower = np.rint(used["lower_months"].to_numpy(float) * DAYS_PER_MONTH)
    upper = used["upper_months"].to_numpy(float)
    upper = np.where(np.isfinite(upper), np.rint(upper * DAYS_PER_MONTH), np.nan)
    moved = 0
    if k > 0:
        lower, upper, moved = _to_schedule(lower, upper)
    long = pd.DataFrame(
        {
            "line": pd.factorize(used["patient"])[0],
            "lower_days": lower,
            "upper_days": upper,
            "joint": _text(used, "joint"),
            "technique": _text(used, "technique"),
            "patients": 1,
        }
    )
    wide = _wide(long)
    widen = [(f"widened to {name}", _widen_interval(i)) for i, name in enumerate(_GRID_NAMES)]
    steps: list[Step] = [
        *widen[:3],
        ("merged across techniques", _merge_procedures("technique")),
        ("merged across joints", _merge_procedures("joint")),
        # split before the coarsest grid: a history of several procedures is
        # rarer than any of its procedures, which then widen less
        ("split into single procedures", _split),
        widen[3],
        ("joined with their neighbours into wider intervals", _join_neighbours(k)),
    ]
    if k > 0:
        t, notes, withheld = _protect_histories(wide, steps, k)
        schedule = ", ".join(f"{m:g}" for m in SCHEDULE_MONTHS)
        notes.insert(
            0,
            f"patient histories: {moved:,} visit days moved to the nearest visit of the "
            f"schedule {schedule} months",
        )
    else:
        t, notes, withheld = _group_histories(wide), [], 0
    # JSON lines: one pass over the procedures (a history's are consecutive)
    long = _long(t).sort_values(["line"], kind="stable")
    patients = t["patients"].to_numpy()
    lines: list[dict[str, Any]] = []
    last = -1
    for line, lo, up, joint, tech in zip(
        long["line"].tolist(),
        long["lower_days"].tolist(),
        long["upper_days"].tolist(),
        long["joint"].astype(str).tolist(),
        long["technique"].astype(str).tolist(),
        strict=True,
    ):
        if line != last:
            lines.append({"procedures": [], "patients": int(patients[line])})
            last = line
        lines[-1]["procedures"].append([int(lo), None if up != up else int(up), joint, tech])
    return lines, notes, withheld


def _protect_histories(
    wide: pd.DataFrame, steps: list[Step], k: int
) -> tuple[pd.DataFrame, list[str], int]:
    """As :func:`_protect`, for wide histories whose columns grow when lines split."""
    notes: list[str] = []
    t = _canonical_histories(wide)
    t = _group_histories(t)
    for name, step in steps:
        small = (t["patients"] > 0) & (t["patients"] < k)
        if not small.any():
            break
        before = int(t.loc[small, "patients"].sum())
        changed = _group_histories(step(t, small))
        if not changed.equals(t):  # a step that changes nothing is not said
            notes.append(f"patient histories: {_size(before, k)} in lines under {k} {name}")
        t = changed
    small = t["patients"] < k
    withheld = int(t.loc[small, "patients"].sum())
    if withheld:
        notes.append(f"patient histories: {_size(withheld, k)} in lines still under {k} withheld")
    return t[~small].reset_index(drop=True), notes, withheld


def _group_histories(t: pd.DataFrame) -> pd.DataFrame:
    t = _canonical_histories(t)
    keys = [c for c in t.columns if c != "patients"]
    return t.groupby(keys, dropna=False, sort=True)["patients"].sum().reset_index()


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series("unknown", index=frame.index)
    return frame[column].astype(object).where(frame[column].notna(), "unknown").astype(str)


# --------------------------------------------------------------------------- #
# the other tables


def _responders(analysis: Analysis, k: int) -> tuple[pd.DataFrame, list[str], int]:
    from outcomes.endpoints import landmark_assessments

    la = landmark_assessments(analysis.cohort, analysis.landmarks_months, analysis.definition)
    relief = analysis.relief
    t = pd.DataFrame(
        {
            "months": la["months"].astype(float).to_numpy(),
            "joint": _text(relief, "joint").reindex(la["procedure"]).to_numpy(),
            "technique": _text(relief, "technique").reindex(la["procedure"]).to_numpy(),
            "relief": la["relief"].astype(bool).to_numpy(),
            "procedures": 1,
        }
    )
    keys = ["months", "joint", "technique", "relief"]
    steps: list[Step] = [
        ("merged across techniques", _merge("technique", ["months", "joint"])),
        ("merged across joints", _merge("joint", None)),
    ]
    return _protect(
        t,
        keys,
        "procedures",
        steps if k > 0 else [],
        k,
        "landmark assessments",
        cell=["months", "joint", "technique"],
    )


def _competing(analysis: Analysis, k: int) -> tuple[pd.DataFrame, list[str], int]:
    from outcomes.endpoints import derive_competing_events

    ce = derive_competing_events(analysis.cohort)
    relief = analysis.relief
    t = pd.DataFrame(
        {
            "days": np.rint(ce["months"].to_numpy(float) * DAYS_PER_MONTH),
            "cause": ce["cause"].astype(int).to_numpy(),
            "joint": _text(relief, "joint").reindex(ce.index).to_numpy(),
            "technique": _text(relief, "technique").reindex(ce.index).to_numpy(),
            "procedures": 1,
        }
    )
    keys = ["days", "cause", "joint", "technique"]
    steps: list[Step] = [(f"moved down to {_GRID_NAMES[i]}", _floor_days(i)) for i in range(3)]
    steps += [
        ("merged across techniques", _merge("technique", ["days", "cause", "joint"])),
        ("merged across joints", _merge("joint", None)),
    ]
    return _protect(t, keys, "procedures", steps if k > 0 else [], k, "competing events")


def _profiles(analysis: Analysis, k: int) -> tuple[pd.DataFrame, list[str], int]:
    relief = analysis.relief
    p = analysis.cohort.procedures
    t = pd.DataFrame(
        {
            "joint": _text(p, "joint").to_numpy(),
            "technique": _text(p, "technique").to_numpy(),
            "side": _text(p, "side").to_numpy(),
            "analysed": relief["excluded"].reindex(p.index).isna().to_numpy(),
            "baseline_score": relief["baseline_score"].reindex(p.index).to_numpy(float),
            "procedures": 1,
        }
    )
    keys = ["joint", "technique", "side", "analysed", "baseline_score"]

    def no_baseline(t: pd.DataFrame, small: pd.Series) -> pd.DataFrame:
        return t.assign(baseline_score=t["baseline_score"].where(~small, np.nan))

    steps: list[Step] = [
        ("without their baseline score", no_baseline),
        ("merged across sides", _merge("side", ["joint", "technique", "analysed"])),
        ("merged across techniques", _merge("technique", ["joint", "analysed"])),
        ("merged across joints", _merge("joint", None)),
    ]
    return _protect(t, keys, "procedures", steps if k > 0 else [], k, "procedures (Table 1)")


def _counts(analysis: Analysis, k: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Totals, and patients by joint; counts 1 to k-1 become None (withheld)."""

    def safe(n: int) -> int | None:
        return None if 0 < n < k else int(n)

    c = analysis.counts
    relief = analysis.relief
    joints = _text(relief, "joint")
    by_joint = relief.groupby(joints.to_numpy())["patient"].nunique()
    patients = {
        "all": safe(int(relief["patient"].nunique())),
        "by_joint": _complement({str(j): int(n) for j, n in by_joint.items()}, k),
    }
    counts: dict[str, Any] = {
        key: safe(int(c[key]))
        for key in ("patients", "procedures", "assessments", "analysed", "initial_responders")
    }
    # parts of a published total: losses + censored = initial responders
    counts.update(_complement({"losses": int(c["losses"]), "censored": int(c["censored"])}, k))
    counts["excluded"] = _complement({str(r): int(n) for r, n in c["excluded"].items()}, k)
    return counts, patients


def _complement(parts: dict[str, int], k: int) -> dict[str, int | None]:
    """Parts of a total that is published: those of 1 to k-1 become None, and so do the
    next smallest until the parts withheld add up to k or more (or all are), so that
    no withheld part can be found by subtracting the others from the total."""
    out: dict[str, int | None] = {key: (None if 0 < n < k else n) for key, n in parts.items()}
    hidden = sum(n for key, n in parts.items() if out[key] is None)
    shown = sorted((n, key) for key, n in parts.items() if out[key] is not None and n > 0)
    while 0 < hidden < k and shown:
        n, key = shown.pop(0)
        out[key] = None
        hidden += n
    return out


def _complications(analysis: Analysis, k: int) -> dict[str, int | None]:
    """Procedures with any complication and with a serious one (kinds are free text:
    not shared)."""
    from outcomes.endpoints import complication_rates

    comp = complication_rates(analysis.cohort).set_index("complication")["procedures"]
    out: dict[str, int | None] = {}
    for key in ("any", "any serious"):
        n = int(comp.get(key, 0))
        out[key.replace(" ", "_")] = None if 0 < n < k else n
    return out


def _records(t: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for r in t.to_dict("records"):
        rec: dict[str, Any] = {}
        for key, v in r.items():
            if isinstance(v, (bool, np.bool_)):
                rec[str(key)] = bool(v)
            elif isinstance(v, (int, np.integer)):
                rec[str(key)] = int(v)
            elif isinstance(v, (float, np.floating)):
                x = float(v)
                rec[str(key)] = None if np.isnan(x) else (int(x) if x.is_integer() else x)
            else:
                rec[str(key)] = str(v)
        out.append(rec)
    return out


def site_summary(analysis: Analysis, *, site: str, min_cell: int = 5) -> dict[str, Any]:
    """The count tables one site shares for pooling (see the module notes).

    Parameters
    ----------
    analysis : Analysis
        The site's analysis (:func:`outcomes.analyze`, method "npmle").
    site : str
        The site's name as it should appear in the pooled report.
    min_cell : int
        No line of a table counts fewer than this many (0: exact tables,
        for tests and for sites allowed to share them).
    """
    from outcomes import __version__

    if min_cell < 0:
        raise OptionError(f"min_cell must be 0 or more, not {min_cell}")
    if not str(site).strip():
        raise OptionError("give the site a name (--site NAME)")
    k = int(min_cell)
    histories, h_notes, h_withheld = _histories(analysis.relief, k)
    responders, r_notes, _ = _responders(analysis, k)
    competing, c_notes, c_withheld = _competing(analysis, k)
    profiles, p_notes, _ = _profiles(analysis, k)
    counts, patients = _counts(analysis, k)
    return {
        **FORMAT,
        "outcomes_version": __version__,
        "site": str(site).strip(),
        "min_cell": k,
        "definition": analysis.definition.to_dict(),
        "instrument": analysis.relief.attrs.get("instrument"),
        "landmarks_months": [float(m) for m in analysis.landmarks_months],
        "histories": histories,
        "responders": _records(responders),
        "competing": _records(competing),
        "profiles": _records(profiles),
        "patients": patients,
        "counts": counts,
        "complications": _complications(analysis, k),
        "protection": {
            "min_cell": k,
            "steps": h_notes + r_notes + c_notes + p_notes,
            "histories_withheld_patients": _size(h_withheld, k) if h_withheld else "0",
            "competing_withheld_procedures": _size(c_withheld, k) if c_withheld else "0",
        },
    }


def write_summary(summary: dict[str, Any], path: str | Path) -> Path:
    """Write a site summary as JSON (UTF-8) for a person to read: one key per line, and
    each line of a count table on one line. Returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    parts = []
    for key, value in summary.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            body = ",\n".join("  " + json.dumps(v, ensure_ascii=False) for v in value)
            text = "[\n" + body + "\n ]"
        else:
            text = json.dumps(value, ensure_ascii=False)
        parts.append(f" {json.dumps(key)}: {text}")
    path.write_text("{\n" + ",\n".join(parts) + "\n}\n", encoding="utf-8")
    return path
