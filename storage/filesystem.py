"""Objects as plain files under one root: the embedded default store.

A key maps to the path ``root/<key>``. Next to each object a sidecar
``<name>.sha256`` holds its SHA-256, size and content type as JSON, so
``stat`` never re-reads the object and ``verify`` has something to compare
with. Writes go to a hidden temporary file in the same folder, are fsynced
and renamed into place, then the folder is fsynced: a reader sees the old
object or the new one, never a torn one.

Keys are relative paths: no empty, ``.`` or ``..`` segments, no segment
starting with ``.`` (temporary files live there) and no name ending in
``.sha256`` (sidecars do). A key cannot be both an object and the folder of
other objects, unlike in S3.

Threading: safe across threads; writes, deletes and metadata reads of one
key are serialized by a striped lock. Across processes the rename keeps each
file whole, but two processes overwriting one key at once may pair one's
bytes with the other's sidecar, which ``verify`` then reports.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
import tempfile
import threading
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, NamedTuple

from sohoa.core.errors import IntegrityError, ObjectNotFound, StorageError
from sohoa.core.fsutil import fsync_dir
from sohoa.storage.protocols import READ_CHUNK_BYTES, StoredObject

SIDECAR_SUFFIX = ".sha256"
_CHUNK = READ_CHUNK_BYTES
_LOCK_STRIPES = 64
_WRITE_ATTEMPTS = 3


class FilesystemObjectStore:
    """``ObjectStore`` over a local (or mounted) folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser().absolute()
        self._locks = tuple(threading.Lock() for _ in range(_LOCK_STRIPES))

    def __repr__(self) -> str:
        return f"FilesystemObjectStore({str(self.root)!r})"

    # -- writing -----------------------------------------------------------

    def put_file(self, key: str, path: Path, content_type: str) -> StoredObject:
        try:
            source = open(path, "rb")  # noqa: SIM115 - closed below, errors mapped
        except OSError as exc:
            raise StorageError(f"Cannot read {path} to store it as {key!r}: {exc}") from exc
        with source:
            return self._put(key, _read_chunks(source), content_type)

    def put_bytes(self, key: str, data: bytes, content_type: str) -> StoredObject:
        return self._put(key, [data], content_type)

    def _put(self, key: str, chunks: Iterable[bytes], content_type: str) -> StoredObject:
        target = self._path(key)
        temps: list[Path] = []
        with self._lock(key), _storage_errors(f"store {key!r}"):
            try:
                data_tmp, sha256, size = _write_temp(target, chunks)
                temps.append(data_tmp)
                meta = json.dumps({"sha256": sha256, "size": size, "content_type": content_type})
                meta_tmp, _, _ = _write_temp(_sidecar(target), [meta.encode()])
                temps.append(meta_tmp)
                os.replace(data_tmp, target)
                os.replace(meta_tmp, _sidecar(target))
            finally:
                for tmp in temps:  # renamed ones are gone already
                    tmp.unlink(missing_ok=True)
            fsync_dir(target.parent)
        stored = StoredObject(key=key, size=size, sha256=sha256, content_type=content_type)
        return stored

    def delete(self, key: str) -> None:
        target = self._path(key)
        with self._lock(key), _storage_errors(f"delete {key!r}"):
            if target.is_dir():
                return
            target.unlink(missing_ok=True)
            _sidecar(target).unlink(missing_ok=True)
            if target.parent.exists():
                fsync_dir(target.parent)
            self._prune_empty_dirs(target.parent)

    def _prune_empty_dirs(self, folder: Path) -> None:
        while folder != self.root and self.root in folder.parents:
            try:
                folder.rmdir()
            except OSError:  # not empty, or already gone
                return
            folder = folder.parent

    # -- reading -----------------------------------------------------------

    def get_bytes(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ObjectNotFound(f"No object {key!r} in {self.root}.") from exc
        except OSError as exc:
            raise StorageError(f"Cannot read object {key!r}: {exc}") from exc

    def read_chunks(self, key: str) -> Generator[bytes, None, None]:
        opened = self._open_recorded(key)
        if opened is None:
            raise ObjectNotFound(f"No object {key!r} in {self.root}.")
        return _closing_chunks(opened[0], key)

    def download(self, key: str, path: Path) -> Path:
        """Copy the object to ``path`` atomically; the copy is checked against
        the recorded SHA-256 (``IntegrityError`` when the object is damaged)."""
        opened = self._open_recorded(key)
        if opened is None:
            raise ObjectNotFound(f"No object {key!r} in {self.root}.")
        source, meta = opened
        path = Path(path)
        with source, _storage_errors(f"download {key!r} to {path}"):
            tmp, sha256, _ = _write_temp(path, _read_chunks(source))
            try:
                if meta is not None and sha256 != meta.sha256:
                    raise IntegrityError(
                        f"Object {key!r} does not match its recorded SHA-256; it is damaged."
                    )
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
            fsync_dir(path.parent)
        return path

    def _open_recorded(self, key: str) -> tuple[BinaryIO, _Sidecar | None] | None:
        """The object opened for reading with its sidecar, read together under
        the key's lock (an overwrite renames a new file in, so the open file
        and the sidecar stay a pair); ``None`` when there is no object."""
        path = self._path(key)
        with self._lock(key), _storage_errors(f"read {key!r}"):
            try:
                source = open(path, "rb")  # noqa: SIM115 - the caller closes it
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                return None
            return source, _read_sidecar(path)

    def stat(self, key: str) -> StoredObject | None:
        path = self._path(key)
        with self._lock(key), _storage_errors(f"stat {key!r}"):
            if not path.is_file():
                return None
            meta = _read_sidecar(path)
        if meta is None:  # placed by hand: describe it from its bytes
            try:
                sha256, size = _hash_file(path)
            except FileNotFoundError:
                return None
            guessed = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return StoredObject(key, size, sha256, guessed, _mtime(path))
        return StoredObject(key=key, **meta._asdict(), modified=_mtime(path))

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        folder = prefix.rpartition("/")[0]
        start = self._path(folder) if folder else self.root
        keys = [key for key in self._walk(start) if key.startswith(prefix)]
        return iter(sorted(keys))

    def _walk(self, folder: Path) -> Iterator[str]:
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                yield from self._walk(Path(entry.path))
            elif not entry.name.endswith(SIDECAR_SUFFIX):
                yield Path(entry.path).relative_to(self.root).as_posix()

    def url(self, key: str) -> str:
        return self._path(key).as_uri()

    def verify(self, key: str) -> bool:
        """True when the object's bytes hash to its recorded SHA-256 and size;
        False when it is missing, has no record, or differs."""
        opened = self._open_recorded(key)
        if opened is None:
            return False
        source, meta = opened
        with source, _storage_errors(f"verify {key!r}"):
            return meta is not None and _hash_stream(source) == (meta.sha256, meta.size)

    # -- keys --------------------------------------------------------------

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*_key_segments(key))

    def _lock(self, key: str) -> threading.Lock:
        return self._locks[hash(key) % _LOCK_STRIPES]


def _key_segments(key: str) -> list[str]:
    segments = key.split("/")
    bad = (
        not key
        or "\x00" in key
        or any(s in ("", ".", "..") or s.startswith(".") for s in segments)
        or segments[-1].endswith(SIDECAR_SUFFIX)
    )
    if bad:
        raise ValueError(
            f"Invalid object key {key!r}: use relative '/'-separated names without empty, "
            f"'.'-leading or '..' segments, not ending in {SIDECAR_SUFFIX!r}."
        )
    return segments


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


class _Sidecar(NamedTuple):
    sha256: str
    size: int
    content_type: str


def _read_sidecar(path: Path) -> _Sidecar | None:
    try:
        meta = json.loads(_sidecar(path).read_text(encoding="utf-8"))
        return _Sidecar(str(meta["sha256"]), int(meta["size"]), str(meta["content_type"]))
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None


def _write_temp(target: Path, chunks: Iterable[bytes]) -> tuple[Path, str, int]:
    """Write ``chunks`` to a fsynced hidden file beside ``target``; return it
    with the SHA-256 and size of what was written. The caller renames it."""
    for attempt in range(_WRITE_ATTEMPTS):
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            break
        except FileNotFoundError:  # a concurrent delete pruned the folder
            if attempt == _WRITE_ATTEMPTS - 1:
                raise
    tmp = Path(name)
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, digest.hexdigest(), size


def _read_chunks(source: BinaryIO) -> Iterator[bytes]:
    return iter(lambda: source.read(_CHUNK), b"")


def _closing_chunks(source: BinaryIO, key: str) -> Generator[bytes, None, None]:
    with source, _storage_errors(f"read {key!r}"):
        yield from _read_chunks(source)


def _hash_stream(source: BinaryIO) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    for chunk in _read_chunks(source):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _hash_file(path: Path) -> tuple[str, int]:
    with open(path, "rb") as source:
        return _hash_stream(source)


@contextmanager
def _storage_errors(action: str) -> Iterator[None]:
    """Turn ``OSError`` into ``StorageError`` naming the failed action."""
    try:
        yield
    except OSError as exc:
        raise StorageError(f"Cannot {action}: {exc}") from exc


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return None
