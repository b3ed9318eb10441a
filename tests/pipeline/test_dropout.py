"""Colour dropout on generated ID cards: red digits over a guilloche pattern."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from sohoa.pipeline import ocr_engine
from sohoa.pipeline.candidates import read
from sohoa.pipeline.cleanup import to_grayscale
from sohoa.pipeline.dropout import drop_colour, has_coloured_background
from sohoa.pipeline.metadata import PageText, extract_metadata, load_rules
from sohoa.pipeline.ocr import OcrResult
from sohoa.pipeline.ocr_engine import DEFAULT_ENGINE, OcrEngine, get_engine
from sohoa.pipeline.pages import SURE_CONFIDENCE, PageOptions, process_page
from sohoa.samples import render_page
from sohoa.samples.cards import photograph, render_card
from tests.helpers.pages import character_error_rate


def _ink_share(gray: np.ndarray) -> float:
    return float(np.mean(gray < 128))


class _CountingEngine:
    """The real Tesseract engine, counting the pages it is asked to read."""

    def __init__(self, engine: OcrEngine) -> None:
        self.engine = engine
        self.readings = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

    def recognize(self, *args: Any, **kwargs: Any) -> OcrResult:
        self.readings += 1
        return self.engine.recognize(*args, **kwargs)


@pytest.fixture
def counting_engine(monkeypatch: pytest.MonkeyPatch) -> _CountingEngine:
    counting = _CountingEngine(get_engine())
    monkeypatch.setitem(ocr_engine._ENGINES, DEFAULT_ENGINE, counting)
    return counting


@pytest.mark.ocr
def test_guilloche_goes_and_red_digits_stay() -> None:
    card = render_card(random.Random(3), "cmnd")
    rgb = np.asarray(card.pages[0].convert("RGB"))
    number = card.truth.metadata["id_number"]
    assert has_coloured_background(rgb)

    dropped = drop_colour(rgb)

    # Below the text the card holds only the pattern: a third of it is
    # tinted in the gray card, none of it is ink-dark after dropout.
    height, width = dropped.shape
    pattern = (slice(round(0.75 * height), round(0.95 * height)), slice(width // 3, width - 40))
    gray = to_grayscale(rgb)
    assert float(np.mean(gray[pattern] < 200)) > 0.2
    assert float(np.mean(dropped[pattern] < 200)) < float(np.mean(gray[pattern] < 200)) / 5
    assert _ink_share(dropped[pattern]) < 0.002
    # The red number (right of the red emblem) is dark in the dropout copy, and reads.
    red = np.all(np.abs(rgb.astype(int) - (196, 32, 40)) < 30, axis=2)
    red[:, : width // 4] = False
    assert red.sum() > 500
    assert np.median(dropped[red]) < 80
    text = read(dropped, "vie+eng", 300, 120.0).text
    assert number in text.replace(" ", "")


def test_black_and_white_pages_are_not_dropped() -> None:
    assert not has_coloured_background(render_page(0, dpi=100).image)


@pytest.mark.ocr
@pytest.mark.parametrize("seed", [2, 3, 6])
def test_phone_photo_of_a_card_gives_its_number_as_a_field(
    seed: int, tmp_path: Path, counting_engine: _CountingEngine
) -> None:
    # Pastel guilloche on a photo: the gray copy read these cards' numbers
    # wrong or not at all (its text measured at 47 DPI on seeds 3 and 6).
    rng = random.Random(seed)
    card = render_card(rng, "cmnd")
    photo = tmp_path / "card.jpg"
    photograph(card.pages[0], rng, blur=0.7, jpeg_quality=60).save(photo, quality=95)

    page = process_page(photo, tmp_path / "out", PageOptions(languages="vie"))

    assert page.ocr_variant == "dropout"
    assert counting_engine.readings >= 2  # the gray copy read unsurely, then the dropout
    metadata = extract_metadata([PageText(1, page.text, page.ocr_confidence)], load_rules())
    assert [v.value for v in metadata.fields["old_id"]] == [card.truth.metadata["id_number"]]


@pytest.mark.ocr
def test_a_letter_on_tinted_paper_that_reads_surely_is_read_once(
    tmp_path: Path, counting_engine: _CountingEngine
) -> None:
    letter = render_page(0, dpi=200)
    tinted = np.minimum(letter.image, np.array((255, 236, 190), dtype=np.uint8))
    assert has_coloured_background(tinted)
    scan = tmp_path / "letter.png"
    Image.fromarray(tinted).save(scan, dpi=(200, 200))

    page = process_page(scan, tmp_path / "out", PageOptions(languages="vie+eng", dpi=200))

    assert page.ocr_confidence >= SURE_CONFIDENCE
    assert (page.ocr_variant, counting_engine.readings) == ("cleaned", 1)
    assert character_error_rate(page.text, letter.text) < 0.05
