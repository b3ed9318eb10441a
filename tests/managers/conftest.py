"""The managers' tests run on a real database: SQLite, and for the generated
year also the live PostgreSQL (SOHOA_TEST_DATABASE_URL from `make services`),
in a database of its own dropped afterwards. When the suite-wide
``database_url`` fixture lands on main, these fixtures can lean on it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from sohoa.app import register_samples
from sohoa.storage.database import forget_engines
from tests.helpers import live_services


@pytest.fixture()
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path / 'sohoa.sqlite3'}"
    forget_engines()


@contextmanager
def fresh_postgresql_database() -> Iterator[str]:
    """A new, empty database on the live PostgreSQL; fails when it is not configured or down."""
    server = live_services._setting("SOHOA_TEST_DATABASE_URL")
    name = f"sohoa_managers_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield str(make_url(server).set(database=name).render_as_string(hide_password=False))
    finally:
        forget_engines()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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
    if request.param == "sqlite":
        fresh: AbstractContextManager[str] = nullcontext(
            f"sqlite:///{tmp_path_factory.mktemp('generated') / 'sohoa.sqlite3'}"
        )
    else:
        fresh = fresh_postgresql_database()
    with fresh as url:
        register_samples.write(url, generated_year)
        yield url, generated_year
        forget_engines()
