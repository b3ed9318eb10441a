"""The seam between sohoa and an OCR engine.

sohoa asks an engine three things: whether it can run with the wanted
languages, which way up a page is, and the words of a page with their boxes
and confidences. Everything after that (the page text, ocr.json, the
searchable PDF's text layer, metadata) is built from those word boxes, so a
second engine needs only this Protocol. Tesseract is the first
(``sohoa.pipeline.tesseract.TesseractEngine``).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from sohoa.core.errors import ConfigurationError
from sohoa.pipeline.ocr import OcrResult, Orientation
from sohoa.pipeline.tesseract import TesseractEngine

DEFAULT_ENGINE = "tesseract"


class OcrEngine(Protocol):
    """An OCR engine as sohoa uses it.

    Threading: an engine keeps no per-page state. One instance is called
    from many threads and processes at once (one page per worker), so
    methods must be safe to call concurrently; tool checks may be cached per
    process. An engine that uses threads of its own limits them to one per
    call: the workers already fill the cores.

    Images are uint8 arrays, 2-D (grayscale or binary) in page-image pixels,
    upright for ``recognize``. Errors are sohoa errors: a missing program or
    language is ``MissingDependencyError``, a timeout ``OcrTimeout``, any
    other failure ``ProcessingError``. A page with no text is not an error.
    """

    name: str

    def check(self, languages: str) -> None:
        """Fail before any work if the engine or a language cannot be used.

        Args:
            languages: e.g. "vie+eng".

        Raises:
            MissingDependencyError: naming what to install.
        """
        ...

    def close(self) -> None:
        """Ends what the engine keeps running in this process (helper processes);
        the next call starts it again."""
        ...

    def detect_orientation(self, image: np.ndarray, dpi: int, timeout: float) -> Orientation:
        """Which clockwise quarter turn makes the page upright.

        Args:
            image: the page, binarized and downscaled as the engine needs.
            dpi: resolution of ``image``.
            timeout: seconds before the engine is stopped.

        Returns:
            ``Orientation(0, 0.0)`` when the page has too little text to tell.
        """
        ...

    def recognize(
        self,
        image: np.ndarray,
        languages: str,
        dpi: int,
        timeout: float,
        one_block: bool = False,
    ) -> OcrResult:
        """The words of an upright page image, in reading order.

        Args:
            image: the cleaned-up page; word boxes are in its pixels.
            languages: e.g. "vie+eng".
            dpi: resolution of ``image``.
            timeout: seconds before the engine is stopped.
            one_block: read the image as one block of text, without layout
                analysis (used to judge which way up a page reads best).
        """
        ...


_ENGINES: dict[str, OcrEngine] = {TesseractEngine.name: TesseractEngine()}


def get_engine(name: str = DEFAULT_ENGINE) -> OcrEngine:
    """The engine registered under ``name``.

    Raises:
        ConfigurationError: no engine has that name.
    """
    try:
        return _ENGINES[name]
    except KeyError:
        raise ConfigurationError(
            f"Unknown OCR engine {name!r}; choose one of: {', '.join(sorted(_ENGINES))}"
        ) from None


def close_engines() -> None:
    """``close`` on every engine: a command's helper processes end with it."""
    for engine in _ENGINES.values():
        engine.close()
