"""Pages as ``process_page`` leaves them, without OCR, for the archival outputs
(searchable PDF/A, ALTO), and validating ALTO against its schema."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from lxml import etree
from PIL import Image, ImageDraw

from sohoa.app import backends
from sohoa.app.archive import archive_dossier
from sohoa.app.intake import CheckedDossier, finish_dossier
from sohoa.pipeline.alto import ALTO_SCHEMA
from sohoa.pipeline.inbox import DossierSpec
from sohoa.pipeline.metadata import load_rules
from sohoa.pipeline.ocr import OcrResult, Word
from sohoa.pipeline.pages import ProcessedPage
from sohoa.pipeline.preflight import IntakeLimits, inspect_file

LIMITS = IntakeLimits(max_file_bytes=1 << 30, max_page_pixels=200_000_000, min_image_side=64)
GZIP_MAGIC = b"\x1f\x8b"
WORDS = (
    Word("Quyết", 91.0, 200, 300, 230, 40, block=1, line=1),
    Word("định", 78.0, 450, 300, 250, 40, block=1, line=1),
)


def generated_page(folder: Path, mode: str, words: tuple[Word, ...] = WORDS) -> ProcessedPage:
    """A page of ``mode`` ("1", "L" or "RGB") with one line of text and its word boxes,
    as ``process_page`` leaves it (no OCR: the boxes are where the text was drawn)."""
    out = folder / f"{mode}-{len(list(folder.iterdir()))}"
    out.mkdir()
    image = Image.new(mode, (1240, 1754), "white")
    ImageDraw.Draw(image).rectangle((200, 300, 700, 340), fill="red" if mode == "RGB" else "black")
    page_image = out / ("page.tif" if mode == "1" else "page.jpg")
    if mode == "1":
        image.save(page_image, compression="group4", dpi=(150, 150))
    else:
        image.save(page_image, quality=85, dpi=(150, 150))
    result = OcrResult(" ".join(w.text for w in words), words, 84.5)
    ocr = {"width": 1240, "height": 1754, "dpi": 150, **result.to_dict()}
    (out / "ocr.json").write_text(json.dumps(ocr, ensure_ascii=False), encoding="utf-8")
    return ProcessedPage(
        image_path=page_image,
        ocr_json_path=out / "ocr.json",
        width=1240,
        height=1754,
        dpi=150,
        rotation_degrees=0,
        skew_degrees=0.0,
        skew_corrected=False,
        blank=False,
        ocr_confidence=result.mean_confidence,
        word_count=result.word_count,
        text=result.text,
        qr_payloads=(),
    )


def stored_record(folder: Path) -> tuple[str, Path]:
    """A two-page record (gray, bilevel) archived from a scanned PNG, on the
    configured backends (no OCR: generated word boxes)."""
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


def alto_errors(alto: Path | bytes) -> list[str]:
    """What lxml finds wrong in ``alto`` (plain or gzip-compressed) against sohoa's
    ALTO 4 schema; empty when valid."""
    schema = etree.XMLSchema(etree.parse(str(ALTO_SCHEMA)))
    data = alto if isinstance(alto, bytes) else alto.read_bytes()
    document = etree.fromstring(gzip.decompress(data) if data[:2] == GZIP_MAGIC else data)
    schema.validate(document)
    return [str(error) for error in schema.error_log]
