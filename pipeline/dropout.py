"""Colour dropout: the OCR copy of a coloured card or form without its
printed background.

ID cards print their numbers in red over a guilloche security pattern
(fine blue and violet lines on a tinted ground). In plain grayscale the red
digits (luma about 90) sit among the lines (120-170), and neither Tesseract
nor a threshold can tell them apart. Ink, dark or red or blue, has at least
one channel near black; the light tints of printed backgrounds do not. So
the darkest channel of each pixel keeps every ink and lifts the pattern,
and a level cut at Otsu's threshold between ink and ground whitens it.
"""

from __future__ import annotations

import cv2
import numpy as np

from sohoa.pipeline.cleanup import flatten_background
from sohoa.pipeline.deskew import downscale

# A pixel is coloured when its channels spread by more than this... (30:
# 27-55 % of every generated card, phone photos of pastel cards included,
# against at most 8 % of a sroie-dev receipt; at 40 most card photos failed.)
COLOURED_SPREAD = 30
# ...and a page has a coloured background when this share of it is coloured.
MIN_COLOURED_SHARE = 0.2
# The colour test looks at a copy whose longer side is this.
_TEST_LONG_SIDE = 600


def has_coloured_background(rgb: np.ndarray) -> bool:
    """Whether a large share of the page is tinted (cards, coloured forms)."""
    if rgb.ndim != 3:
        return False
    small = downscale(rgb, _TEST_LONG_SIDE)
    spread = small.max(axis=2).astype(np.int16) - small.min(axis=2)
    return float(np.mean(spread > COLOURED_SPREAD)) >= MIN_COLOURED_SHARE


def drop_colour(rgb: np.ndarray) -> np.ndarray:
    """Grayscale OCR copy of a coloured page with its light printed background
    removed: darkest channel, paper flattened, everything lighter than the
    ink cut to white."""
    darkest = flatten_background(np.ascontiguousarray(rgb.min(axis=2)))
    threshold, _ = cv2.threshold(darkest, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    levels = np.arange(256, dtype=np.float32)
    table = np.clip(levels * 255.0 / max(1.0, threshold), 0, 255).astype(np.uint8)
    return cv2.LUT(darkest, table)
