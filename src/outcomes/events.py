"""Events: linking repeat procedures, surgery, death, withdrawal and complications
to procedures, finding repeat procedures in the follow-up data, and ending
follow-up where an event ends it. Vectorised like the rest of validation.

The ``event`` column is read case-insensitively, trimmed, with spaces, hyphens
and underscores alike. Besides the canonical names (:data:`EVENT_TYPES`) it
may hold the clinic words of :data:`EVENT_SYNONYMS` ("TKR", "died",
"redo RFA", ...) and of the mapping file's ``[events.synonyms]``; such an
event keeps the clinic's word as its ``detail`` when the detail cell is blank.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from outcomes._cells import SIDE_ALIASES, clean_text
from outcomes._dates import parse_dates, resolve_order
from outcomes.io import ROW, RawTable
from outcomes.mapping import EVENT_TYPES, FileMapping, normalise_name
from outcomes.problems import ProblemCollector

__all__ = [
    "ENDS_FOLLOWUP",
    "EVENT_SYNONYMS",
    "EVENT_TYPES",
    "PATIENT_LEVEL",
    "apply_followup_end",
    "canonical_events",
    "events_frame",
    "inferred_repeats",
    "link_events",
]

# EVENT_TYPES, the event kinds an events file may hold, is defined in
# outcomes.mapping, which checks the mapping file's synonyms against it.

_WORDS = {
    "surgery": (
        "TKR",
        "TKA",
        "THR",
        "THA",
        "knee replacement",
        "total knee replacement",
        "hip replacement",
        "total hip replacement",
        "arthroplasty",
        "knee arthroplasty",
        "total knee arthroplasty",
        "hip arthroplasty",
        "total hip arthroplasty",
    ),
    "death": ("died", "dead", "deceased", "RIP"),
    "repeat_procedure": (
        "repeat RFA",
        "redo RFA",
        "re-do RFA",
        "redo",
        "re-do",
        "repeat ablation",
    ),
    "withdrawal": ("withdrawn", "withdrew"),
}
#: Clinic words of the ``event`` column read as a canonical event (keys
#: normalised: lower case, ``_`` for spaces and hyphens). The mapping file's
#: ``[events.synonyms]`` adds to these.
EVENT_SYNONYMS: dict[str, str] = {
    normalise_name(word): event for event, words in _WORDS.items() for word in words
}
#: Event kinds after which a procedure's follow-up ends.
ENDS_FOLLOWUP = ("repeat_procedure", "surgery", "death", "withdrawal")
#: Event kinds that concern the patient, not one procedure.
PATIENT_LEVEL = ("death", "withdrawal")


def events_frame(**cols: object) -> pd.DataFrame:
    base = {
        "procedure": pd.Series(dtype=int),
        "event": pd.Series(dtype=object),
        "event_date": pd.Series(dtype="datetime64[ns]"),
        "days_after": pd.Series(dtype=float),
        "detail": pd.Series(dtype=object),
        "source": pd.Series(dtype=object),
        "row": pd.Series(dtype="Int64"),
    }
    return pd.DataFrame({**base, **cols}) if cols else pd.DataFrame(base)


def _key(text: pd.Series) -> pd.Series:
    """Normalised event words with runs of ``_`` as one (spaces, hyphens, ``_`` alike)."""
    return text.str.replace(r"_+", "_", regex=True).str.strip("_")


def canonical_events(
    words: pd.Series, synonyms: Mapping[str, str] | None = None
) -> tuple[pd.Series, np.ndarray]:
    """Read an ``event`` column's words as canonical events.

    Parameters
    ----------
    words : Series
        Cells as :func:`outcomes._cells.clean_text` gives them with
        ``lower=True`` (None where blank).
    synonyms : mapping of str to str, optional
        The mapping file's synonyms, added to (and overriding)
        :data:`EVENT_SYNONYMS`.

    Returns
    -------
    events : Series
        The canonical event where the word is one or a synonym of one, else the
        word itself (to be reported as unknown); None where blank.
    from_synonym : ndarray of bool
        True where the event came from a synonym, not from a spelling of the
        canonical name.
    """
    codes, uniques = pd.factorize(words, use_na_sentinel=True)
    u = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    key = _key(u.astype(str)) if len(u) else u
    table = {**EVENT_SYNONYMS, **(synonyms or {})}
    table = dict(zip(_key(pd.Series(list(table), dtype=object)), table.values(), strict=True))
    is_canon = key.isin(EVENT_TYPES)
    target = key.map(table).where(~is_canon)
    syn = target.notna().to_numpy()
    canon = u.where(~is_canon, key).where(~syn, target)
    events = np.full(len(words), None, dtype=object)
    from_synonym = np.zeros(len(words), dtype=bool)
    has = codes >= 0
    events[has] = canon.to_numpy(dtype=object)[codes[has]]
    from_synonym[has] = syn[codes[has]]
    return pd.Series(events, index=words.index, dtype=object), from_synonym


def link_events(
    raw: RawTable | None,
    procedures: pd.DataFrame,
    fm: FileMapping,
    problems: ProblemCollector,
    fallback_order: str | None,
    as_of: dt.date | None,
) -> pd.DataFrame:
    """Link events to procedures; report unknown procedures and bad values."""
    if raw is None:
        return events_frame()
    f = raw.frame
    file = raw.source.name

    def name(c: str) -> str:
        return raw.original.get(c, c)

    def add(
        sev: str,
        rule: str,
        mask: np.ndarray,
        msg: str | pd.Series,
        col: str,
        val: pd.Series | None = None,
    ) -> None:
        if mask.any():
            problems.add(
                sev,
                rule,
                file,
                msg[mask] if isinstance(msg, pd.Series) else msg,
                row=f[ROW][mask],
                patient=f["patient_id"][mask] if "patient_id" in f else None,
                column=col,
                value=val[mask] if val is not None else None,
            )

    missing = [c for c in ("patient_id", "event", "event_date") if c not in f]
    for c in missing:
        problems.add(
            "error",
            "missing_column",
            file,
            f'required column "{c}" is missing from the events file (found: '
            + ", ".join(f'"{x}"' for x in raw.original.values())
            + f'); name it in a mapping file: [events.columns] "your column" = "{c}"',
            column=c,
        )
    if missing:
        return events_frame()

    pid = clean_text(f["patient_id"])
    word = clean_text(f["event"], lower=True)
    event, from_synonym = canonical_events(word, fm.event_synonyms)
    detail = (
        clean_text(f["detail"], lower=True)
        if "detail" in f
        else pd.Series(None, index=f.index, dtype=object)
    )
    # "TKR" is surgery: the clinic's word is kept as the detail unless one is given
    detail = detail.where(~(from_synonym & detail.isna().to_numpy()), word)
    date_cols = [(c, f[c]) for c in ("event_date", "procedure_date") if c in f]
    order, ambiguous = resolve_order(date_cols, fm, problems, file, fallback_order)
    edate, bad_e = parse_dates(f["event_date"], order=order, fmt=fm.date_format)
    drop = pid.isna().to_numpy()
    add("error", "missing_value", drop, "patient id is blank", name("patient_id"))
    if not ambiguous:
        add(
            "error",
            "bad_date",
            bad_e,
            f["event_date"].astype(str) + " is not a date",
            name("event_date"),
            f["event_date"].astype(str),
        )
    blank_e = edate.isna().to_numpy() & ~bad_e
    add("error", "missing_value", blank_e, "event date is blank", name("event_date"))
    drop |= edate.isna().to_numpy()
    bad_kind = ~event.isin(EVENT_TYPES).to_numpy()
    add(
        "error",
        "unknown_event",
        bad_kind,
        event.astype(str)
        + " is not a known event ("
        + ", ".join(EVENT_TYPES)
        + '); name it in a mapping file: [events.synonyms] "your word" = "complication" '
        "(or another of those)",
        name("event"),
        event,
    )
    drop |= bad_kind
    if as_of is not None:
        fut = (edate > pd.Timestamp(as_of)).to_numpy() & ~drop
        add(
            "warning",
            "future_date",
            fut,
            edate.dt.strftime("%Y-%m-%d") + " is after the data cut: event ignored",
            name("event_date"),
            f["event_date"].astype(str),
        )
        drop |= fut

    ev = pd.DataFrame(
        {
            "i": np.arange(len(f)),
            "patient_id": pid,
            "event": event,
            "event_date": edate,
            "detail": detail,
            "row": f[ROW].to_numpy(),
        }
    )
    ref_cols: list[str] = []
    if "procedure_id" in f and procedures["procedure_id"].notna().any():
        ev["procedure_id"] = clean_text(f["procedure_id"])
        ref_cols = ["procedure_id"]
    elif "procedure_date" in f:
        pdate, bad_p = parse_dates(f["procedure_date"], order=order, fmt=fm.date_format)
        if not ambiguous:
            add(
                "error",
                "bad_date",
                bad_p,
                f["procedure_date"].astype(str) + " is not a date",
                name("procedure_date"),
                f["procedure_date"].astype(str),
            )
        drop |= bad_p
        ev["procedure_date"] = pdate
        ref_cols = ["procedure_date"]
        for c in ("joint", "side"):
            if c in f and c in procedures:
                vals = clean_text(f[c], lower=True)
                ev[c] = vals.map(SIDE_ALIASES) if c == "side" else vals
                ref_cols.append(c)
    ev = ev[~drop]
    has_ref = ev[ref_cols[0]].notna() if ref_cols else pd.Series(False, index=ev.index)

    procs = procedures.reset_index()[
        [
            "procedure",
            "patient_id",
            "procedure_date",
            *[c for c in ("procedure_id", "joint", "side") if c in procedures],
        ]
    ]
    linked = []
    # events naming their procedure; joint and side, where given, narrow the match
    named = ev[has_ref.to_numpy()]
    if len(named):
        ref = ref_cols[0]
        merged = named.merge(procs, on=["patient_id", ref], how="left", suffixes=("", "_p"))
        for c in ref_cols[1:]:
            differs = merged[c].notna() & (merged[c] != merged[f"{c}_p"])
            merged.loc[differs, "procedure"] = np.nan
        merged = merged[merged["procedure"].notna() | ~merged["i"].duplicated(keep=False)]
        counts = merged.groupby("i")["procedure"].count()
        unknown = counts.index[counts.to_numpy() == 0]
        many = counts.index[counts.to_numpy() > 1]
        many_ok = merged["i"].isin(many) & merged["event"].isin(PATIENT_LEVEL)
        ref_name = name(ref)
        mask = np.zeros(len(f), dtype=bool)
        mask[unknown] = True
        add(
            "error",
            "unknown_procedure",
            mask,
            "this event's patient and " + ref_name + " match no procedure in the follow-up file",
            ref_name,
        )
        mask = np.zeros(len(f), dtype=bool)
        mask[merged.loc[merged["i"].isin(many) & ~many_ok, "i"].unique()] = True
        add(
            "error",
            "ambiguous_event",
            mask,
            "this event matches several procedures of the patient (e.g. both knees on one "
            "day); add joint and side columns, or procedure_id",
            ref_name,
        )
        good = merged[merged["procedure"].notna() & (~merged["i"].isin(many) | many_ok)]
        linked.append(good[["i", "procedure", "event", "event_date", "detail", "row"]])
    # patient-level events without a procedure reference apply to every procedure
    loose = ev[~has_ref.to_numpy()]
    if len(loose):
        lv = loose["event"].isin(PATIENT_LEVEL).to_numpy()
        mask = np.zeros(len(f), dtype=bool)
        mask[loose["i"][~lv]] = True
        ref = " or ".join(f'"{c}"' for c in ("procedure_id", "procedure_date"))
        add(
            "error",
            "missing_value",
            mask,
            f"this event needs {ref} to say which procedure it concerns",
            name("event"),
        )
        pl = loose[lv][["i", "patient_id", "event", "event_date", "detail", "row"]]
        merged = pl.merge(procs[["procedure", "patient_id"]], on="patient_id", how="left")
        unknown = merged.loc[merged["procedure"].isna(), "i"].unique()
        mask = np.zeros(len(f), dtype=bool)
        mask[unknown] = True
        add(
            "error",
            "unknown_procedure",
            mask,
            "patient has no procedure in the follow-up file",
            name("patient_id"),
        )
        linked.append(
            merged.loc[
                merged["procedure"].notna(),
                ["i", "procedure", "event", "event_date", "detail", "row"],
            ]
        )
    if not linked:
        return events_frame()
    out = pd.concat(linked, ignore_index=True)
    out = out.merge(
        procs[["procedure", "procedure_date"]].rename(columns={"procedure_date": "_pdate"}),
        on="procedure",
        how="left",
    )
    out["procedure"] = out["procedure"].astype(int)
    out["days_after"] = (out["event_date"] - out["_pdate"]).dt.days.astype(float)
    before = (out["days_after"] < 0) & ~out["event"].isin(PATIENT_LEVEL)
    if before.any():
        mask = np.zeros(len(f), dtype=bool)
        mask[out.loc[before, "i"].to_numpy()] = True
        add(
            "warning",
            "event_before_procedure",
            mask,
            f["event_date"].astype(str) + " is before the procedure it concerns: event ignored",
            name("event_date"),
            f["event_date"].astype(str),
        )
    out = out[~before | out["event"].isin(PATIENT_LEVEL)]
    out = out[out["days_after"] >= 0]
    return events_frame(
        procedure=out["procedure"].to_numpy(),
        event=out["event"].to_numpy(),
        event_date=out["event_date"].to_numpy(),
        days_after=out["days_after"].to_numpy(),
        detail=out["detail"].to_numpy(),
        source="file",
        row=pd.array(out["row"].to_numpy(), dtype="Int64"),
    )


def inferred_repeats(procedures: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Repeat procedures seen in the follow-up data itself: a later procedure of the
    same patient on the same joint and side. Skipped where the events file has one."""
    if not {"joint", "side"} <= set(procedures.columns) or procedures.empty:
        return events_frame()
    p = procedures.reset_index()[["procedure", "patient", "joint", "side", "procedure_date"]]
    p = p.dropna(subset=["joint", "side"]).sort_values(
        ["patient", "joint", "side", "procedure_date"], kind="stable"
    )
    nxt = p.groupby(["patient", "joint", "side"], sort=False)["procedure_date"].shift(-1)
    has = nxt.notna() & (nxt > p["procedure_date"])
    rep = p[has.to_numpy()].assign(event_date=nxt[has])
    given = events.loc[events["event"] == "repeat_procedure", "procedure"]
    rep = rep[~rep["procedure"].isin(given)]
    if rep.empty:
        return events_frame()
    return events_frame(
        procedure=rep["procedure"].to_numpy(),
        event="repeat_procedure",
        event_date=rep["event_date"].to_numpy(),
        days_after=(rep["event_date"] - rep["procedure_date"]).dt.days.astype(float).to_numpy(),
        detail=None,
        source="inferred",
        row=pd.array([pd.NA] * len(rep), dtype="Int64"),
    )


def apply_followup_end(
    procedures: pd.DataFrame,
    assessments: pd.DataFrame,
    events: pd.DataFrame,
    problems: ProblemCollector,
    file: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Record when follow-up ends; exclude assessments after it, with a warning."""
    ending = events[events["event"].isin(ENDS_FOLLOWUP)]
    first = ending.sort_values("days_after", kind="stable").drop_duplicates("procedure")
    end_day = first.set_index("procedure")["days_after"].reindex(procedures.index)
    reason = first.set_index("procedure")["event"].reindex(procedures.index)
    procedures = procedures.assign(
        followup_end_day=end_day.to_numpy(), followup_end_reason=reason.to_numpy()
    )
    a_end = end_day.reindex(assessments["procedure"]).to_numpy()
    a_reason = reason.reindex(assessments["procedure"]).to_numpy()
    after = assessments["days_after"].to_numpy() > np.nan_to_num(a_end, nan=np.inf)
    if after.any():
        sub = assessments[after]
        pid = procedures["patient_id"].reindex(sub["procedure"]).to_numpy()
        problems.add(
            "warning",
            "after_followup_end",
            file,
            "assessment on day "
            + sub["days_after"].astype(str)
            + " is after the "
            + pd.Series(a_reason[after], index=sub.index).astype(str).str.replace("_", " ")
            + " on day "
            + pd.Series(a_end[after], index=sub.index).map("{:.0f}".format)
            + ", which ends follow-up: row excluded",
            row=sub["row"],
            patient=pid,
            column=None,
        )
        assessments = assessments[~after].reset_index(drop=True)
    return procedures, assessments
