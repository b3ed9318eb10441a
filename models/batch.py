"""What happened to each file of a batch, as ``ingest --json`` reports it."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from sohoa.core.errors import RejectCode


class FileStatus(StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"


class FileOutcome(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str
    status: FileStatus
    record_id: str | None = None
    duplicate_of: str | None = None
    reject_code: RejectCode | None = None
    quarantine_reason: str | None = None


class BatchReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    batch_id: str
    destination: str
    files: tuple[FileOutcome, ...] = ()
    records: tuple[str, ...] = ()
    pages: int = 0
    failed_reason: str | None = None
    # Dossiers left in the inbox after a failure a later run can get past (a
    # tool timeout on a busy machine): the batch stays for the next run.
    kept_in_inbox: tuple[str, ...] = ()
