"""Skew estimation and rotation on generated pages."""

from __future__ import annotations

import statistics
from collections.abc import Callable

import cv2
import numpy as np
import pytest

from sohoa.pipeline.cleanup import to_grayscale
from sohoa.pipeline.deskew import MAX_SKEW_DEGREES, SkewEstimate, estimate_skew, rotate_bound
from sohoa.samples import add_dark_edges, add_scan_noise, blank_page, render_page, skew

ANGLES = (-10.0, -7.37, -4.11, -1.63, -0.45, 0.0, 0.77, 2.31, 5.73, 9.19, 10.0)


def _ink_rows_at(image: np.ndarray, column: int) -> np.ndarray:
    return np.flatnonzero(to_grayscale(image)[:, column] < 128)


def test_rotate_bound_turns_counter_clockwise_without_cropping() -> None:
    image = np.full((200, 400), 255, np.uint8)
    image[95:105, 50:350] = 0  # a horizontal bar
    turned = rotate_bound(image, 10.0)
    height, width = turned.shape
    assert width > 400 and height > 200
    # Counter-clockwise on screen: the bar's right end is higher (smaller y).
    left = _ink_rows_at(turned, width // 2 - 120).mean()
    right = _ink_rows_at(turned, width // 2 + 120).mean()
    assert right < left - 30
    # Nothing cut off: the same amount of ink, and white new corners.
    assert abs(int((turned < 128).sum()) - 3000) < 300
    assert turned[0, 0] == turned[-1, -1] == 255


def test_rotate_bound_keeps_colour_and_fills_white() -> None:
    image = np.zeros((100, 80, 3), np.uint8)
    image[..., 0] = 200  # a red sheet
    turned = rotate_bound(image, -30.0)
    assert turned.shape[2] == 3
    assert tuple(turned[0, 0]) == (255, 255, 255)
    center = turned[turned.shape[0] // 2, turned.shape[1] // 2]
    assert tuple(center) == (200, 0, 0)


def test_median_skew_error_is_within_a_third_of_a_degree() -> None:
    errors = []
    for index, angle in enumerate(ANGLES):
        gray = to_grayscale(render_page(index % 3).image)
        estimate = estimate_skew(add_scan_noise(skew(gray, angle), seed=index))
        assert estimate.confidence > 0.9
        errors.append(abs(estimate.angle_degrees - angle))
    print(f"skew error: median {statistics.median(errors):.3f}°, max {max(errors):.3f}°")
    assert statistics.median(errors) <= 0.3
    assert max(errors) <= 0.5


@pytest.mark.parametrize("angle", [-6.0, 3.0])
def test_low_resolution_page_is_measured(angle: float) -> None:
    page = render_page(1, dpi=100)
    scan = add_scan_noise(skew(page.image, angle), sigma=10)
    estimate = estimate_skew(cv2.cvtColor(scan, cv2.COLOR_RGB2GRAY))
    assert abs(estimate.angle_degrees - angle) <= 0.5
    assert estimate.worth_correcting


def test_straight_page_is_left_alone() -> None:
    gray = cv2.cvtColor(add_scan_noise(render_page(2).image), cv2.COLOR_RGB2GRAY)
    estimate = estimate_skew(gray)
    assert abs(estimate.angle_degrees) < 0.1
    assert not estimate.worth_correcting


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(
            lambda: add_dark_edges(add_scan_noise(blank_page(150))), id="blank-with-edges"
        ),
        pytest.param(lambda: add_scan_noise(blank_page(150), sigma=35), id="heavy-noise"),
    ],
)
def test_pages_without_text_are_not_corrected(make: Callable[[], np.ndarray]) -> None:
    estimate = estimate_skew(cv2.cvtColor(make(), cv2.COLOR_RGB2GRAY))
    assert not estimate.worth_correcting
    assert -MAX_SKEW_DEGREES <= estimate.angle_degrees <= MAX_SKEW_DEGREES


def test_random_blobs_are_not_taken_for_lines() -> None:
    rng = np.random.default_rng(7)
    gray = np.full((1500, 1500), 255, np.uint8)
    for _ in range(300):
        x, y = (int(v) for v in rng.integers(20, 1480, 2))
        cv2.circle(gray, (x, y), int(rng.integers(2, 12)), 0, -1)
    assert not estimate_skew(gray).worth_correcting


def test_narrow_receipt_is_measured_or_left_alone() -> None:
    """A till receipt: a narrow strip with a few short lines."""
    page = render_page(2, dpi=200, points=9)
    strip = page.image[: page.image.shape[0] // 2, : page.image.shape[1] // 2]
    scan = add_scan_noise(skew(strip, 4.0), sigma=10)
    estimate = estimate_skew(cv2.cvtColor(scan, cv2.COLOR_RGB2GRAY))
    if estimate.worth_correcting:
        assert abs(estimate.angle_degrees - 4.0) <= 0.5


def test_a_skew_is_corrected_only_when_it_moves_a_line_by_half_a_glyph() -> None:
    estimate = SkewEstimate(0.5, 0.95)
    assert estimate.worth_correcting
    # A 800-px receipt line drifts 7 px: a quarter of 25-px glyphs, most of 10-px ones.
    assert not estimate.shifts_lines(800, 25.0)
    assert estimate.shifts_lines(800, 10.0)
    assert estimate.shifts_lines(4960, 50.0)  # the same angle across a 600-dpi page
    assert estimate.shifts_lines(800, 0.0)  # glyphs not measured: as before
