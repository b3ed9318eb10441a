"""Pages as ``process_page`` leaves them, without OCR, for the archival outputs
(searchable PDF/A, ALTO), and validating ALTO against its schema."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from lxml import etree
from PIL import Image, ImageDraw

from sohoa.pipeline.alto import ALTO_SCHEMA
from sohoa.pipeline.ocr import OcrResult, Word
from sohoa.pipeline.pages import ProcessedPage

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
    image.convert("L").resize((128, 181)).save(out / "thumb.jpg")
    result = OcrResult(" ".join(w.text for w in words), words, 84.5)
    ocr = {"width": 1240, "height": 1754, "dpi": 150, **result.to_dict()}
    (out / "ocr.json").write_text(json.dumps(ocr, ensure_ascii=False), encoding="utf-8")
    return ProcessedPage(
        image_path=page_image,
        thumbnail_path=out / "thumb.jpg",
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


def alto_errors(alto: Path | bytes) -> list[str]:
    """What lxml finds wrong in ``alto`` (plain or gzip-compressed) against sohoa's
    ALTO 4 schema; empty when valid."""
    schema = etree.XMLSchema(etree.parse(str(ALTO_SCHEMA)))
    data = alto if isinstance(alto, bytes) else alto.read_bytes()
    document = etree.fromstring(gzip.decompress(data) if data[:2] == GZIP_MAGIC else data)
    schema.validate(document)
    return [str(error) for error in schema.error_log]
