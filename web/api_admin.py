"""The API for managers and admins, and the one thing operators see: the
audit log (browse, CSV export), user accounts, archive status, and the API
documentation page."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from sohoa.app import accounts, audit, stats
from sohoa.app.accounts import Principal
from sohoa.storage.schema.accounts import AuditAction, Role
from sohoa.web.security import any_user, attachment, audit_reader, database, log, user_manager
from sohoa.web.templating import render

router = APIRouter()


class AuditEventOut(BaseModel):
    at: datetime
    username: str
    action: str
    record_id: str
    detail: str
    client_address: str


class AuditPageOut(BaseModel):
    total: int
    events: list[AuditEventOut]


def audit_filter(
    username: str = "",
    action: str = "",
    record_id: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> audit.AuditFilter:
    return audit.AuditFilter(username, action, record_id, since, until)


@router.get("/api/audit", response_model=AuditPageOut, tags=["audit"])
def browse_audit(
    wanted: audit.AuditFilter = Depends(audit_filter),
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
    who: Principal = Depends(audit_reader),
    session: Session = Depends(database),
) -> AuditPageOut:
    """The audit log, newest first (managers and admins)."""
    total, events = audit.browse(session, wanted, per_page, (page - 1) * per_page)
    return AuditPageOut(
        total=total,
        events=[
            AuditEventOut(
                at=e.at,
                username=e.username,
                action=e.action,
                record_id=e.record_id,
                detail=e.detail,
                client_address=e.client_address,
            )
            for e in events
        ],
    )


@router.get("/api/audit.csv", response_class=Response, tags=["audit"])
def export_audit(
    request: Request,
    wanted: audit.AuditFilter = Depends(audit_filter),
    who: Principal = Depends(audit_reader),
    session: Session = Depends(database),
) -> Response:
    """The matching audit events as CSV, oldest first (managers and admins)."""
    body = "".join(audit.csv_lines(audit.all_events(session, wanted)))
    log(session, who, request, AuditAction.EXPORT, detail=f"{body.count(chr(10)) - 1} events")
    return Response(
        body.encode("utf-8-sig"),  # the BOM makes spreadsheets read UTF-8
        media_type="text/csv; charset=utf-8",
        headers=attachment("sohoa-audit.csv"),
    )


class UserOut(BaseModel):
    username: str
    display_name: str
    role: Role
    unit: str
    all_units: bool
    disabled: bool


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=accounts.MIN_PASSWORD_LENGTH, max_length=200)
    role: Role
    unit: str = ""
    all_units: bool = False
    display_name: str = ""


def _user_out(user: Any) -> UserOut:
    return UserOut(
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        unit=user.unit,
        all_units=user.all_units,
        disabled=user.disabled,
    )


@router.get("/api/users", response_model=list[UserOut], tags=["users"])
def list_users(
    who: Principal = Depends(user_manager), session: Session = Depends(database)
) -> list[UserOut]:
    """Every account (admins)."""
    return [_user_out(u) for u in accounts.list_users(session)]


@router.post("/api/users", response_model=UserOut, status_code=201, tags=["users"])
def add_user(
    wanted: UserIn,
    request: Request,
    who: Principal = Depends(user_manager),
    session: Session = Depends(database),
) -> UserOut:
    """Create an account (admins)."""
    user = accounts.create_user(
        session,
        wanted.username,
        wanted.password,
        wanted.role,
        unit=wanted.unit,
        all_units=wanted.all_units,
        display_name=wanted.display_name,
    )
    log(session, who, request, AuditAction.USER_ADMIN, detail=f"add {user.username} ({user.role})")
    return _user_out(user)


@router.post("/api/users/{username}/disable", response_model=UserOut, tags=["users"])
def disable_user(
    username: str,
    request: Request,
    who: Principal = Depends(user_manager),
    session: Session = Depends(database),
) -> UserOut:
    """Disable an account; its sessions and tokens stop working (admins)."""
    user = accounts.set_disabled(session, username)
    log(session, who, request, AuditAction.USER_ADMIN, detail=f"disable {username}")
    return _user_out(user)


class StatusOut(BaseModel):
    records: int
    pages: int
    needs_review: int
    indexed_records: int
    mean_ocr_confidence: float


@router.get("/api/status", response_model=StatusOut, tags=["status"])
def archive_status(who: Principal = Depends(any_user)) -> StatusOut:
    """Counts over the archive: what an operator may see (no record contents)."""
    figures = stats.archive_stats()
    return StatusOut(
        records=figures.records,
        pages=figures.pages,
        needs_review=figures.needs_review,
        indexed_records=figures.indexed_records,
        mean_ocr_confidence=figures.mean_ocr_confidence,
    )


@router.get("/openapi.json", include_in_schema=False)
def openapi_document(request: Request, who: Principal = Depends(any_user)) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
def api_docs(request: Request, who: Principal = Depends(any_user)) -> Response:
    """The API's operations, rendered here from the OpenAPI document."""
    operations = [
        (method.upper(), path, op.get("summary", ""), op.get("description", ""))
        for path, methods in request.app.openapi()["paths"].items()
        for method, op in methods.items()
    ]
    return render(request, "docs.html", user=who, operations=operations)
