"""Intake takes only what is plainly in the batch: links, FIFOs and shared hard
links are refused unopened, hidden files and reserved names are skipped, and
a copy in progress holds the batch back."""

from __future__ import annotations

import os
from pathlib import Path

from sohoa.pipeline.inbox import is_ready, move_durably, plan_batch


def _scan(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xd8\xff\xe0 a scan")
    return path


def _planned_files(batch: Path) -> set[str]:
    plan = plan_batch(batch)
    return {f.relative_to(batch).as_posix() for d in plan.dossiers for f in d.files}


def test_links_fifos_and_hard_links_are_refused_and_never_dossiers(tmp_path: Path) -> None:
    outside = _scan(tmp_path / "elsewhere" / "secret.jpg")
    batch = tmp_path / "inbox" / "b"
    _scan(batch / "good.jpg")
    (batch / "link.pdf").symlink_to(outside)
    (batch / "passwd.pdf").symlink_to("/etc/passwd")
    (batch / "linked-folder").symlink_to(outside.parent, target_is_directory=True)
    (batch / "dangling.jpg").symlink_to(tmp_path / "gone.jpg")
    os.mkfifo(batch / "pipe.pdf")
    os.link(outside, batch / "hard.jpg")
    _scan(batch / "folder" / "p1.jpg")
    (batch / "folder" / "p2.jpg").symlink_to(outside)

    plan = plan_batch(batch)

    assert _planned_files(batch) == {"good.jpg", "folder/p1.jpg"}
    refused = {e.path.relative_to(batch).as_posix(): e.reason for e in plan.refused}
    assert set(refused) == {
        "link.pdf",
        "passwd.pdf",
        "linked-folder",
        "dangling.jpg",
        "pipe.pdf",
        "hard.jpg",
        "folder/p2.jpg",
    }
    assert "symbolic link" in refused["link.pdf"] and "hard link" in refused["hard.jpg"]
    assert "FIFO" in refused["pipe.pdf"]


def test_hidden_files_and_reserved_names_are_reported_as_skipped(tmp_path: Path) -> None:
    batch = tmp_path / "inbox" / "b"
    _scan(batch / "good.jpg")
    _scan(batch / ".hidden-scan.jpg")
    _scan(batch / "REASON.txt")
    plan = plan_batch(batch)
    assert _planned_files(batch) == {"good.jpg"}
    assert {e.path.name for e in plan.skipped} == {".hidden-scan.jpg", "REASON.txt"}


def test_a_manifest_row_naming_a_link_is_refused_not_taken_anyway(tmp_path: Path) -> None:
    outside = _scan(tmp_path / "elsewhere" / "secret.jpg")
    batch = tmp_path / "inbox" / "b"
    _scan(batch / "good.jpg")
    (batch / "link.jpg").symlink_to(outside)
    (batch / "manifest.csv").write_text(
        "file,dossier_code\ngood.jpg,HS-1\nlink.jpg,HS-2\n../elsewhere/secret.jpg,HS-3\n",
        encoding="utf-8",
    )
    plan = plan_batch(batch)
    assert _planned_files(batch) == {"good.jpg"}
    assert [e.path.name for e in plan.refused] == ["link.jpg"]
    assert any("not in the batch" in w for w in plan.warnings)
    assert not any("link.jpg" in w for w in plan.warnings)


def test_a_copy_in_progress_holds_the_batch_back_even_when_marked_ready(tmp_path: Path) -> None:
    batch = tmp_path / "inbox" / "b"
    _scan(batch / "good.jpg")
    (batch / "READY").touch()
    _scan(batch / "late-copy.tif.part")
    assert not is_ready(batch, quiet_seconds=0)
    (batch / "late-copy.tif.part").rename(batch / "late-copy.tif")
    assert is_ready(batch, quiet_seconds=0)


def test_moving_a_link_moves_the_link_not_its_target(tmp_path: Path) -> None:
    outside = _scan(tmp_path / "elsewhere" / "secret.jpg")
    link = tmp_path / "inbox" / "b" / "link.jpg"
    link.parent.mkdir(parents=True)
    link.symlink_to(outside)
    moved = move_durably(link, tmp_path / "quarantine")
    assert moved.is_symlink() and os.readlink(moved) == str(outside)
    assert outside.read_bytes().endswith(b"a scan")
