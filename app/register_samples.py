"""A generated year of one-stop work, written straight into the database with
bulk inserts: the register, digitized records, batch runs, reuse actions and
lookups. For the indicator tests, the report bench and demos; seeded, so the
same arguments give the same rows."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Table, insert, text

from sohoa.app.register import dossier_code_key, refresh_first_digitized
from sohoa.storage.database import create_database_engine, migrate, session_scope
from sohoa.storage.schema.accounts import AuditEvent, ReuseAction, User
from sohoa.storage.schema.register import BatchRun, DigitizedRecord, RegisteredDossier

UNITS = (
    "UBND phường Bến Nghé",
    "UBND phường Đa Kao",
    "UBND phường Tân Định",
    "UBND xã Phú Hữu",
    "Sở Tư pháp",
    "Sở Kế hoạch và Đầu tư",
    "Chi cục Thuế quận 1",
    "Văn phòng đăng ký đất đai",
)
PROCEDURES = (
    "Đăng ký khai sinh",
    "Đăng ký kết hôn",
    "Chứng thực bản sao",
    "Đăng ký thường trú",
    "Cấp phiếu lý lịch tư pháp",
    "Đăng ký doanh nghiệp",
    "Cấp giấy chứng nhận quyền sử dụng đất",
    "Đăng ký thuế",
)
CHANNELS = ("online", "direct", "post")
SOURCES = ("manifest", "qr", "ocr")
# Stored instants are UTC; local noon in Vietnam (UTC+7) is 05:00 UTC.
_LOCAL_NOON_UTC = time(5, 0, tzinfo=UTC)


@dataclass
class GeneratedData:
    dossiers: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    batches: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    reuse: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


def _at(day: date, rng: random.Random) -> datetime:
    """An instant during the local office day (07:00 to 17:00 in Vietnam)."""
    noon = datetime.combine(day, _LOCAL_NOON_UTC)
    return noon + timedelta(minutes=rng.randint(-300, 300))


def generate(
    dossiers: int = 100_000, start: date = date(2024, 1, 1), days: int = 366, seed: int = 12
) -> GeneratedData:
    """Rows for every table; about 70 % of dossiers digitized, a few records
    without a register dossier and a few with a near-miss code."""
    rng = random.Random(seed)
    data = GeneratedData()
    data.users = [
        {"id": n + 1, "username": f"clerk{n + 1}", "password_hash": "-", "role": "clerk",
         "unit": unit, "display_name": "", "all_units": False, "disabled": False,
         "created_at": datetime(2023, 12, 1, tzinfo=UTC),
         "password_changed_at": datetime(2023, 12, 1, tzinfo=UTC)}
        for n, unit in enumerate(UNITS)
    ]  # fmt: skip
    batches: dict[tuple[str, date, str], dict[str, Any]] = {}
    for number in range(dossiers):
        unit_index = rng.randrange(len(UNITS))
        unit = UNITS[unit_index]
        received = start + timedelta(days=rng.randrange(days))
        code = f"000.00.{unit_index + 10}.H29-{received:%y%m%d}-{number:06d}"
        issued = received + timedelta(days=rng.randint(1, 40)) if rng.random() < 0.7 else None
        procedure = PROCEDURES[rng.randrange(len(PROCEDURES))]
        data.dossiers.append(
            {"code_key": dossier_code_key(code), "dossier_code": code, "procedure": procedure,
             "unit": unit, "received_on": received, "channel": rng.choice(CHANNELS),
             "result_issued_on": issued, "imported_at": datetime(2025, 1, 1, tzinfo=UTC)}
        )  # fmt: skip
        chance = rng.random()
        if chance < 0.70:
            copies = 2 if rng.random() < 0.05 else 1
            for _ in range(copies):
                _add_record(data, batches, rng, code, unit, procedure, received)
        elif chance < 0.71:  # a near miss: one character of the code misread
            position = rng.choice([i for i, c in enumerate(code) if c.isdigit()])
            wrong = "8" if code[position] != "8" else "3"
            near = code[:position] + wrong + code[position + 1 :]
            _add_record(data, batches, rng, near, unit, procedure, received, source="ocr")
    for _ in range(dossiers // 100):  # records of dossiers the register does not list
        unit = rng.choice(UNITS)
        day = start + timedelta(days=rng.randrange(days))
        code = f"999.99.99.X01-{day:%y%m%d}-{rng.randrange(10**6):06d}"
        _add_record(data, batches, rng, code, unit, rng.choice(PROCEDURES), day)
    data.batches = list(batches.values())
    for run in data.batches[:: max(1, len(data.batches) // 40)]:
        run["failed_reason"] = "manifest.csv: line 3 names a file that is not in the batch"
    for n, run in enumerate(data.batches[5 :: max(1, len(data.batches) // 25)]):
        data.batches.append({**run, "id": len(batches) + n + 1, "claimed_by": "host-2 pid 4242"})
    _add_reuse_and_lookups(data, rng, start, days)
    return data


def _add_record(
    data: GeneratedData,
    batches: dict[tuple[str, date, str], dict[str, Any]],
    rng: random.Random,
    code: str,
    unit: str,
    procedure: str,
    received: date,
    source: str | None = None,
) -> None:
    day = received + timedelta(days=min(rng.randint(0, 60), rng.randint(0, 120)))
    operator = f"{unit.split()[-1].lower()}-op{rng.randint(1, 3)}"
    run = batches.get((unit, day, operator))
    if run is None:
        started = _at(day, rng)
        run = batches[(unit, day, operator)] = {
            "id": len(batches) + 1, "batch_id": f"{day:%Y-%m-%d}-{operator}", "operator": operator,
            "unit": unit, "started_at": started, "finished_at": started + timedelta(minutes=30),
            "started_on": day, "duration_seconds": 1800.0, "files": 0, "stored_files": 0,
            "duplicate_files": 0, "quarantined_files": rng.choice((0, 0, 0, 1, 2)),
            "skipped_files": 0, "records": 0, "pages": 0, "kept_in_inbox": 0,
            "failed_reason": "", "claimed_by": "", "destination": "/srv/processed",
        }  # fmt: skip
        run["files"] += run["quarantined_files"]
    pages = rng.randint(1, 12)
    confidence = round(rng.uniform(40, 96), 2)
    run["files"] += 1
    run["stored_files"] += 1
    run["records"] += 1
    run["pages"] += pages
    data.records.append(
        {"record_id": f"{len(data.records):064x}", "dossier_code": code,
         "dossier_code_source": source or rng.choice(SOURCES), "match_key": dossier_code_key(code),
         "batch_id": run["batch_id"], "unit": unit, "procedure": procedure,
         "operator": operator, "digitized_at": _at(day, rng), "digitized_on": day, "pages": pages,
         "mean_ocr_confidence": confidence, "needs_review": confidence < 60 or rng.random() < 0.05}
    )  # fmt: skip


def _add_reuse_and_lookups(data: GeneratedData, rng: random.Random, start: date, days: int) -> None:
    records = data.records
    for n in range(len(records) // 4):
        user = rng.choice(data.users)
        day = start + timedelta(days=rng.randrange(days))
        data.reuse.append(
            {"id": n + 1, "record_id": rng.choice(records)["record_id"],
             "new_dossier_code": rng.choice(data.dossiers)["dossier_code"],
             "unit": user["unit"], "user_id": user["id"], "at": _at(day, rng)}
        )  # fmt: skip
    actions = ("view", "view", "search", "login", "download")
    for n in range(len(records)):
        user = rng.choice(data.users)
        day = start + timedelta(days=rng.randrange(days))
        data.events.append(
            {"id": n + 1, "at": _at(day, rng), "user_id": user["id"], "username": user["username"],
             "action": rng.choice(actions), "record_id": rng.choice(records)["record_id"],
             "detail": "", "client_address": "127.0.0.1"}
        )  # fmt: skip


def write(database_url: str, data: GeneratedData, chunk: int = 20_000) -> None:
    """Bulk-insert the generated rows into a migrated, empty database."""
    migrate(database_url)
    tables: Sequence[tuple[Any, list[dict[str, Any]]]] = (
        (User, data.users),
        (RegisteredDossier, data.dossiers),
        (BatchRun, data.batches),
        (DigitizedRecord, data.records),
        (ReuseAction, data.reuse),
        (AuditEvent, data.events),
    )
    engine = create_database_engine(database_url)
    try:
        with engine.begin() as connection:
            for model, rows in tables:
                table: Table = model.__table__
                for offset in range(0, len(rows), chunk):
                    connection.execute(insert(table), rows[offset : offset + chunk])
                if connection.dialect.name == "postgresql" and "id" in table.c and rows:
                    # The rows brought their ids: the next row the app adds comes after them.
                    connection.execute(
                        text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), :last)"),
                        {"last": max(row["id"] for row in rows)},
                    )
    finally:
        engine.dispose()
    with session_scope(database_url) as session:
        refresh_first_digitized(session)
