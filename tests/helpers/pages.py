"""Page images written as the pipeline finds them, and how close OCR text is
to the text drawn."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
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


def small_scan(text: str, mode: str = "L", size: tuple[int, int] = (900, 240)) -> Image.Image:
    """A small page (a strip of a scan at 300 DPI) with ``text`` in two lines of
    DejaVu: Tesseract reads it in well under a second, so tests that only need
    *a* good scan stay cheap. Different texts give different files."""
    from PIL import ImageDraw, ImageFont

    from sohoa.samples import FONT_DIR

    image = Image.new(mode, size, "white")
    font = ImageFont.truetype(str(FONT_DIR / "DejaVuSans.ttf"), 44)
    ImageDraw.Draw(image).multiline_text((30, 40), text, fill="black", font=font, spacing=20)
    image.info["dpi"] = (300, 300)
    return image


def write_small_batch(batch: Path, texts: Sequence[str], formats: Sequence[str] = ("png",)) -> None:
    """A batch folder, ``READY``, of one ``small_scan`` dossier per text, named
    ``hoso-<n>`` and saved in ``formats`` in turn: for tests about what the flow
    does with files, not about reading full pages. The same texts write the same bytes."""
    batch.mkdir(parents=True)
    for number, text in enumerate(texts, start=1):
        suffix = formats[(number - 1) % len(formats)]
        small_scan(text).save(batch / f"hoso-{number}.{suffix}", dpi=(300, 300))
    (batch / "READY").touch()
