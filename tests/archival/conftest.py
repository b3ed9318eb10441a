"""Archival-output fixtures: embedded backends in a fresh data dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sohoa.app import backends


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Embedded backends (filesystem store, SQLite index) in a fresh data dir."""
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "data"))
    for name in ("SOHOA_STORAGE", "SOHOA_INDEX", "SOHOA_CONFIG", "SOHOA_METADATA_RULES"):
        monkeypatch.delenv(name, raising=False)
    backends.reset()
    yield tmp_path / "data"
    backends.reset()
