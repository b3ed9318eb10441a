"""One suite, every backend: ``object_store`` runs each contract test on the
filesystem store and on the live MinIO, ``search_index`` on SQLite and on the
live Elasticsearch. Backends are built by ``storage.factory`` from settings,
as in production (``tests.helpers.backends``). Live params are marked
``live``; when a server or the backend module is missing they error, they are
never skipped.

Each test gets a fresh store (a temporary folder, or a unique key prefix in a
MinIO test bucket) and a fresh index (a temporary file, or a unique
Elasticsearch alias), removed afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sohoa.storage.protocols import ObjectStore, SearchIndex
from tests.helpers.backends import (
    INDEX_BACKENDS,
    OBJECT_STORE_BACKENDS,
    fresh_index,
    fresh_object_store,
)


@pytest.fixture(params=OBJECT_STORE_BACKENDS)
def object_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    with fresh_object_store(request, tmp_path) as store:
        yield store


@pytest.fixture(params=INDEX_BACKENDS)
def search_index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchIndex]:
    with fresh_index(request, tmp_path) as index:
        yield index
