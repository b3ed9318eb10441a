"""Real receipts, slips and cards that are upright stay upright.

The receipts are from ../shared/realscans/sroie-dev (real scans nobody here
made; see its README). The old orientation rule turned 194 and 320 by 90°
and 507 by 180°, and the top of 116, cut as a landscape slip, by 180°:
their columns line up better than their short lines, and OSD guesses on
them with confidences of 1-2.
"""

from __future__ import annotations

import random

import cv2
import numpy as np
import pytest

from sohoa.pipeline.cleanup import to_grayscale
from sohoa.pipeline.orientation import detect_geometry
from sohoa.pipeline.pages import load_page_image, turn_clockwise
from sohoa.samples.cards import photograph, render_card
from sohoa.samples.realscans import realscans_dir

pytestmark = pytest.mark.ocr  # Tesseract on real receipts

SROIE = realscans_dir() / "sroie-dev"
TIMEOUT = 120.0


def _receipt(name: str) -> np.ndarray:
    return to_grayscale(load_page_image(SROIE / f"{name}.jpg"))


@pytest.mark.parametrize("name", ["194", "320", "507", "007"])
def test_upright_receipts_are_not_turned(name: str) -> None:
    geometry = detect_geometry(_receipt(name), TIMEOUT, 300, "eng")
    print(name, geometry.evidence)
    assert geometry.orientation.rotate_degrees == 0


@pytest.mark.parametrize(
    ("name", "rows", "scale"),
    [("116", slice(0, 600), 1.0), ("429", slice(0, 2800), 0.3)],
)
def test_landscape_slips_are_not_turned(name: str, rows: slice, scale: float) -> None:
    slip = _receipt(name)[rows]
    slip = cv2.resize(slip, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    assert slip.shape[1] > slip.shape[0]  # wider than tall
    geometry = detect_geometry(slip, TIMEOUT, round(300 * scale), "eng")
    print(name, geometry.evidence)
    assert geometry.orientation.rotate_degrees == 0


@pytest.mark.parametrize("style", ["cccd", "cmnd"])
def test_photographed_id_card_is_not_turned(style: str) -> None:
    rng = random.Random(5)
    card = photograph(render_card(rng, style).pages[0], rng)
    geometry = detect_geometry(to_grayscale(np.asarray(card)), TIMEOUT, 300, "vie+eng")
    print(style, geometry.evidence)
    assert geometry.orientation.rotate_degrees == 0


def test_a_receipt_turned_on_its_side_is_turned_back() -> None:
    turned = turn_clockwise(_receipt("351"), 90)
    geometry = detect_geometry(turned, TIMEOUT, 300, "eng")
    print(geometry.evidence)
    assert geometry.orientation.rotate_degrees == 270
