"""Prefect's database is pruned of finished runs older than the setting."""

from __future__ import annotations

import time

from prefect import flow, get_client, task

from sohoa.flows.maintenance import prune_prefect_runs


@task
def _page(number: int) -> int:
    return number


@flow
def _poll() -> int:
    return sum(_page(n) for n in range(3))


def _task_runs() -> int:
    with get_client(sync_client=True) as client:
        return len(client.read_task_runs(limit=200))


def test_finished_runs_older_than_the_setting_are_pruned_with_their_task_runs(
    prefect_server: None,
) -> None:
    prune_prefect_runs(keep_days=0.0)  # other tests' runs in the shared test server
    for _ in range(4):
        _poll()
    with get_client(sync_client=True) as client:
        ended = [r for r in client.read_flow_runs(limit=200) if r.end_time is not None]
    assert len(ended) == 5 and _task_runs() == 12  # the four polls and the clearing prune

    assert prune_prefect_runs(keep_days=1.0) == 0  # all ended just now: kept
    time.sleep(1.0)
    pruned = prune_prefect_runs(keep_days=0.5 / 86400)  # ended over half a second ago

    assert pruned == 6  # the four polls and the two prune runs before
    with get_client(sync_client=True) as client:
        left = client.read_flow_runs(limit=200)
    assert len(left) == 1  # the prune run itself, which had not ended
    assert _task_runs() == 0  # their task runs went with them
