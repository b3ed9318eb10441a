"""compose_page_pdf and merge_pdfs with text layers from real tesseract word boxes,
checked with poppler."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from sohoa.pipeline import poppler
from sohoa.pipeline.ocr import Word
from sohoa.pipeline.pdfa import ArchivalMetadata
from sohoa.pipeline.searchable_pdf import compose_page_pdf, merge_pdfs, share_repeated_resources
from sohoa.pipeline.tesseract import recognize

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DPI = 200
SIZE = (1000, 700)  # 5 × 3.5 inches at 200 dpi
WORD_AT = (120, 300)  # where the test word is drawn, in pixels
METADATA = ArchivalMetadata(record_id="0" * 64, digitized_at=datetime(2024, 6, 3, tzinfo=UTC))
VIETNAMESE = ("Cộng hòa xã hội chủ nghĩa", "Độc lập - Tự do - Hạnh phúc")


def page_jpeg(path: Path, *lines: str, size: tuple[int, int] = SIZE) -> Path:
    """A page with ``lines`` drawn from WORD_AT down, 100 px apart."""
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    for n, line in enumerate(lines):
        at = (WORD_AT[0], WORD_AT[1] + 100 * n)
        draw.text(at, line, font=ImageFont.truetype(FONT, 56), fill=0)
    image.save(path, dpi=(DPI, DPI), quality=90)
    return path


def ocr_words(image: Path) -> tuple[Word, ...]:
    """Tesseract's words for ``image``, boxes in its pixels."""
    with Image.open(image) as opened:
        pixels = np.asarray(opened)
    return recognize(pixels, "vie+eng", DPI, timeout=120).words


@pytest.fixture(scope="module")
def ocr_pages(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, tuple[Word, ...]]]:
    folder = tmp_path_factory.mktemp("ocr")
    pages = []
    for word in ("HOUSEHOLD", "CERTIFICATE"):
        jpeg = page_jpeg(folder / f"{word}.jpg", word)
        pages.append((jpeg, ocr_words(jpeg)))
    return pages


def test_page_shows_the_jpeg_unchanged_at_its_physical_size(
    tmp_path: Path, ocr_pages: list[tuple[Path, tuple[Word, ...]]]
) -> None:
    jpeg, words = ocr_pages[0]
    out = compose_page_pdf(jpeg, words, DPI, tmp_path / "page.pdf")
    with pikepdf.open(out) as pdf:
        page = pdf.pages[0]
        assert [float(v) for v in page.mediabox] == pytest.approx([0, 0, 360, 252])
        images = list(page.get_images().values())
        assert len(images) == 1
        assert images[0].read_raw_bytes() == jpeg.read_bytes()
        # The text layer's font is embedded, with a map back to Unicode.
        [font] = page.resources.Font.values()
        assert (font.Subtype, font.Encoding) == ("/Type0", "/Identity-H")
        assert "/ToUnicode" in font
        assert len(font.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes()) > 0


def test_merged_pdf_is_searchable_with_right_pages(
    tmp_path: Path, ocr_pages: list[tuple[Path, tuple[Word, ...]]]
) -> None:
    blank = page_jpeg(tmp_path / "blank.jpg")
    parts = [
        compose_page_pdf(jpeg, words, DPI, tmp_path / f"{n}.pdf")
        for n, (jpeg, words) in enumerate(ocr_pages)
    ]
    parts.insert(1, compose_page_pdf(blank, (), DPI, tmp_path / "blank.pdf"))
    merged = merge_pdfs(parts, tmp_path / "out" / "searchable.pdf", METADATA)

    info = poppler.pdf_info(merged, 30)
    assert info.pages == 3
    assert (info.page_width_pt, info.page_height_pt) == (360, 252)
    pages = poppler.pdf_text(merged, 30).split("\f")
    assert "HOUSEHOLD" in pages[0]
    assert pages[1].strip() == ""
    assert "CERTIFICATE" in pages[2]
    assert sorted(p.name for p in merged.parent.iterdir()) == ["searchable.pdf"]  # no leftovers


def test_text_layer_lies_on_the_word_in_the_image(
    tmp_path: Path, ocr_pages: list[tuple[Path, tuple[Word, ...]]]
) -> None:
    jpeg, words = ocr_pages[0]
    out = compose_page_pdf(jpeg, words, DPI, tmp_path / "page.pdf")
    [word] = [w for w in poppler.pdf_words(out, 30) if w.text == "HOUSEHOLD"]
    points_per_pixel = 72 / DPI
    assert word.x_min == pytest.approx(WORD_AT[0] * points_per_pixel, abs=4)
    assert word.y_max == pytest.approx((WORD_AT[1] + 55) * points_per_pixel, abs=6)
    assert word.x_max < SIZE[0] * points_per_pixel


def test_vietnamese_words_extract_with_diacritics_at_their_boxes(tmp_path: Path) -> None:
    """Each word comes out of the PDF whole (NFC, every accent) in reading
    order, over the box tesseract found for it."""
    jpeg = page_jpeg(tmp_path / "vi.jpg", *VIETNAMESE, size=(1400, 700))
    words = ocr_words(jpeg)
    assert [w.text for w in words] == " ".join(VIETNAMESE).split()
    out = compose_page_pdf(jpeg, words, DPI, tmp_path / "vi.pdf")

    assert poppler.pdf_text(out, 30).split("\n")[:2] == list(VIETNAMESE)
    extracted = poppler.pdf_words(out, 30)
    assert [w.text for w in extracted] == [w.text for w in words]
    points_per_pixel = 72 / DPI
    line_tops = {w.line: min(v.top for v in words if v.line == w.line) for w in words}
    line_bottoms = {w.line: max(v.top + v.height for v in words if v.line == w.line) for w in words}
    for pdf_word, word in zip(extracted, words, strict=True):
        assert pdf_word.x_min == pytest.approx(word.left * points_per_pixel, abs=0.5)
        assert pdf_word.x_max == pytest.approx((word.left + word.width) * points_per_pixel, abs=0.5)
        # Vertically the line's box: from its highest accent to its lowest descender.
        assert pdf_word.y_min == pytest.approx(line_tops[word.line] * points_per_pixel, abs=0.5)
        assert pdf_word.y_max == pytest.approx(line_bottoms[word.line] * points_per_pixel, abs=0.5)


def test_merged_pages_keep_their_order_and_text(
    tmp_path: Path, ocr_pages: list[tuple[Path, tuple[Word, ...]]]
) -> None:
    jpeg, words = ocr_pages[0]
    blank = page_jpeg(tmp_path / "blank.jpg")
    parts = [
        compose_page_pdf(jpeg, words, DPI, tmp_path / f"{n}.pdf")
        if n % 2 == 0
        else compose_page_pdf(blank, (), DPI, tmp_path / f"{n}.pdf")
        for n in range(5)
    ]
    merged = merge_pdfs(parts, tmp_path / "out" / "all.pdf", METADATA)
    pages = poppler.pdf_text(merged, 30).split("\f")[:5]
    assert ["HOUSEHOLD" in page for page in pages] == [True, False, True, False, True]
    assert sorted(p.name for p in merged.parent.iterdir()) == ["all.pdf"]
    # Equal images and the text layer's font are stored once, not once a page.
    with pikepdf.open(merged) as pdf:
        images = {image.objgen for page in pdf.pages for image in page.get_images().values()}
        fonts = {font.objgen for page in pdf.pages[::2] for font in page.Resources.Font.values()}
    assert (len(images), len(fonts)) == (2, 1)


def test_same_inputs_give_the_same_bytes(
    tmp_path: Path, ocr_pages: list[tuple[Path, tuple[Word, ...]]]
) -> None:
    jpeg, words = ocr_pages[1]
    first = compose_page_pdf(jpeg, words, DPI, tmp_path / "a.pdf").read_bytes()
    assert compose_page_pdf(jpeg, words, DPI, tmp_path / "b.pdf").read_bytes() == first


def test_equal_images_that_refer_to_themselves_are_shared(tmp_path: Path) -> None:
    """A scanner PDF's image dictionary may carry a reference cycle; the kept
    scan copies it, and sharing must still tell equal images apart."""
    pdf = pikepdf.new()
    for fill in (b"\xff", b"\xff", b"\x00"):
        page = pdf.add_blank_page(page_size=(100, 100))
        image = pdf.make_stream(
            fill * 8,
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Image,
            Width=8,
            Height=8,
            BitsPerComponent=1,
            ColorSpace=pikepdf.Name.DeviceGray,
        )
        image.Self = image
        page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im=image))
        page.obj.Contents = pdf.make_stream(b"q 100 0 0 100 0 0 cm /Im Do Q")
    pdf.save(tmp_path / "cycles.pdf")

    assert share_repeated_resources(tmp_path / "cycles.pdf") == 1
    with pikepdf.open(tmp_path / "cycles.pdf") as shared:
        images = [page.Resources.XObject.Im for page in shared.pages]
    assert images[0].objgen == images[1].objgen != images[2].objgen
