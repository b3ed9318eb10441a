"""SIGTERM stops `sohoa ingest` cleanly; the exit code tells whether anything
needs the operator."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sohoa.cli import EXIT_NEEDS_ATTENTION, _exit_code
from sohoa.core.errors import RejectCode
from sohoa.models import BatchReport, FileOutcome, FileStatus
from tests.helpers.pages import write_small_batch

pytestmark = pytest.mark.ocr  # runs Tesseract


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sigterm_mid_batch_leaves_the_batch_whole_and_no_process_behind(sohoa_home: Path) -> None:
    inbox = sohoa_home / "inbox"
    batch = inbox / "batch-term"
    # Small pages (OCR in well under a second each), but ten dossiers: the batch is
    # still seconds from done when the first page's OCR is, and the signal lands there.
    write_small_batch(
        batch, [f"Ho so 23-{n}\nlo dung giua chung" for n in range(10)], ("png", "jpeg")
    )
    files = sorted(p.name for p in batch.iterdir())
    data = sohoa_home / "data"
    env = {**os.environ, "SOHOA_DATA_DIR": str(data), "SOHOA_WORKERS": "1"}
    command = [str(Path(sys.executable).with_name("sohoa")), "ingest", str(inbox), "--json"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.monotonic() + 600
    while not list((data / "work").glob("batch-term/*/*/ocr.json")):
        assert process.poll() is None, process.stderr.read().decode()[-3000:]  # type: ignore[union-attr]
        assert time.monotonic() < deadline
        time.sleep(0.2)

    process.send_signal(signal.SIGTERM)  # to sohoa alone, as a service manager does
    process.wait(timeout=300)

    deadline = time.monotonic() + 60
    while _group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _group_alive(process.pid), "a child of sohoa outlived it"
    assert sorted(p.name for p in batch.iterdir()) == files  # whole, still in the inbox
    assert not any((inbox / ".sohoa-claims").iterdir())  # the claim was released
    assert not (data / "work" / "batch-term").exists()  # scratch removed


def test_exit_code_says_whether_the_operator_must_look() -> None:
    stored = FileOutcome(file="a.pdf", status=FileStatus.STORED, record_id="ab")
    rejected = FileOutcome(
        file="b.pdf",
        status=FileStatus.QUARANTINED,
        reject_code=RejectCode.CORRUPT,
        quarantine_reason="b.pdf is damaged",
    )
    clean = BatchReport(batch_id="b1", destination="/processed/b1", files=(stored,))
    with_reject = BatchReport(batch_id="b2", destination="/processed/b2", files=(stored, rejected))
    failed = BatchReport(batch_id="b3", destination="/failed/b3", failed_reason="bad manifest")
    assert _exit_code([clean]) == 0
    assert _exit_code([clean, with_reject]) == EXIT_NEEDS_ATTENTION
    assert _exit_code([failed]) == EXIT_NEEDS_ATTENTION
