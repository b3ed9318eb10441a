"""Suite-wide fixtures: the live servers, fresh databases, one Prefect test server
and ``sohoa`` commands forked from one warm interpreter that uses it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import live_services
from tests.helpers.databases import fresh_postgresql_database, fresh_sqlite_database
from tests.helpers.forked_cli import CliForker
from tests.helpers.prefect import use_offline_prefect

# Before any test module imports Prefect.
use_offline_prefect()


@pytest.fixture(scope="session")
def live_minio_overrides() -> dict[str, object]:
    """Settings overrides for the live MinIO (fails, never skips, when it is down)."""
    return live_services.minio_settings_overrides()


@pytest.fixture(scope="session")
def live_es_url() -> str:
    """Base URL of the live Elasticsearch (fails, never skips, when it is down)."""
    return live_services.elasticsearch_url()


@pytest.fixture(scope="session")
def live_postgresql_url() -> str:
    """URL of the live PostgreSQL's sohoa database (fails, never skips, when it is down)."""
    return live_services.postgresql_url()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.live)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each kind the app supports: a SQLite file, and a database of
    its own on the live PostgreSQL (dropped afterwards). Not migrated."""
    if request.param == "sqlite":
        fresh = fresh_sqlite_database(tmp_path)
    else:
        fresh = fresh_postgresql_database(request.getfixturevalue("live_postgresql_url"))
    with fresh as url:
        yield url


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """One temporary Prefect API for every flow test of the session (~20-40 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture(scope="session")
def forked_cli(prefect_server: None) -> Iterator[CliForker]:
    """``sohoa`` commands forked from one interpreter that imported it once (~10 s
    saved per command), on the session's Prefect test server instead of a
    temporary server of their own (~20 s more)."""
    from prefect.settings import PREFECT_API_URL

    forker = CliForker({**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())})
    yield forker
    forker.close()
