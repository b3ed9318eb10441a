"""Keeping the index true to the object store, whose manifests are the
source of truth."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from prefect import flow, get_client, get_run_logger
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterEndTime,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType

from sohoa.app import backends
from sohoa.core.fsutil import wider_than_private
from sohoa.storage.manifests import iter_records
from sohoa.storage.verify import VerifyReport, remove_orphans, verify_storage


@flow(name="reindex", validate_parameters=False)
def reindex() -> int:
    """Build a fresh index from every manifest and swap it in; searches keep
    answering from the old index until the swap."""
    count = backends.search_index().rebuild(iter_records(backends.object_store()))
    get_run_logger().info("Reindexed %d records", count)
    return count


# An archive writes a record's objects within minutes; an orphan older than
# this is left by one that was interrupted.
ORPHAN_MIN_AGE_SECONDS = 3600.0


@flow(name="verify-storage", validate_parameters=False)
def verify(
    repair: bool = False, orphan_min_age_seconds: float = ORPHAN_MIN_AGE_SECONDS
) -> VerifyReport:
    """Compare storage with the index and re-hash every object; ``repair``
    removes orphan objects older than ``orphan_min_age_seconds`` and reports again."""
    store = backends.object_store()
    report = verify_storage(store, backends.search_index())
    if repair and remove_orphans(store, report, orphan_min_age_seconds):
        report = verify_storage(store, backends.search_index())
    wide_modes = wider_than_private(backends.settings().data_dir.absolute())
    if wide_modes:
        get_run_logger().warning(
            "%d files or folders in the data folder are readable by other users; "
            "chmod them to 0700 (folders) and 0600 (files)",
            len(wide_modes),
        )
    return dataclasses.replace(report, wide_modes=tuple(wide_modes))


# States after which a run never changes again.
_FINISHED = [StateType.COMPLETED, StateType.FAILED, StateType.CANCELLED, StateType.CRASHED]
_PRUNE_PAGE = 50  # the most the server's bulk delete takes at once


@flow(name="prune-prefect-runs", validate_parameters=False)
def prune_prefect_runs(keep_days: float | None = None) -> int:
    """Delete finished flow runs that ended more than ``keep_days`` ago
    (``SOHOA_PREFECT_KEEP_DAYS`` by default), their task runs and logs with
    them; returns how many. A poll every 30 s leaves ~70 MB of runs a day."""
    days = keep_days if keep_days is not None else backends.settings().prefect_keep_days
    ended_before = datetime.now(UTC) - timedelta(days=days)
    old_runs = FlowRunFilter(
        end_time=FlowRunFilterEndTime(before_=ended_before),
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=_FINISHED)),
    )
    pruned = 0
    body = {"flow_runs": old_runs.model_dump(mode="json", exclude_unset=True), "limit": _PRUNE_PAGE}
    with get_client(sync_client=True) as client:
        # One transaction per 50 runs (their task runs go with them; the server
        # deletes their logs in the background), not one request per run.
        while True:
            response = client.request("POST", "/flow_runs/bulk_delete", json=body)  # type: ignore[arg-type]
            response.raise_for_status()
            deleted = len(response.json()["deleted"])
            pruned += deleted
            if deleted < _PRUNE_PAGE:
                break
    get_run_logger().info("Pruned %d flow runs that ended before %s", pruned, ended_before)
    return pruned
