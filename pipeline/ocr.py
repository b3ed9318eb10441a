"""What any OCR engine gives back: a page's words with boxes and confidences
(``OcrResult``) and which way up the page is (``Orientation``); and reading
Tesseract's TSV output into them."""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

WORD_LEVEL = 5
_HEADER = "level\t"


@dataclass(frozen=True, slots=True)
class Orientation:
    """How to turn a page upright.

    Attributes:
        rotate_degrees: clockwise rotation (0, 90, 180 or 270) that makes the
            page upright.
        confidence: how sure the detector is; 0 means "no idea" (blank page).
    """

    rotate_degrees: int
    confidence: float


UNKNOWN_ORIENTATION = Orientation(0, 0.0)


@dataclass(frozen=True, slots=True)
class Word:
    """One recognized word, with its box in page-image pixels.

    ``block`` and ``paragraph`` are Tesseract's numbers; ``line`` counts the
    lines of the page from 0 in reading order, so words with the same
    ``line`` sit on one line.
    """

    text: str
    confidence: float
    left: int
    top: int
    width: int
    height: int
    block: int
    line: int
    paragraph: int = 0


_WORD_FIELDS = tuple(field.name for field in fields(Word))


@dataclass(frozen=True, slots=True)
class OcrResult:
    """The text of one page.

    Attributes:
        text: lines joined by "\\n", paragraphs separated by a blank line (NFC).
        words: every non-empty word, in reading order.
        mean_confidence: mean word confidence 0-100; 0 when there are no words.
    """

    text: str
    words: tuple[Word, ...]
    mean_confidence: float

    @property
    def word_count(self) -> int:
        return len(self.words)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "mean_confidence": self.mean_confidence,
            "word_count": self.word_count,
            # asdict() deep-copies field by field: 0.1 s per page of 300 words
            "words": [{name: getattr(word, name) for name in _WORD_FIELDS} for word in self.words],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OcrResult:
        return cls(
            text=data["text"],
            words=tuple(Word(**word) for word in data["words"]),
            mean_confidence=float(data["mean_confidence"]),
        )


EMPTY_RESULT = OcrResult(text="", words=(), mean_confidence=0.0)


def _tsv_text(path_or_text: Path | str) -> str:
    if isinstance(path_or_text, str) and (
        path_or_text.startswith(_HEADER) or "\t" in path_or_text or not path_or_text
    ):
        return path_or_text
    return Path(path_or_text).read_text(encoding="utf-8")


def parse_tsv(path_or_text: Path | str) -> OcrResult:
    """Parses Tesseract TSV given as a path or as the TSV text itself.

    A ``str`` holding a tab (or starting with the TSV header) is read as TSV
    text; any other ``str`` or ``Path`` as a file name.
    """
    rows = csv.DictReader(
        _tsv_text(path_or_text).splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE
    )
    words: list[Word] = []
    paragraphs: list[list[list[str]]] = []
    last_paragraph: tuple[str, str, str] | None = None
    last_line: tuple[str, str, str, str] | None = None
    line_index = -1
    for row in rows:
        if row.get("level") != str(WORD_LEVEL):
            continue
        text = unicodedata.normalize("NFC", (row.get("text") or "").strip())
        if not text:
            continue
        paragraph_key = (row["page_num"], row["block_num"], row["par_num"])
        line_key = (*paragraph_key, row["line_num"])
        if paragraph_key != last_paragraph:
            paragraphs.append([])
            last_paragraph = paragraph_key
        if line_key != last_line:
            paragraphs[-1].append([])
            last_line = line_key
            line_index += 1
        paragraphs[-1][-1].append(text)
        words.append(
            Word(
                text=text,
                confidence=max(0.0, min(100.0, float(row["conf"]))),
                left=int(row["left"]),
                top=int(row["top"]),
                width=int(row["width"]),
                height=int(row["height"]),
                block=int(row["block_num"]),
                line=line_index,
                paragraph=int(row["par_num"]),
            )
        )
    text = "\n\n".join("\n".join(" ".join(line) for line in p) for p in paragraphs)
    mean = sum(w.confidence for w in words) / len(words) if words else 0.0
    return OcrResult(text=text, words=tuple(words), mean_confidence=mean)
