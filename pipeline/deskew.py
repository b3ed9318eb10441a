"""Skew estimation and rotation.

Angles follow OpenCV: a positive angle is counter-clockwise as the page is
seen on screen. ``estimate_skew`` returns how far the text lines are turned
counter-clockwise, so ``rotate_bound(image, -estimate.angle_degrees)`` makes
them level.

The estimate is a projection profile over the ink pixels of a downscaled,
binarized copy: for each candidate angle the ink is projected onto the
page's vertical axis, and the angle whose profile has the sharpest steps
(Postl's sum of squared differences) is the one along the text lines. A
coarse search over ±20° is refined twice; no image is rotated while
searching, only point coordinates, so a 300-DPI A4 page takes some 50 ms.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MAX_SKEW_DEGREES = 20.0
# The estimate works on a copy whose longer side is about this long.
ESTIMATE_LONG_SIDE = 1200
# Below this many ink pixels there is no text to go by.
MIN_INK_POINTS = 300
# Correct only estimates at least this sure and turned at least this far:
# Tesseract copes with a fraction of a degree, while each rotation resamples
# the page, and a wrong one makes OCR worse.
MIN_CONFIDENCE = 0.8
MIN_CORRECTION_DEGREES = 0.2
# Tesseract fits each line's baseline itself: a skew that moves the end of a
# line (at most the page's width) by less than half a glyph height reads as
# well left alone. On sroie-dev receipts, deskews below that (0.2-0.5° on
# 600-950-px-wide receipts) read worse on four pages (CER 0.148 -> 0.445,
# 0.092 -> 0.128, 0.391 -> 0.468, 0.086 -> 0.098) and the same on two; those
# above it (0.52-0.63 glyph: 0.38° on 9-px text, 0.36° on a 600-dpi page)
# read better on three (0.449 -> 0.337, 0.065 -> 0.027, 0.100 -> 0.080).
MIN_LINE_DRIFT_GLYPHS = 0.5
# Coarse-to-fine search: (half-width, step) in degrees around the best so far.
_REFINEMENTS = ((0.5, 0.1), (0.1, 0.02))
_COARSE_STEP = 0.5
# The coarse search looks at a sample of the ink, the refinements at all of it.
_COARSE_POINTS = 8000
# Confidence compares the best angle with angles this far off.
_CONFIDENCE_OFFSETS = (-15.0, -10.0, -6.0, -3.0, 3.0, 6.0, 10.0, 15.0)


@dataclass(frozen=True, slots=True)
class SkewEstimate:
    """How far the text lines are turned, counter-clockwise positive.

    Attributes:
        angle_degrees: in [-20, 20]; 0 when nothing could be measured.
        confidence: 0-1; how much sharper the profile is at the best angle
            than at a typical angle. Text pages score above 0.9.
    """

    angle_degrees: float
    confidence: float

    @property
    def worth_correcting(self) -> bool:
        return (
            self.confidence >= MIN_CONFIDENCE and abs(self.angle_degrees) >= MIN_CORRECTION_DEGREES
        )

    def shifts_lines(self, line_px: float, glyph_px: float) -> bool:
        """Whether the skew moves the end of a ``line_px`` long text line by
        at least ``MIN_LINE_DRIFT_GLYPHS`` glyph heights (True when the glyph
        height is unknown)."""
        if glyph_px <= 0:
            return True
        drift = line_px * np.tan(np.deg2rad(abs(self.angle_degrees)))
        return bool(drift >= MIN_LINE_DRIFT_GLYPHS * glyph_px)


@dataclass(frozen=True, slots=True)
class InkPoints:
    """Coordinates of text-like ink pixels of a downscaled page.

    Attributes:
        xs, ys: pixel coordinates in the downscaled image.
        width, height: size of the downscaled image.
    """

    xs: np.ndarray
    ys: np.ndarray
    width: int
    height: int

    def __len__(self) -> int:
        return int(self.xs.size)

    def sample(self, count: int) -> InkPoints:
        """About ``count`` of the points, evenly strided."""
        stride = max(1, len(self) // count)
        return InkPoints(self.xs[::stride], self.ys[::stride], self.width, self.height)

    def turned_clockwise(self, degrees: int) -> InkPoints:
        """The same points as they lie after turning the page clockwise."""
        xs, ys, w, h = self.xs, self.ys, self.width, self.height
        match degrees % 360:
            case 0:
                return self
            case 90:
                return InkPoints(h - 1 - ys, xs, h, w)
            case 180:
                return InkPoints(w - 1 - xs, h - 1 - ys, w, h)
            case 270:
                return InkPoints(ys, w - 1 - xs, h, w)
        raise ValueError(f"not a quarter turn: {degrees}")


def downscale(gray: np.ndarray, long_side: int) -> np.ndarray:
    """Area-averaged copy whose longer side is at most ``long_side``."""
    scale = long_side / max(gray.shape[:2])
    if scale >= 1.0:
        return gray
    return cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


def ink_points(gray: np.ndarray, long_side: int = ESTIMATE_LONG_SIDE) -> InkPoints:
    """Ink pixels that belong to character-sized blobs.

    Otsu binarization of a downscaled copy, then connected components: dots
    of noise and large blobs (dark scanner edges, photos, long rules) are
    dropped, so what is left is mostly text.
    """
    small = downscale(gray, long_side)
    height, width = small.shape[:2]
    _, ink = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    keep = (
        (stats[:, cv2.CC_STAT_AREA] >= 2)
        & (stats[:, cv2.CC_STAT_HEIGHT] <= 0.08 * max(height, width))
        & (stats[:, cv2.CC_STAT_WIDTH] <= 0.5 * width)
    )
    keep[0] = False  # the background
    ys, xs = np.nonzero(keep[labels])
    return InkPoints(xs.astype(np.float32), ys.astype(np.float32), width, height)


def row_profile(points: InkPoints, angle_degrees: float) -> np.ndarray:
    """Ink per row after turning the points clockwise by ``angle_degrees``,
    i.e. after undoing a counter-clockwise skew of that angle."""
    angle = np.deg2rad(angle_degrees)
    rows = points.ys * np.cos(angle) + points.xs * np.sin(angle)
    return np.bincount((rows - rows.min()).astype(np.intp)).astype(np.float64)


def _sharpness(points: InkPoints, angle_degrees: float) -> float:
    steps = np.diff(row_profile(points, angle_degrees))
    return float(steps @ steps)


def _search(points: InkPoints, center: float, half_width: float, step: float) -> np.ndarray:
    angles = np.arange(center - half_width, center + half_width + step / 2, step)
    return np.array([(a, _sharpness(points, a)) for a in angles])


@dataclass(frozen=True, slots=True)
class LineFit:
    """The direction along which the ink lines up best.

    Attributes:
        angle_degrees: counter-clockwise angle of the lines.
        sharpness: profile sharpness at that angle; comparable between fits
            of the same points (e.g. turned by 90°).
        confidence: 0-1; 1 - (median sharpness 3-15° off) / best sharpness.
    """

    angle_degrees: float
    sharpness: float
    confidence: float


def fit_lines(points: InkPoints, max_degrees: float = MAX_SKEW_DEGREES) -> LineFit:
    """Coarse-to-fine search for the text-line angle within ±``max_degrees``.

    The coarse search runs on a sample of the points, the refinements and
    the confidence on all of them.
    """
    if len(points) < MIN_INK_POINTS:
        return LineFit(0.0, 0.0, 0.0)
    coarse = _search(points.sample(_COARSE_POINTS), 0.0, max_degrees, _COARSE_STEP)
    best = coarse[coarse[:, 1].argmax()]
    for half_width, step in _REFINEMENTS:
        fine = _search(points, float(best[0]), half_width, step)
        best = fine[fine[:, 1].argmax()]
    angle, peak = float(best[0]), float(best[1])
    if peak <= 0:
        return LineFit(0.0, 0.0, 0.0)
    elsewhere = [_sharpness(points, angle + offset) for offset in _CONFIDENCE_OFFSETS]
    confidence = max(0.0, 1.0 - float(np.median(elsewhere)) / peak)
    return LineFit(float(np.clip(angle, -max_degrees, max_degrees)), peak, confidence)


def estimate_skew(gray: np.ndarray) -> SkewEstimate:
    """Estimates the skew of text lines on an upright page within ±20°.

    Args:
        gray: grayscale page, dark ink on light paper.

    Returns:
        The counter-clockwise skew and a 0-1 confidence; (0, 0) for pages
        without enough text.
    """
    fit = fit_lines(ink_points(gray))
    return SkewEstimate(round(fit.angle_degrees, 2), round(fit.confidence, 3))


def rotation_bound(width: int, height: int, angle: float) -> tuple[np.ndarray, int, int]:
    """The 2×3 map (OpenCV's, y down) that turns a ``width`` × ``height`` image
    counter-clockwise by ``angle`` degrees onto a canvas large enough to hold
    all of it, and that canvas's width and height."""
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_width = round(height * sin + width * cos)
    new_height = round(height * cos + width * sin)
    matrix[0, 2] += new_width / 2 - width / 2
    matrix[1, 2] += new_height / 2 - height / 2
    return matrix, new_width, new_height


def rotate_bound(image: np.ndarray, angle: float) -> np.ndarray:
    """Rotates counter-clockwise by ``angle`` degrees onto a canvas large
    enough to hold the whole page (no cropping); new corners are white."""
    height, width = image.shape[:2]
    matrix, new_width, new_height = rotation_bound(width, height, angle)
    white = (255,) * (image.shape[2] if image.ndim == 3 else 1)
    return cv2.warpAffine(
        image,
        matrix,
        (new_width, new_height),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=white,
    )
