"""A real ingest writes what the managers count: one generated one-page dossier
with a manifest, digitized by the flow (Prefect, real OCR) with the database
on SQLite and on the live PostgreSQL, leaves a batch run and a digitized
record with the manifest's operator, unit, procedure and dossier code, and
its register dossier counts as digitized."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from sohoa.app import backends
from sohoa.app.intake import INBOX_MARKER
from sohoa.app.register import dossier_code_key, import_register
from sohoa.flows.digitize import digitize_batch
from sohoa.samples import write_batch
from sohoa.storage.database import session_scope
from sohoa.storage.schema.register import BatchRun, DigitizedRecord, RegisteredDossier

pytestmark = pytest.mark.ocr


def test_an_ingest_records_its_run_and_its_record(
    prefect_server: None,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SOHOA_DATABASE", database_url)
    monkeypatch.setenv("SOHOA_QUIET_SECONDS", "0")
    for name in ("SOHOA_STORAGE", "SOHOA_INDEX", "SOHOA_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    backends.reset()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / INBOX_MARKER).touch()
    truth = write_batch(inbox / "lo-1", count=1, seed=5, formats=("jpeg",), manifest=True)
    ((name, document),) = truth.documents.items()
    manifest = document.manifest
    assert manifest is not None and len(document.pages) == 1
    import_register(
        database_url,
        [
            (1, ["Mã hồ sơ", "Thủ tục", "Đơn vị", "Ngày tiếp nhận", "Kênh"]),
            (2, [manifest["dossier_code"], manifest["procedure"], manifest["unit"],
                 "02/01/2024", "trực tiếp"]),
        ],
    )  # fmt: skip

    report = digitize_batch(str(inbox / "lo-1"))
    backends.reset()

    assert len(report.records) == 1
    with session_scope(database_url) as session:
        (run,) = session.scalars(select(BatchRun)).all()
        (record,) = session.scalars(select(DigitizedRecord)).all()
        dossier = session.get(RegisteredDossier, dossier_code_key(manifest["dossier_code"]))
        assert (run.batch_id, run.operator, run.unit) == (
            "lo-1",
            manifest["operator"],
            manifest["unit"],
        )
        assert (run.files, run.stored_files, run.records, run.pages) == (1, 1, 1, 1)
        assert run.duration_seconds > 0 and run.failed_reason == ""
        assert record.record_id == report.records[0]
        assert (record.operator, record.unit, record.procedure) == (
            manifest["operator"], manifest["unit"], manifest["procedure"],
        )  # fmt: skip
        assert (record.pages, record.batch_id) == (1, "lo-1")
        assert (record.dossier_code, record.dossier_code_source) == (
            manifest["dossier_code"], "manifest",
        )  # fmt: skip
        assert dossier is not None and dossier.first_digitized_on == record.digitized_on
