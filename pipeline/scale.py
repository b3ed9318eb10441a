"""How large the text of a page is, and the scale at which Tesseract reads it best.

A file's DPI tag is often missing or wrong (phone photos, exports, JPEGs
that say 72 or nothing), so the page's own text is measured instead: the
median height of its character-sized ink blobs. That is between the
x-height and the capital height of the body text, whatever the tag says.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from sohoa.pipeline.deskew import downscale

# Glyphs are measured on a copy whose longer side is at most this.
MEASURE_LONG_SIDE = 2400
# Fewer character blobs than this: no text to measure (a faint dot-matrix
# receipt broke into 70 "glyphs" of 6 px, its dots; a 377x242 card has 118).
MIN_GLYPHS = 100
# Median glyph height of 12 pt body text, in inches, once the blur of
# anti-aliasing (about 2 px at any resolution) is taken off: generated
# letters measure 27.8 px at 300 DPI, 55.5 at 600, 12 at 100, 9 at 75.
BODY_GLYPH_INCHES = 0.086
ANTIALIAS_PX = 2.0
# Tesseract reads best with median glyphs this many pixels high; the OCR
# copy is rescaled only when its glyphs fall outside [MIN, MAX]. Measured
# on sroie-dev receipts: 2x took 10-14 px glyphs from CER 0.245 to 0.115,
# 0.457 to 0.351, 0.128 to 0.103 (2.8x made all three worse); 1.3-1.5x
# took 15-19 px glyphs from 0.127 to 0.07 and 0.182 to 0.038. Larger
# glyphs cost time and buy no accuracy, so they are shrunk to
# SHRUNK_GLYPH_PX: 24 generated pages at 300 DPI (29-31 px glyphs) read at
# CER 4.68% and 1.29 tesseract CPU s per page as they are, 4.27% and 1.15 s
# at 26 px (4.44%, 1.11 s at 24); the 8 sroie-dev receipts with glyphs of
# 30-50 px at 0.132 and 1.52 s as they are, 0.097-0.102 and 0.7-0.8 s at
# 24-27 px. A 600-DPI scan has 4x the pixels of 300 DPI.
TARGET_GLYPH_PX = 24.0
SHRUNK_GLYPH_PX = 26.0
MIN_GLYPH_PX = 20.0
MAX_GLYPH_PX = 27.0
MAX_UPSCALE = 2.0
# A measured resolution replaces the stated one only when it is below half
# of it (a low-resolution capture with a missing or default tag) or above
# three times it (large print alone says "more"). Receipt print is smaller
# than body text, so small receipts are recorded at 100-150 DPI: their
# PDF pages come out larger than the paper.
MIN_DPI_RATIO = 0.5
MAX_DPI_RATIO = 3.0


@dataclass(frozen=True, slots=True)
class TextScale:
    """The measured size of a page's text.

    Attributes:
        glyph_px: median height of character blobs in page pixels; 0 when
            the page has too little text to measure.
        glyphs: how many blobs were measured.
    """

    glyph_px: float
    glyphs: int

    @property
    def measured(self) -> bool:
        return self.glyphs >= MIN_GLYPHS and self.glyph_px > 0

    def ocr_factor(self) -> float:
        """Factor to resize the OCR copy by so its glyphs are in Tesseract's range."""
        if not self.measured or MIN_GLYPH_PX <= self.glyph_px <= MAX_GLYPH_PX:
            return 1.0
        if self.glyph_px > MAX_GLYPH_PX:
            return SHRUNK_GLYPH_PX / self.glyph_px
        return float(min(MAX_UPSCALE, TARGET_GLYPH_PX / self.glyph_px))

    def page_dpi(self, stated_dpi: int) -> int:
        """The page's resolution: the stated one unless the text says it is
        far off (a missing or wrong tag)."""
        if not self.measured:
            return stated_dpi
        measured = max(1.0, self.glyph_px - ANTIALIAS_PX) / BODY_GLYPH_INCHES
        ratio = measured / stated_dpi
        if MIN_DPI_RATIO <= ratio <= MAX_DPI_RATIO:
            return stated_dpi
        return max(1, round(measured))


def measure_text(gray: np.ndarray) -> TextScale:
    """Median height of the character-sized ink blobs of a page."""
    small = downscale(gray, MEASURE_LONG_SIDE)
    factor = gray.shape[0] / small.shape[0]
    _, ink = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    widths = stats[1:, cv2.CC_STAT_WIDTH]
    areas = stats[1:, cv2.CC_STAT_AREA]
    glyph = (
        (heights >= 4)
        & (heights <= 0.05 * max(small.shape))
        & (widths <= 3 * heights)
        & (areas >= 0.15 * heights * widths)
    )
    if int(glyph.sum()) < MIN_GLYPHS:
        return TextScale(0.0, int(glyph.sum()))
    return TextScale(round(float(np.median(heights[glyph])) * factor, 1), int(glyph.sum()))


def rescale(gray: np.ndarray, factor: float) -> np.ndarray:
    """The page resized by ``factor`` (cubic up, area-averaged down)."""
    if factor == 1.0:
        return gray
    interpolation = cv2.INTER_CUBIC if factor > 1 else cv2.INTER_AREA
    return cv2.resize(gray, None, fx=factor, fy=factor, interpolation=interpolation)
