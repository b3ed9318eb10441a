"""Which way up a page is: 0, 90, 180 or 270 degrees.

Tesseract OSD takes 0.7-1.1 s CPU on a half-resolution A4 page (1.6 s at
300 DPI; 0.3 s of it loading its model), half the time of the OCR itself,
so it is the fallback, not the first try. The first try reads the text
lines themselves, on the same ink points as the skew estimate (some 60 ms
for both):

1. Lines run along the axis whose projection profile is sharper: that
   tells 0/180 from 90/270 (the ratio is 5-13 on text pages).
2. Latin script, and Vietnamese even more with its stacked accents, has
   far more ink above the x-height band (capitals, ascenders, diacritics)
   than below it (descenders, dot-below). Summed over the lines of a page
   that asymmetry tells upright from upside down.

When the line test finds the page upright, that stands. Any turn needs
more: receipts, slips and cards fool the line test (their columns line up
better than their short lines, and an upright receipt scored 90°), and OSD
guesses on them with confidences of 1-2 (2.06 for a half turn of an
upright receipt). So Tesseract OSD runs on a half-resolution binarized
copy, and a turn is applied at once only when the line test and a
confident OSD agree on it. Any other proposed turn is settled by reading:
the page is OCRed upright and turned, on a reduced copy, and the turn is
kept only when it reads clearly better (``candidates.word_score``). On the
40 sroie-dev receipts this left the 3 upright receipts the old rule turned
(CER 0.48-0.84 after the turn, 0.07-0.31 upright) where they were.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from sohoa.pipeline.candidates import read, word_score
from sohoa.pipeline.deskew import (
    InkPoints,
    LineFit,
    SkewEstimate,
    downscale,
    fit_lines,
    ink_points,
    row_profile,
)
from sohoa.pipeline.ocr import UNKNOWN_ORIENTATION, Orientation
from sohoa.pipeline.ocr_engine import get_engine

# The text lines must be this much sharper along one axis than the other.
MIN_AXIS_RATIO = 2.0
MIN_LINE_FIT_CONFIDENCE = 0.5
# See line_asymmetry; text pages score 0.4-0.9.
MIN_ASYMMETRY = 0.2
MIN_LINES = 3
# Two lines are enough when they agree this strongly.
STRONG_ASYMMETRY = 0.5
# Blocks taller than this many typical line heights are not lines.
MAX_LINE_HEIGHT_RATIO = 1.8
# OSD runs on a copy whose longer side is at most this (about 150 DPI for A4).
OSD_LONG_SIDE = 1800
# Tesseract OSD confidences below this are guesses.
MIN_OSD_CONFIDENCE = 2.0
OSD_FULL_CONFIDENCE = 15.0
# A turn is applied unread only when OSD agrees with the line test at least this surely.
AGREEING_OSD_CONFIDENCE = 4.0
# Proposed turns are read on a copy whose longer side is at most this.
READ_CHECK_LONG_SIDE = 1800
# A turn must read this much better than the page as it lies.
TURN_SCORE_MARGIN = 1.5
# The check reads each candidate as one block of text (Tesseract's psm 6):
# the full layout analysis finds text lying on its side by itself, and read
# a receipt turned 90° as well as upright (score 92 against 94), hiding the turn.
UNKNOWN = UNKNOWN_ORIENTATION


def line_asymmetry(points: InkPoints, angle_degrees: float) -> tuple[float, int]:
    """How much more ink lies above the x-height band of the lines than below.

    Blocks much taller than a typical line (lines run together, QR codes,
    photos) are left out: their "band" means nothing.

    Args:
        points: ink points, lines horizontal up to ``angle_degrees``.
        angle_degrees: skew of the lines.

    Returns:
        (asymmetry, lines): (above - below) / (above + below) summed over
        the lines, in [-1, 1], positive when the page is upright, negative
        when it is upside down; and the number of lines that had ink above
        or below their band.
    """
    profile = row_profile(points, angle_degrees)
    inked = profile > 0.05 * profile.max()
    edges = np.flatnonzero(np.diff(np.concatenate(([0], inked.astype(np.int8), [0]))))
    spans = [(s, e) for s, e in zip(edges[::2], edges[1::2], strict=True) if e - s >= 3]
    if not spans:
        return 0.0, 0
    typical_height = float(np.median([e - s for s, e in spans]))
    above = below = 0.0
    lines = 0
    for start, end in spans:
        if end - start > MAX_LINE_HEIGHT_RATIO * typical_height:
            continue
        line = profile[start:end]
        band = np.flatnonzero(line >= 0.5 * line.max())
        line_above = float(line[: band[0]].sum())
        line_below = float(line[band[-1] + 1 :].sum())
        above += line_above
        below += line_below
        lines += line_above + line_below > 0
    total = above + below
    return ((above - below) / total if total > 0 else 0.0), lines


def _osd(gray: np.ndarray, dpi: int, timeout: float) -> Orientation:
    small = downscale(gray, OSD_LONG_SIDE)
    osd_dpi = max(1, round(dpi * small.shape[0] / gray.shape[0]))
    _, binary = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    return get_engine().detect_orientation(binary, osd_dpi, timeout)


@dataclass(frozen=True, slots=True)
class PageGeometry:
    """Which way up a page is, and its skew once turned upright.

    ``evidence`` says what decided the orientation, for the page record.
    """

    orientation: Orientation
    skew: SkewEstimate
    evidence: str = ""


def _skew_of(fit: LineFit) -> SkewEstimate:
    return SkewEstimate(round(fit.angle_degrees, 2), round(fit.confidence, 3))


def detect_geometry(
    gray: np.ndarray, timeout: float, dpi: int = 300, languages: str = "vie+eng"
) -> PageGeometry:
    """Orientation and skew from one look at the text lines.

    The skew is that of the page after turning it by the orientation (a
    half turn keeps the angle of the lines), the same as ``estimate_skew``
    would measure then, without a second pass over the page.

    Args:
        gray: grayscale page.
        timeout: seconds allowed for each Tesseract call, when one is needed.
        dpi: resolution of ``gray``.
        languages: Tesseract languages for reading a proposed turn.
    """
    points = ink_points(gray)
    fits = {turn: fit_lines(points.turned_clockwise(turn)) for turn in (0, 90)}
    turn = max(fits, key=lambda t: fits[t].sharpness)
    fit, other = fits[turn], fits[90 - turn]
    if fit.sharpness <= 0:
        return PageGeometry(UNKNOWN, SkewEstimate(0.0, 0.0))
    axis_ratio = fit.sharpness / other.sharpness if other.sharpness > 0 else np.inf
    asymmetry, lines = line_asymmetry(points.turned_clockwise(turn), fit.angle_degrees)
    lines_sure = (
        axis_ratio >= MIN_AXIS_RATIO
        and fit.confidence >= MIN_LINE_FIT_CONFIDENCE
        and abs(asymmetry) >= MIN_ASYMMETRY
        and (lines >= MIN_LINES or (lines >= 2 and abs(asymmetry) >= STRONG_ASYMMETRY))
    )
    line_turn = (turn if asymmetry > 0 else turn + 180) if lines_sure else None
    evidence = f"lines {line_turn if lines_sure else 'unsure'} (asymmetry {asymmetry:.2f})"
    if line_turn == 0:
        confidence = round(min(1.0, abs(asymmetry) / 0.4), 3)
        return PageGeometry(Orientation(0, confidence), _skew_of(fit), evidence)
    osd = _osd(gray, dpi, timeout)
    osd_turn = osd.rotate_degrees if osd.confidence >= MIN_OSD_CONFIDENCE else None
    evidence += f", osd {osd.rotate_degrees} (confidence {osd.confidence:.2f})"
    if (
        line_turn is not None
        and line_turn == osd_turn
        and osd.confidence >= AGREEING_OSD_CONFIDENCE
    ):
        sureness = max(abs(asymmetry) / 0.4, osd.confidence / OSD_FULL_CONFIDENCE)
        orientation = Orientation(line_turn, round(min(1.0, sureness), 3))
        return PageGeometry(orientation, _skew_of(fits[line_turn % 180]), evidence)
    proposed = {t for t in (line_turn, osd_turn) if t}
    if not proposed:
        return PageGeometry(UNKNOWN, _skew_of(fits[0]), evidence)
    scores = _read_scores(gray, sorted(proposed), dpi, timeout, languages)
    evidence += ", read " + " ".join(f"{t}:{score:.1f}" for t, score in scores.items())
    orientation = _best_read(scores)
    return PageGeometry(orientation, _skew_of(fits[orientation.rotate_degrees % 180]), evidence)


def _read_scores(
    gray: np.ndarray, turns: list[int], dpi: int, timeout: float, languages: str
) -> dict[int, float]:
    """``word_score`` of the page as it lies (0) and turned by each of ``turns``."""
    small = downscale(gray, READ_CHECK_LONG_SIDE)
    small_dpi = max(1, round(dpi * small.shape[0] / gray.shape[0]))
    return {
        turn: word_score(
            read(np.rot90(small, -turn // 90).copy(), languages, small_dpi, timeout, one_block=True)
        )
        for turn in (0, *turns)
    }


def _best_read(scores: dict[int, float]) -> Orientation:
    """The turn that reads best; it must beat the page as it lies by TURN_SCORE_MARGIN."""
    best = max(scores, key=lambda t: scores[t])
    if best and scores[best] > TURN_SCORE_MARGIN * scores[0]:
        return Orientation(best, round(scores[best] / (scores[0] + scores[best]), 3))
    runner_up = max((score for t, score in scores.items() if t), default=0.0)
    upright = scores[0] / (scores[0] + runner_up) if scores[0] > 0 else 0.0
    return Orientation(0, round(upright, 3))


def detect_rotation(
    gray: np.ndarray, timeout: float, dpi: int = 300, languages: str = "vie+eng"
) -> Orientation:
    """The clockwise quarter turn that makes a page upright.

    Args:
        gray: grayscale page.
        timeout: seconds allowed for Tesseract OSD, when it is needed.
        dpi: resolution of ``gray``.
        languages: Tesseract languages for reading a proposed turn.

    Returns:
        Orientation with confidence 0-1; ``Orientation(0, 0.0)`` for blank
        or near-empty pages. Never raises for lack of text.
    """
    return detect_geometry(gray, timeout, dpi, languages).orientation
