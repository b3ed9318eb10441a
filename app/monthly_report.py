"""The monthly report for managers: the month's figures, the rate's trend over
twelve months, the rate per unit, the backlog by age and throughput per
operator. One ``MonthlyReport`` feeds the JSON, the HTML (inline SVG charts)
and the PDF (fpdf2, DejaVu fonts for Vietnamese), so they show the same
figures."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from sohoa.app.indicators import (
    BACKLOG_BUCKETS,
    Granularity,
    IndicatorQuery,
    IndicatorRow,
    OperatorThroughput,
    compute_indicators,
    operator_throughput,
)
from sohoa.core.errors import ConfigurationError

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
MAX_LINE_LABELS = 16
BACKLOG_LABELS = {
    "0_7": "0–7 ngày",
    "8_30": "8–30 ngày",
    "31_90": "31–90 ngày",
    "over_90": "> 90 ngày",
}
SUMMARY_LABELS = (
    ("received", "Hồ sơ tiếp nhận", "int"),
    ("digitized_dossiers", "Hồ sơ đã số hóa", "int"),
    ("digitization_rate", "Tỷ lệ số hóa hồ sơ", "percent"),
    ("issued_digitization_rate", "Tỷ lệ số hóa kết quả giải quyết", "percent"),
    ("median_days_to_digitize", "Trung vị số ngày từ tiếp nhận đến số hóa", "days"),
    ("records", "Bản ghi số hóa trong tháng", "int"),
    ("pages", "Trang số hóa trong tháng", "int"),
    ("mean_ocr_confidence", "Độ tin cậy OCR trung bình", "number"),
    ("flagged_share", "Tỷ lệ cần kiểm tra lại", "percent"),
    ("quarantine_rate", "Tỷ lệ tệp bị cách ly", "percent"),
    ("failure_rate", "Tỷ lệ lô thất bại", "percent"),
    ("reuse_rate", "Tỷ lệ tái sử dụng dữ liệu", "percent"),
    ("dossiers_served_by_reuse", "Hồ sơ được phục vụ nhờ tái sử dụng", "int"),
    ("backlog_total", "Hồ sơ tồn chưa số hóa", "int"),
)


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    labels: tuple[str, ...]
    values: tuple[float, ...]
    line: bool = False  # a trend; otherwise bars
    percent: bool = False

    def shown(self, value: float) -> str:
        return f"{value * 100:.1f}%" if self.percent else f"{value:,.0f}".replace(",", ".")


@dataclass(frozen=True, slots=True)
class ChartText:
    """The charts' words (the report's Vietnamese; the dashboard passes its page's language)."""

    rate_trend: str = "Tỷ lệ số hóa theo tháng"
    rate_by_unit: str = "Tỷ lệ số hóa theo đơn vị"
    backlog: str = "Hồ sơ tồn theo thời gian chờ (12 tháng)"
    throughput: str = "Số trang số hóa theo người vận hành"
    unknown_operator: str = "(không rõ)"
    backlog_buckets: tuple[tuple[str, str], ...] = tuple(BACKLOG_LABELS.items())


REPORT_TEXT = ChartText()


def period_label(period: str, granularity: Granularity) -> str:
    """A period's first day (YYYY-MM-DD) as a chart shows it: 31/12, 12/24, Q4/24, 2024."""
    year, month, day = period.split("-")
    if granularity is Granularity.YEAR:
        return year
    if granularity is Granularity.QUARTER:
        return f"Q{(int(month) - 1) // 3 + 1}/{year[2:]}"
    if granularity is Granularity.MONTH:
        return f"{month}/{year[2:]}"
    return f"{day}/{month}"


def indicator_charts(
    trend: Sequence[IndicatorRow],
    units: Sequence[IndicatorRow],
    backlog: dict[str, int],
    operators: Sequence[OperatorThroughput],
    granularity: Granularity = Granularity.MONTH,
    text: ChartText = REPORT_TEXT,
) -> tuple[Chart, ...]:
    """The rate's trend by period, the rate per unit, the backlog by age and
    pages per operator (the twelve busiest)."""
    bucket_labels = dict(text.backlog_buckets)
    return (
        Chart(
            text.rate_trend,
            tuple(period_label(r.period, granularity) for r in trend if r.period),
            tuple(r.digitization_rate or 0.0 for r in trend if r.period),
            line=True,
            percent=True,
        ),
        Chart(
            text.rate_by_unit,
            tuple(r.unit or "" for r in units),
            tuple(r.digitization_rate or 0.0 for r in units),
            percent=True,
        ),
        Chart(
            text.backlog,
            tuple(bucket_labels[k] for k in backlog),
            tuple(float(v) for v in backlog.values()),
        ),
        Chart(
            text.throughput,
            tuple(o.operator or text.unknown_operator for o in operators[:12]),
            tuple(float(o.pages) for o in operators[:12]),
        ),
    )


@dataclass(frozen=True, slots=True)
class MonthlyReport:
    month: str  # YYYY-MM
    summary: IndicatorRow
    trend: tuple[IndicatorRow, ...]
    units: tuple[IndicatorRow, ...]
    operators: tuple[OperatorThroughput, ...]

    @property
    def title(self) -> str:
        year, month = self.month.split("-")
        return f"Báo cáo số hóa hồ sơ tháng {month}/{year}"

    def backlog(self) -> dict[str, int]:
        """Dossiers of the last twelve months not digitized by the month's end, by age."""
        totals = {label: 0 for label, _, _ in BACKLOG_BUCKETS}
        for row in self.trend:
            for label, count in row.backlog.items():
                totals[label] += count
        return totals

    def charts(self) -> tuple[Chart, ...]:
        return indicator_charts(self.trend, self.units, self.backlog(), self.operators)

    def as_json(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "title": self.title,
            "summary": self.summary.as_dict(),
            "trend": [row.as_dict() for row in self.trend],
            "units": [row.as_dict() for row in self.units],
            "backlog": self.backlog(),
            "operators": [
                {
                    "operator": o.operator,
                    "records": o.records,
                    "pages": o.pages,
                    "batches": o.batches,
                }
                for o in self.operators
            ],
        }


def month_range(month: str) -> tuple[date, date]:
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError as exc:
        raise ConfigurationError(f"Month {month!r} is not YYYY-MM") from exc
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def build_report(session: Session, month: str, timezone: str) -> MonthlyReport:
    first, last = month_range(month)
    year_start = (first - timedelta(days=335)).replace(day=1)
    in_month = IndicatorQuery(first, last, timezone=timezone)
    trend = compute_indicators(
        session,
        IndicatorQuery(year_start, last, Granularity.MONTH, ("period",), timezone=timezone),
    )
    # The trend's last month has the month's own range and as-of day: it is the summary.
    this_month = [replace(row, period=None) for row in trend if row.period == first.isoformat()]
    (summary,) = this_month or compute_indicators(session, in_month)
    units = compute_indicators(
        session, IndicatorQuery(first, last, group_by=("unit",), timezone=timezone)
    )
    return MonthlyReport(
        month=month,
        summary=summary,
        trend=tuple(trend),
        units=tuple(units),
        operators=tuple(operator_throughput(session, in_month)),
    )


def format_value(value: Any, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "percent":
        return f"{value * 100:.1f}%".replace(".", ",")
    if kind in ("days", "number"):
        return f"{value:.1f}".replace(".", ",")
    return f"{value:,}".replace(",", ".")


def summary_lines(report: MonthlyReport) -> list[tuple[str, str]]:
    figures = report.summary.as_dict()
    return [(label, format_value(figures[name], kind)) for name, label, kind in SUMMARY_LABELS]


# --- HTML with inline SVG ---------------------------------------------------


def chart_svg(chart: Chart, width: int = 640, height: int = 240) -> str:
    left, bottom, top = 180 if not chart.line else 40, 30, 20  # bars: room for a unit's name
    plot_w, plot_h = width - left - 60, height - bottom - top
    peak = max(chart.values, default=0) or 1
    if chart.percent:
        peak = max(peak, 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(chart.title)}">'
    ]
    if chart.line:
        step = plot_w / max(len(chart.values) - 1, 1)
        points = [
            (left + i * step, top + plot_h - v / peak * plot_h) for i, v in enumerate(chart.values)
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline fill="none" stroke="#1f6feb" stroke-width="2" points="{path}"/>')
        every = -(-len(points) // MAX_LINE_LABELS)  # label every n-th point when crowded
        for n, ((x, y), label, value) in enumerate(
            zip(points, chart.labels, chart.values, strict=True)
        ):
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1f6feb"/>')
            if n % every:
                continue
            parts.append(
                f'<text x="{x:.1f}" y="{height - 10}" font-size="10" text-anchor="middle">'
                f"{html.escape(label)}</text>"
                f'<text x="{x:.1f}" y="{y - 6:.1f}" font-size="9" text-anchor="middle">'
                f"{chart.shown(value)}</text>"
            )
    else:
        bar_h = plot_h / max(len(chart.values), 1)
        for i, (label, value) in enumerate(zip(chart.labels, chart.values, strict=True)):
            y = top + i * bar_h
            w = value / peak * plot_w
            parts.append(
                f'<text x="{left - 6}" y="{y + bar_h * 0.65:.1f}" font-size="11" '
                f'text-anchor="end">{html.escape(label)}</text>'
                f'<rect x="{left}" y="{y + 2:.1f}" width="{w:.1f}" height="{bar_h - 4:.1f}" '
                f'fill="#2da44e"/><text x="{left + w + 4:.1f}" y="{y + bar_h * 0.65:.1f}" '
                f'font-size="10">{chart.shown(value)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def render_html(report: MonthlyReport) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(label)}</th><td>{value}</td></tr>"
        for label, value in summary_lines(report)
    )
    charts = "".join(
        f"<section><h2>{html.escape(c.title)}</h2>{chart_svg(c)}</section>" for c in report.charts()
    )
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        f"<title>{html.escape(report.title)}</title><style>"
        "body{font-family:'DejaVu Sans',sans-serif;max-width:760px;margin:2em auto}"
        "th{text-align:left;font-weight:normal;padding-right:2em}td{text-align:right}"
        f"</style></head><body><h1>{html.escape(report.title)}</h1>"
        f"<table>{rows}</table>{charts}</body></html>"
    )


# --- PDF ----------------------------------------------------------------------


def render_pdf(report: MonthlyReport, path: Path) -> Path:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(0, 10, report.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    for label, value in summary_lines(report):
        pdf.cell(120, 6, label)
        pdf.cell(0, 6, value, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_auto_page_break(auto=False)
    for number, chart in enumerate(report.charts()):  # two charts a page
        if number % 2 == 0:
            pdf.add_page()
        _pdf_chart(pdf, chart, 15, 20 + (number % 2) * 135, 180, 120)
    pdf.output(str(path))
    return path


def _pdf_chart(pdf: Any, chart: Chart, x: float, y: float, w: float, h: float) -> None:
    pdf.set_font("DejaVu", "B", 11)
    pdf.set_xy(x, y)
    pdf.cell(w, 6, chart.title)
    pdf.set_font("DejaVu", "", 7)
    top, bottom = y + 10, y + h - 8
    peak = max(chart.values, default=0) or 1
    if chart.percent:
        peak = max(peak, 1.0)
    if chart.line:
        step = w / max(len(chart.values) - 1, 1)
        points = [
            (x + i * step, bottom - v / peak * (bottom - top)) for i, v in enumerate(chart.values)
        ]
        pdf.set_draw_color(31, 111, 235)
        pdf.set_line_width(0.6)
        pdf.polyline(points)
        for (px, py), label, value in zip(points, chart.labels, chart.values, strict=True):
            pdf.set_xy(px - 8, bottom + 1)
            pdf.cell(16, 4, label, align="C")
            pdf.set_xy(px - 8, py - 5)
            pdf.cell(16, 4, chart.shown(value), align="C")
        return
    label_w = 55
    bar_h = (bottom - top) / max(len(chart.values), 1)
    pdf.set_fill_color(45, 164, 78)
    for i, (label, value) in enumerate(zip(chart.labels, chart.values, strict=True)):
        by = top + i * bar_h
        bw = value / peak * (w - label_w - 20)
        pdf.set_xy(x, by)
        pdf.cell(label_w - 2, bar_h, label[:40], align="R")
        if bw > 0:
            pdf.rect(x + label_w, by + 1, bw, bar_h - 2, style="F")
        pdf.set_xy(x + label_w + bw + 1, by)
        pdf.cell(20, bar_h, chart.shown(value))


def write_report(session: Session, month: str, out_dir: Path, timezone: str) -> MonthlyReport:
    """``bao-cao-YYYY-MM.html`` and ``.pdf`` in ``out_dir``; the report itself."""
    report = build_report(session, month, timezone)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"bao-cao-{month}.html").write_text(render_html(report), encoding="utf-8")
    render_pdf(report, out_dir / f"bao-cao-{month}.pdf")
    return report
