"""The inbox contract: readiness, dossier grouping, durable moves."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from sohoa.core.errors import InboxError
from sohoa.pipeline import inbox


def _touch(path: Path, data: bytes = b"x", age: float = 0.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if age:
        stamp = time.time() - age
        os.utime(path, (stamp, stamp))
        os.utime(path.parent, (stamp, stamp))
    return path


def test_batch_is_ready_with_marker_or_after_quiet_period(tmp_path: Path) -> None:
    marked, quiet, busy, empty = (
        tmp_path / n for n in ("a-marked", "b-quiet", "c-busy", "d-empty")
    )
    _touch(marked / "scan.pdf")
    _touch(marked / inbox.READY_MARKER, b"")
    _touch(quiet / "scan.pdf", age=600)
    _touch(busy / "scan.pdf", age=600)
    _touch(busy / "scan2.pdf")  # still being copied
    empty.mkdir()
    os.utime(empty, (time.time() - 600,) * 2)

    ready = inbox.find_ready_batches(tmp_path, quiet_seconds=120)

    assert [p.name for p in ready] == ["a-marked", "b-quiet"]


def test_missing_inbox_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InboxError, match="does not exist"):
        inbox.find_ready_batches(tmp_path / "nope", quiet_seconds=0)


def test_without_manifest_each_file_or_folder_is_a_dossier(tmp_path: Path) -> None:
    batch = tmp_path / "b1"
    _touch(batch / "one.pdf")
    _touch(batch / "two" / "page1.jpg")
    _touch(batch / "two" / "page2.jpg")
    _touch(batch / ".DS_Store")
    _touch(batch / inbox.READY_MARKER, b"")

    plan = inbox.plan_batch(batch)

    assert [(d.name, [f.name for f in d.files]) for d in plan.dossiers] == [
        ("one.pdf", ["one.pdf"]),
        ("two", ["page1.jpg", "page2.jpg"]),
    ]


def test_manifest_groups_rows_by_dossier_code_and_reports_gaps(tmp_path: Path) -> None:
    batch = tmp_path / "b2"
    for name in ("a.pdf", "b.tif", "c.png", "stray.jpg"):
        _touch(batch / name)
    (batch / inbox.MANIFEST_NAME).write_text(
        "file,dossier_code,procedure,unit,operator\n"
        "a.pdf,000.00.12.H26-230530-0001,Cấp giấy phép,UBND xã A,lan\n"
        "b.tif,000.00.12.H26-230530-0001,Cấp giấy phép,UBND xã A,lan\n"
        "c.png,,Chứng thực,UBND xã B,minh\n"
        "gone.pdf,X,,,\n",
        encoding="utf-8",
    )

    plan = inbox.plan_batch(batch)

    first, second, stray = plan.dossiers
    assert [f.name for f in first.files] == ["a.pdf", "b.tif"]
    assert (first.dossier_code, first.unit, first.operator) == (
        "000.00.12.H26-230530-0001",
        "UBND xã A",
        "lan",
    )
    assert [f.name for f in second.files] == ["c.png"] and second.procedure == "Chứng thực"
    assert [f.name for f in stray.files] == ["stray.jpg"]
    assert any("gone.pdf" in w and "missing" in w for w in plan.warnings)
    assert any("stray.jpg" in w for w in plan.warnings)


def test_manifest_without_file_column_fails_the_batch_with_a_reason(tmp_path: Path) -> None:
    batch = tmp_path / "b3"
    _touch(batch / "a.pdf")
    (batch / inbox.MANIFEST_NAME).write_text("name,code\na.pdf,1\n", encoding="utf-8")
    with pytest.raises(InboxError, match="'file' column"):
        inbox.plan_batch(batch)

    target = inbox.fail_batch(batch, tmp_path / "failed", "manifest.csv has no 'file' column")

    assert not batch.exists()
    assert (target / inbox.REASON_FILE).read_text(encoding="utf-8").startswith("manifest.csv")
    assert (target / "a.pdf").exists()


def test_quarantine_keeps_the_file_and_its_reason(tmp_path: Path) -> None:
    batch = tmp_path / "inbox" / "b4"
    bad = _touch(batch / "sub" / "bad.pdf", b"not a pdf")

    target = inbox.quarantine_file(bad, batch, tmp_path / "quarantine", "unsupported_type: text")

    assert not bad.exists()
    assert target == tmp_path / "quarantine" / "b4" / "sub" / "bad.pdf"
    assert target.read_bytes() == b"not a pdf"
    assert "unsupported_type" in target.with_name("bad.pdf.reason.txt").read_text(encoding="utf-8")


def test_moves_never_overwrite_an_earlier_batch(tmp_path: Path) -> None:
    for round_ in range(2):
        batch = tmp_path / "inbox" / "same-name"
        _touch(batch / "f.pdf", str(round_).encode())
        inbox.move_durably(batch, tmp_path / "processed")
    assert (tmp_path / "processed" / "same-name" / "f.pdf").read_bytes() == b"0"
    assert (tmp_path / "processed" / "same-name.1" / "f.pdf").read_bytes() == b"1"
