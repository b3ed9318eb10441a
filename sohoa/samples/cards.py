"""Generated Vietnamese ID card fronts in colour, as real cards are printed.

The grey card from ``render_document("citizen_id_card", ...)`` is easy: black
ink on a flat background. Real cards are not. The ID number is printed in red
over a guilloche security pattern (fine coloured sine lines and rosettes on a
colour gradient), which is what defeats a reader that thresholds the grey image.
``render_card`` draws such a front, either the chip citizen ID card (CCCD, a
12-digit number) or the old people's ID card (CMND, a 9-digit number), with its
ground truth; ``photograph`` adds what a phone camera adds (perspective, blur,
JPEG). The person printed on the card comes from ``render_document``.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from sohoa.samples import CARD, DPI, FONT_DIR, MOTTO, GroundTruth, SampleDocument, render_document

CARD_STYLES = ("cccd", "cmnd")
RED_INK = (196, 32, 40)
DARK_INK = (28, 30, 44)
_SANS = "DejaVuSans.ttf"
_SANS_BOLD = "DejaVuSans-Bold.ttf"


@dataclass(frozen=True)
class _Palette:
    """The two ends of the background gradient and the guilloche line colours."""

    top_left: tuple[int, int, int]
    bottom_right: tuple[int, int, int]
    lines: tuple[tuple[int, int, int], ...]


_PALETTES = {
    # The chip card: pale blue-green to pink-beige, with teal, rose and ochre lines.
    "cccd": _Palette(
        (205, 228, 232), (240, 214, 206), ((92, 160, 170), (214, 120, 130), (200, 170, 90))
    ),
    # The old card: pale blue to lilac, with blue and violet lines.
    "cmnd": _Palette(
        (206, 222, 240), (226, 214, 236), ((110, 140, 200), (150, 110, 190), (120, 180, 200))
    ),
}  # fmt: skip


def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / (_SANS_BOLD if bold else _SANS)), size)


def _gradient(size: tuple[int, int], palette: _Palette) -> np.ndarray:
    """A diagonal blend from one colour to the other, as a float RGB array."""
    w, h = size
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    t = ((xs / w + ys / h) / 2.0)[..., None]
    start = np.array(palette.top_left, np.float32)
    end = np.array(palette.bottom_right, np.float32)
    return start * (1 - t) + end * t


def _guilloche(
    draw: ImageDraw.ImageDraw, size: tuple[int, int], palette: _Palette, rng: random.Random
) -> None:
    """Bands of fine interlaced sine lines and a rosette, each line 1 px wide."""
    w, h = size
    xs = np.arange(0, w + 8, 4, dtype=np.float64)
    for band, colour in enumerate(palette.lines):
        wavelength = rng.uniform(90, 180)
        amplitude = rng.uniform(18, 40)
        phase = rng.uniform(0, 2 * math.pi)
        for k in range(0, h + 80, 11 + 3 * band):
            ys = k + amplitude * np.sin(2 * math.pi * xs / wavelength + phase + k / 37.0)
            ys += 0.35 * amplitude * np.sin(2 * math.pi * xs / (wavelength / 3.1) + k / 13.0)
            draw.line(list(zip(xs.tolist(), ys.tolist(), strict=True)), fill=colour, width=1)
    cx, cy = rng.uniform(0.55, 0.75) * w, rng.uniform(0.45, 0.65) * h
    t = np.linspace(0, 2 * math.pi, 2400)
    for ring in range(14):
        big, small, offset = 150 + 6 * ring, 19 + ring % 5, 36 + 2 * ring
        rx = (big - small) * np.cos(t) + offset * np.cos((big - small) / small * t)
        ry = (big - small) * np.sin(t) - offset * np.sin((big - small) / small * t)
        points = list(zip((cx + rx * 0.9).tolist(), (cy + ry * 0.6).tolist(), strict=True))
        draw.line(points, fill=palette.lines[ring % len(palette.lines)], width=1)


def security_background(
    style: str, rng: random.Random, size: tuple[int, int] = CARD
) -> Image.Image:
    """A card's printed background: a colour gradient under guilloche lines."""
    palette = _PALETTES[style]
    base = Image.fromarray(np.clip(_gradient(size, palette), 0, 255).astype(np.uint8), "RGB")
    _guilloche(ImageDraw.Draw(base), size, palette, rng)
    return base.filter(ImageFilter.GaussianBlur(0.6))  # print dot gain softens the fine lines


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and font.getlength(candidate) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    return [*lines, current] if current else lines


class _CardWriter:
    """Writes lines down the card, each recorded as a truth line."""

    def __init__(self, image: Image.Image, left: int, right: int, top: int) -> None:
        self.draw = ImageDraw.Draw(image)
        self.left, self.right, self.y = left, right, top
        self.lines: list[str] = []

    def line(
        self,
        text: str,
        size: int,
        *,
        bold: bool = False,
        colour: Any = DARK_INK,
        center: bool = False,
    ) -> None:
        font = _font(bold, size)
        while font.getlength(text) > self.right - self.left and size > 12:
            size -= 1
            font = _font(bold, size)
        x = self.left + (self.right - self.left - font.getlength(text)) / 2 if center else self.left
        self.draw.text((x, self.y), text, font=font, fill=colour)
        self.lines.append(text)
        self.y += round(size * 1.38)

    def labelled(
        self, label: str, value: str, size: int, *, value_colour: Any = DARK_INK, bold: bool = True
    ) -> None:
        """``label value`` on one line, the value in its own weight and colour."""
        label_font, value_font = _font(False, size), _font(bold, size + 3)
        self.draw.text((self.left, self.y + 3), label, font=label_font, fill=DARK_INK)
        x = self.left + label_font.getlength(label + " ")
        self.draw.text((x, self.y), value, font=value_font, fill=value_colour)
        self.lines.append(f"{label} {value}")
        self.y += round(size * 1.45)

    def paragraph(self, text: str, size: int) -> None:
        for part in _wrap(text, _font(False, size), self.right - self.left):
            self.line(part, size)


def _portrait(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int]) -> None:
    x0, y0, x1, y1 = box
    draw.rectangle(box, fill=(188, 196, 206), outline=(90, 96, 110), width=2)
    cx = (x0 + x1) / 2
    draw.ellipse((cx - 33, y0 + 30, cx + 33, y0 + 100), fill=(120, 112, 108))
    draw.chord((x0 + 25, y0 + 110, x1 - 25, y1 + 60), 180, 360, fill=(70, 80, 100))


def _emblem(draw: ImageDraw.ImageDraw, center: tuple[int, int], radius: int) -> None:
    cx, cy = center
    draw.ellipse(
        (cx - radius, cy - radius, cx + radius, cy + radius),
        fill=(200, 40, 40),
        outline=(220, 180, 60),
        width=6,
    )
    star = [
        (
            cx + radius * 0.55 * math.cos(math.pi / 2 + k * 4 * math.pi / 5),
            cy - radius * 0.55 * math.sin(math.pi / 2 + k * 4 * math.pi / 5),
        )
        for k in range(5)
    ]
    draw.polygon(star, fill=(245, 210, 60))


def _field(lines: list[str], label: str) -> str:
    """The text after ``label`` in the grey card's truth, joined over wrapped lines."""
    for i, line in enumerate(lines):
        if line.startswith(label):
            tail = [line[len(label) :].strip()]
            for more in lines[i + 1 :]:
                if ":" in more:
                    break
                tail.append(more)
            return " ".join(tail)
    raise ValueError(f"the generated card has no line starting {label!r}")


def _cccd_lines(writer: _CardWriter, lines: list[str], metadata: dict[str, Any]) -> None:
    for text in MOTTO:
        writer.line(text, 21 if text.isupper() else 19, bold=text.isupper(), center=True)
    writer.y += 6
    writer.line("CĂN CƯỚC CÔNG DÂN", 36, bold=True, colour=(170, 30, 40), center=True)
    writer.line("Citizen Identity Card", 21, center=True)
    writer.labelled("Số / No.:", metadata["citizen_ids"][0], 29, value_colour=RED_INK)
    writer.line("Họ và tên / Full name:", 22)
    writer.line(metadata["names"][0], 28, bold=True)
    writer.line(f"Ngày sinh / Date of birth: {_field(lines, 'Ngày sinh / Date of birth:')}", 22)
    writer.line(f"Giới tính / Sex: {_field(lines, 'Giới tính / Sex:')}", 22)
    writer.paragraph(
        f"Quê quán / Place of origin: {_field(lines, 'Quê quán / Place of origin:')}", 21
    )
    residence = _field(lines, "Nơi thường trú / Place of residence:")
    writer.paragraph(f"Nơi thường trú / Place of residence: {residence}", 21)


def _cmnd_lines(writer: _CardWriter, lines: list[str], metadata: dict[str, Any]) -> None:
    for text in MOTTO:
        writer.line(text, 21 if text.isupper() else 19, bold=text.isupper(), center=True)
    writer.y += 8
    writer.line("GIẤY CHỨNG MINH NHÂN DÂN", 34, bold=True, center=True)
    writer.labelled("Số", metadata["old_ids"][0], 34, value_colour=RED_INK)
    writer.line(f"Họ tên: {metadata['names'][0]}", 24, bold=True)
    birth = _field(lines, "Ngày sinh / Date of birth:").replace("/", "-")
    writer.line(f"Sinh ngày: {birth}", 23)
    writer.paragraph(f"Nguyên quán: {_field(lines, 'Quê quán / Place of origin:')}", 22)
    writer.paragraph(
        f"Nơi ĐKHK thường trú: {_field(lines, 'Nơi thường trú / Place of residence:')}", 22
    )


def render_card(rng: random.Random, style: str = "cccd") -> SampleDocument:
    """One colour ID card front at 300 DPI with its ground truth.

    Args:
        rng: the seeded source of the person, the pattern and the layout.
        style: "cccd" (chip citizen ID card, 12-digit number) or "cmnd" (the old
            people's ID card, 9-digit number); both numbers printed in red.

    Returns:
        A one-page SampleDocument of kind ``id_card_<style>``. Its truth page
        holds every line drawn; its metadata lists ``citizen_ids`` (CCCD) or
        ``old_ids`` (CMND), ``names`` and ``birth_dates`` as the metadata step
        should read them, and ``id_number``, the red number.
    """
    if style not in CARD_STYLES:
        raise ValueError(f"unknown card style {style!r}; choose one of {', '.join(CARD_STYLES)}")
    grey = render_document("citizen_id_card", rng)
    lines = grey.truth.pages[0].split("\n")
    metadata = dict(grey.truth.metadata)
    if style == "cmnd":
        metadata["citizen_ids"] = []
        metadata["old_ids"] = ["".join(rng.choice("0123456789") for _ in range(9))]
        metadata["document_type"] = None  # the rules know the chip card, not the old one
    metadata["id_number"] = (metadata["citizen_ids"] or metadata["old_ids"])[0]
    image = security_background(style, rng)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle(
        (2, 2, CARD[0] - 3, CARD[1] - 3), radius=36, outline=(120, 130, 140), width=3
    )
    _emblem(draw, (125, 100), 62)
    _portrait(draw, (40, 200, 215, 430))
    writer = _CardWriter(image, left=250, right=CARD[0] - 22, top=22)
    (_cccd_lines if style == "cccd" else _cmnd_lines)(writer, lines, metadata)
    image.info["dpi"] = (DPI, DPI)
    truth = GroundTruth(f"id_card_{style}", ("\n".join(writer.lines),), metadata)
    return SampleDocument(truth.kind, [image], truth)


def photograph(
    image: Image.Image,
    rng: random.Random,
    *,
    tilt: float = 0.06,
    blur: float = 1.0,
    jpeg_quality: int = 60,
    scale: float = 1.0,
) -> Image.Image:
    """What a hand-held phone does to a card or page: a perspective view on a
    darker table, lens blur, resampling and JPEG compression.

    Args:
        tilt: how far each corner may move, as a share of the side (0: none).
        blur: Gaussian blur radius in pixels, at the output scale.
        jpeg_quality: compress as JPEG at this quality and decode again.
        scale: output size over input size (below 1: a lower-resolution capture).

    Returns:
        An RGB image without a DPI tag (phones do not write one);
        ``info["distortions"]`` records what was applied.
    """
    rgb = np.asarray(image.convert("RGB"))
    h, w = rgb.shape[:2]
    margin = round(0.08 * max(w, h))
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    jitter = [(rng.uniform(-tilt, tilt) * w, rng.uniform(-tilt, tilt) * h) for _ in range(4)]
    dst = np.array(
        [
            [x + margin + dx, y + margin + dy]
            for (x, y), (dx, dy) in zip(src.tolist(), jitter, strict=True)
        ],
        np.float32,
    )
    size = (w + 2 * margin, h + 2 * margin)
    matrix = cv2.getPerspectiveTransform(src, dst)
    table = tuple(int(v) for v in rng.choice(((92, 80, 70), (60, 62, 66), (150, 140, 125))))
    warped = cv2.warpPerspective(rgb, matrix, size, flags=cv2.INTER_CUBIC, borderValue=table)
    shade = np.linspace(rng.uniform(0.8, 1.0), rng.uniform(0.9, 1.05), size[0], dtype=np.float32)
    warped = np.clip(warped.astype(np.float32) * shade[None, :, None], 0, 255).astype(np.uint8)
    out = Image.fromarray(warped, "RGB")
    if scale != 1.0:
        out = out.resize(
            (round(size[0] * scale), round(size[1] * scale)), Image.Resampling.BILINEAR
        )
    if blur > 0:
        out = out.filter(ImageFilter.GaussianBlur(blur))
    buffer = io.BytesIO()
    out.save(buffer, format="JPEG", quality=jpeg_quality)
    out = Image.open(io.BytesIO(buffer.getvalue()))
    out.load()
    out.info.pop("dpi", None)
    out.info["distortions"] = {
        "tilt": tilt,
        "blur": blur,
        "jpeg_quality": jpeg_quality,
        "scale": scale,
    }
    return out
