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


def test_credentials_in_the_index_url_never_reach_a_message() -> None:
    from sohoa.core.errors import IndexUnavailable
    from sohoa.storage.factory import open_search_index

    settings = load_settings(index="http://clerk:s3cret-pass@127.0.0.1:1")
    index = open_search_index(settings)
    with pytest.raises(IndexUnavailable) as caught:
        index.count()
    assert "s3cret-pass" not in caught.value.message and "clerk" not in caught.value.message
    assert "127.0.0.1:1" in caught.value.message
    assert "s3cret-pass" not in repr(index)


def test_what_sohoa_creates_is_private_to_its_user(tmp_path: Path) -> None:
    import json
    import os
    import stat
    import subprocess
    import sys

    data = tmp_path / "data"
    env = {**os.environ, "SOHOA_DATA_DIR": str(data)}
    env.pop("SOHOA_INDEX", None)
    env.pop("SOHOA_STORAGE", None)
    env.pop("SOHOA_CONFIG", None)
    sohoa = Path(sys.executable).with_name("sohoa")
    result = subprocess.run(
        [str(sohoa), "stats", "--json"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["records"] == 0
    created = [data, *data.rglob("*")]
    assert any(p.name == "index.sqlite3" for p in created)
    for path in created:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path} is {oct(mode)}"
