"""What only the MinIO store does: bucket setup, SHA-256 metadata, multipart,
versions, presigning and error messages. The shared behaviour is in
``tests/contract``."""

from __future__ import annotations

import hashlib
import io
import random
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from minio.deleteobjects import DeleteObject

from sohoa.core.errors import ConfigurationError, IntegrityError, ObjectNotFound, StorageError
from sohoa.core.settings import Settings, load_settings
from sohoa.storage.minio_store import PART_SIZE, MinioObjectStore, parse_storage_url
from tests.helpers.live_services import minio_client


@pytest.fixture
def settings(live_minio_overrides: dict[str, object]) -> Iterator[Settings]:
    """Settings for a bucket of its own, removed with every version afterwards."""
    bucket = f"sohoa-test-{uuid.uuid4().hex[:12]}"
    settings = load_settings(
        storage=f"s3://{bucket}/archive", presign_seconds=600, **live_minio_overrides
    )
    yield settings
    client = minio_client(settings)
    if client.bucket_exists(bucket):
        versions = client.list_objects(bucket, recursive=True, include_version=True)
        doomed = [DeleteObject(v.object_name or "", v.version_id) for v in versions]
        assert not list(client.remove_objects(bucket, doomed))
        client.remove_bucket(bucket)


@pytest.fixture
def store(settings: Settings) -> MinioObjectStore:
    return MinioObjectStore(settings)


def test_storage_url_names_bucket_and_prefix() -> None:
    assert parse_storage_url("s3://archive") == ("archive", "")
    assert parse_storage_url("s3://archive/") == ("archive", "")
    assert parse_storage_url("s3://archive/site-a/2024/") == ("archive", "site-a/2024/")
    for bad in ("s3://", "s3:///prefix", "file:///srv/objects"):
        with pytest.raises(ConfigurationError):
            parse_storage_url(bad)


def test_constructing_the_store_touches_no_server() -> None:
    settings = Settings(storage="s3://nowhere", s3_endpoint="127.0.0.1:1")
    store = MinioObjectStore(settings)
    assert (store.bucket, store.prefix, store.endpoint) == ("nowhere", "", "127.0.0.1:1")


@pytest.mark.parametrize("key", ["", "/abs/key", "a//b", "a/./b", "../escape", "trailing/"])
def test_bad_keys_are_refused_before_any_request(key: str) -> None:
    store = MinioObjectStore(Settings(storage="s3://nowhere", s3_endpoint="127.0.0.1:1"))
    with pytest.raises(ValueError, match="Invalid object key"):
        store.put_bytes(key, b"x", "text/plain")
    with pytest.raises(ValueError, match="Invalid object key"):
        store.stat(key)


@pytest.mark.live
def test_setup_creates_a_versioned_bucket_and_can_rerun(
    settings: Settings, store: MinioObjectStore
) -> None:
    client = minio_client(settings)
    assert not client.bucket_exists(store.bucket)

    store.setup()
    store.setup()
    MinioObjectStore(settings).setup()  # another worker starting up

    assert client.bucket_exists(store.bucket)
    assert client.get_bucket_versioning(store.bucket).status == "Enabled"


@pytest.mark.live
def test_objects_live_under_the_prefix_with_their_sha256(
    settings: Settings, store: MinioObjectStore
) -> None:
    data = "Hồ sơ số hóa".encode()
    store.put_bytes("records/r1/ocr.json", data, "application/json")

    info = minio_client(settings).stat_object(store.bucket, "archive/records/r1/ocr.json")
    assert info.metadata is not None
    assert info.metadata["x-amz-meta-sha256"] == hashlib.sha256(data).hexdigest()
    assert info.content_type == "application/json"
    assert list(store.list_keys()) == ["records/r1/ocr.json"]


@pytest.mark.live
def test_large_files_go_up_in_parts(
    settings: Settings, store: MinioObjectStore, tmp_path: Path
) -> None:
    source = tmp_path / "big.tif"
    source.write_bytes(random.Random(3).randbytes(PART_SIZE + 1000))

    stored = store.put_file("originals/bi/big.tif", source, "image/tiff")

    info = minio_client(settings).stat_object(store.bucket, "archive/originals/bi/big.tif")
    assert info.etag is not None and info.etag.endswith("-2")  # a two-part upload
    assert stored.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert store.verify("originals/bi/big.tif")


@pytest.mark.live
def test_changed_bytes_are_caught_by_verify_and_download(
    settings: Settings, store: MinioObjectStore, tmp_path: Path
) -> None:
    stored = store.put_bytes("records/r1/searchable.pdf", b"%PDF-1.7 original", "application/pdf")
    # Someone replaces the bytes behind sohoa's back, keeping the old checksum.
    tampered = b"%PDF-1.7 tampered"
    minio_client(settings).put_object(
        store.bucket,
        "archive/records/r1/searchable.pdf",
        io.BytesIO(tampered),
        len(tampered),
        metadata={"sha256": stored.sha256},
    )

    assert not store.verify("records/r1/searchable.pdf")
    with pytest.raises(IntegrityError, match="corrupt"):
        store.download("records/r1/searchable.pdf", tmp_path / "copy.pdf")
    assert list(tmp_path.iterdir()) == []  # no partial file left behind


@pytest.mark.live
def test_objects_without_a_recorded_sha256_do_not_verify(
    settings: Settings, store: MinioObjectStore
) -> None:
    store.setup()
    minio_client(settings).put_object(store.bucket, "archive/by-hand.txt", io.BytesIO(b"x"), 1)

    stored = store.stat("by-hand.txt")
    assert stored is not None
    assert stored.sha256 == ""
    assert not store.verify("by-hand.txt")


@pytest.mark.live
def test_delete_keeps_earlier_versions(settings: Settings, store: MinioObjectStore) -> None:
    store.put_bytes("records/r1/manifest.json", b"{}", "application/json")
    store.put_bytes("records/r1/manifest.json", b'{"v": 2}', "application/json")
    store.delete("records/r1/manifest.json")

    assert not store.exists("records/r1/manifest.json")
    versions = minio_client(settings).list_objects(
        store.bucket, prefix="archive/records/r1/", include_version=True
    )
    kinds = sorted("marker" if v.is_delete_marker else "version" for v in versions)
    assert kinds == ["marker", "version", "version"]


@pytest.mark.live
def test_url_is_presigned_for_the_configured_time(
    settings: Settings, store: MinioObjectStore
) -> None:
    store.put_bytes("records/r1/searchable.pdf", b"%PDF", "application/pdf")

    url = urlsplit(store.url("records/r1/searchable.pdf"))

    assert url.path == f"/{store.bucket}/archive/records/r1/searchable.pdf"
    query = parse_qs(url.query)
    assert query["X-Amz-Expires"] == ["600"]
    access_key = settings.s3_access_key.get_secret_value()
    assert query["X-Amz-Credential"][0].startswith(f"{access_key}/")


@pytest.mark.live
def test_wrong_credentials_say_which_setting_to_check(
    live_minio_overrides: dict[str, object],
) -> None:
    overrides = {**live_minio_overrides, "s3_secret_key": "not-the-secret"}
    store = MinioObjectStore(load_settings(storage="s3://sohoa-denied", **overrides))

    with pytest.raises(StorageError, match=r"refused the credentials.*SOHOA_S3_ACCESS_KEY") as info:
        store.exists("records/r1/manifest.json")
    assert not info.value.retryable
    assert "not-the-secret" not in str(info.value)


def test_unreachable_server_is_a_retryable_storage_error() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = MinioObjectStore(Settings(storage="s3://sohoa", s3_endpoint=f"127.0.0.1:{port}"))

    with pytest.raises(StorageError, match=f"Cannot reach MinIO at 127.0.0.1:{port}") as info:
        store.get_bytes("records/r1/manifest.json")
    assert info.value.retryable
    assert not isinstance(info.value, ObjectNotFound)
