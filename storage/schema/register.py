"""What managers count: every batch run, every digitized record, the register
of received dossiers (the one-stop system's export) and the clerks'
confirmations of near-miss dossier codes.

Dates a manager groups by (``digitized_on``, ``started_on``) are the office's
local dates, stored beside the UTC instants so that periods are plain date
comparisons on both SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from sohoa.storage.database import Base
from sohoa.storage.schema.accounts import utc_now


class BatchRun(Base):
    """One run of the digitize flow over one batch folder."""

    __tablename__ = "batch_runs"
    __table_args__ = (
        Index("ix_batch_runs_started_on", "started_on"),
        Index("ix_batch_runs_batch", "batch_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[str] = mapped_column(String(200))
    # The manifest's operator and unit (the most frequent, when dossiers differ).
    operator: Mapped[str] = mapped_column(String(100), default="")
    unit: Mapped[str] = mapped_column(String(100), default="")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_on: Mapped[date] = mapped_column(Date)
    duration_seconds: Mapped[float] = mapped_column(Float)
    files: Mapped[int] = mapped_column(Integer, default=0)
    stored_files: Mapped[int] = mapped_column(Integer, default=0)
    duplicate_files: Mapped[int] = mapped_column(Integer, default=0)
    quarantined_files: Mapped[int] = mapped_column(Integer, default=0)
    skipped_files: Mapped[int] = mapped_column(Integer, default=0)
    records: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    kept_in_inbox: Mapped[int] = mapped_column(Integer, default=0)
    failed_reason: Mapped[str] = mapped_column(Text, default="")
    claimed_by: Mapped[str] = mapped_column(String(200), default="")
    destination: Mapped[str] = mapped_column(Text, default="")


class BatchRunFile(Base):
    """What happened to one file of a batch run (``FileOutcome``)."""

    __tablename__ = "batch_run_files"
    __table_args__ = (Index("ix_batch_run_files_run", "batch_run_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_run_id: Mapped[int] = mapped_column(ForeignKey("batch_runs.id", ondelete="CASCADE"))
    file: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[str] = mapped_column(String(80), default="")
    reject_code: Mapped[str] = mapped_column(String(40), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    # A duplicate's own dossier code, from the manifest of the drop it came in.
    dossier_code: Mapped[str] = mapped_column(String(80), default="", server_default="")


class DigitizedRecord(Base):
    """A stored record, as the indicators need it; written again, unchanged in
    identity, when the same record is ingested again."""

    __tablename__ = "digitized_records"
    __table_args__ = (
        Index("ix_digitized_records_match_key", "match_key"),
        # Covers the indicators' scan of a date range (the table need not be read).
        Index(
            "ix_digitized_records_indicators",
            "digitized_on", "unit", "procedure", "pages", "mean_ocr_confidence", "needs_review",
        ),
    )  # fmt: skip

    record_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    dossier_code: Mapped[str] = mapped_column(String(80), default="")
    # manifest | qr | ocr, or "" when no code was found
    dossier_code_source: Mapped[str] = mapped_column(String(16), default="")
    # The normalised code of the register dossier this record belongs to: its
    # own code, or the one a clerk confirmed for it.
    match_key: Mapped[str] = mapped_column(String(80), default="")
    batch_id: Mapped[str] = mapped_column(String(200), default="")
    unit: Mapped[str] = mapped_column(String(100), default="")
    procedure: Mapped[str] = mapped_column(String(200), default="")
    operator: Mapped[str] = mapped_column(String(100), default="")
    digitized_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    digitized_on: Mapped[date] = mapped_column(Date)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    mean_ocr_confidence: Mapped[float] = mapped_column(Float, default=0.0)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)


class RegisteredDossier(Base):
    """A dossier the one-stop office received, from the register export."""

    __tablename__ = "register_dossiers"
    __table_args__ = (
        Index("ix_register_dossiers_unit", "unit"),
        # Covers the indicators' scan of a date range (the table need not be read).
        Index(
            "ix_register_dossiers_indicators",
            "received_on", "unit", "procedure", "first_digitized_on", "result_issued_on",
        ),
    )  # fmt: skip

    # The normalised dossier code (upper case, letters and digits only).
    code_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    dossier_code: Mapped[str] = mapped_column(String(80))
    procedure: Mapped[str] = mapped_column(String(200), default="")
    unit: Mapped[str] = mapped_column(String(100), default="")
    received_on: Mapped[date] = mapped_column(Date)
    # online | direct | post
    channel: Mapped[str] = mapped_column(String(16))
    result_issued_on: Mapped[date | None] = mapped_column(Date)
    # The day its first matched record was digitized (kept by app/register.py
    # from digitized_records, so that the rate is a scan of this table alone).
    first_digitized_on: Mapped[date | None] = mapped_column(Date)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class MatchConfirmation(Base):
    """A clerk's decision on a near-miss: this record belongs to that dossier
    (``accepted``), or not (``rejected``, so it is not offered again)."""

    __tablename__ = "match_confirmations"

    record_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    code_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    accepted: Mapped[bool] = mapped_column(Boolean)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
