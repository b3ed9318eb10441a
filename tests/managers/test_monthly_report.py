"""The monthly report: the same figures in JSON, HTML and PDF. The PDF is
rendered to PNG with pdftoppm (kept at tests/output/monthly-report-page1.png
for people to look at) and its text is read back with pdftotext."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from sohoa.app.indicators import IndicatorQuery, compute_indicators
from sohoa.app.monthly_report import month_range
from sohoa.app.register_samples import GeneratedData
from sohoa.cli import main
from sohoa.storage.database import session_scope

PICTURE = Path(__file__).resolve().parents[1] / "output" / "monthly-report-page1.png"


def test_sohoa_report_writes_html_pdf_and_json_with_the_same_rate(
    generated: tuple[str, GeneratedData],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, _ = generated
    monkeypatch.setenv("SOHOA_DATABASE", url)
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "data"))
    assert main(["report", "--month", "2024-10", "--out", str(tmp_path), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    with session_scope(url) as session:
        (october,) = compute_indicators(session, IndicatorQuery(*month_range("2024-10")))
    assert figures["summary"]["digitization_rate"] == pytest.approx(october.digitization_rate)
    assert len(figures["trend"]) == 10 and len(figures["units"]) == 8
    rate = f"{october.digitization_rate * 100:.1f}%".replace(".", ",")

    page = (tmp_path / "bao-cao-2024-10.html").read_text(encoding="utf-8")
    assert "Báo cáo số hóa hồ sơ tháng 10/2024" in page and rate in page
    assert page.count("<svg") == 4

    pdf = tmp_path / "bao-cao-2024-10.pdf"
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Báo cáo số hóa hồ sơ tháng 10/2024" in text
    assert "Tỷ lệ số hóa hồ sơ" in text and rate in text
    assert "Tỷ lệ số hóa theo đơn vị" in text and "UBND phường Bến Nghé" in text
    subprocess.run(
        ["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "2", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    pictures = sorted(tmp_path.glob("page-*.png"))
    assert len(pictures) == 2 and all(p.stat().st_size > 10_000 for p in pictures)
    PICTURE.parent.mkdir(exist_ok=True)
    shutil.copy(pictures[0], PICTURE)
    shutil.copy(pictures[1], PICTURE.with_name("monthly-report-page2.png"))
