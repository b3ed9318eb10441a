"""compose_page_pdf and merge_pdfs with real tesseract text layers and poppler checks."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from sohoa.pipeline import poppler
from sohoa.pipeline.searchable_pdf import compose_page_pdf, merge_pdfs

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DPI = 200
SIZE = (1000, 700)  # 5 × 3.5 inches at 200 dpi
WORD_AT = (120, 300)  # where the test word is drawn, in pixels


def page_jpeg(path: Path, word: str) -> Path:
    image = Image.new("L", SIZE, 255)
    ImageDraw.Draw(image).text(WORD_AT, word, font=ImageFont.truetype(FONT, 56), fill=0)
    image.save(path, dpi=(DPI, DPI), quality=90)
    return path


def text_only_pdf(image: Path, dpi: int) -> Path:
    """tesseract's invisible text layer for ``image`` as if scanned at ``dpi``."""
    png = image.with_suffix(".png")
    with Image.open(image) as opened:
        opened.save(png, dpi=(dpi, dpi))
    base = image.with_name(image.stem + "-text")
    subprocess.run(
        ["tesseract", str(png), str(base), "-l", "eng", "-c", "textonly_pdf=1", "pdf"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return base.with_suffix(".pdf")


@pytest.fixture(scope="module")
def ocr_pages(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("ocr")
    pages = []
    for word in ("HOUSEHOLD", "CERTIFICATE"):
        jpeg = page_jpeg(folder / f"{word}.jpg", word)
        pages.append((jpeg, text_only_pdf(jpeg, DPI)))
    return pages


def test_page_shows_the_jpeg_unchanged_at_its_physical_size(
    tmp_path: Path, ocr_pages: list[tuple[Path, Path]]
) -> None:
    jpeg, text = ocr_pages[0]
    out = compose_page_pdf(jpeg, text, DPI, tmp_path / "page.pdf")
    with pikepdf.open(out) as pdf:
        page = pdf.pages[0]
        assert [float(v) for v in page.mediabox] == pytest.approx([0, 0, 360, 252])
        images = list(page.get_images().values())
        assert len(images) == 1
        assert images[0].read_raw_bytes() == jpeg.read_bytes()


def test_merged_pdf_is_searchable_with_right_pages(
    tmp_path: Path, ocr_pages: list[tuple[Path, Path]]
) -> None:
    blank = page_jpeg(tmp_path / "blank.jpg", "")
    parts = [
        compose_page_pdf(jpeg, text, DPI, tmp_path / f"{n}.pdf")
        for n, (jpeg, text) in enumerate(ocr_pages)
    ]
    parts.insert(1, compose_page_pdf(blank, None, DPI, tmp_path / "blank.pdf"))
    merged = merge_pdfs(parts, tmp_path / "out" / "searchable.pdf")

    info = poppler.pdf_info(merged, 30)
    assert info.pages == 3
    assert (info.page_width_pt, info.page_height_pt) == (360, 252)
    pages = poppler.pdf_text(merged, 30).split("\f")
    assert "HOUSEHOLD" in pages[0]
    assert pages[1].strip() == ""
    assert "CERTIFICATE" in pages[2]
    assert sorted(p.name for p in merged.parent.iterdir()) == ["searchable.pdf"]  # no leftovers


@pytest.mark.parametrize("ocr_dpi", [DPI, 300])
def test_text_layer_lies_on_the_word_in_the_image(
    tmp_path: Path, ocr_pages: list[tuple[Path, Path]], ocr_dpi: int
) -> None:
    """Also when tesseract assumed another DPI: the layer is scaled to the page."""
    jpeg, text = ocr_pages[0]
    if ocr_dpi != DPI:
        text = text_only_pdf(jpeg, ocr_dpi)
    out = compose_page_pdf(jpeg, text, DPI, tmp_path / "page.pdf")
    [word] = [w for w in poppler.pdf_words(out, 30) if w.text == "HOUSEHOLD"]
    points_per_pixel = 72 / DPI
    assert word.x_min == pytest.approx(WORD_AT[0] * points_per_pixel, abs=4)
    assert word.y_max == pytest.approx((WORD_AT[1] + 55) * points_per_pixel, abs=6)
    assert word.x_max < SIZE[0] * points_per_pixel


def test_merged_pages_keep_their_order_and_text(
    tmp_path: Path, ocr_pages: list[tuple[Path, Path]]
) -> None:
    jpeg, text = ocr_pages[0]
    blank = page_jpeg(tmp_path / "blank.jpg", "")
    parts = [
        compose_page_pdf(jpeg, text, DPI, tmp_path / f"{n}.pdf")
        if n % 2 == 0
        else compose_page_pdf(blank, None, DPI, tmp_path / f"{n}.pdf")
        for n in range(5)
    ]
    merged = merge_pdfs(parts, tmp_path / "out" / "all.pdf")
    pages = poppler.pdf_text(merged, 30).split("\f")[:5]
    assert ["HOUSEHOLD" in page for page in pages] == [True, False, True, False, True]
    assert sorted(p.name for p in merged.parent.iterdir()) == ["all.pdf"]


def test_same_inputs_give_the_same_bytes(
    tmp_path: Path, ocr_pages: list[tuple[Path, Path]]
) -> None:
    jpeg, text = ocr_pages[1]
    first = compose_page_pdf(jpeg, text, DPI, tmp_path / "a.pdf").read_bytes()
    assert compose_page_pdf(jpeg, text, DPI, tmp_path / "b.pdf").read_bytes() == first
