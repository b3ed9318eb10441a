"""Records as manifests in an ``ObjectStore``: the manifest is a record's
last write and the source of truth (the search index can always be rebuilt
from the manifests)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice

from pydantic import ValidationError

from sohoa.core.errors import IntegrityError, ObjectNotFound
from sohoa.models import Record
from sohoa.storage.keys import RECORDS, manifest_key, record_id_from_manifest_key
from sohoa.storage.protocols import ObjectStore

MANIFEST_CONTENT_TYPE = "application/json"
_RECORD_ID = re.compile(r"[0-9a-f]{1,64}")


def save_record(store: ObjectStore, record: Record) -> None:
    """Write the record's manifest; the last write of a record, so its
    presence means the record is whole."""
    data = record.model_dump_json().encode("utf-8")
    store.put_bytes(manifest_key(record.record_id), data, MANIFEST_CONTENT_TYPE)


def load_record(store: ObjectStore, record_id: str) -> Record:
    """Read a record's manifest; ``ObjectNotFound`` when there is none."""
    key = manifest_key(record_id)
    data = store.get_bytes(key)
    try:
        record = Record.model_validate_json(data)
    except ValidationError as exc:
        raise IntegrityError(
            f"The manifest {key} is damaged and cannot be read ({exc.error_count()} problems); "
            "restore it from backup or re-digitize the dossier."
        ) from exc
    if record.record_id != record_id:
        raise IntegrityError(f"The manifest {key} belongs to record {record.record_id}.")
    return record


def manifest_record_ids(store: ObjectStore, prefix: str = "") -> Iterator[str]:
    """Ids of the records whose manifest is stored, in lexical order."""
    for key in store.list_keys(RECORDS + prefix):
        record_id = record_id_from_manifest_key(key)
        if record_id and "/" not in record_id:
            yield record_id


def iter_records(store: ObjectStore) -> Iterator[Record]:
    """Every stored record, read from its manifest; a record deleted while
    iterating is skipped, a damaged manifest raises ``IntegrityError``."""
    for record_id in manifest_record_ids(store):
        try:
            yield load_record(store, record_id)
        except ObjectNotFound:
            continue


def find_record_id(store: ObjectStore, id_or_prefix: str) -> str:
    """The full id of the one stored record whose id starts with
    ``id_or_prefix`` (clerks type the first few characters)."""
    wanted = id_or_prefix.strip().lower()
    if not _RECORD_ID.fullmatch(wanted):
        raise ObjectNotFound(
            f"{id_or_prefix!r} is not a record id: use the hexadecimal id shown by search."
        )
    found = list(islice(manifest_record_ids(store, wanted), 2))
    if len(found) == 1 or wanted in found:
        return found[0]  # an exact id sorts before the ids it prefixes
    if not found:
        raise ObjectNotFound(f"No record id starts with {wanted!r}.")
    raise ObjectNotFound(f"Several records start with {wanted!r}; type more characters of the id.")
