"""What an operator is told about the inbox after a run: waiting batches and loose files."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sohoa.pipeline.inbox import READY_MARKER, inbox_status


def _touch(path: Path, age_seconds: float = 0.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"%PDF-1.4\n")
    moment = time.time() - age_seconds
    os.utime(path, (moment, moment))
    os.utime(path.parent, (moment, moment))
    return path


def test_waiting_batches_say_why_and_when_they_will_be_taken(tmp_path: Path) -> None:
    _touch(tmp_path / "quiet" / "scan.pdf", age_seconds=30)
    _touch(tmp_path / "copying" / "scan.pdf")
    _touch(tmp_path / "copying" / "next.pdf.part")
    (tmp_path / "empty").mkdir()
    _touch(tmp_path / "ready" / "scan.pdf")
    _touch(tmp_path / "ready" / READY_MARKER)

    status = inbox_status(tmp_path, quiet_seconds=120)

    waiting = {w.batch_id: w for w in status.waiting}
    assert set(waiting) == {"quiet", "copying", "empty"}  # "ready" is taken, not waiting
    assert waiting["quiet"].seconds_left is not None
    assert 85 <= waiting["quiet"].seconds_left <= 91
    assert "next.pdf.part" in waiting["copying"].reason and waiting["copying"].seconds_left is None
    assert "no document" in waiting["empty"].reason
    assert status.loose_files == ()


def test_files_dropped_in_the_inbox_itself_are_listed_but_hidden_files_are_not(
    tmp_path: Path,
) -> None:
    _touch(tmp_path / "loose-scan.pdf")
    _touch(tmp_path / "half.tif.part")
    _touch(tmp_path / ".sohoa-inbox")
    _touch(tmp_path / "~$lock.docx")
    (tmp_path / ".sohoa-claims").mkdir()

    status = inbox_status(tmp_path, quiet_seconds=0)

    assert status.loose_files == ("half.tif.part", "loose-scan.pdf")
    assert status.waiting == ()
