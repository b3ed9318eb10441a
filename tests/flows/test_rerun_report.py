"""What a batch's report says about records stored already: its own, after a
crash, are stored; a copy dropped again is a duplicate that keeps its own
dossier code."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from sohoa.app import backends
from sohoa.flows.digitize import digitize_batch
from sohoa.models import FileStatus
from sohoa.storage.database import session_scope
from sohoa.storage.schema.register import BatchRunFile
from tests.helpers.pages import write_small_batch

pytestmark = pytest.mark.ocr


def _with_manifest(batch: Path, dossier_code: str) -> str:
    scan = next(p.name for p in batch.iterdir() if p.suffix == ".png")
    (batch / "manifest.csv").write_text(f"file,dossier_code\n{scan},{dossier_code}\n")
    return scan


def test_rerun_after_a_crash_reports_its_own_records_stored(
    prefect_server: None, sohoa_home: Path
) -> None:
    batch = sohoa_home / "inbox" / "batch-crash"
    write_small_batch(batch, ["Ho so 5-1\nsau su co", "Ho so 5-2\nsau su co"])
    first = digitize_batch(str(batch))
    assert [o.status for o in first.files] == [FileStatus.STORED] * 2
    # A crash after the records were stored, before the batch left the inbox.
    shutil.move(first.destination, batch)

    rerun = digitize_batch(str(batch))

    assert [o.status for o in rerun.files] == [FileStatus.STORED] * 2
    assert sorted(rerun.records) == sorted(first.records)
    assert rerun.pages == first.pages


def test_a_duplicate_keeps_the_dossier_code_of_its_own_drop(
    prefect_server: None, sohoa_home: Path
) -> None:
    inbox = sohoa_home / "inbox"
    write_small_batch(inbox / "monday", ["Ho so 6\nnop lai"])
    shutil.copytree(inbox / "monday", inbox / "tuesday")
    scan = _with_manifest(inbox / "monday", "HS-2024-100")
    _with_manifest(inbox / "tuesday", "HS-2024-200")

    monday = digitize_batch(str(inbox / "monday"))
    tuesday = digitize_batch(str(inbox / "tuesday"))

    (copy,) = tuesday.files
    assert (copy.file, copy.status) == (scan, FileStatus.DUPLICATE)
    assert copy.duplicate_of == monday.records[0]
    assert copy.dossier_code == "HS-2024-200"
    with session_scope(backends.settings().database_url) as session:
        kept = session.scalars(
            select(BatchRunFile.dossier_code).where(BatchRunFile.status == "duplicate")
        ).all()
    assert kept == ["HS-2024-200"]
