"""Two `sohoa ingest` runs on one inbox: each batch is digitized once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sohoa.samples import write_batch
from sohoa.storage.keys import RECORDS

pytestmark = pytest.mark.ocr  # runs Tesseract on real pages


def test_two_concurrent_ingests_store_each_record_exactly_once(sohoa_home: Path) -> None:
    inbox = sohoa_home / "inbox"
    for number in range(4):
        write_batch(inbox / f"batch-{number}", count=1, seed=40 + number, formats=("png",))
    data = sohoa_home / "data"
    env = {**os.environ, "SOHOA_DATA_DIR": str(data), "SOHOA_WORKERS": "1"}
    command = [str(Path(sys.executable).with_name("sohoa")), "ingest", str(inbox), "--json"]
    # Each run starts Prefect's temporary server; two of them migrating one
    # SQLite database at the same moment time out under load, so each has its
    # own PREFECT_HOME (as two operators' accounts would; see README).
    runs = [
        subprocess.Popen(
            command,
            env={**env, "PREFECT_HOME": str(sohoa_home / f"prefect-{number}")},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for number in range(2)
    ]
    outputs = [run.communicate(timeout=900) for run in runs]

    for run, (_, stderr) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, stderr.decode()[-3000:]
    reports = [report for stdout, _ in outputs for report in json.loads(stdout)["batches"]]
    done = [r for r in reports if r["claimed_by"] is None]
    assert sorted(r["batch_id"] for r in done) == [f"batch-{n}" for n in range(4)]
    statuses = [f["status"] for r in done for f in r["files"]]
    assert statuses == ["stored"] * 4  # none was digitized twice, none found as a duplicate
    objects = data / "objects" / RECORDS
    record_dirs = sorted(p.name for p in objects.iterdir())
    assert record_dirs == sorted(rid for r in done for rid in r["records"])
    assert all((objects / rid / "manifest.json").is_file() for rid in record_dirs)
    assert (
        not (data / "objects" / "originals").exists()
        or len(list((data / "objects" / "originals").rglob("*.png"))) == 4
    )
    assert sorted(p.name for p in (sohoa_home / "processed").iterdir()) == [
        f"batch-{n}" for n in range(4)
    ]
