"""The register of received dossiers: the one-stop system's CSV or XLSX export,
imported row by row in chunks (bounded memory for any size), upserted by
dossier code so that importing the same export twice changes nothing.

Columns are found by their header, in Vietnamese or English, with or without
accents: dossier code, procedure, unit, received date, channel (online,
direct, post) and, when known, the result-issued date. A bad row is reported
with its line number and not imported; the others are."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sohoa.core.errors import RegisterFileError
from sohoa.core.text import fold
from sohoa.storage.database import session_scope
from sohoa.storage.schema.register import DigitizedRecord, RegisteredDossier

CHUNK_ROWS = 2000
# Bad rows listed one by one; beyond this only counted.
MAX_LISTED_ERRORS = 1000

CHANNELS = ("online", "direct", "post")
CSV_SUFFIXES = (".csv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
ALLOWED_SUFFIXES = CSV_SUFFIXES + XLSX_SUFFIXES

# Header names as exported by one-stop systems, folded (no accents, lower case).
_HEADERS: dict[str, tuple[str, ...]] = {
    "dossier_code": ("ma ho so", "so ho so", "ma so ho so", "dossier code", "dossier_code", "code"),
    "procedure": (
        "thu tuc",
        "thu tuc hanh chinh",
        "ten thu tuc",
        "ten thu tuc hanh chinh",
        "procedure",
    ),
    "unit": ("don vi", "don vi tiep nhan", "co quan", "co quan tiep nhan", "unit"),
    "received_on": (
        "ngay tiep nhan",
        "ngay nhan",
        "ngay nhan ho so",
        "received",
        "received date",
        "received on",
        "received_on",
    ),
    "channel": ("kenh", "kenh tiep nhan", "hinh thuc", "hinh thuc nop", "channel"),
    "result_issued_on": (
        "ngay tra ket qua",
        "ngay co ket qua",
        "ngay tra kq",
        "result issued",
        "result issued date",
        "result issued on",
        "result_issued_on",
        "issued date",
    ),
}
_REQUIRED = ("dossier_code", "procedure", "unit", "received_on", "channel")
_CHANNEL_WORDS = {
    "online": "online",
    "truc tuyen": "online",
    "dich vu cong truc tuyen": "online",
    "direct": "direct",
    "truc tiep": "direct",
    "post": "post",
    "buu chinh": "post",
    "buu dien": "post",
    "qua buu chinh": "post",
    "buu chinh cong ich": "post",
}
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S")


def dossier_code_key(code: str) -> str:
    """A dossier code as compared: upper case, letters and digits only, so that
    "000.00.12.h01-240115-0001" and "000 00 12 H01 240115 0001" are one code."""
    return re.sub(r"[^0-9A-Z]", "", fold(code).upper())


def _folded_header(name: object) -> str:
    return re.sub(r"[^a-z0-9_]+", " ", fold(str(name or ""))).strip()


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    message: str


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    bad_rows: int = 0
    errors: list[RowError] = field(default_factory=list)

    def reject(self, line: int, message: str) -> None:
        self.bad_rows += 1
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append(RowError(line, message))


def _column_positions(header: Sequence[object]) -> dict[str, int]:
    folded = [_folded_header(name) for name in header]
    positions = {}
    for column, names in _HEADERS.items():
        for index, name in enumerate(folded):
            if name in names:
                positions[column] = index
                break
    missing = [column for column in _REQUIRED if column not in positions]
    if missing:
        raise RegisterFileError(
            f"The register has no column for {', '.join(missing)}; its header is "
            f"{[str(h) for h in header]}. Expected e.g. Mã hồ sơ, Thủ tục, Đơn vị, "
            "Ngày tiếp nhận, Kênh, Ngày trả kết quả (or dossier code, procedure, unit, "
            "received date, channel, result issued)."
        )
    return positions


def _parse_date(value: object) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"date {text!r} is not YYYY-MM-DD or DD/MM/YYYY")


def _dossier_row(cells: Sequence[object], positions: dict[str, int]) -> dict[str, Any]:
    """The table row of one register line; ValueError names what is wrong."""

    def cell(column: str) -> object:
        index = positions.get(column)
        return cells[index] if index is not None and index < len(cells) else None

    def text(column: str) -> str:
        value = cell(column)
        return "" if value is None else str(value).strip()

    code = text("dossier_code")
    key = dossier_code_key(code)
    if not key:
        raise ValueError("no dossier code")
    if len(code) > 80:
        raise ValueError(f"dossier code longer than 80 characters: {code[:40]}…")
    received = _parse_date(cell("received_on"))
    if received is None:
        raise ValueError("no received date")
    issued = _parse_date(cell("result_issued_on"))
    if issued is not None and issued < received:
        raise ValueError(f"result issued {issued} before received {received}")
    channel = _CHANNEL_WORDS.get(_folded_header(text("channel")))
    if channel is None:
        raise ValueError(f"channel {text('channel')!r} is not online, direct or post")
    return {
        "code_key": key,
        "dossier_code": code,
        "procedure": text("procedure")[:200],
        "unit": text("unit")[:100],
        "received_on": received,
        "channel": channel,
        "result_issued_on": issued,
    }


def _csv_lines(path: Path) -> Iterator[tuple[int, Sequence[object]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        first = handle.readline()
        delimiter = ";" if first.count(";") > first.count(",") else ","
        handle.seek(0)
        if first.startswith("\ufeff"):
            handle.read(1)
        reader = csv.reader(handle, delimiter=delimiter)
        for row in reader:
            yield reader.line_num, row


def _xlsx_lines(path: Path) -> Iterator[tuple[int, Sequence[object]]]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        yield from enumerate(sheet.iter_rows(values_only=True), start=1)
    finally:
        workbook.close()


def register_lines(path: Path) -> Iterator[tuple[int, Sequence[object]]]:
    """(line number, cells) of a CSV (comma or semicolon, UTF-8) or XLSX file."""
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        return _xlsx_lines(path)
    if suffix in CSV_SUFFIXES:
        return _csv_lines(path)
    raise RegisterFileError(f"{path.name}: a register is a .csv or .xlsx file")


def upsert(session: Session, table: Table, rows: Sequence[dict[str, Any]], keys: list[str]) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE, on SQLite and PostgreSQL."""
    if not rows:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    updated = {c: statement.excluded[c] for c in rows[0] if c not in keys}
    # Rows as parameters, not .values(rows): one statement compiled once and
    # sent in batches (executemany), rather than compiled anew for every row.
    session.execute(statement.on_conflict_do_update(index_elements=keys, set_=updated), rows)


def refresh_first_digitized(session: Session, code_keys: Iterable[str] | None = None) -> None:
    """Set each register dossier's first digitized day from its matched records
    (all dossiers, or those of ``code_keys``)."""
    dossier = RegisteredDossier
    first = (
        select(func.min(DigitizedRecord.digitized_on))
        .where(DigitizedRecord.match_key == dossier.code_key)
        .scalar_subquery()
    )
    statement = update(dossier).values(first_digitized_on=first)
    if code_keys is None:
        session.execute(statement)
        return
    keys = sorted(set(code_keys) - {""})
    for offset in range(0, len(keys), 500):
        session.execute(statement.where(dossier.code_key.in_(keys[offset : offset + 500])))


def import_register(
    database_url: str, lines: Iterable[tuple[int, Sequence[object]]]
) -> ImportReport:
    """Import register lines (the first is the header) in chunks of CHUNK_ROWS,
    one transaction each, so a crash halfway keeps what was imported."""
    report = ImportReport()
    table = RegisteredDossier.__table__
    iterator = iter(lines)
    header = next(iterator, None)
    if header is None:
        raise RegisterFileError("The register file is empty")
    positions = _column_positions(header[1])
    chunk: dict[str, dict[str, Any]] = {}

    def flush() -> None:
        with session_scope(database_url) as session:
            upsert(session, table, list(chunk.values()), ["code_key"])  # type: ignore[arg-type]
            refresh_first_digitized(session, chunk)
        chunk.clear()

    for line, cells in iterator:
        if not any(c not in (None, "") for c in cells):
            continue  # blank line
        report.rows += 1
        try:
            row = _dossier_row(cells, positions)
        except ValueError as exc:
            report.reject(line, str(exc))
            continue
        chunk[row["code_key"]] = row  # a code repeated in the file: the later line wins
        report.imported += 1
        if len(chunk) >= CHUNK_ROWS:
            flush()
    flush()
    return report


def import_register_file(database_url: str, path: Path) -> ImportReport:
    if not path.is_file():
        raise RegisterFileError(f"Register file {path} does not exist")
    return import_register(database_url, register_lines(path))
