"""The generated colour ID cards: drawn in colour, with a red number over a
security pattern, and truth that says exactly what was drawn."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest

from sohoa.samples import CARD
from sohoa.samples.cards import CARD_STYLES, photograph, render_card


def _red_ink(pixels: np.ndarray) -> np.ndarray:
    r, g, b = (pixels[..., i].astype(int) for i in range(3))
    return (r > 150) & (g < 90) & (b < 90)


@pytest.mark.parametrize("style", CARD_STYLES)
def test_card_is_colour_with_a_red_number_on_a_patterned_background(style: str) -> None:
    card = render_card(random.Random(11), style)
    image = card.pages[0]
    assert image.mode == "RGB" and image.size == CARD
    pixels = np.asarray(image)
    # The background is coloured and patterned, not flat grey.
    corner = pixels[450:620, 260:990].astype(int)
    saturation = corner.max(axis=2) - corner.min(axis=2)
    assert saturation.mean() > 12
    assert corner.std() > 8
    # The number is printed in red: its row of the card holds many red pixels.
    assert _red_ink(pixels[150:260, 250:]).sum() > 1500


@pytest.mark.parametrize(
    ("style", "digits", "field"), [("cccd", 12, "citizen_ids"), ("cmnd", 9, "old_ids")]
)
def test_card_truth_names_what_was_drawn(style: str, digits: int, field: str) -> None:
    truth = render_card(random.Random(5), style).truth
    number = truth.metadata["id_number"]
    assert re.fullmatch(rf"\d{{{digits}}}", number)
    assert truth.metadata[field] == [number]
    text = truth.pages[0]
    assert sum(number in line for line in text.split("\n")) == 1
    assert truth.metadata["names"][0] in text
    day = truth.metadata["birth_dates"][0].split("-")[2]
    assert any(day in line for line in text.split("\n") if "sinh" in line.casefold())
    assert "CHỦ NGHĨA VIỆT NAM" in text


def test_cards_differ_by_seed_and_repeat_by_seed() -> None:
    first = render_card(random.Random(1)).truth.metadata["id_number"]
    again = render_card(random.Random(1)).truth.metadata["id_number"]
    other = render_card(random.Random(2)).truth.metadata["id_number"]
    assert first == again != other


def test_photograph_tilts_onto_a_table_without_a_dpi_tag() -> None:
    card = render_card(random.Random(3)).pages[0]
    photo = photograph(card, random.Random(4), scale=0.5)
    assert "dpi" not in photo.info
    assert photo.width > card.width * 0.5  # the card plus the table around it
    corner = np.asarray(photo.convert("RGB"))[:8, :8].astype(int)
    assert corner.mean() < 200  # the table shows at the corner, not the card
    assert photo.info["distortions"]["scale"] == 0.5


def test_unknown_style_is_refused() -> None:
    with pytest.raises(ValueError, match="cccd"):
        render_card(random.Random(1), "passport")
