"""What only the filesystem store does: its layout on disk, key rules,
damage detection and atomic replacement. The shared behaviour is in
tests/contract; the URL-to-backend choice of storage.factory is tested here
and in test_sqlite_index."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import pytest

from sohoa.core.errors import ConfigurationError, IntegrityError, StorageError
from sohoa.core.settings import load_settings
from sohoa.storage.factory import open_object_store
from sohoa.storage.filesystem import FilesystemObjectStore
from sohoa.storage.minio_store import MinioObjectStore


@pytest.fixture
def store(tmp_path: Path) -> FilesystemObjectStore:
    return FilesystemObjectStore(tmp_path / "objects")


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_layout_on_disk(store: FilesystemObjectStore) -> None:
    data = "Hồ sơ".encode()
    store.put_bytes("records/r1/manifest.json", data, "application/json")

    assert (store.root / "records/r1/manifest.json").read_bytes() == data
    sidecar = json.loads((store.root / "records/r1/manifest.json.sha256").read_text())
    assert sidecar == {
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "content_type": "application/json",
    }
    assert files_under(store.root) == [
        "records/r1/manifest.json",
        "records/r1/manifest.json.sha256",
    ]
    assert list(store.list_keys()) == ["records/r1/manifest.json"]
    assert store.url("records/r1/manifest.json") == (
        (store.root / "records/r1/manifest.json").as_uri()
    )


@pytest.mark.parametrize(
    "key",
    ["", "/etc/passwd", "../outside", "a/../../b", "a//b", "a/./b", "a/", ".hidden", "a/.b",
     "a/b.sha256", "nul\x00byte"],
)  # fmt: skip
def test_rejects_keys_that_are_not_plain_relative_paths(
    store: FilesystemObjectStore, key: str
) -> None:
    for call in (
        lambda: store.put_bytes(key, b"x", "text/plain"),
        lambda: store.get_bytes(key),
        lambda: store.stat(key),
        lambda: store.delete(key),
        lambda: store.url(key),
    ):
        with pytest.raises(ValueError, match="Invalid object key"):
            call()
    assert not store.root.exists() or files_under(store.root) == []


def test_list_keys_cannot_escape_the_root(store: FilesystemObjectStore, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("outside")
    store.put_bytes("a/b", b"inside", "text/plain")
    with pytest.raises(ValueError):
        list(store.list_keys("../"))
    assert list(store.list_keys("a")) == ["a/b"]


def test_verify_and_download_detect_damage(store: FilesystemObjectStore, tmp_path: Path) -> None:
    stored = store.put_bytes("originals/ab/scan.pdf", b"%PDF-1.7 original bytes", "application/pdf")
    (store.root / "originals/ab/scan.pdf").write_bytes(b"%PDF-1.7 bitrot bytes!!")

    assert not store.verify("originals/ab/scan.pdf")
    assert store.stat("originals/ab/scan.pdf") == stored  # the recorded identity stays
    with pytest.raises(IntegrityError):
        store.download("originals/ab/scan.pdf", tmp_path / "copy.pdf")
    assert not (tmp_path / "copy.pdf").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".copy.pdf")] == []


def test_a_file_placed_by_hand_is_listed_but_not_verified(store: FilesystemObjectStore) -> None:
    (store.root / "imports").mkdir(parents=True)
    (store.root / "imports/old.pdf").write_bytes(b"legacy scan")

    stat = store.stat("imports/old.pdf")

    assert list(store.list_keys()) == ["imports/old.pdf"]
    assert stat is not None
    assert stat.sha256 == hashlib.sha256(b"legacy scan").hexdigest()
    assert stat.content_type == "application/pdf"
    assert not store.verify("imports/old.pdf")  # nothing recorded to compare with


def test_leftover_temporary_files_are_invisible(store: FilesystemObjectStore) -> None:
    store.put_bytes("records/r1/ocr.json", b"{}", "application/json")
    (store.root / "records/r1/.ocr.json.k2j3.tmp").write_bytes(b"half written")

    assert list(store.list_keys()) == ["records/r1/ocr.json"]


def test_key_conflicting_with_a_folder_fails_cleanly(store: FilesystemObjectStore) -> None:
    store.put_bytes("records/r1/manifest.json", b"{}", "application/json")

    with pytest.raises(StorageError):
        store.put_bytes("records/r1", b"not a folder", "text/plain")
    with pytest.raises(StorageError):
        store.put_bytes("records/r1/manifest.json/child", b"x", "text/plain")

    assert files_under(store.root) == [
        "records/r1/manifest.json",
        "records/r1/manifest.json.sha256",
    ]
    assert store.get_bytes("records/r1/manifest.json") == b"{}"


def test_put_file_from_a_missing_source(store: FilesystemObjectStore, tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="Cannot read"):
        store.put_file("originals/x.pdf", tmp_path / "gone.pdf", "application/pdf")
    assert not store.exists("originals/x.pdf")


def test_delete_prunes_empty_folders(store: FilesystemObjectStore) -> None:
    store.put_bytes("records/r1/pages/0001.jpg", b"1", "image/jpeg")
    store.put_bytes("records/r2/manifest.json", b"{}", "application/json")

    store.delete("records/r1/pages/0001.jpg")

    assert not (store.root / "records/r1").exists()
    assert (store.root / "records/r2").is_dir()
    store.delete("records/r2/manifest.json")
    assert store.root.is_dir()
    assert list(store.root.iterdir()) == []
    store.put_bytes("records", b"a key where a folder was", "text/plain")
    assert store.get_bytes("records") == b"a key where a folder was"


def test_readers_never_see_a_torn_object(store: FilesystemObjectStore) -> None:
    versions = [bytes([n]) * 512 * 1024 for n in (1, 2)]
    store.put_bytes("records/r1/searchable.pdf", versions[0], "application/pdf")
    stop = threading.Event()

    def overwrite() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            store.put_bytes("records/r1/searchable.pdf", versions[n % 2], "application/pdf")

    writer = threading.Thread(target=overwrite)
    writer.start()
    try:
        reads = [store.get_bytes("records/r1/searchable.pdf") for _ in range(100)]
    finally:
        stop.set()
        writer.join()
    assert all(data in versions for data in reads)
    assert store.verify("records/r1/searchable.pdf")
    assert [p for p in files_under(store.root) if p.endswith(".tmp")] == []


def test_concurrent_overwrites_keep_bytes_and_sidecar_together(
    store: FilesystemObjectStore,
) -> None:
    def put(n: int) -> None:
        for _ in range(10):
            store.put_bytes("records/r1/ocr.json", str(n).encode() * 1000, "application/json")

    threads = [threading.Thread(target=put, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert store.verify("records/r1/ocr.json")
    assert list(store.list_keys()) == ["records/r1/ocr.json"]


def test_objects_survive_a_new_store_instance(store: FilesystemObjectStore) -> None:
    stored = store.put_bytes("a/b.txt", b"persisted", "text/plain")
    again = FilesystemObjectStore(store.root)
    assert again.stat("a/b.txt") == stored
    assert again.verify("a/b.txt")


# -- storage.factory: object stores ---------------------------------------


def test_factory_defaults_to_the_data_folder(tmp_path: Path) -> None:
    store = open_object_store(load_settings(data_dir=tmp_path))
    assert isinstance(store, FilesystemObjectStore)
    assert store.root == tmp_path / "objects"


@pytest.mark.parametrize(
    ("url", "root"),
    [
        ("file:///srv/sohoa/objects", "/srv/sohoa/objects"),
        ("file://localhost/srv/objects", "/srv/objects"),
        ("FILE:///srv/h%E1%BB%93%20s%C6%A1", "/srv/hồ sơ"),
    ],
)
def test_factory_file_urls(tmp_path: Path, url: str, root: str) -> None:
    store = open_object_store(load_settings(data_dir=tmp_path, storage=url))
    assert isinstance(store, FilesystemObjectStore)
    assert store.root == Path(root)


def test_factory_s3_url_builds_the_minio_store_without_connecting(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, storage="s3://archive", s3_endpoint="192.0.2.1:9")
    assert isinstance(open_object_store(settings), MinioObjectStore)


@pytest.mark.parametrize(
    "url", ["file://server/share", "file:relative/objects", "/srv/objects", "ftp://x/y", "gs://b"]
)
def test_factory_rejects_other_storage_urls(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigurationError, match="file:///srv/sohoa/objects") as caught:
        open_object_store(load_settings(data_dir=tmp_path, storage=url))
    assert url in caught.value.message
