"""render_page on generated PDFs, TIFFs, JPEGs and PNGs, through real poppler."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import img2pdf
import numpy as np
import pdf2image.exceptions as pdf2image_errors
import pikepdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from sohoa.core.errors import MissingDependencyError, ProcessingError, ToolTimeout
from sohoa.pipeline import poppler
from sohoa.pipeline.preflight import IntakeLimits, SourceFile, inspect_file
from sohoa.pipeline.rasterize import RenderedPage, render_page

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
LIMITS = IntakeLimits(max_file_bytes=50 << 20, max_page_pixels=100_000_000, min_image_side=16)
TIMEOUT = 60.0


def scan(
    size: tuple[int, int] = (600, 800), text: str = "Số: 123/QĐ", mode: str = "L"
) -> Image.Image:
    """A page with a dark block in its top-left corner and a line of text."""
    image = Image.new(mode, size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, size[0] // 5, size[1] // 10), fill="black")
    draw.text((40, size[1] // 3), text, font=ImageFont.truetype(FONT, 32), fill="black")
    return image


def accepted(path: Path) -> SourceFile:
    return inspect_file(path, LIMITS)


def scan_pdf(path: Path, images: list[Image.Image], dpi: int = 100) -> SourceFile:
    jpegs = []
    for number, image in enumerate(images):
        jpeg = path.with_name(f"{path.stem}-{number}.jpg")
        image.save(jpeg, dpi=(dpi, dpi), quality=95)
        jpegs.append(str(jpeg))
    path.write_bytes(img2pdf.convert(jpegs))
    return accepted(path)


def pixels(page: RenderedPage) -> np.ndarray:
    """The page's pixels, after checking the scratch file is uncompressed and of
    the stated size: PGM/PPM from poppler, or a TIFF that records the stated DPI."""
    with Image.open(page.path) as image:
        assert image.size == (page.width, page.height)
        if image.format == "TIFF":
            assert image.info["compression"] == "raw"
            assert image.info["dpi"] == pytest.approx((page.dpi, page.dpi), abs=0.01)
        else:
            assert image.format == "PPM"  # PGM and PPM: raw pixels
        return np.asarray(image.convert("L"), dtype=np.int16)


def test_pdf_page_at_300_dpi_has_the_physical_size_in_pixels(tmp_path: Path) -> None:
    source = scan_pdf(tmp_path / "scan.pdf", [scan()], dpi=100)  # a 6 × 8 inch page
    page = render_page(source, 0, 300, tmp_path / "p.tif", TIMEOUT, use_embedded_image=False)
    assert (page.width, page.height, page.dpi) == (1800, 2400, 300)
    with Image.open(page.path) as image:
        assert image.mode == "L"  # a grayscale scan stays grayscale
        assert image.size == (1800, 2400)


def test_a4_vector_page_renders_in_colour_at_physical_size(tmp_path: Path) -> None:
    """A4 is 2480.3 × 3507.9 pixels at 300 dpi; poppler covers the partial pixel."""
    path = tmp_path / "a4.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page(page_size=(595.276, 841.89))
        pdf.pages[0].contents_add(b"1 0 0 rg 100 700 200 50 re f")
        pdf.save(path)
    page = render_page(accepted(path), 0, 300, tmp_path / "a4.tif", TIMEOUT)
    assert (page.width, page.height, page.dpi) == (2481, 3508, 300)
    with Image.open(page.path) as image:
        assert image.mode == "RGB"
        red = image.getpixel((round(150 / 72 * 300), 3508 - round(720 / 72 * 300)))
    assert red == (255, 0, 0)


def test_full_page_scan_is_taken_at_native_resolution(tmp_path: Path) -> None:
    source = scan_pdf(tmp_path / "scan.pdf", [scan()], dpi=100)
    native = render_page(source, 0, 300, tmp_path / "native.tif", TIMEOUT)
    assert (native.width, native.height, native.dpi) == (600, 800, 100)
    with Image.open(tmp_path / "scan-0.jpg") as original:
        expected = np.asarray(original, dtype=np.int16)
    assert np.array_equal(pixels(native), expected)  # the very pixels of the JPEG


@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_flate_scan_is_taken_natively_in_its_own_mode(tmp_path: Path, mode: str) -> None:
    original = scan(mode=mode)
    original.save(tmp_path / "scan.png", dpi=(150, 150))  # img2pdf stores PNG pixels as Flate
    (tmp_path / "scan.pdf").write_bytes(img2pdf.convert(str(tmp_path / "scan.png")))
    page = render_page(accepted(tmp_path / "scan.pdf"), 0, 300, tmp_path / "p.tif", TIMEOUT)
    assert (page.width, page.height, page.dpi) == (600, 800, 150)
    pixels(page)
    with Image.open(page.path) as image:
        assert image.mode == mode
        assert np.array_equal(np.asarray(image), np.asarray(original))


def test_native_scan_of_rotated_page_matches_poppler(tmp_path: Path) -> None:
    source = scan_pdf(tmp_path / "scan.pdf", [scan()], dpi=100)
    with pikepdf.open(source.path, allow_overwriting_input=True) as pdf:
        pdf.pages[0].obj["/Rotate"] = 90
        pdf.save(source.path)
    native = render_page(source, 0, 100, tmp_path / "native.tif", TIMEOUT)
    drawn = render_page(source, 0, 100, tmp_path / "drawn.tif", TIMEOUT, use_embedded_image=False)
    assert (native.width, native.height) == (drawn.width, drawn.height) == (800, 600)
    assert np.abs(pixels(native) - pixels(drawn)).mean() < 2
    assert pixels(native)[:40, -100:].mean() < 60  # the block turned to the top right


def test_native_bilevel_fax_scan_keeps_black_on_white(tmp_path: Path) -> None:
    tiff = tmp_path / "g4.tif"
    scan().convert("1").save(tiff, dpi=(200, 200), compression="group4")
    path = tmp_path / "g4.pdf"
    path.write_bytes(img2pdf.convert(str(tiff)))  # embedded as CCITT G4, not re-encoded
    source = accepted(path)
    native = render_page(source, 0, 300, tmp_path / "native.tif", TIMEOUT)
    drawn = render_page(source, 0, 200, tmp_path / "drawn.tif", TIMEOUT, use_embedded_image=False)
    assert (native.width, native.height, native.dpi) == (600, 800, 200)
    assert np.abs(pixels(native) - pixels(drawn)).mean() < 2
    assert pixels(native)[:60, :100].mean() < 10  # the dark block stays dark
    assert pixels(native)[-100:, -100:].mean() > 250


def test_scan_with_a_visible_stamp_is_rendered_not_extracted(tmp_path: Path) -> None:
    source = scan_pdf(tmp_path / "scan.pdf", [scan()], dpi=100)
    with pikepdf.open(source.path, allow_overwriting_input=True) as pdf:
        pdf.pages[0].contents_add(b"q 1 0 0 RG 5 w 300 300 100 60 re S Q")  # a red frame
        pdf.save(source.path)
    page = render_page(source, 0, 150, tmp_path / "p.tif", TIMEOUT)
    assert (page.width, page.height, page.dpi) == (900, 1200, 150)
    with Image.open(page.path) as image:
        assert image.mode == "RGB"
        assert image.getpixel((300 * 150 // 72, 1200 - 300 * 150 // 72)) == (255, 0, 0)


def test_scan_with_invisible_ocr_text_is_still_taken_natively(tmp_path: Path) -> None:
    png = tmp_path / "page.png"
    scan((800, 500), "Invisible text layer").save(png, dpi=(200, 200))
    subprocess.run(
        ["tesseract", str(png), str(tmp_path / "ocr"), "-l", "eng", "pdf"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    page = render_page(accepted(tmp_path / "ocr.pdf"), 0, 300, tmp_path / "p.tif", TIMEOUT)
    assert (page.width, page.height, page.dpi) == (800, 500, 200)


def test_each_pdf_page_is_its_own(tmp_path: Path) -> None:
    pages = [scan(text=f"Trang {n}") for n in range(3)]
    pages[1] = Image.new("L", (600, 800), 90)  # a dark middle page
    source = scan_pdf(tmp_path / "three.pdf", pages)
    means = [
        pixels(render_page(source, i, 72, tmp_path / f"{i}.tif", TIMEOUT)).mean() for i in range(3)
    ]
    assert means[1] == pytest.approx(90, abs=2)
    assert min(means[0], means[2]) > 200


def test_page_past_the_end_is_an_error(tmp_path: Path) -> None:
    source = scan_pdf(tmp_path / "one.pdf", [scan()])
    with pytest.raises(ProcessingError, match="no page 2"):
        render_page(source, 1, 100, tmp_path / "p.tif", TIMEOUT)


def test_multi_page_tiff_renders_the_requested_frame(tmp_path: Path) -> None:
    path = tmp_path / "dossier.tif"
    frames = [scan((500 + 100 * n, 700)) for n in range(3)]
    frames[0].save(
        path, save_all=True, append_images=frames[1:], dpi=(200, 200), compression="tiff_lzw"
    )
    source = accepted(path)
    assert source.page_count == 3
    page = render_page(source, 2, 300, tmp_path / "p.tif", TIMEOUT)
    assert (page.width, page.height, page.dpi) == (700, 700, 200)
    assert np.array_equal(pixels(page), np.asarray(frames[2], dtype=np.int16))


def test_jpeg_exif_orientation_is_applied(tmp_path: Path) -> None:
    """A phone photo stored sideways with EXIF orientation 6 (turn 90° clockwise)."""
    path = tmp_path / "photo.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    scan((400, 200)).save(path, exif=exif, dpi=(150, 150), quality=95)
    page = render_page(accepted(path), 0, 300, tmp_path / "p.tif", TIMEOUT)
    assert (page.width, page.height, page.dpi) == (200, 400, 150)
    upright = pixels(page)
    assert upright[:60, -15:].mean() < 40  # the stored top-left block is now top right
    assert upright[:60, :15].mean() > 200


@pytest.mark.parametrize(("stated", "expected"), [(None, 300), ((72, 72), 300), ((600, 600), 600)])
def test_image_dpi_comes_from_the_file_when_plausible(
    tmp_path: Path, stated: tuple[int, int] | None, expected: int
) -> None:
    path = tmp_path / "scan.png"
    if stated:
        scan().save(path, dpi=stated)
    else:
        scan().save(path)
    page = render_page(accepted(path), 0, 300, tmp_path / "p.tif", TIMEOUT)
    assert (page.width, page.height, page.dpi) == (600, 800, expected)


def test_fax_resolution_is_resampled_to_square_pixels(tmp_path: Path) -> None:
    path = tmp_path / "fax.tif"
    scan((800, 500)).convert("1").save(path, dpi=(200, 100), compression="group4")
    page = render_page(accepted(path), 0, 300, tmp_path / "p.tif", TIMEOUT)
    assert (page.width, page.height, page.dpi) == (800, 1000, 200)


def _palette_gray(path: Path) -> None:
    scan().convert("P").save(path)


def _palette_colour(path: Path) -> None:
    image = scan(mode="RGB")
    ImageDraw.Draw(image).rectangle((0, 0, 50, 50), fill=(200, 30, 30))
    image.quantize(8).save(path)


def _sixteen_bit(path: Path) -> None:
    levels = np.array([[0, 32896, 65535, 65535]] * 100, dtype=np.uint16).repeat(50, axis=1)
    Image.fromarray(levels).save(path)


def _transparent(path: Path) -> None:
    Image.new("RGBA", (200, 100), (0, 0, 0, 0)).save(path)


def _bilevel(path: Path) -> None:
    scan().convert("1").save(path)


def _cmyk(path: Path) -> None:
    Image.new("CMYK", (200, 100), (0, 255, 255, 0)).save(path, format="JPEG", quality=95)


@pytest.mark.parametrize(
    ("make", "mode", "first_pixel"),
    [
        (_palette_gray, "L", 0),
        (_palette_colour, "RGB", (200, 30, 30)),
        (_sixteen_bit, "L", 0),
        (_transparent, "RGB", (255, 255, 255)),
        (_bilevel, "L", 0),
        (_cmyk, "RGB", None),
    ],
)
def test_any_image_mode_becomes_8_bit_gray_or_rgb(
    tmp_path: Path, make: Callable[[Path], None], mode: str, first_pixel: object
) -> None:
    path = tmp_path / "image.png"  # the CMYK one is a JPEG: the name does not matter
    make(path)
    page = render_page(accepted(path), 0, 300, tmp_path / "out.tif", TIMEOUT)
    with Image.open(page.path) as image:
        assert image.mode == mode
        if first_pixel is not None:
            assert image.getpixel((0, 0)) == first_pixel


def test_sixteen_bit_levels_are_scaled_not_clipped(tmp_path: Path) -> None:
    path = tmp_path / "deep.png"
    _sixteen_bit(path)
    page = render_page(accepted(path), 0, 300, tmp_path / "out.tif", TIMEOUT)
    with Image.open(page.path) as image:
        assert [image.getpixel((x, 0)) for x in (0, 60, 110)] == [0, 128, 255]


def test_cmyk_red_becomes_rgb_red(tmp_path: Path) -> None:
    path = tmp_path / "cmyk.jpg"
    _cmyk(path)
    page = render_page(accepted(path), 0, 300, tmp_path / "out.tif", TIMEOUT)
    with Image.open(page.path) as image:
        red, green, blue = image.getpixel((100, 50))  # type: ignore[misc]
    assert red > 200 and green < 60 and blue < 60


def test_poppler_version_is_read_once() -> None:
    assert poppler.poppler_version().split(".")[0].isdigit()


def test_missing_poppler_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    poppler.poppler_version.cache_clear()
    try:
        with pytest.raises(MissingDependencyError, match="apt-get install poppler-utils"):
            poppler.poppler_version()
    finally:
        poppler.poppler_version.cache_clear()


def test_poppler_failure_is_typed_and_keeps_its_cause(tmp_path: Path) -> None:
    path = tmp_path / "not.pdf"
    path.write_text("plain text", encoding="utf-8")
    with pytest.raises(poppler.PopplerError, match="Couldn't read xref table") as caught:
        poppler.render_pdf_page(path, 1, 72, tmp_path / "p.tif", TIMEOUT)
    assert isinstance(caught.value.__cause__, pdf2image_errors.PDFPageCountError)
    assert [p.name for p in tmp_path.iterdir()] == ["not.pdf"]
    with pytest.raises(poppler.PopplerError, match="xref") as caught:
        poppler.pdf_info(path, TIMEOUT)
    assert isinstance(caught.value.__cause__, subprocess.CalledProcessError)


def test_poppler_timeout_is_retryable_and_leaves_no_file(tmp_path: Path) -> None:
    source = scan_pdf(tmp_path / "scan.pdf", [scan()])
    with pytest.raises(poppler.PopplerTimeout) as caught:
        poppler.render_pdf_page(source.path, 1, 1200, tmp_path / "p.tif", timeout=0.05)
    assert caught.value.retryable
    assert isinstance(caught.value, ToolTimeout)  # one hierarchy, in sohoa.core.errors
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix not in (".pdf", ".jpg")) == []
