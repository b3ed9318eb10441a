"""``sohoa search --type`` takes the codes the loaded metadata rules declare,
the shipped ones or an office's own (SOHOA_METADATA_RULES)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sohoa.app import backends
from sohoa.cli import main
from sohoa.pipeline.metadata import DEFAULT_RULES


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SOHOA_METADATA_RULES", raising=False)
    backends.reset()
    yield tmp_path / "data"
    backends.reset()


def test_an_undeclared_type_is_an_error_listing_the_declared_ones(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", "--type", "giay_uy_quyen"]) == 2
    error = capsys.readouterr().err
    assert "Unknown document type 'giay_uy_quyen'" in error
    assert "quyet_dinh (Quyết định)" in error and "khong_xac_dinh (Không xác định)" in error


def test_a_type_from_the_office_rules_file_is_searchable(
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    office = tmp_path / "rules.yaml"
    office.write_text(
        DEFAULT_RULES.read_text(encoding="utf-8").replace(
            "document_types:\n",
            "document_types:\n  giay_uy_quyen:\n    label: Giấy ủy quyền\n",
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("SOHOA_METADATA_RULES", str(office))
    assert main(["search", "--type", "giay_uy_quyen"]) == 0
    assert capsys.readouterr().out.startswith("0 record(s)")
