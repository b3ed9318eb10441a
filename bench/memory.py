"""Peak memory of a page worker, of the dossier assembly and of a whole ingest.

A page worker does what the flow's ``digitize-page`` task does, page after
page: ``render_page`` then ``process_page``. It runs in a fresh process, and
the peak RSS of that process plus its tesseract/poppler children is sampled
every 10 ms (``psutil``); the process's own ``VmHWM`` is read at its end.

Cases: the same three pages of a 10-page and of a 300-page PDF (memory must
not depend on the length of the document), one 600-DPI A3 colour scan, and
the searchable PDF and OCR JSON of a 10- and a 300-page dossier (the one
step that sees every page; it runs in the flow's process). The whole
``sohoa ingest`` process tree is sampled during the throughput runs.

    .venv/bin/python -m bench.memory --child-pages PDF OUT 1 150 300
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import img2pdf
import numpy as np
from PIL import Image

from bench.engines import run_sampled, vm_hwm_kib
from sohoa.samples import DPI, KINDS, distort, render_document

REPO = Path(__file__).resolve().parents[1]
SAMPLE_SECONDS = 0.01
A3_600_DPI = (9921, 7016)  # landscape: an open booklet, two A4 pages side by side
TEXT_EVERY = 30
SAMPLED_PAGES = {10: (1, 5, 10), 300: (1, 150, 300)}


@dataclass(frozen=True, slots=True)
class Peak:
    """Peak RSS in MiB: the process alone (VmHWM), and with its children
    (sampled), plus the most tesseract processes seen at once."""

    process_mb: float
    with_children_mb: float
    seconds: float
    tesseracts: int


def _text_page(rng: random.Random, index: int) -> Image.Image:
    document = render_document(KINDS[index % len(KINDS)], rng)
    return distort(document.pages[0], rng, noise=6.0)


def _blank_page(rng: random.Random) -> Image.Image:
    """A sheet with nothing on it, as a scanner sees it: paper tone and grain."""
    generator = np.random.default_rng(rng.getrandbits(32))
    paper = 246 + generator.standard_normal((3508, 2480), dtype=np.float32) * 3
    image = Image.fromarray(np.clip(paper, 0, 255).astype(np.uint8))
    image.info["dpi"] = (DPI, DPI)
    return image


def _jpeg(image: Image.Image, path: Path, quality: int = 75) -> str:
    image.save(path, "JPEG", quality=quality, dpi=(DPI, DPI))
    return str(path)


def make_pdf(pages: int, out: Path, scratch: Path) -> Path:
    """A ``pages``-page scanned PDF: text on the sampled pages and every 30th,
    blank sheets elsewhere; JPEG pages as a scanner writes them."""
    rng = random.Random(pages)
    scratch.mkdir(parents=True, exist_ok=True)
    blank = _jpeg(_blank_page(rng), scratch / "blank.jpg")
    text_pages = set(SAMPLED_PAGES.get(pages, ())) | set(range(TEXT_EVERY, pages + 1, TEXT_EVERY))
    images = [
        _jpeg(_text_page(rng, number), scratch / f"text-{number}.jpg")
        if number in text_pages
        else blank
        for number in range(1, pages + 1)
    ]
    out.write_bytes(img2pdf.convert(images))
    return out


def make_a3_scan(out: Path) -> Path:
    """Two generated A4 pages side by side, upscaled to 600 DPI, on a faintly
    tinted sheet: a 9921x7016 RGB JPEG."""
    rng = random.Random(3)
    width, height = A3_600_DPI
    sheet = Image.new("RGB", A3_600_DPI, (244, 240, 230))
    for column in range(2):
        page = render_document(KINDS[column], rng).pages[0].convert("L")
        page = page.resize((width // 2, height), Image.Resampling.BICUBIC)
        tinted = Image.merge("RGB", [page.point(lambda v, c=c: min(v, c)) for c in (244, 240, 230)])
        sheet.paste(tinted, (column * (width // 2), 0))
    sheet.save(out, "JPEG", quality=85, dpi=(600, 600))
    return out


# --- measuring a child process ----------------------------------------------


def watch(command: list[str]) -> Peak:
    """Runs ``command`` (a bench.memory child, which prints its VmHWM in KiB
    last), sampling its process tree every 10 ms."""
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result, tree = run_sampled(command, env, SAMPLE_SECONDS)
    lines = result.stdout.strip().splitlines()
    own_kib = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    return Peak(
        process_mb=round(own_kib / 1024, 1),
        with_children_mb=max(tree.rss_mb, round(own_kib / 1024, 1)),
        seconds=round(time.perf_counter() - started, 1),
        tesseracts=tree.tesseracts,
    )


def _child(*args: str) -> list[str]:
    return [sys.executable, "-m", "bench.memory", *args]


# --- the child's work -------------------------------------------------------


def child_pages(source_path: Path, out_dir: Path, numbers: Sequence[int]) -> None:
    """A page worker: render and process each page (1-based) in turn, keeping
    the outputs and writing the processed pages to ``out_dir/pages.json``."""
    from sohoa.pipeline.pages import PageOptions, process_page
    from sohoa.pipeline.preflight import IntakeLimits, inspect_file
    from sohoa.pipeline.rasterize import render_page

    limits = IntakeLimits(max_file_bytes=1 << 31, max_page_pixels=200_000_000, min_image_side=64)
    source = inspect_file(source_path, limits)
    processed = []
    for number in numbers:
        page_dir = out_dir / f"{number:04d}"
        page_dir.mkdir(parents=True, exist_ok=True)
        rendered = render_page(source, number - 1, DPI, page_dir / "raster.tif", 600)
        page = process_page(rendered.path, page_dir, PageOptions(dpi=rendered.dpi, ocr_timeout=600))
        rendered.path.unlink()
        processed.append(page.to_dict())
    (out_dir / "pages.json").write_text(json.dumps(processed), encoding="utf-8")
    print(vm_hwm_kib())


def child_assemble(pages_json: Path, count: int, out_dir: Path) -> None:
    """The dossier steps over ``count`` pages, cycling through the processed ones."""
    from datetime import UTC, datetime

    from sohoa.pipeline import dossier
    from sohoa.pipeline.pages import ProcessedPage
    from sohoa.pipeline.pdfa import ArchivalMetadata

    known = [ProcessedPage.from_dict(d) for d in json.loads(pages_json.read_text("utf-8"))]
    pages = [known[i % len(known)] for i in range(count)]
    out_dir.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    metadata = ArchivalMetadata(record_id="memory", digitized_at=now)
    dossier.build_searchable_pdf(pages, out_dir / "searchable.pdf", metadata)
    dossier.build_alto(pages, out_dir / "alto.xml", now)
    print(vm_hwm_kib())


# --- the cases ----------------------------------------------------------------


def run_memory(work: Path, log: Callable[[str], None]) -> dict[str, Any]:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    results: dict[str, Any] = {}

    def record(name: str, peak: Peak, note: str) -> None:
        results[name] = {**asdict(peak), "note": note}
        log(
            f"memory {name}: {peak.with_children_mb:.0f} MiB with children "
            f"({peak.process_mb:.0f} MiB Python), {peak.seconds:.0f} s"
        )

    for count, numbers in SAMPLED_PAGES.items():
        pdf = make_pdf(count, work / f"scan-{count}.pdf", work / f"images-{count}")
        out = work / f"worker-{count}"
        peak = watch(_child("--child-pages", str(pdf), str(out), *map(str, numbers)))
        record(f"worker_pdf_{count}_pages", peak, f"pages {_listed(numbers)} of {count}")

    a3 = make_a3_scan(work / "a3-600dpi.jpg")
    peak = watch(_child("--child-pages", str(a3), str(work / "worker-a3"), "1"))
    record("worker_a3_600dpi", peak, f"{A3_600_DPI[0]}x{A3_600_DPI[1]} RGB JPEG, 600 dpi")

    pages_json = work / "worker-300" / "pages.json"
    for count in SAMPLED_PAGES:
        peak = watch(_child("--child-assemble", str(pages_json), str(count), str(work / "asm")))
        record(f"assembly_{count}_pages", peak, f"searchable PDF + OCR JSON of {count} pages")
        shutil.rmtree(work / "asm", ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
    return results


def _listed(numbers: Sequence[int]) -> str:
    return ", ".join(map(str, numbers))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child-pages", nargs="+", metavar="ARG")
    parser.add_argument("--child-assemble", nargs=3, metavar="ARG")
    args = parser.parse_args()
    if args.child_pages:
        source, out, *numbers = args.child_pages
        child_pages(Path(source), Path(out), [int(n) for n in numbers])
    elif args.child_assemble:
        pages_json, count, out = args.child_assemble
        child_assemble(Path(pages_json), int(count), Path(out))
    else:
        print(json.dumps(run_memory(REPO / "bench/work/memory", print), indent=1))


if __name__ == "__main__":
    main()
