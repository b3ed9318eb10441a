"""The managers' tests run on a real database: each on a fresh SQLite file and
on a fresh database of the live PostgreSQL (the suite's ``database_url``
fixture and its helpers in tests/helpers/databases.py). The generated year
is written once per module and database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager

import pytest

from sohoa.app import register_samples
from tests.helpers.databases import fresh_postgresql_database, fresh_sqlite_database


@pytest.fixture(scope="session")
def generated_year() -> register_samples.GeneratedData:
    return register_samples.generate(100_000)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.live)]
)
def generated(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    generated_year: register_samples.GeneratedData,
) -> Iterator[tuple[str, register_samples.GeneratedData]]:
    """100,000 register dossiers over 12 months and 8 units, with records,
    batches, reuse and lookups, bulk-inserted into a fresh database."""
    fresh: AbstractContextManager[str]
    if request.param == "sqlite":
        fresh = fresh_sqlite_database(tmp_path_factory.mktemp("generated"))
    else:
        fresh = fresh_postgresql_database(request.getfixturevalue("live_postgresql_url"))
    with fresh as url:
        register_samples.write(url, generated_year)
        yield url, generated_year
