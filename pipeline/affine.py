"""Affine maps of the plane as PDF writes them: ``(a, b, c, d, e, f)`` takes
``(x, y)`` to ``(a x + c y + e, b x + d y + f)``. Used to place a scan's own
image in the searchable PDF where the page steps put its pixels."""

from __future__ import annotations

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def multiply(first: Matrix, then: Matrix) -> Matrix:
    """The map that applies ``first`` and then ``then``."""
    a, b, c, d, e, f = first
    a2, b2, c2, d2, e2, f2 = then
    return (
        a * a2 + b * c2,
        a * b2 + b * d2,
        c * a2 + d * c2,
        c * b2 + d * d2,
        e * a2 + f * c2 + e2,
        e * b2 + f * d2 + f2,
    )


def quarter_turn(degrees: int, width: float, height: float) -> Matrix:
    """Pixels of a ``width`` × ``height`` image (y down) to those of the
    image turned clockwise by ``degrees`` (0, 90, 180 or 270)."""
    turns: dict[int, Matrix] = {
        0: IDENTITY,
        90: (0.0, 1.0, -1.0, 0.0, height, 0.0),
        180: (-1.0, 0.0, 0.0, -1.0, width, height),
        270: (0.0, -1.0, 1.0, 0.0, 0.0, width),
    }
    return turns[degrees % 360]


def flip_vertically(height: float) -> Matrix:
    """y up to y down (or back) on a page ``height`` tall."""
    return (1.0, 0.0, 0.0, -1.0, 0.0, height)


def scaled(factor: float) -> Matrix:
    return (factor, 0.0, 0.0, factor, 0.0, 0.0)
