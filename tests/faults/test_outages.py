"""A server stopped in the middle of a batch: `sohoa ingest` pauses at a marker
(the ``SOHOA_FAULT_PAUSE_AT`` hook: the first page rendered, its OCR not done),
the test stops the server, and the run goes on without it. It must exit
non-zero with the batch whole in the inbox and nothing quarantined. Once the
server is back, a rerun stores every file exactly once and verify is clean.

Each server is a private one of this module's (never the shared ones), on free
loopback ports, stopped and started again on the same ports and data.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from sohoa.app.fault_points import MARKER, PAUSE_AT, RESUME
from sohoa.core.settings import load_settings, redact_url
from sohoa.storage.database import session_scope
from sohoa.storage.factory import open_object_store
from sohoa.storage.manifests import iter_records
from sohoa.storage.schema.register import DigitizedRecord
from tests.helpers.elasticsearch_node import ElasticsearchNode
from tests.helpers.faults import (
    assert_archive_whole,
    group_members,
    wait_for_marker,
    write_two_dossiers,
)
from tests.helpers.forked_cli import CliForker
from tests.helpers.minio_node import MinioNode
from tests.helpers.postgres_node import PostgresNode

pytestmark = [pytest.mark.ocr, pytest.mark.live]


@pytest.fixture(scope="module")
def minio_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MinioNode]:
    node = MinioNode(tmp_path_factory.mktemp("outage-minio"), "sohoa-outage")
    try:
        node.start()
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="module")
def postgres_node() -> Iterator[PostgresNode]:
    node = PostgresNode()
    try:
        yield node
    finally:
        node.remove()


@pytest.fixture(scope="module")
def es_node() -> Iterator[ElasticsearchNode]:
    node = ElasticsearchNode()
    try:
        node.start()
        yield node
    finally:
        node.remove()


def _outage_trial(
    forked_cli: CliForker,
    home: Path,
    backend: dict[str, str],
    stop: Callable[[], None],
    start: Callable[[], None],
    server: str,
    address: str,
    pause_at: str = "ocr:1",
) -> None:
    inbox = home / "inbox"
    batch = inbox / "outage"
    dropped = write_two_dossiers(batch, server, ready=False)
    files = sorted(p.name for p in batch.iterdir())
    data = home / "data"
    env = {**os.environ, **backend, "SOHOA_DATA_DIR": str(data), "SOHOA_WORKERS": "1"}
    env["SOHOA_RETRY_DELAYS"] = "[0.5, 1]"  # the retries still run out, in seconds not 42 s
    marker, resume = home / "paused", home / "resume"
    hook = {PAUSE_AT: pause_at, MARKER: str(marker), RESUME: str(resume)}

    pid = forked_cli.start(["ingest", str(inbox), "--json"], {**env, **hook}, home / "ingest")
    wait_for_marker(marker)
    stop()
    resume.touch()
    cut_off = forked_cli.wait(pid)

    assert cut_off.exit_code in (5, 6), cut_off.stdout + cut_off.stderr[-3000:]
    report = json.loads(cut_off.stdout)
    assert report["error"].startswith(f"Cannot reach {server} at {address}"), report["error"]
    assert [b["batch_id"] for b in report["batches"] if b["kept_in_inbox"]] == ["outage"]
    (kept,) = [b for b in report["batches"] if b["batch_id"] == "outage"]
    statuses = {f["file"]: f["status"] for f in kept["files"]}  # every file accounted for
    assert set(statuses) == set(files) and "kept" in statuses.values(), statuses
    assert set(statuses.values()) <= {"kept", "stored"}  # stored: a dossier archived before
    assert group_members(pid) == [], "a process outlived the run"
    assert sorted(p.name for p in batch.iterdir()) == files  # whole, still in the inbox
    assert not (home / "quarantine").exists(), cut_off.stdout
    assert not (home / "processed").exists(), cut_off.stdout

    start()
    rerun = forked_cli.run(["ingest", str(inbox), "--json"], env, home / "rerun")
    assert rerun.exit_code == 0, rerun.stderr[-3000:]
    assert not batch.exists()
    settings = load_settings(data_dir=data, **_settings_of(backend))
    assert_archive_whole(settings, dropped, home / "quarantine")
    verify = forked_cli.run(["verify", "--json"], env, home / "verify")
    assert verify.exit_code == 0, verify.stdout + verify.stderr
    # The managers' figures (the database) hold every stored record.
    with session_scope(settings.database_url) as session:
        remembered = set(session.scalars(select(DigitizedRecord.record_id)))
    assert remembered == {r.record_id for r in iter_records(open_object_store(settings))}


def _settings_of(backend: dict[str, str]) -> dict[str, object]:
    """``load_settings`` keywords for SOHOA_* variables."""
    return {name.removeprefix("SOHOA_").lower(): value for name, value in backend.items()}


def test_minio_stopped_mid_batch(
    forked_cli: CliForker, sohoa_home: Path, minio_node: MinioNode
) -> None:
    backend = minio_node.environment
    _outage_trial(
        forked_cli,
        sohoa_home,
        backend,
        minio_node.stop,
        minio_node.start,
        "MinIO",
        minio_node.endpoint,
    )


def test_elasticsearch_stopped_mid_batch(
    forked_cli: CliForker, sohoa_home: Path, es_node: ElasticsearchNode
) -> None:
    backend = {"SOHOA_INDEX": es_node.url, "SOHOA_ES_INDEX_ALIAS": "sohoa-outage"}
    _outage_trial(
        forked_cli, sohoa_home, backend, es_node.stop, es_node.start, "Elasticsearch", es_node.url
    )


def test_postgresql_stopped_mid_batch(
    forked_cli: CliForker, sohoa_home: Path, postgres_node: PostgresNode
) -> None:
    # Paused while archiving the second dossier: the first is already in the
    # database, the second's row is written after the outage.
    backend = {"SOHOA_DATABASE": postgres_node.url}
    _outage_trial(
        forked_cli,
        sohoa_home,
        backend,
        postgres_node.stop,
        postgres_node.start,
        "PostgreSQL",
        redact_url(postgres_node.url),
        pause_at="archive:2",
    )
