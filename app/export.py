"""A record exported for an archive: a BagIt 1.0 package (RFC 8493) that any
archive's tools can check without sohoa.

    sohoa-<record id>/
      bagit.txt  bag-info.txt  manifest-sha256.txt  tagmanifest-sha256.txt
      data/originals/<name>     the files as received, byte for byte
      data/searchable.pdf       the PDF/A-2b file
      data/alto.xml             the OCR as ALTO XML 4 (ocr.json for records made before)
      data/dublin_core.xml      the record's Dublin Core (oai_dc), as in the PDF's XMP
      data/manifest.json        sohoa's manifest of the record
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from sohoa.app import backends, records
from sohoa.app.archive import first_value
from sohoa.core.errors import StorageError
from sohoa.models import Record
from sohoa.pipeline.pdfa import ArchivalMetadata, dublin_core_xml
from sohoa.storage import keys

_CHUNK = 1 << 20


def export_record(id_or_prefix: str, out_dir: Path) -> Path:
    """Write the record's bag into ``out_dir`` (which must not hold it yet); its path.

    Raises:
        ObjectNotFound: no record, or several, start with ``id_or_prefix``.
        StorageError: the bag is already there.
    """
    record = records.open_record(id_or_prefix)
    bag = out_dir / f"sohoa-{record.record_id}"
    if bag.exists():
        raise StorageError(f"{bag} already exists: move it away or export elsewhere")
    partial = out_dir / f".{bag.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    data = partial / "data"
    (data / "originals").mkdir(parents=True)
    store = backends.object_store()
    for original in record.originals:
        target = data / "originals" / Path(original.name).name
        if target.exists():  # two files of one name, from different folders
            target = target.with_name(f"{original.sha256[:12]}-{target.name}")
        store.download(original.key, target)
    store.download(record.searchable_pdf_key, data / "searchable.pdf")
    _export_ocr(record, data)
    metadata = archival_metadata(record)
    (data / "dublin_core.xml").write_text(dublin_core_xml(metadata), encoding="utf-8")
    store.download(keys.manifest_key(record.record_id), data / "manifest.json")
    _write_tag_files(partial, record, metadata)
    partial.replace(bag)
    return bag


def archival_metadata(record: Record) -> ArchivalMetadata:
    """What the record's PDF/A file says about it, from its manifest."""
    return ArchivalMetadata(
        record_id=record.record_id,
        digitized_at=record.digitized_at,
        document_type=record.document_type,
        document_type_label=records.document_type_label(record.document_type),
        number_symbol=first_value(record.fields, "number_symbol"),
        issue_date=record.issue_date,
        dossier_code=record.dossier_code,
        unit=record.unit,
        procedure=record.procedure,
        sources=tuple(original.name for original in record.originals),
    )


def _export_ocr(record: Record, data: Path) -> None:
    if not record.ocr_key:
        return
    if record.ocr_key.endswith(".gz"):
        packed = data / ".ocr.gz"
        backends.object_store().download(record.ocr_key, packed)
        with gzip.open(packed, "rb") as source, (data / "alto.xml").open("wb") as out:
            shutil.copyfileobj(source, out, _CHUNK)
        packed.unlink()
    else:
        backends.object_store().download(record.ocr_key, data / Path(record.ocr_key).name)


def _write_tag_files(bag: Path, record: Record, metadata: ArchivalMetadata) -> None:
    payload = sorted(path for path in (bag / "data").rglob("*") if path.is_file())
    (bag / "bagit.txt").write_text(
        "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", encoding="utf-8"
    )
    _write_manifest(bag, "manifest-sha256.txt", payload)
    octets = sum(path.stat().st_size for path in payload)
    info = {
        "Bag-Software-Agent": f"sohoa {version('sohoa')}",
        "Bagging-Date": datetime.now(UTC).date().isoformat(),
        "External-Identifier": record.record_id,
        "External-Description": metadata.title,
        "Source-Organization": record.unit,
        "Payload-Oxum": f"{octets}.{len(payload)}",
    }
    lines = [f"{label}: {value}\n" for label, value in info.items() if value]
    (bag / "bag-info.txt").write_text("".join(lines), encoding="utf-8")
    tags = [bag / name for name in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt")]
    _write_manifest(bag, "tagmanifest-sha256.txt", tags)


def _write_manifest(bag: Path, name: str, files: list[Path]) -> None:
    lines = [f"{_sha256(path)}  {path.relative_to(bag).as_posix()}\n" for path in files]
    (bag / name).write_text("".join(lines), encoding="utf-8")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
