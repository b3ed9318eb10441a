"""Where the live MinIO, Elasticsearch and PostgreSQL servers are, for tests marked
``live``, and how to remove what a test left on them.

`make services` starts them on loopback and writes ``.services/live.env``; `make test`
exports it. The ``SOHOA_TEST_*`` environment variables win over the file. A missing or
unhealthy server fails the test with what to run; it is never skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy
from elasticsearch import Elasticsearch
from minio import Minio
from minio.deleteobjects import DeleteObject

from sohoa.core.settings import Settings, redact_url

REPO = Path(__file__).resolve().parents[2]
LIVE_ENV_FILE = REPO / ".services" / "live.env"
SERVICES_SCRIPT = REPO / "scripts" / "services.sh"
HEALTH_WAIT_SECONDS = 5.0
# Elasticsearch alone takes 30-70 s to start on a loaded 2-core machine.
SERVICES_TIMEOUT_SECONDS = 420

MINIO_ENDPOINT = "SOHOA_TEST_MINIO_ENDPOINT"
MINIO_ACCESS_KEY = "SOHOA_TEST_MINIO_ACCESS_KEY"
MINIO_SECRET_KEY = "SOHOA_TEST_MINIO_SECRET_KEY"
ES_URL = "SOHOA_TEST_ES_URL"
DATABASE_URL = "SOHOA_TEST_DATABASE_URL"

_HINT = "Start the servers with `make services` (or run everything with `make test`)."


def _from_env_file() -> dict[str, str]:
    try:
        lines = LIVE_ENV_FILE.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return {}
    pairs = (line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))
    return {name.strip(): value.strip() for name, value in pairs}


def _setting(name: str) -> str:
    value = os.environ.get(name) or _from_env_file().get(name)
    if not value:
        pytest.fail(f"{name} is not set and not in {LIVE_ENV_FILE}. {_HINT}", pytrace=False)
    return value


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=2) as response:
        return response.status, response.read()


def _wait_until(what: str, where: str, problem: Callable[[], str | None]) -> None:
    """Call ``problem`` for up to HEALTH_WAIT_SECONDS until it finds none; then fail with it."""
    deadline = time.monotonic() + HEALTH_WAIT_SECONDS
    while (found := problem()) is not None:
        if time.monotonic() >= deadline:
            pytest.fail(f"{what} at {where} is not healthy ({found}). {_HINT}", pytrace=False)
        time.sleep(0.5)


def _wait_until_healthy(what: str, url: str, healthy_body: tuple[str, ...] = ()) -> None:
    """Wait until ``url`` answers 200 (and, if given, its JSON ``status`` is one of
    ``healthy_body``)."""

    def problem() -> str | None:
        try:
            status, body = _get(url)
            if status == 200 and (not healthy_body or json.loads(body)["status"] in healthy_body):
                return None
            return f"HTTP {status}: {body[:200]!r}"
        except (OSError, ValueError, KeyError) as exc:
            return str(exc)

    _wait_until(what, url, problem)


def minio_settings_overrides() -> dict[str, object]:
    """``load_settings(**overrides)`` keyword arguments that point sohoa at the live MinIO."""
    endpoint = _setting(MINIO_ENDPOINT)
    overrides: dict[str, object] = {
        "s3_endpoint": endpoint,
        "s3_access_key": _setting(MINIO_ACCESS_KEY),
        "s3_secret_key": _setting(MINIO_SECRET_KEY),
        "s3_secure": False,
    }
    _wait_until_healthy("MinIO", f"http://{endpoint}/minio/health/live")
    _wait_until_healthy("MinIO", f"http://{endpoint}/minio/health/cluster")
    return overrides


def minio_client(settings: Settings) -> Minio:
    """A plain MinIO client for ``settings`` (to set up or inspect what a test's store does)."""
    return Minio(
        settings.s3_endpoint,
        access_key=settings.s3_access_key.get_secret_value(),
        secret_key=settings.s3_secret_key.get_secret_value(),
        secure=settings.s3_secure,
        region=settings.s3_region,
    )


def elasticsearch_url() -> str:
    """Base URL of the live Elasticsearch node (no authentication, loopback only)."""
    url = _setting(ES_URL).rstrip("/")
    _wait_until_healthy(
        "Elasticsearch", f"{url}/_cluster/health?timeout=2s", healthy_body=("green", "yellow")
    )
    return url


def postgresql_url() -> str:
    """URL of the live PostgreSQL's ``sohoa`` database, as the ``sohoa`` role (which may
    create databases)."""
    url = _setting(DATABASE_URL)
    engine = sqlalchemy.create_engine(url, connect_args={"connect_timeout": 2})

    def problem() -> str | None:
        try:
            with engine.connect() as connection:
                connection.execute(sqlalchemy.text("SELECT 1"))
            return None
        except sqlalchemy.exc.DBAPIError as exc:
            return str(exc.orig).strip()

    try:
        _wait_until("PostgreSQL", redact_url(url), problem)
    finally:
        engine.dispose()
    return url


def run_services(command: str) -> None:
    """``scripts/services.sh <command>`` (start, stop, status), which must succeed."""
    result = subprocess.run(
        [str(SERVICES_SCRIPT), command],
        capture_output=True,
        text=True,
        timeout=SERVICES_TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, (
        f"scripts/services.sh {command} failed ({result.returncode}):\n"
        f"{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    )


def remove_objects(client: Minio, bucket: str, prefix: str = "") -> None:
    """Delete every version (and delete marker) of every object under ``prefix``
    (a store that keeps versions would leave them behind if deleted through it)."""
    if not client.bucket_exists(bucket):  # nothing was ever written
        return
    versions = client.list_objects(
        bucket, prefix=prefix + "/" if prefix else None, recursive=True, include_version=True
    )
    doomed = [DeleteObject(v.object_name or "", v.version_id) for v in versions]
    failures = list(client.remove_objects(bucket, doomed))
    assert not failures, f"cleanup of {bucket}/{prefix} failed: {failures}"


def remove_alias_indices(settings: Settings) -> None:
    """Delete the versioned indices behind ``settings.es_index_alias`` (the
    cluster refuses wildcard deletes, so they are listed first)."""
    with Elasticsearch(settings.index_url, request_timeout=30) as client:
        pattern = f"{settings.es_index_alias}*"
        names = list(client.indices.get(index=pattern, expand_wildcards="all").body)
        if names:
            client.indices.delete(index=",".join(names))
