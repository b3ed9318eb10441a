"""The main job: a complete batch in the inbox becomes stored, indexed records.

The flow only sequences: check each dossier's files, fan its pages out to
``digitize_page`` tasks (OCR on all cores), then finish, archive and index
each dossier as its pages come in. Tasks exchange paths and keys, never
images; the work itself is in ``app/intake.py`` and ``pipeline/``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from prefect import Task, flow, get_run_logger, task
from prefect.client.schemas.objects import State, TaskRun
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from sohoa.app import backends, batch_history, claims, intake
from sohoa.app.archive import DossierOutputs, archive_dossier
from sohoa.app.fault_points import pause_point
from sohoa.core.errors import (
    ConfigurationError,
    ObjectNotFound,
    ProcessingError,
    RejectCode,
    RejectedInput,
    SohoaError,
)
from sohoa.core.settings import Settings, load_settings
from sohoa.models import BatchReport, Record
from sohoa.pipeline.inbox import DossierSpec
from sohoa.pipeline.metadata import load_rules
from sohoa.pipeline.ocr_engine import get_engine
from sohoa.pipeline.pages import ProcessedPage, process_page
from sohoa.pipeline.poppler import poppler_version
from sohoa.pipeline.preflight import SourceFile
from sohoa.pipeline.qpdf import qpdf_version
from sohoa.pipeline.rasterize import render_page
from sohoa.storage.manifests import load_record

# Delays between tries of a task whose error can pass (a storage service
# restarting, a tool timeout on a busy machine); they grow. A flow run uses
# its SOHOA_RETRY_DELAYS (``_retrying``).
RETRY_DELAYS = list(Settings.model_fields["retry_delays"].default)
_P = ParamSpec("_P")
_R = TypeVar("_R")


@dataclass(frozen=True, slots=True)
class PageProgress:
    """``event`` is "batch" (a batch starts), "queued" or "done" (``count``
    pages), "finished" with the batch's ``report``, or "stopped": the batch
    stopped on an error, and ``report`` says what was done with each file first."""

    event: str
    batch: str
    count: int = 0
    report: BatchReport | None = None


ProgressListener = Callable[[PageProgress], None]
_listeners: list[ProgressListener] = []


def add_progress_listener(listener: ProgressListener) -> None:
    """In-process observers of page progress (the CLI's progress bar)."""
    _listeners.append(listener)


def remove_progress_listener(listener: ProgressListener) -> None:
    _listeners.remove(listener)


def _notify(event: str, batch: str, count: int = 0, report: BatchReport | None = None) -> None:
    for listener in _listeners:
        listener(PageProgress(event, batch, count, report))


def retry_only_retryable(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Retry what can pass (``SohoaError.retryable``, or an error sohoa does not
    know, such as a dropped connection); never a refused password or a bad file."""
    try:
        state.result()
    except SohoaError as exc:
        return exc.retryable
    except Exception:
        return True
    return False


def _retried(**options: Any) -> dict[str, Any]:
    return {
        "retries": len(RETRY_DELAYS),
        "retry_delay_seconds": RETRY_DELAYS,
        "retry_condition_fn": retry_only_retryable,
        **options,
    }


def _retrying(task_: Task[_P, _R], settings: Settings) -> Task[_P, _R]:
    """``task_`` with this run's retry delays (a task's are fixed where it is defined)."""
    delays = list(settings.retry_delays)
    retries = min(task_.retries, len(delays))
    return task_.with_options(retries=retries, retry_delay_seconds=delays[:retries] or 0)


def task_runner_for(settings: Settings) -> TaskRunner[Any]:
    """Pages run on ``SOHOA_WORKERS`` threads (each drives one single-threaded
    tesseract), or on a Dask cluster when ``SOHOA_DASK_ADDRESS`` is set."""
    if settings.dask_address:
        from prefect_dask.task_runners import DaskTaskRunner

        return DaskTaskRunner(address=settings.dask_address)
    return ThreadPoolTaskRunner(max_workers=settings.workers)


def check_tools(settings: Settings) -> None:
    """Fail before any work when tesseract, a language pack, poppler or qpdf is missing."""
    get_engine().check(settings.languages)
    poppler_version()
    qpdf_version()


@task(name="digitize-page", **_retried(retries=2))
def digitize_page(source: SourceFile, page_index: int, out_dir: Path) -> ProcessedPage:
    """Rasterize one page of a source file and run it through the page steps."""
    settings = backends.settings()
    out_dir.mkdir(parents=True, exist_ok=True)
    rendered = render_page(
        source, page_index, settings.dpi, out_dir / "raster.tif", settings.ocr_timeout_seconds
    )
    pause_point("ocr")  # test hook: the page rendered, its OCR not done
    try:
        return process_page(rendered.path, out_dir, intake.page_options(settings, rendered.dpi))
    finally:
        rendered.path.unlink(missing_ok=True)


@task(name="finish-dossier")
def finish_dossier_task(
    dossier: intake.CheckedDossier,
    pages: list[ProcessedPage],
    page_sources: list[str],
    record_dir: Path,
) -> DossierOutputs:
    settings = backends.settings()
    rules = load_rules(settings.metadata_rules)
    return intake.finish_dossier(
        dossier,
        pages,
        page_sources,
        record_dir,
        rules,
        settings.review_min_confidence,
        intake.SigningOptions.from_settings(settings),
    )


# These tasks carry no tags: Prefect asks its server for tag concurrency
# slots before each tagged task run, which stalled the flow thread for up to
# 2 s per archive or index call under load (4 s after a batch's last page).
@task(name="stored-record", **_retried())
def stored_record_task(record_id: str) -> Record | None:
    """The record already stored under this id (by an earlier, interrupted run)."""
    try:
        return load_record(backends.object_store(), record_id)
    except ObjectNotFound:
        return None


@task(name="archive-dossier", **_retried())
def archive_dossier_task(
    record_id: str, batch_id: str, spec: DossierSpec, outputs: DossierOutputs
) -> Record:
    return archive_dossier(backends.object_store(), record_id, batch_id, spec, outputs)


@task(name="index-record", **_retried())
def index_record_task(record: Record) -> None:
    result = backends.search_index().index_records([record])
    if result.errors:
        raise ProcessingError(f"Search index refused record {record.record_id}: {result.errors}")


@dataclass
class _Queued:
    dossier: intake.CheckedDossier
    record_id: str
    page_futures: list[PrefectFuture[ProcessedPage]] = field(default_factory=list)
    page_sources: list[str] = field(default_factory=list)


def _runner_from_environment() -> TaskRunner[Any]:
    """The runner of a run started without one (a deployment, by hand): the
    same ``SOHOA_WORKERS`` and Dask address as the CLI's. Prefect's own default
    pool is unbounded: a 300-page PDF would start 300 tesseracts at once."""
    try:
        return task_runner_for(load_settings())
    except ConfigurationError:  # reported when the run starts, naming the setting
        return ThreadPoolTaskRunner(max_workers=os.cpu_count() or 1)


@flow(name="digitize-batch", validate_parameters=False, task_runner=_runner_from_environment())
def digitize_batch(batch_path: str) -> BatchReport:
    """Digitize one complete batch folder and move it to processed/ (or failed/).

    The batch is claimed first: a batch another run holds is left to it."""
    settings = backends.settings()
    batch = Path(batch_path).absolute()
    intake.open_inbox(str(batch.parent), mark=False)
    intake.check_data_dir_writable(settings)
    check_tools(settings)
    started_at = datetime.now(UTC)
    with claims.claimed(batch) as claim:
        if claim is None:
            owner = claims.describe_owner(claims.claim_folder(batch))
            get_run_logger().info("Batch %s is being digitized by %s", batch.name, owner)
            report = BatchReport(batch_id=batch.name, destination=str(batch), claimed_by=owner)
        else:
            report = _digitize_claimed(batch, settings)
    batch_history.record_batch_run(
        settings.database_url, report, started_at, datetime.now(UTC), settings.timezone
    )
    _notify("finished", batch.name, report=report)
    return report


def _digitize_claimed(batch: Path, settings: Settings) -> BatchReport:
    logger = get_run_logger()
    folders = intake.BatchFolders.beside(batch.parent, settings)
    plan = intake.plan_or_fail(batch, folders)
    if isinstance(plan, BatchReport):
        logger.warning("Batch %s moved to %s: %s", batch.name, plan.destination, plan.failed_reason)
        return plan
    for warning in plan.warnings:
        logger.warning("Batch %s: %s", plan.batch_id, warning)
    _notify("batch", plan.batch_id)
    tally = intake.BatchTally(plan, folders)
    try:
        _digitize_planned(tally, settings)
    except Exception as exc:
        reason = exc.message if isinstance(exc, SohoaError) else f"{type(exc).__name__}: {exc}"
        _notify("stopped", plan.batch_id, report=intake.report_so_far(tally, reason))
        raise
    report = intake.close_batch(tally)
    logger.info(
        "Batch %s: %d records, %d pages, %d quarantined, %d kept in the inbox; now in %s",
        plan.batch_id,
        len(report.records),
        report.pages,
        sum(o.reject_code is not None for o in report.files),
        len(report.kept_in_inbox),
        report.destination,
    )
    return report


def _digitize_planned(tally: intake.BatchTally, settings: Settings) -> None:
    plan = tally.plan
    tally.set_aside()
    limits = intake.intake_limits(settings)
    with intake.scratch_space(settings.work_dir / plan.batch_id) as work_root:
        queued = []
        for spec in plan.dossiers:
            dossier = intake.check_dossier(spec, tally, limits)
            if dossier.sources and not _already_stored(dossier, tally, settings):
                queued.append(_queue_pages(dossier, work_root, tally, settings))
        for item in queued:
            pages = _gather_pages(item, tally)
            if pages is None:
                continue
            outputs = finish_dossier_task(
                item.dossier, pages, item.page_sources, work_root / item.record_id
            )
            archive = _retrying(archive_dossier_task, settings)
            record = archive(item.record_id, plan.batch_id, item.dossier.spec, outputs)
            _retrying(index_record_task, settings)(record)
            _remember(record, settings)
            tally.stored(record.record_id, item.dossier.sources, len(pages))


def _remember(record: Record, settings: Settings) -> None:
    """The record in the managers' figures (written by the flow, not a task:
    the database is the flow host's)."""
    batch_history.record_digitized(settings.database_url, record, settings.timezone)


def _already_stored(
    dossier: intake.CheckedDossier, tally: intake.BatchTally, settings: Settings
) -> bool:
    """A dossier seen earlier in this batch, or stored by an earlier run (then
    indexed again, in case that run stopped before indexing it). A record an
    interrupted run of this same batch stored is reported stored, not as a
    duplicate of itself."""
    record_id = dossier.record_id
    if record_id not in tally.seen:
        tally.seen.add(record_id)
        stored = _retrying(stored_record_task, settings)(record_id)
        if stored is None:
            return False
        _retrying(index_record_task, settings)(stored)
        _remember(stored, settings)
        if tally.stored_before(stored, dossier):
            tally.stored(record_id, dossier.sources, stored.page_count)
            return True
    tally.duplicates(record_id, dossier)
    return True


def _queue_pages(
    dossier: intake.CheckedDossier, work_root: Path, tally: intake.BatchTally, settings: Settings
) -> _Queued:
    item = _Queued(dossier, dossier.record_id)
    page_task = _retrying(digitize_page, settings)
    for source in dossier.sources:
        for page_index in range(source.page_count):
            out_dir = work_root / item.record_id / f"{len(item.page_futures) + 1:04d}"
            future = page_task.submit(source, page_index, out_dir)
            if _listeners:  # on a Dask runner each callback costs an API call
                future.add_done_callback(lambda _: _notify("done", tally.plan.batch_id, 1))
            item.page_futures.append(future)
            item.page_sources.append(tally.name(source.path))
    _notify("queued", tally.plan.batch_id, len(item.page_futures))
    return item


def _gather_pages(item: _Queued, tally: intake.BatchTally) -> list[ProcessedPage] | None:
    """The dossier's pages, or None when one failed: a failure that can pass
    keeps the files in the inbox; any other quarantines them."""
    try:
        pages = [future.result() for future in item.page_futures]
    except OSError as exc:  # the machine's fault (disk full, read-only), never the file's
        tally.keep_in_inbox(item.dossier, f"{exc}; check free disk space and permissions")
        get_run_logger().warning("Kept %s in the inbox: %s", item.dossier.spec.name, exc)
        return None
    except (ProcessingError, RejectedInput) as exc:
        if exc.retryable:
            tally.keep_in_inbox(item.dossier, exc.message)
            get_run_logger().warning("Kept %s in the inbox: %s", item.dossier.spec.name, exc)
            return None
        code = exc.code if isinstance(exc, RejectedInput) else RejectCode.PROCESSING_FAILED
        for source in item.dossier.sources:
            tally.quarantine(source.path, code, exc.message)
        get_run_logger().warning("Quarantined dossier %s: %s", item.dossier.spec.name, exc)
        return None
    return pages
