"""The managers' dashboard and API on a small generated year, on SQLite and the
live PostgreSQL: role rules and unit scope, the same figures as
app/indicators for the same filter (JSON, page, CSV, XLSX), audited
exports, the register upload, and near-miss confirmations that keep who
confirmed."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from sohoa.app.dashboard import EXPORT_COLUMNS, DashboardFilter, table_values
from sohoa.app.indicators import Granularity, IndicatorQuery, compute_indicators
from sohoa.app.monthly_report import format_value
from sohoa.storage.database import session_scope
from sohoa.storage.schema.accounts import AuditAction, AuditEvent
from sohoa.storage.schema.register import DigitizedRecord, MatchConfirmation, RegisteredDossier
from sohoa.web.app import ROUTERS
from tests.managers.conftest import OTHER_UNIT, UNIT, ManagerSite

YEAR = {"date_from": "2024-01-01", "date_to": "2024-12-31"}
MANAGER_ROUTES = (
    ("GET", "/api/indicators"),
    ("GET", "/api/indicators.csv"),
    ("GET", "/api/indicators.xlsx"),
    ("GET", "/dashboard"),
)


def computed(site: ManagerSite, query: IndicatorQuery) -> list[dict[str, Any]]:
    with session_scope(site.database_url) as session:
        return [row.as_dict() for row in compute_indicators(session, query)]


def test_operators_and_clerks_are_refused_the_managers_routes(manager_site: ManagerSite) -> None:
    for name in ("operator", "clerk"):
        client = manager_site.api(name)
        for method, path in MANAGER_ROUTES:
            response = client.request(method, path, params=YEAR)
            assert response.status_code == 403, (name, path, response.status_code)
        upload = client.post("/api/register/import", files={"file": ("so.csv", b"x", "text/csv")})
        assert upload.status_code == 403
    assert manager_site.api("operator").get("/api/register/unmatched").status_code == 403
    stranger = TestClient(manager_site.app)
    assert stranger.get("/api/indicators").status_code == 401


def test_a_unit_manager_sees_their_unit_only(manager_site: ManagerSite) -> None:
    manager = manager_site.api("manager")
    response = manager.get("/api/indicators", params={**YEAR, "group_by": "unit"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["unit"] == UNIT and [row["unit"] for row in body["rows"]] == [UNIT]
    year = (date(2024, 1, 1), date(2024, 12, 31))
    assert body["rows"] == computed(
        manager_site, IndicatorQuery(*year, group_by=("unit",), unit=UNIT)
    )
    other = manager.get("/api/indicators", params={**YEAR, "unit": OTHER_UNIT})
    assert other.status_code == 403
    for path in ("/api/indicators.csv", "/dashboard"):
        assert manager.get(path, params={**YEAR, "unit": OTHER_UNIT}).status_code == 403
    page = manager.get("/dashboard", params=YEAR).text
    assert f'<option value="{OTHER_UNIT}"' not in page and f'<option value="{UNIT}"' in page
    everyone = manager_site.api("manager_all").get(
        "/api/indicators", params={**YEAR, "group_by": "unit"}
    )
    assert len(everyone.json()["rows"]) == 8


@pytest.mark.parametrize(
    "params, query",
    [
        (
            {**YEAR, "group_by": ["period", "unit"]},
            IndicatorQuery(date(2024, 1, 1), date(2024, 12, 31), group_by=("period", "unit")),
        ),
        (
            {
                "date_from": "2024-04-01",
                "date_to": "2024-09-30",
                "granularity": "week",
                "group_by": "period",
                "procedure": "Đăng ký kết hôn",
            },
            IndicatorQuery(
                date(2024, 4, 1),
                date(2024, 9, 30),
                Granularity.WEEK,
                ("period",),
                procedure="Đăng ký kết hôn",
            ),
        ),
    ],
    ids=["month-period-unit", "week-procedure"],
)
def test_an_admin_gets_the_indicators_figures(
    manager_site: ManagerSite, params: dict[str, Any], query: IndicatorQuery
) -> None:
    response = manager_site.api("admin").get("/api/indicators", params=params)
    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    assert rows and rows == computed(manager_site, query)


def test_the_dashboard_page_shows_the_indicators_figures(manager_site: ManagerSite) -> None:
    wanted = DashboardFilter(date(2024, 1, 1), date(2024, 12, 31), Granularity.QUARTER)
    page = manager_site.api("admin").get(
        "/dashboard", params={**YEAR, "granularity": "quarter", "lang": "vi"}
    )
    assert page.status_code == 200
    html = page.text
    assert html.count("<svg") == 4 and "Tỷ lệ số hóa theo đơn vị" in html
    ((total,),) = [computed(manager_site, wanted.query())]
    for name, kind in (("received", "int"), ("digitization_rate", "percent")):
        shown = format_value(total[name], kind)
        assert f'<div data-indicator="{name}"><dt>' in html
        assert (
            html.split(f'<div data-indicator="{name}">', 1)[1]
            .split("</dd>")[0]
            .endswith(f"<dd>{shown}")
        )
    quarters = computed(manager_site, wanted.query("period"))
    table = html.split('id="by-period"', 1)[1].split("</table>", 1)[0]
    assert [p["period"] for p in quarters] == [
        "2024-01-01",
        "2024-04-01",
        "2024-07-01",
        "2024-10-01",
    ]
    for quarter in quarters:
        row = table.split(f"<th>{quarter['period']}</th>", 1)[1].split("</tr>", 1)[0]
        assert f">{format_value(quarter['received'], 'int')}</td>" in row
    english = manager_site.api("admin").get("/dashboard", params={**YEAR, "lang": "en"}).text
    assert "Digitization rate by unit" in english


def test_exports_have_the_same_figures_and_are_audited(manager_site: ManagerSite) -> None:
    admin = manager_site.api("admin")
    wanted = DashboardFilter(date(2024, 1, 1), date(2024, 12, 31), unit=OTHER_UNIT)
    params = {**YEAR, "unit": OTHER_UNIT}
    with session_scope(manager_site.database_url) as session:
        by_period = compute_indicators(session, wanted.query("period"))
        by_unit = compute_indicators(session, wanted.query("unit"))
    response = admin.get("/api/indicators.csv", params={**params, "group_by": "period"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0][:4] == ["Kỳ (ngày đầu)", "Đơn vị", "Thủ tục", "Hồ sơ tiếp nhận"]
    expected = [["" if v is None else str(v) for v in table_values(r)] for r in by_period]
    assert lines[1:] == expected and len(expected) == 12

    workbook = load_workbook(
        io.BytesIO(admin.get("/api/indicators.xlsx", params=params).content), read_only=True
    )
    sheets = {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook}
    assert list(sheets) == ["Tất cả", "Chỉ số theo kỳ", "Chỉ số theo đơn vị"]
    unit_rows = sheets["Chỉ số theo đơn vị"]
    assert len(unit_rows[0]) == len(EXPORT_COLUMNS)
    assert [list(r) for r in unit_rows[1:]] == [
        [pytest.approx(v, rel=1e-12) if isinstance(v, float) else v for v in table_values(r)]
        for r in by_unit
    ]  # a workbook keeps 15 significant digits
    with session_scope(manager_site.database_url) as session:
        exports = session.scalars(
            select(AuditEvent.detail).where(
                AuditEvent.action == "export", AuditEvent.username == "admin"
            )
        ).all()
    assert any(d.startswith("indicators csv by period 2024-01-01..2024-12-31") for d in exports)
    assert any(d.startswith("indicators xlsx") and OTHER_UNIT in d for d in exports)


def test_the_register_upload_imports_and_names_bad_lines(manager_site: ManagerSite) -> None:
    register = (
        "Mã hồ sơ;Thủ tục;Đơn vị;Ngày tiếp nhận;Kênh;Ngày trả kết quả\n"
        f"000.00.99.H29-241201-900001;Đăng ký khai sinh;{UNIT};02/12/2024;Trực tuyến;\n"
        f"000.00.99.H29-241201-900002;Đăng ký khai sinh;{UNIT};31/13/2024;Trực tuyến;\n"
        f"000.00.99.H29-241201-900003;Đăng ký khai sinh;{UNIT};03/12/2024;fax;\n"
    )
    response = manager_site.api("manager").post(
        "/api/register/import",
        files={"file": ("so-tiep-nhan.csv", register.encode("utf-8"), "text/csv")},
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["imported"], report["bad_rows"]) == (1, 2)
    assert [e["line"] for e in report["errors"]] == [3, 4]
    with session_scope(manager_site.database_url) as session:
        stored = session.scalars(
            select(RegisteredDossier.dossier_code).where(
                RegisteredDossier.dossier_code.startswith("000.00.99.")
            )
        ).all()
    assert stored == ["000.00.99.H29-241201-900001"]
    with session_scope(manager_site.database_url) as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.REGISTER_IMPORT)
        ).one()
    assert (event.username, event.detail) == ("manager", "so-tiep-nhan.csv: 1 of 3 rows, 2 bad")
    refused = manager_site.api("admin").post(
        "/api/register/import", files={"file": ("so.pdf", b"%PDF", "application/pdf")}
    )
    assert refused.status_code == 422
    headless = manager_site.api("admin").post(
        "/api/register/import", files={"file": ("so.csv", b"a;b\n1;2\n", "text/csv")}
    )
    assert headless.status_code == 422 and "no column" in headless.json()["detail"]


def test_a_clerk_confirms_a_near_miss_and_is_kept_with_it(manager_site: ManagerSite) -> None:
    clerk = manager_site.api("clerk")
    found = clerk.get("/api/register/unmatched").json()
    assert {r["unit"] for r in found["records_without_dossier"]} == {UNIT}
    assert {d["unit"] for d in found["dossiers_without_record"]} == {UNIT}
    candidate = found["candidates"][0]
    response = clerk.post(
        "/api/register/matches",
        json={"record_id": candidate["record_id"], "dossier_code": candidate["dossier_code"]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["confirmed_by"] == "clerk"
    with session_scope(manager_site.database_url) as session:
        decision = session.get(MatchConfirmation, (candidate["record_id"], candidate["code_key"]))
        assert decision is not None and decision.accepted
        assert decision.user_id == manager_site.user_ids["clerk"]
        dossier = session.get(RegisteredDossier, candidate["code_key"])
        assert dossier is not None and dossier.first_digitized_on is not None
        elsewhere = session.scalars(
            select(DigitizedRecord.record_id).where(DigitizedRecord.unit == OTHER_UNIT).limit(1)
        ).one()
    again = clerk.get("/api/register/unmatched").json()["candidates"]
    assert candidate["record_id"] not in {c["record_id"] for c in again}
    other = clerk.post(
        "/api/register/matches",
        json={"record_id": elsewhere, "dossier_code": candidate["dossier_code"]},
    )
    assert other.status_code == 404


def test_the_web_tests_walks_cover_the_managers_routes(manager_site: ManagerSite) -> None:
    """tests/web/test_api.py sends a stranger to every OpenAPI route and every page
    route of ROUTERS; the managers' routes must be among them."""
    documented = {
        (method.upper(), path)
        for path, methods in manager_site.app.openapi()["paths"].items()
        for method in methods
    }
    assert {
        ("GET", "/api/indicators"),
        ("GET", "/api/indicators.csv"),
        ("GET", "/api/indicators.xlsx"),
        ("POST", "/api/register/import"),
        ("GET", "/api/register/unmatched"),
        ("POST", "/api/register/matches"),
    } <= documented
    pages = {
        (method, route.path)
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute) and not route.include_in_schema
        for method in route.methods
    }
    assert ("GET", "/dashboard") in pages
