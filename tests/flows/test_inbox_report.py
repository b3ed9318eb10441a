"""`sohoa ingest` tells the operator about what it did not take."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.cli import run_cli


def test_ingest_reports_waiting_batches_and_loose_files(sohoa_home: Path) -> None:
    inbox = sohoa_home / "inbox"
    (inbox / "batch-still-copying").mkdir()
    (inbox / "batch-still-copying" / "scan.pdf.part").write_bytes(b"%PDF")
    (inbox / "dropped-here.jpg").write_bytes(b"\xff\xd8\xff")
    env = {"SOHOA_DATA_DIR": str(sohoa_home / "data"), "SOHOA_QUIET_SECONDS": "120"}

    as_json = run_cli("ingest", str(inbox), "--json", env=env)
    as_text = run_cli("ingest", str(inbox), env=env)

    assert as_json.returncode == 7, as_json.stderr[-2000:]  # loose files need a person
    report = json.loads(as_json.stdout)
    assert report["batches"] == []
    assert [w["batch_id"] for w in report["waiting"]] == ["batch-still-copying"]
    assert "scan.pdf.part" in report["waiting"][0]["reason"]
    assert report["loose_files"] == ["dropped-here.jpg"]
    assert as_text.returncode == 7
    assert "batch-still-copying: waiting (a copy is in progress (scan.pdf.part))" in as_text.stdout
    assert "dropped-here.jpg" in as_text.stdout
    assert (inbox / "dropped-here.jpg").exists()  # nothing moved
