"""The record's OCR as ALTO XML 4: valid against the schema, the words, boxes and
confidences of ocr.json, page by page."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from sohoa.pipeline.alto import ALTO_NS
from sohoa.pipeline.dossier import build_alto
from sohoa.pipeline.ocr import Word
from tests.helpers.archival import alto_errors, generated_page

NS = {"a": ALTO_NS}
SECOND_LINE = (
    Word("Độc", 88.0, 100, 500, 90, 38, block=2, line=2),
    Word("lập", 95.5, 200, 500, 80, 38, block=2, line=2),
    Word('"Tự', 60.0, 300, 500, 90, 38, block=2, line=2),
)


def test_alto_is_valid_and_holds_every_word_with_its_box_and_confidence(tmp_path: Path) -> None:
    pages = [
        generated_page(tmp_path, "L"),
        generated_page(tmp_path, "RGB", words=()),  # a blank page
        generated_page(tmp_path, "1", words=SECOND_LINE),
    ]

    alto = build_alto(pages, tmp_path / "alto.xml.gz", datetime(2024, 6, 3, tzinfo=UTC))

    assert alto_errors(alto) == []
    document = etree.fromstring(gzip.decompress(alto.read_bytes()))
    layout_pages = document.findall("a:Layout/a:Page", NS)
    assert [p.get("PHYSICAL_IMG_NR") for p in layout_pages] == ["1", "2", "3"]
    assert [p.get("LANG") for p in layout_pages] == ["vi"] * 3
    assert [len(p.findall(".//a:String", NS)) for p in layout_pages] == [2, 0, 3]
    strings = layout_pages[2].findall(".//a:String", NS)
    assert [s.get("CONTENT") for s in strings] == ["Độc", "lập", '"Tự']
    assert [s.get("WC") for s in strings] == ["0.88", "0.95", "0.60"]
    first = strings[0]
    assert [first.get(k) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT")] == ["100", "500", "90", "38"]
    [line] = layout_pages[2].findall(".//a:TextLine", NS)
    assert [line.get(k) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT")] == ["100", "500", "290", "38"]
    assert len(line.findall("a:SP", NS)) == 2
    processing = document.find("a:Description/a:Processing/a:processingDateTime", NS)
    assert processing is not None and processing.text == "2024-06-03T00:00:00+00:00"


def test_schema_check_can_fail() -> None:
    """A String without its CONTENT, and a word confidence above 1, are refused."""
    broken = (
        f'<alto xmlns="{ALTO_NS}"><Description><MeasurementUnit>pixel</MeasurementUnit>'
        "<sourceImageInformation><fileName>x.pdf</fileName></sourceImageInformation>"
        '</Description><Layout><Page ID="p1" PHYSICAL_IMG_NR="1" WIDTH="10" HEIGHT="10">'
        '<PrintSpace HPOS="0" VPOS="0" WIDTH="10" HEIGHT="10">'
        '<TextBlock ID="b1" HPOS="0" VPOS="0" WIDTH="1" HEIGHT="1">'
        '<TextLine HPOS="0" VPOS="0" WIDTH="1" HEIGHT="1">'
        '<String HPOS="0" VPOS="0" WIDTH="1" HEIGHT="1" WC="1.5"/>'
        "</TextLine></TextBlock></PrintSpace></Page></Layout></alto>"
    ).encode()

    errors = alto_errors(broken)

    assert any("CONTENT" in error for error in errors), errors
    assert any("WC" in error for error in errors), errors
