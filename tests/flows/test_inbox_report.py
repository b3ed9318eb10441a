"""`sohoa ingest` tells the operator about what it did not take."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PIL import Image

from tests.helpers.forked_cli import CliForker
from tests.helpers.pages import write_small_batch


def test_ingest_reports_waiting_batches_and_loose_files(
    sohoa_home: Path, forked_cli: CliForker
) -> None:
    inbox = sohoa_home / "inbox"
    (inbox / "batch-still-copying").mkdir()
    (inbox / "batch-still-copying" / "scan.pdf.part").write_bytes(b"%PDF")
    (inbox / "dropped-here.jpg").write_bytes(b"\xff\xd8\xff")
    env = {**os.environ, "SOHOA_DATA_DIR": str(sohoa_home / "data"), "SOHOA_QUIET_SECONDS": "120"}

    as_json = forked_cli.run(["ingest", str(inbox), "--json"], env, sohoa_home / "as-json")
    as_text = forked_cli.run(["ingest", str(inbox)], env | {"SOHOA_LANG": "vi"}, sohoa_home / "vi")

    assert as_json.exit_code == 0, as_json.stderr[-2000:]  # reported; nothing was rejected
    report = json.loads(as_json.stdout)
    assert report["batches"] == []
    assert [w["batch_id"] for w in report["waiting"]] == ["batch-still-copying"]
    assert "scan.pdf.part" in report["waiting"][0]["reason"]
    assert report["loose_files"] == ["dropped-here.jpg"]
    assert as_text.exit_code == 0
    assert "batch-still-copying: đang chờ (tệp đang được sao chép: scan.pdf.part)" in as_text.stdout
    assert "1 tệp nằm lẻ trong hộp thư đến" in as_text.stdout
    assert "dropped-here.jpg" in as_text.stdout
    assert (inbox / "dropped-here.jpg").exists()  # nothing moved


@pytest.mark.ocr
def test_retry_puts_quarantined_files_back_through_once_the_cause_is_fixed(
    sohoa_home: Path, forked_cli: CliForker
) -> None:
    inbox = sohoa_home / "inbox"
    batch = inbox / "b-small"
    write_small_batch(batch, ["Ho so 71\nmot trang"])
    Image.new("L", (40, 40), 255).save(batch / "thumbnail-scan.png")
    env = {**os.environ, "SOHOA_DATA_DIR": str(sohoa_home / "data")}

    ingest = forked_cli.run(["ingest", str(inbox), "--json"], env, sohoa_home / "ingest")
    first = json.loads(ingest.stdout)["batches"][0]
    quarantined = [f["file"] for f in first["files"] if f["status"] == "quarantined"]
    assert quarantined == ["thumbnail-scan.png"]

    # The operator lowers the size limit (the cause), then retries the batch.
    fixed = env | {"SOHOA_MIN_IMAGE_SIDE": "32"}
    retried = forked_cli.run(
        ["retry", "b-small", str(inbox), "--json"], fixed, sohoa_home / "retry"
    )

    assert retried.exit_code == 0, retried.stderr[-2000:]
    report = json.loads(retried.stdout)
    assert report["batch_id"] == "b-small-retry"
    assert [f["status"] for f in report["files"]] == ["stored"]
    assert not (sohoa_home / "quarantine" / "b-small").exists()
    assert (sohoa_home / "processed" / "b-small-retry" / "thumbnail-scan.png").is_file()
