"""Check that storage and index agree and that stored bytes are intact.

Backend-agnostic: only the ``ObjectStore`` and ``SearchIndex`` Protocols are
used, so the same check runs on the embedded pair and the production pair.
Every object a manifest references (and the manifest itself) is re-hashed
through ``ObjectStore.verify``, which reads the whole object: on a large
archive this is a long, read-heavy job.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from sohoa.core.errors import IntegrityError, ObjectNotFound
from sohoa.models import Record
from sohoa.storage.keys import manifest_key
from sohoa.storage.manifests import load_record, manifest_record_ids
from sohoa.storage.protocols import ObjectStore, SearchIndex

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What ``verify_storage`` found; every tuple is sorted."""

    records_checked: int
    objects_checked: int
    # Records whose manifest is stored but which searches cannot find.
    missing_from_index: tuple[str, ...] = ()
    # Index entries with no manifest behind them.
    missing_from_storage: tuple[str, ...] = ()
    # Keys whose bytes no longer hash to their recorded SHA-256.
    corrupt_objects: tuple[str, ...] = ()
    # Keys a manifest references that are not stored.
    missing_objects: tuple[str, ...] = ()
    # Record ids whose manifest cannot be read as a record.
    unreadable_manifests: tuple[str, ...] = ()
    # Keys no manifest references: left by an archive that was interrupted
    # (or, for a short while, written by one still running).
    orphan_objects: tuple[str, ...] = ()
    # "mode path" of what in the data folder other local users may read or
    # enter (wider than 0700 folders and 0600 files): a privacy finding for the
    # administrator, not a damaged record, so ``ok`` does not count it.
    wide_modes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not (
            self.missing_from_index
            or self.missing_from_storage
            or self.corrupt_objects
            or self.missing_objects
            or self.unreadable_manifests
            or self.orphan_objects
        )


def referenced_keys(record: Record) -> list[str]:
    """Every object key the record's manifest points at, manifest included,
    in a stable order without duplicates."""
    keys = [
        manifest_key(record.record_id),
        *(original.key for original in record.originals),
        record.searchable_pdf_key,
        record.ocr_key,
        *(key for page in record.pages for key in (page.image_key, page.thumbnail_key)),
    ]
    return [key for key in dict.fromkeys(keys) if key]


def verify_storage(store: ObjectStore, index: SearchIndex) -> VerifyReport:
    """Compare the manifests in ``store`` with the ids in ``index`` and
    re-hash every object the manifests reference."""
    stored_ids: list[str] = []
    unreadable: list[str] = []
    corrupt: set[str] = set()
    missing: set[str] = set()
    checked: set[str] = set()  # originals may be shared by several records
    for record_id in manifest_record_ids(store):
        try:
            record = load_record(store, record_id)
        except ObjectNotFound:
            continue  # deleted while we were listing
        except IntegrityError as exc:
            log.warning("%s", exc)
            unreadable.append(record_id)
            keys = [manifest_key(record_id)]
        else:
            keys = referenced_keys(record)
        stored_ids.append(record_id)
        for key in keys:
            if key in checked:
                continue
            checked.add(key)
            if not store.verify(key):
                (corrupt if store.exists(key) else missing).add(key)
    # Elasticsearch shows a write to searches only after a refresh: without it a
    # record indexed a moment ago (the last of an ingest just finished) is
    # reported missing from the index.
    index.refresh()
    indexed_ids = set(index.record_ids())
    orphans = [key for key in store.list_keys() if key not in checked]
    report = VerifyReport(
        records_checked=len(stored_ids),
        objects_checked=len(checked),
        missing_from_index=tuple(sorted(set(stored_ids) - indexed_ids)),
        missing_from_storage=tuple(sorted(indexed_ids - set(stored_ids))),
        corrupt_objects=tuple(sorted(corrupt)),
        missing_objects=tuple(sorted(missing)),
        unreadable_manifests=tuple(sorted(unreadable)),
        orphan_objects=tuple(sorted(orphans)),
    )
    if not report.ok:
        log.warning("Storage check found problems: %s", report)
    return report


def remove_orphans(store: ObjectStore, report: VerifyReport, min_age_seconds: float) -> list[str]:
    """Delete the report's orphan objects last written at least ``min_age_seconds``
    ago; younger ones may belong to an archive still running. Returns the keys."""
    cutoff = time.time() - min_age_seconds
    removed = []
    for key in report.orphan_objects:
        stored = store.stat(key)
        if stored is None or stored.modified is None or stored.modified > cutoff:
            continue
        store.delete(key)
        removed.append(key)
    if removed:
        log.warning("Removed %d orphan objects", len(removed))
    return removed
