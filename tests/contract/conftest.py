"""One suite, every backend: ``object_store`` runs each contract test on the
filesystem store and on the live MinIO, ``search_index`` on SQLite and on the
live Elasticsearch. Backends are built by ``storage.factory`` from settings,
as in production. Live params are marked ``live``; when a server or the
backend module is missing they error, they are never skipped.

Each test gets a fresh store (a temporary folder, or a unique key prefix in a
MinIO test bucket) and a fresh index (a temporary file, or a unique
Elasticsearch alias), removed afterwards.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from sohoa.core.settings import Settings, load_settings
from sohoa.models import DocumentType, FieldValue, OriginalFile, PageRecord, Record
from sohoa.models.records import DocumentTypeCode
from sohoa.storage.factory import open_object_store, open_search_index
from sohoa.storage.protocols import ObjectStore, SearchIndex

MINIO_TEST_BUCKET = "sohoa-contract"


def make_record(
    name: str,
    pages: Sequence[str],
    *,
    document_type: DocumentTypeCode = DocumentType.UNKNOWN,
    unit: str = "",
    dossier_code: str = "",
    issue_date: date | None = None,
    citizen_ids: Sequence[str] = (),
    tax_codes: Sequence[str] = (),
) -> Record:
    """A record named ``name`` (its id is the name's SHA-256) whose pages
    hold ``pages`` as OCR text, numbered from 1."""
    record_id = hashlib.sha256(name.encode()).hexdigest()
    fields = {
        field: tuple(FieldValue(value=v, page=1, confidence=0.9) for v in values)
        for field, values in (("citizen_id", citizen_ids), ("tax_code", tax_codes))
        if values
    }
    original = OriginalFile(
        name=f"{name}.pdf",
        sha256=record_id,
        size=1000,
        media_type="application/pdf",
        key=f"originals/{record_id[:2]}/{record_id}.pdf",
        page_count=len(pages),
    )
    return Record(
        record_id=record_id,
        batch_id="contract-batch",
        dossier_code=dossier_code,
        unit=unit,
        originals=(original,),
        pages=tuple(
            PageRecord(
                number=number,
                source_file=original.name,
                width=2480,
                height=3508,
                dpi=300,
                blank=not text.strip(),
                ocr_confidence=90.0,
                word_count=len(text.split()),
                text=text,
            )
            for number, text in enumerate(pages, start=1)
        ),
        document_type=document_type,
        fields=fields,
        issue_date=issue_date,
        digitized_at=datetime(2024, 5, 1, 8, 30, tzinfo=UTC),
    )


def _unique(kind: str) -> str:
    return f"sohoa-contract-{kind}-{uuid.uuid4().hex[:12]}"


# -- object stores ----------------------------------------------------------


@pytest.fixture(params=["filesystem", pytest.param("minio", marks=pytest.mark.live)])
def object_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    if request.param == "filesystem":
        yield open_object_store(load_settings(data_dir=tmp_path))
        return
    overrides = request.getfixturevalue("live_minio_overrides")
    prefix = _unique("objects")
    settings = load_settings(
        data_dir=tmp_path, storage=f"s3://{MINIO_TEST_BUCKET}/{prefix}", **overrides
    )
    store = open_object_store(settings)
    try:
        yield store
    finally:
        _remove_minio_prefix(settings, prefix)


def _remove_minio_prefix(settings: Settings, prefix: str) -> None:
    """Delete every version of every object under ``prefix`` (the store keeps
    versions, so deleting through it would leave them behind)."""
    from minio import Minio
    from minio.deleteobjects import DeleteObject

    client = Minio(
        settings.s3_endpoint,
        access_key=settings.s3_access_key.get_secret_value(),
        secret_key=settings.s3_secret_key.get_secret_value(),
        secure=settings.s3_secure,
        region=settings.s3_region,
    )
    if not client.bucket_exists(MINIO_TEST_BUCKET):  # the store never wrote anything
        return
    versions = client.list_objects(
        MINIO_TEST_BUCKET, prefix=prefix + "/", recursive=True, include_version=True
    )
    doomed = [DeleteObject(v.object_name or "", v.version_id) for v in versions]
    failures = list(client.remove_objects(MINIO_TEST_BUCKET, doomed))
    assert not failures, f"cleanup of {prefix} failed: {failures}"


# -- search indexes ---------------------------------------------------------


INDEX_BACKENDS = ["sqlite", pytest.param("elasticsearch", marks=pytest.mark.live)]


@pytest.fixture(params=INDEX_BACKENDS)
def search_index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchIndex]:
    with fresh_index(request, tmp_path) as index:
        yield index


@contextmanager
def fresh_index(request: pytest.FixtureRequest, folder: Path) -> Iterator[SearchIndex]:
    """A new, set-up index of the backend named by ``request.param``."""
    if request.param == "sqlite":
        settings = load_settings(data_dir=folder)
    else:
        url = request.getfixturevalue("live_es_url")
        settings = load_settings(data_dir=folder, index=url, es_index_alias=_unique("index"))
    index = open_search_index(settings)
    index.setup()
    try:
        yield index
    finally:
        index.close()
        if request.param == "elasticsearch":
            _remove_es_indices(settings)


def _remove_es_indices(settings: Settings) -> None:
    """Delete the versioned indices of the test alias (the cluster refuses
    wildcard deletes, so they are listed first)."""
    from elasticsearch import Elasticsearch

    alias = settings.es_index_alias
    with Elasticsearch(settings.index_url, request_timeout=30) as client:
        names = list(client.indices.get(index=f"{alias}*", expand_wildcards="all").body)
        if names:
            client.indices.delete(index=",".join(names))


def load(index: SearchIndex, *records: Record) -> SearchIndex:
    """Index ``records``, check none failed, and make them searchable."""
    result = index.index_records(records)
    assert result.errors == {}
    assert result.indexed == len(records)
    index.refresh()
    return index
