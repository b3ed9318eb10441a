"""The managers' pages and API: the dashboard (charts, filters, indicator
tables), the indicators as JSON, CSV and XLSX, the register import, and the
unmatched records and dossiers with near-miss confirmations.

Managers and admins see indicators and import the register; a manager sees
their own unit unless ``all_units`` (asking for another unit is refused).
Clerks, managers and admins list unmatched records and confirm matches
within their unit scope; the confirmation keeps who made it."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from sohoa.app import dashboard, matching
from sohoa.app.accounts import Principal
from sohoa.app.indicators import BACKLOG_BUCKETS, DIMENSIONS, RATES, Granularity, compute_indicators
from sohoa.app.monthly_report import SUMMARY_LABELS, ChartText, chart_svg, format_value
from sohoa.app.register import ALLOWED_SUFFIXES, dossier_code_key, import_register_file
from sohoa.core.errors import ConfigurationError, InvalidRequest, ObjectNotFound, SohoaError
from sohoa.storage.schema.accounts import AuditAction, Role
from sohoa.storage.schema.register import DigitizedRecord, RegisteredDossier
from sohoa.web.api_records import OptionalDate
from sohoa.web.i18n import language, translate
from sohoa.web.security import (
    Forbidden,
    attachment,
    database,
    log,
    record_reader,
    requires,
    settings_of,
)
from sohoa.web.templating import render

router = APIRouter()
UPLOAD_CHUNK = 1 << 20
# The columns of the dashboard's tables (the exports have every column).
PAGE_COLUMNS = (
    "received",
    "digitized_dossiers",
    "digitization_rate",
    "issued_digitization_rate",
    "median_days_to_digitize",
    "backlog_total",
    "records",
    "pages",
    "mean_ocr_confidence",
    "quarantine_rate",
    "reuse_rate",
)


def _reads_indicators(who: Principal) -> bool:
    return who.role in (Role.MANAGER, Role.ADMIN)


indicator_reader = requires(_reads_indicators)


def _scoped_unit(who: Principal, requested: str) -> str | None:
    """The unit to count: the one asked for within the user's scope, else the scope."""
    scope = who.unit_scope
    if scope is None:
        return requested or None
    if requested and requested != scope:
        raise Forbidden()
    return scope


def indicator_filter(
    request: Request,
    date_from: OptionalDate = None,
    date_to: OptionalDate = None,
    granularity: Granularity = Granularity.MONTH,
    unit: str = "",
    procedure: str = "",
    who: Principal = Depends(indicator_reader),
) -> dashboard.DashboardFilter:
    """The range (by default the twelve months up to today), granularity, unit and procedure."""
    timezone = settings_of(request).timezone
    last = date_to or datetime.now(ZoneInfo(timezone)).date()
    months = last.year * 12 + last.month - 1 - 11  # the first of eleven months before
    first = date_from or date(months // 12, months % 12 + 1, 1)
    if last < first:
        raise InvalidRequest(f"The range ends ({last}) before it starts ({first}).")
    return dashboard.DashboardFilter(
        first, last, granularity, _scoped_unit(who, unit), procedure or None, timezone
    )


# --- the dashboard page ---------------------------------------------------------


def _column_kind(name: str) -> str:
    if name in DIMENSIONS:
        return "text"
    if name in RATES:
        return "percent"
    if name == "median_days_to_digitize":
        return "days"
    return "number" if name == "mean_ocr_confidence" else "int"


def _chart_text(lang: str) -> ChartText:
    def t(key: str) -> str:
        return translate(key, lang)

    return ChartText(
        rate_trend=t("chart_rate_trend"),
        rate_by_unit=t("chart_rate_by_unit"),
        backlog=t("chart_backlog"),
        throughput=t("chart_throughput"),
        unknown_operator=t("unknown_operator"),
        backlog_buckets=tuple((label, t(f"b_{label}")) for label, _, _ in BACKLOG_BUCKETS),
    )


def _filter_params(wanted: dashboard.DashboardFilter) -> dict[str, str]:
    params = {
        "date_from": wanted.date_from.isoformat(),
        "date_to": wanted.date_to.isoformat(),
        "granularity": wanted.granularity.value,
        "unit": wanted.unit or "",
        "procedure": wanted.procedure or "",
    }
    return {name: value for name, value in params.items() if value}


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
def dashboard_page(
    request: Request,
    wanted: dashboard.DashboardFilter = Depends(indicator_filter),
    who: Principal = Depends(indicator_reader),
    session: Session = Depends(database),
) -> Response:
    board = dashboard.build_dashboard(session, wanted)
    lang = request.query_params.get("lang") or language(request)
    units, procedures = dashboard.filter_choices(session, who.unit_scope)
    params = _filter_params(wanted)
    return render(
        request,
        "dashboard.html",
        user=who,
        board=board,
        charts=[(chart.title, chart_svg(chart)) for chart in board.charts(_chart_text(lang))],
        units=units,
        procedures=procedures,
        unit_locked=who.unit_scope is not None,
        granularities=[g.value for g in Granularity],
        summary=[(name, kind) for name, _, kind in SUMMARY_LABELS],
        columns=[(name, _column_kind(name)) for name in PAGE_COLUMNS],
        shown=format_value,
        csv_period="/api/indicators.csv?" + urlencode({**params, "group_by": "period"}),
        csv_unit="/api/indicators.csv?" + urlencode({**params, "group_by": "unit"}),
        xlsx="/api/indicators.xlsx?" + urlencode(params),
    )


# --- indicators as JSON, CSV and XLSX ------------------------------------------


class IndicatorsOut(BaseModel):
    date_from: date
    date_to: date
    granularity: Granularity
    group_by: list[str]
    unit: str | None
    procedure: str | None
    rows: list[dict[str, Any]]


def _group_by(group_by: list[str]) -> tuple[str, ...]:
    unknown = set(group_by) - set(DIMENSIONS)
    if unknown:
        raise InvalidRequest(f"group_by takes {', '.join(DIMENSIONS)}, not {sorted(unknown)}.")
    return tuple(dict.fromkeys(group_by))


def _rows(session: Session, wanted: dashboard.DashboardFilter, group_by: tuple[str, ...]) -> Any:
    try:
        return compute_indicators(session, wanted.query(*group_by))
    except ConfigurationError as exc:
        raise InvalidRequest(exc.message) from exc


@router.get("/api/indicators", response_model=IndicatorsOut, tags=["managers"])
def indicators(
    wanted: dashboard.DashboardFilter = Depends(indicator_filter),
    group_by: Annotated[list[str], Query()] = [],  # noqa: B006 (FastAPI reads the default)
    session: Session = Depends(database),
) -> IndicatorsOut:
    """The indicators of a range by any of period, unit and procedure (managers and admins;
    a manager's own unit unless they see all units)."""
    groups = _group_by(group_by)
    return IndicatorsOut(
        date_from=wanted.date_from,
        date_to=wanted.date_to,
        granularity=wanted.granularity,
        group_by=list(groups),
        unit=wanted.unit,
        procedure=wanted.procedure,
        rows=[row.as_dict() for row in _rows(session, wanted, groups)],
    )


def _headers(request: Request) -> list[str]:
    lang = language(request)
    return [translate(f"col_{name}", lang) for name in dashboard.EXPORT_COLUMNS]


def _log_export(
    session: Session, who: Principal, request: Request, kind: str, wanted: Any, rows: int
) -> None:
    scope = f" unit={wanted.unit}" if wanted.unit else ""
    scope += f" procedure={wanted.procedure}" if wanted.procedure else ""
    log(
        session,
        who,
        request,
        AuditAction.EXPORT,
        detail=f"indicators {kind} {wanted.date_from}..{wanted.date_to} "
        f"{wanted.granularity}{scope}: {rows} rows",
    )


@router.get("/api/indicators.csv", response_class=Response, tags=["managers"])
def indicators_csv(
    request: Request,
    wanted: dashboard.DashboardFilter = Depends(indicator_filter),
    group_by: Annotated[list[str], Query()] = ["period"],  # noqa: B006
    who: Principal = Depends(indicator_reader),
    session: Session = Depends(database),
) -> Response:
    """An indicator table as CSV (UTF-8 with a BOM for spreadsheets); audited."""
    groups = _group_by(group_by)
    rows = _rows(session, wanted, groups)
    body = "".join(dashboard.csv_lines(rows, _headers(request)))
    _log_export(session, who, request, f"csv by {'+'.join(groups) or 'total'}", wanted, len(rows))
    return Response(
        body.encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers=attachment(f"sohoa-chi-so-{'-'.join(groups) or 'tong'}.csv"),
    )


@router.get("/api/indicators.xlsx", response_class=Response, tags=["managers"])
def indicators_xlsx(
    request: Request,
    wanted: dashboard.DashboardFilter = Depends(indicator_filter),
    who: Principal = Depends(indicator_reader),
    session: Session = Depends(database),
) -> Response:
    """The total, by-period and by-unit tables as one workbook; audited."""
    lang = language(request)
    tables = {
        translate("all", lang): _rows(session, wanted, ()),
        translate("by_period", lang): _rows(session, wanted, ("period",)),
        translate("by_unit", lang): _rows(session, wanted, ("unit",)),
    }
    body = dashboard.xlsx_bytes(tables, _headers(request))
    count = sum(len(rows) for rows in tables.values())
    _log_export(session, who, request, "xlsx", wanted, count)
    return Response(
        body,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=attachment("sohoa-chi-so.xlsx"),
    )


# --- the register ---------------------------------------------------------------


class RowErrorOut(BaseModel):
    line: int
    message: str


class ImportOut(BaseModel):
    rows: int
    imported: int
    bad_rows: int
    errors: list[RowErrorOut]


@router.post("/api/register/import", response_model=ImportOut, tags=["managers"])
def import_register(
    request: Request,
    file: UploadFile,
    who: Principal = Depends(indicator_reader),
    session: Session = Depends(database),
) -> ImportOut:
    """Import the one-stop system's register export (CSV or XLSX, multipart field ``file``):
    streamed to a temporary file, then imported in chunks; bad rows are listed by line
    number and not imported (managers and admins)."""
    suffix = Path(file.filename or "").suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise InvalidRequest(f"A register is a {' or '.join(ALLOWED_SUFFIXES)} file.")
    with tempfile.TemporaryDirectory(prefix="sohoa-register-") as folder:
        path = Path(folder) / f"register{suffix}"
        with path.open("wb") as out:
            shutil.copyfileobj(file.file, out, UPLOAD_CHUNK)
        try:
            report = import_register_file(settings_of(request).database_url, path)
        except SohoaError as exc:
            raise InvalidRequest(exc.message) from exc
    detail = f"{file.filename}: {report.imported} of {report.rows} rows, {report.bad_rows} bad"
    log(session, who, request, AuditAction.REGISTER_IMPORT, detail=detail)
    return ImportOut(
        rows=report.rows,
        imported=report.imported,
        bad_rows=report.bad_rows,
        errors=[RowErrorOut(line=e.line, message=e.message) for e in report.errors],
    )


class UnmatchedOut(BaseModel):
    records_without_dossier: list[dict[str, Any]]
    dossiers_without_record: list[dict[str, Any]]
    candidates: list[dict[str, Any]]


@router.get("/api/register/unmatched", response_model=UnmatchedOut, tags=["managers"])
def unmatched(
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
    who: Principal = Depends(record_reader),
    session: Session = Depends(database),
) -> UnmatchedOut:
    """Records without a register dossier, dossiers without a record, and near-miss
    candidates to confirm (clerks, managers and admins, within their unit scope)."""
    unit = who.unit_scope
    return UnmatchedOut(
        records_without_dossier=[
            _plain(r) for r in matching.unmatched_records(session, limit, unit)
        ],
        dossiers_without_record=[
            _plain(d) for d in matching.unmatched_dossiers(session, limit=limit, unit=unit)
        ],
        candidates=[_plain(c) for c in matching.match_candidates(session, limit, unit)],
    )


def _plain(value: Any) -> dict[str, Any]:
    return {name: getattr(value, name) for name in value.__slots__}


class MatchIn(BaseModel):
    record_id: str = Field(min_length=1, max_length=80)
    dossier_code: str = Field(min_length=1, max_length=80)
    accepted: bool = True


class MatchOut(BaseModel):
    record_id: str
    code_key: str
    accepted: bool
    confirmed_by: str


@router.post("/api/register/matches", response_model=MatchOut, tags=["managers"])
def confirm_match(
    wanted: MatchIn,
    request: Request,
    who: Principal = Depends(record_reader),
    session: Session = Depends(database),
) -> MatchOut:
    """A near miss confirmed (``accepted``) or rejected: the record belongs to that
    register dossier, or is never offered for it again. The user is kept with it."""
    record = session.get(DigitizedRecord, wanted.record_id)
    key = dossier_code_key(wanted.dossier_code)
    dossier = session.get(RegisteredDossier, key)
    if record is None or not who.sees_unit(record.unit):
        raise ObjectNotFound(f"No digitized record {wanted.record_id}.")
    if dossier is None or not who.sees_unit(dossier.unit):
        raise ObjectNotFound(f"No register dossier {wanted.dossier_code}.")
    matching.confirm_match(session, record.record_id, key, wanted.accepted, who.user_id)
    log(
        session,
        who,
        request,
        AuditAction.EDIT,
        record.record_id,
        f"dossier match {dossier.dossier_code} " + ("accepted" if wanted.accepted else "rejected"),
    )
    return MatchOut(
        record_id=record.record_id,
        code_key=key,
        accepted=wanted.accepted,
        confirmed_by=who.username,
    )
