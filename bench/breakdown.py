"""Where sohoa's time per page goes, against bare tesseract on the same page.

One worker, one page at a time, in this process: ``inspect_file``,
``render_page``, each stage of ``process_page`` (its own stage timer, read from
its DEBUG log line), then the dossier steps. The bare ``tesseract ... txt``
run on the same rasterized page is the floor's cost for that page.
"""

from __future__ import annotations

import logging
import re
import shutil
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from bench.corpus import LIMITS, CorpusFile
from bench.engines import RasterPage, tesseract_floor
from sohoa.pipeline import dossier
from sohoa.pipeline.metadata import extract_metadata, load_rules
from sohoa.pipeline.pages import PageOptions, process_page
from sohoa.pipeline.pdfa import ArchivalMetadata
from sohoa.pipeline.preflight import inspect_file
from sohoa.pipeline.rasterize import render_page
from sohoa.samples import DPI

_STAGE = re.compile(r"([\w+]+) (\d+\.\d+)s")


class _StageLog(logging.Handler):
    """Collects the stage seconds ``process_page`` logs at DEBUG level."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seconds: dict[str, float] = defaultdict(float)

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("page "):
            for stage, seconds in _STAGE.findall(message.partition(": ")[2]):
                self.seconds[f"page: {stage}"] += float(seconds)


@contextmanager
def _stage_log() -> Iterator[_StageLog]:
    logger = logging.getLogger("sohoa.pipeline.pages")
    handler, level = _StageLog(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def page_breakdown(files: Sequence[CorpusFile], work: Path) -> dict[str, float]:
    """Mean seconds per page of each step over the pages of ``files``."""
    shutil.rmtree(work, ignore_errors=True)
    totals: dict[str, float] = defaultdict(float)
    as_scanned: dict[str, float] = defaultdict(float)  # pages sohoa did not turn
    rules = load_rules()
    pages = 0
    with _stage_log() as stages:
        for item in files:
            started = time.perf_counter()
            source = inspect_file(item.path, LIMITS)
            totals["inspect file (hash, probe)"] += time.perf_counter() - started
            processed = []
            for index in range(source.page_count):
                out = work / f"{item.path.stem}-{index + 1}"
                started = time.perf_counter()
                rendered = render_page(source, index, DPI, out / "raster.tif", 300)
                totals["render_page"] += time.perf_counter() - started
                ocr_before = stages.seconds["page: ocr"]
                started = time.perf_counter()
                page = process_page(rendered.path, out, PageOptions(dpi=rendered.dpi))
                totals["process_page (all)"] += time.perf_counter() - started
                processed.append(page)
                floor = tesseract_floor([RasterPage(rendered.path, rendered.dpi)], out, 1)
                totals["floor: bare tesseract txt"] += floor
                pages += 1
                if not (page.rotation_degrees or page.skew_corrected):
                    as_scanned["pages"] += 1
                    as_scanned["ocr"] += stages.seconds["page: ocr"] - ocr_before
                    as_scanned["floor"] += floor
            started = time.perf_counter()
            now = datetime.now(UTC)
            metadata = ArchivalMetadata(record_id=item.path.stem, digitized_at=now)
            dossier.build_searchable_pdf(processed, work / f"{item.path.stem}.pdf", metadata)
            dossier.build_alto(processed, work / f"{item.path.stem}.xml", now)
            extract_metadata(dossier.page_texts(processed), rules)
            totals["dossier: searchable PDF, OCR JSON, metadata"] += time.perf_counter() - started
        totals.update(stages.seconds)
    shutil.rmtree(work, ignore_errors=True)
    means = {stage: round(seconds / max(1, pages), 3) for stage, seconds in totals.items()}
    upright = max(1.0, as_scanned["pages"])
    means["pages left as scanned: ocr"] = round(as_scanned["ocr"] / upright, 3)
    means["pages left as scanned: floor"] = round(as_scanned["floor"] / upright, 3)
    means["pages left as scanned: count"] = as_scanned["pages"]
    return means
