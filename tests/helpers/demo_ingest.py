"""The demo batch digitized into the live MinIO and Elasticsearch.

sohoa picks the production backends from configuration alone
(``SOHOA_STORAGE=s3://…``, ``SOHOA_INDEX=http://…``), exactly as a deployment
does: ``live_environment`` is that configuration for a bucket and an alias of
their own, ``remove_live_data`` removes both afterwards.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from sohoa.app import backends
from sohoa.core.settings import Settings
from sohoa.flows.inbox import poll_inbox
from sohoa.models import BatchReport, FileStatus
from sohoa.samples import GroundTruth, generate_demo_inbox
from sohoa.storage.minio_store import parse_storage_url
from tests.helpers.live_services import minio_client, remove_alias_indices, remove_objects


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


def live_environment(
    name: str, data_dir: Path, minio_overrides: dict[str, object], es_url: str
) -> dict[str, str]:
    """Environment variables that point sohoa at bucket and alias ``name`` on the
    live servers, with its data dir at ``data_dir``."""
    return {
        "SOHOA_DATA_DIR": str(data_dir),
        "SOHOA_QUIET_SECONDS": "0",
        "SOHOA_STORAGE": f"s3://{name}",
        "SOHOA_S3_ENDPOINT": str(minio_overrides["s3_endpoint"]),
        "SOHOA_S3_ACCESS_KEY": str(minio_overrides["s3_access_key"]),
        "SOHOA_S3_SECRET_KEY": str(minio_overrides["s3_secret_key"]),
        "SOHOA_S3_SECURE": "false",
        "SOHOA_INDEX": es_url,
        "SOHOA_ES_INDEX_ALIAS": name,
    }


def remove_live_data(settings: Settings) -> None:
    """Delete the bucket with every object version, and every index behind the alias."""
    bucket, _ = parse_storage_url(settings.storage_url)
    client = minio_client(settings)
    remove_objects(client, bucket)
    if client.bucket_exists(bucket):
        client.remove_bucket(bucket)
    remove_alias_indices(settings)


def ingest_demo(inbox: Path, settings: Settings) -> DemoIngest:
    """``generate_demo_inbox`` (six dossiers, every format) through ``poll_inbox``,
    every file checked stored."""
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
    return DemoIngest(settings, report, Path(report.destination), truth, record_ids)
