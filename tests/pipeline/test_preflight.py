"""inspect_file on real generated files: each reject code and what must pass."""

from __future__ import annotations

import hashlib
import struct
import subprocess
import zlib
from pathlib import Path

import img2pdf
import pikepdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from sohoa.core.errors import RejectedInput
from sohoa.pipeline import poppler
from sohoa.pipeline.preflight import IntakeLimits, SourceFile, inspect_file, sha256_file

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
LIMITS = IntakeLimits(max_file_bytes=50 << 20, max_page_pixels=50_000_000, min_image_side=64)


def page_image(
    text: str = "Giấy chứng nhận 2024", size: tuple[int, int] = (600, 800)
) -> Image.Image:
    image = Image.new("L", size, 255)
    ImageDraw.Draw(image).text((40, 60), text, font=ImageFont.truetype(FONT, 36), fill=0)
    return image


def scan_pdf(path: Path, pages: int = 1) -> Path:
    """A PDF like a scanner makes: one JPEG per page."""
    jpegs = []
    for number in range(pages):
        jpeg = path.with_name(f"{path.stem}-{number}.jpg")
        page_image(f"Trang {number + 1}").save(jpeg, dpi=(100, 100))
        jpegs.append(str(jpeg))
    path.write_bytes(img2pdf.convert(jpegs))
    return path


def rejected(path: Path, limits: IntakeLimits = LIMITS) -> RejectedInput:
    with pytest.raises(RejectedInput) as caught:
        inspect_file(path, limits)
    return caught.value


def test_accepts_pdf_with_page_count_and_streamed_hash(tmp_path: Path) -> None:
    pdf = scan_pdf(tmp_path / "dossier.pdf", pages=3)
    source = inspect_file(pdf, LIMITS)
    assert source == SourceFile(
        path=pdf,
        kind="pdf",
        media_type="application/pdf",
        size=pdf.stat().st_size,
        sha256=hashlib.sha256(pdf.read_bytes()).hexdigest(),
        page_count=3,
    )


def test_sha256_file_reads_in_chunks_of_any_size(tmp_path: Path) -> None:
    data = bytes(range(256)) * 9000  # over two 1 MiB chunks, not a multiple of one
    path = tmp_path / "blob"
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("fmt", "kind", "media_type"),
    [("JPEG", "jpeg", "image/jpeg"), ("PNG", "png", "image/png"), ("TIFF", "tiff", "image/tiff")],
)
def test_accepts_images_by_content_not_name(
    tmp_path: Path, fmt: str, kind: str, media_type: str
) -> None:
    path = tmp_path / "scan.pdf"  # misleading name on purpose
    page_image().save(path, format=fmt)
    source = inspect_file(path, LIMITS)
    assert (source.kind, source.media_type, source.page_count) == (kind, media_type, 1)


def test_multi_page_tiff_counts_frames(tmp_path: Path) -> None:
    path = tmp_path / "fax.tif"
    frames = [page_image(f"Trang {n}") for n in range(1, 5)]
    frames[0].save(path, save_all=True, append_images=frames[1:], compression="tiff_lzw")
    assert inspect_file(path, LIMITS).page_count == 4


def test_zero_byte_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.touch()
    error = rejected(path)
    assert error.code == "empty"
    assert "0 bytes" in error.message


def test_text_file_named_pdf_says_what_it_is(tmp_path: Path) -> None:
    path = tmp_path / "hoso.pdf"
    path.write_text("Danh sách hồ sơ nộp ngày 12/3\nNguyễn Văn A\n", encoding="utf-8")
    error = rejected(path)
    assert error.code == "unsupported_type"
    assert "plain text" in error.message
    assert "PDF, TIFF, JPEG and PNG" in error.message


def test_word_document_named_pdf_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "to-trinh.pdf"
    path.write_bytes(b"PK\x03\x04" + bytes(200))
    error = rejected(path)
    assert error.code == "unsupported_type"
    assert "ZIP" in error.message


def test_truncated_pdf_is_corrupt(tmp_path: Path) -> None:
    whole = scan_pdf(tmp_path / "whole.pdf", pages=2).read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(whole[: len(whole) * 2 // 3])
    error = rejected(path)
    assert error.code == "corrupt"
    assert "re-scan" in error.message.lower()
    assert "export" in error.message


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "TIFF"])
def test_truncated_image_is_corrupt(tmp_path: Path, fmt: str) -> None:
    whole = tmp_path / "whole.img"
    page_image(size=(900, 1200)).save(whole, format=fmt)
    data = whole.read_bytes()
    path = tmp_path / "cut.img"
    path.write_bytes(data[: len(data) // 2])
    error = rejected(path)
    assert error.code == "corrupt"
    assert "re-scan" in error.message.lower()


def test_pdf_needing_a_user_password_is_encrypted(tmp_path: Path) -> None:
    path = tmp_path / "locked.pdf"
    with pikepdf.open(scan_pdf(tmp_path / "plain.pdf")) as pdf:
        pdf.save(path, encryption=pikepdf.Encryption(user="1234", owner="admin"))
    error = rejected(path)
    assert error.code == "encrypted"
    assert "password" in error.message


def test_pdf_with_owner_password_only_is_accepted(tmp_path: Path) -> None:
    """Signed e-copies restrict editing with an owner password but open freely."""
    path = tmp_path / "ban-sao-dien-tu.pdf"
    no_edit = pikepdf.Permissions(modify_other=False, extract=False, modify_annotation=False)
    with pikepdf.open(scan_pdf(tmp_path / "plain.pdf", pages=2)) as pdf:
        pdf.save(path, encryption=pikepdf.Encryption(user="", owner="admin", allow=no_edit))
    assert poppler.pdf_info(path, 30).encrypted
    assert inspect_file(path, LIMITS).page_count == 2


def test_pdf_with_a_scanner_text_layer_is_accepted(tmp_path: Path) -> None:
    png = tmp_path / "page.png"
    page_image("Searchable scanner output", size=(1000, 600)).save(png, dpi=(200, 200))
    subprocess.run(
        ["tesseract", str(png), str(tmp_path / "ocr"), "-l", "eng", "pdf"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    pdf = tmp_path / "ocr.pdf"
    assert "Searchable" in poppler.pdf_text(pdf, 30)
    assert inspect_file(pdf, LIMITS).page_count == 1


def test_one_pixel_png_is_too_small(tmp_path: Path) -> None:
    path = tmp_path / "dot.png"
    Image.new("L", (1, 1), 0).save(path)
    error = rejected(path)
    assert error.code == "too_small"
    assert "1×1" in error.message


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_decompression_bomb_png_is_rejected_without_decoding(tmp_path: Path) -> None:
    """A 60000×60000 PNG header over 50 KB of zeros; decoding it would need 3.6 GB."""
    path = tmp_path / "bomb.png"
    header = struct.pack(">IIBBBBB", 60_000, 60_000, 8, 0, 0, 0, 0)
    pixels = zlib.compress(bytes(50_000), 9)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )
    assert path.stat().st_size < 10_000
    error = rejected(path)
    assert error.code == "decompression_bomb"
    assert "3600 megapixels" in error.message


def test_image_over_the_pixel_limit_is_a_decompression_bomb(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    Image.new("L", (2000, 1500), 255).save(path)  # compresses to a few KB
    limits = IntakeLimits(max_file_bytes=50 << 20, max_page_pixels=2_000_000, min_image_side=64)
    error = rejected(path, limits)
    assert error.code == "decompression_bomb"
    assert "2000×1500" in error.message


def test_file_over_the_byte_limit_is_too_large(tmp_path: Path) -> None:
    pdf = scan_pdf(tmp_path / "dossier.pdf")
    limits = IntakeLimits(max_file_bytes=1024, max_page_pixels=50_000_000, min_image_side=64)
    error = rejected(pdf, limits)
    assert error.code == "too_large"
    assert "over the 1.0 KB limit" in error.message


def test_pdf_page_too_big_to_render_is_too_large(tmp_path: Path) -> None:
    path = tmp_path / "poster.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page(page_size=(72 * 100, 72 * 100))  # 100 × 100 inches
        pdf.save(path)
    error = rejected(path)
    assert error.code == "too_large"
    assert "megapixel" in error.message


def test_pdfinfo_on_a_user_password_pdf_is_a_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "locked.pdf"
    with pikepdf.open(scan_pdf(tmp_path / "plain.pdf")) as pdf:
        pdf.save(path, encryption=pikepdf.Encryption(user="1234", owner="admin"))
    with pytest.raises(poppler.PdfPasswordRequired):
        poppler.pdf_info(path, 30)
