"""The tesseract wrapper against the real program, and TSV parsing."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest

from sohoa.core.errors import MissingDependencyError, ProcessingError
from sohoa.pipeline import tesseract
from sohoa.pipeline.cleanup import to_grayscale
from sohoa.pipeline.deskew import downscale
from sohoa.pipeline.ocr import parse_tsv
from sohoa.pipeline.pages import turn_clockwise
from sohoa.pipeline.tesseract import (
    Orientation,
    check_languages,
    detect_orientation,
    run_ocr,
    tesseract_version,
)
from sohoa.samples import blank_page, render_page
from tests.helpers.pages import save_png

TIMEOUT = 120.0


@pytest.fixture
def no_tesseract(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The wrapper pointed at a program that does not exist."""
    tesseract.tesseract_version.cache_clear()
    tesseract.installed_languages.cache_clear()
    monkeypatch.setattr(tesseract, "TESSERACT", "tesseract-not-installed-here")
    yield
    tesseract.tesseract_version.cache_clear()
    tesseract.installed_languages.cache_clear()


@pytest.fixture(scope="module")
def header_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first five lines of a page: quick to OCR."""
    page = render_page(0)
    path = tmp_path_factory.mktemp("header") / "header.png"
    return save_png(page.image[200:700], path)


def test_version() -> None:
    version = tesseract_version()
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?", version)
    assert int(version.split(".")[0]) >= 4


def test_installed_languages_pass() -> None:
    check_languages("vie+eng")
    check_languages("osd")


@pytest.mark.parametrize(
    ("languages", "package"),
    [("vie+xyz", "tesseract-ocr-xyz"), ("chi_sim", "tesseract-ocr-chi-sim")],
)
def test_missing_language_names_its_package(languages: str, package: str) -> None:
    with pytest.raises(MissingDependencyError, match=f"apt-get install {package}") as caught:
        check_languages(languages)
    assert "is not installed" in caught.value.message


def test_missing_program(no_tesseract: None, header_png: Path, tmp_path: Path) -> None:
    with pytest.raises(MissingDependencyError, match="apt-get install tesseract-ocr") as caught:
        tesseract_version()
    assert isinstance(caught.value.__cause__, FileNotFoundError)
    with pytest.raises(MissingDependencyError):
        run_ocr(header_png, tmp_path / "out", "vie", 300, TIMEOUT)


@pytest.mark.parametrize("turned", [0, 90, 180, 270])
@pytest.mark.ocr
def test_osd_on_a_downscaled_page(turned: int) -> None:
    gray = downscale(to_grayscale(render_page(1).image), 1750)
    orientation = detect_orientation(turn_clockwise(gray, turned), TIMEOUT, dpi=150)
    assert orientation.rotate_degrees == (360 - turned) % 360
    assert orientation.confidence > 2


@pytest.mark.ocr
def test_osd_on_a_blank_page_is_no_error() -> None:
    assert detect_orientation(blank_page(100)[..., 0], TIMEOUT, dpi=100) == Orientation(0, 0.0)


@pytest.mark.ocr
def test_run_ocr_writes_text_pdf_and_tsv(header_png: Path, tmp_path: Path) -> None:
    output = run_ocr(header_png, tmp_path / "page.1", "vie+eng", 300, TIMEOUT)
    assert output.text_pdf == tmp_path / "page.1.pdf"
    assert output.tsv == tmp_path / "page.1.tsv"
    result = parse_tsv(output.tsv)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in result.text
    assert "Độc lập - Tự do - Hạnh phúc" in result.text
    with pikepdf.open(output.text_pdf) as pdf:
        assert len(pdf.pages) == 1
        page = pdf.pages[0]
        width_pt, height_pt = (float(v) for v in page.mediabox[2:])
        has_images = "/XObject" in page.Resources
    # The page is the image's size at 300 DPI, and holds text only.
    assert (round(width_pt), round(height_pt)) == (round(2480 * 72 / 300), round(500 * 72 / 300))
    assert not has_images


def test_run_ocr_timeout_is_a_processing_error(header_png: Path, tmp_path: Path) -> None:
    with pytest.raises(ProcessingError, match="took longer than") as caught:
        run_ocr(header_png, tmp_path / "out", "vie+eng", 300, timeout=0.05)
    assert isinstance(caught.value.__cause__, subprocess.TimeoutExpired)


@pytest.mark.ocr
def test_run_ocr_on_unreadable_image(tmp_path: Path) -> None:
    bad = tmp_path / "page.png"
    bad.write_bytes(b"not an image")
    with pytest.raises(ProcessingError, match=r"could not OCR page\.png"):
        run_ocr(bad, tmp_path / "out", "vie+eng", 300, TIMEOUT)


def test_run_ocr_with_missing_language(header_png: Path, tmp_path: Path) -> None:
    with pytest.raises(MissingDependencyError, match="tesseract-ocr-xyz"):
        run_ocr(header_png, tmp_path / "out", "vie+xyz", 300, TIMEOUT)


TSV = "\n".join(
    [
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext",
        "1\t1\t0\t0\t0\t0\t0\t0\t2480\t3508\t-1\t",
        "2\t1\t1\t0\t0\t0\t270\t265\t1860\t200\t-1\t",
        "3\t1\t1\t1\t0\t0\t270\t265\t1860\t200\t-1\t",
        "4\t1\t1\t1\t1\t0\t272\t265\t1042\t62\t-1\t",
        "5\t1\t1\t1\t1\t1\t272\t265\t73\t53\t96.5\tSố:",
        "5\t1\t1\t1\t1\t2\t364\t281\t112\t37\t90.5\t1524/QĐ-UBND",
        "5\t1\t1\t1\t1\t3\t500\t281\t10\t37\t95\t ",
        "4\t1\t1\t1\t2\t0\t272\t365\t1042\t62\t-1\t",
        "5\t1\t1\t1\t2\t1\t272\t365\t200\t53\t80\tHọ",
        "3\t1\t1\t2\t0\t0\t270\t465\t1860\t60\t-1\t",
        "4\t1\t1\t2\t1\t0\t272\t465\t1042\t62\t-1\t",
        # Decomposed "Ánh" (A + combining acute) comes back composed.
        "5\t1\t1\t2\t1\t1\t272\t465\t150\t53\t75\tA\u0301nh",
        "2\t1\t2\t0\t0\t0\t270\t900\t100\t60\t-1\t",
        "5\t1\t2\t1\t1\t1\t272\t900\t80\t53\t60\tKý",
    ]
)


def test_parse_tsv_text_and_words() -> None:
    result = parse_tsv(TSV)
    assert result.text == "Số: 1524/QĐ-UBND\nHọ\n\nÁnh\n\nKý"
    assert [w.text for w in result.words] == ["Số:", "1524/QĐ-UBND", "Họ", "Ánh", "Ký"]
    assert result.word_count == 5
    assert [w.line for w in result.words] == [0, 0, 1, 2, 3]
    assert [w.block for w in result.words] == [1, 1, 1, 1, 2]
    assert [w.paragraph for w in result.words] == [1, 1, 1, 2, 1]
    first = result.words[0]
    assert (first.left, first.top, first.width, first.height) == (272, 265, 73, 53)
    assert result.mean_confidence == pytest.approx((96.5 + 90.5 + 80 + 75 + 60) / 5)


def test_parse_tsv_from_a_file_and_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "ocr.tsv"
    path.write_text(TSV, encoding="utf-8")
    result = parse_tsv(path)
    assert result == parse_tsv(str(path)) == parse_tsv(TSV)
    assert type(result).from_dict(result.to_dict()) == result


def test_parse_empty_tsv() -> None:
    result = parse_tsv(TSV.splitlines()[0] + "\n")
    assert (result.text, result.words, result.word_count) == ("", (), 0)
    assert result.mean_confidence == 0.0
