"""`sohoa retry`'s file moves: quarantined files and failed batches back into the inbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from sohoa.core.errors import InboxError
from sohoa.pipeline.inbox import (
    READY_MARKER,
    fail_batch,
    find_ready_batches,
    quarantine_file,
    requeue_batch,
)


def test_quarantined_files_come_back_as_a_ready_batch_without_their_notes(tmp_path: Path) -> None:
    inbox, quarantine, failed = tmp_path / "inbox", tmp_path / "quarantine", tmp_path / "failed"
    batch = inbox / "b-7"
    (batch / "dossier-1").mkdir(parents=True)
    (batch / "dossier-1" / "scan.tif").write_bytes(b"II*\x00")
    quarantine_file(batch / "dossier-1" / "scan.tif", batch, quarantine, "too_small: 32x32")

    retry = requeue_batch("b-7", quarantine, failed, inbox)

    assert retry == inbox / "b-7-retry"
    assert sorted(str(p.relative_to(retry)) for p in retry.rglob("*") if p.is_file()) == [
        READY_MARKER,
        "dossier-1/scan.tif",
    ]
    assert not (quarantine / "b-7").exists()
    assert retry in find_ready_batches(inbox, quiet_seconds=3600)  # READY: taken at once
    assert not list(inbox.glob(".sohoa-retry-*"))


def test_a_failed_batch_comes_back_with_its_manifest_and_a_second_retry_gets_a_new_name(
    tmp_path: Path,
) -> None:
    inbox, quarantine, failed = tmp_path / "inbox", tmp_path / "quarantine", tmp_path / "failed"
    (inbox / "b-8").mkdir(parents=True)
    (inbox / "b-8" / "manifest.csv").write_text("file,dossier_code\n", encoding="utf-8")
    (inbox / "b-8-retry").mkdir()  # an earlier retry still waiting
    fail_batch(inbox / "b-8", failed, "manifest.csv: no file column")

    retry = requeue_batch("b-8", quarantine, failed, inbox)

    assert retry.name == "b-8-retry.1"
    assert sorted(p.name for p in retry.iterdir()) == [READY_MARKER, "manifest.csv"]


def test_retrying_an_unknown_batch_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(InboxError, match="Nothing to retry for batch 'b-9'"):
        requeue_batch("b-9", tmp_path / "quarantine", tmp_path / "failed", tmp_path)
