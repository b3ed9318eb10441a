"""The REST API and pages on real SQLite, the filesystem store and the SQLite
index: every role rule, every route refusing strangers, search, files,
corrections, reuse, review, audit, CSRF, rate limiting and escaping."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from sohoa.app import backends
from sohoa.web.app import ROUTERS
from tests.helpers.web import LOW_CONFIDENCE, PASSWORD, csrf_of, login
from tests.web.conftest import UNIT_A, Site

Api = Callable[[str], TestClient]
PUBLIC = {"/login", "/health", "/api/auth/token"}


def _concrete(path: str) -> str:
    values = {"record_id": "0" * 64, "kind": "searchable_pdf", "number": "1", "username": "x"}
    return re.sub(r"{(\w+)}", lambda m: values[m.group(1)], path)


def test_every_openapi_route_refuses_a_stranger(site: Site) -> None:
    stranger = TestClient(site.app)
    walked = 0
    for path, methods in site.app.openapi()["paths"].items():
        for method in methods:
            if path in PUBLIC:
                continue
            response = stranger.request(method, _concrete(path), follow_redirects=False)
            assert response.status_code in (401, 403), (method, path, response.status_code)
            walked += 1
    assert walked >= 12


def test_every_page_route_sends_a_stranger_to_login(site: Site) -> None:
    stranger = TestClient(site.app, headers={"Accept": "text/html"})
    pages = [
        (method, route.path)
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute) and not route.include_in_schema
        for method in route.methods
    ]
    assert ("GET", "/docs") in pages and ("GET", "/records/{record_id}") in pages
    for method, path in pages:
        if path in PUBLIC:
            continue
        response = stranger.request(method, _concrete(path), follow_redirects=False)
        if method == "GET":
            assert response.status_code == 303, (method, path)
            assert response.headers["location"].startswith("/login?next=")
        else:
            assert response.status_code in (303, 401, 403), (method, path)
            assert (
                "set-cookie" not in response.headers
                or "sohoa_session" not in response.headers["set-cookie"]
            )
    assert stranger.get("/health").json() == {"status": "ok"}
    assert stranger.get("/static/app.css").status_code == 200
    assert stranger.get("/openapi.json", headers={"Accept": "application/json"}).status_code == 401


def test_operator_sees_batch_status_not_records(site: Site, api: Api) -> None:
    operator = api("operator")
    assert operator.get("/api/status").json()["records"] == 5
    assert operator.get("/api/search", params={"q": "nguyen"}).status_code == 403
    assert operator.get(f"/api/records/{site.anh.record_id}").status_code == 403
    pdf = f"/api/records/{site.anh.record_id}/files/searchable_pdf/1"
    assert operator.get(pdf).status_code == 403
    assert operator.get("/api/review").status_code == 403
    assert operator.get("/api/audit").status_code == 403


def test_clerk_cannot_manage_users_or_read_the_audit(api: Api) -> None:
    clerk = api("clerk_a")
    assert clerk.get("/api/users").status_code == 403
    new_user = {"username": "mallory", "password": PASSWORD, "role": "admin"}
    assert clerk.post("/api/users", json=new_user).status_code == 403
    assert clerk.post("/api/users/clerk_b/disable").status_code == 403
    assert clerk.get("/api/audit").status_code == 403
    assert clerk.get("/api/audit.csv").status_code == 403
    manager = api("manager")
    assert manager.get("/api/users").status_code == 403
    assert manager.get("/api/audit").status_code == 200


def test_a_units_clerk_sees_only_that_unit(site: Site, api: Api) -> None:
    clerk_a, clerk_b, clerk_all = api("clerk_a"), api("clerk_b"), api("clerk_all")
    units = {
        h["unit"] for h in clerk_a.get("/api/search", params={"q": "nguyen van anh"}).json()["hits"]
    }
    assert units == {UNIT_A}
    assert clerk_a.get("/api/search", params={"unit": site.binh.unit}).json()["total"] == 0
    assert clerk_a.get(f"/api/records/{site.binh.record_id}").status_code == 404
    assert (
        clerk_a.get(f"/api/records/{site.binh.record_id}/files/searchable_pdf/1").status_code == 404
    )
    assert (
        clerk_a.post(
            f"/api/records/{site.binh.record_id}/reuse", json={"dossier_code": "X-1"}
        ).status_code
        == 404
    )
    assert clerk_b.get(f"/api/records/{site.binh.record_id}").status_code == 200
    assert clerk_b.get(f"/api/records/{site.anh.record_id}").status_code == 404
    everyone = clerk_all.get("/api/search", params={"q": "nguyen van anh"}).json()
    assert {h["unit"] for h in everyone["hits"]} == {UNIT_A, site.binh.unit}
    assert api("admin").get(f"/api/records/{site.binh.record_id}").status_code == 200


def test_admin_manages_users_and_a_disabled_users_token_stops(site: Site, api: Api) -> None:
    admin = api("admin")
    created = admin.post(
        "/api/users",
        json={"username": "clerk_new", "password": PASSWORD, "role": "clerk", "unit": UNIT_A},
    )
    assert created.status_code == 201
    token = (
        TestClient(site.app)
        .post("/api/auth/token", json={"username": "clerk_new", "password": PASSWORD})
        .json()["token"]
    )
    newcomer = TestClient(site.app, headers={"Authorization": f"Bearer {token}"})
    assert newcomer.get("/api/search").status_code == 200
    assert admin.post("/api/users/clerk_new/disable").json()["disabled"] is True
    assert newcomer.get("/api/search").status_code == 401
    assert "clerk_new" in {u["username"] for u in admin.get("/api/users").json()}


def test_search_without_diacritics_exact_lookups_first_facets_and_sort(
    site: Site, api: Api
) -> None:
    clerk = api("clerk_all")
    found = clerk.get("/api/search", params={"q": "nguyen van anh"}).json()
    assert found["total"] == 3
    empty_dates = {"q": "nguyen van anh", "date_from": "", "date_to": ""}  # as a form sends them
    assert clerk.get("/api/search", params=empty_dates).json()["total"] == 3
    assert found["facets"]["unit"] == {UNIT_A: 2, site.binh.unit: 1}
    by_id = clerk.get("/api/search", params={"q": "001085012345"}).json()
    assert by_id["hits"][0]["record_id"] == site.anh.record_id
    assert by_id["hits"][0]["exact_match"] == "id_number"
    assert [h["exact_match"] for h in by_id["hits"][1:]] == [""]
    by_code = clerk.get("/api/search", params={"q": "HS-2023-777"}).json()
    assert by_code["hits"][0]["record_id"] == site.binh.record_id
    assert by_code["hits"][0]["exact_match"] == "dossier_code"
    by_symbol = clerk.get("/api/search", params={"q": "123/QĐ-UBND"}).json()
    assert by_symbol["hits"][0]["record_id"] == site.anh.record_id
    dated = clerk.get("/api/search", params={"q": "nguyen van anh", "sort": "date"}).json()
    dates = [h["issue_date"] for h in dated["hits"]]
    assert dates == sorted(dates, reverse=True)
    typed = clerk.get("/api/search", params={"q": "nguyen", "type": "quyet_dinh"}).json()
    assert [h["record_id"] for h in typed["hits"]] == [site.anh.record_id]
    paged = [
        clerk.get("/api/search", params={"q": "nguyen van anh", "per_page": 1, "page": n}).json()
        for n in (1, 2, 3)
    ]
    assert len({p["hits"][0]["record_id"] for p in paged}) == 3


def test_search_filters_and_counts_signature_verdicts(site: Site, api: Api) -> None:
    clerk = api("clerk_all")
    found = clerk.get("/api/search", params={"q": "nguyen van anh"}).json()
    assert found["facets"]["signature"] == {"valid": 1, "invalid": 1, "unsigned": 1}
    for verdict, record in (("valid", site.anh), ("invalid", site.binh)):
        filtered = clerk.get("/api/search", params={"q": "nguyen", "signature": verdict}).json()
        assert [h["record_id"] for h in filtered["hits"]] == [record.record_id]
    assert clerk.get("/api/search", params={"signature": ""}).json()["total"] == 5  # a form's "all"
    assert clerk.get("/api/search", params={"signature": "forged"}).status_code == 422
    verdicts = {h["record_id"]: h["signature"] for h in found["hits"]}
    assert verdicts[site.anh.record_id] == "valid" and verdicts[site.binh.record_id] == "invalid"

    browser = TestClient(site.app)
    assert login(browser, "clerk_all") == 303
    page = browser.get("/", params={"q": "nguyen van anh", "signature": "invalid"}).text
    assert site.binh.record_id in page and site.anh.record_id not in page
    facet = page.split('id="signature-facet"', 1)[1].split("</ul>", 1)[0]
    assert "Không hợp lệ" in facet and 'name="signature" value="invalid"' in page
    assert 'class="badge signature-invalid">Chữ ký số: Không hợp lệ' in page
    for record, verdict in ((site.anh, "Hợp lệ"), (site.binh, "Không hợp lệ")):
        shown = browser.get(f"/records/{record.record_id}").text
        listed = shown.split('id="signatures"', 1)[1].split("</ul>", 1)[0]
        assert f"<strong>{verdict}</strong> · Common Name: Sở Nội vụ · 15/03/2024" in listed


def test_record_files_are_streamed_after_the_check(site: Site, api: Api) -> None:
    clerk = api("clerk_a")
    detail = clerk.get(f"/api/records/{site.anh.record_id}").json()
    assert all(not url.startswith("file:") for url in detail["files"].values())
    pdf = clerk.get(detail["files"]["searchable_pdf"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.content == backends.object_store().get_bytes(site.anh.searchable_pdf_key)
    assert "attachment" in pdf.headers["content-disposition"]
    original = clerk.get(detail["files"]["original_1"])
    assert original.content == b"%PDF-original-" + site.anh.record_id.encode()
    thumb = clerk.get(f"/api/records/{site.anh.record_id}/files/thumbnail/2")
    assert thumb.headers["content-type"] == "image/jpeg"
    assert clerk.get(f"/api/records/{site.anh.record_id}/files/page/9").status_code == 404


def test_correction_keeps_the_original_and_reuse_is_recorded(site: Site, api: Api) -> None:
    clerk = api("clerk_a")
    url = f"/api/records/{site.anh.record_id}"
    corrected = clerk.post(
        url + "/corrections", json={"field": "person_name", "value": "Nguyễn Văn Anh"}
    )
    assert corrected.status_code == 200
    field = next(f for f in corrected.json()["metadata"] if f["name"] == "person_name")
    assert (field["value"], field["original"], field["corrected_by"]) == (
        "Nguyễn Văn Anh",
        "Nguyễn Văn Ánh",
        "clerk_a",
    )
    again = clerk.post(
        url + "/corrections", json={"field": "person_name", "value": "Nguyễn Văn Ánh B"}
    )
    field = next(f for f in again.json()["metadata"] if f["name"] == "person_name")
    assert (field["value"], field["original"]) == ("Nguyễn Văn Ánh B", "Nguyễn Văn Ánh")
    assert (
        clerk.post(url + "/corrections", json={"field": "password_hash", "value": "x"}).status_code
        == 422
    )
    reused = clerk.post(url + "/reuse", json={"dossier_code": "HS-2025-042"})
    assert [r["new_dossier_code"] for r in reused.json()["reuses"]] == ["HS-2025-042"]
    assert reused.json()["reuses"][0]["unit"] == UNIT_A
    assert clerk.post(url + "/reuse", json={"dossier_code": "<script>"}).status_code == 422


def test_every_search_view_download_edit_and_reuse_is_audited(site: Site, api: Api) -> None:
    clerk, manager = api("clerk_b"), api("manager")
    rid = site.binh.record_id
    clerk.get("/api/search", params={"q": "tran thi binh"})
    clerk.get(f"/api/records/{rid}")
    clerk.get(f"/api/records/{rid}/files/searchable_pdf/1")
    clerk.post(
        f"/api/records/{rid}/corrections", json={"field": "person_name", "value": "Trần Thị Bình"}
    )
    clerk.post(f"/api/records/{rid}/reuse", json={"dossier_code": "HS-2025-100"})
    events = manager.get("/api/audit", params={"username": "clerk_b"}).json()["events"]
    actions = [e["action"] for e in reversed(events)]
    assert actions[-5:] == ["search", "view", "download", "edit", "reuse"]
    assert all(e["client_address"] == "testclient" for e in events)
    assert {
        e["record_id"] for e in events if e["action"] in ("view", "download", "edit", "reuse")
    } == {rid}
    assert events[-1]["at"] <= events[0]["at"]
    exported = manager.get("/api/audit.csv", params={"username": "clerk_b"})
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [r["action"] for r in rows][-5:] == actions[-5:]
    assert rows[-1]["detail"] == "HS-2025-100"


def test_review_queue_oldest_first_with_counts_and_confirm(site: Site, api: Api) -> None:
    everyone = api("clerk_all")
    queue = everyone.get("/api/review").json()
    assert [r["record_id"] for r in queue["records"]] == [
        site.old_review.record_id,
        site.binh.record_id,
    ]
    assert queue["by_reason"] == {"low_ocr_confidence": 1, "missing_field": 1}
    assert api("clerk_a").get("/api/review").json()["total"] == 1
    assert everyone.post(f"/api/review/{site.old_review.record_id}/confirm").status_code == 200
    assert [r["record_id"] for r in everyone.get("/api/review").json()["records"]] == [
        site.binh.record_id
    ]


def test_ocr_text_with_html_is_inert_in_the_api_and_the_page(site: Site, api: Api) -> None:
    hits = api("clerk_a").get("/api/search", params={"q": "lo thi mai"}).json()["hits"]
    [hit] = [h for h in hits if h["record_id"] == site.hostile.record_id]
    assert "<script" not in hit["snippet_html"] and "<img" not in hit["snippet_html"]
    assert "&lt;script&gt;" in hit["snippet_html"]
    browser = TestClient(site.app)
    assert login(browser, "clerk_a") == 303
    for page in (
        browser.get("/", params={"q": "lo thi mai"}),
        browser.get(f"/records/{site.hostile.record_id}"),
    ):
        assert page.status_code == 200
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
        assert "&lt;script&gt;alert" in page.text
    assert re.search(
        r"<mark>Lò</mark>\s*<mark>Thị</mark>\s*<mark>Mai</mark>",
        browser.get("/", params={"q": "lo thi mai"}).text,
    )


def test_session_cookie_csrf_and_pages(site: Site) -> None:
    browser = TestClient(site.app)
    page = browser.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = browser.post(
        "/login",
        data={"username": "clerk_a", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"]
    assert "sohoa_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Max-Age=" in cookie
    url = f"/records/{site.anh.record_id}/reuse"
    assert (
        browser.post(url, data={"dossier_code": "HS-X"}, follow_redirects=False).status_code == 403
    )
    done = browser.post(
        url,
        data={"dossier_code": "HS-2025-777", "csrf_token": csrf_of(browser)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    record_page = browser.get(f"/records/{site.anh.record_id}")
    assert "HS-2025-777" in record_page.text and "Tái sử dụng cho hồ sơ …" in record_page.text
    assert f'class="low" title="{LOW_CONFIDENCE:.0f}"' in record_page.text
    assert "Reuse for dossier …" in browser.get(f"/records/{site.anh.record_id}?lang=en").text
    assert browser.get("/audit").status_code == 403
    assert browser.get("/docs").status_code == 200


def test_login_is_rate_limited_per_name_and_address(site: Site) -> None:
    browser = TestClient(site.app)
    statuses = [login(browser, "clerk_b", "wrong password") for _ in range(5)]
    assert statuses == [401] * 5
    assert login(browser, "clerk_b") == 429  # even with the right password, for now
    assert login(browser, "clerk_all") == 303  # another name from the same address
    assert (
        TestClient(site.app)
        .post("/api/auth/token", json={"username": "clerk_b", "password": PASSWORD})
        .status_code
        == 429
    )
