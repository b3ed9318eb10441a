"""Inbox polling: digitize every complete batch. Network shares send no
file-system events, so the inbox is polled on a schedule (prefect.yaml) or in
a loop (``sohoa watch``)."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger

from sohoa.app import backends
from sohoa.flows.digitize import check_tools, digitize_batch, task_runner_for
from sohoa.models import BatchReport
from sohoa.pipeline.inbox import find_ready_batches


@flow(name="poll-inbox", validate_parameters=False)
def poll_inbox(inbox: str) -> list[BatchReport]:
    settings = backends.settings()
    check_tools(settings)
    batches = find_ready_batches(Path(inbox), settings.quiet_seconds)
    if batches:
        get_run_logger().info("%d complete batch(es) in %s", len(batches), inbox)
    run_batch = digitize_batch.with_options(task_runner=task_runner_for(settings))
    return [run_batch(str(batch)) for batch in batches]
