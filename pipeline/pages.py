"""One page from rasterized image to upright JPEG, thumbnail, QR payloads
and OCR (word boxes). The flow calls ``process_page`` once per page; only
that page is held in memory.

Files written to ``out_dir`` (fixed names, so tasks pass paths only):
``page.jpg`` (the faithful page, turned upright and deskewed), ``thumb.jpg``
and ``ocr.json`` (words with boxes in page.jpg's pixels, and confidences).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from sohoa.core.errors import ProcessingError
from sohoa.pipeline.cleanup import is_blank, overview, prepare_for_ocr, to_grayscale
from sohoa.pipeline.deskew import rotate_bound
from sohoa.pipeline.ocr import EMPTY_RESULT, OcrResult
from sohoa.pipeline.ocr_engine import get_engine
from sohoa.pipeline.orientation import detect_geometry
from sohoa.pipeline.qr import decode_qr_codes

log = logging.getLogger(__name__)

PAGE_IMAGE = "page.jpg"
THUMBNAIL = "thumb.jpg"
OCR_JSON = "ocr.json"
THUMBNAIL_QUALITY = 80
_GRAY_MODES = frozenset({"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"})


@dataclass(frozen=True, slots=True)
class PageOptions:
    """How to process pages; the same for every page of a batch."""

    languages: str = "vie+eng"
    dpi: int = 300
    ocr_timeout: float = 300.0
    jpeg_quality: int = 85
    thumbnail_px: int = 256


@dataclass(frozen=True, slots=True)
class ProcessedPage:
    """What ``process_page`` made of one page; paths point into ``out_dir``.

    ``rotation_degrees`` is the clockwise quarter turn applied;
    ``skew_degrees`` the measured counter-clockwise skew, undone when
    ``skew_corrected``; width and height are those of page.jpg.
    """

    image_path: Path
    thumbnail_path: Path
    ocr_json_path: Path
    width: int
    height: int
    dpi: int
    rotation_degrees: int
    skew_degrees: float
    skew_corrected: bool
    blank: bool
    ocr_confidence: float
    word_count: int
    text: str
    qr_payloads: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: paths as strings, tuples as lists."""
        data = asdict(self)
        for name in ("image_path", "thumbnail_path", "ocr_json_path"):
            data[name] = str(data[name])
        data["qr_payloads"] = list(self.qr_payloads)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProcessedPage:
        values = {f.name: data[f.name] for f in fields(cls)}
        for name in ("image_path", "thumbnail_path", "ocr_json_path"):
            values[name] = Path(values[name])
        values["qr_payloads"] = tuple(values["qr_payloads"])
        return cls(**values)


class _StageTimer:
    """Wall-clock seconds per stage, logged at DEBUG level."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - start


def load_page_image(image_path: Path) -> np.ndarray:
    """The page as uint8 RGB, or 8-bit grayscale when the scan is gray or
    bilevel; EXIF orientation applied, transparency laid on white."""
    try:
        with Image.open(image_path) as image:
            ImageOps.exif_transpose(image, in_place=True)  # no copy of an upright page
            if image.mode in _GRAY_MODES:
                return to_grayscale(np.asarray(image.convert("L") if image.mode == "LA" else image))
            if image.mode == "RGB":
                return np.asarray(image)
            rgba = image.convert("RGBA")
        on_white = Image.new("RGB", rgba.size, "white")
        on_white.paste(rgba, mask=rgba.getchannel("A"))
        return np.asarray(on_white)
    except (UnidentifiedImageError, OSError) as exc:
        raise ProcessingError(f"Cannot read page image {image_path.name}: {exc}") from exc


_QUARTER_TURNS = {
    90: cv2.ROTATE_90_CLOCKWISE,
    180: cv2.ROTATE_180,
    270: cv2.ROTATE_90_COUNTERCLOCKWISE,
}


def turn_clockwise(image: np.ndarray, degrees: int) -> np.ndarray:
    """Turns an image clockwise by a multiple of 90 degrees (exact, no resampling)."""
    degrees %= 360
    if degrees == 0:
        return image
    if degrees not in _QUARTER_TURNS:
        raise ValueError(f"not a quarter turn: {degrees}")
    return cv2.rotate(image, _QUARTER_TURNS[degrees])


def _save_jpegs(page: np.ndarray, out_dir: Path, options: PageOptions) -> None:
    """page.jpg with its DPI, and thumb.jpg, from one PIL copy of the page."""
    image = Image.fromarray(page)
    image.save(out_dir / PAGE_IMAGE, "JPEG", quality=options.jpeg_quality, dpi=(options.dpi,) * 2)
    size = (options.thumbnail_px, options.thumbnail_px)
    image.thumbnail(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    image.save(out_dir / THUMBNAIL, "JPEG", quality=THUMBNAIL_QUALITY)


def _ocr(ocr_copy: np.ndarray, options: PageOptions) -> OcrResult:
    """OCRs the cleaned-up copy once."""
    engine = get_engine()
    return engine.recognize(ocr_copy, options.languages, options.dpi, options.ocr_timeout)


@dataclass(frozen=True, slots=True)
class _Straightened:
    page: np.ndarray
    gray: np.ndarray
    rotation: int
    skew_degrees: float
    skew_corrected: bool


def _straighten(
    page: np.ndarray, gray: np.ndarray, options: PageOptions, timer: _StageTimer
) -> _Straightened:
    """Turns the page upright and deskews it when the estimate is sure."""
    with timer("orientation+skew"):
        geometry = detect_geometry(gray, options.ocr_timeout, options.dpi)
    rotation = geometry.orientation.rotate_degrees
    skew = geometry.skew
    if not rotation and not skew.worth_correcting:
        return _Straightened(page, gray, 0, skew.angle_degrees, False)
    with timer("rotate"):
        page = turn_clockwise(page, rotation)
        if skew.worth_correcting:
            page = rotate_bound(page, -skew.angle_degrees)
        gray = to_grayscale(page)
    return _Straightened(page, gray, rotation, skew.angle_degrees, skew.worth_correcting)


def process_page(image_path: Path, out_dir: Path, options: PageOptions) -> ProcessedPage:
    """Turns one rasterized page into its stored artifacts.

    Steps: grayscale; blank test (blank pages are kept, flagged and not
    OCRed); orientation; skew, corrected only when the estimate is sure;
    the same turns applied to the faithful colour image, written as JPEG
    with its DPI plus a thumbnail; QR codes; one Tesseract run on a
    cleaned-up copy giving word boxes; ocr.json.

    Raises:
        ProcessingError: unreadable image, or Tesseract failed or timed out.
        MissingDependencyError: Tesseract or a language pack is missing.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    timer = _StageTimer()
    with timer("load"):
        page = load_page_image(image_path)
        gray = to_grayscale(page)
    with timer("blank"):
        small = overview(gray)
        blank = is_blank(small)
    qr_overview: np.ndarray | None = small
    rotation, skew_degrees, skew_corrected = 0, 0.0, False
    if not blank:
        straight = _straighten(page, gray, options, timer)
        if straight.gray is not gray:
            qr_overview = None  # turned: the QR search makes its own overview
        page, gray = straight.page, straight.gray
        rotation, skew_degrees = straight.rotation, straight.skew_degrees
        skew_corrected = straight.skew_corrected
        del straight
    height, width = page.shape[:2]
    with timer("jpeg"):
        _save_jpegs(page, out_dir, options)
    del page
    ocr = EMPTY_RESULT
    qr_payloads: tuple[str, ...] = ()
    if not blank:
        with timer("qr"):
            qr_payloads = decode_qr_codes(gray, qr_overview)
        with timer("cleanup"):
            ocr_copy = prepare_for_ocr(gray)
        del gray
        with timer("ocr"):
            ocr = _ocr(ocr_copy, options)
        del ocr_copy
    ocr_json = out_dir / OCR_JSON
    document = {"width": width, "height": height, "dpi": options.dpi, **ocr.to_dict()}
    ocr_json.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    log.debug(
        "page %s: %s",
        image_path.name,
        ", ".join(f"{stage} {seconds:.3f}s" for stage, seconds in timer.seconds.items()),
    )
    return ProcessedPage(
        image_path=out_dir / PAGE_IMAGE,
        thumbnail_path=out_dir / THUMBNAIL,
        ocr_json_path=ocr_json,
        width=width,
        height=height,
        dpi=options.dpi,
        rotation_degrees=rotation,
        skew_degrees=skew_degrees,
        skew_corrected=skew_corrected,
        blank=blank,
        ocr_confidence=round(ocr.mean_confidence, 2),
        word_count=ocr.word_count,
        text=ocr.text,
        qr_payloads=qr_payloads,
    )
