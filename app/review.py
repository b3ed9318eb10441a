"""The review queue: records flagged at intake (low OCR confidence, a field
their document type requires not found, a quarantined file, only blank
pages) that no clerk has confirmed yet, oldest first.

The queue is read from the manifests (the source of truth), one pass over
the store per call; fine for tens of thousands of records, not millions."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sohoa.app import backends
from sohoa.app.accounts import Principal
from sohoa.models import Record
from sohoa.storage.manifests import iter_records
from sohoa.storage.schema.review import ReviewConfirmation


@dataclass(frozen=True, slots=True)
class ReviewQueue:
    total: int
    by_reason: dict[str, int]
    records: list[Record]


def reason_code(reason: str) -> str:
    """Reasons are written "code: what to check"."""
    return reason.split(":", 1)[0].strip()


def confirmed_ids(session: Session) -> set[str]:
    return set(session.scalars(select(ReviewConfirmation.record_id)))


def review_queue(
    session: Session, who: Principal, reason: str = "", limit: int = 50, offset: int = 0
) -> ReviewQueue:
    confirmed = confirmed_ids(session)
    waiting = [
        record
        for record in iter_records(backends.object_store())
        if record.needs_review and record.record_id not in confirmed and who.sees_unit(record.unit)
    ]
    by_reason = Counter(reason_code(r) for record in waiting for r in record.review_reasons)
    if reason:
        waiting = [r for r in waiting if reason in map(reason_code, r.review_reasons)]
    waiting.sort(key=lambda record: (record.digitized_at, record.record_id))
    return ReviewQueue(len(waiting), dict(by_reason), waiting[offset : offset + limit])


def confirm(session: Session, who: Principal, record_id: str, note: str = "") -> None:
    """Take the record out of the queue; confirming twice keeps the first."""
    if (
        session.scalar(select(ReviewConfirmation).where(ReviewConfirmation.record_id == record_id))
        is None
    ):
        session.add(ReviewConfirmation(record_id=record_id, user_id=who.user_id, note=note))
        session.flush()


def confirmation(session: Session, record_id: str) -> ReviewConfirmation | None:
    return session.scalar(
        select(ReviewConfirmation).where(ReviewConfirmation.record_id == record_id)
    )
