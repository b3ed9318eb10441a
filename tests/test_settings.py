"""Settings: a file's keys are checked, the environment wins over the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from sohoa.core.errors import ConfigurationError
from sohoa.core.settings import load_settings


def _config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    path = tmp_path / "sohoa.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("SOHOA_CONFIG", str(path))
    monkeypatch.delenv("SOHOA_WORKERS", raising=False)


def test_a_misspelt_key_is_an_error_that_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _config(tmp_path, monkeypatch, "worker = 4\n")
    with pytest.raises(ConfigurationError, match=r"'worker'.*did you mean 'workers'"):
        load_settings()


def test_file_values_apply_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _config(tmp_path, monkeypatch, "workers = 3\ndpi = 200\n")
    monkeypatch.setenv("SOHOA_DPI", "150")
    settings = load_settings()
    assert (settings.workers, settings.dpi) == (3, 150)
