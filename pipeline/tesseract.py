"""The one wrapper around the ``tesseract`` program: version and language
checks, orientation detection (OSD) and OCR. No other module runs it.

Every call has a timeout and runs with ``OMP_THREAD_LIMIT=1``: sohoa runs
one page per worker process, and Tesseract's own OpenMP threads would only
compete with the other workers for the same cores.

Threading: the functions are safe to call from several processes or
threads at once; the version and language lists are cached per process.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from sohoa.core.errors import MissingDependencyError, ProcessingError

TESSERACT = "tesseract"
MIN_MAJOR_VERSION = 4  # textonly_pdf and the LSTM engine
PROBE_TIMEOUT = 30.0
INSTALL_HINT = "apt-get install tesseract-ocr"
# OSD gives up on pages with fewer characters than this (Tesseract's default is 50).
OSD_MIN_CHARACTERS = 20


@dataclass(frozen=True, slots=True)
class Orientation:
    """How to turn a page upright.

    Attributes:
        rotate_degrees: clockwise rotation (0, 90, 180 or 270) that makes the
            page upright.
        confidence: how sure the detector is; 0 means "no idea" (blank page).
    """

    rotate_degrees: int
    confidence: float


@dataclass(frozen=True, slots=True)
class OcrOutput:
    """Files written by one OCR run."""

    text_pdf: Path
    tsv: Path


def _child_env() -> dict[str, str]:
    return {**os.environ, "OMP_THREAD_LIMIT": "1"}


def _run(
    args: list[str], timeout: float, what: str, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Runs tesseract; a missing binary or a timeout becomes a typed error."""
    try:
        return subprocess.run(
            [TESSERACT, *args],
            input=stdin,
            capture_output=True,
            timeout=timeout,
            env=_child_env(),
            check=False,
        )
    except FileNotFoundError as exc:
        raise MissingDependencyError(
            f"Tesseract is not installed or not on PATH: {INSTALL_HINT}"
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise ProcessingError(
            f"Tesseract {what} took longer than {timeout:g} s and was stopped; "
            "check the page image or raise the OCR timeout."
        ) from exc


def _stderr_tail(result: subprocess.CompletedProcess[bytes], lines: int = 5) -> str:
    text = result.stderr.decode("utf-8", "replace").strip()
    return " | ".join(text.splitlines()[-lines:])


@lru_cache(maxsize=1)
def tesseract_version() -> str:
    """The installed Tesseract version, e.g. "5.3.0"; checked once per process.

    Raises:
        MissingDependencyError: tesseract is absent or older than 4.
    """
    result = _run(["--version"], PROBE_TIMEOUT, "version check")
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
    result = _run(["--list-langs"], PROBE_TIMEOUT, "language listing")
    if result.returncode != 0:
        raise MissingDependencyError(
            f"Tesseract could not list its languages ({_stderr_tail(result)}): {INSTALL_HINT}"
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
    # Raw PGM: some ten times cheaper to encode than PNG, and to decode.
    ok, encoded = cv2.imencode(".pgm", image)
    if not ok:
        raise ProcessingError("Could not encode the page for orientation detection.")
    args = ["stdin", "stdout", "--psm", "0", "--dpi", str(dpi)]
    args += ["-c", f"min_characters_to_try={OSD_MIN_CHARACTERS}"]
    result = _run(args, timeout, "orientation detection", stdin=encoded.tobytes())
    if b"Too few characters" in result.stderr:
        return Orientation(0, 0.0)
    if result.returncode != 0:
        raise ProcessingError(f"Tesseract orientation detection failed: {_stderr_tail(result)}")
    return _parse_osd(result.stdout.decode("utf-8", "replace"))


def run_ocr(
    image_path: Path, output_base: Path, languages: str, dpi: int, timeout: float
) -> OcrOutput:
    """OCRs one page image once, writing a text-only PDF and a TSV.

    Args:
        image_path: the page image as tesseract should read it (any format
            Leptonica reads; uncompressed PNM or TIFF read fastest).
        output_base: path without suffix; ``<base>.pdf`` and ``<base>.tsv``
            are written.
        languages: e.g. "vie+eng".
        dpi: resolution of the image; sets the PDF page size.
        timeout: seconds before tesseract is stopped.

    Raises:
        MissingDependencyError: tesseract or a language pack is missing.
        ProcessingError: tesseract failed or timed out.
    """
    check_languages(languages)
    args = [str(image_path), str(output_base), "-l", languages, "--dpi", str(dpi)]
    args += ["-c", "textonly_pdf=1", "pdf", "tsv"]
    result = _run(args, timeout, f"OCR of {image_path.name}")
    output = OcrOutput(Path(f"{output_base}.pdf"), Path(f"{output_base}.tsv"))
    if result.returncode != 0 or not output.text_pdf.is_file() or not output.tsv.is_file():
        raise ProcessingError(
            f"Tesseract could not OCR {image_path.name} (exit {result.returncode}): "
            f"{_stderr_tail(result)}"
        )
    return output


def ocr_to_tsv(image: np.ndarray, languages: str, dpi: int, timeout: float, psm: int = 3) -> str:
    """OCRs an in-memory image to TSV text only (no PDF): for trying
    candidates (orientation, scale, cleanup) before the one real OCR run.

    Args:
        image: grayscale uint8 image (2-D).
        languages: e.g. "vie+eng".
        dpi: resolution of ``image``.
        timeout: seconds before tesseract is stopped.
        psm: Tesseract page segmentation mode.

    Raises:
        MissingDependencyError: tesseract or a language pack is missing.
        ProcessingError: tesseract failed or timed out.
    """
    check_languages(languages)
    ok, encoded = cv2.imencode(".pgm", image)
    if not ok:
        raise ProcessingError("Could not encode the page for OCR.")
    args = ["stdin", "stdout", "-l", languages, "--dpi", str(dpi), "--psm", str(psm), "tsv"]
    result = _run(args, timeout, "OCR", stdin=encoded.tobytes())
    if result.returncode != 0:
        raise ProcessingError(f"Tesseract OCR failed: {_stderr_tail(result)}")
    return result.stdout.decode("utf-8", "replace")
