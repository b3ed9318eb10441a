"""Grayscale conversion, the OCR copy and blank-page detection."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from sohoa.pipeline.cleanup import is_blank, prepare_for_ocr, to_grayscale
from sohoa.pipeline.tesseract import recognize
from sohoa.samples import add_dark_edges, add_scan_noise, blank_page, render_page
from tests.helpers.pages import character_error_rate


def _uneven_light(gray: np.ndarray) -> np.ndarray:
    """A shadow from left (55% bright) to right."""
    ramp = np.linspace(0.55, 1.0, gray.shape[1], dtype=np.float32)[None, :]
    return (gray * ramp).astype(np.uint8)


def _low_contrast(gray: np.ndarray) -> np.ndarray:
    """Faded ink: black maps to 157, white to 239."""
    return (gray * 0.32 + 157).astype(np.uint8)


@pytest.mark.parametrize(
    ("image", "expected_shape"),
    [
        (np.zeros((4, 5), np.uint8), (4, 5)),
        (np.zeros((4, 5, 3), np.uint8), (4, 5)),
        (np.zeros((4, 5, 4), np.uint8), (4, 5)),
        (np.zeros((4, 5, 1), np.uint8), (4, 5)),
        (np.zeros((4, 5), np.uint16), (4, 5)),
        (np.zeros((4, 5), np.bool_), (4, 5)),
    ],
)
def test_to_grayscale_shapes(image: np.ndarray, expected_shape: tuple[int, int]) -> None:
    gray = to_grayscale(image)
    assert gray.shape == expected_shape
    assert gray.dtype == np.uint8


def test_to_grayscale_values() -> None:
    rgb = np.array([[[255, 0, 0], [0, 255, 0], [255, 255, 255]]], np.uint8)
    assert to_grayscale(rgb).tolist() == [[76, 150, 255]]
    assert to_grayscale(np.array([[65535, 0]], np.uint16)).tolist() == [[255, 0]]
    assert to_grayscale(np.array([[True, False]])).tolist() == [[255, 0]]


def test_prepare_for_ocr_whitens_paper_and_keeps_ink() -> None:
    page = to_grayscale(render_page(0, dpi=150).image)
    ink = page < 128
    scan = add_scan_noise(_low_contrast(_uneven_light(page)), sigma=10)
    cleaned = prepare_for_ocr(scan)
    assert cleaned.shape == scan.shape and cleaned.dtype == np.uint8
    paper = cleaned[~ink]
    assert np.median(paper) == 255
    assert np.percentile(paper, 5) > 200
    contrast_before = np.median(scan[~ink]) - np.median(scan[ink])
    contrast_after = np.median(paper) - np.median(cleaned[ink])
    assert contrast_after > 2.5 * contrast_before
    # The shadowed left edge is as white as the right one.
    left, right = cleaned[:, :200], cleaned[:, -200:]
    assert abs(float(np.median(left)) - float(np.median(right))) < 5


@pytest.mark.parametrize(
    "degrade",
    [pytest.param(_low_contrast, id="faded"), pytest.param(_uneven_light, id="shadowed")],
)
@pytest.mark.ocr
def test_ocr_of_degraded_scan_after_cleanup(
    degrade: Callable[[np.ndarray], np.ndarray], tmp_path: Path
) -> None:
    page = render_page(2)
    scan = add_scan_noise(degrade(to_grayscale(page.image)), seed=2)
    result = recognize(prepare_for_ocr(scan), "vie+eng", 300, timeout=120)
    cer = character_error_rate(result.text, page.text)
    print(f"CER after cleanup: {cer:.2%}")
    assert cer <= 0.03


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: blank_page(150), id="white"),
        pytest.param(lambda: add_scan_noise(blank_page(300), sigma=20), id="noisy"),
        pytest.param(lambda: add_dark_edges(add_scan_noise(blank_page(300))), id="dark-edges"),
        pytest.param(
            lambda: add_scan_noise(_uneven_light(to_grayscale(blank_page(300)))), id="shadow"
        ),
    ],
)
def test_blank_pages(make: Callable[[], np.ndarray]) -> None:
    assert is_blank(to_grayscale(make()))


def _page_with(mark: Callable[[np.ndarray], None]) -> np.ndarray:
    page = to_grayscale(add_scan_noise(blank_page(300)))
    mark(page)
    return page


def _one_line(page: np.ndarray) -> None:
    line = to_grayscale(render_page(0).image)[270:340, 270:1400]
    page[1500:1570, 270:1400] = np.minimum(page[1500:1570, 270:1400], line)


def _signature(page: np.ndarray) -> None:
    import cv2

    points = np.array([[1500, 2900], [1600, 2820], [1680, 2950], [1800, 2850], [1900, 2930]])
    cv2.polylines(page, [points.astype(np.int32)], False, 40, thickness=5)


@pytest.mark.parametrize(
    "mark",
    [pytest.param(_one_line, id="one-line"), pytest.param(_signature, id="signature")],
)
def test_pages_with_little_content_are_not_blank(mark: Callable[[np.ndarray], None]) -> None:
    assert not is_blank(_page_with(mark))


def test_text_page_is_not_blank() -> None:
    assert not is_blank(to_grayscale(add_scan_noise(render_page(1).image)))
