"""A bilevel scan in a PDF keeps its own bytes: the searchable PDF draws the
scanner's CCITT G4 (or JBIG2) stream, turned and deskewed where the page steps
put the raster's pixels, instead of a re-encoded copy."""

from __future__ import annotations

import io
import math
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import cv2
import img2pdf
import numpy as np
import pikepdf
import pytest
from PIL import Image

from sohoa.pipeline.dossier import build_searchable_pdf
from sohoa.pipeline.pages import PageOptions, ProcessedPage, process_page
from sohoa.pipeline.pdfa import ArchivalMetadata
from sohoa.pipeline.preflight import IntakeLimits, inspect_file
from sohoa.pipeline.rasterize import render_page
from sohoa.pipeline.searchable_pdf import page_scan
from tests.helpers.pages import small_scan
from tests.helpers.verapdf import pdfa_failures

pytestmark = pytest.mark.ocr

LIMITS = IntakeLimits(max_file_bytes=1 << 30, max_page_pixels=200_000_000, min_image_side=64)
LINES = [f"Quyet dinh so {n}/QD-UBND ngay 12 thang 5 nam 2024" for n in range(11, 19)]
METADATA = ArchivalMetadata(record_id="cd" * 32, digitized_at=datetime(2024, 6, 3, tzinfo=UTC))


def _scanner_pdf(folder: Path, skew_degrees: float, rotate: int) -> Path:
    """A scanner's PDF: one CCITT G4 image drawn turned by ``skew_degrees``
    about the page's centre (as in OCRmyPDF's skew.pdf), the page's /Rotate ``rotate``."""
    page = small_scan("\n".join(LINES), size=(1700, 1100)).point(lambda v: 255 * (v > 127))
    tiff = folder / "scan.tif"
    page.convert("1").save(tiff, "TIFF", compression="group4", dpi=(300, 300))
    pdf_path = folder / "scanner.pdf"
    pdf_path.write_bytes(img2pdf.convert(str(tiff)))
    with pikepdf.open(pdf_path, allow_overwriting_input=True) as pdf:
        width, height = (float(v) for v in pdf.pages[0].mediabox[2:])
        angle = math.radians(skew_degrees)
        cos, sin = math.cos(angle), math.sin(angle)
        centre_x, centre_y = width / 2, height / 2
        e = centre_x - (cos * centre_x - sin * centre_y)
        f = centre_y - (sin * centre_x + cos * centre_y)
        turn = f"{cos:.6f} {sin:.6f} {-sin:.6f} {cos:.6f} {e:.4f} {f:.4f} cm"
        content = pdf.pages[0].obj.Contents.read_bytes()
        pdf.pages[0].obj.Contents = pdf.make_stream(turn.encode() + b"\n" + content)
        if rotate:
            pdf.pages[0].obj.Rotate = rotate
        pdf.save(pdf_path)
    return pdf_path


def _digitized(folder: Path, source: Path) -> tuple[ProcessedPage, Path]:
    scan = inspect_file(source, LIMITS)
    rendered = render_page(scan, 0, 300, folder / "page" / "raster.tif", timeout=120)
    page = process_page(rendered.path, folder / "page", PageOptions(languages="eng", dpi=300))
    return page, build_searchable_pdf([page], folder / "searchable.pdf", METADATA)


def _ink_within_a_pixel(page: ProcessedPage, shown_image: Image.Image) -> tuple[float, float]:
    """The share of the page image's ink that ``shown_image`` shows within one
    pixel, and the other way round."""
    expected = np.asarray(Image.open(page.image_path).convert("L")) < 128
    shown = np.asarray(shown_image.convert("L")) < 128
    rows, columns = min(expected.shape[0], shown.shape[0]), min(expected.shape[1], shown.shape[1])
    expected, shown = expected[:rows, :columns], shown[:rows, :columns]
    near = np.ones((3, 3), np.uint8)
    near_shown = cv2.dilate(shown.astype(np.uint8), near) > 0
    near_expected = cv2.dilate(expected.astype(np.uint8), near) > 0
    return (
        float((expected & near_shown).sum() / expected.sum()),
        float((shown & near_expected).sum() / shown.sum()),
    )


def _rendered(page: ProcessedPage, pdf: Path) -> Image.Image:
    prefix = pdf.with_name("rendered")
    render = ["pdftoppm", "-r", str(page.dpi), "-gray", "-singlefile", str(pdf), str(prefix)]
    subprocess.run(render, check=True)
    return Image.open(f"{prefix}.pgm")


@pytest.mark.parametrize(("skew_degrees", "rotate"), [(2.5, 0), (-2.0, 90)])
def test_the_scanners_bytes_are_drawn_where_the_page_steps_put_the_pixels(
    tmp_path: Path, skew_degrees: float, rotate: int
) -> None:
    source = _scanner_pdf(tmp_path, skew_degrees, rotate)

    page, searchable = _digitized(tmp_path, source)

    assert page.kept_scan is not None and page.skew_corrected
    assert page.rotation_degrees == (360 - rotate) % 360
    with pikepdf.open(source) as original, pikepdf.open(searchable) as made:
        [scanned] = original.pages[0].get_images().values()
        [drawn] = made.pages[0].get_images().values()
        assert drawn.read_raw_bytes() == scanned.read_raw_bytes()
        assert pikepdf.PdfImage(drawn).filters == ["/CCITTFaxDecode"]
    assert min(_ink_within_a_pixel(page, _rendered(page, searchable))) > 0.99
    viewed, media_type = page_scan(searchable, 1)  # what a clerk's viewer gets
    assert media_type == "image/png"
    assert min(_ink_within_a_pixel(page, Image.open(io.BytesIO(viewed)))) > 0.99
    text = subprocess.run(
        ["pdftotext", "-layout", str(searchable), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Quyet dinh so 14/QD-UBND" in text
    assert pdfa_failures([searchable]) == {str(searchable): []}


def test_a_bilevel_image_file_is_re_encoded_as_before(tmp_path: Path) -> None:
    """Only a PDF's own image stream can be kept; a TIFF's page is written as G4."""
    tiff = tmp_path / "scan.tif"
    small_scan("\n".join(LINES[:3])).convert("1").save(tiff, "TIFF", compression="group4")

    page, searchable = _digitized(tmp_path, tiff)

    assert page.kept_scan is None
    with pikepdf.open(searchable) as made:
        [drawn] = made.pages[0].get_images().values()
        assert pikepdf.PdfImage(drawn).filters == ["/CCITTFaxDecode"]
