"""The API on the production pair: records in the live MinIO and found through
the live Elasticsearch (marker ``live``; a server that is down fails the test)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from sohoa.app import backends
from tests.helpers.demo_ingest import live_environment, remove_live_data
from tests.helpers.web import PASSWORD
from tests.web.conftest import Site, built_site

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def site(
    live_minio_overrides: dict[str, object],
    live_es_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Site]:
    name = f"sohoa-web-{uuid.uuid4().hex[:12]}"
    data_dir = tmp_path_factory.mktemp("web-live")
    environment = live_environment(name, data_dir, live_minio_overrides, live_es_url)
    with built_site(environment) as built:
        settings = backends.settings()
        try:
            yield built
        finally:
            remove_live_data(settings)


def test_search_open_download_correct_and_reuse_on_minio_and_elasticsearch(site: Site) -> None:
    token = TestClient(site.app).post(
        "/api/auth/token", json={"username": "clerk_a", "password": PASSWORD}
    )
    clerk = TestClient(site.app, headers={"Authorization": f"Bearer {token.json()['token']}"})
    found = clerk.get("/api/search", params={"q": "nguyen van anh"}).json()
    assert {h["unit"] for h in found["hits"]} == {site.anh.unit}
    by_id = clerk.get("/api/search", params={"q": "001085012345"}).json()
    assert (by_id["hits"][0]["record_id"], by_id["hits"][0]["exact_match"]) == (
        site.anh.record_id,
        "id_number",
    )
    hostile = clerk.get("/api/search", params={"q": "lo thi mai"}).json()["hits"][0]
    assert "<script" not in hostile["snippet_html"] and "&lt;script&gt;" in hostile["snippet_html"]
    detail = clerk.get(f"/api/records/{site.anh.record_id}").json()
    assert not any(url.startswith(("file:", "http")) for url in detail["files"].values())
    pdf = clerk.get(detail["files"]["searchable_pdf"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert clerk.get(f"/api/records/{site.binh.record_id}").status_code == 404
    url = f"/api/records/{site.anh.record_id}"
    clerk.post(url + "/corrections", json={"field": "person_name", "value": "Nguyễn Văn Anh"})
    reused = clerk.post(url + "/reuse", json={"dossier_code": "HS-2025-900"}).json()
    assert [r["new_dossier_code"] for r in reused["reuses"]] == ["HS-2025-900"]
    field = next(f for f in reused["metadata"] if f["name"] == "person_name")
    assert (field["value"], field["original"]) == ("Nguyễn Văn Anh", "Nguyễn Văn Ánh")
