"""Metadata extraction accuracy on generated documents read by real Tesseract.

Renders documents of every kind with their ground truth (sohoa.samples),
applies ordinary scanner distortions, runs each page through the page step
(``pipeline.pages.process_page``: orientation, deskew, QR codes, Tesseract
vie+eng) on two processes, extracts metadata and prints precision and recall
per field. A wrong extra value counts as a false positive; names and agencies
are compared without accents, case or extra spaces, everything else exactly.

    .venv/bin/python bench/metadata_accuracy.py --count 56 --workers 2
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # one core per worker, before tesseract starts

from sohoa.pipeline.metadata import PageText, extract_metadata, load_rules
from sohoa.pipeline.pages import PageOptions, process_page
from sohoa.samples import (
    KINDS,
    SCORED_FIELDS,
    ExtractionScores,
    GroundTruth,
    distort,
    random_distortion,
    render_document,
)


def _ocr_page(image_path: Path) -> tuple[str, float, tuple[str, ...]]:
    page = process_page(image_path, image_path.with_suffix(""), PageOptions())
    return page.text, page.ocr_confidence, page.qr_payloads


def _render(count: int, seed: int, distorted: bool, work: Path) -> list[tuple[str, GroundTruth]]:
    """Writes every page as an image; returns (document name, truth) in order."""
    rng = random.Random(seed)
    documents = []
    for index in range(count):
        kind = KINDS[index % len(KINDS)]
        doc = render_document(kind, rng)
        name = f"{index + 1:03d}-{kind}"
        file_format = "jpeg" if distorted and rng.random() < 0.25 else "png"
        applied = random_distortion(rng, file_format) if distorted else {}
        for number, image in enumerate(doc.pages, start=1):
            page = distort(image, rng, **applied) if applied else image
            page.save(work / f"{name}-p{number}.png", dpi=(300, 300), compress_level=1)
        documents.append((name, GroundTruth(kind, doc.truth.pages, doc.truth.metadata)))
    return documents


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=56, help="documents (7 of each kind)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clean", action="store_true", help="no scanner distortions")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--misses", action="store_true", help="list every wrong field")
    parser.add_argument("--keep", type=Path, help="work here and keep images and OCR text")
    args = parser.parse_args()

    rules = load_rules()
    scores = ExtractionScores()
    with tempfile.TemporaryDirectory(prefix="sohoa-bench-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        documents = _render(args.count, args.seed, not args.clean, work)
        images = sorted(work.glob("*.png"))
        started = time.perf_counter()
        with ProcessPoolExecutor(args.workers) as pool:
            results = dict(zip(images, pool.map(_ocr_page, images), strict=True))
        ocr_seconds = time.perf_counter() - started
        for name, truth in documents:
            pages = [
                PageText(number, *results[work / f"{name}-p{number}.png"])
                for number in range(1, len(truth.pages) + 1)
            ]
            extracted = extract_metadata(pages, rules)
            if args.keep:
                text = "\n\f".join(p.text for p in pages)
                (work / f"{name}.txt").write_text(text, encoding="utf-8")
            scores.add(name, truth, extracted.document_type, extracted.fields)

    print(
        f"{len(documents)} documents, {len(images)} pages, OCR {ocr_seconds:.0f} s wall "
        f"on {args.workers} workers ({ocr_seconds * args.workers / len(images):.1f} s/page)"
    )
    print(scores.table())
    if args.misses:
        print("\n".join(scores.misses))
    if args.json:
        figures = {
            name: {"precision": s.precision, "recall": s.recall}
            for name, s in scores.fields.items()
        }
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    below = [
        n for n in SCORED_FIELDS if min(scores.fields[n].precision, scores.fields[n].recall) < 0.95
    ]
    if below:
        print(f"below 0.95: {', '.join(below)}", file=sys.stderr)
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
