"""Register import, batch history, digitized records and matching, on a real database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from sohoa.app import accounts, matching
from sohoa.app.batch_history import record_batch_run, record_digitized
from sohoa.app.register import import_register_file
from sohoa.cli import main
from sohoa.core.errors import RegisterFileError, RejectCode
from sohoa.models import BatchReport, FileOutcome, FileStatus, OriginalFile, PageRecord, Record
from sohoa.models.records import DossierCodeSource
from sohoa.storage.database import session_scope
from sohoa.storage.schema.accounts import Role
from sohoa.storage.schema.register import (
    BatchRun,
    BatchRunFile,
    DigitizedRecord,
    MatchConfirmation,
    RegisteredDossier,
)

TZ = "Asia/Ho_Chi_Minh"
HEADER = (
    "Mã hồ sơ;Thủ tục hành chính;Đơn vị tiếp nhận;Ngày tiếp nhận;Kênh tiếp nhận;Ngày trả kết quả"
)
VIETNAMESE_CSV = (
    "\ufeff"
    + HEADER
    + """
000.00.12.H29-240115-0001;Đăng ký khai sinh;UBND phường Bến Nghé;15/01/2024;Trực tuyến;20/01/2024
000.00.12.H29-240115-0002;Đăng ký kết hôn;UBND phường Bến Nghé;2024-01-15;trực tiếp;
;Đăng ký kết hôn;UBND phường Bến Nghé;2024-01-15;trực tiếp;
000.00.12.H29-240116-0003;Chứng thực;UBND phường Bến Nghé;31/02/2024;Bưu chính;
000.00.12.H29-240116-0004;Chứng thực;UBND phường Bến Nghé;16/01/2024;fax;
000.00.12.H29-240116-0005;Chứng thực;UBND phường Bến Nghé;16/01/2024;post;10/01/2024
"""
)


def _dossiers(url: str) -> dict[str, RegisteredDossier]:
    with session_scope(url) as session:
        return {d.dossier_code: d for d in session.scalars(select(RegisteredDossier))}


def test_a_vietnamese_csv_imports_its_good_rows_and_names_the_bad_lines(
    database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "so-tiep-nhan.csv"
    path.write_text(VIETNAMESE_CSV, encoding="utf-8")
    report = import_register_file(database_url, path)
    assert (report.imported, report.bad_rows) == (2, 4)
    assert [e.line for e in report.errors] == [4, 5, 6, 7]
    assert "no dossier code" in report.errors[0].message
    assert "channel 'fax'" in report.errors[2].message
    assert "before received" in report.errors[3].message
    stored = _dossiers(database_url)
    first = stored["000.00.12.H29-240115-0001"]
    assert (first.channel, first.received_on, first.result_issued_on) == (
        "online",
        date(2024, 1, 15),
        date(2024, 1, 20),
    )
    assert stored["000.00.12.H29-240115-0002"].channel == "direct"

    again = import_register_file(database_url, path)  # idempotent
    assert again.imported == 2
    assert len(_dossiers(database_url)) == 2


def test_an_english_xlsx_upserts_by_dossier_code(database_url: str, tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Dossier code", "Procedure", "Unit", "Received date", "Channel", "Result issued"])
    sheet.append(["A-1", "Birth", "Ward 1", datetime(2024, 2, 1, 9, 30), "online", None])
    sheet.append(["A-2", "Birth", "Ward 1", date(2024, 2, 2), "post", date(2024, 2, 9)])
    workbook.save(tmp_path / "register.xlsx")
    assert import_register_file(database_url, tmp_path / "register.xlsx").imported == 2
    sheet["B2"] = "Marriage"  # the next export changes a dossier
    workbook.save(tmp_path / "register.xlsx")
    import_register_file(database_url, tmp_path / "register.xlsx")
    stored = _dossiers(database_url)
    assert stored["A-1"].procedure == "Marriage"
    assert stored["A-1"].received_on == date(2024, 2, 1)
    assert len(stored) == 2


def test_a_register_without_its_columns_is_refused(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("name,age\nx,1\n", encoding="utf-8")
    with pytest.raises(RegisterFileError, match="no column for dossier_code"):
        import_register_file(database_url, path)


def _record(record_id: str, code: str, source: DossierCodeSource | None) -> Record:
    page = PageRecord(number=1, source_file="a.pdf", width=10, height=10, dpi=300,
                      ocr_confidence=80.0)  # fmt: skip
    original = OriginalFile(name="a.pdf", sha256=record_id, size=1, media_type="application/pdf",
                            key="k", page_count=2)  # fmt: skip
    return Record(
        record_id=record_id, batch_id="2024-01-16-sang", dossier_code=code,
        dossier_code_source=source, unit="UBND phường Bến Nghé", procedure="Chứng thực",
        operator="lan", originals=(original,), pages=(page, page.model_copy(update={"number": 2})),
        needs_review=True, digitized_at=datetime(2024, 1, 16, 20, 0, tzinfo=UTC),
    )  # fmt: skip


def test_batch_runs_and_records_are_stored_once_per_record(
    database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "so.csv"
    path.write_text(VIETNAMESE_CSV, encoding="utf-8")
    import_register_file(database_url, path)
    report = BatchReport(
        batch_id="2024-01-16-sang", destination="/processed/2024-01-16-sang", operator="lan",
        unit="UBND phường Bến Nghé", records=("r1",), pages=2,
        files=(
            FileOutcome(file="a.pdf", status=FileStatus.STORED, record_id="r1"),
            FileOutcome(file="b.pdf", status=FileStatus.QUARANTINED,
                        reject_code=RejectCode.ENCRYPTED, quarantine_reason="password"),
        ),
    )  # fmt: skip
    started = datetime(2024, 1, 16, 19, 0, tzinfo=UTC)
    run_id = record_batch_run(
        database_url, report, started, datetime(2024, 1, 16, 19, 30, tzinfo=UTC), TZ
    )
    record = _record("r1", "000.00.12.H29-240115-0001", DossierCodeSource.QR)
    record_digitized(database_url, record, TZ)
    record_digitized(database_url, record, TZ)  # the same record ingested again
    with session_scope(database_url) as session:
        run = session.get_one(BatchRun, run_id)
        assert (run.files, run.quarantined_files, run.duration_seconds) == (2, 1, 1800.0)
        assert run.started_on == date(2024, 1, 17)  # 02:00 in Vietnam
        reasons = session.scalars(select(BatchRunFile.reason).where(BatchRunFile.reject_code != ""))
        assert list(reasons) == ["password"]
        assert session.scalar(select(func.count()).select_from(DigitizedRecord)) == 1
        stored = session.get_one(DigitizedRecord, "r1")
        assert (stored.dossier_code_source, stored.pages, stored.digitized_on) == (
            "qr",
            2,
            date(2024, 1, 17),
        )
        dossier = session.get_one(RegisteredDossier, "0000012H292401150001")
        assert dossier.first_digitized_on == date(2024, 1, 17)


def test_a_near_miss_is_offered_and_a_confirmation_matches_it(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "so.csv"
    path.write_text(VIETNAMESE_CSV, encoding="utf-8")
    import_register_file(database_url, path)
    misread = _record("r2", "000.00.12.H29-240115-0O02", DossierCodeSource.OCR)  # O for 0
    record_digitized(database_url, misread, TZ)
    with session_scope(database_url) as session:
        assert [r.record_id for r in matching.unmatched_records(session)] == ["r2"]
        assert len(matching.unmatched_dossiers(session)) == 2
        (candidate,) = [c for c in matching.match_candidates(session) if c.edits == 1]
        assert candidate.dossier_code == "000.00.12.H29-240115-0002"
        clerk_id = accounts.create_user(session, "clerk_x", "mật khẩu đủ dài 123", Role.CLERK).id
    monkeypatch.setenv("SOHOA_DATABASE", database_url)
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "data"))
    assert main(["register", "confirm", "r2", candidate.dossier_code, "--user", "clerk_x"]) == 0
    with session_scope(database_url) as session:
        decision = session.get_one(MatchConfirmation, ("r2", candidate.code_key))
        assert decision.accepted and decision.user_id == clerk_id
    record_digitized(database_url, misread, TZ)  # a re-ingest keeps the clerk's match
    with session_scope(database_url) as session:
        assert matching.unmatched_records(session) == []
        assert [d.dossier_code for d in matching.unmatched_dossiers(session)] == [
            "000.00.12.H29-240115-0001"
        ]
        assert matching.match_candidates(session) == []
