"""Object keys. Originals are content-addressed by their SHA-256; everything
derived from a record lives under ``records/<record_id>/`` and the record's
``manifest.json`` is written last, so its presence means the record is whole."""

from __future__ import annotations

ORIGINALS = "originals/"
RECORDS = "records/"
MANIFEST_NAME = "manifest.json"


def original_key(sha256: str, suffix: str) -> str:
    return f"{ORIGINALS}{sha256[:2]}/{sha256}{suffix.lower()}"


def record_prefix(record_id: str) -> str:
    return f"{RECORDS}{record_id}/"


def manifest_key(record_id: str) -> str:
    return f"{record_prefix(record_id)}{MANIFEST_NAME}"


def searchable_pdf_key(record_id: str) -> str:
    return f"{record_prefix(record_id)}searchable.pdf"


def ocr_key(record_id: str) -> str:
    """Where records made before ALTO kept their OCR (sohoa's own JSON)."""
    return f"{record_prefix(record_id)}ocr.json"


def alto_key(record_id: str) -> str:
    """The record's OCR: ALTO XML 4, words with boxes and confidences, gzip-compressed."""
    return f"{record_prefix(record_id)}alto.xml.gz"


def page_image_key(record_id: str, page: int) -> str:
    return f"{record_prefix(record_id)}pages/{page:04d}.jpg"


def thumbnail_key(record_id: str, page: int) -> str:
    return f"{record_prefix(record_id)}thumbnails/{page:04d}.jpg"


def record_id_from_manifest_key(key: str) -> str | None:
    if key.startswith(RECORDS) and key.endswith("/" + MANIFEST_NAME):
        return key[len(RECORDS) : -len(MANIFEST_NAME) - 1]
    return None
