"""Inbox polling: digitize every complete batch. Network shares send no
file-system events, so the inbox is polled on a schedule (prefect.yaml) or in
a loop (``sohoa watch``)."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment

from sohoa.app import backends
from sohoa.app.claims import claim_folder
from sohoa.app.intake import check_data_dir_writable, open_inbox
from sohoa.core.fsutil import private_by_default
from sohoa.flows.digitize import check_tools, digitize_batch, task_runner_for
from sohoa.models import BatchReport
from sohoa.pipeline.inbox import find_ready_batches

DIGITIZE_DEPLOYMENT = "digitize-batch/digitize-batch"
MAX_RUNS_PER_BATCH = 20


@flow(name="poll-inbox", validate_parameters=False)
def poll_inbox(inbox: str, mark_inbox: bool = False, dispatch: bool = False) -> list[BatchReport]:
    """Digitize every complete batch; ``mark_inbox`` when a person named the
    folder (see ``app/intake.py:open_inbox``), never from a deployment.

    With ``dispatch`` (the deployment's setting), each batch becomes a run of
    the digitize-batch deployment, which any worker of the pool may take;
    without, the batches run here, one after the other."""
    private_by_default()  # a worker started without the CLI
    settings = backends.settings()
    folder = open_inbox(inbox, mark=mark_inbox)
    check_data_dir_writable(settings)
    check_tools(settings)
    batches = find_ready_batches(folder, settings.quiet_seconds)
    if batches:
        get_run_logger().info("%d complete batch(es) in %s", len(batches), inbox)
    if dispatch:
        for batch in batches:
            _dispatch(batch)
        return []
    run_batch = digitize_batch.with_options(task_runner=task_runner_for(settings))
    return [run_batch(str(batch)) for batch in batches]


def _dispatch(batch: Path) -> None:
    """One digitize-batch run per batch folder: a later poll that sees the
    batch still waiting for a worker gets the same run back (idempotency key),
    and the batch claim stops two runs from working on it anyway.

    A batch still here after its run ended (the run crashed with its worker,
    or kept the batch through an outage) gets a new run, keyed after the last.
    A batch that a run finished and moved away since the inbox was listed
    gets none."""
    try:
        folder = batch.stat()
    except FileNotFoundError:
        return
    key = f"{batch}:{folder.st_ino}:{folder.st_ctime_ns}"
    for _ in range(MAX_RUNS_PER_BATCH):
        run: FlowRun = run_deployment(  # type: ignore[assignment]  # sync in a sync flow
            DIGITIZE_DEPLOYMENT,
            parameters={"batch_path": str(batch)},
            timeout=0,
            idempotency_key=key,
            as_subflow=False,
        )
        if run.state is None or not run.state.is_final() or claim_folder(batch).exists():
            get_run_logger().info("Batch %s dispatched as flow run %s", batch.name, run.name)
            return
        if not batch.exists():
            return  # its run finished and moved it after the inbox was listed
        key = f"{batch}:after:{run.id}"
    get_run_logger().warning(
        "Batch %s has had %d runs and is still in the inbox; see those runs' logs",
        batch.name,
        MAX_RUNS_PER_BATCH,
    )
