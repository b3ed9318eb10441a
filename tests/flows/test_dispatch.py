"""The poller turns each batch into one run of the digitize-batch deployment,
and a batch still in the inbox after its run ended gets a new one."""

from __future__ import annotations

from pathlib import Path

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName
from prefect.client.schemas.objects import FlowRun
from prefect.client.schemas.sorting import FlowRunSort
from prefect.states import Crashed

from sohoa.app import claims
from sohoa.flows.digitize import digitize_batch
from sohoa.flows.inbox import poll_inbox
from tests.helpers.pages import write_small_batch


def _batch_runs() -> list[FlowRun]:
    with get_client(sync_client=True) as client:
        return client.read_flow_runs(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["digitize-batch"])),
            sort=FlowRunSort.START_TIME_ASC,
        )


def test_a_batch_whose_run_crashed_is_dispatched_again(
    prefect_server: None, sohoa_home: Path
) -> None:
    inbox = sohoa_home / "inbox"
    batch = inbox / "crashed-with-its-worker"
    write_small_batch(batch, ["Ho so 9\nmay chu bi tat"], ("png",))
    digitize_batch.to_deployment(name="digitize-batch").apply()
    poll_inbox(str(inbox), dispatch=True)
    poll_inbox(str(inbox), dispatch=True)
    [first] = _batch_runs()  # the second poll found the first run still waiting
    assert first.parameters == {"batch_path": str(batch)}

    with get_client(sync_client=True) as client:
        client.set_flow_run_state(first.id, Crashed(message="worker host lost"), force=True)
    poll_inbox(str(inbox), dispatch=True)

    runs = _batch_runs()
    assert len(runs) == 2 and runs[0].id == first.id
    assert runs[1].state is not None and runs[1].state.is_scheduled()
    assert runs[1].parameters == {"batch_path": str(batch)}

    held = claims.try_claim(batch)  # a run of another host works on it now
    assert held is not None
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(runs[1].id, Crashed(message="lost too"), force=True)
    poll_inbox(str(inbox), dispatch=True)
    claims.release(held)
    assert len(_batch_runs()) == 2
