"""Prefect's database is pruned of finished runs older than the setting."""

from __future__ import annotations

import time
from uuid import UUID

from prefect import flow, get_client, task
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

from sohoa.flows.maintenance import prune_prefect_runs


@task
def _page(number: int) -> int:
    return number


@flow
def _poll() -> int:
    return sum(_page(n) for n in range(3))


def _runs() -> set[UUID]:
    """The ids of every flow run in the (shared) test server."""
    with get_client(sync_client=True) as client:
        return {run.id for run in client.read_flow_runs(limit=200)}


def _task_runs(flow_runs: set[UUID]) -> int:
    of_these = FlowRunFilter(id=FlowRunFilterId(any_=list(flow_runs)))
    with get_client(sync_client=True) as client:
        return len(client.read_task_runs(flow_run_filter=of_these, limit=200))


def test_finished_runs_older_than_the_setting_are_pruned_with_their_task_runs(
    prefect_server: None,
) -> None:
    prune_prefect_runs(keep_days=0.0)  # other tests' finished runs in the shared test server
    others = _runs()  # runs that never ended (killed by the fault tests) and the prune
    for _ in range(4):
        _poll()
    polls = _runs() - others
    assert len(polls) == 4 and _task_runs(polls) == 12

    assert prune_prefect_runs(keep_days=1.0) == 0  # all ended just now: kept
    time.sleep(1.0)
    pruned = prune_prefect_runs(keep_days=0.5 / 86400)  # ended over half a second ago

    assert pruned == 6  # the four polls and the two prune runs before
    left = _runs()
    assert not polls & left and _task_runs(polls) == 0  # their task runs went with them
    # Beside the runs that never ended, only the last prune run: it had not ended as it pruned.
    assert len(left - others) == 1
