"""A full disk is the machine's fault, never the file's: with the scratch space
or the object store full (a real tmpfs of 1 MB, filled to its last few KB),
`sohoa ingest` exits non-zero, the batch stays whole in the inbox and nothing
is quarantined. Needs root, for mount."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers.forked_cli import CliForker
from tests.helpers.pages import small_scan

pytestmark = pytest.mark.ocr
LEFT_FREE_BYTES = 16 * 1024


@contextmanager
def nearly_full_disk(folder: Path) -> Iterator[Path]:
    """``folder`` on a 1 MB tmpfs with LEFT_FREE_BYTES free, unmounted afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    assert mounted.returncode == 0, f"cannot mount a small tmpfs (root needed): {mounted.stderr}"
    try:
        free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
        (folder / ".filler").write_bytes(b"\0" * (free - LEFT_FREE_BYTES))
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=True)


@pytest.mark.parametrize("full", ["scratch", "store"])
def test_a_full_disk_keeps_the_batch_in_the_inbox_and_quarantines_nothing(
    full: str, sohoa_home: Path, forked_cli: CliForker
) -> None:
    batch = sohoa_home / "inbox" / "full-disk"
    batch.mkdir()
    for name in ("a", "b"):
        small_scan(f"Ho so {name}\nđĩa đầy").save(batch / f"{name}.png", dpi=(300, 300))
    files = sorted(p.name for p in batch.iterdir())
    data = sohoa_home / "data"
    env = {**os.environ, "SOHOA_DATA_DIR": str(data), "SOHOA_WORKERS": "1"}
    env["SOHOA_RETRY_DELAYS"] = "[0.5, 0.5, 0.5]"  # every retry still runs out, in 1.5 s not 42 s
    folder = data / "work" if full == "scratch" else sohoa_home / "small-store"
    if full == "store":
        env["SOHOA_STORAGE"] = (folder / "objects").as_uri()

    with nearly_full_disk(folder):
        run = forked_cli.run(
            ["ingest", str(sohoa_home / "inbox"), "--json"], env, sohoa_home / f"ingest-{full}"
        )

    assert run.exit_code != 0, run.stdout
    assert "No space left on device" in run.stdout + run.stderr, run.stderr[-3000:]
    assert sorted(p.name for p in batch.iterdir()) == files  # whole, still in the inbox
    assert not (sohoa_home / "quarantine").exists(), run.stdout
    assert not (sohoa_home / "processed").exists()
    if run.stdout:  # the per-file report, when the run got that far
        report = json.loads(run.stdout)["batches"][0]
        assert report["kept_in_inbox"] and not report["records"], report
