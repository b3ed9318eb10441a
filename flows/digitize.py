"""The main job: a complete batch in the inbox becomes stored, indexed records.

The flow only sequences: preflight and dedupe each dossier, fan its pages out
to ``digitize_page`` tasks (OCR on all cores), then archive and index each
dossier as its pages finish. Tasks exchange paths and keys, never images."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from sohoa.core.errors import InboxError, ProcessingError, RejectedInput
from sohoa.core.settings import Settings
from sohoa.flows import resources
from sohoa.models import BatchReport, FileOutcome, FileStatus, Record
from sohoa.models.records import record_id_for
from sohoa.pipeline import dossier as dossier_steps
from sohoa.pipeline import inbox
from sohoa.pipeline.metadata import extract_metadata, load_rules
from sohoa.pipeline.ocr_engine import get_engine
from sohoa.pipeline.pages import PageOptions, ProcessedPage, process_page
from sohoa.pipeline.poppler import poppler_version
from sohoa.pipeline.preflight import IntakeLimits, SourceFile, inspect_file
from sohoa.pipeline.qpdf import qpdf_version
from sohoa.pipeline.rasterize import render_page
from sohoa.storage import keys
from sohoa.storage.archive import DossierOutputs, archive_dossier
from sohoa.storage.records import load_record

# Only tasks that talk to a storage service retry; their delays grow.
IO_RETRY_DELAYS = [2.0, 10.0, 30.0]
ProgressListener = Callable[[str, int], None]
_listeners: list[ProgressListener] = []


def add_progress_listener(listener: ProgressListener) -> None:
    """In-process observers of page progress (the CLI's progress bar)."""
    _listeners.append(listener)


def _notify(event: str, count: int = 1) -> None:
    for listener in _listeners:
        listener(event, count)


def task_runner_for(settings: Settings) -> TaskRunner[Any]:
    """Pages run on ``SOHOA_WORKERS`` threads (each drives one single-threaded
    tesseract), or on a Dask cluster when ``SOHOA_DASK_ADDRESS`` is set."""
    if settings.dask_address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=settings.dask_address)
    return ThreadPoolTaskRunner(max_workers=settings.workers)


def page_options(settings: Settings, dpi: int) -> PageOptions:
    """``dpi`` is the rendered page's own: images keep their native resolution."""
    return PageOptions(
        languages=settings.languages, dpi=dpi, ocr_timeout=settings.ocr_timeout_seconds
    )


def intake_limits(settings: Settings) -> IntakeLimits:
    return IntakeLimits(
        max_file_bytes=settings.max_file_mb * 1024 * 1024,
        max_page_pixels=settings.max_page_pixels,
        min_image_side=settings.min_image_side,
        render_dpi=settings.dpi,
    )


def check_tools(settings: Settings) -> None:
    """Fail before any work when tesseract, a language pack, poppler or qpdf is missing."""
    get_engine().check(settings.languages)
    poppler_version()
    qpdf_version()


@task(name="digitize-page")
def digitize_page(source: SourceFile, page_index: int, out_dir: Path) -> ProcessedPage:
    """Rasterize one page of a source file and run it through the page steps."""
    settings = resources.settings()
    out_dir.mkdir(parents=True, exist_ok=True)
    rendered = render_page(
        source, page_index, settings.dpi, out_dir / "raster.tif", settings.ocr_timeout_seconds
    )
    try:
        return process_page(rendered.path, out_dir, page_options(settings, rendered.dpi))
    finally:
        rendered.path.unlink(missing_ok=True)


@task(
    name="archive-dossier",
    tags=["object-store"],
    retries=len(IO_RETRY_DELAYS),
    retry_delay_seconds=IO_RETRY_DELAYS,
)
def archive_dossier_task(
    record_id: str, batch_id: str, spec: inbox.DossierSpec, outputs: DossierOutputs
) -> Record:
    return archive_dossier(resources.object_store(), record_id, batch_id, spec, outputs)


@task(
    name="index-record",
    tags=["search-index"],
    retries=len(IO_RETRY_DELAYS),
    retry_delay_seconds=IO_RETRY_DELAYS,
)
def index_record_task(record: Record) -> None:
    result = resources.search_index().index_records([record])
    if result.errors:
        raise ProcessingError(f"Search index refused record {record.record_id}: {result.errors}")


@dataclass
class _Dossier:
    spec: inbox.DossierSpec
    sources: list[SourceFile] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    record_id: str = ""
    page_futures: list[PrefectFuture[ProcessedPage]] = field(default_factory=list)
    page_sources: list[str] = field(default_factory=list)


# Prefect's default thread pool is unbounded: a 300-page PDF would start 300
# tesseracts at once. This bound applies to deployment runs; the CLI and
# poll_inbox pass task_runner_for(settings) explicitly.
@flow(
    name="digitize-batch",
    validate_parameters=False,
    task_runner=ThreadPoolTaskRunner(max_workers=os.cpu_count() or 1),  # type: ignore[arg-type]
)
def digitize_batch(batch_path: str) -> BatchReport:
    """Digitize one complete batch folder and move it to processed/ (or failed/)."""
    settings = resources.settings()
    logger = get_run_logger()
    batch = Path(batch_path).absolute()
    inbox_dir = batch.parent
    quarantine_root = settings.sibling_dir(inbox_dir, settings.quarantine_dir, "quarantine")
    check_tools(settings)

    try:
        plan = inbox.plan_batch(batch)
    except InboxError as exc:
        target = inbox.fail_batch(
            batch, settings.sibling_dir(inbox_dir, settings.failed_dir, "failed"), exc.message
        )
        logger.warning("Batch %s moved to %s: %s", batch.name, target, exc.message)
        return BatchReport(batch_id=batch.name, destination=str(target), failed_reason=exc.message)
    for warning in plan.warnings:
        logger.warning("Batch %s: %s", plan.batch_id, warning)

    outcomes: list[FileOutcome] = []
    limits = intake_limits(settings)
    work_root = settings.work_dir / plan.batch_id
    store = resources.object_store()
    seen: set[str] = set()
    to_digitize: list[_Dossier] = []

    for spec in plan.dossiers:
        item = _Dossier(spec)
        for path in spec.files:
            name = path.relative_to(batch).as_posix()
            try:
                item.sources.append(inspect_file(path, limits))
            except RejectedInput as exc:
                reason = f"{exc.code}: {exc.message}"
                inbox.quarantine_file(path, batch, quarantine_root, reason)
                logger.warning("Quarantined %s/%s: %s", plan.batch_id, name, reason)
                outcomes.append(
                    FileOutcome(file=name, status=FileStatus.QUARANTINED, quarantine_reason=reason)
                )
                item.rejected.append(name)
        if not item.sources:
            continue
        item.record_id = record_id_for([s.sha256 for s in item.sources])
        if item.record_id in seen or store.exists(keys.manifest_key(item.record_id)):
            if item.record_id not in seen:  # stored by an earlier, interrupted run
                index_record_task(load_record(store, item.record_id))
            outcomes += [
                FileOutcome(
                    file=_name(s, batch), status=FileStatus.DUPLICATE, duplicate_of=item.record_id
                )
                for s in item.sources
            ]
            seen.add(item.record_id)
            continue
        seen.add(item.record_id)
        for source in item.sources:
            for page_index in range(source.page_count):
                out_dir = work_root / item.record_id / f"{len(item.page_futures) + 1:04d}"
                item.page_futures.append(digitize_page.submit(source, page_index, out_dir))
                item.page_sources.append(_name(source, batch))
        _notify("pages-queued", len(item.page_futures))
        to_digitize.append(item)

    records: list[str] = []
    page_total = 0
    rules = load_rules(settings.metadata_rules)
    for item in to_digitize:
        try:
            pages = [future.result() for future in item.page_futures]
        except (ProcessingError, RejectedInput) as exc:
            reason = f"processing_failed: {exc}"
            for source in item.sources:
                inbox.quarantine_file(source.path, batch, quarantine_root, reason)
                outcomes.append(
                    FileOutcome(
                        file=_name(source, batch),
                        status=FileStatus.QUARANTINED,
                        quarantine_reason=reason,
                    )
                )
            logger.warning("Quarantined dossier %s: %s", item.spec.name, reason)
            continue
        _notify("pages-done", len(pages))
        record_dir = work_root / item.record_id
        extracted = extract_metadata(dossier_steps.page_texts(pages), rules)
        outputs = DossierOutputs(
            sources=item.sources,
            pages=pages,
            page_sources=item.page_sources,
            searchable_pdf=dossier_steps.build_searchable_pdf(pages, record_dir / "searchable.pdf"),
            ocr_json=dossier_steps.write_ocr_json(pages, record_dir / "ocr.json"),
            document_type=extracted.document_type,
            fields=extracted.fields,
            issue_date=extracted.issue_date,
            review_reasons=dossier_steps.review_reasons(
                pages, extracted, settings.review_min_confidence, item.rejected
            ),
        )
        record = archive_dossier_task(item.record_id, plan.batch_id, item.spec, outputs)
        index_record_task(record)
        shutil.rmtree(record_dir, ignore_errors=True)
        records.append(record.record_id)
        page_total += len(pages)
        outcomes += [
            FileOutcome(file=_name(s, batch), status=FileStatus.STORED, record_id=record.record_id)
            for s in item.sources
        ]

    shutil.rmtree(work_root, ignore_errors=True)
    processed_root = settings.sibling_dir(inbox_dir, settings.processed_dir, "processed")
    destination = inbox.move_durably(batch, processed_root)
    logger.info(
        "Batch %s: %d records, %d pages, %d quarantined; moved to %s",
        plan.batch_id,
        len(records),
        page_total,
        sum(o.status is FileStatus.QUARANTINED for o in outcomes),
        destination,
    )
    return BatchReport(
        batch_id=plan.batch_id,
        destination=str(destination),
        files=tuple(outcomes),
        records=tuple(records),
        pages=page_total,
    )


def _name(source: SourceFile, batch: Path) -> str:
    return source.path.relative_to(batch).as_posix()
