"""Orientation of generated pages: the text-line test and the OSD fallback."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from sohoa.pipeline.cleanup import to_grayscale
from sohoa.pipeline.deskew import ink_points
from sohoa.pipeline.orientation import detect_geometry, detect_rotation, line_asymmetry
from sohoa.pipeline.pages import turn_clockwise
from sohoa.samples import add_dark_edges, add_scan_noise, blank_page, render_page, skew

TIMEOUT = 60.0


def _scan(index: int, turned: int, angle: float = 0.0, dpi: int = 300) -> np.ndarray:
    """Page ``index`` skewed by ``angle``, turned clockwise by ``turned``, noisy."""
    gray = to_grayscale(render_page(index, dpi=dpi).image)
    return add_scan_noise(turn_clockwise(skew(gray, angle), turned), seed=turned + index)


@pytest.mark.parametrize("turned", [0, 90, 180, 270])
@pytest.mark.parametrize(("index", "angle"), [(0, 0.0), (1, 6.5), (2, -9.0)])
def test_turned_pages_are_turned_back(index: int, angle: float, turned: int) -> None:
    geometry = detect_geometry(_scan(index, turned, angle), TIMEOUT)
    assert geometry.orientation.rotate_degrees == (360 - turned) % 360
    assert geometry.orientation.confidence > 0.5
    # The skew is that of the page once upright.
    assert abs(geometry.skew.angle_degrees - angle) <= 0.3


@pytest.mark.parametrize("turned", [90, 180])
def test_low_resolution_pages(turned: int) -> None:
    rotation = detect_rotation(_scan(1, turned, 3.0, dpi=150), TIMEOUT, dpi=150)
    assert rotation.rotate_degrees == (360 - turned) % 360


def test_ascenders_and_accents_outweigh_descenders() -> None:
    points = ink_points(to_grayscale(render_page(0).image))
    upright, lines = line_asymmetry(points, 0.0)
    flipped, _ = line_asymmetry(points.turned_clockwise(180), 0.0)
    assert lines >= 19  # of 24, all counted today; the others have no ink outside their band
    assert upright > 0.3
    assert flipped < -0.3


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: blank_page(150)[..., 0], id="white"),
        pytest.param(lambda: add_dark_edges(add_scan_noise(blank_page(150)))[..., 0], id="noisy"),
    ],
)
def test_blank_pages_are_left_as_they_are(make: Callable[[], np.ndarray]) -> None:
    rotation = detect_rotation(make(), TIMEOUT)
    assert (rotation.rotate_degrees, rotation.confidence) == (0, 0.0)


def test_near_empty_page_never_raises() -> None:
    gray = to_grayscale(blank_page(150))
    gray[400:430, 300:420] = 0  # one dark smudge
    rotation = detect_rotation(add_scan_noise(gray), TIMEOUT)
    assert rotation.rotate_degrees in (0, 90, 180, 270)


def _two_line_page() -> np.ndarray:
    """Two lines of text only: too few for the line test, enough for OSD."""
    gray = to_grayscale(render_page(1).image)
    top, line_height = 270 + 4 * 90 - 20, 90  # "Họ và tên: ..." and the line below
    page = np.full_like(gray, 255)
    page[top : top + 2 * line_height] = gray[top : top + 2 * line_height]
    return page


@pytest.mark.parametrize("turned", [90, 180])
@pytest.mark.ocr
def test_sparse_page_falls_back_to_tesseract_osd(turned: int) -> None:
    page = _two_line_page()
    gray = turn_clockwise(page, turned)
    assert line_asymmetry(ink_points(page), 0.0)[1] < 3
    assert detect_rotation(gray, TIMEOUT).rotate_degrees == (360 - turned) % 360


def test_qr_code_beside_the_text_does_not_vote() -> None:
    """On a one-stop receipt the QR code runs several lines together into one
    tall block, whose ink all falls "below" its densest rows; left in, it
    cancels the vote of every real line (0.06 instead of 0.6)."""
    import random

    from sohoa.samples import render_document

    receipt = render_document("receipt", random.Random(270)).pages[0]
    points = ink_points(to_grayscale(np.asarray(receipt)))
    upright, _ = line_asymmetry(points, 0.0)
    flipped, _ = line_asymmetry(points.turned_clockwise(180), 0.0)
    assert upright > 0.3 and flipped < -0.3
