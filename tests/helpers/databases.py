"""Fresh, empty databases for the tests of the relational database: a SQLite file, or a
database of its own on the live PostgreSQL, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, create_engine, make_url, text

from sohoa.storage.database import forget_engines

# Databases a crashed run left behind are recognisable by this prefix.
TEST_DATABASE_PREFIX = "sohoa_test_"


@contextmanager
def fresh_sqlite_database(folder: Path) -> Iterator[str]:
    """The URL of a new SQLite file in ``folder``."""
    try:
        yield f"sqlite:///{folder / 'sohoa.sqlite3'}"
    finally:
        forget_engines()


@contextmanager
def fresh_postgresql_database(server_url: str) -> Iterator[str]:
    """The URL of a new, uniquely named database on the server of ``server_url``, created by
    its role (which must have CREATEDB) and dropped afterwards, connections and all."""
    name = f"{TEST_DATABASE_PREFIX}{uuid.uuid4().hex[:16]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            forget_engines()
            with admin.connect() as connection:
                _drop(connection, name)
    finally:
        admin.dispose()


def _drop(connection: Connection, name: str) -> None:
    """Drop database ``name`` after ending this role's connections to it. Not
    ``WITH (FORCE)``: that must also end an autovacuum worker busy on it, which
    a role without pg_signal_backend may not do; a plain DROP makes autovacuum
    step aside by itself."""
    connection.execute(
        text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"
            " AND usename = current_user AND pid <> pg_backend_pid()"
        ),
        {"name": name},
    )
    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
