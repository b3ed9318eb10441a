"""``verify_storage`` on the embedded pair: a filesystem store and a SQLite index;
and on the live Elasticsearch, right after indexing."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sohoa.models import OriginalFile, PageRecord, Record
from sohoa.storage import keys
from sohoa.storage.filesystem import FilesystemObjectStore
from sohoa.storage.manifests import save_record
from sohoa.storage.protocols import SearchIndex
from sohoa.storage.sqlite_index import SqliteSearchIndex
from sohoa.storage.verify import VerifyReport, referenced_keys, remove_orphans, verify_storage
from tests.helpers.backends import fresh_index

Pair = tuple[FilesystemObjectStore, SqliteSearchIndex, list[Record]]


def store_record(store: FilesystemObjectStore, name: str, page_count: int = 2) -> Record:
    """Store a record the way the archive step does: objects, then manifest."""
    original_bytes = f"%PDF-1.7 {name}".encode()
    record_id = hashlib.sha256(original_bytes).hexdigest()
    original = store.put_bytes(
        keys.original_key(record_id, ".pdf"), original_bytes, "application/pdf"
    )
    pages = []
    for number in range(1, page_count + 1):
        image = store.put_bytes(
            keys.page_image_key(record_id, number), f"jpeg {name} {number}".encode(), "image/jpeg"
        )
        thumb = store.put_bytes(
            keys.thumbnail_key(record_id, number), f"thumb {name} {number}".encode(), "image/jpeg"
        )
        pages.append(
            PageRecord(
                number=number,
                source_file=f"{name}.pdf",
                width=2480,
                height=3508,
                dpi=300,
                text=f"Hồ sơ {name} trang {number}",
                image_key=image.key,
                thumbnail_key=thumb.key,
            )
        )
    pdf = store.put_bytes(keys.searchable_pdf_key(record_id), b"%PDF searchable", "application/pdf")
    ocr = store.put_bytes(keys.ocr_key(record_id), b'{"pages": []}', "application/json")
    record = Record(
        record_id=record_id,
        batch_id="verify-batch",
        originals=(
            OriginalFile(
                name=f"{name}.pdf",
                sha256=record_id,
                size=original.size,
                media_type="application/pdf",
                key=original.key,
                page_count=page_count,
            ),
        ),
        pages=tuple(pages),
        searchable_pdf_key=pdf.key,
        ocr_key=ocr.key,
        digitized_at=datetime(2024, 5, 1, tzinfo=UTC),
    )
    save_record(store, record)
    return record


@pytest.fixture
def pair(tmp_path: Path) -> Pair:
    store = FilesystemObjectStore(tmp_path / "objects")
    index = SqliteSearchIndex(tmp_path / "index.sqlite3")
    index.setup()
    records = [store_record(store, name) for name in ("alpha", "beta", "gamma")]
    assert index.index_records(records).indexed == 3
    return store, index, records


def test_a_consistent_archive_passes(
    pair: Pair,
) -> None:
    store, index, _ = pair

    report = verify_storage(store, index)

    # Per record: manifest, original, searchable pdf, ocr json, 2 images, 2 thumbnails.
    assert report == VerifyReport(records_checked=3, objects_checked=3 * 8)
    assert report.ok


def test_reports_corrupt_and_missing_objects_and_index_drift(
    pair: Pair,
) -> None:
    store, index, (alpha, beta, gamma) = pair
    # Bit rot in a page image and in a searchable PDF, same size and all.
    for key in (alpha.pages[1].image_key, gamma.searchable_pdf_key):
        path = store.root / key
        data = bytearray(path.read_bytes())
        data[0] ^= 0xFF
        path.write_bytes(bytes(data))
    store.delete(beta.pages[0].thumbnail_key)
    index.delete_record(beta.record_id)
    orphan = store_record(store, "orphan")
    index.index_records([orphan])
    store.delete(keys.manifest_key(orphan.record_id))

    report = verify_storage(store, index)

    assert not report.ok
    assert report.records_checked == 3
    assert report.corrupt_objects == tuple(
        sorted([alpha.pages[1].image_key, gamma.searchable_pdf_key])
    )
    assert report.missing_objects == (beta.pages[0].thumbnail_key,)
    assert report.missing_from_index == (beta.record_id,)
    assert report.missing_from_storage == (orphan.record_id,)
    assert report.unreadable_manifests == ()


def test_a_damaged_manifest_is_reported_not_raised(
    pair: Pair,
) -> None:
    store, index, (alpha, _, _) = pair
    (store.root / keys.manifest_key(alpha.record_id)).write_text("{not json", encoding="utf-8")

    report = verify_storage(store, index)

    assert report.unreadable_manifests == (alpha.record_id,)
    assert report.corrupt_objects == (keys.manifest_key(alpha.record_id),)
    assert report.missing_from_index == report.missing_from_storage == ()


def test_shared_originals_are_checked_once(tmp_path: Path) -> None:
    store = FilesystemObjectStore(tmp_path / "objects")
    record = store_record(store, "alpha", page_count=1)
    twin = record.model_copy(update={"record_id": "f" * 64})  # same original, other record
    save_record(store, twin)
    index = SqliteSearchIndex(tmp_path / "index.sqlite3")
    index.setup()
    index.index_records([record, twin])

    report = verify_storage(store, index)

    assert report.ok
    assert report.records_checked == 2
    # Manifest, original, searchable pdf, ocr json, image, thumbnail; then the twin's manifest.
    assert len(referenced_keys(record)) == 6
    assert report.objects_checked == 7


def test_objects_of_an_interrupted_archive_are_orphans_and_repair_removes_old_ones(
    pair: Pair,
) -> None:
    store, index, _ = pair
    # An archive killed before its manifest: an original and a page, no manifest.
    lost_original = store.put_bytes(keys.original_key("f" * 64, ".jpg"), b"scan", "image/jpeg")
    lost_page = store.put_bytes(keys.page_image_key("f" * 64, 1), b"page", "image/jpeg")

    report = verify_storage(store, index)

    assert report.orphan_objects == tuple(sorted([lost_original.key, lost_page.key]))
    assert not report.ok
    assert remove_orphans(store, report, min_age_seconds=3600) == []  # may still be running
    an_hour_ago = time.time() - 3601
    os.utime(store.root / lost_page.key, (an_hour_ago, an_hour_ago))
    assert remove_orphans(store, report, min_age_seconds=3600) == [lost_page.key]
    assert verify_storage(store, index).orphan_objects == (lost_original.key,)


@pytest.fixture(params=[pytest.param("elasticsearch", marks=pytest.mark.live)])
def live_index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchIndex]:
    with fresh_index(request, tmp_path) as index:
        yield index


def test_a_record_indexed_a_moment_ago_is_not_missing_from_elasticsearch(
    live_index: SearchIndex, tmp_path: Path
) -> None:
    # Elasticsearch shows a write to searches only after a refresh (about a
    # second later, or at the next search of an idle index): verify must not
    # take the last record of an ingest that just finished for a missing one.
    store = FilesystemObjectStore(tmp_path / "objects")
    records = [store_record(store, f"moment-{n}") for n in range(3)]
    assert live_index.index_records(records).indexed == 3

    report = verify_storage(store, live_index)

    assert report.missing_from_index == () and report.ok, report
