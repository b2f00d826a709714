"""Time Kaplan-Meier and Aalen-Johansen fits at 10^4, 10^5 and 10^6 subjects.

Run ``.venv/bin/python benchmarks/bench_km.py``. For each size it prints the
best wall time of a few runs of :func:`outcomes._km.kaplan_meier` and
:func:`outcomes._km.aalen_johansen` next to lifelines' ``KaplanMeierFitter``
and ``AalenJohansenFitter`` (with ``calculate_variance=True``, one cause of
interest per fit, where ours returns every cause in one fit). Nothing is
asserted: speed is reported, not tested.

The data are continuous months (no tied times: the worst case for a
vectorised fit, since every observation is its own distinct time, and the
case in which lifelines' Aalen-Johansen does not jitter ties). Two causes and
censoring, in roughly equal shares.

lifelines' Aalen-Johansen fit runs in a child process that is stopped after
60 s; once a size has hit that limit the larger ones are skipped, and the
table says so.
"""

from __future__ import annotations

import multiprocessing as mp
import platform
from collections.abc import Callable
from functools import partial
from time import perf_counter

import lifelines
import numpy as np
import numpy.typing as npt

from outcomes._km import aalen_johansen, kaplan_meier

SIZES = (10_000, 100_000, 1_000_000)
LIFELINES_AJ_LIMIT = 60.0  # seconds

Data = tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]


def make_data(n: int, seed: int = 0) -> Data:
    """Months to the first of two competing events or to censoring."""
    rng = np.random.default_rng(seed)
    t1 = rng.exponential(20.0, n)
    t2 = rng.exponential(35.0, n)
    tc = rng.uniform(0.0, 40.0, n)
    time = np.minimum(np.minimum(t1, t2), tc)
    cause = np.where(t1 == time, 1, np.where(t2 == time, 2, 0)).astype(np.int64)
    return time, cause


def best_of(fn: Callable[[], object], repeats: int) -> float:
    """Best wall time of ``repeats`` calls, in seconds."""
    best = np.inf
    for _ in range(repeats):
        start = perf_counter()
        fn()
        best = min(best, perf_counter() - start)
    return float(best)


def _lifelines_aj_child(n: int, out: mp.Queue[float]) -> None:
    from lifelines import AalenJohansenFitter

    time, cause = make_data(n)
    start = perf_counter()
    AalenJohansenFitter(calculate_variance=True).fit(time, cause, event_of_interest=1)
    out.put(perf_counter() - start)


def lifelines_aj_seconds(n: int) -> float | None:
    """One lifelines Aalen-Johansen fit in a child process; None if over the limit."""
    ctx = mp.get_context("spawn")
    queue: mp.Queue[float] = ctx.Queue()
    child = ctx.Process(target=_lifelines_aj_child, args=(n, queue))
    child.start()
    child.join(LIFELINES_AJ_LIMIT + 30.0)  # the limit applies to the fit, not to start-up
    if child.is_alive():
        child.terminate()
        child.join()
        return None
    seconds = queue.get(timeout=5.0)
    return seconds if seconds <= LIFELINES_AJ_LIMIT else None


def main() -> None:
    from lifelines import KaplanMeierFitter

    print(
        f"outcomes._km vs lifelines {lifelines.__version__}, numpy {np.__version__}, "
        f"Python {platform.python_version()}, {mp.cpu_count()} CPUs"
    )
    print("seconds, best of 3 (1 at 10^6); continuous times, 2 causes + censoring")
    header = f"{'n':>10} {'km':>8} {'lifelines km':>13} {'aj':>8} {'lifelines aj':>13}"
    print(header)
    aj_gave_up = False
    notes: list[str] = []
    for n in SIZES:
        time, cause = make_data(n)
        event = cause > 0
        repeats = 3 if n < 1_000_000 else 1
        ours_km = best_of(partial(kaplan_meier, time, event), repeats)
        ours_aj = best_of(partial(aalen_johansen, time, cause), repeats)
        ll_km = best_of(partial(KaplanMeierFitter().fit, time, event), repeats)
        if aj_gave_up:
            ll_aj_text = "skipped"
        else:
            ll_aj = lifelines_aj_seconds(n)
            if ll_aj is None:
                aj_gave_up = True
                ll_aj_text = f"> {LIFELINES_AJ_LIMIT:.0f}"
                notes.append(
                    f"lifelines AalenJohansenFitter took over {LIFELINES_AJ_LIMIT:.0f} s at "
                    f"n = {n:,} and was stopped; larger sizes skipped."
                )
            else:
                ll_aj_text = f"{ll_aj:.3f}"
        print(f"{n:>10,} {ours_km:>8.3f} {ll_km:>13.3f} {ours_aj:>8.3f} {ll_aj_text:>13}")
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
