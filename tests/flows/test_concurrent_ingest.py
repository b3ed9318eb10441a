"""Two and three `sohoa ingest` runs on one inbox: each batch is digitized once,
no object is left without a record, verify is clean, and no process outlives
its run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sohoa.core.settings import load_settings
from sohoa.storage.keys import RECORDS
from tests.helpers.faults import assert_archive_whole, group_members, sha256_of
from tests.helpers.pages import small_scan

pytestmark = pytest.mark.ocr  # runs Tesseract on real pages
BATCHES_PER_RUN = 2


@pytest.mark.parametrize("runs", [2, 3])
def test_concurrent_ingests_store_each_record_exactly_once(sohoa_home: Path, runs: int) -> None:
    inbox = sohoa_home / "inbox"
    batches = [f"batch-{number}" for number in range(runs * BATCHES_PER_RUN)]
    dropped = []
    for number, batch in enumerate(batches):
        (inbox / batch).mkdir()
        page = inbox / batch / "hoso.png"
        small_scan(f"Ho so dong thoi {runs}-{number}\nbien ban").save(page, dpi=(300, 300))
        dropped.append(sha256_of(page))
    data = sohoa_home / "data"
    env = {**os.environ, "SOHOA_DATA_DIR": str(data), "SOHOA_WORKERS": "1"}
    command = [str(Path(sys.executable).with_name("sohoa")), "ingest", str(inbox), "--json"]
    # Each run starts Prefect's temporary server; two of them migrating one
    # SQLite database at the same moment time out under load, so each has its
    # own PREFECT_HOME (as two operators' accounts would; see README). Each is
    # the leader of a process group, to find what it leaves behind.
    started = [
        subprocess.Popen(
            command,
            env={**env, "PREFECT_HOME": str(sohoa_home / f"prefect-{number}")},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        for number in range(runs)
    ]
    outputs = [run.communicate(timeout=900) for run in started]

    for run, (_, stderr) in zip(started, outputs, strict=True):
        assert run.returncode == 0, stderr.decode()[-3000:]
        assert group_members(run.pid) == [], "a process outlived its ingest run"
    reports = [report for stdout, _ in outputs for report in json.loads(stdout)["batches"]]
    done = [r for r in reports if r["claimed_by"] is None]
    assert sorted(r["batch_id"] for r in done) == batches  # each batch by exactly one run
    statuses = [f["status"] for r in done for f in r["files"]]
    assert statuses == ["stored"] * len(batches)  # none digitized twice, none a duplicate
    objects = data / "objects" / RECORDS
    assert sorted(p.name for p in objects.iterdir()) == sorted(
        rid for r in done for rid in r["records"]
    )
    assert sorted(p.name for p in (sohoa_home / "processed").iterdir()) == batches
    # Every original in exactly one record, no orphan object, every record indexed.
    assert_archive_whole(load_settings(data_dir=data), dropped, sohoa_home / "quarantine")
