"""Suite-wide plumbing: offline Prefect defaults and the live-server fixtures."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

from sohoa.flows import prefect_env
from tests import live_services

# Before any test module imports Prefect: the offline defaults the CLI uses, and a throwaway
# Prefect home per session (its ephemeral server keeps a SQLite database there).
prefect_env.configure()
if "PREFECT_HOME" not in os.environ:
    _prefect_home = tempfile.mkdtemp(prefix="sohoa-test-prefect-")
    os.environ["PREFECT_HOME"] = _prefect_home
    atexit.register(shutil.rmtree, _prefect_home, ignore_errors=True)


@pytest.fixture(scope="session")
def live_minio_overrides() -> dict[str, object]:
    """Settings overrides for the live MinIO (fails, never skips, when it is down)."""
    return live_services.minio_settings_overrides()


@pytest.fixture(scope="session")
def live_es_url() -> str:
    """Base URL of the live Elasticsearch (fails, never skips, when it is down)."""
    return live_services.elasticsearch_url()


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """One temporary Prefect API for every flow test of the session (~20-40 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield
