"""Tesseract, the first OCR engine behind ``sohoa.pipeline.ocr_engine.OcrEngine``:
version and language checks, orientation detection (OSD) and OCR to word
boxes. No other module runs the ``tesseract`` program.

OSD and OCR go through ``pytesseract``, always with a timeout, the languages
and ``--dpi``, and with ``OMP_THREAD_LIMIT=1``: sohoa runs one page per
worker process, and Tesseract's own OpenMP threads would only compete with
the other workers for the same cores. The version and language probes go
through the one subprocess helper (pytesseract's have no timeout).

pytesseract writes its output to a temporary file and reads it back, and
only shows stderr when tesseract fails; a page image given as an array is
written here as uncompressed TIFF. pytesseract would write PNG, some ten
times slower to encode and to decode; Leptonica reads PGM byte by byte,
which cost 0.18 CPU s more than the same A4 page at 300 DPI as TIFF.

Threading: the functions are safe to call from several processes or
threads at once; the version and language lists are cached per process.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import pytesseract

from sohoa.core.errors import MachineFault, MissingDependencyError, OcrTimeout, ProcessingError
from sohoa.pipeline.external import (
    KnownMessage,
    known_message,
    log_messages,
    run_program,
    stderr_tail,
)
from sohoa.pipeline.ocr import UNKNOWN_ORIENTATION, OcrResult, Orientation, parse_tsv

log = logging.getLogger(__name__)

TESSERACT = "tesseract"
MIN_MAJOR_VERSION = 4  # the LSTM engine
PROBE_TIMEOUT = 30.0
INSTALL_HINT = "apt-get install tesseract-ocr"
# OSD gives up on pages with fewer characters than this (Tesseract's default is 50).
OSD_MIN_CHARACTERS = 20

# Tesseract messages that need no action (after OCRmyPDF's _exec/tesseract.py).
# ``no_text``: the page is kept without text (flagged for review by its zero
# confidence) instead of failing the dossier.
TESSERACT_MESSAGES = (
    KnownMessage("Too few characters", logging.DEBUG, no_text=True),  # OSD: too little text
    KnownMessage("Empty page", logging.INFO, no_text=True),
    KnownMessage("Image too large", logging.WARNING, no_text=True),  # beyond Leptonica's limit
    KnownMessage("diacritics", logging.DEBUG),  # "Detected 12 diacritics": usual for Vietnamese
    KnownMessage("Invalid resolution", logging.DEBUG),
    KnownMessage("Estimating resolution", logging.DEBUG),
    KnownMessage("Weak margin", logging.INFO),  # OSD unsure
    KnownMessage("Error during processing", logging.DEBUG),  # follows the messages above
)


@lru_cache(maxsize=1)
def tesseract_version() -> str:
    """The installed Tesseract version, e.g. "5.3.0"; checked once per process.

    Raises:
        MissingDependencyError: tesseract is absent or older than 4.
    """
    result = run_program([TESSERACT, "--version"], timeout=PROBE_TIMEOUT, install_hint=INSTALL_HINT)
    output = (result.stdout + result.stderr).decode("utf-8", "replace")
    match = re.search(r"tesseract\s+v?(\d+)\.(\d+)\.?(\d*)", output)
    if result.returncode != 0 or match is None:
        raise MissingDependencyError(
            f"Could not read the Tesseract version ({output.strip()[:200]!r}): {INSTALL_HINT}"
        )
    version = ".".join(g for g in match.groups() if g)
    if int(match.group(1)) < MIN_MAJOR_VERSION:
        raise MissingDependencyError(
            f"Tesseract {version} is too old; sohoa needs {MIN_MAJOR_VERSION} or newer: "
            f"{INSTALL_HINT}"
        )
    return version


@lru_cache(maxsize=1)
def installed_languages() -> frozenset[str]:
    """Language packs Tesseract can load (including "osd" when installed)."""
    tesseract_version()
    result = run_program(
        [TESSERACT, "--list-langs"], timeout=PROBE_TIMEOUT, install_hint=INSTALL_HINT
    )
    if result.returncode != 0:
        raise MissingDependencyError(
            f"Tesseract could not list its languages ({stderr_tail(result.stderr)}): {INSTALL_HINT}"
        )
    lines = result.stdout.decode("utf-8", "replace").splitlines()
    return frozenset(line.strip() for line in lines[1:] if line.strip())


def _language_package(language: str) -> str:
    return "tesseract-ocr-" + language.lower().replace("_", "-")


def check_languages(languages: str) -> None:
    """Checks that every pack in a "vie+eng"-style list is installed.

    Raises:
        MissingDependencyError: naming the first missing pack and its package.
    """
    installed = installed_languages()
    for language in languages.split("+"):
        if not language:
            continue
        if language not in installed:
            raise MissingDependencyError(
                f"Tesseract language {language!r} is not installed: "
                f"apt-get install {_language_package(language)}"
            )


_UNCOMPRESSED_TIFF = [cv2.IMWRITE_TIFF_COMPRESSION, 1]


@contextmanager
def _as_tiff(image: np.ndarray) -> Iterator[Path]:
    """``image`` as an uncompressed TIFF file that lives for the ``with`` block."""
    with tempfile.TemporaryDirectory(prefix="sohoa-ocr-") as folder:
        path = Path(folder) / "page.tif"
        if not cv2.imwrite(str(path), image, _UNCOMPRESSED_TIFF):
            raise MachineFault(f"Cannot write {path} for Tesseract; check free disk space.")
        yield path


def _call(what: str, timeout: float, run: Callable[[float], str]) -> str | None:
    """Runs one pytesseract call with sohoa's settings and typed errors.

    Returns:
        Tesseract's output, or None when it said the page has no text.
    """
    pytesseract.pytesseract.tesseract_cmd = TESSERACT
    # pytesseract passes os.environ to tesseract; sohoa's workers run one page each.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        return run(timeout)
    except pytesseract.TesseractNotFoundError as exc:
        raise MissingDependencyError(
            f"Tesseract is not installed or not on PATH: {INSTALL_HINT}"
        ) from exc
    except pytesseract.TesseractError as exc:
        message = str(exc.message)
        known = known_message(message, TESSERACT_MESSAGES)
        if known is not None and known.no_text:
            log.log(known.level, "Tesseract %s found no text: %s", what, message)
            return None
        log_messages(log, TESSERACT, message, TESSERACT_MESSAGES)
        raise ProcessingError(
            f"Tesseract could not {what} (exit {exc.status}): {message[-600:]}"
        ) from exc
    except RuntimeError as exc:  # pytesseract's timeout
        if "timeout" not in str(exc):
            raise
        raise OcrTimeout(
            f"Tesseract {what} took longer than {timeout:g} s and was stopped; "
            "check the page image or raise the OCR timeout."
        ) from exc


def _parse_osd(text: str) -> Orientation:
    fields = dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in text.splitlines())
        if value
    )
    try:
        return Orientation(int(fields["Rotate"]) % 360, float(fields["Orientation confidence"]))
    except (KeyError, ValueError) as exc:
        raise ProcessingError(f"Unexpected Tesseract OSD output: {text.strip()[:200]!r}") from exc


def detect_orientation(image: np.ndarray, timeout: float, dpi: int = 150) -> Orientation:
    """Tesseract OSD (``--psm 0``) on an in-memory image.

    Pass a downscaled, binarized copy: OSD cost grows with the pixel count and
    it needs only some 20 lines of text at 100-150 DPI.

    Args:
        image: grayscale or binary uint8 image (2-D).
        timeout: seconds before tesseract is stopped.
        dpi: resolution of ``image``, so Tesseract need not guess it.

    Returns:
        The rotation; ``Orientation(0, 0.0)`` when the page has too little
        text for OSD to decide.
    """
    check_languages("osd")
    config = f"--dpi {dpi} -c min_characters_to_try={OSD_MIN_CHARACTERS}"
    with _as_tiff(image) as path:
        output = _call(
            "detect the page orientation",
            timeout,
            lambda seconds: pytesseract.image_to_osd(str(path), config=config, timeout=seconds),
        )
    return UNKNOWN_ORIENTATION if output is None else _parse_osd(output)


# Page segmentation modes: the full layout analysis, or the page as one block
# of text (a better judge of which way up a receipt is; see orientation.py).
PSM_AUTO = 3
PSM_ONE_BLOCK = 6


def ocr_tsv(
    image_path: Path, languages: str, dpi: int, timeout: float, one_block: bool = False
) -> str:
    """Tesseract's TSV (words with boxes and confidences) for one page image file.

    Args:
        image_path: any format Leptonica reads (uncompressed TIFF reads fastest).
        languages: e.g. "vie+eng".
        dpi: resolution of the image.
        timeout: seconds before tesseract is stopped.
        one_block: read the image as one block of text, without layout analysis.

    Returns:
        The TSV text; only its header when Tesseract found no text.

    Raises:
        MissingDependencyError: tesseract or a language pack is missing.
        OcrTimeout: tesseract ran past ``timeout``.
        ProcessingError: tesseract failed.
    """
    check_languages(languages)
    config = f"--dpi {dpi}" + (f" --psm {PSM_ONE_BLOCK}" if one_block else "")
    output = _call(
        f"OCR {image_path.name}",
        timeout,
        lambda seconds: pytesseract.image_to_data(
            str(image_path), lang=languages, config=config, timeout=seconds
        ),
    )
    return output or ""


def recognize(
    image: np.ndarray, languages: str, dpi: int, timeout: float, one_block: bool = False
) -> OcrResult:
    """The words of an upright page image (see ``ocr_tsv``)."""
    with _as_tiff(image) as path:
        return parse_tsv(ocr_tsv(path, languages, dpi, timeout, one_block))


class TesseractEngine:
    """Tesseract as an ``OcrEngine``; stateless, safe from any thread or process."""

    name = "tesseract"

    def check(self, languages: str) -> None:
        check_languages(languages)

    def detect_orientation(self, image: np.ndarray, dpi: int, timeout: float) -> Orientation:
        return detect_orientation(image, timeout, dpi=dpi)

    def recognize(
        self,
        image: np.ndarray,
        languages: str,
        dpi: int,
        timeout: float,
        one_block: bool = False,
    ) -> OcrResult:
        return recognize(image, languages, dpi, timeout, one_block)
