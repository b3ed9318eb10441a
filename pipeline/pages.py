"""One page from rasterized image to upright page image, QR payloads and
OCR word boxes. The flow calls ``process_page`` once per page;
only that page is held in memory.

Files written to ``out_dir`` (fixed names, so tasks pass paths only): the
faithful page, turned upright and deskewed, in the nature of the scan
(``page.tif``, CCITT Group 4, for a bilevel scan, which stays bilevel;
``page.jpg`` at ``PageOptions.jpeg_quality`` for gray, which stays gray, and
for colour) and ``ocr.json`` (words with boxes in the page
image's pixels, and confidences; the searchable PDF's text layer is drawn
from them).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from sohoa.core.errors import ProcessingError
from sohoa.pipeline.affine import IDENTITY, Matrix, multiply, quarter_turn
from sohoa.pipeline.candidates import word_score
from sohoa.pipeline.cleanup import is_blank, overview, prepare_for_ocr, to_grayscale
from sohoa.pipeline.deskew import rotate_bound, rotation_bound
from sohoa.pipeline.dropout import drop_colour, has_coloured_background
from sohoa.pipeline.ocr import EMPTY_RESULT, OcrResult
from sohoa.pipeline.ocr_engine import get_engine
from sohoa.pipeline.orientation import detect_geometry
from sohoa.pipeline.qr import decode_qr_codes
from sohoa.pipeline.rasterize import black_and_white, scan_copy
from sohoa.pipeline.scale import TextScale, measure_text, rescale

log = logging.getLogger(__name__)

PAGE_IMAGE = "page.jpg"
BILEVEL_PAGE_IMAGE = "page.tif"
OCR_JSON = "ocr.json"
# Pages whose mean word confidence is below this get a second look (the
# plain image, the other scale, one block) and the best reading is kept. On
# sroie-dev receipts the pages read badly (CER > 0.25) had 30-66, most others
# 70-90; at 78 (18 of 40 receipts looked at again) word recall went from
# 0.741 to 0.767 for 1.6 times the time on them; at 70 (8 of 40), 0.750.
WEAK_CONFIDENCE = 78.0
# A coloured page's gray copy read at least this confidently is kept without
# reading its colour dropout too. Of the 20 generated cards, the gray copy of
# one flat scan read this well (90.7), and it beat the dropout there (CER
# 0.023 against 0.164); the dropout won only on cards whose gray copy read
# at 50-89.9.
SURE_CONFIDENCE = 90.0
ONE_BLOCK_SUFFIX = "-block"  # a reading of a copy as one block: "cleaned-block"
# A second look at a page read at its own size tries it this much larger
# when its glyphs are smaller than SECOND_LOOK_MAX_GLYPH_PX.
SECOND_LOOK_UPSCALE = 1.5
SECOND_LOOK_MAX_GLYPH_PX = 30.0
_GRAY_MODES = frozenset({"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"})


@dataclass(frozen=True, slots=True)
class PageOptions:
    """How to process pages; the same for every page of a batch."""

    languages: str = "vie+eng"
    dpi: int = 300
    ocr_timeout: float = 300.0
    jpeg_quality: int = 85


@dataclass(frozen=True, slots=True)
class ProcessedPage:
    """What ``process_page`` made of one page; paths point into ``out_dir``.

    ``rotation_degrees`` is the clockwise quarter turn applied, and
    ``orientation_evidence`` what decided it; ``skew_degrees`` the measured
    counter-clockwise skew, undone when ``skew_corrected``; width and height
    are those of the page image, ``dpi`` its resolution (measured from the text
    when the stated one is far off). ``ocr_scale`` is the factor the OCR
    copy was resized by, ``ocr_variant`` which copy was kept ("cleaned",
    "dropout" or "plain", "-block" added when read as one block), and
    ``second_look`` the alternatives read because the first reading was weak
    (empty when it was not). ``kept_scan`` is the bilevel
    scan's own image stream, when the rasterizer kept it (``rasterize.scan_copy``),
    and ``raster_to_page`` where the turn and deskew took each raster pixel:
    the searchable PDF draws those bytes there instead of the page image.
    """

    image_path: Path
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
    orientation_evidence: str = ""
    ocr_scale: float = 1.0
    ocr_variant: str = "cleaned"
    second_look: tuple[str, ...] = ()
    kept_scan: Path | None = None
    raster_to_page: Matrix = IDENTITY

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: paths as strings, tuples as lists."""
        data = asdict(self)
        for name in ("image_path", "ocr_json_path"):
            data[name] = str(data[name])
        data["qr_payloads"] = list(self.qr_payloads)
        data["second_look"] = list(self.second_look)
        data["kept_scan"] = str(self.kept_scan) if self.kept_scan else None
        data["raster_to_page"] = list(self.raster_to_page)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProcessedPage:
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        for name in ("image_path", "ocr_json_path"):
            values[name] = Path(values[name])
        values["qr_payloads"] = tuple(values["qr_payloads"])
        values["second_look"] = tuple(values.get("second_look", ()))
        if values.get("kept_scan"):
            values["kept_scan"] = Path(values["kept_scan"])
        if "raster_to_page" in values:
            values["raster_to_page"] = tuple(values["raster_to_page"])
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


def is_bilevel(page: np.ndarray) -> bool:
    """True for a gray page whose every pixel is black or white (a 1-bit scan)."""
    return page.ndim == 2 and not np.any((page != 0) & (page != 255))


def _save_page_image(
    page: np.ndarray, out_dir: Path, dpi: int, options: PageOptions, bilevel: bool
) -> Path:
    """The page image with its DPI (see the module's docstring)."""
    image = Image.fromarray(page)
    if bilevel:
        page_image = out_dir / BILEVEL_PAGE_IMAGE
        # Thresholded again: deskewing interpolates the edges of the glyphs.
        black_and_white(image, "1").save(page_image, "TIFF", compression="group4", dpi=(dpi, dpi))
    else:
        page_image = out_dir / PAGE_IMAGE
        image.save(page_image, "JPEG", quality=options.jpeg_quality, dpi=(dpi, dpi))
    return page_image


@dataclass(frozen=True, slots=True)
class _Reading:
    """One OCR run of one copy of the page: its words in page-image pixels."""

    variant: str
    scale: float
    result: OcrResult

    @property
    def score(self) -> float:
        return word_score(self.result)


def _in_page_pixels(result: OcrResult, scale: float) -> OcrResult:
    """Word boxes of an OCR copy resized by ``scale``, mapped back to the page."""
    if scale == 1.0:
        return result
    words = tuple(
        replace(
            word,
            left=round(word.left / scale),
            top=round(word.top / scale),
            width=round(word.width / scale),
            height=round(word.height / scale),
        )
        for word in result.words
    )
    return replace(result, words=words)


def _ocr(
    copy: np.ndarray, variant: str, scale: float, options: PageOptions, one_block: bool = False
) -> _Reading:
    """OCRs one copy of the page (``scale`` times the page's size) once;
    ``one_block`` reads it as one block of text, without layout analysis."""
    # The stated DPI times the scale: on sroie-dev that read at CER 0.156,
    # against 0.165 when every rescaled copy was said to be 300 DPI.
    copy_dpi = max(1, round(options.dpi * scale))
    result = get_engine().recognize(
        copy, options.languages, copy_dpi, options.ocr_timeout, one_block=one_block
    )
    name = f"{variant}{ONE_BLOCK_SUFFIX}" if one_block else variant
    return _Reading(name, scale, _in_page_pixels(result, scale))


def _other_scale(scale: float, glyph_px: float) -> float | None:
    """The scale the second look tries: native when the copy was resized,
    else half again for smallish text."""
    if scale != 1.0:
        return 1.0
    return SECOND_LOOK_UPSCALE if 0 < glyph_px < SECOND_LOOK_MAX_GLYPH_PX else None


def _read(
    gray: np.ndarray,
    dropped: np.ndarray | None,
    text: TextScale,
    options: PageOptions,
) -> tuple[_Reading, tuple[str, ...]]:
    """OCR of the cleaned copy at the scale the text asks for; on a coloured
    page it read less than surely (SURE_CONFIDENCE), of the colour dropout
    (``dropped``) too, keeping the better; on a weak reading, the plain
    copy, the other scale and the same copy read as one block too, keeping
    the best. Receipts and slips are one column whose lines Tesseract's
    layout analysis breaks apart at dashed rules and wide gaps; read as one
    block, sroie-dev's weak receipts kept more of their words.

    Returns:
        The kept reading and the alternatives tried on a weak one
        ("plain@1", "cleaned@1.5", "cleaned-block@1", ...).
    """
    scale = text.ocr_factor()
    copies = {"cleaned": prepare_for_ocr(gray)}
    readings = [_ocr(rescale(copies["cleaned"], scale), "cleaned", scale, options)]
    # Neither copy wins on every card: the dropout reads phone photos of
    # pastel guilloche cleanly where the gray copy keeps the pattern, and
    # loses thin strokes of flat scans whose gray copy is already clean.
    if dropped is not None and readings[0].result.mean_confidence < SURE_CONFIDENCE:
        copies["dropout"] = dropped
        readings.append(_ocr(rescale(dropped, scale), "dropout", scale, options))
    first = max(readings, key=lambda r: r.score)
    tried: list[str] = []
    if first.result.mean_confidence < WEAK_CONFIDENCE:
        alternatives = [("plain", gray, scale)]
        other = _other_scale(scale, text.glyph_px)
        if other is not None:
            alternatives.append((first.variant, copies[first.variant], other))
        for name, copy, factor in alternatives:
            readings.append(_ocr(rescale(copy, factor), name, factor, options))
            tried.append(f"{name}@{factor:g}")
        block = _ocr(rescale(copies[first.variant], scale), first.variant, scale, options, True)
        readings.append(block)
        tried.append(f"{block.variant}@{scale:g}")
    return max(readings, key=lambda r: r.score), tuple(tried)


@dataclass(frozen=True, slots=True)
class _Straightened:
    page: np.ndarray
    gray: np.ndarray
    rotation: int
    skew_degrees: float
    skew_corrected: bool
    evidence: str
    raster_to_page: Matrix = IDENTITY  # where each raster pixel went (edges, y down)


def _deskew_matrix(width: int, height: int, angle: float) -> Matrix:
    """``rotate_bound``'s map in pixel-edge coordinates (OpenCV's are pixel centres)."""
    cv, _, _ = rotation_bound(width, height, angle)
    centred: Matrix = (cv[0, 0], cv[1, 0], cv[0, 1], cv[1, 1], cv[0, 2], cv[1, 2])
    to_centres: Matrix = (1.0, 0.0, 0.0, 1.0, -0.5, -0.5)
    to_edges: Matrix = (1.0, 0.0, 0.0, 1.0, 0.5, 0.5)
    return multiply(multiply(to_centres, centred), to_edges)


def _straighten(
    page: np.ndarray,
    gray: np.ndarray,
    ink: np.ndarray,
    glyph_px: float,
    options: PageOptions,
    dpi: int,
    timer: _StageTimer,
) -> _Straightened:
    """Turns the page upright and deskews it when the estimate, made on
    ``ink`` (the gray page, or its colour dropout), is sure and the skew
    moves the text lines by enough to matter (``glyph_px``: the measured
    glyph height, 0 when unknown)."""
    with timer("orientation+skew"):
        geometry = detect_geometry(ink, options.ocr_timeout, dpi, options.languages)
    rotation = geometry.orientation.rotate_degrees
    skew = geometry.skew
    upright_width = page.shape[0] if rotation % 180 else page.shape[1]
    # The glyphs of a page lying on its side were measured sideways: no drift test.
    upright_glyph_px = 0.0 if rotation % 180 else glyph_px
    deskew = skew.worth_correcting and skew.shifts_lines(upright_width, upright_glyph_px)
    if not rotation and not deskew:
        return _Straightened(page, gray, 0, skew.angle_degrees, False, geometry.evidence)
    with timer("rotate"):
        raster_to_page = quarter_turn(rotation, page.shape[1], page.shape[0])
        page = turn_clockwise(page, rotation)
        if deskew:
            height, width = page.shape[:2]
            deskewed = _deskew_matrix(width, height, -skew.angle_degrees)
            raster_to_page = multiply(raster_to_page, deskewed)
            page = rotate_bound(page, -skew.angle_degrees)
        gray = to_grayscale(page)
    return _Straightened(
        page, gray, rotation, skew.angle_degrees, deskew, geometry.evidence, raster_to_page
    )


def process_page(image_path: Path, out_dir: Path, options: PageOptions) -> ProcessedPage:
    """Turns one rasterized page into its stored artifacts.

    Steps: grayscale; blank test (blank pages are kept, flagged and not
    OCRed); on a coloured page, its colour dropout (the ink the next three
    steps look at); the page's resolution from its text; orientation; skew,
    corrected only when the estimate is sure and it moves the text lines by
    half a glyph or more; the same turns applied to the
    faithful image, written with its DPI as a bilevel, gray or colour scan
    it is (see the module's docstring);
    QR codes; the OCR engine on a cleaned-up copy (and the dropout, the
    better kept) scaled to the size it reads best, with a second look at
    weak readings (see ``_read``); ocr.json.

    Raises:
        ProcessingError: unreadable image, or Tesseract failed or timed out.
        MissingDependencyError: Tesseract or a language pack is missing.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    timer = _StageTimer()
    with timer("load"):
        page = load_page_image(image_path)
        bilevel = is_bilevel(page)
        gray = to_grayscale(page)
    with timer("blank"):
        small = overview(gray)
        blank = is_blank(small)
    qr_overview: np.ndarray | None = small
    dpi = options.dpi
    text = TextScale(0.0, 0)
    rotation, skew_degrees, skew_corrected, evidence = 0, 0.0, False, ""
    raster_to_page = IDENTITY
    dropped: np.ndarray | None = None
    if not blank:
        with timer("cleanup"):
            # On a coloured page the text is measured and its lines found on
            # the ink alone: a guilloche pattern breaks into blobs smaller
            # than any glyph (phone photos of ID cards measured 6-7 px
            # "glyphs", a third of their text) and hides the lines' skew.
            dropped = drop_colour(page) if has_coloured_background(page) else None
        ink = gray if dropped is None else dropped
        with timer("scale"):
            text = measure_text(ink)
            dpi = text.page_dpi(options.dpi)
        straight = _straighten(page, gray, ink, text.glyph_px, options, dpi, timer)
        if straight.gray is not gray:
            qr_overview = None  # turned: the QR search makes its own overview
            if dropped is not None:
                with timer("cleanup"):
                    dropped = drop_colour(straight.page)
        page, gray = straight.page, straight.gray
        rotation, skew_degrees = straight.rotation, straight.skew_degrees
        skew_corrected, evidence = straight.skew_corrected, straight.evidence
        raster_to_page = straight.raster_to_page
        del straight, ink
        if rotation % 180:
            with timer("scale"):  # the glyphs were measured lying on their side
                text = measure_text(gray if dropped is None else dropped)
                dpi = text.page_dpi(options.dpi)
    height, width = page.shape[:2]
    with timer("jpeg"):
        page_image = _save_page_image(page, out_dir, dpi, options, bilevel)
    kept_scan: Path | None = scan_copy(image_path)
    if not (bilevel and kept_scan and kept_scan.is_file()):
        kept_scan = None
    del page
    reading: _Reading | None = None
    tried: tuple[str, ...] = ()
    qr_payloads: tuple[str, ...] = ()
    if not blank:
        with timer("qr"):
            qr_payloads = decode_qr_codes(gray, qr_overview)
        with timer("ocr"):
            reading, tried = _read(gray, dropped, text, options)
        del gray, dropped
    ocr = reading.result if reading else EMPTY_RESULT
    ocr_json = out_dir / OCR_JSON
    document = {"width": width, "height": height, "dpi": dpi, **ocr.to_dict()}
    ocr_json.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    log.debug(
        "page %s: %s",
        image_path.name,
        ", ".join(f"{stage} {seconds:.3f}s" for stage, seconds in timer.seconds.items()),
    )
    return ProcessedPage(
        image_path=page_image,
        ocr_json_path=ocr_json,
        width=width,
        height=height,
        dpi=dpi,
        rotation_degrees=rotation,
        skew_degrees=skew_degrees,
        skew_corrected=skew_corrected,
        blank=blank,
        ocr_confidence=round(ocr.mean_confidence, 2),
        word_count=ocr.word_count,
        text=ocr.text,
        qr_payloads=qr_payloads,
        orientation_evidence=evidence,
        ocr_scale=reading.scale if reading else 1.0,
        ocr_variant=reading.variant if reading else "cleaned",
        second_look=tried,
        kept_scan=kept_scan,
        raster_to_page=raster_to_page,
    )
