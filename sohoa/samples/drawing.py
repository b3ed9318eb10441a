"""Typesetting at 300 DPI with the DejaVu fonts, which cover every Vietnamese
letter: styles, pages filled line by line with their text recorded, QR codes."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import qrcode
from PIL import Image, ImageDraw, ImageFont

DPI = 300
A4_MM = (210.0, 297.0)


def a4_pixels(dpi: int) -> tuple[int, int]:
    """Width and height of an A4 sheet scanned at ``dpi``."""
    return round(A4_MM[0] / 25.4 * dpi), round(A4_MM[1] / 25.4 * dpi)


A4 = a4_pixels(DPI)
CARD = (1011, 638)
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
WHITE = 255
INK = 20


_FONT_FILES = {
    "serif": "DejaVuSerif.ttf",
    "serif-bold": "DejaVuSerif-Bold.ttf",
    "serif-italic": "DejaVuSerif-Italic.ttf",
    "sans": "DejaVuSans.ttf",
    "sans-bold": "DejaVuSans-Bold.ttf",
}


@lru_cache(maxsize=128)
def load_font(style: str, size: int) -> ImageFont.FreeTypeFont:
    """The DejaVu font of ``style`` (a key of _FONT_FILES) at ``size`` pixels."""
    return ImageFont.truetype(str(FONT_DIR / _FONT_FILES[style]), size)


def pt(points: float) -> int:
    """Points to pixels at 300 DPI."""
    return round(points * DPI / 72)


@dataclass(frozen=True)
class Style:
    """A face and a size in pixels."""

    face: str = "serif"
    size: int = pt(13)

    def font(self) -> ImageFont.FreeTypeFont:
        return load_font(self.face, self.size)

    def fitted(self, text: str, width: float) -> ImageFont.FreeTypeFont:
        """This style's font, shrunk until ``text`` fits in ``width`` pixels."""
        size = self.size
        while size > 12 and load_font(self.face, size).getlength(text) > width:
            size -= 2
        return load_font(self.face, size)


BODY = Style()
BOLD = Style("serif-bold")
ITALIC = Style("serif-italic")
TITLE = Style("serif-bold", pt(14))
HEADER = Style("serif", pt(12.5))
HEADER_BOLD = Style("serif-bold", pt(12.5))

Line = tuple[str, Style]


class Sheets:
    """Draws lines top to bottom, starting new pages as needed, and records
    every line drawn as that page's ground truth text."""

    def __init__(
        self,
        size: tuple[int, int] = A4,
        margins: tuple[int, int, int, int] = (236, 177, 236, 354),
        background: int = WHITE,
    ) -> None:
        self.size = size
        self.top, self.right, self.bottom, self.left = margins
        self.background = background
        self.images: list[Image.Image] = []
        self.lines: list[list[str]] = []
        self.y = 0
        self.narrow_until = (0, 0)  # (y, right edge) while something sits at the right
        self.new_page()

    @property
    def x1(self) -> int:
        limit_y, limit_x = self.narrow_until
        edge = self.size[0] - self.right
        return min(edge, limit_x) if self.y < limit_y else edge

    @property
    def draw(self) -> ImageDraw.ImageDraw:
        return ImageDraw.Draw(self.images[-1])

    def new_page(self) -> None:
        self.images.append(Image.new("L", self.size, self.background))
        self.lines.append([])
        self.y = self.top
        self.narrow_until = (0, 0)
        if len(self.images) > 1:  # pages after the first carry their number on top
            number = str(len(self.images))
            self.put(number, BODY, align="center", y=self.top // 2)

    def ensure(self, height: int) -> None:
        if self.y + height > self.size[1] - self.bottom:
            self.new_page()

    def put(
        self,
        text: str,
        style: Style,
        *,
        align: str = "left",
        x0: int | None = None,
        x1: int | None = None,
        y: int | None = None,
        indent: int = 0,
    ) -> int:
        """Draw one line without moving the cursor; return the line's height."""
        x0 = self.left if x0 is None else x0
        x1 = self.x1 if x1 is None else x1
        font = style.fitted(text, x1 - x0 - indent)
        width = font.getlength(text)
        if align == "center":
            x = x0 + (x1 - x0 - width) / 2
        elif align == "right":
            x = x1 - width
        else:
            x = x0 + indent
        self.draw.text((x, self.y if y is None else y), text, font=font, fill=INK)
        self.lines[-1].append(text)
        return round(font.size * 1.45)

    def line(self, text: str, style: Style = BODY, **kwargs: Any) -> None:
        self.ensure(round(style.size * 1.45))
        self.y += self.put(text, style, **kwargs)

    def paragraph(self, text: str, style: Style = BODY, indent: int = pt(28)) -> None:
        """Greedy word wrap, first line indented."""
        font = style.font()
        words = text.split()
        current: list[str] = []
        first = True
        while words:
            width = self.x1 - self.left - (indent if first else 0)
            candidate = [*current, words[0]]
            if current and font.getlength(" ".join(candidate)) > width:
                self.line(" ".join(current), style, indent=indent if first else 0)
                current, first = [], False
            else:
                current = candidate
                words.pop(0)
        if current:
            self.line(" ".join(current), style, indent=indent if first else 0)

    def space(self, height: int) -> None:
        self.y += height

    def columns(
        self, left: Sequence[Line], right: Sequence[Line], split: float = 0.42, rule: bool = True
    ) -> None:
        """Two centered blocks side by side, as in every administrative header.
        The left block is recorded first, then the right one."""
        width = self.size[0] - self.left - self.right
        middle = self.left + round(width * split)
        heights = []
        for block, x0, x1 in ((left, self.left, middle), (right, middle + 20, self.x1)):
            y = self.y
            for text, style in block:
                y += self.put(text, style, align="center", x0=x0, x1=x1, y=y)
            if rule and block and block[-1][1] in (HEADER_BOLD, BOLD):
                text, style = block[-1]
                text_width = style.fitted(text, x1 - x0).getlength(text)
                half = text_width / 2 if block is right else text_width / 5
                center = (x0 + x1) / 2
                self.draw.line([(center - half, y + 4), (center + half, y + 4)], fill=INK, width=3)
            heights.append(y - self.y)
        self.y += max(heights) + pt(6)

    def signature(
        self, titles: Sequence[Line], signer: str, left: Sequence[Line] = (), rng: Any = None
    ) -> None:
        """The signing block at the right (titles, a scribble, the name) with
        an optional block at the left (recipients)."""
        self.ensure(pt(40) * (len(titles) + 2) + pt(70))
        top = self.y
        width = self.size[0] - self.left - self.right
        x0 = self.left + round(width * 0.45)
        x1 = self.size[0] - self.right
        y = top
        for text, style in left:
            y += self.put(text, style, x0=self.left, x1=x0 - 20, y=y)
        left_bottom = y
        y = top
        for text, style in titles:
            y += self.put(text, style, align="center", x0=x0, x1=x1, y=y)
        if rng is not None:
            _scribble(self.draw, rng, (x0 + x1) / 2, y + pt(30), pt(60))
        y += pt(75)
        y += self.put(signer, BOLD, align="center", x0=x0, x1=x1, y=y)
        self.y = max(y, left_bottom) + pt(10)


def _scribble(draw: ImageDraw.ImageDraw, rng: random.Random, cx: float, cy: float, w: int) -> None:
    points = []
    for i in range(9):
        x = cx - w + i * (2 * w / 8) + rng.uniform(-20, 20)
        y = cy + rng.uniform(-w / 3, w / 3)
        points.append((x, y))
    draw.line(points, fill=60, width=5, joint="curve")


def qr_image(payload: str, module_px: int = 9, border: int = 4) -> Image.Image:
    """A grayscale QR code with square modules of ``module_px`` pixels and a
    quiet zone of ``border`` modules (the standard asks for 4)."""
    code = qrcode.QRCode(border=border, box_size=module_px, error_correction=qrcode.ERROR_CORRECT_M)
    code.add_data(payload)
    code.make(fit=True)
    image: Image.Image = code.make_image(fill_color="black", back_color="white").get_image()
    return image.convert("L")
