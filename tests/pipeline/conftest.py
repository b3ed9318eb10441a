"""Pipeline fixtures. The generated pages and scanner distortions come from
``sohoa.samples``; writing and scoring them from ``tests.helpers.pages``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.helpers.pages import save_png


@pytest.fixture
def page_png(tmp_path: Path) -> Callable[[np.ndarray, int], Path]:
    """Writes an image to a PNG in tmp_path, as pdftoppm would leave it."""

    def write(image: np.ndarray, dpi: int = 300) -> Path:
        return save_png(image, tmp_path / f"page-{len(list(tmp_path.iterdir()))}.png", dpi)

    return write
