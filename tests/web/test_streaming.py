"""Downloads through a real uvicorn server stream the stored file in chunks:
a file much larger than the allowed memory growth arrives whole while the
server's Python allocations stay flat (measured with tracemalloc, which sees
every thread of this process, the server's included)."""

from __future__ import annotations

import hashlib
import tracemalloc
from pathlib import Path

import httpx

from sohoa.app import backends
from tests.helpers.web import PASSWORD, serving
from tests.web.conftest import Site

FILE_MIB = 48
ALLOWED_GROWTH_MIB = 12


def _write_large_pdf(path: Path) -> str:
    """A file of FILE_MIB MiB starting like a PDF; its SHA-256."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for n in range(FILE_MIB):
            chunk = bytes([n % 251]) * (1 << 20)
            if n == 0:
                chunk = b"%PDF-1.7\n" + chunk[9:]
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def test_a_large_download_streams_with_flat_memory(site: Site, tmp_path: Path) -> None:
    source = tmp_path / "large.pdf"
    expected = _write_large_pdf(source)
    backends.object_store().put_file(site.anh.searchable_pdf_key, source, "application/pdf")
    url = f"/api/records/{site.anh.record_id}/files/searchable_pdf/1"
    tracemalloc.start()
    try:
        with serving(site.app) as base, httpx.Client(base_url=base, timeout=60) as client:
            login = {"username": "clerk_a", "password": PASSWORD}
            token = client.post("/api/auth/token", json=login).json()["token"]
            tracemalloc.reset_peak()
            baseline = tracemalloc.get_traced_memory()[0]
            received = hashlib.sha256()
            size = 0
            headers = {"Authorization": f"Bearer {token}"}
            with client.stream("GET", url, headers=headers) as response:
                assert response.status_code == 200
                assert "attachment" in response.headers["content-disposition"]
                for chunk in response.iter_raw():
                    received.update(chunk)
                    size += len(chunk)
            growth_mib = (tracemalloc.get_traced_memory()[1] - baseline) / 2**20
    finally:
        tracemalloc.stop()
    assert size == FILE_MIB << 20 and received.hexdigest() == expected
    assert growth_mib < ALLOWED_GROWTH_MIB, f"{growth_mib:.1f} MiB held for a {FILE_MIB} MiB file"
