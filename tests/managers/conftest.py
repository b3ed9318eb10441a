"""The managers' tests run on a real database: each on a fresh SQLite file and
on a fresh database of the live PostgreSQL (the suite's ``database_url``
fixture and its helpers in tests/helpers/databases.py). The generated year
is written once per module and database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sohoa.app import accounts, backends, register_samples
from sohoa.storage.database import forget_engines, session_scope
from sohoa.storage.schema.accounts import Role
from sohoa.web.app import create_app
from tests.helpers.databases import fresh_postgresql_database, fresh_sqlite_database
from tests.helpers.web import PASSWORD, Account


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


UNIT = register_samples.UNITS[0]
OTHER_UNIT = register_samples.UNITS[1]
# A small generated year: every chart and table has data, and it writes in a second.
SMALL_REGISTER = 3_000
ACCOUNTS = {
    "operator": Account("operator", Role.OPERATOR, UNIT),
    "clerk": Account("clerk", Role.CLERK, UNIT),
    "manager": Account("manager", Role.MANAGER, UNIT),
    "manager_all": Account("manager_all", Role.MANAGER, UNIT, all_units=True),
    "admin": Account("admin", Role.ADMIN),
}


@dataclass(frozen=True)
class ManagerSite:
    app: FastAPI
    database_url: str
    data: register_samples.GeneratedData
    tokens: dict[str, str]
    user_ids: dict[str, int]

    def api(self, name: str) -> TestClient:
        """A client sending ``name``'s bearer token."""
        return TestClient(self.app, headers={"Authorization": f"Bearer {self.tokens[name]}"})


@contextmanager
def built_manager_site(data_dir: Path, database_url: str) -> Iterator[ManagerSite]:
    """The small generated year in ``database_url``, a user of every role, the app."""
    data = register_samples.generate(SMALL_REGISTER)
    register_samples.write(database_url, data)
    with pytest.MonkeyPatch.context() as patch:
        for variable in ("SOHOA_CONFIG", "SOHOA_STORAGE", "SOHOA_INDEX"):
            patch.delenv(variable, raising=False)
        patch.setenv("SOHOA_DATA_DIR", str(data_dir))
        patch.setenv("SOHOA_DATABASE", database_url)
        backends.reset()
        app = create_app(backends.settings())
        tokens, user_ids = {}, {}
        with session_scope(database_url) as session:
            for name, account in ACCOUNTS.items():
                user = accounts.create_user(
                    session, name, PASSWORD, account.role,
                    unit=account.unit, all_units=account.all_units,
                )  # fmt: skip
                tokens[name] = accounts.issue_token(session, user)
                user_ids[name] = user.id
        try:
            yield ManagerSite(app, database_url, data, tokens, user_ids)
        finally:
            backends.reset()
            forget_engines()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.live)]
)
def manager_site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ManagerSite]:
    """The app on a small generated year, on SQLite and on the live PostgreSQL."""
    folder = tmp_path_factory.mktemp("manager-site")
    fresh: AbstractContextManager[str]
    if request.param == "sqlite":
        fresh = fresh_sqlite_database(folder)
    else:
        fresh = fresh_postgresql_database(request.getfixturevalue("live_postgresql_url"))
    with fresh as url, built_manager_site(folder, url) as site:
        yield site
