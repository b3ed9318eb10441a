"""The audit log: who searched, viewed, downloaded, corrected or reused what,
when, and from which address. Append-only: this module only inserts and reads."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from sohoa.app.accounts import Principal
from sohoa.storage.schema.accounts import AuditAction, AuditEvent

CSV_COLUMNS = ("at", "username", "action", "record_id", "detail", "client_address")


def append(
    session: Session,
    who: Principal | None,
    action: AuditAction,
    *,
    client_address: str,
    record_id: str = "",
    detail: str = "",
    username: str = "",
) -> None:
    """One event; ``username`` names who tried when nobody is signed in (a failed login)."""
    session.add(
        AuditEvent(
            user_id=who.user_id if who else None,
            username=who.username if who else username,
            action=action.value,
            record_id=record_id,
            detail=detail[:2000],
            client_address=client_address[:64],
        )
    )
    session.flush()


@dataclass(frozen=True, slots=True)
class AuditFilter:
    username: str = ""
    action: str = ""
    record_id: str = ""
    since: datetime | None = None
    until: datetime | None = None


def _filtered(wanted: AuditFilter) -> Select[AuditEvent]:
    query = select(AuditEvent)
    if wanted.username:
        query = query.where(AuditEvent.username == wanted.username)
    if wanted.action:
        query = query.where(AuditEvent.action == wanted.action)
    if wanted.record_id.strip():
        # Record ids are lowercase hex; LIKE ignores case on SQLite but not on
        # PostgreSQL, so the typed prefix is lowered, and % or _ match themselves.
        prefix = wanted.record_id.strip().lower()
        query = query.where(AuditEvent.record_id.startswith(prefix, autoescape=True))
    if wanted.since:
        query = query.where(AuditEvent.at >= wanted.since)
    if wanted.until:
        query = query.where(AuditEvent.at <= wanted.until)
    return query


def browse(
    session: Session, wanted: AuditFilter, limit: int = 50, offset: int = 0
) -> tuple[int, list[AuditEvent]]:
    """The total matching and one page of events, newest first."""
    query = _filtered(wanted)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit).offset(offset)
    )
    return total, list(rows)


def all_events(session: Session, wanted: AuditFilter) -> Iterator[AuditEvent]:
    """Every matching event, oldest first, read in chunks."""
    query = _filtered(wanted).order_by(AuditEvent.id).execution_options(yield_per=500)
    yield from session.scalars(query)


def csv_lines(events: Iterable[AuditEvent]) -> Iterator[str]:
    """The events as CSV text, a header line first; cells a spreadsheet would
    run as formulas are prefixed with a quote."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for event in events:
        writer.writerow(
            [
                event.at.isoformat(),
                *(
                    inert_cell(str(value))
                    for value in (
                        event.username,
                        event.action,
                        event.record_id,
                        event.detail,
                        event.client_address,
                    )
                ),
            ]
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def inert_cell(cell: str) -> str:
    """The cell with a quote before what a spreadsheet would run as a formula."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell
