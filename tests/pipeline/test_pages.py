"""process_page end to end on generated Vietnamese pages, with real Tesseract."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sohoa.core.errors import ProcessingError
from sohoa.pipeline.cleanup import to_grayscale
from sohoa.pipeline.pages import PageOptions, ProcessedPage, process_page, turn_clockwise
from sohoa.samples import add_dark_edges, add_scan_noise, blank_page, render_page, skew
from tests.helpers.pages import character_error_rate, save_png

pytestmark = pytest.mark.ocr

OPTIONS = PageOptions(languages="vie+eng", dpi=300, ocr_timeout=120.0)
PageWriter = Callable[..., Path]


def test_clean_page(page_png: PageWriter, tmp_path: Path) -> None:
    page = render_page(0, qr_payload="https://dichvucong.gov.vn/hs/1524")
    out = tmp_path / "out"
    result = process_page(page_png(page.image), out, OPTIONS)

    cer = character_error_rate(result.text, page.text)
    print(f"clean page CER {cer:.2%}, confidence {result.ocr_confidence}")
    assert cer <= 0.03
    assert (result.rotation_degrees, result.skew_corrected, result.blank) == (0, False, False)
    assert result.qr_payloads == ("https://dichvucong.gov.vn/hs/1524",)
    assert result.ocr_confidence > 80 and result.word_count > 150
    assert (result.width, result.height, result.dpi) == (2480, 3508, 300)

    assert sorted(p.name for p in out.iterdir()) == ["ocr.json", "page.jpg"]
    with Image.open(result.image_path) as jpeg:
        assert (jpeg.format, jpeg.mode, jpeg.size) == ("JPEG", "RGB", (2480, 3508))
        assert jpeg.info["dpi"] == pytest.approx((300, 300))
    document = json.loads(result.ocr_json_path.read_text(encoding="utf-8"))
    assert document["width"] == 2480 and document["word_count"] == result.word_count
    word = next(w for w in document["words"] if w["text"] == "1524/QĐ-UBND")
    assert set(word) >= {"text", "confidence", "left", "top", "width", "height", "block", "line"}
    # The word boxes are in page.jpg's pixels, for the searchable PDF's text layer.
    assert all(w["left"] + w["width"] <= 2480 for w in document["words"])
    assert all(w["top"] + w["height"] <= 3508 for w in document["words"])
    assert 250 < word["left"] < 600 and 500 < word["top"] < 600  # line 4, left margin

    round_tripped = ProcessedPage.from_dict(json.loads(json.dumps(result.to_dict())))
    assert round_tripped == result


@pytest.mark.slow
@pytest.mark.parametrize(
    ("index", "turned", "angle"),
    [(1, 0, 9.5), (2, 0, -10.0), (0, 90, 2.5), (1, 180, 0.0), (2, 270, -4.0)],
)
def test_skewed_and_turned_noisy_scans(
    index: int, turned: int, angle: float, page_png: PageWriter, tmp_path: Path
) -> None:
    page = render_page(index)
    scan = add_scan_noise(turn_clockwise(skew(page.image, angle), turned), seed=index)
    result = process_page(page_png(scan), tmp_path / "out", OPTIONS)
    cer = character_error_rate(result.text, page.text)
    print(f"page {index} turned {turned} skew {angle}: CER {cer:.2%}, skew {result.skew_degrees}")
    assert cer <= 0.05
    assert result.rotation_degrees == (360 - turned) % 360
    assert abs(result.skew_degrees - angle) <= 0.3
    assert result.skew_corrected == (abs(angle) >= 0.2)
    # Upright again: portrait, and larger than the page when it was deskewed.
    assert result.height > result.width
    with Image.open(result.image_path) as jpeg:
        assert jpeg.size == (result.width, result.height)


def test_blank_page_is_flagged_and_not_ocred(page_png: PageWriter, tmp_path: Path) -> None:
    scan = add_dark_edges(add_scan_noise(blank_page(300)))
    result = process_page(page_png(scan), tmp_path / "out", OPTIONS)
    assert result.blank
    assert (result.text, result.word_count, result.ocr_confidence) == ("", 0, 0.0)
    assert result.image_path.is_file()
    assert json.loads(result.ocr_json_path.read_text())["words"] == []
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "ocr.json",
        "page.jpg",
    ]


def _small_page() -> np.ndarray:
    """The top third of a page at 150 DPI: fast to OCR."""
    image = render_page(0, dpi=150).image
    return image[: image.shape[0] // 3]


@pytest.mark.parametrize(
    ("mode", "convert"),
    [
        ("L", lambda rgb: Image.fromarray(to_grayscale(rgb))),
        ("1", lambda rgb: Image.fromarray(to_grayscale(rgb) > 128)),
        ("I;16", lambda rgb: Image.fromarray(to_grayscale(rgb).astype(np.uint16) * 257)),
        ("RGBA", lambda rgb: Image.fromarray(rgb).convert("RGBA")),
        ("P", lambda rgb: Image.fromarray(rgb).convert("P")),
    ],
)
def test_image_modes(
    mode: str, convert: Callable[[np.ndarray], Image.Image], tmp_path: Path
) -> None:
    source = convert(_small_page())
    assert source.mode == mode
    path = tmp_path / "page.png"
    source.save(path)
    result = process_page(path, tmp_path / "out", PageOptions(dpi=150, ocr_timeout=120.0))
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in result.text
    with Image.open(result.image_path) as stored:
        # A bilevel scan stays bilevel (CCITT G4), gray stays gray, colour colour.
        if mode == "1":
            assert (stored.format, stored.mode, stored.info["compression"]) == (
                "TIFF",
                "1",
                "group4",
            )
        else:
            assert (stored.format, stored.mode) == ("JPEG", "RGB" if mode in ("RGBA", "P") else "L")
        assert stored.info["dpi"] == pytest.approx((150, 150))


def test_unreadable_image(tmp_path: Path) -> None:
    path = tmp_path / "page.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    with pytest.raises(ProcessingError, match=r"Cannot read page image page\.png"):
        process_page(path, tmp_path / "out", OPTIONS)


def test_same_page_twice_gives_the_same_result(tmp_path: Path) -> None:
    path = save_png(_small_page(), tmp_path / "page.png", dpi=150)
    options = PageOptions(dpi=150, ocr_timeout=120.0)
    first = process_page(path, tmp_path / "out", options)
    second = process_page(path, tmp_path / "out", options)
    assert first == second
