"""The fixed throughput and accuracy corpus: one page per file.

Generated Vietnamese pages (``sohoa.samples``) in four sets with their ground
truth: clean, skewed (up to ±10°), rotated (90/180/270) and noisy, in mixed
file formats; plus public real scans from the OCRmyPDF source distribution
(its ``tests/resources``, fetched once with ``pip download`` into the bench
cache), when PyPI can be reached.
"""

from __future__ import annotations

import json
import random
import shutil
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.engines import VENV_BIN, BenchError, RasterPage, run_program
from sohoa.pipeline.preflight import IntakeLimits, inspect_file
from sohoa.pipeline.rasterize import render_page
from sohoa.samples import DPI, distort, render_document
from sohoa.samples import _save as save_scan  # the generator's own writer of scanned files

SEED = 4242
OCRMYPDF_VERSION = "17.13.0"
# Real scans from OCRmyPDF's test resources (CC-BY-SA / public domain, see its
# tests/resources/README.rst): English pages, 300 and 150 dpi, 1-bit JBIG2 and
# CCITT, colour JPEG; skew.pdf, rotated_skew.pdf and cardinal.pdf are skewed and
# turned copies of the LinnSequencer page whose text linn.txt gives.
REAL_SCANS = ("c03-29.pdf", "epson.pdf", "skew.pdf", "rotated_skew.pdf", "cardinal.pdf")
REAL_TRUTH = {"skew.pdf": "linn.txt", "rotated_skew.pdf": "linn.txt", "cardinal.pdf": "linn.txt"}

# Per set, its files: (format, distortions of each page).
SETS: dict[str, tuple[tuple[str, tuple[dict[str, Any], ...]], ...]] = {
    "clean": (("pdf", ({}, {})), ("tiff", ({}, {}))),
    "skewed": (
        ("tiff", ({"skew_degrees": -10.0}, {"skew_degrees": -4.5})),
        ("pdf", ({"skew_degrees": 6.0}, {"skew_degrees": 10.0})),
    ),
    "rotated": (
        ("pdf", ({"rotate": 90}, {"rotate": 180})),
        ("tiff", ({"rotate": 270}, {"rotate": 90})),
    ),
    "noisy": (
        (
            "pdf",
            (
                {"noise": 14.0, "blur": 0.8, "jpeg_quality": 70},
                {"noise": 18.0, "blur": 0.6, "jpeg_quality": 75},
            ),
        ),
        ("jpeg", ({"noise": 20.0, "blur": 0.8, "jpeg_quality": 75},)),
        ("png", ({"noise": 14.0, "blur": 1.0},)),
    ),
}
# Every set scans the first pages of these documents: full A4 pages, one with
# a QR code, one a form with a table.
BASE_KINDS = ("application", "decision", "business_registration", "receipt")
_SUFFIXES = {"pdf": ".pdf", "tiff": ".tif", "jpeg": ".jpg", "png": ".png"}
LIMITS = IntakeLimits(max_file_bytes=1 << 30, max_page_pixels=200_000_000, min_image_side=64)


@dataclass(frozen=True, slots=True)
class CorpusFile:
    """One input file: its set, its pages' ground truth (None when unknown)."""

    path: Path
    set_name: str
    truth: tuple[str | None, ...]

    @property
    def page_count(self) -> int:
        return len(self.truth)


@dataclass(frozen=True, slots=True)
class Corpus:
    files: tuple[CorpusFile, ...]
    real_scans_note: str

    @property
    def pages(self) -> int:
        return sum(f.page_count for f in self.files)

    def sets(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.files:
            counts[item.set_name] = counts.get(item.set_name, 0) + item.page_count
        return counts


def generated_files(
    out_dir: Path, seed: int = SEED, per_set: int | None = None
) -> list[CorpusFile]:
    """The first pages of four generated documents (``BASE_KINDS``), scanned once
    per set with that set's distortions (``per_set`` files of each set, all by
    default): the sets differ by their distortions only."""
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    base = [render_document(kind, rng) for kind in BASE_KINDS]
    files = []
    for set_name, set_files in SETS.items():
        position = 0
        for number, (file_format, distortions) in enumerate(set_files, start=1):
            documents = base[position : position + len(distortions)]
            position += len(distortions)
            if per_set is not None and number > per_set:
                continue
            pages = [
                distort(doc.pages[0], rng, **applied) if applied else doc.pages[0]
                for doc, applied in zip(documents, distortions, strict=True)
            ]
            path = out_dir / f"{set_name}-{number}{_SUFFIXES[file_format]}"
            save_scan(pages, path, file_format)
            files.append(CorpusFile(path, set_name, tuple(d.truth.pages[0] for d in documents)))
    return files


def fetch_ocrmypdf_resources(cache: Path) -> Path:
    """``tests/resources`` of the OCRmyPDF sdist, downloaded once with pip."""
    resources = cache / f"ocrmypdf-{OCRMYPDF_VERSION}-resources"
    if resources.is_dir():
        return resources
    with tempfile.TemporaryDirectory() as scratch:
        run_program(
            [
                str(VENV_BIN / "pip"),
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",  # its sdist; its build tools may come as wheels
                "ocrmypdf",
                f"ocrmypdf=={OCRMYPDF_VERSION}",
                "-d",
                scratch,
            ]
        )
        archive = next(Path(scratch).glob("ocrmypdf-*.tar.gz"))
        prefix = f"ocrmypdf-{OCRMYPDF_VERSION}/tests/resources/"
        partial = resources.with_suffix(".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        wanted = {*REAL_SCANS, *REAL_TRUTH.values(), "README.rst"}
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                name = member.name.removeprefix(prefix)
                if member.name.startswith(prefix) and name in wanted and member.isfile():
                    source = tar.extractfile(member)
                    if source is not None:
                        (partial / name).write_bytes(source.read())
        partial.replace(resources)
    return resources


def real_files(out_dir: Path, cache: Path) -> tuple[list[CorpusFile], str]:
    """The real scans (copied into ``out_dir``) and a note on where they came from."""
    try:
        resources = fetch_ocrmypdf_resources(cache)
    except (BenchError, StopIteration, OSError, tarfile.TarError) as exc:
        return [], f"real scans unavailable (pip download of the OCRmyPDF sdist failed: {exc})"
    files = []
    for name in REAL_SCANS:
        target = out_dir / f"real-{name}"
        shutil.copyfile(resources / name, target)
        pages = inspect_file(target, LIMITS).page_count
        truth_name = REAL_TRUTH.get(name)
        truth = (resources / truth_name).read_text(encoding="utf-8") if truth_name else None
        files.append(CorpusFile(target, "real", (truth,) * pages))
    note = (
        f"real scans: {', '.join(REAL_SCANS)} from the OCRmyPDF {OCRMYPDF_VERSION} sdist "
        "(tests/resources, fetched with pip download)"
    )
    return files, note


def build_corpus(
    out_dir: Path, cache: Path, per_set: int | None = None, real: bool = True
) -> Corpus:
    """Writes every input file into ``out_dir`` (replaced) and its truth beside;
    ``per_set`` pages of each generated set (all by default)."""
    shutil.rmtree(out_dir, ignore_errors=True)
    files = generated_files(out_dir, per_set=per_set)
    scans, note = real_files(out_dir, cache) if real else ([], "real scans left out")
    corpus = Corpus(tuple(files + scans), note)
    truth = {f.path.name: {"set": f.set_name, "pages": list(f.truth)} for f in corpus.files}
    out_dir.with_suffix(".truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return corpus


def rasterize(files: Sequence[CorpusFile], out_dir: Path) -> dict[str, list[RasterPage]]:
    """Every page as sohoa's rasterizer renders it (the floor's input), by file name."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pages: dict[str, list[RasterPage]] = {}
    for item in files:
        source = inspect_file(item.path, LIMITS)
        pages[item.path.name] = []
        for index in range(source.page_count):
            scratch = out_dir / f"{item.path.stem}-p{index + 1:02d}.tif"
            rendered = render_page(source, index, DPI, scratch, timeout=300)
            pages[item.path.name].append(RasterPage(rendered.path, rendered.dpi))
    return pages
