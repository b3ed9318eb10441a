"""The page's resolution and the OCR scale come from its text, not its tag."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from sohoa.pipeline.cleanup import to_grayscale
from sohoa.pipeline.dossier import build_searchable_pdf
from sohoa.pipeline.pages import PageOptions, process_page
from sohoa.pipeline.pdfa import ArchivalMetadata
from sohoa.pipeline.scale import MAX_UPSCALE, SHRUNK_GLYPH_PX, measure_text
from sohoa.samples import render_page
from tests.helpers.pages import character_error_rate

OPTIONS = PageOptions(languages="vie+eng", dpi=300, ocr_timeout=120.0)


@pytest.mark.parametrize("dpi", [75, 100, 300, 600])
def test_resolution_is_measured_from_the_text(dpi: int) -> None:
    scale = measure_text(to_grayscale(render_page(0, dpi=dpi).image))
    assert scale.measured
    # Stated 300 (what a missing tag defaults to): kept unless far off.
    measured = scale.page_dpi(300)
    if dpi in (75, 100):
        assert measured == pytest.approx(dpi, rel=0.25)
        assert 1.0 < scale.ocr_factor() <= MAX_UPSCALE
    else:
        assert measured == 300
        # Body text at 300 DPI and above is shrunk for OCR, to glyphs Tesseract reads as well.
        assert scale.ocr_factor() < 1.0
        assert scale.glyph_px * scale.ocr_factor() == pytest.approx(SHRUNK_GLYPH_PX)


@pytest.mark.ocr
def test_jpeg_without_dpi_tag_is_read_at_its_real_scale(tmp_path: Path) -> None:
    page = render_page(0, dpi=100)
    jpeg = tmp_path / "letter.jpg"
    Image.fromarray(page.image).save(jpeg, quality=90)  # no DPI tag
    with Image.open(jpeg) as image:
        assert "dpi" not in image.info

    result = process_page(jpeg, tmp_path / "out", OPTIONS)

    assert result.dpi == pytest.approx(100, rel=0.25)
    assert result.ocr_scale > 1.0
    cer = character_error_rate(result.text, page.text)
    print(f"100-dpi letter without a tag: dpi {result.dpi}, CER {cer:.2%}")
    assert cer <= 0.06
    with Image.open(result.image_path) as stored:
        assert stored.info["dpi"] == pytest.approx((result.dpi, result.dpi))
    # The searchable page has page.jpg's size at that resolution, not at 300 DPI.
    metadata = ArchivalMetadata(record_id="0" * 64, digitized_at=datetime.now(UTC))
    page_pdf = build_searchable_pdf([result], tmp_path / "page.pdf", metadata)
    with pikepdf.open(page_pdf) as pdf:
        mediabox = [float(v) for v in pdf.pages[0].mediabox]
    expected = [result.width * 72 / result.dpi, result.height * 72 / result.dpi]
    assert mediabox[2:] == pytest.approx(expected, rel=0.01)
    # Word boxes are in page.jpg pixels, not those of the upscaled OCR copy.
    words = json.loads(result.ocr_json_path.read_text(encoding="utf-8"))["words"]
    assert max(w["left"] + w["width"] for w in words) <= result.width
    assert max(w["top"] + w["height"] for w in words) <= result.height
