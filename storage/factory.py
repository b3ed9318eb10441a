"""Backends chosen by the scheme of ``SOHOA_STORAGE`` and ``SOHOA_INDEX``
alone. The production pair is imported only when configured, so the embedded
defaults work without reaching MinIO or Elasticsearch."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from sohoa.core.errors import ConfigurationError
from sohoa.core.settings import Settings, redact_url
from sohoa.storage.filesystem import FilesystemObjectStore
from sohoa.storage.protocols import ObjectStore, SearchIndex
from sohoa.storage.sqlite_index import SqliteSearchIndex

STORAGE_EXAMPLES = "file:///srv/sohoa/objects or s3://sohoa-archive"
INDEX_EXAMPLES = "sqlite:////srv/sohoa/index.sqlite3 or http://127.0.0.1:9200"
_SQLITE_PREFIX = "sqlite:///"


def open_object_store(settings: Settings) -> ObjectStore:
    url = settings.storage_url
    scheme = urlsplit(url).scheme.lower()
    if scheme == "file":
        return FilesystemObjectStore(file_url_path(url))
    if scheme == "s3":
        from sohoa.storage.minio_store import MinioObjectStore

        return MinioObjectStore(settings)
    raise ConfigurationError(
        f"SOHOA_STORAGE={url!r} is not a supported object store; use for example "
        f"{STORAGE_EXAMPLES}."
    )


def open_search_index(settings: Settings) -> SearchIndex:
    url = settings.index_url
    shown = redact_url(url)
    scheme = urlsplit(url).scheme.lower()
    if scheme == "sqlite":
        return SqliteSearchIndex(sqlite_url_path(url))
    if scheme in ("http", "https"):
        if not urlsplit(url).hostname:
            raise ConfigurationError(f"SOHOA_INDEX={shown!r} names no host; use {INDEX_EXAMPLES}.")
        from sohoa.storage.elastic_index import ElasticsearchIndex

        return ElasticsearchIndex(settings)
    raise ConfigurationError(
        f"SOHOA_INDEX={shown!r} is not a supported search index; use for example {INDEX_EXAMPLES}."
    )


def file_url_path(url: str) -> Path:
    """``file:///srv/objects`` (or ``file://localhost/srv/objects``) -> ``/srv/objects``."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
        raise ConfigurationError(
            f"SOHOA_STORAGE={url!r} is not an absolute file URL; use for example "
            "file:///srv/sohoa/objects (three slashes, then the absolute path)."
        )
    return Path(unquote(parts.path))


def sqlite_url_path(url: str) -> Path:
    """``sqlite:////abs/index.sqlite3`` -> ``/abs/index.sqlite3``;
    ``sqlite:///rel/index.sqlite3`` -> ``rel/index.sqlite3`` (from the working
    folder), as in SQLAlchemy."""
    path = unquote(url[len(_SQLITE_PREFIX) :]) if url.lower().startswith(_SQLITE_PREFIX) else ""
    if not path or path.endswith("/"):
        raise ConfigurationError(
            f"SOHOA_INDEX={url!r} names no database file; use for example "
            "sqlite:////srv/sohoa/index.sqlite3 (four slashes for an absolute path)."
        )
    return Path(path).expanduser()
