"""Choosing between OCR candidates of one page (orientation, scale, cleanup).

A wrong turn or a harmful cleanup shows in the OCR itself: few words, low
confidences, fragments like "ee" and "~'|". The score counts confident,
word-like words, so it rewards reading more of the page, not one lucky word.
"""

from __future__ import annotations

import re

import numpy as np

from sohoa.pipeline.ocr import OcrResult
from sohoa.pipeline.ocr_engine import get_engine

# A word-like token: two or more letters or digits, with at most light
# punctuation around (receipts are full of "7.42", "RM", "02/12/2017").
_WORD_LIKE = re.compile(r"[(\"'“]?[^\W_]+(?:[./:,\-][^\W_]+)*[.,:;)\"'”%]?")
_ALNUM = re.compile(r"[^\W_]")


def _word_like(text: str) -> bool:
    return _WORD_LIKE.fullmatch(text) is not None and len(_ALNUM.findall(text)) >= 2


def word_score(result: OcrResult) -> float:
    """Sum of the confidences (0-1) of the word-like words of a result."""
    return sum(w.confidence / 100.0 for w in result.words if _word_like(w.text))


def read(
    image: np.ndarray, languages: str, dpi: int, timeout: float, one_block: bool = False
) -> OcrResult:
    """OCRs an in-memory candidate image."""
    return get_engine().recognize(image, languages, dpi, timeout, one_block)
