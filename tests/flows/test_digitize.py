"""The main job end to end, on the embedded defaults and real tesseract."""

from __future__ import annotations

import io
import json
import os
import signal
import time
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from sohoa.app import backends
from sohoa.app.fault_points import MARKER, PAUSE_AT
from sohoa.core.text import fold
from sohoa.flows.digitize import digitize_batch
from sohoa.models import FileStatus, SearchQuery
from sohoa.samples import write_batch
from sohoa.storage.manifests import iter_records
from tests.helpers.cli import run_cli
from tests.helpers.faults import kill_group
from tests.helpers.forked_cli import CliForker
from tests.helpers.pages import write_small_batch

pytestmark = pytest.mark.ocr


def _add_bad_inputs(batch: Path, good_pdf: Path) -> dict[str, str]:
    """Five files a scanner station really produces, and the reject code each must get."""
    (batch / "zero.pdf").write_bytes(b"")
    data = good_pdf.read_bytes()
    (batch / "truncated.pdf").write_bytes(data[: len(data) // 3])
    with pikepdf.open(good_pdf) as pdf:
        pdf.save(batch / "locked.pdf", encryption=pikepdf.Encryption(user="secret", owner="o"))
    (batch / "notes.pdf").write_text("Danh sách hồ sơ cần scan lại\n", encoding="utf-8")
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1), "white").save(buffer, format="PNG")
    (batch / "dot.png").write_bytes(buffer.getvalue())
    return {
        "zero.pdf": "empty",
        "truncated.pdf": "corrupt",
        "locked.pdf": "encrypted",
        "notes.pdf": "unsupported_type",
        "dot.png": "too_small",
    }


def test_batch_with_bad_inputs_stores_the_rest_and_quarantines_each_reject(
    prefect_server: None, sohoa_home: Path
) -> None:
    batch = sohoa_home / "inbox" / "batch-1"
    truth = write_batch(batch, count=3, seed=11, formats=("pdf", "tiff", "jpeg"))
    good_pdf = next(batch.glob("*.pdf"))
    expected_rejects = _add_bad_inputs(batch, good_pdf)

    report = digitize_batch(str(batch))

    by_file = {o.file: o for o in report.files}
    assert not batch.exists() and Path(report.destination).parent.name == "processed"
    for name, code in expected_rejects.items():
        assert by_file[name].status is FileStatus.QUARANTINED
        assert by_file[name].reject_code == code, by_file[name]
        reason_file = sohoa_home / "quarantine" / "batch-1" / f"{name}.reason.txt"
        assert reason_file.read_text(encoding="utf-8").startswith(code)
    stored = [o for o in report.files if o.status is FileStatus.STORED]
    assert len(stored) == 3 and len(report.records) == 3

    records = {r.record_id: r for r in iter_records(backends.object_store())}
    assert set(records) == set(report.records)
    index = backends.search_index()
    for name, doc_truth in truth.documents.items():
        record = records[by_file[name].record_id]
        assert record.page_count == len(doc_truth.pages)
        assert backends.object_store().exists(record.searchable_pdf_key)
        for person in doc_truth.metadata.get("names") or []:
            hits = index.search(SearchQuery(text=fold(person))).hits
            assert record.record_id in {h.record_id for h in hits}, (person, name)


def test_ingest_json_and_no_error_lines(sohoa_home: Path, forked_cli: CliForker) -> None:
    inbox = sohoa_home / "inbox"
    texts = ["Ho so 2-1\nNguyen Van An", "Ho so 2-2\nTran Thi Binh"]
    write_small_batch(inbox / "batch-2", texts)
    env = {"SOHOA_DATA_DIR": str(sohoa_home / "data")}

    # The console script as a user runs it, with Prefect's temporary server of its own.
    result = run_cli("--verbose", "ingest", str(inbox), "--json", env=env)

    assert result.returncode == 0, result.stderr[-3000:]
    assert "| ERROR" not in result.stderr and "Traceback" not in result.stderr
    reports = json.loads(result.stdout)["batches"]
    assert [len(r["records"]) for r in reports] == [2]
    assert all(f["status"] == "stored" and len(f["record_id"]) == 64 for f in reports[0]["files"])

    write_small_batch(inbox / "batch-2-again", texts)
    rerun = forked_cli.run(
        ["ingest", str(inbox), "--json"], {**os.environ, **env}, sohoa_home / "rerun"
    )
    rerun_reports = json.loads(rerun.stdout)["batches"]
    assert [f["status"] for f in rerun_reports[0]["files"]] == ["duplicate", "duplicate"]
    assert {f["duplicate_of"] for f in rerun_reports[0]["files"]} == set(reports[0]["records"])


def test_killed_mid_batch_then_rerun_loses_nothing_and_duplicates_nothing(
    sohoa_home: Path, forked_cli: CliForker
) -> None:
    inbox = sohoa_home / "inbox"
    batch = inbox / "batch-3"
    write_small_batch(batch, [f"Ho so 3-{n}\nlo bi ngat" for n in range(1, 5)], ("png", "jpeg"))
    files = sorted(p.name for p in batch.iterdir() if p.name != "READY")
    data = sohoa_home / "data"
    env = {**os.environ, "SOHOA_DATA_DIR": str(data), "SOHOA_WORKERS": "1"}
    # Paused while archiving the second dossier: the first is stored, the rest are not.
    marker = sohoa_home / "paused"
    hook = {PAUSE_AT: "archive:2", MARKER: str(marker)}

    # Its own process group, and the whole group killed, as a crash would.
    pid = forked_cli.start(["ingest", str(inbox), "--json"], {**env, **hook}, sohoa_home / "killed")
    deadline = time.monotonic() + 600
    while not marker.exists():
        assert time.monotonic() < deadline, "the run never reached the second dossier's archive"
        time.sleep(0.05)
    assert len(list((data / "objects").glob("records/*/manifest.json"))) == 1
    kill_group(pid, signal.SIGKILL)
    assert forked_cli.wait(pid).exit_code == -signal.SIGKILL
    assert batch.exists(), "the batch must stay in the inbox until every record is stored"

    result = forked_cli.run(["ingest", str(inbox), "--json"], env, sohoa_home / "rerun")

    assert result.exit_code == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)["batches"][0]
    # Records the killed run stored are this batch's own: stored, not duplicates of themselves.
    assert [f["status"] for f in report["files"]] == ["stored"] * 4
    assert len(report["records"]) == 4
    manifests = list((data / "objects").glob("records/*/manifest.json"))
    assert len(manifests) == 4
    assert sorted(p.name for p in (sohoa_home / "processed" / "batch-3").iterdir()) == sorted(
        [*files, "READY"]
    )
    search = ["search", "--json", "--limit", "50"]
    index_total = forked_cli.run(search, env, sohoa_home / "search")
    assert json.loads(index_total.stdout)["total"] == 4
