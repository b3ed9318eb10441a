"""The two rules that keep an interrupted archive whole, pinned on the real
flow and a real filesystem store (each was a mutation no test caught):

- a record's manifest is written after every object it lists, so a crash
  never leaves a manifest pointing at nothing;
- the same file twice in one batch is one record and one duplicate, never a
  second digitization that fails on the first one's scratch files.
"""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from sohoa.app import backends
from sohoa.flows.digitize import digitize_batch
from sohoa.models import FileStatus
from sohoa.storage.keys import manifest_key
from sohoa.storage.manifests import load_record
from sohoa.storage.protocols import ObjectStore
from sohoa.storage.verify import referenced_keys
from tests.helpers.pages import small_scan

pytestmark = pytest.mark.ocr


class WriteOrder:
    """A real object store that notes the key of every write, in order."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self.writes: list[str] = []

    def put_file(self, key: str, path: Path, content_type: str) -> Any:
        self.writes.append(key)
        return self.store.put_file(key, path, content_type)

    def put_bytes(self, key: str, data: bytes, content_type: str) -> Any:
        self.writes.append(key)
        return self.store.put_bytes(key, data, content_type)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def test_the_manifest_is_written_after_every_object_it_lists(
    prefect_server: None, sohoa_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = WriteOrder(backends.object_store())
    monkeypatch.setattr(backends, "object_store", cache(lambda: recorder))  # reset() clears it
    batch = sohoa_home / "inbox" / "order"
    batch.mkdir()
    small_scan("Thu tu ghi\nbien ban").save(batch / "hoso.png", dpi=(300, 300))

    report = digitize_batch(str(batch))

    (record_id,) = report.records
    listed = referenced_keys(load_record(recorder.store, record_id))
    assert recorder.writes[-1] == manifest_key(record_id)
    assert set(listed) <= set(recorder.writes)  # each listed object was written before


def test_the_same_file_twice_in_a_batch_is_one_record_and_one_duplicate(
    prefect_server: None, sohoa_home: Path
) -> None:
    batch = sohoa_home / "inbox" / "twice"
    batch.mkdir()
    small_scan("Hai ban giong nhau\ncung mot ho so").save(batch / "a.png", dpi=(300, 300))
    shutil.copy(batch / "a.png", batch / "b.png")

    report = digitize_batch(str(batch))

    by_file = {o.file: o for o in report.files}
    assert by_file["a.png"].status is FileStatus.STORED
    assert by_file["b.png"].status is FileStatus.DUPLICATE
    assert by_file["b.png"].duplicate_of == by_file["a.png"].record_id
    assert len(report.records) == 1 and not (sohoa_home / "quarantine").exists()
