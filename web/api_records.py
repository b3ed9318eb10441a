"""The REST API over records: search, a record, its files, corrections,
reuse and the review queue. Every search, view, download, correction and
reuse is written to the audit log with the user, the record and the client
address. Files are streamed through the app after the permission check, in
chunks read from the object store (memory stays flat however large the file)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, BeforeValidator, Field
from sqlalchemy.orm import Session

from sohoa.app import corrections, lookup, reuse, review
from sohoa.app.accounts import Principal
from sohoa.models import Record, SearchFacets, SignatureVerdict
from sohoa.storage.schema.accounts import AuditAction
from sohoa.web.security import database, log, record_reader

router = APIRouter(prefix="/api", tags=["records"])
FileKind = Literal["original", "searchable_pdf", "page", "thumbnail"]
# Page images and thumbnails are part of viewing a record, audited as the view.
AUDITED_DOWNLOADS = frozenset({"original", "searchable_pdf"})


class HitOut(BaseModel):
    record_id: str
    page: int
    snippet_html: str = Field(description="Escaped OCR text with <mark> around query words")
    score: float
    exact_match: str
    document_type: str
    dossier_code: str
    unit: str
    issue_date: date | None
    page_count: int
    signature: str = Field(description="valid, invalid or unsigned; empty if indexed before")
    thumbnail_url: str


class SearchOut(BaseModel):
    total: int
    page: int
    per_page: int
    hits: list[HitOut]
    facets: SearchFacets


# A form's empty date input sends "date_from=": no date, not an error.
OptionalDate = Annotated[date | None, BeforeValidator(lambda value: value or None)]
OptionalVerdict = Annotated[SignatureVerdict | None, BeforeValidator(lambda value: value or None)]


def clerk_query(
    q: str = "",
    type: str = "",
    unit: str = "",
    date_from: OptionalDate = None,
    date_to: OptionalDate = None,
    signature: OptionalVerdict = None,
    sort: Literal["relevance", "date"] = "relevance",
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> lookup.ClerkQuery:
    return lookup.ClerkQuery(
        text=q[:500],
        document_type=type,
        unit=unit,
        date_from=date_from,
        date_to=date_to,
        signature=signature,
        sort=sort,
        limit=per_page,
        offset=(page - 1) * per_page,
    )


def run_search(
    session: Session, who: Principal, request: Request, wanted: lookup.ClerkQuery
) -> lookup.FoundRecords:
    found = lookup.search(who, wanted)
    filters = " ".join(
        f"{name}={value}"
        for name, value in (
            ("type", wanted.document_type),
            ("unit", wanted.unit),
            ("from", wanted.date_from),
            ("to", wanted.date_to),
            ("signature", wanted.signature),
        )
        if value
    )
    log(session, who, request, AuditAction.SEARCH, detail=f"{wanted.text} {filters}".strip())
    return found


def file_url(record_id: str, kind: str, number: int = 1) -> str:
    return f"/api/records/{record_id}/files/{kind}/{number}"


@router.get("/search", response_model=SearchOut)
def search(
    request: Request,
    wanted: lookup.ClerkQuery = Depends(clerk_query),
    who: Principal = Depends(record_reader),
    session: Session = Depends(database),
) -> SearchOut:
    """Records matching the text (accents optional); a CCCD/CMND, tax code,
    dossier code or number/symbol ranks its exact matches first."""
    found = run_search(session, who, request, wanted)
    return SearchOut(
        total=found.total,
        page=wanted.offset // wanted.limit + 1,
        per_page=wanted.limit,
        facets=found.facets,
        hits=[
            HitOut(
                record_id=f.hit.record_id,
                page=f.hit.page,
                snippet_html=f.hit.snippet,
                score=f.hit.score,
                exact_match=f.exact,
                document_type=f.hit.document_type,
                dossier_code=f.hit.dossier_code,
                unit=f.hit.unit,
                issue_date=f.hit.issue_date,
                page_count=f.hit.page_count,
                signature=f.hit.signature,
                thumbnail_url=file_url(f.hit.record_id, "thumbnail", f.hit.page),
            )
            for f in found.hits
        ],
    )


class FieldOut(BaseModel):
    name: str
    value: str
    original: str
    corrected_by: str
    corrected_at: datetime | None


class ReuseOut(BaseModel):
    new_dossier_code: str
    username: str
    unit: str
    at: datetime


class RecordOut(BaseModel):
    record: Record
    metadata: list[FieldOut]
    reuses: list[ReuseOut]
    review_confirmed: bool
    files: dict[str, str]


def record_view(session: Session, record: Record) -> RecordOut:
    files = {"searchable_pdf": file_url(record.record_id, "searchable_pdf")}
    files |= {
        f"original_{n}": file_url(record.record_id, "original", n)
        for n in range(1, len(record.originals) + 1)
    }
    return RecordOut(
        record=record,
        metadata=[
            FieldOut(
                name=f.name,
                value=f.value,
                original=f.original,
                corrected_by=f.corrected_by,
                corrected_at=f.corrected_at,
            )
            for f in corrections.effective_metadata(session, record)
        ],
        reuses=[
            ReuseOut(new_dossier_code=a.new_dossier_code, username=u, unit=a.unit, at=a.at)
            for a, u in reuse.reuses_of(session, record.record_id)
        ],
        review_confirmed=review.confirmation(session, record.record_id) is not None,
        files=files,
    )


@router.get("/records/{record_id}", response_model=RecordOut)
def record_detail(
    record_id: str,
    request: Request,
    who: Principal = Depends(record_reader),
    session: Session = Depends(database),
) -> RecordOut:
    """The record (OCR text included), its effective metadata with the
    original values, its reuses and links to its files."""
    record = lookup.open_record(who, record_id)
    log(session, who, request, AuditAction.VIEW, record.record_id)
    return record_view(session, record)


@router.get("/records/{record_id}/files/{kind}/{number}", response_class=Response)
def record_file(
    record_id: str,
    kind: FileKind,
    number: int,
    request: Request,
    who: Principal = Depends(record_reader),
    session: Session = Depends(database),
) -> Response:
    """An original, the searchable PDF, a page image or a thumbnail, after the permission check."""
    record = lookup.open_record(who, record_id)
    chunks, content_type, name = lookup.record_file(record, kind, number)
    if kind in AUDITED_DOWNLOADS:
        log(session, who, request, AuditAction.DOWNLOAD, record.record_id, f"{kind} {name}")
    disposition = "attachment" if kind in AUDITED_DOWNLOADS else "inline"
    return StreamingResponse(
        chunks,
        media_type=content_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="{name}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


class CorrectionIn(BaseModel):
    field: str
    value: str = Field(max_length=corrections.MAX_VALUE_LENGTH)


def apply_correction(
    session: Session, who: Principal, request: Request, record: Record, field: str, value: str
) -> None:
    edit = corrections.correct(session, who, record, field, value)
    log(
        session,
        who,
        request,
        AuditAction.EDIT,
        record.record_id,
        f"{field}: {edit.original_value!r} -> {edit.new_value!r}",
    )


@router.post("/records/{record_id}/corrections", response_model=RecordOut)
def correct_field(
    record_id: str,
    correction: CorrectionIn,
    request: Request,
    who: Principal = Depends(record_reader),
    session: Session = Depends(database),
) -> RecordOut:
    """Correct one metadata field; the original value stays visible."""
    record = lookup.open_record(who, record_id)
    apply_correction(session, who, request, record, correction.field, correction.value)
    return record_view(session, record)


class ReuseIn(BaseModel):
    dossier_code: str = Field(max_length=80)


def apply_reuse(
    session: Session, who: Principal, request: Request, record: Record, dossier_code: str
) -> None:
    action = reuse.record_reuse(session, who, record.record_id, dossier_code)
    log(session, who, request, AuditAction.REUSE, record.record_id, action.new_dossier_code)


@router.post("/records/{record_id}/reuse", response_model=RecordOut)
def reuse_record(
    record_id: str,
    wanted: ReuseIn,
    request: Request,
    who: Principal = Depends(record_reader),
    session: Session = Depends(database),
) -> RecordOut:
    """Record that this record served a new dossier (the reuse the ministries count)."""
    record = lookup.open_record(who, record_id)
    apply_reuse(session, who, request, record, wanted.dossier_code)
    return record_view(session, record)


class ReviewItemOut(BaseModel):
    record_id: str
    digitized_at: datetime
    document_type: str
    dossier_code: str
    unit: str
    mean_ocr_confidence: float
    reasons: list[str]


class ReviewOut(BaseModel):
    total: int
    by_reason: dict[str, int]
    records: list[ReviewItemOut]


@router.get("/review", response_model=ReviewOut, tags=["review"])
def review_queue(
    reason: str = "",
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
    who: Principal = Depends(record_reader),
    session: Session = Depends(database),
) -> ReviewOut:
    """Flagged records no clerk has confirmed, oldest first, with counts per reason."""
    queue = review.review_queue(session, who, reason, per_page, (page - 1) * per_page)
    return ReviewOut(
        total=queue.total,
        by_reason=queue.by_reason,
        records=[
            ReviewItemOut(
                record_id=r.record_id,
                digitized_at=r.digitized_at,
                document_type=r.document_type,
                dossier_code=r.dossier_code,
                unit=r.unit,
                mean_ocr_confidence=round(r.mean_ocr_confidence, 1),
                reasons=list(r.review_reasons),
            )
            for r in queue.records
        ],
    )


@router.post("/review/{record_id}/confirm", tags=["review"])
def confirm_review(
    record_id: str,
    request: Request,
    who: Principal = Depends(record_reader),
    session: Session = Depends(database),
) -> dict[str, str]:
    """The record was checked (and corrected where needed): out of the queue."""
    record = lookup.open_record(who, record_id)
    review.confirm(session, who, record.record_id)
    log(session, who, request, AuditAction.EDIT, record.record_id, "review confirmed")
    return {"record_id": record.record_id, "status": "confirmed"}
