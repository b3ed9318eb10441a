"""A long-lived Tesseract process: ``python -m sohoa.pipeline.tesseract_reader``.

Tesseract's library (through ``tesserocr``) keeps its language models loaded
between pages, where the ``tesseract`` program loads them for every page:
0.15-0.25 CPU s a call for vie+eng, and for OSD. ``sohoa.pipeline.tesseract``
starts one of these per worker and talks to it over its stdin and stdout, so
that a page that crashes Tesseract, or runs past its timeout, costs that one
process and never the worker.

The protocol, one request at a time:

- request: a JSON line ``{"op": "read"|"osd", "languages", "psm", "dpi",
  "width", "height", "min_characters"}``, then ``width * height`` bytes of
  8-bit grayscale pixels;
- reply: one JSON line, ``{"tsv": ...}`` (Tesseract's TSV rows without the
  header), ``{"osd": [degrees, confidence]}`` or ``{"osd": null}`` (too
  little text), ``{"no_text": reason}`` or ``{"failed": reason}``.

The process ends at the end of its stdin. It imports nothing of sohoa's, so
it starts in a fraction of a second.
"""

from __future__ import annotations

import json
import sys
from typing import IO, Any

import tesserocr

# Tesseract keeps pixel coordinates in 16-bit integers.
MAX_SIDE_PX = 32767


def _engine(engines: dict[str, Any], languages: str) -> Any:
    engine = engines.get(languages)
    if engine is None:
        engine = tesserocr.PyTessBaseAPI(lang=languages, init=True)
        # Its notes ("Detected 12 diacritics", "Estimating resolution") are not errors.
        engine.SetVariable("debug_file", "/dev/null")
        engines[languages] = engine
    return engine


def answer(engines: dict[str, Any], request: dict[str, Any], pixels: bytes) -> dict[str, Any]:
    """The reply to one request (see the module's docstring)."""
    width, height = request["width"], request["height"]
    if max(width, height) > MAX_SIDE_PX:
        return {"no_text": f"the image is too large for Tesseract ({width}x{height} px)"}
    engine = _engine(engines, request["languages"])
    engine.SetPageSegMode(request["psm"])
    engine.SetVariable("min_characters_to_try", str(request.get("min_characters", 50)))
    engine.SetImageBytes(pixels, width, height, 1, width)
    engine.SetVariable("user_defined_dpi", str(request["dpi"]))
    try:
        if request["op"] == "osd":
            found = engine.DetectOrientationScript()
            return {"osd": None if not found else [found["orient_deg"], found["orient_conf"]]}
        if not engine.Recognize():
            return {"failed": "Tesseract could not recognize the page image"}
        return {"tsv": engine.GetTSVText(0)}
    finally:
        engine.Clear()


def serve(requests: IO[bytes], replies: IO[bytes]) -> None:
    """Answers requests until ``requests`` ends."""
    engines: dict[str, Any] = {}
    while line := requests.readline():
        request = json.loads(line)
        pixels = requests.read(request["width"] * request["height"])
        try:
            reply = answer(engines, request, pixels)
        except RuntimeError as exc:  # tesserocr's error for a failed call
            reply = {"failed": str(exc)}
        replies.write(json.dumps(reply).encode() + b"\n")
        replies.flush()
    for engine in engines.values():
        engine.End()


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
