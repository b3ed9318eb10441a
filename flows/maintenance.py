"""Keeping the index true to the object store, whose manifests are the
source of truth."""

from __future__ import annotations

from prefect import flow, get_run_logger

from sohoa.app import backends
from sohoa.storage.manifests import iter_records
from sohoa.storage.verify import VerifyReport, verify_storage


@flow(name="reindex", validate_parameters=False)
def reindex() -> int:
    """Build a fresh index from every manifest and swap it in; searches keep
    answering from the old index until the swap."""
    count = backends.search_index().rebuild(iter_records(backends.object_store()))
    get_run_logger().info("Reindexed %d records", count)
    return count


@flow(name="verify-storage", validate_parameters=False)
def verify() -> VerifyReport:
    return verify_storage(backends.object_store(), backends.search_index())
