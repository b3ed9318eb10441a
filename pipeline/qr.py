"""QR codes on a page (receipts, e-documents and ID cards carry them).

Searching a whole 300-DPI page with OpenCV's detectors costs 1-4 s (and
``cv2.QRCodeDetector`` far more on some noisy scans), while a downscaled
page loses small codes. So codes are first located cheaply on a downscaled
copy, as square, densely inked blobs of at least 8 mm; only those regions
are then searched and decoded at full resolution. Both detectors find
codes at any rotation, so sideways or skewed pages need no turning.
A page without such blobs costs some 30 ms.
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np

from sohoa.pipeline.cleanup import overview, to_grayscale
from sohoa.pipeline.deskew import downscale

A4_LONG_SIDE_MM = 297.0
MIN_CODE_MM = 8.0
MAX_CODE_MM = 120.0
MAX_ASPECT = 1.6  # a code turned by up to 45° still has a square-ish box
MIN_INK_SHARE = 0.2
CROP_MARGIN = 0.2
CROP_MAX_SIDE = 1500


def _binarize(gray: np.ndarray) -> np.ndarray:
    """Median-denoised Otsu binarization; ink is 0, paper 255."""
    return cv2.threshold(cv2.medianBlur(gray, 3), 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1]


def _candidate_regions(gray: np.ndarray, small: np.ndarray) -> Iterator[tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1) in page pixels that may hold a QR code, found
    on ``small``, the page's overview.

    Sizes in mm assume the page's longer side is an A4 length; a smaller
    page only makes the limits looser.
    """
    scale = small.shape[0] / gray.shape[0]
    ink = (_binarize(small) == 0).astype(np.uint8)
    merged = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    _, _, stats, _ = cv2.connectedComponentsWithStats(merged, connectivity=8)
    px_per_mm = max(small.shape) / A4_LONG_SIDE_MM
    for x, y, w, h, _ in stats[1:]:
        short, long = min(w, h), max(w, h)
        if short < MIN_CODE_MM * px_per_mm or long > MAX_CODE_MM * px_per_mm:
            continue
        if long > MAX_ASPECT * short or ink[y : y + h, x : x + w].mean() < MIN_INK_SHARE:
            continue
        margin = CROP_MARGIN * long
        yield (
            max(0, int((x - margin) / scale)),
            max(0, int((y - margin) / scale)),
            min(gray.shape[1], int((x + w + margin) / scale)),
            min(gray.shape[0], int((y + h + margin) / scale)),
        )


def _cleaner_versions(crop: np.ndarray) -> Iterator[np.ndarray]:
    """The crop, then binarized, then enlarged and binarized: each only made
    when the one before did not decode."""
    yield crop
    yield _binarize(crop)
    yield _binarize(cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC))


def _decode_region(crop: np.ndarray) -> list[str]:
    """Decodes the codes in a small region of the page."""
    for version in _cleaner_versions(crop):
        found, payloads, _, _ = cv2.QRCodeDetectorAruco().detectAndDecodeMulti(version)
        decoded = [str(p) for p in payloads if p] if found else []
        if not decoded:
            payload = cv2.QRCodeDetector().detectAndDecode(version)[0]
            decoded = [str(payload)] if payload else []
        if decoded:
            return decoded
    return []


def decode_qr_codes(image: np.ndarray, page_overview: np.ndarray | None = None) -> tuple[str, ...]:
    """The payloads of the QR codes on a page, in the order found, without
    duplicates; empty when there are none.

    Args:
        image: grayscale or RGB page at scan resolution (modules of 3 px
            and more, i.e. 0.25 mm at 300 DPI).
        page_overview: ``cleanup.overview`` of the grayscale page, if
            already made; made here otherwise.
    """
    gray = to_grayscale(image)
    small = overview(gray) if page_overview is None else page_overview
    payloads: list[str] = []
    for x0, y0, x1, y1 in _candidate_regions(gray, small):
        crop = downscale(np.ascontiguousarray(gray[y0:y1, x0:x1]), CROP_MAX_SIDE)
        for payload in _decode_region(crop):
            if payload not in payloads:
                payloads.append(payload)
    return tuple(payloads)
