"""Inbox polling: digitize every complete batch. Network shares send no
file-system events, so the inbox is polled on a schedule (prefect.yaml) or in
a loop (``sohoa watch``)."""

from __future__ import annotations

from prefect import flow, get_run_logger

from sohoa.app import backends
from sohoa.app.intake import open_inbox
from sohoa.core.fsutil import private_by_default
from sohoa.flows.digitize import check_tools, digitize_batch, task_runner_for
from sohoa.models import BatchReport
from sohoa.pipeline.inbox import find_ready_batches


@flow(name="poll-inbox", validate_parameters=False)
def poll_inbox(inbox: str, mark_inbox: bool = False) -> list[BatchReport]:
    """Digitize every complete batch; ``mark_inbox`` when a person named the
    folder (see ``app/intake.py:open_inbox``), never from a deployment."""
    private_by_default()  # a worker started without the CLI
    settings = backends.settings()
    folder = open_inbox(inbox, mark=mark_inbox)
    check_tools(settings)
    batches = find_ready_batches(folder, settings.quiet_seconds)
    if batches:
        get_run_logger().info("%d complete batch(es) in %s", len(batches), inbox)
    run_batch = digitize_batch.with_options(task_runner=task_runner_for(settings))
    return [run_batch(str(batch)) for batch in batches]
