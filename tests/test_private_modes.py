"""`sohoa verify` names what in the data folder other local users could read."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from sohoa.app import backends
from sohoa.flows.maintenance import verify
from sohoa.storage.factory import open_search_index


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    data = tmp_path / "data"
    monkeypatch.setenv("SOHOA_DATA_DIR", str(data))
    for name in ("SOHOA_STORAGE", "SOHOA_INDEX", "SOHOA_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    backends.reset()
    yield data
    backends.reset()


def test_verify_reports_files_and_folders_wider_than_0600_and_0700(
    prefect_server: None, data_dir: Path
) -> None:
    open_search_index(backends.settings()).setup()
    (data_dir / "objects" / "records").mkdir(parents=True)
    for path in [data_dir, *data_dir.rglob("*")]:
        path.chmod(0o700 if path.is_dir() else 0o600)
    assert verify().wide_modes == ()

    (data_dir / "index.sqlite3").chmod(0o644)
    (data_dir / "objects").chmod(0o755)
    (data_dir / "objects" / "records").chmod(0o770)
    os.symlink("/etc/passwd", data_dir / "link")  # a link's own mode (0777) is no finding

    report = verify()

    assert report.wide_modes == (
        f"0644 {data_dir / 'index.sqlite3'}",
        f"0755 {data_dir / 'objects'}",
        f"0770 {data_dir / 'objects' / 'records'}",
    )
    assert report.ok  # a privacy finding, not a damaged record
