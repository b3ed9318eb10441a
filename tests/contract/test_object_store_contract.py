"""The ``ObjectStore`` contract, run on every store (see conftest)."""

from __future__ import annotations

import hashlib
import random
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pydantic import ValidationError

from sohoa.core.errors import IntegrityError, ObjectNotFound
from sohoa.models import Record
from sohoa.storage.keys import manifest_key
from sohoa.storage.manifests import find_record_id, iter_records, load_record, save_record
from sohoa.storage.protocols import READ_CHUNK_BYTES, ObjectStore, StoredObject
from tests.helpers.records import make_record

PDF = "application/pdf"
JSON = "application/json"
# Every byte value, so no text-mode or encoding step can go unnoticed.
BINARY = bytes(range(256)) * 64 + b"\r\n\x00\x1a\xff"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_satisfies_the_protocol(object_store: ObjectStore) -> None:
    assert isinstance(object_store, ObjectStore)


def test_put_bytes_then_read_back(object_store: ObjectStore) -> None:
    stored = object_store.put_bytes("records/r1/ocr.json", BINARY, JSON)

    assert stored == StoredObject("records/r1/ocr.json", len(BINARY), sha256(BINARY), JSON)
    assert object_store.get_bytes("records/r1/ocr.json") == BINARY
    assert object_store.stat("records/r1/ocr.json") == stored
    assert object_store.exists("records/r1/ocr.json")
    assert object_store.verify("records/r1/ocr.json")


def test_put_file_then_download(object_store: ObjectStore, tmp_path: Path) -> None:
    source = tmp_path / "scan.pdf"
    source.write_bytes(BINARY)

    stored = object_store.put_file("originals/ab/scan.pdf", source, PDF)
    target = object_store.download("originals/ab/scan.pdf", tmp_path / "out" / "deep" / "copy.pdf")

    assert stored == StoredObject("originals/ab/scan.pdf", len(BINARY), sha256(BINARY), PDF)
    assert target == tmp_path / "out" / "deep" / "copy.pdf"
    assert target.read_bytes() == BINARY
    assert source.read_bytes() == BINARY  # the source is left alone


def test_empty_object(object_store: ObjectStore) -> None:
    stored = object_store.put_bytes("records/r1/empty.txt", b"", "text/plain")

    assert stored.size == 0
    assert stored.sha256 == sha256(b"")
    assert object_store.get_bytes("records/r1/empty.txt") == b""
    assert object_store.verify("records/r1/empty.txt")


def test_missing_key(object_store: ObjectStore, tmp_path: Path) -> None:
    object_store.put_bytes("records/r1/manifest.json", b"{}", JSON)
    target = tmp_path / "never.bin"

    with pytest.raises(ObjectNotFound):
        object_store.get_bytes("records/r2/manifest.json")
    with pytest.raises(ObjectNotFound):
        object_store.download("records/r2/manifest.json", target)
    assert not target.exists()
    assert object_store.stat("records/r2/manifest.json") is None
    assert not object_store.exists("records/r2/manifest.json")
    assert not object_store.verify("records/r2/manifest.json")
    # A folder-like prefix of a stored key is not an object either.
    assert not object_store.exists("records/r1")
    assert object_store.stat("records/r1") is None
    object_store.delete("records/r2/manifest.json")  # deleting nothing is fine


def test_overwrite_replaces_bytes_and_metadata(object_store: ObjectStore) -> None:
    object_store.put_bytes("records/r1/searchable.pdf", b"first version", PDF)
    second = object_store.put_bytes("records/r1/searchable.pdf", b"second, longer version", JSON)

    assert object_store.get_bytes("records/r1/searchable.pdf") == b"second, longer version"
    assert object_store.stat("records/r1/searchable.pdf") == second
    assert second.sha256 == sha256(b"second, longer version")
    assert second.content_type == JSON
    assert object_store.verify("records/r1/searchable.pdf")
    assert list(object_store.list_keys()) == ["records/r1/searchable.pdf"]


def test_delete(object_store: ObjectStore) -> None:
    object_store.put_bytes("records/r1/pages/0001.jpg", b"page one", "image/jpeg")
    object_store.put_bytes("records/r1/pages/0002.jpg", b"page two", "image/jpeg")

    object_store.delete("records/r1/pages/0001.jpg")
    object_store.delete("records/r1/pages/0001.jpg")

    assert not object_store.exists("records/r1/pages/0001.jpg")
    assert object_store.stat("records/r1/pages/0001.jpg") is None
    with pytest.raises(ObjectNotFound):
        object_store.get_bytes("records/r1/pages/0001.jpg")
    assert list(object_store.list_keys()) == ["records/r1/pages/0002.jpg"]
    assert object_store.get_bytes("records/r1/pages/0002.jpg") == b"page two"


def test_list_keys_in_lexical_order_by_prefix(object_store: ObjectStore) -> None:
    keys = [
        "records/ab12/manifest.json",
        "records/ab12/pages/0002.jpg",
        "records/ab12/pages/0010.jpg",
        "records/ab3/manifest.json",
        "records/ab12-copy/manifest.json",
        "originals/ab/ab12.pdf",
        "originals/ab/ab12.pdf.bak",
        "README",
    ]
    for key in random.Random(7).sample(keys, len(keys)):
        object_store.put_bytes(key, key.encode(), "text/plain")

    assert list(object_store.list_keys()) == sorted(keys)
    assert list(object_store.list_keys("records/")) == sorted(k for k in keys if "records/" in k)
    # A prefix is a string prefix, not a folder.
    assert list(object_store.list_keys("records/ab1")) == [
        "records/ab12-copy/manifest.json",
        "records/ab12/manifest.json",
        "records/ab12/pages/0002.jpg",
        "records/ab12/pages/0010.jpg",
    ]
    assert list(object_store.list_keys("records/ab12/pages/0010.jpg")) == [
        "records/ab12/pages/0010.jpg"
    ]
    assert list(object_store.list_keys("nothing/here/")) == []
    assert list(object_store.list_keys("originals/ab/ab12.pdf")) == [
        "originals/ab/ab12.pdf",
        "originals/ab/ab12.pdf.bak",
    ]


def test_unicode_keys(object_store: ObjectStore) -> None:
    keys = {
        "hồ sơ/Đơn đề nghị (bản 2).pdf": "Đơn đề nghị".encode(),
        "hồ sơ/Quyết định số 15+QĐ.pdf": "Quyết định".encode(),
        "hồ sơ/ảnh chụp.jpg": BINARY,
    }
    for key, data in keys.items():
        object_store.put_bytes(key, data, PDF)

    assert list(object_store.list_keys("hồ sơ/")) == sorted(keys)
    for key, data in keys.items():
        assert object_store.get_bytes(key) == data
        assert object_store.stat(key) == StoredObject(key, len(data), sha256(data), PDF)
        assert object_store.verify(key)
        with urllib.request.urlopen(object_store.url(key), timeout=10) as response:
            assert response.read() == data


def test_url_opens_the_object(object_store: ObjectStore) -> None:
    object_store.put_bytes("records/r1/searchable.pdf", BINARY, PDF)

    url = object_store.url("records/r1/searchable.pdf")

    assert url.split(":", 1)[0] in ("file", "http", "https")
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == BINARY


def test_large_file(object_store: ObjectStore, tmp_path: Path) -> None:
    """20 MB: more than one multipart part on S3 stores."""
    data = random.Random(20).randbytes(20 * 1024 * 1024 + 123)
    source = tmp_path / "big.tif"
    source.write_bytes(data)

    stored = object_store.put_file("originals/bi/big.tif", source, "image/tiff")
    copy = object_store.download("originals/bi/big.tif", tmp_path / "copy.tif")

    assert stored == StoredObject("originals/bi/big.tif", len(data), sha256(data), "image/tiff")
    assert object_store.stat("originals/bi/big.tif") == stored
    assert object_store.verify("originals/bi/big.tif")
    assert sha256(copy.read_bytes()) == stored.sha256


def test_read_chunks_streams_the_object_in_bounded_chunks(object_store: ObjectStore) -> None:
    data = random.Random(7).randbytes(2 * READ_CHUNK_BYTES + 4321)
    object_store.put_bytes("records/r1/searchable.pdf", data, PDF)
    object_store.put_bytes("records/r1/empty.txt", b"", "text/plain")

    chunks = list(object_store.read_chunks("records/r1/searchable.pdf"))

    assert b"".join(chunks) == data
    assert len(chunks) >= 3 and max(map(len, chunks)) <= READ_CHUNK_BYTES
    assert b"".join(object_store.read_chunks("records/r1/empty.txt")) == b""
    with pytest.raises(ObjectNotFound):
        object_store.read_chunks("records/r2/searchable.pdf")  # raised by the call itself
    # A reader that stops early (a client gone mid-download) leaves the store working.
    for _ in range(12):
        partial = object_store.read_chunks("records/r1/searchable.pdf")
        assert len(next(partial)) > 0
        partial.close()
    assert object_store.get_bytes("records/r1/searchable.pdf") == data


def test_concurrent_writers(object_store: ObjectStore) -> None:
    """Threads of one process share a store (Prefect runs tasks on a pool)."""

    def put(n: int) -> StoredObject:
        return object_store.put_bytes(f"records/r{n % 3}/pages/{n:04d}.jpg", BINARY[n:], "x/y")

    with ThreadPoolExecutor(max_workers=8) as pool:
        stored = list(pool.map(put, range(24)))

    assert list(object_store.list_keys()) == sorted(s.key for s in stored)
    for n, item in enumerate(stored):
        assert object_store.get_bytes(item.key) == BINARY[n:]
        assert object_store.verify(item.key)


# -- manifests (storage.manifests), on every store -----------------------------


def with_id(record: Record, record_id: str) -> Record:
    return record.model_copy(update={"record_id": record_id})


def test_manifest_round_trip(object_store: ObjectStore) -> None:
    first = with_id(make_record("first", ["Trang một"]), "ab" + "1" * 62)
    second = with_id(make_record("second", ["Trang hai", "Trang ba"]), "ab" + "2" * 62)
    for record in (second, first):
        save_record(object_store, record)
    object_store.put_bytes(f"records/{first.record_id}/pages/0001.jpg", b"jpeg", "image/jpeg")
    object_store.put_bytes(f"records/{first.record_id}/x/manifest.json", b"{}", JSON)

    assert load_record(object_store, first.record_id) == first
    stat = object_store.stat(manifest_key(first.record_id))
    assert stat is not None
    assert stat.content_type == JSON
    assert list(iter_records(object_store)) == [first, second]


def test_find_record_id_by_prefix(object_store: ObjectStore) -> None:
    ids = ["ab" + "1" * 62, "ab" + "2" * 62, "c" * 64]
    for record_id in ids:
        save_record(object_store, with_id(make_record(record_id, ["x"]), record_id))

    assert find_record_id(object_store, "ab1") == ids[0]
    assert find_record_id(object_store, " AB2 ") == ids[1]
    assert find_record_id(object_store, "c") == ids[2]
    assert find_record_id(object_store, ids[0]) == ids[0]
    with pytest.raises(ObjectNotFound, match="Several records"):
        find_record_id(object_store, "ab")
    with pytest.raises(ObjectNotFound, match="No record"):
        find_record_id(object_store, "d")
    for not_an_id in ("", "../etc", "ab/1", "xyz"):
        with pytest.raises(ObjectNotFound, match="not a record id"):
            find_record_id(object_store, not_an_id)


def test_damaged_manifests_are_reported(object_store: ObjectStore) -> None:
    good = make_record("good", ["Trang"])
    save_record(object_store, good)
    object_store.put_bytes(manifest_key("e" * 64), b'{"record_id": "truncated', JSON)
    object_store.put_bytes(manifest_key("f" * 64), good.model_dump_json().encode(), JSON)

    with pytest.raises(IntegrityError, match="damaged"):
        load_record(object_store, "e" * 64)
    with pytest.raises(IntegrityError, match="belongs to record"):
        load_record(object_store, "f" * 64)
    with pytest.raises(ObjectNotFound):
        load_record(object_store, "0" * 64)
    with pytest.raises(IntegrityError):
        list(iter_records(object_store))


# A manifest as save_record wrote it at commit 978af95, when a record's type
# was a closed enum and review reasons were free text.
MANIFEST_978AF95 = (
    '{"schema_version":1,"record_id":"6e7b045a85a78eab342d575f288fbecc171675d96b9fdb4b4ed136c8f3b16945",'
    '"batch_id":"contract-batch","dossier_code":"","procedure":"","unit":"UBND tỉnh Bắc Ninh",'
    '"operator":"","originals":[{"name":"old-decision.pdf",'
    '"sha256":"6e7b045a85a78eab342d575f288fbecc171675d96b9fdb4b4ed136c8f3b16945","size":1000,'
    '"media_type":"application/pdf",'
    '"key":"originals/6e/6e7b045a85a78eab342d575f288fbecc171675d96b9fdb4b4ed136c8f3b16945.pdf",'
    '"page_count":2}],"pages":[{"number":1,"source_file":"old-decision.pdf","width":2480,'
    '"height":3508,"dpi":300,"rotation_degrees":0,"skew_degrees":0.0,"skew_corrected":false,'
    '"blank":false,"ocr_confidence":90.0,"word_count":9,'
    '"text":"QUYẾT ĐỊNH\\nVề việc cấp giấy phép xây dựng","qr_payloads":[],"image_key":"",'
    '"thumbnail_key":""},{"number":2,"source_file":"old-decision.pdf","width":2480,'
    '"height":3508,"dpi":300,"rotation_degrees":0,"skew_degrees":0.0,"skew_corrected":false,'
    '"blank":true,"ocr_confidence":90.0,"word_count":0,"text":"","qr_payloads":[],'
    '"image_key":"","thumbnail_key":""}],"document_type":"quyet_dinh","fields":{},'
    '"issue_date":"2023-05-30","searchable_pdf_key":"","ocr_key":"","needs_review":true,'
    '"review_reasons":["page 1: low OCR confidence 41","missing number_symbol",'
    '"document type not recognised"],"digitized_at":"2024-05-01T08:30:00Z"}'
)


def test_a_manifest_from_before_types_were_codes_loads_unchanged(
    object_store: ObjectStore,
) -> None:
    record_id = "6e7b045a85a78eab342d575f288fbecc171675d96b9fdb4b4ed136c8f3b16945"
    object_store.put_bytes(manifest_key(record_id), MANIFEST_978AF95.encode(), JSON)
    record = load_record(object_store, record_id)
    assert type(record.document_type) is str and record.document_type == "quyet_dinh"
    assert record.review_reasons[0] == "page 1: low OCR confidence 41"
    assert record.model_dump_json() == MANIFEST_978AF95  # written back byte for byte


def test_a_record_of_an_office_type_round_trips(object_store: ObjectStore) -> None:
    record = make_record("uy-quyen", ["GIẤY ỦY QUYỀN"], document_type="giay_uy_quyen")
    save_record(object_store, record)
    assert load_record(object_store, record.record_id).document_type == "giay_uy_quyen"
    with pytest.raises(ValidationError, match="pattern"):
        record.model_validate({**record.model_dump(), "document_type": "Giấy ủy quyền"})
