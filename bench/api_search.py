"""Search latency through the REST API, as a clerk's client sees it: 10,000
pages of the search bench's synthetic records (``bench.search.RecordFactory``)
written straight to the index, on SQLite FTS5 and on the live Elasticsearch;
the app started as in production, ``sohoa serve`` (uvicorn, one process of its
own) on a loopback port; each query an HTTP GET of ``/api/search`` from httpx
in the bench process with a clerk's bearer token. So every figure includes
HTTP on loopback, the token check, the exact-lookup queries the search box
adds, facets, and the audit event each search writes (SQLite database).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from bench import search as search_bench
from sohoa.app import accounts
from sohoa.core.settings import Settings
from sohoa.models import DocumentType, FieldValue, Record
from sohoa.storage.database import migrate, session_scope
from sohoa.storage.elastic_index import ElasticsearchIndex
from sohoa.storage.protocols import SearchIndex
from sohoa.storage.schema.accounts import Role
from sohoa.storage.sqlite_index import SqliteSearchIndex

REPO = Path(__file__).resolve().parents[1]
PAGES = 10_000
REPETITIONS = 10  # timed rounds of the mix, after search_bench.WARMUP_ROUNDS untimed ones
ES_ALIAS = "sohoa-bench-api"  # not the search section's alias, nor the tests'
SERVER_START_SECONDS = 90.0
CLERK = "bench_clerk"
CLERK_PASSWORD = "bench password, not secret"
TRANSPORT = (
    "httpx (HTTP/1.1, one keep-alive connection) from the bench process to `sohoa serve` "
    "(uvicorn, one worker process) on 127.0.0.1"
)
# Business registrations print their tax code as the enterprise code.
_ENTERPRISE_CODE = re.compile(r"Mã số doanh nghiệp:\s*(\d{10})")


def with_tax_codes(records: list[Record]) -> list[Record]:
    """The factory's records, business registrations given their tax code as
    an extracted field (the factory extracts citizen IDs only)."""
    found = []
    for record in records:
        codes = {m for page in record.pages for m in _ENTERPRISE_CODE.findall(page.text)}
        if codes:
            fields = {
                **record.fields,
                "tax_code": tuple(FieldValue(value=c, page=1, confidence=0.9) for c in codes),
            }
            record = record.model_copy(update={"fields": fields})
        found.append(record)
    return found


def api_query_mix(records: list[Record]) -> dict[str, dict[str, str]]:
    """The fixed mix of ``/api/search`` parameters, built on the search
    section's sample record (the 8th) and the first business registration."""
    sample = records[7]
    company = next(r for r in records if "tax_code" in r.fields)
    person = search_bench.query_mix(sample)["name_no_accents"].text
    year = sample.issue_date.year if sample.issue_date else 2020
    return {
        "name_no_accents": {"q": person},
        "name_no_accents_by_date": {"q": person, "sort": "date"},
        "cccd": {"q": sample.id_numbers()[0]},
        "tax_code": {"q": company.fields["tax_code"][0].value},
        "dossier_code": {"q": sample.dossier_code},
        "common_words": {"q": "quyet dinh"},
        "common_words_page_2": {"q": "quyet dinh", "page": "2"},
        "words_and_type": {
            "q": "giay chung nhan",
            "type": DocumentType.BUSINESS_REGISTRATION.value,
        },
        "words_and_unit": {"q": "ho so", "unit": sample.unit},
        "type_and_year": {
            "type": DocumentType.DECISION.value,
            "date_from": date(year, 1, 1).isoformat(),
            "date_to": date(year, 12, 31).isoformat(),
        },
        "list_by_date": {"sort": "date"},
    }


def expected_first(records: list[Record]) -> dict[str, tuple[str, str]]:
    """Exact lookups that must put this record first, found by this lookup."""
    sample = records[7]
    company = next(r for r in records if "tax_code" in r.fields)
    return {
        "cccd": (sample.record_id, "id_number"),
        "tax_code": (company.record_id, "id_number"),
        "dossier_code": (sample.record_id, "dossier_code"),
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(environment: dict[str, str], log_path: Path) -> Iterator[str]:
    """``sohoa serve`` on a free loopback port with ``environment``; its base URL."""
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")},
        **environment,
        "PYTHONPATH": str(REPO),
    }
    command = [sys.executable, "-m", "sohoa", "serve", "--host", "127.0.0.1", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as server_log:
        server = subprocess.Popen(command, env=env, stdout=server_log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + SERVER_START_SECONDS
            while True:
                try:
                    if httpx.get(base + "/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"sohoa serve did not start; see {log_path}")
                time.sleep(0.3)
            yield base
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def clerk_token(database_url: str) -> str:
    """A clerk of every unit and a bearer token for them, in a fresh database."""
    migrate(database_url)
    with session_scope(database_url) as session:
        user = accounts.create_user(session, CLERK, CLERK_PASSWORD, Role.CLERK, all_units=True)
        return accounts.issue_token(session, user, "bench")


def measure(
    base: str, token: str, mix: dict[str, dict[str, str]], first: dict[str, tuple[str, str]]
) -> dict[str, Any]:
    """Warm-up rounds, then REPETITIONS timed rounds of the mix; checks that
    every query answers 200 and that each exact lookup ranks its record first."""
    samples: dict[str, list[float]] = {name: [] for name in mix}
    totals: dict[str, int] = {}
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        for name, params in mix.items():
            answer = client.get("/api/search", params=params)
            if answer.status_code != 200:
                raise RuntimeError(f"{name}: HTTP {answer.status_code}: {answer.text[:300]}")
            found = answer.json()
            totals[name] = found["total"]
            if name in first:
                top = found["hits"][0] if found["hits"] else {}
                if (top.get("record_id"), top.get("exact_match")) != first[name]:
                    raise RuntimeError(f"{name}: the exact lookup did not rank its record first")
        for _ in range(search_bench.WARMUP_ROUNDS - 1):
            for params in mix.values():
                client.get("/api/search", params=params)
        for _ in range(REPETITIONS):
            for name, params in mix.items():
                started = time.perf_counter()
                client.get("/api/search", params=params).raise_for_status()
                samples[name].append((time.perf_counter() - started) * 1000.0)
    every = sorted(s for values in samples.values() for s in values)
    return {
        "p50_ms": round(statistics.median(every), 2),
        "p95_ms": round(search_bench.percentile(every, 95), 2),
        "requests": len(every),
        "per_query_p50_ms": {k: round(statistics.median(v), 2) for k, v in samples.items()},
        "matches": totals,
    }


def run_backend(
    name: str,
    index: SearchIndex,
    index_url: str,
    records: list[Record],
    work: Path,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Index ``records`` straight into ``index``, serve the app on it, measure."""
    index.setup()
    if index.count():
        raise RuntimeError(f"{name}: the bench index is not empty")
    index_seconds = search_bench.timed_index(index, records)
    search_bench.settle(index)
    index.close()
    data_dir = work / name
    data_dir.mkdir(parents=True, exist_ok=True)
    token = clerk_token(f"sqlite:///{data_dir / 'sohoa.sqlite3'}")
    environment = {
        "SOHOA_DATA_DIR": str(data_dir),
        "SOHOA_INDEX": index_url,
        "SOHOA_ES_INDEX_ALIAS": ES_ALIAS,
    }
    with served(environment, work / f"{name}-server.log") as base:
        figures = measure(base, token, api_query_mix(records), expected_first(records))
    log(f"api search {name}: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms")
    return {"index_seconds": round(index_seconds, 1), **figures}


def run_api_search(
    work: Path, es_settings: Settings | None, log: Callable[[str], None], pages: int = PAGES
) -> dict[str, Any]:
    """Both backends over the same records; Elasticsearch only when reachable."""
    records = with_tax_codes(list(search_bench.RecordFactory().records(0, pages)))
    log(f"api search: {len(records)} records, {pages} pages synthesized")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    results: dict[str, Any] = {
        "pages": sum(r.page_count for r in records),
        "records": len(records),
        "transport": TRANSPORT,
        "repetitions": REPETITIONS,
        "queries": api_query_mix(records),
    }
    sqlite_path = work / "index.sqlite3"
    results["sqlite"] = run_backend(
        "sqlite", SqliteSearchIndex(sqlite_path), f"sqlite:///{sqlite_path}", records, work, log
    )
    if es_settings is not None:
        elastic = ElasticsearchIndex(es_settings.model_copy(update={"es_index_alias": ES_ALIAS}))
        search_bench.drop_bench_indices(elastic)
        try:
            results["elasticsearch"] = run_backend(
                "elasticsearch", elastic, es_settings.index, records, work, log
            )
        finally:
            search_bench.drop_bench_indices(elastic)
            elastic.close()
    return results
