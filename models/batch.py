"""What happened to each file of a batch, as ``ingest --json`` reports it."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from sohoa.core.errors import RejectCode


class FileStatus(StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"
    SKIPPED = "skipped"  # a hidden file or a reserved name, left as it is
    KEPT = "kept"  # left in the inbox after a failure a later run can get past


class FileOutcome(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str
    status: FileStatus
    record_id: str | None = None
    duplicate_of: str | None = None
    # A duplicate's own dossier code (from this drop's manifest), which the
    # stored record, made from the first drop, does not carry.
    dossier_code: str = ""
    reject_code: RejectCode | None = None
    quarantine_reason: str | None = None
    skip_reason: str | None = None
    keep_reason: str | None = None


class BatchReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    batch_id: str
    destination: str
    # From the manifest: the most frequent operator and unit of the batch's dossiers.
    operator: str = ""
    unit: str = ""
    files: tuple[FileOutcome, ...] = ()
    records: tuple[str, ...] = ()
    pages: int = 0
    failed_reason: str | None = None
    # manifest.csv lines that could not be followed, files it does not list
    warnings: tuple[str, ...] = ()
    # Dossiers left in the inbox after a failure a later run can get past (a
    # tool timeout on a busy machine): the batch stays for the next run.
    kept_in_inbox: tuple[str, ...] = ()
    # Another run holds this batch (see app/claims.py); it was left to that run.
    claimed_by: str | None = None

    @property
    def needs_attention(self) -> bool:
        """A file was quarantined, the batch failed, or a dossier waits for a later run."""
        return bool(
            self.failed_reason
            or self.kept_in_inbox
            or any(f.status is FileStatus.QUARANTINED for f in self.files)
        )


class WaitCode(StrEnum):
    COPYING = "copying"
    EMPTY = "empty"
    QUIET = "quiet"


class WaitingBatch(BaseModel):
    """A batch folder not taken yet, and why."""

    model_config = ConfigDict(frozen=True)

    batch_id: str
    code: WaitCode
    reason: str
    # The file still being copied (COPYING)
    partial_file: str = ""
    # Seconds until the quiet period ends and a poll takes it; None when it
    # waits for something else (a copy in progress, an empty folder).
    seconds_left: float | None = None


class InboxStatus(BaseModel):
    """What is left in the inbox after a run: batches still waiting, and files
    dropped loose in the inbox itself, which no batch will ever take."""

    model_config = ConfigDict(frozen=True)

    inbox: str
    waiting: tuple[WaitingBatch, ...] = ()
    loose_files: tuple[str, ...] = ()
