"""The demo batch digitized once per test module into the live MinIO and
Elasticsearch that `make services` starts.

sohoa picks the production backends from configuration alone
(``SOHOA_STORAGE=s3://…``, ``SOHOA_INDEX=http://…``), exactly as a deployment
does. Each module gets a bucket and an alias of its own; afterwards every
object version, the bucket and every index behind the alias are deleted. A
missing server fails the tests (``live_minio_overrides``, ``live_es_url``);
they are never skipped.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from minio.deleteobjects import DeleteObject

from sohoa.app import backends
from sohoa.core.settings import Settings
from sohoa.flows.inbox import poll_inbox
from sohoa.models import BatchReport, FileStatus
from sohoa.samples import GroundTruth, generate_demo_inbox
from sohoa.storage.minio_store import parse_storage_url
from tests import live_services

REPO = Path(__file__).resolve().parents[2]
SERVICES_SCRIPT = REPO / "scripts" / "services.sh"
# Elasticsearch alone takes 30-70 s to start on a loaded 2-core machine.
SERVICES_TIMEOUT_SECONDS = 420


@dataclass(frozen=True)
class DemoIngest:
    """The demo batch after ``poll_inbox`` stored and indexed it."""

    settings: Settings
    report: BatchReport
    processed_batch: Path  # the batch folder in processed/, with the original files
    truth: dict[str, GroundTruth]  # by file name
    record_ids: dict[str, str]  # file name -> record id

    def sha256_of(self, name: str) -> str:
        return hashlib.sha256((self.processed_batch / name).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def live_settings(
    live_minio_overrides: dict[str, object],
    live_es_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Settings]:
    """The process environment points sohoa at a fresh bucket and alias on the
    live servers; both are removed afterwards."""
    name = f"sohoa-live-{uuid.uuid4().hex[:12]}"
    environment = {
        "SOHOA_DATA_DIR": str(tmp_path_factory.mktemp("live-data")),
        "SOHOA_QUIET_SECONDS": "0",
        "SOHOA_STORAGE": f"s3://{name}",
        "SOHOA_S3_ENDPOINT": str(live_minio_overrides["s3_endpoint"]),
        "SOHOA_S3_ACCESS_KEY": str(live_minio_overrides["s3_access_key"]),
        "SOHOA_S3_SECRET_KEY": str(live_minio_overrides["s3_secret_key"]),
        "SOHOA_S3_SECURE": "false",
        "SOHOA_INDEX": live_es_url,
        "SOHOA_ES_INDEX_ALIAS": name,
    }
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
            remove_bucket(settings)
            remove_alias_indices(settings)


@pytest.fixture(scope="module")
def demo_ingest(
    prefect_server: None, live_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> DemoIngest:
    """``generate_demo_inbox`` (six dossiers, every format) through ``poll_inbox``."""
    inbox = tmp_path_factory.mktemp("live-site") / "inbox"
    batch = generate_demo_inbox(inbox)
    truth_file = batch.parent / f"{batch.name}.truth.json"
    truth = {
        name: GroundTruth.from_json(data)
        for name, data in json.loads(truth_file.read_text(encoding="utf-8")).items()
    }

    reports = poll_inbox(str(inbox), mark_inbox=True)

    assert [r.batch_id for r in reports] == [batch.name]
    report = reports[0]
    assert report.failed_reason is None
    assert all(o.status is FileStatus.STORED for o in report.files), report.files
    record_ids = {o.file: o.record_id or "" for o in report.files}
    assert set(record_ids) == set(truth) and len(set(record_ids.values())) == len(truth)
    backends.search_index().refresh()
    return DemoIngest(live_settings, report, Path(report.destination), truth, record_ids)


def remove_bucket(settings: Settings) -> None:
    """Delete every version (and delete marker) of every object, then the bucket."""
    bucket, _ = parse_storage_url(settings.storage_url)
    client = live_services.minio_client(settings)
    if not client.bucket_exists(bucket):
        return
    versions = client.list_objects(bucket, recursive=True, include_version=True)
    doomed = [DeleteObject(v.object_name or "", v.version_id) for v in versions]
    failures = list(client.remove_objects(bucket, doomed))
    assert not failures, f"cleanup of bucket {bucket} failed: {failures}"
    client.remove_bucket(bucket)


def remove_alias_indices(settings: Settings) -> None:
    """Delete the versioned indices behind the alias (the cluster refuses
    wildcard deletes, so they are listed first)."""
    with Elasticsearch(settings.index_url, request_timeout=30) as client:
        names = list(client.indices.get(index=f"{settings.es_index_alias}*").body)
        if names:
            client.indices.delete(index=",".join(names))


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
