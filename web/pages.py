"""The server-rendered pages: search, a record, the review queue, the audit
log and the archive status. Forms post here with the session's CSRF token;
the work is done by the same functions as the API's."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from sohoa.app import audit, corrections, lookup, records, reuse, review, stats
from sohoa.app.accounts import Principal
from sohoa.core.errors import InvalidRequest
from sohoa.storage.schema.accounts import AuditAction
from sohoa.web.api_admin import audit_filter
from sohoa.web.api_records import (
    apply_correction,
    apply_reuse,
    clerk_query,
    file_url,
    run_search,
)
from sohoa.web.security import (
    any_user,
    audit_reader,
    database,
    log,
    record_reader,
    settings_of,
)
from sohoa.web.templating import render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


def type_labels() -> dict[str, str]:
    return {t.code: t.label for t in records.metadata_rules().declared_types}


@router.get("/")
def search_page(
    request: Request,
    wanted: lookup.ClerkQuery = Depends(clerk_query),
    who: Principal = Depends(any_user),
    session: Session = Depends(database),
) -> Response:
    if not who.reads_records:
        return RedirectResponse("/status", status_code=303)
    found = run_search(session, who, request, wanted)
    params = {k: v for k, v in request.query_params.items() if k not in ("page", "lang")}
    page = wanted.offset // wanted.limit + 1
    last_page = max(1, -(-found.total // wanted.limit))
    return render(
        request,
        "search.html",
        user=who,
        query=wanted,
        found=found,
        page=page,
        last_page=last_page,
        page_url=lambda n: "/?" + urlencode({**params, "page": n}),
        filter_url=lambda name, value: "/?" + urlencode({**params, name: value}),
        thumbnail=lambda hit: file_url(hit.record_id, "thumbnail", hit.page),
        type_labels=type_labels(),
    )


@router.get("/records/{record_id}")
def record_page(
    record_id: str,
    request: Request,
    who: Principal = Depends(record_reader),
    session: Session = Depends(database),
) -> Response:
    record = lookup.open_record(who, record_id)
    log(session, who, request, AuditAction.VIEW, record.record_id)
    threshold = settings_of(request).review_min_confidence
    return render(
        request,
        "record.html",
        user=who,
        record=record,
        fields=corrections.effective_metadata(session, record),
        history=corrections.history(session, record.record_id),
        reuses=reuse.reuses_of(session, record.record_id),
        confirmed=review.confirmation(session, record.record_id),
        words=lookup.page_words(record),
        threshold=threshold,
        file_url=file_url,
        type_labels=type_labels(),
        error=request.query_params.get("error", ""),
    )


def _back_to(record_id: str, error: str = "") -> RedirectResponse:
    suffix = "?" + urlencode({"error": error}) if error else ""
    return RedirectResponse(f"/records/{record_id}{suffix}", status_code=303)


@router.post("/records/{record_id}/corrections")
def correct_form(
    record_id: str,
    request: Request,
    field: Annotated[str, Form()],
    value: Annotated[str, Form()],
    who: Principal = Depends(record_reader),
    session: Session = Depends(database),
) -> Response:
    record = lookup.open_record(who, record_id)
    try:
        apply_correction(session, who, request, record, field, value)
    except InvalidRequest as exc:
        return _back_to(record.record_id, exc.message)
    return _back_to(record.record_id)


@router.post("/records/{record_id}/reuse")
def reuse_form(
    record_id: str,
    request: Request,
    dossier_code: Annotated[str, Form()],
    who: Principal = Depends(record_reader),
    session: Session = Depends(database),
) -> Response:
    record = lookup.open_record(who, record_id)
    try:
        apply_reuse(session, who, request, record, dossier_code)
    except InvalidRequest as exc:
        return _back_to(record.record_id, exc.message)
    return _back_to(record.record_id)


@router.get("/review")
def review_page(
    request: Request,
    reason: str = "",
    page: Annotated[int, Query(ge=1)] = 1,
    who: Principal = Depends(record_reader),
    session: Session = Depends(database),
) -> Response:
    per_page = 50
    queue = review.review_queue(session, who, reason, per_page, (page - 1) * per_page)
    return render(
        request,
        "review.html",
        user=who,
        queue=queue,
        reason=reason,
        page=page,
        last_page=max(1, -(-queue.total // per_page)),
        type_labels=type_labels(),
        reason_code=review.reason_code,
    )


@router.post("/review/{record_id}/confirm")
def confirm_form(
    record_id: str,
    request: Request,
    who: Principal = Depends(record_reader),
    session: Session = Depends(database),
) -> Response:
    record = lookup.open_record(who, record_id)
    review.confirm(session, who, record.record_id)
    log(session, who, request, AuditAction.EDIT, record.record_id, "review confirmed")
    return RedirectResponse("/review", status_code=303)


@router.get("/audit")
def audit_page(
    request: Request,
    wanted: audit.AuditFilter = Depends(audit_filter),
    page: Annotated[int, Query(ge=1)] = 1,
    who: Principal = Depends(audit_reader),
    session: Session = Depends(database),
) -> Response:
    per_page = 100
    total, events = audit.browse(session, wanted, per_page, (page - 1) * per_page)
    params = {k: v for k, v in request.query_params.items() if k not in ("page", "lang")}
    return render(
        request,
        "audit.html",
        user=who,
        wanted=wanted,
        total=total,
        events=events,
        page=page,
        last_page=max(1, -(-total // per_page)),
        actions=[a.value for a in AuditAction],
        csv_url="/api/audit.csv?" + urlencode(params),
        page_url=lambda n: "/audit?" + urlencode({**params, "page": n}),
    )


@router.get("/status")
def status_page(request: Request, who: Principal = Depends(any_user)) -> Response:
    return render(request, "status.html", user=who, figures=stats.archive_stats())
