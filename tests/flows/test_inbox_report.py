"""`sohoa ingest` tells the operator about what it did not take."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from sohoa.samples import write_batch
from tests.helpers.cli import run_cli


def test_ingest_reports_waiting_batches_and_loose_files(sohoa_home: Path) -> None:
    inbox = sohoa_home / "inbox"
    (inbox / "batch-still-copying").mkdir()
    (inbox / "batch-still-copying" / "scan.pdf.part").write_bytes(b"%PDF")
    (inbox / "dropped-here.jpg").write_bytes(b"\xff\xd8\xff")
    env = {"SOHOA_DATA_DIR": str(sohoa_home / "data"), "SOHOA_QUIET_SECONDS": "120"}

    as_json = run_cli("ingest", str(inbox), "--json", env=env)
    as_text = run_cli("ingest", str(inbox), env=env | {"SOHOA_LANG": "vi"})

    assert as_json.returncode == 0, as_json.stderr[-2000:]  # reported; nothing was rejected
    report = json.loads(as_json.stdout)
    assert report["batches"] == []
    assert [w["batch_id"] for w in report["waiting"]] == ["batch-still-copying"]
    assert "scan.pdf.part" in report["waiting"][0]["reason"]
    assert report["loose_files"] == ["dropped-here.jpg"]
    assert as_text.returncode == 0
    assert "batch-still-copying: đang chờ (tệp đang được sao chép: scan.pdf.part)" in as_text.stdout
    assert "1 tệp nằm lẻ trong hộp thư đến" in as_text.stdout
    assert "dropped-here.jpg" in as_text.stdout
    assert (inbox / "dropped-here.jpg").exists()  # nothing moved


@pytest.mark.ocr
def test_retry_puts_quarantined_files_back_through_once_the_cause_is_fixed(
    sohoa_home: Path,
) -> None:
    inbox = sohoa_home / "inbox"
    batch = inbox / "b-small"
    write_batch(batch, count=1, seed=71, formats=("png",))
    Image.new("L", (40, 40), 255).save(batch / "thumbnail-scan.png")
    env = {"SOHOA_DATA_DIR": str(sohoa_home / "data")}

    first = json.loads(run_cli("ingest", str(inbox), "--json", env=env).stdout)["batches"][0]
    quarantined = [f["file"] for f in first["files"] if f["status"] == "quarantined"]
    assert quarantined == ["thumbnail-scan.png"]

    # The operator lowers the size limit (the cause), then retries the batch.
    fixed = env | {"SOHOA_MIN_IMAGE_SIDE": "32"}
    retried = run_cli("retry", "b-small", str(inbox), "--json", env=fixed)

    assert retried.returncode == 0, retried.stderr[-2000:]
    report = json.loads(retried.stdout)
    assert report["batch_id"] == "b-small-retry"
    assert [f["status"] for f in report["files"]] == ["stored"]
    assert not (sohoa_home / "quarantine" / "b-small").exists()
    assert (sohoa_home / "processed" / "b-small-retry" / "thumbnail-scan.png").is_file()
