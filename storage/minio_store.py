"""Objects in MinIO (or any S3-compatible store).

``SOHOA_STORAGE=s3://bucket[/prefix]``. The bucket is created with versioning
on first use. Every object carries its SHA-256 as ``x-amz-meta-sha256``,
computed before upload and checked after; ``verify`` and ``download`` re-hash
the bytes as they stream, so nothing large is held in memory.

Threading: one ``Minio`` client (a urllib3 pool) is shared by all threads; it
is created lazily under a lock, never at import time.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import certifi
import urllib3
from minio import Minio
from minio.commonconfig import ENABLED
from minio.error import InvalidResponseError, MinioException, S3Error, ServerError
from minio.versioningconfig import VersioningConfig

from sohoa.core.errors import (
    AccessRefused,
    ConfigurationError,
    IntegrityError,
    ObjectNotFound,
    StorageError,
)
from sohoa.core.settings import Settings
from sohoa.storage.protocols import READ_CHUNK_BYTES, StoredObject

log = logging.getLogger(__name__)

SHA256_META = "sha256"
SHA256_HEADER = "x-amz-meta-sha256"
PART_SIZE = 16 * 1024 * 1024  # the client switches to multipart above this
CHUNK_SIZE = READ_CHUNK_BYTES
_CREDENTIAL_CODES = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"}


def parse_storage_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> ``("bucket", "some/prefix/")``."""
    if not url.startswith("s3://"):
        raise ConfigurationError(f"SOHOA_STORAGE={url!r} is not an s3://bucket URL")
    bucket, _, prefix = url[len("s3://") :].partition("/")
    if not bucket:
        raise ConfigurationError("SOHOA_STORAGE=s3:// names no bucket: use s3://bucket")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


def _http_client(ca_certs: Path | None) -> urllib3.PoolManager:
    """Bounded timeouts, and retries with backoff on connection errors and 5xx;
    TLS certificates checked against ``ca_certs`` (``SOHOA_S3_CA_CERTS``), else
    ``SSL_CERT_FILE`` or the bundled CAs."""
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=5, read=60),
        maxsize=10,
        cert_reqs="CERT_REQUIRED",
        ca_certs=str(ca_certs or os.environ.get("SSL_CERT_FILE") or certifi.where()),
        retries=urllib3.Retry(
            total=3,
            backoff_factor=0.5,
            status_forcelist=(500, 502, 503, 504),
        ),
    )


def _hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


class MinioObjectStore:
    """An ``ObjectStore`` over one bucket (and optional key prefix) of MinIO."""

    def __init__(self, settings: Settings) -> None:
        self.bucket, self.prefix = parse_storage_url(settings.storage_url)
        endpoint = settings.s3_endpoint
        secure = settings.s3_secure
        for scheme in ("http://", "https://"):
            if endpoint.startswith(scheme):
                endpoint, secure = endpoint[len(scheme) :], scheme == "https://"
        self.endpoint = endpoint.rstrip("/")
        self._secure = secure
        self._settings = settings
        self._client: Minio | None = None
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"MinioObjectStore({self.endpoint}, bucket={self.bucket!r})"

    # -- setup -------------------------------------------------------------

    def setup(self) -> None:
        """Create the bucket and turn versioning on; safe to run again."""
        with self._lock:
            self._client = None
        self._ready()

    def _ready(self) -> Minio:
        with self._lock:
            if self._client is None:
                client = Minio(
                    self.endpoint,
                    access_key=self._settings.s3_access_key.get_secret_value() or None,
                    secret_key=self._settings.s3_secret_key.get_secret_value() or None,
                    secure=self._secure,
                    region=self._settings.s3_region or None,
                    http_client=_http_client(self._settings.s3_ca_certs),
                )
                with self._errors():
                    self._ensure_bucket(client)
                self._client = client
            return self._client

    def _ensure_bucket(self, client: Minio) -> None:
        if not client.bucket_exists(self.bucket):
            try:
                client.make_bucket(self.bucket, location=self._settings.s3_region or None)
                log.info("Created bucket %s on %s", self.bucket, self.endpoint)
            except S3Error as exc:  # another worker created it first
                if exc.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    raise
        try:
            if client.get_bucket_versioning(self.bucket).status != ENABLED:
                client.set_bucket_versioning(self.bucket, VersioningConfig(ENABLED))
                log.info("Enabled versioning on bucket %s", self.bucket)
        except S3Error as exc:
            if exc.code != "AccessDenied":
                raise
            # A least-privilege user may read and write objects but not manage
            # the bucket: work on, and say who must turn versioning on.
            log.warning(
                "Cannot check versioning of bucket %s on %s (%s); an administrator "
                "should enable it so overwritten and deleted objects can be restored",
                self.bucket,
                self.endpoint,
                exc.code,
            )

    def _name(self, key: str) -> str:
        """The object name of ``key``; keys follow the filesystem store's
        rules, so an archive can move between the two."""
        if not key or any(part in ("", ".", "..") for part in key.split("/")):
            raise ValueError(
                f"Invalid object key {key!r}: use relative '/'-separated names without "
                "empty, '.' or '..' segments."
            )
        return self.prefix + key

    # -- errors ------------------------------------------------------------

    @contextmanager
    def _errors(self, key: str = "") -> Iterator[None]:
        """Turn client and network failures into sohoa errors a person can act on."""
        where = f"MinIO at {self.endpoint}"
        try:
            yield
        except S3Error as exc:
            if exc.code == "NoSuchKey":
                raise ObjectNotFound(f"No object {key!r} in bucket {self.bucket}") from exc
            if exc.code in _CREDENTIAL_CODES:
                raise AccessRefused(
                    f"{where} refused the credentials ({exc.code}): check "
                    "SOHOA_S3_ACCESS_KEY and SOHOA_S3_SECRET_KEY, and that this user may "
                    f"read and write bucket {self.bucket}"
                ) from exc
            if exc.code == "NoSuchBucket":
                with self._lock:
                    self._client = None  # recreate the bucket on the next call
                raise StorageError(f"Bucket {self.bucket} vanished from {where}") from exc
            raise StorageError(
                f"{where} refused {key or self.bucket!r}: {exc.code}: {exc.message}"
            ) from exc
        except ServerError as exc:
            raise StorageError(f"{where} failed (HTTP {exc.status_code}); try again later") from exc
        except InvalidResponseError as exc:
            raise StorageError(
                f"{where} answered with something that is not S3: check SOHOA_S3_ENDPOINT "
                f"and SOHOA_S3_SECURE ({exc})"
            ) from exc
        except urllib3.exceptions.HTTPError as exc:
            if isinstance(getattr(exc, "reason", exc), urllib3.exceptions.SSLError):
                raise AccessRefused(
                    f"{where} presented a certificate sohoa does not trust: set "
                    "SOHOA_S3_CA_CERTS to the PEM file of the CA that signed it "
                    f"({getattr(exc, 'reason', exc)})"
                ) from exc
            raise StorageError(
                f"Cannot reach {where}: is it running? Check SOHOA_S3_ENDPOINT and "
                f"SOHOA_S3_SECURE ({type(exc).__name__}: {exc})"
            ) from exc
        except MinioException as exc:
            raise StorageError(f"{where} failed on {key!r}: {exc}") from exc

    # -- writes ------------------------------------------------------------

    def put_file(self, key: str, path: Path, content_type: str) -> StoredObject:
        try:
            sha256, size = _hash_file(path)
        except OSError as exc:
            raise StorageError(f"Cannot read {path} to store it as {key!r}: {exc}") from exc
        name, client = self._name(key), self._ready()
        with self._errors(key):
            client.fput_object(
                self.bucket,
                name,
                str(path),
                content_type=content_type,
                metadata={SHA256_META: sha256},
                part_size=PART_SIZE,
            )
        return self._check_written(key, sha256, size)

    def put_bytes(self, key: str, data: bytes, content_type: str) -> StoredObject:
        sha256 = hashlib.sha256(data).hexdigest()
        name, client = self._name(key), self._ready()
        with self._errors(key):
            client.put_object(
                self.bucket,
                name,
                io.BytesIO(data),
                len(data),
                content_type=content_type,
                metadata={SHA256_META: sha256},
                part_size=PART_SIZE,
            )
        return self._check_written(key, sha256, len(data))

    def _check_written(self, key: str, sha256: str, size: int) -> StoredObject:
        stored = self.stat(key)
        if stored is None or stored.sha256 != sha256 or stored.size != size:
            raise IntegrityError(
                f"MinIO at {self.endpoint} did not keep {key!r} as sent "
                f"(expected {size} bytes, sha256 {sha256[:12]}…; got {stored}); upload it again"
            )
        return stored

    def delete(self, key: str) -> None:
        """Hide the object (earlier versions stay in the versioned bucket)."""
        name, client = self._name(key), self._ready()
        with self._errors(key):
            client.remove_object(self.bucket, name)

    # -- reads -------------------------------------------------------------

    def stat(self, key: str) -> StoredObject | None:
        name, client = self._name(key), self._ready()
        try:
            with self._errors(key):
                info = client.stat_object(self.bucket, name)
        except ObjectNotFound:
            return None
        metadata = info.metadata or {}
        return StoredObject(
            key=key,
            size=info.size or 0,
            sha256=metadata.get(SHA256_HEADER, ""),
            content_type=info.content_type or "application/octet-stream",
            modified=info.last_modified.timestamp() if info.last_modified else None,
        )

    def exists(self, key: str) -> bool:
        return self.stat(key) is not None

    def get_bytes(self, key: str) -> bytes:
        buffer = io.BytesIO()
        self._stream(key, buffer.write)
        return buffer.getvalue()

    def read_chunks(self, key: str) -> Generator[bytes, None, None]:
        name, client = self._name(key), self._ready()
        with self._errors(key):
            response = client.get_object(self.bucket, name)
        return self._closing_chunks(response, key)

    def _closing_chunks(
        self, response: urllib3.BaseHTTPResponse, key: str
    ) -> Generator[bytes, None, None]:
        try:
            with self._errors(key):
                yield from response.stream(CHUNK_SIZE)
        finally:
            response.close()
            response.release_conn()

    def download(self, key: str, path: Path) -> Path:
        """Stream ``key`` to ``path`` (atomically); raises ``IntegrityError``
        when the bytes do not match their recorded SHA-256."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as handle:
                actual, expected = self._stream(key, handle.write)
            if expected and actual != expected:
                raise IntegrityError(
                    f"Object {key!r} in bucket {self.bucket} is corrupt: its bytes hash to "
                    f"{actual[:12]}…, not the recorded {expected[:12]}…; restore a previous "
                    "version of it"
                )
            os.replace(partial, path)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
        return path

    def verify(self, key: str) -> bool:
        """Re-download and re-hash; ``False`` when the bytes no longer match the
        recorded SHA-256, none was recorded, or the object is missing."""
        try:
            actual, expected = self._stream(key, lambda _chunk: None)
        except ObjectNotFound:
            return False
        if actual != expected:
            log.warning("Object %s: sha256 %s != recorded %r", key, actual, expected)
        return actual == expected

    def _stream(self, key: str, sink: Callable[[bytes], Any]) -> tuple[str, str]:
        """Feed the object to ``sink`` chunk by chunk; return the hash of what
        was read and the hash recorded at upload."""
        name, client = self._name(key), self._ready()
        digest = hashlib.sha256()
        with self._errors(key):
            response = client.get_object(self.bucket, name)
            try:
                expected = response.headers.get(SHA256_HEADER, "")
                for chunk in response.stream(CHUNK_SIZE):
                    digest.update(chunk)
                    sink(chunk)
            finally:
                response.close()
                response.release_conn()
        return digest.hexdigest(), expected

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        client = self._ready()
        with self._errors(prefix):
            for item in client.list_objects(
                self.bucket, prefix=self.prefix + prefix, recursive=True
            ):
                if item.object_name and not item.is_dir:
                    yield item.object_name[len(self.prefix) :]

    def url(self, key: str) -> str:
        """A presigned GET link valid for ``SOHOA_PRESIGN_SECONDS``."""
        name, client = self._name(key), self._ready()
        with self._errors(key):
            return client.presigned_get_object(
                self.bucket,
                name,
                expires=timedelta(seconds=self._settings.presign_seconds),
            )
