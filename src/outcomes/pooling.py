"""Several sites, one analysis: pool the site summaries of :mod:`outcomes.sitesummary`.

The pooled relief curve is the Turnbull NPMLE of every site's relief
histories together, fitted by :func:`outcomes.survival.fit_npmle` exactly
as for one clinic: each history line stands for that many patients, each
with its procedures, so the bootstrap resamples patients and the group test
accounts for patients with several procedures. Sites are never linked: a
patient seen at two sites counts twice. Responder rates, the cumulative
incidence of competing events and Table 1 add the sites' counts. With exact
summaries (``min_cell=0``) every number equals the analysis of all the
sites' rows in one file; protected summaries give the coarser data's
estimates (see :mod:`outcomes.sitesummary`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from outcomes.endpoints import COMPETING_EVENTS, EXCLUSIONS, ReliefDefinition
from outcomes.errors import OptionError, OutcomesError
from outcomes.io import DAYS_PER_MONTH
from outcomes.sitesummary import ALL, FORMAT

__all__ = ["Pooled", "funnel_limits", "pool", "read_summaries"]

#: What ``--by`` may name.
POOL_BY = ("site", "joint", "technique")


class SummaryError(OutcomesError):
    """A site summary cannot be read or does not match the others."""


def read_summaries(paths: Sequence[str | Path]) -> list[dict[str, Any]]:
    """Read site summaries (JSON); one problem per line in the error, naming the file."""
    problems: list[str] = []
    out: list[dict[str, Any]] = []
    for p in paths:
        path = Path(p)
        try:
            s = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            problems.append(f"{path}: no such file")
            continue
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            problems.append(
                f"{path}: not a site summary (not JSON: {e.msg if hasattr(e, 'msg') else e})"
            )
            continue
        if not isinstance(s, dict) or s.get("format") != FORMAT["format"]:
            problems.append(
                f"{path}: not a site summary; make one with: outcomes share FILE --site NAME"
            )
            continue
        if s.get("version") != FORMAT["version"]:
            problems.append(
                f"{path}: site summary version {s.get('version')!r}; this outcomes reads "
                f"version {FORMAT['version']}: share it again with this version"
            )
            continue
        s["_file"] = path.name
        out.append(s)
    if not problems:
        problems += _mismatches(out)
    if problems:
        raise SummaryError("\n".join(problems))
    return out


def _plain(value: Any) -> Any:
    """``value`` as JSON reads it back (tuples become lists), to compare summaries made
    in memory with those read from files."""
    return json.loads(json.dumps(value))


def _mismatches(summaries: list[dict[str, Any]]) -> list[str]:
    problems = []
    if not summaries:
        return ["no site summary given"]
    first = summaries[0]
    for s in summaries[1:]:
        for key, what in (
            ("definition", "relief definition"),
            ("instrument", "pain score instrument"),
            ("landmarks_months", "landmarks"),
        ):
            mine, theirs = _plain(s.get(key)), _plain(first.get(key))
            if mine != theirs:
                if isinstance(mine, dict) and isinstance(theirs, dict):
                    fields = sorted(
                        f for f in mine.keys() | theirs.keys() if mine.get(f) != theirs.get(f)
                    )
                    diff = ", ".join(f"{f} {mine.get(f)} against {theirs.get(f)}" for f in fields)
                else:
                    diff = f"{mine} against {theirs}"
                problems.append(
                    f"{s['_file']}: its {what} differs from that of {first['_file']} ({diff}); "
                    "share every site with the same options"
                )
    names = [s["site"] for s in summaries]
    for name in sorted({n for n in names if names.count(n) > 1}):
        files = ", ".join(s["_file"] for s in summaries if s["site"] == name)
        problems.append(f"{files}: the same site name {name!r}; give each site its own --site")
    return problems


# --------------------------------------------------------------------------- #
# tables from the summaries


def _procedures(summaries: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per procedure of the relief histories: site, patient (a pseudo id that
    is the site and history line and copy), interval in months, joint, technique."""
    sites: list[int] = []
    lines: list[int] = []
    sizes: list[int] = []
    lo: list[float] = []
    up: list[float] = []
    joint: list[str] = []
    tech: list[str] = []
    for si, s in enumerate(summaries):
        for li, h in enumerate(s["histories"]):
            n = int(h["patients"])
            for proc in h["procedures"]:
                sites.append(si)
                lines.append(li)
                sizes.append(n)
                lo.append(proc[0])
                up.append(np.nan if proc[1] is None else proc[1])
                joint.append(proc[2])
                tech.append(proc[3])
    per_line = pd.DataFrame(
        {
            "site_index": sites,
            "line": lines,
            "n": sizes,
            "lower_days": np.asarray(lo, dtype=float),
            "upper_days": np.asarray(up, dtype=float),
            "joint": joint,
            "technique": tech,
        }
    )
    # each line stands for n patients: repeat its procedures n times, copy by copy
    reps = np.repeat(per_line.index.to_numpy(), per_line["n"].to_numpy())
    rows = per_line.loc[reps].reset_index(drop=True)
    # copies of a line with several procedures: its first procedure's rows, then the next's
    rows["copy"] = _copy_numbers(per_line["n"])
    names = np.array([s["site"] for s in summaries], dtype=object)
    rows["site"] = names[rows["site_index"].to_numpy()]
    key = pd.MultiIndex.from_arrays([rows["site_index"], rows["line"], rows["copy"]])
    rows["patient"] = pd.factorize(key)[0]
    rows["lower_months"] = rows["lower_days"] / DAYS_PER_MONTH
    rows["upper_months"] = (rows["upper_days"] / DAYS_PER_MONTH).fillna(np.inf)
    rows["excluded"] = None
    for col in ("joint", "technique"):  # merged at a site ("*"): not known, as for one clinic
        rows[col] = rows[col].where(rows[col] != ALL, None)
    return rows[
        ["site", "patient", "lower_months", "upper_months", "joint", "technique", "excluded"]
    ]


def _in(table: pd.DataFrame, merged: dict[str, list[str]], name: str) -> pd.Series:
    """Rows of ``table`` from the sites whose ``name`` table was merged."""
    return table["site"].isin([site for site, tables in merged.items() if name in tables])


def _merged_sites(summaries: list[dict[str, Any]], field: str) -> dict[str, list[str]]:
    """Per table, the sites that merged lines across ``field`` ("joint" or "technique")
    to protect small cells, as sentences ("relief histories", "responders at 3, 6
    months"). A site's remaining lines of one joint or technique are then the common
    ones (small cells are rare outcomes), so a per-joint or per-technique estimate
    leaves that site out of that table (responders: that landmark) rather than use them."""
    at = {"joint": 2, "technique": 3}[field]
    out: dict[str, list[str]] = {}
    for s in summaries:
        tables = [
            name
            for name, merged in (
                (
                    "relief histories",
                    any(p[at] == ALL for h in s["histories"] for p in h["procedures"]),
                ),
                ("competing events", any(r[field] == ALL for r in s["competing"])),
            )
            if merged
        ]
        months = sorted({float(r["months"]) for r in s["responders"] if r[field] == ALL})
        if months:
            tables.append(f"responders at {', '.join(f'{m:g}' for m in months)} months")
        if tables:
            out[s["site"]] = tables
    return out


def _merged_landmarks(resp: pd.DataFrame, field: str) -> pd.Series:
    """Responder lines of a site and landmark where that site merged across ``field``
    (the site's other landmarks are complete and stay)."""
    merged = resp[field] == ALL
    return merged.groupby([resp["site"], resp["months"]]).transform("any").astype(bool)


def _left_out_note(merged: dict[str, list[str]]) -> list[str]:
    return [f"{site}'s {', '.join(tables)}" for site, tables in merged.items()]


def _copy_numbers(n: pd.Series) -> np.ndarray:
    """0..n-1 for each line's repeats, in the order np.repeat makes them."""
    counts = n.to_numpy(dtype=np.int64)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(int(counts.sum())) - starts


def _table(summaries: list[dict[str, Any]], key: str) -> pd.DataFrame:
    """One of the sites' tables, all sites' lines together with their ``site``."""
    return pd.DataFrame([{**r, "site": s["site"]} for s in summaries for r in s[key]])


def _rates(table: pd.DataFrame, marks: Sequence[float], conf_level: float = 0.95) -> pd.DataFrame:
    from outcomes._binomial import wilson

    idx = pd.Index([float(m) for m in marks], name="months")
    if table.empty:
        assessed = pd.Series(0, index=idx)
        responders = pd.Series(0, index=idx)
    else:
        g = table.groupby("months")
        assessed = g["procedures"].sum().reindex(idx, fill_value=0)
        responders = (
            table[table["relief"].astype(bool)]
            .groupby("months")["procedures"]
            .sum()
            .reindex(idx, fill_value=0)
        )
    out = pd.DataFrame({"assessed": assessed.astype(int), "responders": responders.astype(int)})
    out = out.reset_index()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rate"] = out["responders"] / out["assessed"].where(out["assessed"] > 0)
    out["lower"], out["upper"] = wilson(out["responders"], out["assessed"], conf_level)
    return out


def _competing(
    table: pd.DataFrame, marks: Sequence[float], withheld_at: Sequence[str] = ()
) -> pd.DataFrame:
    """Cumulative incidence of the competing events; where sites withheld small lines
    (rare events at rare times), the estimates undercount and each row's note says so."""
    from outcomes.survival import cumulative_incidence

    names = {code: name for name, code in COMPETING_EVENTS.items()}
    if table.empty:
        out = cumulative_incidence([0.0], [0], names, landmarks_months=tuple(marks))
    else:
        reps = np.repeat(np.arange(len(table)), table["procedures"].to_numpy(dtype=np.int64))
        months = table["days"].to_numpy(float)[reps] / DAYS_PER_MONTH
        cause = table["cause"].to_numpy(int)[reps]
        out = cumulative_incidence(months, cause, names, landmarks_months=tuple(marks))
    if withheld_at:
        said = f"too low: {', '.join(withheld_at)} withheld events in lines under their minimum"
        out["note"] = [f"{n}; {said}" if n else said for n in out["note"]]
    return out


def _competing_withheld(summaries: Sequence[dict[str, Any]]) -> list[str]:
    """Sites that withheld competing-event lines to protect small cells."""
    return [
        s["site"]
        for s in summaries
        if str(s["protection"].get("competing_withheld_procedures", "0")) != "0"
    ]


def _sum_counts(summaries: list[dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """Totals over sites; a count a site withheld (None) is left out and named."""
    out: dict[str, Any] = {}
    excluded: dict[str, int] = {}
    missing: list[str] = []
    for s in summaries:
        for key, v in s["counts"].items():
            if key == "excluded":
                for reason, n in v.items():
                    if n is None:
                        why = EXCLUSIONS.get(reason, reason)
                        missing.append(f"{s['site']}: procedures excluded for {why}")
                    excluded[reason] = excluded.get(reason, 0) + int(n or 0)
                continue
            if v is None:
                missing.append(f"{s['site']}: {key}")
            out[key] = out.get(key, 0) + int(v or 0)
    out["excluded"] = excluded
    return out, missing


def _joint_counts(summaries: list[dict[str, Any]], joint: str) -> dict[str, Any]:
    """Procedures, analysed and patients of one joint (Table 1 lines and patient counts)."""
    prof = _table(summaries, "profiles")
    procedures = analysed = 0
    if len(prof):
        prof = prof[prof["joint"] == joint]
        procedures = int(prof["procedures"].to_numpy().sum())
        analysed = int(prof.loc[prof["analysed"].astype(bool), "procedures"].to_numpy().sum())
    patients = [s["patients"]["by_joint"].get(joint) for s in summaries]
    return {
        "patients": sum(int(n or 0) for n in patients),
        "procedures": procedures,
        "analysed": analysed,
    }


# --------------------------------------------------------------------------- #
# the pooled analysis


@dataclass(frozen=True, eq=False)
class GroupPart:
    """Pooled estimates of one group (a site, joint or technique)."""

    name: str
    curve: Any
    responder_rates: pd.DataFrame
    counts: dict[str, Any]


@dataclass(frozen=True, eq=False)
class Pooled:
    """Result of :func:`pool`, with the attributes of :class:`outcomes.analysis.Analysis`
    that outputs read (``relief`` is one row per procedure of the histories, with a
    pseudo patient number; there is no ``cohort``: no row left any site)."""

    summaries: list[dict[str, Any]]
    definition: ReliefDefinition
    relief: pd.DataFrame
    curve: Any
    responder_rates: pd.DataFrame
    competing: pd.DataFrame
    landmarks_months: tuple[float, ...]
    seed: int
    counts: dict[str, Any]
    withheld: list[str]
    by: str | None = None
    groups: list[GroupPart] = field(default_factory=list)
    group_test: Any = None
    sites: list[GroupPart] = field(default_factory=list)
    site_test: Any = None
    method: str = "npmle"
    cohort: None = None
    #: what the per-joint or per-technique estimates leave out ("A's responders at 3
    #: months"): tables a site merged across joints or techniques to protect small cells
    left_out: list[str] = field(default_factory=list)

    def curves(self) -> list[tuple[str, Any]]:
        """(name, curve) per group (sorted by name), or the pooled curve alone, as
        :meth:`outcomes.analysis.Analysis.curves`."""
        if self.groups:
            return sorted(((g.name, g.curve) for g in self.groups), key=lambda x: x[0])
        return [("all", self.curve)]

    def risk_table(self, months: tuple[float, ...] = (0, 3, 6, 12, 18, 24)) -> pd.DataFrame:
        """At risk, lost and censored at each time for each curve of :meth:`curves`."""
        from outcomes.survival import risk_table

        frames = []
        for name, _ in self.curves():
            sub = self.relief if self.by is None else self.relief[self.relief[self.by] == name]
            t = risk_table(sub["lower_months"], sub["upper_months"], months)
            frames.append(t.assign(group=name))
        return pd.concat(frames, ignore_index=True)[
            ["group", "months", "at_risk", "lost", "censored"]
        ]

    def funnel(self, months: float = 12.0) -> pd.DataFrame:
        """Each site's responder rate at ``months`` against the pooled rate, with the
        95% and 99.8% control limits at its number assessed (:func:`funnel_limits`)."""
        rows = []
        for s in self.sites:
            r = s.responder_rates
            hit = r[np.isclose(r["months"].to_numpy(float), months)]
            if hit.empty:
                continue
            rows.append(
                {
                    "site": s.name,
                    "assessed": int(hit["assessed"].iloc[0]),
                    "responders": int(hit["responders"].iloc[0]),
                }
            )
        out = pd.DataFrame(rows, columns=["site", "assessed", "responders"])
        total_n, total_k = out["assessed"].sum(), out["responders"].sum()
        target = total_k / total_n if total_n else math.nan
        with np.errstate(divide="ignore", invalid="ignore"):
            out["rate"] = out["responders"] / out["assessed"].where(out["assessed"] > 0)
        limits = funnel_limits(target, out["assessed"].to_numpy(float))
        out = pd.concat([out, limits.drop(columns="n")], axis=1)
        out["pooled_rate"] = target
        out["months"] = float(months)
        below = out["rate"] < out["lower_998"]
        above = out["rate"] > out["upper_998"]
        out["signal"] = np.where(
            below, "below 99.8% limit", np.where(above, "above 99.8% limit", "")
        )
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON with the keys of ``outcomes analyze --json``, plus ``sites`` (each site's
        part), ``heterogeneity`` and ``pooling`` (what each site protected)."""
        from outcomes import __version__
        from outcomes.analysis import _num, _records, _summaries
        from outcomes.benchmark import benchmark_records, compare

        out: dict[str, Any] = {
            "outcomes_version": __version__,
            "input": [
                {"file": s["_file"], "site": s["site"], "min_cell": s["min_cell"]}
                for s in self.summaries
            ],
            "definition": {
                **self.definition.to_dict(),
                "instrument": self.summaries[0].get("instrument"),
                "text": self.definition.describe(),
            },
            "method": self.method,
            "seed": self.seed,
            "bootstrap_resamples": self.curve.n_boot,
            "counts": self.counts,
            **_summaries(self.curve, self.responder_rates),
            "cumulative_incidence": [
                {
                    "event": r["event"],
                    "months": _num(r["months"]),
                    "estimate": _num(r["estimate"]),
                    "lower": _num(r["lower"]),
                    "upper": _num(r["upper"]),
                    **({"note": r["note"]} if r["note"] else {}),
                }
                for r in _records(self.competing)
            ],
            "benchmarks": benchmark_records(compare(self)),  # type: ignore[arg-type]
        }
        if self.by is not None:
            out["by"] = self.by
            out["groups"] = [
                {"group": g.name, "counts": g.counts, **_summaries(g.curve, g.responder_rates)}
                for g in self.groups
            ]
            out["group_test"] = self.group_test.to_dict() if self.group_test else None
        out["sites"] = [
            {"site": g.name, "counts": g.counts, **_summaries(g.curve, g.responder_rates)}
            for g in self.sites
        ]
        funnel = self.funnel(12.0)
        out["heterogeneity"] = {
            "group_test_by_site": self.site_test.to_dict() if self.site_test else None,
            "funnel_12_months": [
                {k: (_num(v) if isinstance(v, float) else v) for k, v in r.items()}
                for r in _records(funnel)
            ],
        }
        out["pooling"] = {
            "sites": len(self.summaries),
            "counts_withheld": self.withheld,
            "left_out": self.left_out,
            "protection": {s["site"]: s["protection"]["steps"] for s in self.summaries},
        }
        return out


def funnel_limits(target: float, n: np.ndarray) -> pd.DataFrame:
    """Binomial control limits around ``target`` at each number assessed ``n``: 95% and
    99.8% (the exact binomial quantiles, interpolated as in Spiegelhalter 2005,
    Stat Med 24:1185, as national audits draw funnel plots)."""
    from scipy import stats

    n = np.asarray(n, dtype=float)
    out: dict[str, Any] = {"n": n}
    for name, p in (("95", 0.975), ("998", 0.999)):
        for side, q in (("lower", 1 - p), ("upper", p)):
            with np.errstate(divide="ignore", invalid="ignore"):
                r = stats.binom.ppf(q, n, target)
                # interpolate between the discrete quantiles (Spiegelhalter's alpha)
                cdf_r = stats.binom.cdf(r, n, target)
                cdf_r1 = stats.binom.cdf(r - 1, n, target)
                alpha = (cdf_r - q) / (cdf_r - cdf_r1)
                out[f"{side}_{name}"] = np.where(n > 0, (r - alpha) / n, np.nan)
    return pd.DataFrame(out)


def _part(
    name: str,
    rows: pd.DataFrame,
    rates: pd.DataFrame,
    marks: tuple[float, ...],
    tau: float,
    n_boot: int,
    seed: int,
    counts: dict[str, Any],
) -> GroupPart:
    from outcomes.survival import fit_npmle

    curve = fit_npmle(
        rows["lower_months"],
        rows["upper_months"],
        cluster=rows["patient"],
        landmarks_months=marks,
        tau_months=tau,
        n_boot=n_boot,
        seed=seed,
    )
    return GroupPart(name, curve, _rates(rates, marks), counts)


def pool(
    summaries: Sequence[dict[str, Any]],
    *,
    by: str | None = None,
    tau_months: float = 24.0,
    n_boot: int = 200,
    seed: int = 0,
    min_sites: int = 1,
    joint: str | None = None,
) -> Pooled:
    """The pooled analysis of site summaries (:func:`read_summaries` or
    :func:`outcomes.sitesummary.site_summary`).

    Parameters
    ----------
    by : {"site", "joint", "technique"}, optional
        Groups for per-group curves and the test of equal relief durations.
    tau_months : float
        Horizon of the restricted mean, months.
    n_boot, seed
        Bootstrap of the pooled curve (patients resampled within the pool).
    min_sites : int
        Refuse fewer sites (the vantage6 wrapper asks for 3).
    joint : str, optional
        Pool that joint's procedures only (lines a site merged across joints
        are left out; counts are then that joint's, from Table 1).
    """
    from outcomes.grouptest import compare_groups

    sums = [dict(s, _file=s.get("_file", s["site"])) for s in summaries]
    if len(sums) < min_sites:
        raise OptionError(f"{len(sums)} site(s) given; pooling needs at least {min_sites}")
    if by is not None and by not in POOL_BY:
        raise OptionError(f"cannot pool by {by!r}; choose one of: {', '.join(POOL_BY)}")
    problems = _mismatches(sums)
    if problems:
        raise SummaryError("\n".join(problems))
    marks = tuple(float(m) for m in sums[0]["landmarks_months"])
    definition = ReliefDefinition(**sums[0]["definition"])
    rows = _procedures(sums)
    if rows.empty:
        raise OptionError("no relief history in the site summaries: nothing to pool")
    resp = _table(sums, "responders")
    comp = _table(sums, "competing")
    counts, withheld = _sum_counts(sums)
    left_out: list[str] = []
    if joint is not None:
        merged = _merged_sites(sums, "joint")
        left_out = _left_out_note(merged)
        rows = rows[(rows["joint"] == joint) & ~_in(rows, merged, "relief histories")]
        if len(resp):
            resp = resp[(resp["joint"] == joint) & ~_merged_landmarks(resp, "joint")]
        if len(comp):
            comp = comp[(comp["joint"] == joint) & ~_in(comp, merged, "competing events")]
        counts = _joint_counts(sums, joint)
        if rows.empty:
            raise OptionError(
                f"no site kept its {joint} relief histories apart from other joints to "
                "protect small cells"
                if merged
                else f"no relief history of joint {joint!r} in the site summaries"
            )
    whole = _part("All", rows, resp, marks, tau_months, n_boot, seed, counts)

    site_parts = [
        _part(
            s["site"],
            rows[rows["site"] == s["site"]],
            resp[resp["site"] == s["site"]] if len(resp) else resp,
            marks,
            tau_months,
            n_boot,
            seed,
            _sum_counts([s])[0],
        )
        for s in sums
        if (rows["site"] == s["site"]).any()
    ]
    site_test = (
        compare_groups(
            rows["lower_months"], rows["upper_months"], rows["site"], cluster=rows["patient"]
        )
        if len(site_parts) > 1
        else None
    )
    groups: list[GroupPart] = []
    test = None
    if by == "site":
        groups, test = site_parts, site_test
    elif by is not None:
        merged = _merged_sites(sums, by)
        left_out += _left_out_note(merged)
        rows_by = rows[~_in(rows, merged, "relief histories")]
        resp_by = resp[~_merged_landmarks(resp, by)] if len(resp) else resp
        for name in sorted(str(n) for n in rows_by[by].dropna().unique()):
            sub = rows_by[rows_by[by] == name]
            sub_resp = resp_by[resp_by[by] == name] if len(resp_by) else resp_by
            counts_g = {"procedures_analysed": len(sub), "patients": int(sub["patient"].nunique())}
            groups.append(
                _part(str(name), sub, sub_resp, marks, tau_months, n_boot, seed, counts_g)
            )
        known = rows_by[rows_by[by].notna()]
        if known[by].nunique() > 1:
            test = compare_groups(
                known["lower_months"], known["upper_months"], known[by], cluster=known["patient"]
            )
    return Pooled(
        summaries=sums,
        definition=definition,
        relief=rows,
        curve=whole.curve,
        responder_rates=whole.responder_rates,
        competing=_competing(comp, marks, _competing_withheld(sums)),
        landmarks_months=marks,
        seed=seed,
        counts=counts,
        withheld=withheld,
        by=by,
        groups=groups,
        group_test=test,
        sites=site_parts,
        site_test=site_test,
        left_out=left_out,
    )
