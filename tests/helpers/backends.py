"""A fresh object store or search index of a named backend, built by
``storage.factory`` from settings as in production, removed afterwards.

The live backends get a unique key prefix in a MinIO test bucket, or a unique
Elasticsearch alias; the embedded ones a temporary folder or file.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sohoa.core.settings import load_settings
from sohoa.storage.factory import open_object_store, open_search_index
from sohoa.storage.protocols import ObjectStore, SearchIndex
from tests.helpers.live_services import minio_client, remove_alias_indices, remove_objects

MINIO_TEST_BUCKET = "sohoa-contract"
OBJECT_STORE_BACKENDS = ["filesystem", pytest.param("minio", marks=pytest.mark.live)]
INDEX_BACKENDS = ["sqlite", pytest.param("elasticsearch", marks=pytest.mark.live)]


def unique_name(kind: str) -> str:
    """A name no other test run uses, for a key prefix or an index alias."""
    return f"sohoa-contract-{kind}-{uuid.uuid4().hex[:12]}"


@contextmanager
def fresh_object_store(request: pytest.FixtureRequest, folder: Path) -> Iterator[ObjectStore]:
    """A new, empty store of the backend named by ``request.param``."""
    if request.param == "filesystem":
        yield open_object_store(load_settings(data_dir=folder))
        return
    overrides = request.getfixturevalue("live_minio_overrides")
    prefix = unique_name("objects")
    settings = load_settings(
        data_dir=folder, storage=f"s3://{MINIO_TEST_BUCKET}/{prefix}", **overrides
    )
    try:
        yield open_object_store(settings)
    finally:
        remove_objects(minio_client(settings), MINIO_TEST_BUCKET, prefix)


@contextmanager
def fresh_index(request: pytest.FixtureRequest, folder: Path) -> Iterator[SearchIndex]:
    """A new, set-up index of the backend named by ``request.param``."""
    if request.param == "sqlite":
        settings = load_settings(data_dir=folder)
    else:
        url = request.getfixturevalue("live_es_url")
        settings = load_settings(data_dir=folder, index=url, es_index_alias=unique_name("index"))
    index = open_search_index(settings)
    index.setup()
    try:
        yield index
    finally:
        index.close()
        if request.param == "elasticsearch":
            remove_alias_indices(settings)
