"""Steps that turn a dossier's processed pages into its derivatives: the
searchable PDF, the combined OCR JSON, the text for metadata extraction and
the reasons a clerk should review the result."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from sohoa.pipeline.metadata import ExtractedMetadata, PageText
from sohoa.pipeline.ocr import OcrResult, Word
from sohoa.pipeline.pages import ProcessedPage
from sohoa.pipeline.searchable_pdf import compose_page_pdf, merge_pdfs


def build_searchable_pdf(pages: Sequence[ProcessedPage], out_pdf: Path) -> Path:
    """One PDF for the dossier: each page image with an invisible text layer
    drawn from the word boxes in its ocr.json (one page in memory at a time)."""
    page_pdfs = []
    for number, page in enumerate(pages, start=1):
        page_pdf = out_pdf.with_name(f"{out_pdf.stem}-{number:04d}.pdf")
        words = _page_words(page.ocr_json_path)
        page_pdfs.append(compose_page_pdf(page.image_path, words, page.dpi, page_pdf))
    merge_pdfs(page_pdfs, out_pdf)
    for page_pdf in page_pdfs:
        page_pdf.unlink(missing_ok=True)
    return out_pdf


def _page_words(ocr_json: Path) -> tuple[Word, ...]:
    return OcrResult.from_dict(json.loads(ocr_json.read_text(encoding="utf-8"))).words


def write_ocr_json(pages: Sequence[ProcessedPage], out_json: Path) -> Path:
    """All pages' words, boxes and confidences in one document, page by page."""
    tmp = out_json.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        out.write('{"pages": [')
        for number, page in enumerate(pages, start=1):
            words = json.loads(page.ocr_json_path.read_text(encoding="utf-8"))
            out.write(("," if number > 1 else "") + json.dumps({"number": number, **words}))
        out.write("]}")
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(out_json)
    return out_json


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


def review_reasons(
    pages: Sequence[ProcessedPage],
    extracted: ExtractedMetadata,
    min_confidence: float,
    rejected_files: Sequence[str] = (),
) -> tuple[str, ...]:
    """Why a clerk should look at this record; empty when it looks sound."""
    reasons = [f"file {name} was quarantined" for name in rejected_files]
    text_pages = [(n, p) for n, p in enumerate(pages, start=1) if not p.blank]
    if not text_pages:
        reasons.append("every page is blank")
    for number, page in text_pages:
        if page.ocr_confidence < min_confidence:
            reasons.append(f"page {number}: low OCR confidence {page.ocr_confidence:.0f}")
    reasons += [f"missing {name}" for name in extracted.missing_required]
    if extracted.document_type.value == "khong_xac_dinh":
        reasons.append("document type not recognised")
    return tuple(reasons)
