"""The database contract, on SQLite and on the live PostgreSQL (``database_url``): the Alembic
migrations build exactly the tables the code declares, in both directions and as often as
asked, and a session commits or rolls back as a whole. Generic over whatever tables
``storage/schema`` declares."""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, Table, func, inspect, make_url, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

import sohoa.storage.schema as schema
from sohoa.core.errors import AccessRefused, ConfigurationError, DatabaseUnavailable
from sohoa.flows.prefect_processes import free_port
from sohoa.storage.database import (
    MIGRATIONS_DIR,
    create_database_engine,
    downgrade,
    migrate,
    session_scope,
)

VERSION_TABLE = "alembic_version"


def _script() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config)


def _revisions_oldest_first() -> list[str]:
    return [script.revision for script in reversed(list(_script().walk_revisions()))]


def _current_revision(url: str) -> str | None:
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_database_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _differences(url: str, metadata: MetaData = schema.Base.metadata) -> list[Any]:
    """What Alembic's autogenerate would change to make the database match ``metadata``."""
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            differences: list[Any] = compare_metadata(
                MigrationContext.configure(connection), metadata
            )
            return differences
    finally:
        engine.dispose()


def _assert_at_head(url: str) -> None:
    assert _current_revision(url) == _script().get_current_head()
    assert _tables(url) == set(schema.Base.metadata.tables) | {VERSION_TABLE}
    assert _differences(url) == []


def test_migrating_twice_reaches_head_and_the_second_time_changes_nothing(
    database_url: str,
) -> None:
    migrate(database_url)
    _assert_at_head(database_url)
    migrate(database_url)
    _assert_at_head(database_url)


def _migrate_when_released(url: str, start: Any) -> None:
    start.wait()
    migrate(url)


def test_processes_opening_a_new_database_at_once_migrate_it_once(database_url: str) -> None:
    """As the flow runs of several workers do on a fresh install."""
    context = multiprocessing.get_context("fork")
    start = context.Event()
    processes = [
        context.Process(target=_migrate_when_released, args=(database_url, start)) for _ in range(4)
    ]
    for process in processes:
        process.start()
    start.set()
    for process in processes:
        process.join(timeout=120)
    assert [process.exitcode for process in processes] == [0, 0, 0, 0]
    _assert_at_head(database_url)


def test_the_migrations_build_exactly_the_declared_tables(database_url: str) -> None:
    migrate(database_url)
    assert _differences(database_url) == []


def test_the_comparison_notices_a_declared_table_that_no_migration_makes(
    database_url: str,
) -> None:
    """The test above would pass vacuously if the comparison saw nothing."""
    migrate(database_url)
    declared = MetaData()
    for table in schema.Base.metadata.tables.values():
        table.to_metadata(declared)
    Table("never_migrated", declared, Column("id", Integer, primary_key=True))
    differences = _differences(database_url, declared)
    assert [(kind, table.name) for kind, table in differences] == [("add_table", "never_migrated")]


def test_downgrade_to_base_removes_every_table_and_upgrade_rebuilds_them(
    database_url: str,
) -> None:
    migrate(database_url)
    downgrade(database_url, "base")
    assert _current_revision(database_url) is None
    assert _tables(database_url) <= {VERSION_TABLE}
    migrate(database_url)
    _assert_at_head(database_url)


def test_every_revision_downgrades_one_step_and_upgrades_again(database_url: str) -> None:
    for revision in _revisions_oldest_first():
        migrate(database_url, revision)
        tables = _tables(database_url)
        downgrade(database_url, "-1")
        migrate(database_url, revision)
        assert _current_revision(database_url) == revision
        assert _tables(database_url) == tables
    _assert_at_head(database_url)


class _ProbeBase(DeclarativeBase):
    """Not ``Base``: the probe table must stay out of the schema the migrations are held to."""


class _Probe(_ProbeBase):
    __tablename__ = "session_scope_probe"
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str]


def _probe_labels(url: str) -> list[str]:
    with session_scope(url) as session:
        return list(session.scalars(select(_Probe.label).order_by(_Probe.id)))


@pytest.fixture
def probe_url(database_url: str) -> str:
    """``database_url`` migrated, plus the probe table."""
    migrate(database_url)
    engine = create_database_engine(database_url)
    try:
        _ProbeBase.metadata.create_all(engine)
    finally:
        engine.dispose()
    return database_url


def test_session_scope_commits_when_the_block_succeeds(probe_url: str) -> None:
    with session_scope(probe_url) as session:
        session.add_all([_Probe(label="Nguyễn Văn A"), _Probe(label="Trần Thị B")])
    assert _probe_labels(probe_url) == ["Nguyễn Văn A", "Trần Thị B"]


def test_session_scope_rolls_back_everything_when_the_block_raises(probe_url: str) -> None:
    with session_scope(probe_url) as session:
        session.add(_Probe(label="kept"))

    with pytest.raises(RuntimeError, match="clerk cancelled"), session_scope(probe_url) as session:
        session.add(_Probe(label="lost 1"))
        session.flush()
        session.add(_Probe(label="lost 2"))
        session.flush()
        assert session.scalar(select(func.count()).select_from(_Probe)) == 3
        raise RuntimeError("clerk cancelled")

    assert _probe_labels(probe_url) == ["kept"]


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("mysql+pymysql://sohoa:hunter2-secret@db.example:3306/sohoa", id="mysql"),
        pytest.param("postgres://sohoa:hunter2-secret@127.0.0.1:5432/sohoa", id="postgres-alias"),
        pytest.param("oracle://sohoa:hunter2-secret@db.example/sohoa", id="oracle"),
    ],
)
def test_an_unsupported_url_is_refused_without_showing_its_password(url: str) -> None:
    def open_session(refused: str) -> None:
        with session_scope(refused):
            pass

    for use in (create_database_engine, migrate, open_session):
        with pytest.raises(ConfigurationError) as refusal:
            use(url)
        message = str(refusal.value)
        assert "hunter2-secret" not in message
        assert "Unsupported database URL" in message
        assert "db.example" in message or "127.0.0.1" in message


@pytest.mark.live
def test_a_refused_postgresql_login_is_not_retried_and_a_stopped_server_is(
    live_postgresql_url: str,
) -> None:
    def ask(**changes: Any) -> None:
        url = make_url(live_postgresql_url).set(**changes).render_as_string(hide_password=False)
        with session_scope(url) as session:
            session.execute(select(1))

    with pytest.raises(AccessRefused) as refused:
        ask(password="not-the-password-42")
    assert not refused.value.retryable and "not-the-password-42" not in refused.value.message
    with pytest.raises(DatabaseUnavailable) as unreachable:
        ask(host="127.0.0.1", port=free_port())
    assert unreachable.value.retryable
