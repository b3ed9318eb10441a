"""Steps that turn a dossier's processed pages into its derivatives: the
searchable PDF/A, the OCR as ALTO XML, the text for metadata extraction and
the reasons a clerk should review the result."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from sohoa.pipeline.alto import write_alto
from sohoa.pipeline.metadata import ExtractedMetadata, PageText
from sohoa.pipeline.ocr import OcrResult, Word
from sohoa.pipeline.pages import ProcessedPage
from sohoa.pipeline.pdfa import LANGUAGE, ArchivalMetadata
from sohoa.pipeline.searchable_pdf import compose_kept_scan_pdf, compose_page_pdf, merge_pdfs

SEARCHABLE_PDF = "searchable.pdf"
ALTO_XML = "alto.xml.gz"  # ALTO compresses about tenfold; stored so


def build_searchable_pdf(
    pages: Sequence[ProcessedPage], out_pdf: Path, metadata: ArchivalMetadata
) -> Path:
    """One PDF/A-2b file for the dossier, carrying ``metadata``: each page image
    with an invisible text layer drawn from the word boxes in its ocr.json (one
    page in memory at a time)."""
    page_pdfs = []
    for number, page in enumerate(pages, start=1):
        page_pdf = out_pdf.with_name(f"{out_pdf.stem}-{number:04d}.pdf")
        words = _page_words(page.ocr_json_path)
        if page.kept_scan is not None:
            page_pdfs.append(
                compose_kept_scan_pdf(
                    page.kept_scan,
                    page.raster_to_page,
                    (page.width, page.height),
                    words,
                    page.dpi,
                    page_pdf,
                )
            )
        else:
            page_pdfs.append(compose_page_pdf(page.image_path, words, page.dpi, page_pdf))
    merge_pdfs(page_pdfs, out_pdf, metadata)
    for page_pdf in page_pdfs:
        page_pdf.unlink(missing_ok=True)
    return out_pdf


def _page_words(ocr_json: Path) -> tuple[Word, ...]:
    return OcrResult.from_dict(json.loads(ocr_json.read_text(encoding="utf-8"))).words


def build_alto(pages: Sequence[ProcessedPage], out_xml: Path, processed_at: datetime) -> Path:
    """The dossier's OCR as ALTO XML 4: every page's words, boxes and
    confidences from its ocr.json (one page in memory at a time)."""
    return write_alto(
        (
            (page.width, page.height, page.ocr_confidence, _page_words(page.ocr_json_path))
            for page in pages
        ),
        out_xml,
        image_file=SEARCHABLE_PDF,
        language=LANGUAGE,
        processed_at=processed_at,
    )


def page_texts(pages: Sequence[ProcessedPage]) -> list[PageText]:
    return [
        PageText(
            number=number,
            text=page.text,
            confidence=page.ocr_confidence,
            qr_payloads=tuple(page.qr_payloads),
        )
        for number, page in enumerate(pages, start=1)
    ]


class ReviewCode(StrEnum):
    """Why a record goes to review. Each reason is written "code: what to
    check", so a program reads the code before the colon and a clerk the rest."""

    FILE_QUARANTINED = "file_quarantined"
    ALL_PAGES_BLANK = "all_pages_blank"
    LOW_OCR_CONFIDENCE = "low_ocr_confidence"
    MISSING_FIELD = "missing_field"


def review_reasons(
    pages: Sequence[ProcessedPage],
    extracted: ExtractedMetadata,
    min_confidence: float,
    rejected_files: Sequence[str] = (),
) -> tuple[str, ...]:
    """Why a clerk should look at this record; empty when it looks sound.

    A record is flagged for a quarantined file, for having only blank pages,
    for each page read below ``min_confidence`` (0-100) and for each field
    its document type requires (in the rules file) that was not found. A type
    without required fields, such as the fallback for documents of no known
    type, is flagged for its OCR confidence alone.
    """
    reasons = [
        f"{ReviewCode.FILE_QUARANTINED}: file {name} was quarantined; "
        "its pages are not in this record"
        for name in rejected_files
    ]
    text_pages = [(n, p) for n, p in enumerate(pages, start=1) if not p.blank]
    if not text_pages:
        reasons.append(f"{ReviewCode.ALL_PAGES_BLANK}: every page is blank")
    reasons += [
        f"{ReviewCode.LOW_OCR_CONFIDENCE}: page {number} was read with OCR confidence "
        f"{page.ocr_confidence:.0f}, under {min_confidence:.0f}"
        for number, page in text_pages
        if page.ocr_confidence < min_confidence
    ]
    reasons += [
        f"{ReviewCode.MISSING_FIELD}: {name} not found, "
        f"required for {extracted.document_type_label}"
        for name in extracted.missing_required
    ]
    return tuple(reasons)
