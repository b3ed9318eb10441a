"""Page images written as the pipeline finds them, and how close OCR text is
to the text drawn."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
from PIL import Image
from rapidfuzz.distance import Levenshtein


def save_png(image: np.ndarray, path: Path, dpi: int = 300) -> Path:
    """Write ``image`` to ``path`` as a PNG that records ``dpi``."""
    Image.fromarray(image).save(path, dpi=(dpi, dpi))
    return path


def paste(image: np.ndarray, picture: Image.Image, left: int, top: int) -> np.ndarray:
    """A copy of ``image`` with ``picture`` pasted at (``left``, ``top``)."""
    sheet = Image.fromarray(image)
    sheet.paste(picture, (left, top))
    return np.asarray(sheet)


def normalize_text(text: str) -> str:
    """NFC with every run of whitespace made one space: CER then counts
    characters, not layout."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def character_error_rate(recognized: str, truth: str) -> float:
    """Edit distance over the truth's length, both normalized."""
    truth_n = normalize_text(truth)
    return Levenshtein.distance(normalize_text(recognized), truth_n) / max(1, len(truth_n))
