"""The managers' dashboard: a date range's indicators in total, by period and
by unit, the backlog by age and pages per operator, drawn with the monthly
report's charts; and the indicator tables as CSV or XLSX.

Every figure is ``compute_indicators``' for the same filter, so the
dashboard, the API, the exports and ``sohoa report`` agree."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sohoa.app.audit import inert_cell
from sohoa.app.indicators import (
    BACKLOG_BUCKETS,
    Granularity,
    IndicatorQuery,
    IndicatorRow,
    OperatorThroughput,
    compute_indicators,
    operator_throughput,
)
from sohoa.app.monthly_report import REPORT_TEXT, Chart, ChartText, indicator_charts
from sohoa.storage.schema.register import RegisteredDossier

# The exported columns, in order; backlog_<bucket> are the backlog's age buckets.
EXPORT_COLUMNS = (
    "period",
    "unit",
    "procedure",
    "received",
    "digitized_dossiers",
    "digitization_rate",
    "issued",
    "issued_digitized",
    "issued_digitization_rate",
    "median_days_to_digitize",
    *(f"backlog_{label}" for label, _, _ in BACKLOG_BUCKETS),
    "backlog_total",
    "records",
    "pages",
    "mean_ocr_confidence",
    "flagged_for_review",
    "flagged_share",
    "batches",
    "failed_batches",
    "failure_rate",
    "files",
    "quarantined_files",
    "quarantine_rate",
    "reuse_actions",
    "lookups",
    "reuse_rate",
    "dossiers_served_by_reuse",
)


@dataclass(frozen=True, slots=True)
class DashboardFilter:
    date_from: date
    date_to: date
    granularity: Granularity = Granularity.MONTH
    unit: str | None = None
    procedure: str | None = None
    timezone: str = "Asia/Ho_Chi_Minh"

    def query(self, *group_by: str) -> IndicatorQuery:
        return IndicatorQuery(
            self.date_from,
            self.date_to,
            self.granularity,
            group_by,
            self.unit,
            self.procedure,
            self.timezone,
        )


@dataclass(frozen=True, slots=True)
class Dashboard:
    wanted: DashboardFilter
    summary: IndicatorRow
    periods: tuple[IndicatorRow, ...]
    units: tuple[IndicatorRow, ...]
    operators: tuple[OperatorThroughput, ...]

    def charts(self, text: ChartText = REPORT_TEXT) -> tuple[Chart, ...]:
        """The trend over the range's periods, the rate per unit, the backlog at
        the range's end of dossiers received in it, and pages per operator."""
        return indicator_charts(
            self.periods,
            self.units,
            self.summary.backlog,
            self.operators,
            self.wanted.granularity,
            text,
        )

    @property
    def has_data(self) -> bool:
        return bool(self.summary.received or self.summary.records)


def build_dashboard(session: Session, wanted: DashboardFilter) -> Dashboard:
    (summary,) = compute_indicators(session, wanted.query())
    return Dashboard(
        wanted=wanted,
        summary=summary,
        periods=tuple(compute_indicators(session, wanted.query("period"))),
        units=tuple(compute_indicators(session, wanted.query("unit"))),
        operators=tuple(operator_throughput(session, wanted.query())),
    )


def filter_choices(session: Session, unit: str | None) -> tuple[list[str], list[str]]:
    """The units and procedures the register names (of ``unit`` alone when given)."""
    dossier = RegisteredDossier
    units = select(dossier.unit).distinct().order_by(dossier.unit)
    procedures = select(dossier.procedure).distinct().order_by(dossier.procedure)
    if unit is not None:
        units = units.where(dossier.unit == unit)
        procedures = procedures.where(dossier.unit == unit)
    return list(session.scalars(units)), list(session.scalars(procedures))


# --- exports ------------------------------------------------------------------


def table_values(row: IndicatorRow) -> list[Any]:
    """The row's figures in EXPORT_COLUMNS order (rates as fractions, None empty)."""
    figures = row.as_dict()
    for label, count in row.backlog.items():
        figures[f"backlog_{label}"] = count
    return [figures[name] for name in EXPORT_COLUMNS]


def _cell(value: Any) -> Any:
    """Numbers stay numbers; text a spreadsheet would run as a formula is made inert."""
    if value is None:
        return ""
    return inert_cell(value) if isinstance(value, str) else value


def csv_lines(rows: Iterable[IndicatorRow], headers: Sequence[str]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_cell(value) for value in table_values(row)])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()  # the header alone when there are no rows


def xlsx_bytes(tables: dict[str, Sequence[IndicatorRow]], headers: Sequence[str]) -> bytes:
    """One sheet per table, written row by row (openpyxl's write-only mode)."""
    from openpyxl import Workbook  # type: ignore[import-untyped]

    workbook = Workbook(write_only=True)
    for title, rows in tables.items():
        sheet = workbook.create_sheet(title[:31])
        sheet.append(list(headers))
        for row in rows:
            sheet.append([_cell(value) for value in table_values(row)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
