"""The vantage6 algorithm (outcomes.federated), run by vantage6's MockAlgorithmClient over
three synthetic sites in one process: no Docker, no server."""

from __future__ import annotations

import pytest

pytest.importorskip("vantage6.algorithm.tools.mock_client")

from vantage6.algorithm.tools.mock_client import MockAlgorithmClient

from outcomes.datasets import simulate_cohort
from outcomes.federated import PrivacyThreshold, node_summary, pool_results


@pytest.fixture(scope="module")
def frames():
    a = simulate_cohort(450, seed=3).assessments
    patients = a["patient_id"].unique()
    site = {p: i % 3 for i, p in enumerate(patients)}
    return [a[a["patient_id"].map(site) == s].reset_index(drop=True) for s in range(3)]


def _client(frames):
    return MockAlgorithmClient(
        datasets=[[{"database": f}] for f in frames],
        module="outcomes.federated",
        organization_ids=[11, 22, 33],
    )


def test_central_pools_the_three_nodes_as_the_engine_free_maths_does(frames, monkeypatch) -> None:
    monkeypatch.setenv("OUTCOMES_MIN_CELL", "5")
    client = _client(frames)
    task = client.task.create(
        input_={"method": "central", "kwargs": {"n_boot": 20}}, organizations=[11]
    )
    (result,) = client.result.from_task(task["id"])
    direct = pool_results(
        [
            node_summary(f, site=f"organisation {o}", min_cell=5, min_patients=20)
            for f, o in zip(frames, (11, 22, 33), strict=True)
        ],
        min_sites=3,
        n_boot=20,
    )
    assert [s["site"] for s in result["sites"]] == [f"organisation {o}" for o in (11, 22, 33)]
    assert result["counts"] == direct["counts"]
    assert result["relief_at"] == direct["relief_at"]
    assert result["responder_rate_at"] == direct["responder_rate_at"]
    assert result["counts"]["procedures"] == sum(
        f.drop_duplicates("procedure_id").shape[0] for f in frames
    )


def test_partial_shares_counts_only_with_the_node_minimum(frames, monkeypatch) -> None:
    monkeypatch.setenv("OUTCOMES_MIN_CELL", "10")  # the node's setting, not the task's
    client = _client(frames)
    task = client.task.create(
        input_={"method": "partial", "kwargs": {"site": "A"}}, organizations=[11]
    )
    (summary,) = client.result.from_task(task["id"])
    assert summary["min_cell"] == 10
    assert all(h["patients"] >= 10 for h in summary["histories"])
    text = str(summary)
    for pid in frames[0]["patient_id"].unique()[:20]:
        assert f"'{pid}'" not in text


def test_fewer_sites_than_the_node_minimum_are_refused(frames, monkeypatch) -> None:
    monkeypatch.setenv("OUTCOMES_MIN_SITES", "3")
    client = MockAlgorithmClient(
        datasets=[[{"database": f}] for f in frames[:2]],
        module="outcomes.federated",
        organization_ids=[11, 22],
    )
    with pytest.raises(PrivacyThreshold, match="at least 3"):
        client.task.create(input_={"method": "central", "kwargs": {}}, organizations=[11])


def test_a_site_under_its_minimum_patients_refuses(frames) -> None:
    small = frames[0][frames[0]["patient_id"].isin(frames[0]["patient_id"].unique()[:8])]
    with pytest.raises(PrivacyThreshold, match="fewer patients"):
        node_summary(small, site="tiny", min_cell=5, min_patients=20)
