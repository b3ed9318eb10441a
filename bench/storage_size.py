"""Stored size against the original, for every real scan of the corpus.

Each of OCRmyPDF's real scans (``bench/corpus.py:REAL_SCANS``) goes through the
steps the flow runs (``inspect_file``, ``render_page``, ``process_page``,
``finish_dossier``, ``archive_dossier``) into a filesystem object store; the
record's folder (``records/<id>/``: searchable PDF/A, ALTO, manifest) is
weighed against the original file and OCRmyPDF's searchable PDF, and each
page image's kind (bilevel G4, gray or colour JPEG) is read from the
searchable PDF.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf

from bench.corpus import LIMITS, REAL_SCANS, fetch_ocrmypdf_resources
from bench.engines import VENV_BIN, base_env, run_program
from sohoa.app.archive import archive_dossier
from sohoa.app.intake import CheckedDossier, finish_dossier
from sohoa.pipeline.inbox import DossierSpec
from sohoa.pipeline.metadata import load_rules
from sohoa.pipeline.pages import PageOptions, process_page
from sohoa.pipeline.preflight import inspect_file
from sohoa.pipeline.rasterize import render_page
from sohoa.samples import DPI
from sohoa.storage import keys
from sohoa.storage.filesystem import FilesystemObjectStore

# Before this section existed (issue 13): cardinal.pdf's searchable PDF and record folder.
BEFORE = {"cardinal.pdf": {"searchable_pdf_bytes": 5_200_000, "record_bytes": 10_900_000}}
TARGET_RATIO = 1.5
# OCRmyPDF's searchable PDF for comparison: its page images as they are
# (--deskew would re-encode them), plain PDF (its PDF/A needs Ghostscript).
OCRMYPDF_SIZE_FLAGS = ("--rotate-pages", "-l", "eng", "--output-type", "pdf", "--quiet")


def run_storage(work: Path, cache: Path, log: Callable[[str], None]) -> dict[str, Any]:
    shutil.rmtree(work, ignore_errors=True)
    resources = fetch_ocrmypdf_resources(cache)
    store = FilesystemObjectStore(work / "objects")
    files = {}
    for name in REAL_SCANS:
        files[name] = _store_one(resources / name, work / name, store)
        files[name]["ocrmypdf_pdf_bytes"] = _ocrmypdf_pdf_bytes(resources / name, work)
        log(f"storage: {name} {files[name]}")
    return {
        "files": files,
        "before": BEFORE,
        "target_ratio": TARGET_RATIO,
        "jpeg_quality": PageOptions().jpeg_quality,
        "ocrmypdf_flags": " ".join(OCRMYPDF_SIZE_FLAGS),
    }


def _ocrmypdf_pdf_bytes(original: Path, work: Path) -> int:
    out = work / "ocrmypdf" / original.name
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [str(VENV_BIN / "ocrmypdf"), *OCRMYPDF_SIZE_FLAGS, str(original), str(out)]
    run_program(command, base_env())
    return out.stat().st_size


def _store_one(original: Path, work: Path, store: FilesystemObjectStore) -> dict[str, Any]:
    source = inspect_file(original, LIMITS)
    pages = []
    for index in range(source.page_count):
        out = work / f"{index + 1:04d}"
        rendered = render_page(source, index, DPI, out / "raster.tif", 300)
        pages.append(process_page(rendered.path, out, PageOptions(dpi=rendered.dpi)))
    spec = DossierSpec(name=original.name, files=(original,))
    dossier = CheckedDossier(spec, [source])
    outputs = finish_dossier(dossier, pages, [original.name] * len(pages), work, load_rules(), 60)
    record = archive_dossier(store, dossier.record_id, "bench", spec, outputs)
    prefix = keys.record_prefix(record.record_id)
    parts = {part: 0 for part in ("pdf", "alto", "manifest and checksums")}
    for key in store.list_keys(prefix):
        parts[_part(key)] += _size(store, key)
    record_bytes = sum(parts.values())
    image_bytes = _page_image_bytes(outputs.searchable_pdf)
    return {
        "pages": len(pages),
        "original_bytes": source.size,
        "searchable_pdf_bytes": parts["pdf"],
        "page_image_bytes": image_bytes,
        "rest_of_pdf_bytes": parts["pdf"] - image_bytes,
        "alto_bytes": parts["alto"],
        "manifest_bytes": parts["manifest and checksums"],
        "record_bytes": record_bytes,
        "record_vs_original": round(record_bytes / source.size, 2),
        "page_images": _page_image_kinds(outputs.searchable_pdf),
        "scans_kept": sum(page.kept_scan is not None for page in pages),
    }


def _part(key: str) -> str:
    """Which part of a record an object key holds."""
    if key.endswith(".sha256") or key.endswith("manifest.json"):
        return "manifest and checksums"
    if key.endswith(".pdf"):
        return "pdf"
    if key.endswith(".xml.gz"):
        return "alto"
    raise ValueError(f"{key} is no part of a record this bench knows")


def _page_image_bytes(pdf_path: Path) -> int:
    """The page images' stored bytes in the PDF, each image counted once."""
    with pikepdf.open(pdf_path) as pdf:
        images = {
            image.objgen: len(image.read_raw_bytes())
            for page in pdf.pages
            for image in page.get_images().values()
        }
    return sum(images.values())


def _size(store: FilesystemObjectStore, key: str) -> int:
    stat = store.stat(key)
    return stat.size if stat else 0


def _page_image_kinds(pdf_path: Path) -> list[str]:
    """Each page's image as "filter bits colourspace", e.g. "CCITTFax 1-bit gray"."""
    kinds = []
    with pikepdf.open(pdf_path) as pdf:
        for page in pdf.pages:
            for image in page.get_images().values():
                filters = "+".join(
                    f.removeprefix("/").removesuffix("Decode")
                    for f in pikepdf.PdfImage(image).filters
                )
                space = {"/DeviceGray": "gray", "/DeviceRGB": "colour"}.get(
                    str(image.ColorSpace), str(image.ColorSpace)
                )
                kinds.append(f"{filters} {int(image.BitsPerComponent)}-bit {space}")
    return kinds
