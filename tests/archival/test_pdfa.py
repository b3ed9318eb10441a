"""Searchable PDFs are PDF/A-2b, checked by veraPDF, and carry the record's metadata."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageDraw

from sohoa.pipeline.dossier import build_searchable_pdf
from sohoa.pipeline.ocr import OcrResult, Word
from sohoa.pipeline.pages import PageOptions, ProcessedPage, process_page
from sohoa.pipeline.pdfa import SOHOA_NS, ArchivalMetadata
from sohoa.pipeline.preflight import IntakeLimits, inspect_file
from sohoa.pipeline.rasterize import render_page
from sohoa.samples.realscans import realscans_dir
from tests.helpers.verapdf import pdfa_failures

LIMITS = IntakeLimits(max_file_bytes=1 << 30, max_page_pixels=200_000_000, min_image_side=64)
DC = "{http://purl.org/dc/elements/1.1/}"
METADATA = ArchivalMetadata(
    record_id="ab" * 32,
    digitized_at=datetime(2024, 6, 3, 9, 30, 5, tzinfo=UTC),
    document_type="quyet_dinh",
    document_type_label="Quyết định",
    number_symbol="12/QĐ-UBND",
    issue_date=date(2024, 5, 31),
    dossier_code="HS-2024-0001",
    unit="UBND phường Bến Nghé",
    procedure="Cấp phép xây dựng",
    sources=("hs-0001.pdf",),
)


def generated_page(folder: Path, mode: str) -> ProcessedPage:
    """A page of ``mode`` ("1", "L" or "RGB") with one line of text and its word box, as
    ``process_page`` leaves it (no OCR: the box is where the text was drawn)."""
    out = folder / mode
    out.mkdir()
    image = Image.new(mode, (1240, 1754), "white")
    ImageDraw.Draw(image).rectangle((200, 300, 700, 340), fill="red" if mode == "RGB" else "black")
    page_image = out / ("page.tif" if mode == "1" else "page.jpg")
    if mode == "1":
        image.save(page_image, compression="group4", dpi=(150, 150))
    else:
        image.save(page_image, quality=85, dpi=(150, 150))
    image.convert("L").resize((128, 181)).save(out / "thumb.jpg")
    word = Word("Quyết", 91.0, 200, 300, 500, 40, block=1, line=1)
    ocr = {"width": 1240, "height": 1754, "dpi": 150, **OcrResult("Quyết", (word,), 91.0).to_dict()}
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
        ocr_confidence=91.0,
        word_count=1,
        text="Quyết",
        qr_payloads=(),
    )


def test_searchable_pdf_is_pdfa_2b_and_says_what_the_record_is(tmp_path: Path) -> None:
    pages = [generated_page(tmp_path, mode) for mode in ("1", "L", "RGB")]

    pdf_path = build_searchable_pdf(pages, tmp_path / "searchable.pdf", METADATA)

    assert pdfa_failures([pdf_path]) == {str(pdf_path): []}
    with pikepdf.open(pdf_path) as pdf:
        assert len(pdf.pages) == 3 and str(pdf.Root.Lang) == "vi"
        # Each page keeps its scan's nature, its image embedded as stored.
        images = [next(iter(page.get_images().values())) for page in pdf.pages]
        assert [
            (pikepdf.PdfImage(i).filters, str(i.ColorSpace), int(i.BitsPerComponent))
            for i in images
        ] == [
            (["/CCITTFaxDecode"], "/DeviceGray", 1),
            (["/DCTDecode"], "/DeviceGray", 8),
            (["/DCTDecode"], "/DeviceRGB", 8),
        ]
        assert images[2].read_raw_bytes() == pages[2].image_path.read_bytes()
        assert str(pdf.docinfo.Title) == "Quyết định 12/QĐ-UBND, hồ sơ HS-2024-0001"
        assert str(pdf.docinfo.CreationDate) == "D:20240603093005+00'00'"
        xmp = pdf.open_metadata()
        assert xmp["pdfaid:part"] == "2" and xmp["pdfaid:conformance"] == "B"
        assert xmp[f"{DC}title"] == str(pdf.docinfo.Title)
        assert xmp[f"{DC}identifier"] == METADATA.record_id
        assert xmp[f"{DC}language"] == {"vi"}
        assert xmp[f"{DC}date"] == ["2024-05-31"]
        assert xmp[f"{DC}type"] == {"Quyết định", "Text"}
        assert xmp[f"{DC}relation"] == {"dossier:HS-2024-0001", "original:hs-0001.pdf"}
        assert xmp["xmp:CreateDate"] == "2024-06-03T09:30:05+00:00"
        own = {key.removeprefix(f"{{{SOHOA_NS}}}"): xmp[key] for key in xmp if SOHOA_NS in key}
        assert own == {
            "recordId": METADATA.record_id,
            "dossierCode": "HS-2024-0001",
            "documentType": "quyet_dinh",
            "documentTypeLabel": "Quyết định",
            "numberSymbol": "12/QĐ-UBND",
            "issueDate": "2024-05-31",
            "unit": "UBND phường Bến Nghé",
            "procedure": "Cấp phép xây dựng",
            "digitizedAt": "2024-06-03T09:30:05+00:00",
        }


def test_validator_reports_a_pdf_that_is_not_pdfa(tmp_path: Path) -> None:
    """The check can fail: a plain PDF (no output intent, no XMP) is refused."""
    plain = tmp_path / "plain.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(plain)

    failures = pdfa_failures([plain])[str(plain)]

    assert any(failure.startswith("6.6.2.1-1") for failure in failures), failures


@pytest.mark.ocr
def test_searchable_pdf_of_a_real_scan_is_pdfa_2b(tmp_path: Path) -> None:
    scan = inspect_file(realscans_dir() / "sroie-dev" / "007.jpg", LIMITS)
    rendered = render_page(scan, 0, 300, tmp_path / "page.tif", timeout=120)
    page = process_page(rendered.path, tmp_path / "page", PageOptions(languages="eng"))

    pdf_path = build_searchable_pdf([page], tmp_path / "searchable.pdf", METADATA)

    assert pdfa_failures([pdf_path]) == {str(pdf_path): []}
