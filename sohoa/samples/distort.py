"""What a scanner adds to a sheet: skew, quarter turns, sensor noise and dust,
blur, JPEG compression."""

from __future__ import annotations

import io
import random
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageFilter

from sohoa.samples.drawing import DPI, WHITE


def distort(
    image: Image.Image,
    rng: random.Random,
    *,
    skew_degrees: float = 0.0,
    rotate: int = 0,
    noise: float = 0.0,
    blur: float = 0.0,
    jpeg_quality: int | None = None,
) -> Image.Image:
    """What a scanner does to a sheet.

    Args:
        skew_degrees: turn clockwise by this small angle (negative: counter-clockwise),
            on a larger white canvas, as a sheet laid crooked on the glass.
        rotate: 0, 90, 180 or 270: the sheet was fed turned clockwise by this much.
        noise: standard deviation of Gaussian sensor noise, in gray levels, plus dust.
        blur: Gaussian blur radius in pixels.
        jpeg_quality: compress as JPEG at this quality and decode again.

    Returns:
        A new image; ``image.info["distortions"]`` records what was applied.
    """
    if rotate not in (0, 90, 180, 270):
        raise ValueError("rotate must be 0, 90, 180 or 270")
    out = image.convert("L") if image.mode not in ("L", "RGB") else image.copy()
    if skew_degrees:
        out = _turned(out, -skew_degrees)
    if rotate:
        out = out.rotate(-rotate, expand=True)  # quarter turns are exact, nothing to fill
    if noise > 0:
        generator = np.random.default_rng(rng.getrandbits(32))
        pixels = np.asarray(out, dtype=np.float32)
        grain = generator.standard_normal(pixels.shape[:2], dtype=np.float32) * np.float32(noise)
        pixels += grain.reshape(pixels.shape[:2] + (1,) * (pixels.ndim - 2))
        dust = generator.random(pixels.shape[:2]) < 0.0003
        pixels[dust] = 40.0
        out = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    if blur > 0:
        out = out.filter(ImageFilter.GaussianBlur(blur))
    if jpeg_quality is not None:
        buffer = io.BytesIO()
        out.save(buffer, format="JPEG", quality=jpeg_quality)
        out = Image.open(io.BytesIO(buffer.getvalue()))
        out.load()
    out.info["dpi"] = (DPI, DPI)
    out.info["distortions"] = {
        "skew_degrees": skew_degrees,
        "rotate": rotate,
        "noise": noise,
        "blur": blur,
        "jpeg_quality": jpeg_quality,
    }
    return out


def _turned(image: Image.Image, degrees: float) -> Image.Image:
    """``image`` (L or RGB) turned counter-clockwise by ``degrees`` on a canvas
    that holds all of it, the new corners white."""
    fill = WHITE if image.mode == "L" else (WHITE, WHITE, WHITE)
    return image.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=fill)


def random_distortion(rng: random.Random, file_format: str = "png") -> dict[str, Any]:
    """Keyword arguments for ``distort``: what an ordinary office scanner does."""
    return {
        "skew_degrees": round(rng.uniform(-3.0, 3.0), 2) if rng.random() < 0.5 else 0.0,
        "rotate": rng.choice((90, 180, 270)) if rng.random() < 0.15 else 0,
        "noise": round(rng.uniform(4.0, 12.0), 1),
        "blur": round(rng.uniform(0.0, 0.8), 2),
        "jpeg_quality": rng.randint(70, 92) if file_format == "jpeg" else None,
    }


# Pixel arrays (the pipeline's own representation), for tests of single steps.


def skew(image: np.ndarray, angle_degrees: float) -> np.ndarray:
    """Turn the page counter-clockwise by ``angle_degrees`` on a larger white
    canvas, as a sheet laid crooked on the glass (``distort``'s skew, on an array)."""
    return np.asarray(_turned(Image.fromarray(image), angle_degrees))


def add_scan_noise(image: np.ndarray, seed: int = 0, sigma: float = 14.0) -> np.ndarray:
    """Paper tint, Gaussian sensor noise, dust specks and a slight blur.

    The noise is a 1009 x 1013 pixel tile repeated over the page (drawing
    ten million normal variates per page would dominate the test time); its
    period matches nothing on a page."""
    rng = np.random.default_rng(seed)
    height, width = image.shape[:2]
    channels = image.shape[2] if image.ndim == 3 else 1
    tile = (rng.standard_normal((1009, 1013, channels), dtype=np.float32) * sigma).astype(np.int16)
    reps = (-(-height // tile.shape[0]), -(-width // tile.shape[1]), 1)
    noise = np.tile(tile, reps)[:height, :width].reshape(image.shape)
    tinted = cv2.convertScaleAbs(cv2.GaussianBlur(image, (3, 3), 0.7), alpha=0.92, beta=10.0)
    noisy = cv2.add(tinted, noise, dtype=cv2.CV_8U)
    specks = int(height * width * 0.0005)
    noisy[rng.integers(0, height, specks), rng.integers(0, width, specks)] = 30
    return noisy


def add_dark_edges(image: np.ndarray, band: int = 40) -> np.ndarray:
    """Dark bands along the left and top edges, as a lid left open leaves."""
    out = image.copy()
    out[:, :band] = 25
    out[:band, :] = 25
    return out
