"""The OCR of a dossier as ALTO XML 4 (Library of Congress, ALTO 4.4), the
format archives and viewers take: one ``Page`` per page, in page-image pixels,
its words as ``String`` elements with their boxes and confidences (``WC``,
0-1), grouped into ``TextLine`` and ``TextBlock`` as the OCR engine found them.

``alto-4-sohoa.xsd`` beside this module is the part of the ALTO 4.4 schema
that sohoa writes, with its element order, types and required attributes; a
file valid against it is valid against the full schema (see that file).
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from importlib.metadata import version
from itertools import groupby
from pathlib import Path
from typing import TextIO
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

from sohoa.pipeline.ocr import Word

ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"
ALTO_SCHEMA = Path(__file__).with_name("alto-4-sohoa.xsd")
_GZIP_MAGIC = b"\x1f\x8b"
_SCHEMA_LOCATION = f"{ALTO_NS} http://www.loc.gov/standards/alto/v4/alto-4-4.xsd"


def write_alto(
    pages: Iterable[tuple[int, int, float, Sequence[Word]]],
    out_xml: Path,
    *,
    image_file: str,
    language: str,
    processed_at: datetime,
) -> Path:
    """Write ``pages`` (width, height in pixels, mean confidence 0-100, words)
    as one ALTO document, written atomically (gzip-compressed when ``out_xml``
    ends in ``.gz``); ``pages`` is read once, one page at a time.

    Args:
        image_file: what the pixel coordinates refer to (the searchable PDF's name).
        language: the document's language (ISO 639-1, ``vi``), on every page.
        processed_at: when the OCR ran.
    """
    partial = out_xml.with_name(f".{out_xml.name}.partial")
    with _opened(partial, compressed=out_xml.suffix == ".gz") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write(
            f'<alto xmlns="{ALTO_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
            f' xsi:schemaLocation="{_SCHEMA_LOCATION}" SCHEMAVERSION="4.4">\n'
        )
        out.write(_description(image_file, processed_at))
        out.write("<Layout>\n")
        for number, (width, height, confidence, words) in enumerate(pages, start=1):
            out.write(_page(number, width, height, confidence, words, language))
        out.write("</Layout>\n</alto>\n")
    partial.replace(out_xml)
    return out_xml


@contextmanager
def _opened(path: Path, *, compressed: bool) -> Iterator[TextIO]:
    """``path`` open for UTF-8 text, through gzip (no timestamp, so the bytes
    depend on the content alone) when ``compressed``."""
    with path.open("wb") as raw:
        if compressed:
            with (
                gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as packed,
                io.TextIOWrapper(packed, encoding="utf-8") as text,
            ):
                yield text
        else:
            with io.TextIOWrapper(raw, encoding="utf-8") as text:
                yield text


def _description(image_file: str, processed_at: datetime) -> str:
    return (
        "<Description>\n"
        "<MeasurementUnit>pixel</MeasurementUnit>\n"
        f"<sourceImageInformation><fileName>{_text(image_file)}</fileName>"
        "</sourceImageInformation>\n"
        '<Processing ID="ocr">'
        f"<processingDateTime>{processed_at.replace(microsecond=0).isoformat()}"
        "</processingDateTime>"
        "<processingStepDescription>OCR with Tesseract on cleaned-up page copies; "
        "boxes in the stored page image's pixels</processingStepDescription>"
        "<processingSoftware><softwareName>sohoa</softwareName>"
        f"<softwareVersion>{version('sohoa')}</softwareVersion></processingSoftware>"
        "</Processing>\n"
        "</Description>\n"
    )


def _page(
    number: int, width: int, height: int, confidence: float, words: Sequence[Word], language: str
) -> str:
    page = f"p{number}"
    out = [
        f'<Page ID="{page}" PHYSICAL_IMG_NR="{number}" WIDTH="{width}" HEIGHT="{height}"'
        f' PC="{_fraction(confidence)}" LANG={quoteattr(language)}>',
        f'<PrintSpace HPOS="0" VPOS="0" WIDTH="{width}" HEIGHT="{height}">',
    ]
    line_number = 0
    for block_number, (_, block_words) in enumerate(
        groupby(words, key=lambda word: word.block), start=1
    ):
        block = list(block_words)
        out.append(f'<TextBlock ID="{page}_b{block_number}" {_box(block)}>')
        for _, line_words in groupby(block, key=lambda word: word.line):
            line_number += 1
            out.append(_line(f"{page}_l{line_number}", list(line_words)))
        out.append("</TextBlock>")
    out += ["</PrintSpace>", "</Page>", ""]
    return "\n".join(out)


def _line(line_id: str, words: list[Word]) -> str:
    """A TextLine: its words, a space between each two. A space's box is the
    gap between its words' boxes, so it is left out, as are the words' IDs
    (both optional): a third less to store."""
    parts = [f'<TextLine ID="{line_id}" {_box(words)}>']
    for index, word in enumerate(words):
        if index:
            parts.append("<SP/>")
        parts.append(
            f"<String CONTENT={quoteattr(word.text)}"
            f' HPOS="{word.left}" VPOS="{word.top}" WIDTH="{word.width}" HEIGHT="{word.height}"'
            f' WC="{_fraction(word.confidence)}"/>'
        )
    parts.append("</TextLine>")
    return "".join(parts)


def _box(words: Iterable[Word]) -> str:
    """The HPOS/VPOS/WIDTH/HEIGHT attributes of the box around ``words``."""
    words = list(words)
    left = min(word.left for word in words)
    top = min(word.top for word in words)
    right = max(word.left + word.width for word in words)
    bottom = max(word.top + word.height for word in words)
    return f'HPOS="{left}" VPOS="{top}" WIDTH="{right - left}" HEIGHT="{bottom - top}"'


def _fraction(confidence: float) -> str:
    """An OCR confidence 0-100 as ALTO's 0-1."""
    return f"{min(max(confidence, 0.0), 100.0) / 100:.2f}"


def _text(value: str) -> str:
    return escape(value)


def read_alto_words(alto: bytes) -> dict[int, list[tuple[str, float, int]]]:
    """Each page's words as (text, confidence 0-100, line) from an ALTO file
    sohoa wrote (plain or gzip-compressed); lines count from 0 on each page."""
    if alto[:2] == _GZIP_MAGIC:
        alto = gzip.decompress(alto)
    pages: dict[int, list[tuple[str, float, int]]] = {}
    for page in ElementTree.fromstring(alto).iter(f"{{{ALTO_NS}}}Page"):
        words = pages.setdefault(int(float(page.get("PHYSICAL_IMG_NR", "0"))), [])
        for line_number, line in enumerate(page.iter(f"{{{ALTO_NS}}}TextLine")):
            words += [
                (word.get("CONTENT", ""), 100 * float(word.get("WC", "0")), line_number)
                for word in line.iter(f"{{{ALTO_NS}}}String")
            ]
    return pages
