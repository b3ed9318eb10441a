"""The managers' tests run on a real database. Until the ``database_url``
fixture of the PostgreSQL work lands in tests/conftest.py, they run on SQLite
only; then ``generated`` takes its PostgreSQL parameter too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sohoa.app import register_samples
from sohoa.storage.database import forget_engines


@pytest.fixture()
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path / 'sohoa.sqlite3'}"
    forget_engines()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, object]]:
    """100,000 register dossiers over 12 months and 8 units, with records,
    batches, reuse and lookups, bulk-inserted into a fresh database."""
    url = f"sqlite:///{tmp_path_factory.mktemp('generated') / 'sohoa.sqlite3'}"
    data = register_samples.generate(100_000)
    register_samples.write(url, data)
    yield url, data
    forget_engines()
