"""Look at a file before any work: what it is, whether it can be digitized, its hash.

``inspect_file`` accepts PDF, TIFF (one page per frame), JPEG and PNG, judged by
their first bytes, never by the file name. Anything else raises
``RejectedInput`` with a code a machine can read and a message that tells the
person at the scanner what to do. Images are measured from their headers
before any pixel is decoded, so a decompression bomb is never expanded.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pikepdf
from PIL import Image, UnidentifiedImageError

from sohoa.core.errors import RejectCode, RejectedInput
from sohoa.pipeline import poppler

SourceKind = Literal["pdf", "tiff", "jpeg", "png"]
MEDIA_TYPES: dict[SourceKind, str] = {
    "pdf": "application/pdf",
    "tiff": "image/tiff",
    "jpeg": "image/jpeg",
    "png": "image/png",
}
_CHUNK = 1 << 20
_HEAD = 1024  # PDF allows junk before "%PDF-" within the first 1024 bytes
_PDF_TAIL = 4096  # where the final "%%EOF" of a complete PDF must be
_POINTS_PER_INCH = 72.0
_PIL_PIXELS = re.compile(r"\((\d+) pixels\)")
_REEXPORT = "Re-scan the document or export it again from the scanner software."
_BOMB = (
    RejectCode.DECOMPRESSION_BOMB,
    f"Such a file is broken or hostile and is not opened. {_REEXPORT}",
)

# Magic bytes of files people drop by mistake, to say what the file looks like.
_LOOKALIKES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (Word .docx, Excel .xlsx or a zipped folder)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Microsoft Office document (.doc/.xls)"),
    (b"{\\rtf", "an RTF text document"),
    (b"GIF8", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x00\x00\x00\x0cjP  ", "a JPEG 2000 image"),
)


@dataclass(frozen=True, slots=True)
class IntakeLimits:
    """What a file may weigh and measure to be accepted.

    Attributes:
        max_file_bytes: largest accepted file.
        max_page_pixels: most pixels in one page image (a PDF page at ``render_dpi``).
        min_image_side: smallest accepted width or height, in pixels.
        render_dpi: the DPI PDF pages will be rendered at.
        probe_timeout: seconds allowed to ``pdfinfo``.
    """

    max_file_bytes: int
    max_page_pixels: int
    min_image_side: int
    render_dpi: int = 300
    probe_timeout: float = 60.0


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file accepted for digitizing; ``sha256`` is its identity."""

    path: Path
    kind: SourceKind
    media_type: str
    size: int
    sha256: str
    page_count: int


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def inspect_file(path: Path, limits: IntakeLimits) -> SourceFile:
    """Identify a file, check it can be digitized and hash it.

    Raises:
        RejectedInput: with code ``empty``, ``too_large``, ``unsupported_type``,
            ``corrupt``, ``encrypted``, ``decompression_bomb`` or ``too_small``.
    """
    size = path.stat().st_size
    if size == 0:
        raise RejectedInput(
            RejectCode.EMPTY, f"{path.name} is empty (0 bytes): the scan or copy did not finish. "
            "Scan the document again."
        )  # fmt: skip
    if size > limits.max_file_bytes:
        raise RejectedInput(
            RejectCode.TOO_LARGE,
            f"{path.name} is {_megabytes(size)}, over the {_megabytes(limits.max_file_bytes)} "
            "limit. Split it into smaller files or scan at a lower resolution.",
        )
    with path.open("rb") as stream:
        head = stream.read(_HEAD)
    kind = sniff_kind(head)
    if kind is None:
        raise RejectedInput(
            RejectCode.UNSUPPORTED_TYPE,
            f"{path.name} is {describe_content(head)}, not a scan. "
            "Only PDF, TIFF, JPEG and PNG files can be digitized.",
        )
    pages = _check_pdf(path, size, limits) if kind == "pdf" else _check_image(path, kind, limits)
    return SourceFile(
        path=path,
        kind=kind,
        media_type=MEDIA_TYPES[kind],
        size=size,
        sha256=sha256_file(path),
        page_count=pages,
    )


def sniff_kind(head: bytes) -> SourceKind | None:
    """The accepted kind of a file from its first bytes, or None."""
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if b"%PDF-" in head:
        return "pdf"
    return None


def describe_content(head: bytes) -> str:
    """A short phrase for what an unsupported file looks like."""
    for magic, description in _LOOKALIKES:
        if head.startswith(magic):
            return description
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc"):
        return "a HEIC photo (export it as JPEG on the phone)"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "a WebP image"
    if head.startswith((b"II+\x00", b"MM\x00+")):
        return "a BigTIFF image (save it as ordinary TIFF or PDF)"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character may be cut at the end of the head.
        text = head[:-4].decode("utf-8", "replace") if len(head) > 4 else ""
    if text and "\ufffd" not in text and "\x00" not in text:
        lowered = text.lstrip().lower()
        if lowered.startswith(("<!doctype html", "<html")):
            return "a web page (HTML)"
        if lowered.startswith("<?xml") or lowered.startswith("<"):
            return "an XML/HTML text file"
        return "a plain text file"
    return "not a PDF or image file (unknown content)"


def _megabytes(size: int) -> str:
    if size < 1 << 20:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1 << 20):.1f} MB"


def _corrupt(path: Path, what: str) -> RejectedInput:
    return RejectedInput(RejectCode.CORRUPT, f"{path.name} is damaged: {what}. {_REEXPORT}")


def _check_pdf(path: Path, size: int, limits: IntakeLimits) -> int:
    """Open a PDF with pikepdf (damage vs password) and poppler; return its page count."""
    with path.open("rb") as stream:
        stream.seek(max(0, size - _PDF_TAIL))
        tail = stream.read()
    if b"%%EOF" not in tail:
        raise _corrupt(path, "the PDF is cut off before its end (incomplete copy or download)")
    try:
        with pikepdf.open(path) as pdf:
            page_count = len(pdf.pages)
            if page_count == 0:
                raise _corrupt(path, "the PDF has no pages")
            for number, page in enumerate(pdf.pages, start=1):
                _check_pdf_page(path, number, page, limits)
    except pikepdf.PasswordError as exc:
        raise RejectedInput(
            RejectCode.ENCRYPTED,
            f"{path.name} is protected by a password that is needed to open it. "
            "Save or scan it again without an opening password.",
        ) from exc
    except pikepdf.PdfError as exc:
        raise _corrupt(path, f"the PDF cannot be read ({exc})") from exc
    try:
        poppler.pdf_info(path, limits.probe_timeout)
    except poppler.PopplerTimeout:
        raise  # a busy machine, not a bad file: worth retrying
    except poppler.PopplerError as exc:
        raise _corrupt(path, "the PDF cannot be rendered") from exc
    return page_count


def _check_pdf_page(path: Path, number: int, page: pikepdf.Page, limits: IntakeLimits) -> None:
    """Reject a PDF page too big or too small to render at ``limits.render_dpi``."""
    try:
        box = page.cropbox
        width_pt, height_pt = abs(float(box[2] - box[0])), abs(float(box[3] - box[1]))
    except (TypeError, ValueError, IndexError, KeyError) as exc:
        raise _corrupt(path, f"page {number} has no valid size") from exc
    scale = limits.render_dpi / _POINTS_PER_INCH
    _check_pixels(
        f"Page {number} of {path.name}",
        (round(width_pt * scale), round(height_pt * scale)),
        limits,
        at=f" at {limits.render_dpi} dpi "
        f"({width_pt / _POINTS_PER_INCH * 2.54:.0f}×{height_pt / _POINTS_PER_INCH * 2.54:.0f} cm)",
        over=(RejectCode.TOO_LARGE, "Scan it in parts."),
    )


def _check_pixels(
    where: str,
    size: tuple[int, int],
    limits: IntakeLimits,
    *,
    at: str,
    over: tuple[RejectCode, str],
) -> None:
    """Reject a page over the pixel limit (with code and advice ``over``) or too small."""
    width, height = size
    if width * height > limits.max_page_pixels:
        code, advice = over
        raise RejectedInput(
            code,
            f"{where} is {width}×{height} pixels{at}, over the "
            f"{limits.max_page_pixels / 1e6:.0f} megapixel limit for one page. {advice}",
        )
    if min(width, height) < limits.min_image_side:
        raise RejectedInput(
            RejectCode.TOO_SMALL,
            f"{where} is only {width}×{height} pixels{at}, too small to read (at least "
            f"{limits.min_image_side} pixels a side). Scan the document at its real size "
            "and a normal resolution.",
        )


def _check_image(path: Path, kind: SourceKind, limits: IntakeLimits) -> int:
    """Measure every frame from its header, then decode it to find damage."""
    try:
        with warnings.catch_warnings():
            # Our own pixel limit decides; PIL's warning would only be noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                # Only TIFF frames are pages; a JPEG's extra frames (MPO) are previews.
                frames = getattr(image, "n_frames", 1) if kind == "tiff" else 1
                for index in range(frames):
                    image.seek(index)
                    where = f"Page {index + 1} of {path.name}" if frames > 1 else path.name
                    _check_pixels(where, image.size, limits, at="", over=_BOMB)
                for index in range(frames):
                    image.seek(index)
                    _decode_cheaply(image)
    except Image.DecompressionBombError as exc:
        # PIL refuses to open it at all (over twice Image.MAX_IMAGE_PIXELS).
        claimed = _PIL_PIXELS.search(str(exc))
        amount = f"{int(claimed.group(1)) / 1e6:.0f} megapixels" if claimed else "too many pixels"
        raise RejectedInput(
            _BOMB[0], f"{path.name} claims {amount}, more than can be opened safely. {_BOMB[1]}"
        ) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise _corrupt(path, f"the {kind.upper()} image cannot be read ({exc})") from exc
    return frames


def _decode_cheaply(image: Image.Image) -> None:
    """Decode all image data once to find truncation; JPEG at 1/8 scale."""
    if image.format == "JPEG":
        image.draft("L", (max(1, image.width // 8), max(1, image.height // 8)))
    image.load()
