"""Peak memory of ``sohoa ingest`` on one PDF of N pages, for several N.

Builds an N-page PDF from generated Vietnamese A4 pages at 300 dpi, ingests it
with the real CLI on the embedded backends in a fresh data folder, and samples
the whole process tree (Python, tesseract, poppler) with psutil every 100 ms.
Memory should not grow with the page count: pages are rendered, processed and
archived one at a time per worker.

    .venv/bin/python bench/flow_memory.py [--pages 20 200] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import img2pdf
import psutil

from sohoa.samples import render_document


def build_pdf(path: Path, pages: int, scans_dir: Path, seed: int = 3) -> Path:
    rng = random.Random(seed)
    scans_dir.mkdir(exist_ok=True)
    scans: list[Path] = []
    for number, kind in enumerate(("decision", "application", "report", "business_registration")):
        for image in render_document(kind, rng).pages:
            scan = scans_dir / f"scan-{number}-{len(scans)}.jpg"
            image.convert("L").save(scan, dpi=(300, 300), quality=85)
            scans.append(scan)
    order = [scans[i % len(scans)] for i in range(pages)]
    path.write_bytes(img2pdf.convert([str(p) for p in order]))
    return path


def tree_rss(process: psutil.Process) -> tuple[int, int]:
    """RSS of the process and of its whole tree, in bytes."""
    try:
        own = process.memory_info().rss
        children = sum(c.memory_info().rss for c in process.children(recursive=True))
    except psutil.Error:
        return 0, 0
    return own, own + children


def ingest(pages: int, workers: int, scratch: Path) -> dict[str, float]:
    batch = scratch / f"inbox-{pages}" / f"pdf-{pages}"
    batch.mkdir(parents=True)
    build_pdf(batch / f"dossier-{pages}.pdf", pages, scratch / "scans")
    (batch / "READY").touch()
    env = {
        **os.environ,
        "SOHOA_DATA_DIR": str(scratch / f"data-{pages}"),
        "SOHOA_WORKERS": str(workers),
    }
    sohoa = Path(sys.executable).with_name("sohoa")
    started = time.perf_counter()
    child = subprocess.Popen(
        [str(sohoa), "ingest", str(batch.parent), "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    watched = psutil.Process(child.pid)
    peak_own = peak_tree = 0
    while child.poll() is None:
        own, tree = tree_rss(watched)
        peak_own, peak_tree = max(peak_own, own), max(peak_tree, tree)
        time.sleep(0.1)
    elapsed = time.perf_counter() - started
    report = json.loads(child.stdout.read() if child.stdout else b"{}").get("batches", [])
    stored_pages = sum(r["pages"] for r in report)
    if child.returncode or stored_pages != pages:
        raise SystemExit(f"ingest of {pages} pages failed: exit {child.returncode}, {report}")
    return {
        "pages": pages,
        "seconds": round(elapsed, 1),
        "pages_per_min": round(pages / elapsed * 60, 1),
        "peak_python_mb": round(peak_own / 2**20, 1),
        "peak_tree_mb": round(peak_tree / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[20, 200])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sohoa-flow-memory-") as scratch:
        results = [ingest(n, args.workers, Path(scratch)) for n in args.pages]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
