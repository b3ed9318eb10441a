"""The tesseract engine against the real library and program, and TSV parsing."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from sohoa.core.errors import (
    ConfigurationError,
    MissingDependencyError,
    OcrTimeout,
    ProcessingError,
)
from sohoa.pipeline import tesseract
from sohoa.pipeline.cleanup import to_grayscale
from sohoa.pipeline.deskew import downscale
from sohoa.pipeline.ocr import Orientation, parse_tsv
from sohoa.pipeline.ocr_engine import close_engines, get_engine
from sohoa.pipeline.pages import turn_clockwise
from sohoa.pipeline.tesseract import (
    TesseractEngine,
    check_languages,
    detect_orientation,
    recognize,
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
def header() -> np.ndarray:
    """The first five lines of a page: quick to OCR."""
    return to_grayscale(render_page(0).image[200:700])


@pytest.fixture(scope="module")
def header_png(header: np.ndarray, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_png(header, tmp_path_factory.mktemp("header") / "header.png")


def test_version() -> None:
    version = tesseract_version()
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?", version)
    assert int(version.split(".")[0]) >= 4


def test_installed_languages_pass() -> None:
    check_languages("vie+eng")
    check_languages("osd")
    get_engine().check("vie+eng")


@pytest.mark.parametrize(
    ("languages", "package"),
    [("vie+xyz", "tesseract-ocr-xyz"), ("chi_sim", "tesseract-ocr-chi-sim")],
)
def test_missing_language_names_its_package(languages: str, package: str) -> None:
    with pytest.raises(MissingDependencyError, match=f"apt-get install {package}") as caught:
        check_languages(languages)
    assert "is not installed" in caught.value.message


def test_missing_program(no_tesseract: None, header: np.ndarray) -> None:
    with pytest.raises(MissingDependencyError, match="apt-get install tesseract-ocr") as caught:
        tesseract_version()
    assert isinstance(caught.value.__cause__, FileNotFoundError)
    with pytest.raises(MissingDependencyError):
        recognize(header, "vie", 300, TIMEOUT)


def test_engine_by_name() -> None:
    assert isinstance(get_engine("tesseract"), TesseractEngine)
    with pytest.raises(ConfigurationError, match="choose one of: tesseract"):
        get_engine("abbyy")


@pytest.mark.parametrize("turned", [0, 90, 180, 270])
@pytest.mark.ocr
def test_osd_on_a_downscaled_page(turned: int) -> None:
    gray = downscale(to_grayscale(render_page(1).image), 1750)
    orientation = detect_orientation(turn_clockwise(gray, turned), TIMEOUT, dpi=150)
    assert orientation.rotate_degrees == (360 - turned) % 360
    assert orientation.confidence > 2


@pytest.mark.ocr
def test_osd_on_a_blank_page_is_no_error(caplog: pytest.LogCaptureFixture) -> None:
    """OSD finds too few characters: no orientation, and no error."""
    caplog.set_level(logging.DEBUG, logger=tesseract.__name__)
    image = blank_page(100)[..., 0]
    assert get_engine().detect_orientation(image, 100, TIMEOUT) == Orientation(0, 0.0)
    [record] = [r for r in caplog.records if r.name == tesseract.__name__]
    assert record.levelno == logging.DEBUG and "too few characters" in record.getMessage()


@pytest.mark.ocr
def test_recognize_gives_vietnamese_words_with_boxes(header: np.ndarray) -> None:
    result = get_engine().recognize(header, "vie+eng", 300, TIMEOUT)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in result.text
    assert "Độc lập - Tự do - Hạnh phúc" in result.text
    height, width = header.shape
    assert all(w.left >= 0 and w.left + w.width <= width for w in result.words)
    assert all(w.top >= 0 and w.top + w.height <= height for w in result.words)
    assert result.mean_confidence > 80


@pytest.mark.ocr
def test_recognize_reads_as_the_tesseract_program_does(
    header: np.ndarray, header_png: Path
) -> None:
    """The library in the reader process gives the program's words, boxes and confidences."""
    program = subprocess.run(
        ["tesseract", str(header_png), "-", "--dpi", "300", "-l", "vie+eng", "tsv"],
        capture_output=True,
        check=True,
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
    )
    assert recognize(header, "vie+eng", 300, TIMEOUT) == parse_tsv(program.stdout.decode())


def _reader_cpu_ticks() -> dict[int, int]:
    """This process's reader processes, with the CPU ticks each has used."""
    readers = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
        except OSError:  # ended meanwhile
            continue
        if int(fields[1]) == os.getpid() and tesseract.READER_MODULE.encode() in command:
            readers[int(stat.parent.name)] = int(fields[11]) + int(fields[12])
    return readers


def test_reads_one_after_another_share_one_reader(header: np.ndarray) -> None:
    """The reader process, with its models loaded, serves the next page too."""
    recognize(header[:60], "vie+eng", 300, TIMEOUT)
    before = set(_reader_cpu_ticks())
    recognize(header[:60], "vie+eng", 300, TIMEOUT)
    get_engine().detect_orientation(header[:60], 300, TIMEOUT)
    assert len(before) >= 1 and set(_reader_cpu_ticks()) == before


def test_blank_page_has_no_words() -> None:
    assert recognize(blank_page(100)[..., 0], "vie+eng", 100, TIMEOUT).words == ()


def test_an_image_too_large_for_tesseract_has_no_words(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=tesseract.__name__)
    strip = np.full((1, 33_000), 255, dtype=np.uint8)
    assert recognize(strip, "vie+eng", 300, TIMEOUT).words == ()
    assert "too large for Tesseract (33000x1 px)" in caplog.text


def test_ocr_timeout_is_retryable_and_the_next_page_is_read(header: np.ndarray) -> None:
    with pytest.raises(OcrTimeout, match="took longer than") as caught:
        recognize(header, "vie+eng", 300, timeout=0.05)
    assert caught.value.retryable
    assert isinstance(caught.value.__cause__, TimeoutError)
    assert "Độc lập" in recognize(header, "vie+eng", 300, TIMEOUT).text


def _crash_the_reader_once_busy() -> None:
    idle = _reader_cpu_ticks()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(0.1)
        busy = [pid for pid, ticks in _reader_cpu_ticks().items() if ticks > idle.get(pid, 0)]
        if busy:
            os.kill(busy[0], signal.SIGSEGV)
            return


@pytest.mark.ocr
def test_a_crash_in_tesseract_fails_only_that_page(header: np.ndarray) -> None:
    """A reader that dies mid-page is a ProcessingError for that page, and is replaced."""
    recognize(header[:60], "vie+eng", 300, TIMEOUT)  # a reader, idle and loaded
    page = np.vstack([header] * 6)
    crasher = threading.Thread(target=_crash_the_reader_once_busy)
    crasher.start()
    with pytest.raises(ProcessingError, match=r"Tesseract stopped .* \(signal 11\)"):
        recognize(page, "vie+eng", 300, TIMEOUT)
    crasher.join()
    assert "Độc lập" in recognize(header, "vie+eng", 300, TIMEOUT).text


def test_ocr_with_missing_language(header: np.ndarray) -> None:
    with pytest.raises(MissingDependencyError, match="tesseract-ocr-xyz"):
        recognize(header, "vie+xyz", 300, TIMEOUT)


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


@pytest.mark.ocr
def test_closing_the_engines_ends_every_reader_busy_or_idle(header: np.ndarray) -> None:
    """What ``sohoa``'s commands do on the way out, however they end."""
    recognize(header[:60], "vie+eng", 300, TIMEOUT)  # one reader, idle
    failed: list[BaseException] = []

    def read_a_long_page() -> None:
        try:
            recognize(np.vstack([header] * 6), "vie+eng", 300, TIMEOUT)
        except ProcessingError as exc:
            failed.append(exc)

    busy = threading.Thread(target=read_a_long_page)
    busy.start()
    time.sleep(0.5)  # well into the page
    close_engines()
    busy.join()

    assert _reader_cpu_ticks() == {}
    assert len(failed) == 1
    assert "Độc lập" in recognize(header, "vie+eng", 300, TIMEOUT).text  # a new reader
