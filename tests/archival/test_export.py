"""`sohoa export RECORD`: a BagIt package that bagit-python validates, holding the
originals as received, the PDF/A, the ALTO and the Dublin Core."""

from __future__ import annotations

import json
from pathlib import Path

import bagit
import pytest
from lxml import etree

from sohoa.app import backends
from tests.helpers.archival import alto_errors, stored_record
from tests.helpers.cli import run_cli

DC = "{http://purl.org/dc/elements/1.1/}"


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
