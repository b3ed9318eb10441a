"""QR codes on generated pages, through OpenCV's real detectors."""

from __future__ import annotations

import pytest

from sohoa.pipeline.cleanup import is_blank, overview, to_grayscale
from sohoa.pipeline.pages import turn_clockwise
from sohoa.pipeline.qr import decode_qr_codes
from sohoa.samples import add_scan_noise, qr_image, render_page, skew
from tests.helpers.pages import paste

RECEIPT = (
    "MST:4001234567|Ten:CONG TY TNHH THUONG MAI DICH VU HOI AN XANH|"
    "Ngay:12/03/2025|Ma:000.00.24.H47-250312-0047"
)
LINK = "https://dichvucong.gov.vn/tra-cuu?ma=000.00.24.H47-250312-0047"


def test_code_on_a_clean_rgb_page() -> None:
    page = render_page(2, qr_payload=LINK)
    assert decode_qr_codes(page.image) == (LINK,)


def test_the_overview_made_for_the_blank_test_serves_the_search() -> None:
    gray = to_grayscale(add_scan_noise(render_page(2, qr_payload=LINK).image))
    small = overview(gray)
    assert max(small.shape) < max(gray.shape)
    assert not is_blank(small)
    assert decode_qr_codes(gray, small) == (LINK,)


@pytest.mark.parametrize(
    ("module_px", "turned", "angle"),
    [(3, 0, 0.0), (4, 90, 4.0), (6, 180, -7.0), (10, 270, 15.0)],
)
def test_small_and_turned_codes_on_noisy_scans(module_px: int, turned: int, angle: float) -> None:
    """Modules of 3 px are 0.25 mm at 300 DPI, the smallest printed codes."""
    page = to_grayscale(render_page(0).image)
    code = qr_image(RECEIPT, module_px)
    scan = add_scan_noise(turn_clockwise(skew(paste(page, code, 1500, 2700), angle), turned))
    assert decode_qr_codes(scan) == (RECEIPT,)


def test_two_codes_are_both_read_once() -> None:
    page = to_grayscale(render_page(1).image)
    page = paste(page, qr_image("first", 6), 300, 2700)
    page = paste(page, qr_image("second", 6), 1500, 2700)
    page = paste(page, qr_image("first", 8), 1500, 200)
    assert sorted(decode_qr_codes(add_scan_noise(page))) == ["first", "second"]


@pytest.mark.parametrize("index", [0, 1])
def test_pages_without_codes(index: int) -> None:
    assert decode_qr_codes(add_scan_noise(render_page(index).image, sigma=25)) == ()
