"""Clerks' corrections of a record's metadata. The manifest is never changed:
each correction is a row holding the original value, and a record's
effective metadata is the original overlaid by the latest correction of each
field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sohoa.app.accounts import Principal
from sohoa.core.errors import InvalidRequest
from sohoa.models import Record
from sohoa.storage.schema.accounts import MetadataEdit, User

EDITABLE_FIELDS = (
    "document_type",
    "dossier_code",
    "number_symbol",
    "issue_date",
    "agency",
    "person_name",
    "birth_date",
    "citizen_id",
    "old_id",
    "tax_code",
    "phone",
)
MAX_VALUE_LENGTH = 500


@dataclass(frozen=True, slots=True)
class EffectiveField:
    """One metadata field as a clerk sees it: the value in force, the value
    read from the scan, and who last changed it."""

    name: str
    value: str
    original: str
    corrected_by: str = ""
    corrected_at: datetime | None = None

    @property
    def corrected(self) -> bool:
        return self.corrected_at is not None


def original_value(record: Record, name: str) -> str:
    """The value read from the scan (all values of a repeated field, joined)."""
    if name == "document_type":
        return record.document_type
    if name == "dossier_code" and record.dossier_code:
        return record.dossier_code
    if name == "issue_date" and record.issue_date:
        return record.issue_date.isoformat()
    return "; ".join(dict.fromkeys(v.value for v in record.fields.get(name, ())))


def correct(
    session: Session, who: Principal, record: Record, name: str, new_value: str
) -> MetadataEdit:
    """Record a correction of field ``name``; the original stays in the row."""
    if name not in EDITABLE_FIELDS:
        raise InvalidRequest(f"{name!r} is not a field that can be corrected.")
    value = " ".join(new_value.split())
    if len(value) > MAX_VALUE_LENGTH:
        raise InvalidRequest(f"A value may hold at most {MAX_VALUE_LENGTH} characters.")
    edit = MetadataEdit(
        record_id=record.record_id,
        field=name,
        original_value=original_value(record, name),
        new_value=value,
        user_id=who.user_id,
    )
    session.add(edit)
    session.flush()
    return edit


def history(session: Session, record_id: str) -> list[tuple[MetadataEdit, str]]:
    """Every correction of the record with the corrector's user name, oldest first."""
    rows = session.execute(
        select(MetadataEdit, User.username)
        .join(User, User.id == MetadataEdit.user_id)
        .where(MetadataEdit.record_id == record_id)
        .order_by(MetadataEdit.at, MetadataEdit.id)
    )
    return [(edit, username) for edit, username in rows]


def effective_metadata(session: Session, record: Record) -> list[EffectiveField]:
    """Every editable field: original overlaid by its latest correction."""
    latest = {edit.field: (edit, username) for edit, username in history(session, record.record_id)}
    fields = []
    for name in EDITABLE_FIELDS:
        original = original_value(record, name)
        if name in latest:
            edit, username = latest[name]
            fields.append(EffectiveField(name, edit.new_value, original, username, edit.at))
        else:
            fields.append(EffectiveField(name, original, original))
    return fields
