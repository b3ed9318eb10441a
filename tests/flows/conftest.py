"""Flow tests run Prefect for real, in one ephemeral test server per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sohoa.app import backends
from sohoa.app.intake import INBOX_MARKER


@pytest.fixture()
def sohoa_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh data dir and inbox, on the embedded backends."""
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SOHOA_QUIET_SECONDS", "0")
    for name in ("SOHOA_STORAGE", "SOHOA_INDEX", "SOHOA_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / INBOX_MARKER).touch()
    backends.reset()
    yield tmp_path
    backends.reset()
