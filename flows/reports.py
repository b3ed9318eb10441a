"""The monthly report for managers, as a Prefect flow (deployed on the first
of each month for the month that just ended)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from prefect import flow, get_run_logger

from sohoa.app import backends
from sohoa.app.monthly_report import write_report
from sohoa.storage.database import session_scope


def previous_month(today: date) -> str:
    return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


@flow(name="monthly-report")
def monthly_report(month: str = "", out_dir: str = "") -> str:
    """Write bao-cao-YYYY-MM.html and .pdf (default: last month, under <data dir>/reports)."""
    settings = backends.settings()
    month = month or previous_month(date.today())
    target = Path(out_dir) if out_dir else settings.data_dir / "reports"
    with session_scope(settings.database_url) as session:
        report = write_report(session, month, target, settings.timezone)
    get_run_logger().info("%s written to %s", report.title, target)
    return str(target / f"bao-cao-{month}.pdf")
