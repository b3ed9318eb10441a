"""A run that stops on an error still prints, with --json, what it did with
each file before it stopped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from tests.helpers.cli import run_cli

pytestmark = pytest.mark.live


def test_a_failed_json_run_prints_the_files_it_handled(
    sohoa_home: Path, live_minio_overrides: dict[str, object]
) -> None:
    inbox = sohoa_home / "inbox"
    batch = inbox / "b-refused"
    batch.mkdir()
    (batch / "a-notes.pdf").write_text("Danh sách hồ sơ\n", encoding="utf-8")  # quarantined
    Image.new("L", (800, 600), 255).save(batch / "b-scan.png")  # then the store refuses us
    (batch / "READY").touch()
    env = {
        "SOHOA_DATA_DIR": str(sohoa_home / "data"),
        "SOHOA_STORAGE": "s3://sohoa-refused",
        "SOHOA_S3_ENDPOINT": str(live_minio_overrides["s3_endpoint"]),
        "SOHOA_S3_ACCESS_KEY": str(live_minio_overrides["s3_access_key"]),
        "SOHOA_S3_SECRET_KEY": "not-the-secret-key",
    }

    ingest = run_cli("ingest", str(inbox), "--json", env=env)

    assert ingest.returncode == 5, ingest.stderr[-2000:]
    assert ingest.stderr.strip().splitlines()[-1].startswith("sohoa: error: ")
    printed = json.loads(ingest.stdout)
    assert printed["error"] in ingest.stderr
    (report,) = printed["batches"]
    assert [(f["file"], f["status"]) for f in report["files"]] == [
        ("a-notes.pdf", "quarantined"),
        ("b-scan.png", "kept"),  # every file accounted for, with why it waits
    ]
    assert "refused" in report["files"][1]["keep_reason"]
    assert report["destination"] == str(batch) and (batch / "b-scan.png").exists()
    assert report["kept_in_inbox"][0].startswith("b-refused: ")
