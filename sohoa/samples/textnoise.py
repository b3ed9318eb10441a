"""Text degraded as OCR degrades it, for fast tests of text rules."""

from __future__ import annotations

import random
import unicodedata

_TONE_MARKS = ("\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
_DIGIT_LOOKALIKES = {"0": "OO", "1": "lI"}


def _strip_marks(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _wrong_tone(word: str, rng: random.Random) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    positions = [i for i, c in enumerate(decomposed) if c in _TONE_MARKS]
    if not positions:
        return word
    i = rng.choice(positions)
    end = i + 1  # the new mark goes after the letter's other marks, so NFC composes it
    while end < len(decomposed) and unicodedata.combining(decomposed[end]):
        end += 1
    swapped = decomposed[:i] + decomposed[i + 1 : end] + rng.choice(_TONE_MARKS) + decomposed[end:]
    return unicodedata.normalize("NFC", swapped)


def _noisy_word(word: str, rng: random.Random, rate: float) -> str:
    if word.rstrip(":") == "Số" and rng.random() < 0.3 * rate:
        return rng.choice(("S6", "Sô", "So", "Sỗ")) + word[2:]
    roll = rng.random()
    if roll < 0.06 * rate:
        word = _strip_marks(word)
    elif roll < 0.10 * rate:
        word = _wrong_tone(word, rng)
    chars = list(word)
    for i, c in enumerate(chars):
        if c in _DIGIT_LOOKALIKES and rng.random() < 0.03 * rate:
            chars[i] = rng.choice(_DIGIT_LOOKALIKES[c])
        elif c in "/-" and any(ch.isdigit() for ch in word) and rng.random() < 0.08 * rate:
            chars[i] = f" {c} " if rng.random() < 0.5 else f"{c} "
        elif c == "m" and rng.random() < 0.02 * rate:
            chars[i] = "rn"
    return "".join(chars)


def ocr_noise(text: str, rng: random.Random, rate: float = 1.0) -> str:
    """Degrade text as OCR does: lost or wrong diacritics, 'S6:' for 'Số:',
    O for 0 and l or I for 1, spaces around '/' and '-', 'rn' for 'm',
    dropped colons and, rarely, two lines read as one (side-by-side columns).

    ``rate`` scales every probability; 1.0 is a mediocre scan."""
    out_lines: list[str] = []
    for line in text.split("\n"):
        words = [_noisy_word(w, rng, rate) for w in line.split(" ")]
        noisy = " ".join(words)
        if ":" in noisy and rng.random() < 0.03 * rate:
            noisy = noisy.replace(":", "", 1)
        if out_lines and rng.random() < 0.03 * rate:
            out_lines[-1] += "  " + noisy
        else:
            out_lines.append(noisy)
    return "\n".join(out_lines)
