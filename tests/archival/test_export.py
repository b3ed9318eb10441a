"""`sohoa export RECORD`: a BagIt package that bagit-python validates, holding the
originals as received, the PDF/A, the ALTO and the Dublin Core."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import bagit
import pytest
from lxml import etree
from PIL import Image

from sohoa.app import backends
from sohoa.app.archive import archive_dossier
from sohoa.app.intake import CheckedDossier, finish_dossier
from sohoa.pipeline.inbox import DossierSpec
from sohoa.pipeline.metadata import load_rules
from sohoa.pipeline.preflight import IntakeLimits, inspect_file
from tests.helpers.archival import alto_errors, generated_page
from tests.helpers.cli import run_cli

LIMITS = IntakeLimits(max_file_bytes=1 << 30, max_page_pixels=200_000_000, min_image_side=64)
DC = "{http://purl.org/dc/elements/1.1/}"


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Embedded backends in a fresh data dir."""
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "data"))
    for name in ("SOHOA_STORAGE", "SOHOA_INDEX", "SOHOA_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    backends.reset()
    yield tmp_path / "data"
    backends.reset()


def stored_record(folder: Path) -> tuple[str, Path]:
    """A two-page record archived from a scanned PNG (no OCR: generated word boxes)."""
    original = folder / "hs-0001.png"
    Image.new("L", (1240, 1754), "white").save(original, dpi=(150, 150))
    source = inspect_file(original, LIMITS)
    spec = DossierSpec("hs-0001", (original,), dossier_code="HS-7", unit="UBND xã Tân Phú")
    dossier = CheckedDossier(spec, [source])
    pages_dir = folder / "pages"
    pages_dir.mkdir()
    pages = [generated_page(pages_dir, "L"), generated_page(pages_dir, "1")]
    work = folder / "work"
    work.mkdir()
    outputs = finish_dossier(dossier, pages, [original.name] * 2, work, load_rules(), 60)
    record = archive_dossier(backends.object_store(), dossier.record_id, "b1", spec, outputs)
    return record.record_id, original


def test_export_writes_a_valid_bag_with_every_archival_file(data_dir: Path, tmp_path: Path) -> None:
    record_id, original = stored_record(tmp_path)

    result = run_cli(
        "export",
        record_id[:10],
        "--out",
        str(tmp_path / "out"),
        "--json",
        env={"SOHOA_DATA_DIR": str(data_dir)},
    )

    assert result.returncode == 0, result.stderr[-3000:]
    bag_path = Path(json.loads(result.stdout)["bag"])
    bag = bagit.Bag(str(bag_path))
    bag.validate()  # checksums, Payload-Oxum, required tag files
    assert sorted(bag.payload_files()) == [
        "data/alto.xml",
        "data/dublin_core.xml",
        "data/manifest.json",
        "data/originals/hs-0001.png",
        "data/searchable.pdf",
    ]
    assert bag.info["External-Identifier"] == record_id
    assert bag.info["Source-Organization"] == "UBND xã Tân Phú"
    data = bag_path / "data"
    assert (data / "originals" / "hs-0001.png").read_bytes() == original.read_bytes()
    store = backends.object_store()
    manifest = json.loads((data / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["record_id"] == record_id
    assert (data / "searchable.pdf").read_bytes() == store.get_bytes(manifest["searchable_pdf_key"])
    assert alto_errors(data / "alto.xml") == []
    dc = etree.parse(str(data / "dublin_core.xml")).getroot()
    assert dc.findtext(f"{DC}identifier") == record_id
    assert dc.findtext(f"{DC}language") == "vi"
    assert "dossier:HS-7" in [e.text for e in dc.findall(f"{DC}relation")]
    assert dc.findtext(f"{DC}title")

    again = run_cli(
        "export", record_id, "--out", str(tmp_path / "out"), env={"SOHOA_DATA_DIR": str(data_dir)}
    )
    assert again.returncode != 0 and "already exists" in again.stderr


def test_a_changed_file_makes_the_bag_invalid(data_dir: Path, tmp_path: Path) -> None:
    """The check can fail: bagit-python refuses a bag whose PDF was altered."""
    from sohoa.app.export import export_record

    record_id, _ = stored_record(tmp_path)
    bag_path = export_record(record_id, tmp_path)
    with (bag_path / "data" / "searchable.pdf").open("ab") as pdf:
        pdf.write(b"%tampered\n")

    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(bag_path)).validate()
