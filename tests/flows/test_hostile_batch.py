"""Every file of a batch is accounted for, and nothing outside it gets in."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from sohoa.app import backends
from sohoa.core.errors import RejectCode
from sohoa.flows.digitize import digitize_batch
from sohoa.models import FileStatus
from sohoa.storage.manifests import iter_records
from tests.helpers.pages import write_small_batch

pytestmark = pytest.mark.ocr  # runs Tesseract


def test_a_link_to_a_scan_outside_is_quarantined_unread_and_the_rest_goes_through(
    prefect_server: None, sohoa_home: Path
) -> None:
    outside = sohoa_home / "elsewhere"
    write_small_batch(outside, ["Ho so 31\nngoai hop thu"], ("jpg",))
    secret = next(outside.glob("*.jpg"))
    batch = sohoa_home / "inbox" / "mixed"
    write_small_batch(batch, ["Ho so 32\ntrong lo"], ("jpg",))
    (batch / "borrowed.jpg").symlink_to(secret)
    shutil.copy(secret, batch / ".hidden-copy.jpg")

    report = digitize_batch(str(batch))

    by_file = {o.file: o for o in report.files}
    assert by_file["borrowed.jpg"].status is FileStatus.QUARANTINED
    assert by_file["borrowed.jpg"].reject_code is RejectCode.NOT_A_REGULAR_FILE
    assert by_file[".hidden-copy.jpg"].status is FileStatus.SKIPPED
    assert len(report.records) == 1 and secret.is_file()
    quarantined = sohoa_home / "quarantine" / "mixed" / "borrowed.jpg"
    assert quarantined.is_symlink()
    assert report.needs_attention
    secret_hash = hashlib.sha256(secret.read_bytes()).hexdigest()
    stored = [o.sha256 for r in iter_records(backends.object_store()) for o in r.originals]
    assert len(stored) == 1 and secret_hash not in stored
