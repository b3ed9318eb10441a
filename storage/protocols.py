"""The two seams every backend implements. The filesystem store and SQLite
index are the embedded defaults; MinIO and Elasticsearch are the production
pair. All four pass ``tests/contract``.

Threading: implementations are safe to call from several threads of one
process (Prefect's thread pool runs tasks concurrently); clients are created
lazily from settings, never at import time."""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from sohoa.models import Record, SearchQuery, SearchResults

# The largest chunk ``ObjectStore.read_chunks`` yields.
READ_CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: str
    size: int
    sha256: str
    content_type: str
    # When it was last written (seconds since the epoch), where the store says.
    modified: float | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class BulkResult:
    indexed: int
    errors: dict[str, str]  # record_id -> reason


@runtime_checkable
class ObjectStore(Protocol):
    def put_file(self, key: str, path: Path, content_type: str) -> StoredObject:
        """Store a file atomically; the SHA-256 is computed, verified and kept."""

    def put_bytes(self, key: str, data: bytes, content_type: str) -> StoredObject: ...

    def get_bytes(self, key: str) -> bytes:
        """Raises ``ObjectNotFound`` for a missing key."""

    def read_chunks(self, key: str) -> Generator[bytes, None, None]:
        """The object's bytes in chunks of at most ``READ_CHUNK_BYTES``, so a
        large file is served with flat memory. The object is opened by the call:
        a missing key raises ``ObjectNotFound`` there, before any chunk. The
        object is closed when the iterator is exhausted or closed."""

    def download(self, key: str, path: Path) -> Path: ...

    def stat(self, key: str) -> StoredObject | None:
        """``None`` when the key does not exist."""

    def exists(self, key: str) -> bool: ...

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        """Keys under ``prefix`` in lexical order."""

    def delete(self, key: str) -> None: ...

    def url(self, key: str) -> str:
        """A link a clerk's browser can open (presigned where the store has it)."""

    def verify(self, key: str) -> bool:
        """Re-hash the stored bytes and compare with the recorded SHA-256."""


@runtime_checkable
class SearchIndex(Protocol):
    def setup(self) -> None:
        """Create what is missing; safe to run on every start."""

    def index_records(self, records: Iterable[Record]) -> BulkResult: ...

    def delete_record(self, record_id: str) -> None: ...

    def search(self, query: SearchQuery) -> SearchResults: ...

    def record_ids(self) -> Iterator[str]: ...

    def count(self) -> int:
        """Number of records in the index."""

    def rebuild(self, records: Iterable[Record]) -> int:
        """Build a fresh index from ``records`` and swap it in; searches keep
        answering from the old one until the swap."""

    def refresh(self) -> None:
        """Make recent writes visible to searches."""

    def close(self) -> None: ...
