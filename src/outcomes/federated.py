"""Multi-site analysis as a vantage6 algorithm: each node shares its summary, one pools.

The maths is engine-free: :func:`node_summary` (a node's follow-up table ->
its site summary, :mod:`outcomes.sitesummary`) and :func:`pool_results`
(summaries -> the pooled analysis as JSON, :mod:`outcomes.pooling`). The
vantage6 wrapper is two functions, found by name by the vantage6 node:

- ``partial``: runs on every node on its own data (``@data(1)``) and returns
  the site summary; nothing else leaves the node;
- ``central``: creates the ``partial`` task at every organisation of the
  collaboration, waits, and pools.

Thresholds are the node's, set by its administrator in the node's algorithm
environment, never by the researcher who sends the task:
``OUTCOMES_MIN_CELL`` (default 5: no line of a table under it),
``OUTCOMES_MIN_PATIENTS`` (default 20: a site with fewer patients refuses)
and, on the node that runs ``central``, ``OUTCOMES_MIN_SITES`` (default 3).
See docs/federated.md.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from outcomes.errors import OptionError

__all__ = ["DEFAULTS", "central", "node_summary", "partial", "pool_results"]

#: Node settings and their defaults.
DEFAULTS = {"OUTCOMES_MIN_CELL": 5, "OUTCOMES_MIN_PATIENTS": 20, "OUTCOMES_MIN_SITES": 3}


class PrivacyThreshold(OptionError):
    """A node's threshold refuses the task."""


def node_summary(
    followup: pd.DataFrame,
    *,
    site: str,
    min_cell: int,
    min_patients: int,
    definition: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A node's site summary from its follow-up table (the long or wide file format).

    Raises
    ------
    PrivacyThreshold
        The site has fewer than ``min_patients`` patients.
    """
    from outcomes.analysis import analyze
    from outcomes.endpoints import ReliefDefinition
    from outcomes.sitesummary import site_summary

    with tempfile.TemporaryDirectory() as tmp:  # the loader reads files; the frame stays local
        path = Path(tmp) / "followup.csv"
        followup.to_csv(path, index=False)
        result = analyze(path, definition=ReliefDefinition(**(definition or {})), n_boot=0)
    if result.counts["patients"] < min_patients:
        raise PrivacyThreshold(
            f"site {site}: fewer patients than this node's minimum ({min_patients})"
        )
    return site_summary(result, site=site, min_cell=min_cell)


def pool_results(
    summaries: list[dict[str, Any]], *, min_sites: int, n_boot: int = 200, seed: int = 0
) -> dict[str, Any]:
    """The pooled analysis of the nodes' summaries, as JSON (``outcomes pool --json``)."""
    from outcomes.pooling import pool

    if len(summaries) < min_sites:
        raise PrivacyThreshold(
            f"{len(summaries)} site(s) answered; this node pools at least {min_sites}"
        )
    return pool(summaries, n_boot=n_boot, seed=seed).to_dict()


def _setting(name: str) -> int:
    """A node setting, from the node's algorithm environment (vantage6 encodes values)."""
    try:
        from vantage6.algorithm.tools.util import get_env_var
    except ImportError:  # plain environment, outside vantage6
        return int(os.environ.get(name, DEFAULTS[name]))
    return int(get_env_var(name, default=str(DEFAULTS[name]), as_type="int"))


try:
    from vantage6.algorithm.tools.decorators import algorithm_client, data
except ImportError:  # the federated extra is not installed

    def partial(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise OptionError("outcomes.federated needs the extra: pip install 'outcomes[federated]'")

    def central(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise OptionError("outcomes.federated needs the extra: pip install 'outcomes[federated]'")

else:

    @data(1)
    def partial(
        followup: pd.DataFrame, site: str, definition: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Node side: this node's site summary (counts only), thresholds from the node."""
        return node_summary(
            followup,
            site=site,
            min_cell=_setting("OUTCOMES_MIN_CELL"),
            min_patients=_setting("OUTCOMES_MIN_PATIENTS"),
            definition=definition,
        )

    @algorithm_client
    def central(
        client: Any,
        definition: dict[str, Any] | None = None,
        n_boot: int = 200,
        seed: int = 0,
    ) -> dict[str, Any]:
        """Pool every organisation of the collaboration; each is named by its id."""
        orgs = [int(o["id"]) for o in client.organization.list()]
        min_sites = _setting("OUTCOMES_MIN_SITES")
        if len(orgs) < min_sites:
            raise PrivacyThreshold(
                f"{len(orgs)} organisation(s) in the collaboration; this node pools at "
                f"least {min_sites}"
            )
        summaries = []
        for org in orgs:  # one task per organisation, so each summary carries its name
            task = client.task.create(
                input_={
                    "method": "partial",
                    "kwargs": {"site": f"organisation {org}", "definition": definition},
                },
                organizations=[org],
                name="outcomes partial",
                description="site summary of relief after joint denervation",
            )
            summaries += client.wait_for_results(task_id=task["id"])
        return pool_results(summaries, min_sites=min_sites, n_boot=n_boot, seed=seed)
