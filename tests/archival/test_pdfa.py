"""Searchable PDFs are PDF/A-2b, checked by veraPDF, and carry the record's metadata;
a real scan's PDF and ALTO are valid too."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pikepdf
import pytest

from bench.corpus import REAL_SCANS, fetch_ocrmypdf_resources
from sohoa.pipeline.dossier import build_alto, build_searchable_pdf
from sohoa.pipeline.pages import PageOptions, process_page
from sohoa.pipeline.pdfa import SOHOA_NS, ArchivalMetadata
from sohoa.pipeline.preflight import IntakeLimits, inspect_file
from sohoa.pipeline.rasterize import render_page
from sohoa.samples.realscans import realscans_dir
from tests.helpers.archival import alto_errors, generated_page
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
def test_searchable_pdf_and_alto_of_a_real_scan_are_valid(tmp_path: Path) -> None:
    scan = inspect_file(realscans_dir() / "sroie-dev" / "007.jpg", LIMITS)
    rendered = render_page(scan, 0, 300, tmp_path / "page.tif", timeout=120)
    page = process_page(rendered.path, tmp_path / "page", PageOptions(languages="eng"))

    pdf_path = build_searchable_pdf([page], tmp_path / "searchable.pdf", METADATA)
    alto = build_alto([page], tmp_path / "alto.xml", METADATA.digitized_at)

    assert pdfa_failures([pdf_path]) == {str(pdf_path): []}
    assert alto_errors(alto) == []


@pytest.mark.ocr
def test_every_real_scan_of_the_bench_corpus_makes_a_valid_pdfa_and_alto(tmp_path: Path) -> None:
    """OCRmyPDF's real scans (bench/corpus.py, fetched once into bench/work/cache): a
    colour JPEG, a CCITT G4 that asks to be interpolated, JBIG2 drawn skewed, turned by
    /Rotate, and one image drawn four ways. Their scans are kept as they are."""
    resources = fetch_ocrmypdf_resources(Path(__file__).parents[2] / "bench" / "work" / "cache")
    pdfs = []
    for name in REAL_SCANS:
        scan = inspect_file(resources / name, LIMITS)
        pages = []
        for index in range(scan.page_count):
            out = tmp_path / name / f"{index + 1:04d}"
            rendered = render_page(scan, index, 300, out / "raster.tif", timeout=120)
            options = PageOptions(languages="eng", dpi=rendered.dpi)
            pages.append(process_page(rendered.path, out, options))
        pdfs.append(build_searchable_pdf(pages, tmp_path / name / "searchable.pdf", METADATA))
        alto = build_alto(pages, tmp_path / name / "alto.xml", METADATA.digitized_at)
        assert alto_errors(alto) == [], name
        kept = [page.kept_scan is not None for page in pages]
        assert kept == [name != "c03-29.pdf"] * len(pages), name  # every bilevel scan kept
        if any(kept):  # the scanner's own images, each once (cardinal.pdf draws one 4 times)
            with pikepdf.open(resources / name) as source, pikepdf.open(pdfs[-1]) as made:
                assert _images(made) == _images(source), name

    assert pdfa_failures(pdfs) == {str(pdf): [] for pdf in pdfs}


def _images(pdf: pikepdf.Pdf) -> list[bytes]:
    """The raw bytes of each image object the pages draw, each object once."""
    drawn = {image.objgen: image for page in pdf.pages for image in page.get_images().values()}
    return sorted(image.read_raw_bytes() for image in drawn.values())
