"""Generated documents written as an inbox batch: one scanned file per dossier,
an optional manifest, ``READY`` last, and the truth beside the folder."""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import img2pdf
from PIL import Image

from sohoa.samples.distort import distort, random_distortion
from sohoa.samples.drawing import DPI
from sohoa.samples.people import PROVINCES, random_dossier_code
from sohoa.samples.render import KINDS, render_document
from sohoa.samples.truth import BatchTruth, GroundTruth, SampleDocument

FORMATS = ("pdf", "tiff", "jpeg", "png")
MULTIPAGE_FORMATS = ("pdf", "tiff")
_USUALLY_LONG = ("declaration", "business_registration", "decision", "report")
_EXTENSIONS = {"pdf": "pdf", "tiff": "tif", "jpeg": "jpg", "png": "png"}


@dataclass(frozen=True)
class _Plan:
    kind: str
    file_format: str
    distortion: dict[str, Any] = field(default_factory=dict)


def save_scan(pages: Sequence[Image.Image], path: Path, file_format: str) -> None:
    """Write ``pages`` to ``path`` as one scanned file of ``file_format`` (see FORMATS); a
    page distorted with JPEG quality goes into a PDF as JPEG, any other as PNG."""
    if file_format == "pdf":
        encoded = []
        for page in pages:
            buffer = io.BytesIO()
            kind = "JPEG" if page.info.get("distortions", {}).get("jpeg_quality") else "PNG"
            page.save(buffer, format=kind, dpi=(DPI, DPI), quality=90, compress_level=3)
            encoded.append(buffer.getvalue())
        # No date and the internal engine, whose /ID is a hash of the content: the same
        # sample is the same bytes on every run, so a second demo finds it already stored.
        path.write_bytes(img2pdf.convert(encoded, engine=img2pdf.Engine.internal, nodate=True))
    elif file_format == "tiff":
        pages[0].save(
            path,
            format="TIFF",
            save_all=True,
            append_images=list(pages[1:]),
            compression="tiff_deflate",
            dpi=(DPI, DPI),
        )
    elif file_format == "jpeg":
        quality = pages[0].info.get("distortions", {}).get("jpeg_quality") or 88
        pages[0].save(path, format="JPEG", quality=quality, dpi=(DPI, DPI))
    elif file_format == "png":
        pages[0].save(path, format="PNG", dpi=(DPI, DPI), compress_level=3)
    else:
        raise ValueError(f"unknown format {file_format!r}; choose one of {', '.join(FORMATS)}")


def _render_for(plan: _Plan, rng: random.Random) -> SampleDocument:
    """Render; a one-page format (JPEG, PNG) gets a document that fits on one
    page: of the planned kind when a few tries give one, else of the next kind."""
    start = KINDS.index(plan.kind)
    for kind in KINDS[start:] + KINDS[:start]:
        for _ in range(4):
            doc = render_document(kind, rng)
            if len(doc.pages) == 1 or plan.file_format in MULTIPAGE_FORMATS:
                return doc
    raise RuntimeError("no sample kind fits on one page")  # pragma: no cover


def _manifest_row(name: str, doc: SampleDocument, rng: random.Random) -> dict[str, str]:
    meta = doc.truth.metadata
    code = meta.get("dossier_code") or random_dossier_code(
        rng, rng.choice(PROVINCES), date.fromisoformat(meta.get("issue_date") or "2024-01-02")
    )
    return {
        "file": name,
        "dossier_code": code,
        "procedure": meta["procedure"],
        "unit": meta["unit"],
        "operator": f"canbo{rng.randint(1, 12):02d}",
    }


def _write_plans(
    out_dir: Path, plans: Sequence[_Plan], rng: random.Random, manifest: bool, ready: bool
) -> BatchTruth:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "READY").unlink(missing_ok=True)
    documents: dict[str, GroundTruth] = {}
    rows = []
    for index, plan in enumerate(plans, start=1):
        doc = _render_for(plan, rng)
        pages = [distort(p, rng, **plan.distortion) if plan.distortion else p for p in doc.pages]
        name = f"hoso-{index:03d}.{_EXTENSIONS[plan.file_format]}"
        save_scan(pages, out_dir / name, plan.file_format)
        row = _manifest_row(name, doc, rng) if manifest else None
        if row:
            rows.append(row)
        documents[name] = GroundTruth(
            kind=doc.kind,
            pages=doc.truth.pages,
            metadata=doc.truth.metadata,
            distortions=tuple(p.info.get("distortions", {}) for p in pages),
            file_format=plan.file_format,
            manifest=row,
        )
    if manifest:
        with (out_dir / "manifest.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["file"])
            writer.writeheader()
            writer.writerows(rows)
    truth_path = out_dir.parent / f"{out_dir.name}.truth.json"
    payload = {name: truth.to_json() for name, truth in documents.items()}
    truth_path.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    if ready:
        (out_dir / "READY").touch()
    return BatchTruth(out_dir, truth_path, documents)


def write_batch(
    out_dir: Path,
    count: int,
    seed: int,
    formats: Sequence[str] = FORMATS,
    distortions: bool = False,
    manifest: bool = False,
    ready: bool = True,
) -> BatchTruth:
    """Write ``count`` generated dossiers (one file each) into ``out_dir``.

    Kinds cycle through KINDS in a seeded order and formats through ``formats``;
    documents longer than a page only go to PDF or TIFF. The truth goes to
    ``<out_dir>.truth.json`` beside the folder, a ``manifest.csv`` is written on
    request and ``READY`` last, when ``ready``. The same seed writes the same
    files, byte for byte.
    """
    unknown = set(formats) - set(FORMATS)
    if unknown or not formats:
        raise ValueError(f"formats must be among {', '.join(FORMATS)}; got {list(formats)}")
    rng = random.Random(seed)
    kinds = list(KINDS)
    rng.shuffle(kinds)
    planned = [(kinds[i % len(kinds)], formats[i % len(formats)]) for i in range(count)]
    # Long kinds go where a format holds several pages, short ones make room.
    for i, (kind, file_format) in enumerate(planned):
        if kind in _USUALLY_LONG and file_format not in MULTIPAGE_FORMATS:
            for j, (other, other_format) in enumerate(planned):
                if other not in _USUALLY_LONG and other_format in MULTIPAGE_FORMATS:
                    planned[i], planned[j] = (other, file_format), (kind, other_format)
                    break
    plans = [
        _Plan(kind, file_format, random_distortion(rng, file_format) if distortions else {})
        for kind, file_format in planned
    ]
    return _write_plans(out_dir, plans, rng, manifest, ready)


def generate_demo_inbox(inbox: Path, seed: int = 7) -> Path:
    """Create ``inbox/demo-batch-001/``: six dossiers covering every format and
    the main kinds, one skewed 4 degrees, one turned 90 degrees, one JPEG,
    with a manifest and READY. Returns the batch folder."""
    plans = [
        _Plan("receipt", "pdf"),
        _Plan("decision", "pdf", {"skew_degrees": 4.0, "noise": 6.0}),
        _Plan("application", "jpeg", {"noise": 5.0, "jpeg_quality": 85}),
        _Plan("business_registration", "tiff"),
        _Plan("citizen_id_card", "png", {"rotate": 90}),
        _Plan("report", "tiff", {"skew_degrees": -1.5}),
    ]
    return _write_plans(
        inbox / "demo-batch-001", plans, random.Random(seed), manifest=True, ready=True
    ).batch_dir
