"""The one wrapper around poppler-utils: pages rendered through ``pdf2image``
(pdftocairo), and pdfinfo, pdfimages and pdftotext through the one subprocess
helper (``sohoa.pipeline.external``).

Every call runs with a timeout and turns a failure into a typed error raised
``from`` its cause; no other module runs these programs or reads their
output. Pages are numbered from 1, as poppler does.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pdf2image
import pdf2image.exceptions as pdf2image_errors
from PIL import Image

from sohoa.core.errors import (
    MissingDependencyError,
    PdfPasswordRequired,
    PopplerError,
    PopplerTimeout,
)
from sohoa.pipeline.external import check_exit, run_program, stderr_tail

__all__ = ["PdfPasswordRequired", "PopplerError", "PopplerTimeout"]  # re-exported

INSTALL_HINT = "apt-get install poppler-utils"
PROBE_TIMEOUT = 30.0
_VERSION = re.compile(r"version\s+(\d+(?:\.\d+)+)")
_PAGE_SIZE = re.compile(r"([\d.]+)\s+x\s+([\d.]+)\s+pts")


@dataclass(frozen=True, slots=True)
class PdfInfo:
    """What ``pdfinfo`` says about a PDF.

    ``encrypted`` is also true for PDFs that only carry an owner password
    (permissions); those open and render normally.
    """

    pages: int
    encrypted: bool
    page_width_pt: float
    page_height_pt: float
    pdf_version: str
    producer: str


@dataclass(frozen=True, slots=True)
class PdfImage:
    """One row of ``pdfimages -list``: an image drawn on a page."""

    page: int
    number: int
    type: str  # "image", "mask", "smask" or "stencil"
    width: int
    height: int
    color: str  # "gray", "rgb", "cmyk", "index", "icc", "lab", "sep", ...
    components: int
    bits_per_component: int
    encoding: str  # "jpeg", "image" (flate etc.), "ccitt", "jbig2", "jpx"
    x_ppi: float
    y_ppi: float


def _run(program: str, args: list[str | os.PathLike[str]], timeout: float) -> str:
    """Run one poppler program and return its stdout; raise typed errors."""
    completed = run_program(
        [program, *args], timeout=timeout, install_hint=INSTALL_HINT, timeout_error=PopplerTimeout
    )
    if completed.returncode != 0 and b"Incorrect password" in completed.stderr:
        cause = subprocess.CalledProcessError(completed.returncode, completed.args)
        raise PdfPasswordRequired(
            f"{program}: the PDF needs a password to open: {args[-1]}"
        ) from cause
    check_exit(completed, f"{program} on {args[-1]}", PopplerError)
    return completed.stdout.decode("utf-8", "replace")


@cache
def poppler_version() -> str:
    """The installed poppler version, e.g. "22.12.0"; checked once per process.

    Raises:
        MissingDependencyError: pdftocairo is missing or does not say its version.
    """
    completed = run_program(["pdftocairo", "-v"], timeout=PROBE_TIMEOUT, install_hint=INSTALL_HINT)
    output = (completed.stderr + completed.stdout).decode("utf-8", "replace")
    match = _VERSION.search(output)
    if match is None:
        raise MissingDependencyError(f"Cannot read the poppler version: {output!r}: {INSTALL_HINT}")
    return match.group(1)


def pdf_info(path: Path, timeout: float) -> PdfInfo:
    """Page count, encryption and first-page size of a PDF, via ``pdfinfo``.

    Raises:
        PdfPasswordRequired: the PDF needs a user password.
        PopplerError: poppler cannot read the file.
    """
    fields: dict[str, str] = {}
    for line in _run("pdfinfo", [path], timeout).splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    size = _PAGE_SIZE.search(fields.get("Page size", ""))
    try:
        pages = int(fields["Pages"])
    except (KeyError, ValueError) as exc:
        raise PopplerError(f"pdfinfo gave no page count for {path}") from exc
    return PdfInfo(
        pages=pages,
        encrypted=fields.get("Encrypted", "no").startswith("yes"),
        page_width_pt=float(size.group(1)) if size else 0.0,
        page_height_pt=float(size.group(2)) if size else 0.0,
        pdf_version=fields.get("PDF version", ""),
        producer=fields.get("Producer", ""),
    )


def _partial_prefix(out: Path) -> Path:
    """Where a program writes before the result is renamed into place."""
    return out.with_name(f".{out.stem}.{os.getpid()}-{threading.get_ident()}.partial")


def render_pdf_page(
    pdf: Path, page_number: int, dpi: int, out: Path, timeout: float, *, gray: bool = False
) -> Path:
    """Render one page (1-based) of a PDF at ``dpi`` through ``pdf2image``, as an
    uncompressed PGM (``gray``: 8-bit grayscale, for pages whose content is
    grayscale) or PPM.

    Only that page is rendered, so memory does not grow with the page count;
    pdf2image writes it to a file (``paths_only``) and never decodes it. The
    crop box (what viewers show) is rendered. The image appears at ``out``
    only once complete, whatever ``out``'s suffix.

    PGM/PPM keeps pdf2image on pdftoppm, the renderer sohoa used before it;
    asking it for TIFF switches it to pdftocairo, whose anti-aliasing changed
    6-10 characters of OCR on each of OCRmyPDF's real scans (CER 0.0094-0.0105
    against 0.0094-0.0101, no direction) for 0.05-0.14 s less per A4 page at
    300 DPI. pdf2image also runs pdfinfo on every call, without a timeout.

    Raises:
        PdfPasswordRequired: the PDF needs a user password.
        PopplerTimeout: rendering ran past ``timeout``.
        PopplerError: poppler cannot read the file or wrote no image.
    """
    prefix = _partial_prefix(out)
    partial = prefix.with_name(prefix.name + (".pgm" if gray else ".ppm"))
    try:
        # paths_only gives paths (typed as images); the timeout goes to
        # Popen.communicate, which takes float seconds (typed as int).
        written: Sequence[object] = pdf2image.convert_from_path(
            pdf, dpi=dpi, first_page=page_number, last_page=page_number, fmt="ppm",
            output_folder=prefix.parent, output_file=prefix.name, single_file=True,
            paths_only=True, use_cropbox=True, grayscale=gray, timeout=timeout,  # type: ignore[arg-type]
        )  # fmt: skip
        if [Path(str(path)) for path in written] != [partial]:
            raise PopplerError(f"pdftoppm wrote no image for page {page_number} of {pdf}")
        return partial.replace(out)
    except pdf2image_errors.PDFPopplerTimeoutError as exc:
        raise PopplerTimeout(
            f"Rendering page {page_number} of {pdf.name} took longer than {timeout:g} s; "
            "try again when the machine is less busy."
        ) from exc
    except pdf2image_errors.PDFInfoNotInstalledError as exc:
        raise MissingDependencyError(f"pdfinfo is not installed: {INSTALL_HINT}") from exc
    except pdf2image_errors.PDFPageCountError as exc:
        if "Incorrect password" in str(exc):
            raise PdfPasswordRequired(f"The PDF needs a password to open: {pdf}") from exc
        raise PopplerError(f"poppler cannot read {pdf.name}: {stderr_tail(str(exc))}") from exc
    finally:
        partial.unlink(missing_ok=True)


def save_scratch_page(image: Image.Image, out: Path, dpi: int) -> Path:
    """Write ``image`` as an uncompressed TIFF recording ``dpi``; it appears at
    ``out`` only once complete, whatever ``out``'s suffix (name it ``.tif``).

    Scratch pages are read once or twice and then deleted: any compression
    costs more time than the disk space is worth (PNG at zlib level 1 took
    some 15 times longer to write, and 8 times longer to read).
    """
    prefix = _partial_prefix(out)
    partial = prefix.with_name(prefix.name + ".tif")
    try:
        image.save(partial, format="TIFF", dpi=(dpi, dpi), compression="raw")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return partial.replace(out)


def list_page_images(pdf: Path, page_number: int, timeout: float) -> list[PdfImage]:
    """The images drawn on one page (1-based), as ``pdfimages -list`` reports them."""
    output = _run(
        "pdfimages", ["-list", "-f", str(page_number), "-l", str(page_number), pdf], timeout
    )
    images = []
    for line in output.splitlines()[2:]:  # two header lines
        cols = line.split()
        if len(cols) < 14:
            continue
        try:
            images.append(
                PdfImage(
                    page=int(cols[0]),
                    number=int(cols[1]),
                    type=cols[2],
                    width=int(cols[3]),
                    height=int(cols[4]),
                    color=cols[5],
                    components=int(cols[6]),
                    bits_per_component=int(cols[7]),
                    encoding=cols[8],
                    x_ppi=float(cols[12]),
                    y_ppi=float(cols[13]),
                )
            )
        except ValueError as exc:
            raise PopplerError(f"Unexpected pdfimages -list line for {pdf}: {line!r}") from exc
    return images


def extract_page_image(pdf: Path, page_number: int, out_stem: Path, timeout: float) -> Path:
    """Write the (first) image of one page (1-based) at its native pixel size.

    pdfimages writes a JPEG as stored (``-j``) and any other image as raw
    PBM/PGM/PPM, decoded by poppler; the returned file is ``out_stem`` with
    that suffix, and the caller removes it.
    """
    prefix = _partial_prefix(out_stem)
    pages = ["-f", str(page_number), "-l", str(page_number)]
    try:
        _run("pdfimages", [*pages, "-j", pdf, prefix], timeout)
    except BaseException:
        for partial in prefix.parent.glob(prefix.name + "-*"):
            partial.unlink(missing_ok=True)
        raise
    written = sorted(prefix.parent.glob(prefix.name + "-*"))
    for extra in written[1:]:
        extra.unlink()
    if not written:
        raise PopplerError(f"pdfimages wrote no image for page {page_number} of {pdf}")
    return written[0].replace(out_stem.with_suffix(written[0].suffix))


def pdf_text(pdf: Path, timeout: float, *, layout: bool = False) -> str:
    """The text layer of a PDF as ``pdftotext`` extracts it (pages end with form feeds)."""
    args: list[str | os.PathLike[str]] = ["-enc", "UTF-8"]
    if layout:
        args.append("-layout")
    return _run("pdftotext", [*args, pdf, "-"], timeout)


@dataclass(frozen=True, slots=True)
class PdfWord:
    """A word of a PDF's text layer with its box in points from the top left."""

    page: int
    text: str
    x_min: float
    y_min: float
    x_max: float
    y_max: float


_NUMBER = r"(-?[\d.]+)"
_BBOX_TAG = re.compile(
    rf'<(page)\b|<word xMin="{_NUMBER}" yMin="{_NUMBER}" xMax="{_NUMBER}" yMax="{_NUMBER}">'
    r"([^<]*)</word>"
)


def pdf_words(pdf: Path, timeout: float) -> list[PdfWord]:
    """Every word of the text layer with its position, via ``pdftotext -bbox``."""
    output = _run("pdftotext", ["-enc", "UTF-8", "-bbox", pdf, "-"], timeout)
    words, page = [], 0
    for match in _BBOX_TAG.finditer(output):
        if match.group(1):
            page += 1
            continue
        x_min, y_min, x_max, y_max = (float(match.group(i)) for i in range(2, 6))
        text = html.unescape(match.group(6))
        words.append(PdfWord(page, text, x_min, y_min, x_max, y_max))
    return words
