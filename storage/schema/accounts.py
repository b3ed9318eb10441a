"""Who may do what, and what they did: accounts, API tokens, the audit log,
clerks' corrections to metadata and reuse of records for new dossiers."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sohoa.storage.database import Base


def utc_now() -> datetime:
    return datetime.now(UTC)


class Role(StrEnum):
    OPERATOR = "operator"
    CLERK = "clerk"
    MANAGER = "manager"
    ADMIN = "admin"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    # The unit whose records the user sees; all_units widens that to every unit.
    unit: Mapped[str] = mapped_column(String(100), default="")
    all_units: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    password_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class ApiToken(Base):
    """A bearer token for the REST API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditAction(StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    SEARCH = "search"
    VIEW = "view"
    DOWNLOAD = "download"
    EDIT = "edit"
    REUSE = "reuse"
    USER_ADMIN = "user_admin"
    EXPORT = "export"
    REGISTER_IMPORT = "register_import"


class AuditEvent(Base):
    """Append-only: rows are inserted, never updated or deleted."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_at", "at"),
        Index("ix_audit_events_record", "record_id"),
        Index("ix_audit_events_action_at", "action", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(80), default="")
    # What was searched, which field changed, which file was downloaded, ...
    detail: Mapped[str] = mapped_column(Text, default="")
    client_address: Mapped[str] = mapped_column(String(64), default="")


class MetadataEdit(Base):
    """A clerk's correction of one metadata field; the original value stays."""

    __tablename__ = "metadata_edits"
    __table_args__ = (Index("ix_metadata_edits_record", "record_id", "field"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[str] = mapped_column(String(80))
    field: Mapped[str] = mapped_column(String(64))
    original_value: Mapped[str] = mapped_column(Text, default="")
    new_value: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class ReuseAction(Base):
    """A record served a new dossier, so the citizen did not hand the document in again."""

    __tablename__ = "reuse_actions"
    __table_args__ = (
        Index("ix_reuse_actions_record", "record_id"),
        Index("ix_reuse_actions_at", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[str] = mapped_column(String(80))
    new_dossier_code: Mapped[str] = mapped_column(String(80))
    # The unit at whose counter the reuse happened (the clerk's unit).
    unit: Mapped[str] = mapped_column(String(100), default="")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
