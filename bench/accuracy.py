"""Character and word error rates of OCR text against the ground truth.

Both texts are NFC-normalized and their whitespace collapsed to single
spaces, so line breaks and layout do not count; case, accents and
punctuation do (case not, with ``casefold``: the real-scan sets' rule). A
set's rate is its total edit distance over its total reference length (pages
weigh by their length), in percent; the ``_ratio`` forms are fractions.
Word recall is the share of reference words found in the text, in any order
(each occurrence counts once), what a search index needs.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein


def normalize(text: str, casefold: bool = False) -> str:
    folded = " ".join(unicodedata.normalize("NFC", text).split())
    return folded.casefold() if casefold else folded


@dataclass
class ErrorRates:
    """Accumulated edits and reference lengths of one engine on one set."""

    char_edits: int = 0
    chars: int = 0
    word_edits: int = 0
    words: int = 0
    pages: int = 0
    words_found: int = 0

    def add(self, truth: str, text: str, casefold: bool = False) -> None:
        reference, hypothesis = normalize(truth, casefold), normalize(text, casefold)
        self.char_edits += Levenshtein.distance(reference, hypothesis)
        self.chars += len(reference)
        self.word_edits += Levenshtein.distance(reference.split(), hypothesis.split())
        self.words += len(reference.split())
        found = Counter(reference.split()) & Counter(hypothesis.split())
        self.words_found += sum(found.values())
        self.pages += 1

    @property
    def cer(self) -> float:
        return round(100.0 * self.char_edits / max(1, self.chars), 2)

    @property
    def wer(self) -> float:
        return round(100.0 * self.word_edits / max(1, self.words), 2)

    @property
    def cer_ratio(self) -> float:
        return round(self.char_edits / max(1, self.chars), 4)

    @property
    def wer_ratio(self) -> float:
        return round(self.word_edits / max(1, self.words), 4)

    @property
    def word_recall(self) -> float:
        return round(self.words_found / max(1, self.words), 4)


def page_cer(truth: str, text: str) -> float:
    rates = ErrorRates()
    rates.add(truth, text)
    return rates.cer


def score(pairs: Iterable[tuple[str, str, str, str]]) -> dict[str, dict[str, ErrorRates]]:
    """Rates by set and engine from (set, engine, truth, text) tuples."""
    rates: dict[str, dict[str, ErrorRates]] = {}
    for set_name, engine, truth, text in pairs:
        rates.setdefault(set_name, {}).setdefault(engine, ErrorRates()).add(truth, text)
    return rates
