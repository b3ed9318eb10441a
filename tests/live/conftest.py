"""The demo batch digitized once per test module into the live MinIO and
Elasticsearch that `make services` starts (``tests.helpers.demo_ingest``).

Each module gets a bucket and an alias of its own; afterwards every object
version, the bucket and every index behind the alias are deleted. A missing
server fails the tests (``live_minio_overrides``, ``live_es_url``); they are
never skipped.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from sohoa.app import backends
from sohoa.core.settings import Settings
from tests.helpers.demo_ingest import DemoIngest, ingest_demo, live_environment, remove_live_data


@pytest.fixture(scope="module")
def live_settings(
    live_minio_overrides: dict[str, object],
    live_es_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Settings]:
    """The process environment points sohoa at a fresh bucket and alias on the
    live servers; both are removed afterwards."""
    name = f"sohoa-live-{uuid.uuid4().hex[:12]}"
    data_dir = tmp_path_factory.mktemp("live-data")
    environment = live_environment(name, data_dir, live_minio_overrides, live_es_url)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SOHOA_CONFIG", raising=False)
        for variable, value in environment.items():
            patch.setenv(variable, value)
        backends.reset()
        settings = backends.settings()
        try:
            yield settings
        finally:
            backends.reset()
            remove_live_data(settings)


@pytest.fixture(scope="module")
def demo_ingest(
    prefect_server: None, live_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> DemoIngest:
    """``generate_demo_inbox`` (six dossiers, every format) through ``poll_inbox``."""
    return ingest_demo(tmp_path_factory.mktemp("live-site") / "inbox", live_settings)
