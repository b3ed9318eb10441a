"""The poller turns each batch into one run of the digitize-batch deployment,
and a batch still in the inbox after its run ended gets a new one."""

from __future__ import annotations

from pathlib import Path

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName
from prefect.client.schemas.objects import FlowRun
from prefect.client.schemas.sorting import FlowRunSort
from prefect.states import Completed, Crashed

from sohoa.app import claims
from sohoa.flows.digitize import digitize_batch
from sohoa.flows.inbox import _dispatch, poll_inbox
from tests.helpers.pages import write_small_batch


def _batch_runs(batch: Path) -> list[FlowRun]:
    """The digitize-batch runs of ``batch`` (the Prefect server is shared by the tests)."""
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["digitize-batch"])),
            sort=FlowRunSort.START_TIME_ASC,
        )
    return [run for run in runs if run.parameters == {"batch_path": str(batch)}]


def test_a_batch_whose_run_crashed_is_dispatched_again(
    prefect_server: None, sohoa_home: Path
) -> None:
    inbox = sohoa_home / "inbox"
    batch = inbox / "crashed-with-its-worker"
    write_small_batch(batch, ["Ho so 9\nmay chu bi tat"], ("png",))
    digitize_batch.to_deployment(name="digitize-batch").apply()
    poll_inbox(str(inbox), dispatch=True)
    poll_inbox(str(inbox), dispatch=True)
    [first] = _batch_runs(batch)  # the second poll found the first run still waiting
    assert first.parameters == {"batch_path": str(batch)}

    with get_client(sync_client=True) as client:
        client.set_flow_run_state(first.id, Crashed(message="worker host lost"), force=True)
    poll_inbox(str(inbox), dispatch=True)

    runs = _batch_runs(batch)
    assert len(runs) == 2 and runs[0].id == first.id
    assert runs[1].state is not None and runs[1].state.is_scheduled()
    assert runs[1].parameters == {"batch_path": str(batch)}

    held = claims.try_claim(batch)  # a run of another host works on it now
    assert held is not None
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(runs[1].id, Crashed(message="lost too"), force=True)
    poll_inbox(str(inbox), dispatch=True)
    claims.release(held)
    assert len(_batch_runs(batch)) == 2


def test_a_batch_moved_away_after_the_inbox_was_listed_gets_no_run(
    prefect_server: None, sohoa_home: Path
) -> None:
    """Polls overlap: one lists the inbox, then a run of an earlier poll
    finishes a batch and moves it to processed/ before this one dispatches it."""
    inbox = sohoa_home / "inbox"
    batch = inbox / "finished-meanwhile"
    write_small_batch(batch, ["Ho so 10\nda xong"], ("png",))
    digitize_batch.to_deployment(name="digitize-batch").apply()
    poll_inbox(str(inbox), dispatch=True)
    [first] = _batch_runs(batch)
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(first.id, Completed(), force=True)
    batch.rename(sohoa_home / "processed-finished-meanwhile")

    _dispatch(batch)  # as the overlapping poll does with its earlier listing

    assert [run.id for run in _batch_runs(batch)] == [first.id]
