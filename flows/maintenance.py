"""Keeping the index true to the object store, whose manifests are the
source of truth."""

from __future__ import annotations

import dataclasses

from prefect import flow, get_run_logger

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
