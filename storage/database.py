"""The relational database: accounts, audit, edits, reuse, batch history and the
register of received dossiers. SQLite (a file under the data folder) is the
embedded default; PostgreSQL is the production database. Same schema on both,
created and upgraded by the Alembic migrations in ``storage/migrations``."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from sohoa.core.errors import AccessRefused, ConfigurationError, DatabaseUnavailable
from sohoa.core.settings import redact_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SUPPORTED_SCHEMES = ("sqlite", "postgresql")
# pg_advisory_lock key of the migrations (any constant: "sohoa" in ASCII).
_MIGRATION_LOCK_KEY = 0x736F686F61


class Base(DeclarativeBase):
    """Every table of the database; its metadata is what the migrations build."""


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_database_engine(url: str) -> Engine:
    """An engine for ``sqlite:///path`` or ``postgresql+psycopg://…``; refuses anything else."""
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    if scheme not in SUPPORTED_SCHEMES:
        raise ConfigurationError(
            f"Unsupported database URL {redact_url(url)!r}: use sqlite:///path or "
            "postgresql+psycopg://user:password@host:port/name"
        )
    if scheme == "sqlite":
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


@contextmanager
def _one_migration_at_a_time(engine: Engine) -> Iterator[None]:
    """Flow runs of several workers open a new database at the same moment:
    the first migrates it, the others wait and then find it at head. A
    PostgreSQL advisory lock, or a lock file beside the SQLite file."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            try:
                yield
            finally:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK_KEY}
                )
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    try:
        lock = open(f"{database}.migrating", "a")  # noqa: SIM115  # held across the yield
    except OSError:  # a read-only archive: nobody can migrate it, so nobody races
        yield
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@contextmanager
def _alembic_config(url: str) -> Iterator[Config]:
    """The migrations' configuration, with an engine on ``url`` for ``migrations/env.py``,
    held by this process alone while it is in use."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    engine = create_database_engine(url)
    config.attributes["engine"] = engine
    try:
        with _one_migration_at_a_time(engine):
            yield config
    finally:
        engine.dispose()


def migrate(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (idempotent)."""
    with _alembic_config(url) as config:
        command.upgrade(config, revision)


def downgrade(url: str, revision: str) -> None:
    """Take the database at ``url`` back to ``revision`` (``"base"``: none of the tables)."""
    with _alembic_config(url) as config:
        command.downgrade(config, revision)


@cache
def _session_factory(url: str) -> sessionmaker[Session]:
    migrate(url)
    return sessionmaker(create_database_engine(url), expire_on_commit=False)


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session on the database at ``url`` (migrated on first use), committed on
    success. A PostgreSQL server that cannot be reached is ``DatabaseUnavailable``
    (retryable: the caller's work stays to be done again), a login it refuses
    ``AccessRefused``; neither message shows the password."""
    with _postgresql_failures_explained(url):
        session = _session_factory(url)()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


# PostgreSQL's answers to a login it refuses: trying again cannot help.
_REFUSALS = ("password authentication failed", "no pg_hba.conf entry", "does not exist")


@contextmanager
def _postgresql_failures_explained(url: str) -> Iterator[None]:
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        # On SQLite these are a locked or unwritable file, reported where they occur.
        if not url.startswith("postgresql"):
            raise
        reason = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
        if any(refusal in reason for refusal in _REFUSALS):
            raise AccessRefused(
                f"PostgreSQL at {redact_url(url)} refused sohoa's login: check the user, "
                f"password and database in SOHOA_DATABASE ({reason})"
            ) from exc
        raise DatabaseUnavailable(
            f"Cannot reach PostgreSQL at {redact_url(url)}: is it running? Check "
            f"SOHOA_DATABASE ({reason})"
        ) from exc


def forget_engines() -> None:
    """Drop cached engines (tests that switch databases, forked workers)."""
    _session_factory.cache_clear()
