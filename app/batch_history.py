"""What the managers' figures are made of: each batch run and each stored
record, written to the database by the flow once they happened."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from sohoa.app.register import dossier_code_key, refresh_first_digitized
from sohoa.models import BatchReport, FileStatus, Record
from sohoa.storage.database import session_scope
from sohoa.storage.schema.register import (
    BatchRun,
    BatchRunFile,
    DigitizedRecord,
    MatchConfirmation,
)


def record_batch_run(
    database_url: str,
    report: BatchReport,
    started_at: datetime,
    finished_at: datetime,
    timezone: str,
) -> int:
    """Store one run of the digitize flow with its per-file outcomes; its id."""
    statuses = [outcome.status for outcome in report.files]
    run = BatchRun(
        batch_id=report.batch_id,
        operator=report.operator,
        unit=report.unit,
        started_at=started_at,
        finished_at=finished_at,
        started_on=started_at.astimezone(ZoneInfo(timezone)).date(),
        duration_seconds=(finished_at - started_at).total_seconds(),
        files=len(report.files),
        stored_files=statuses.count(FileStatus.STORED),
        duplicate_files=statuses.count(FileStatus.DUPLICATE),
        quarantined_files=statuses.count(FileStatus.QUARANTINED),
        skipped_files=statuses.count(FileStatus.SKIPPED),
        records=len(report.records),
        pages=report.pages,
        kept_in_inbox=len(report.kept_in_inbox),
        failed_reason=report.failed_reason or "",
        claimed_by=report.claimed_by or "",
        destination=report.destination,
    )
    with session_scope(database_url) as session:
        session.add(run)
        session.flush()
        session.add_all(
            BatchRunFile(
                batch_run_id=run.id,
                file=outcome.file,
                status=outcome.status.value,
                record_id=outcome.record_id or outcome.duplicate_of or "",
                reject_code=outcome.reject_code.value if outcome.reject_code else "",
                reason=outcome.quarantine_reason or outcome.skip_reason or "",
                dossier_code=outcome.dossier_code,
            )
            for outcome in report.files
        )
        return run.id


def record_digitized(database_url: str, record: Record, timezone: str) -> None:
    """Store (or store again, unchanged) what the indicators need of a record.
    A dossier a clerk confirmed for this record stays its match."""
    with session_scope(database_url) as session:
        confirmed = session.scalar(
            select(MatchConfirmation.code_key).where(
                MatchConfirmation.record_id == record.record_id, MatchConfirmation.accepted
            )
        )
        source = record.dossier_code_source
        previous = session.get(DigitizedRecord, record.record_id)
        stale_key = previous.match_key if previous else ""
        session.merge(
            DigitizedRecord(
                record_id=record.record_id,
                dossier_code=record.dossier_code,
                dossier_code_source=source.value if source else "",
                match_key=confirmed or dossier_code_key(record.dossier_code),
                batch_id=record.batch_id,
                unit=record.unit,
                procedure=record.procedure,
                operator=record.operator,
                digitized_at=record.digitized_at,
                digitized_on=record.digitized_at.astimezone(ZoneInfo(timezone)).date(),
                pages=record.page_count,
                mean_ocr_confidence=round(record.mean_ocr_confidence, 2),
                needs_review=record.needs_review,
            )
        )
        session.flush()
        refresh_first_digitized(
            session, {stale_key, confirmed or dossier_code_key(record.dossier_code)}
        )
