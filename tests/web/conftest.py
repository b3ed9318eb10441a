"""One site per test module and database: records of two units (one with HTML
in its OCR text) in the filesystem store and SQLite index, a user of every
role in a fresh SQLite database or a fresh database on the live PostgreSQL
(``site`` is parametrized, the PostgreSQL half marked ``live``), and the app
built on them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sohoa.app import accounts, backends
from sohoa.models import DocumentType, Record
from sohoa.storage.database import forget_engines, session_scope
from sohoa.storage.schema.accounts import Role
from sohoa.web.app import create_app
from tests.helpers.databases import fresh_postgresql_database
from tests.helpers.records import make_record, signature
from tests.helpers.web import PASSWORD, Account, store_record

UNIT_A = "UBND Phường Láng Hạ"
UNIT_B = "UBND Phường Kim Mã"
ACCOUNTS = {
    "clerk_a": Account("clerk_a", Role.CLERK, UNIT_A),
    "clerk_b": Account("clerk_b", Role.CLERK, UNIT_B),
    "clerk_all": Account("clerk_all", Role.CLERK, UNIT_A, all_units=True),
    "operator": Account("operator", Role.OPERATOR, UNIT_A),
    "manager": Account("manager", Role.MANAGER, UNIT_A, all_units=True),
    "admin": Account("admin", Role.ADMIN),
}
HOSTILE_TEXT = (
    'Đơn của Lò Thị Mai <script>alert("xss")</script> <img src=x onerror=alert(1)> &amp; <b>đậm</b>'
)


@dataclass(frozen=True)
class Site:
    app: FastAPI
    anh: Record
    binh: Record
    hostile: Record
    old_review: Record


def _records() -> list[tuple[Record, dict[str, str]]]:
    anh = make_record(
        "web-anh",
        [
            "ỦY BAN NHÂN DÂN PHƯỜNG LÁNG HẠ\nQUYẾT ĐỊNH\nSố: 123/QĐ-UBND",
            "Họ và tên: Nguyễn Văn Ánh\nSố căn cước công dân: 001085012345",
        ],
        document_type=DocumentType.DECISION,
        unit=UNIT_A,
        dossier_code="HS-2024-001",
        issue_date=date(2024, 3, 15),
        citizen_ids=["001085012345"],
        signatures=[signature(ok=True)],
    )
    other_anh = make_record(
        "web-anh-mentioned",
        ["Biên bản có nhắc đến số 001085012345 và ông Nguyễn Văn Ánh nhiều lần. Nguyễn Văn Ánh"],
        unit=UNIT_A,
        issue_date=date(2024, 6, 1),
    )
    binh = make_record(
        "web-binh",
        ["ĐƠN ĐỀ NGHỊ\nTôi tên là Trần Thị Bình, Nguyễn Văn Ánh là người làm chứng"],
        document_type=DocumentType.APPLICATION,
        unit=UNIT_B,
        dossier_code="HS-2023-777",
        issue_date=date(2023, 11, 2),
        signatures=[signature(ok=False)],
    ).model_copy(
        update={
            "needs_review": True,
            "review_reasons": ("missing_field: person_name not found, required for Đơn đề nghị",),
            "digitized_at": datetime(2024, 5, 2, tzinfo=UTC),
        }
    )
    hostile = make_record("web-hostile", [HOSTILE_TEXT], unit=UNIT_A)
    old_review = make_record("web-old-review", ["Báo cáo mờ khó đọc"], unit=UNIT_A).model_copy(
        update={
            "needs_review": True,
            "review_reasons": (
                "low_ocr_confidence: page 1 was read with OCR confidence 41, under 60",
            ),
            "digitized_at": datetime(2024, 1, 2, tzinfo=UTC),
        }
    )
    return [
        (anh, {"number_symbol": "123/QĐ-UBND", "person_name": "Nguyễn Văn Ánh"}),
        (other_anh, {}),
        (binh, {}),
        (hostile, {}),
        (old_review, {}),
    ]


@contextmanager
def built_site(environment: dict[str, str]) -> Iterator[Site]:
    """The records stored and indexed, the users created and the app built on
    the backends ``environment`` names."""
    with pytest.MonkeyPatch.context() as patch:
        for variable in ("SOHOA_CONFIG", "SOHOA_STORAGE", "SOHOA_INDEX", "SOHOA_DATABASE"):
            patch.delenv(variable, raising=False)
        for variable, value in environment.items():
            patch.setenv(variable, value)
        backends.reset()
        forget_engines()
        settings = backends.settings()
        store, index = backends.object_store(), backends.search_index()
        stored = [store_record(store, index, record, **fields) for record, fields in _records()]
        app = create_app(settings)
        with session_scope(settings.database_url) as session:
            for account in ACCOUNTS.values():
                accounts.create_user(
                    session,
                    account.username,
                    PASSWORD,
                    account.role,
                    unit=account.unit,
                    all_units=account.all_units,
                )
        try:
            yield Site(app, stored[0], stored[2], stored[3], stored[4])
        finally:
            backends.reset()
            forget_engines()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.live)]
)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """The filesystem store and the SQLite index, with accounts, audit, edits and
    reuse in a SQLite file (the default) or in a fresh PostgreSQL database."""
    environment = {"SOHOA_DATA_DIR": str(tmp_path_factory.mktemp("web-site"))}
    if request.param == "sqlite":
        with built_site(environment) as built:
            yield built
        return
    server_url = request.getfixturevalue("live_postgresql_url")
    with (
        fresh_postgresql_database(server_url) as url,
        built_site({**environment, "SOHOA_DATABASE": url}) as built,
    ):
        yield built


@pytest.fixture(scope="module")
def tokens(site: Site) -> dict[str, str]:
    """A bearer token per account, issued through the API."""
    client = TestClient(site.app)
    issued = {}
    for name in ACCOUNTS:
        response = client.post("/api/auth/token", json={"username": name, "password": PASSWORD})
        assert response.status_code == 200, response.text
        issued[name] = response.json()["token"]
    return issued


@pytest.fixture(scope="module")
def api(site: Site, tokens: dict[str, str]):  # type: ignore[no-untyped-def]
    """``api(name)``: a client sending ``name``'s bearer token."""

    def client_for(name: str) -> TestClient:
        return TestClient(site.app, headers={"Authorization": f"Bearer {tokens[name]}"})

    return client_for
