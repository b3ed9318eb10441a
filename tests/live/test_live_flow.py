"""The demo batch end to end on the production backends: MinIO holds every
object with its SHA-256, Elasticsearch finds what SQLite finds, a reindex does
not interrupt searches, and a restart of both servers loses nothing.

One ingest (``demo_ingest``, six dossiers, nine pages) serves every test; the
tests only read, except the reindex, which keeps the same content.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pikepdf
import pytest
from elasticsearch import Elasticsearch

from sohoa.app import backends
from sohoa.core.text import fold, search_tokens
from sohoa.flows.maintenance import reindex, verify
from sohoa.models import SearchFacets, SearchQuery, SearchResults
from sohoa.pipeline.pdfa import SOHOA_NS
from sohoa.storage.factory import open_search_index
from sohoa.storage.keys import ORIGINALS
from sohoa.storage.manifests import iter_records
from sohoa.storage.minio_store import SHA256_HEADER, parse_storage_url
from sohoa.storage.search_semantics import parse_query
from sohoa.storage.sqlite_index import SqliteSearchIndex
from sohoa.storage.verify import referenced_keys, verify_storage
from tests.helpers import live_services
from tests.helpers.archival import alto_errors
from tests.helpers.demo_ingest import DemoIngest
from tests.helpers.live_services import run_services
from tests.helpers.verapdf import pdfa_failures

pytestmark = pytest.mark.live

ALL = 100  # a limit above the number of demo records: every hit comes back


def query(text: str = "", **filters: object) -> SearchQuery:
    return SearchQuery(text=text, limit=ALL, **filters)


def hit_pages(results: SearchResults) -> dict[str, int]:
    return {hit.record_id: hit.page for hit in results.hits}


def comparable(search: SearchQuery, results: SearchResults) -> tuple[int, object, SearchFacets]:
    """What every backend must agree on: the total, each hit's page and snippet
    and the facets; the order too when listing (ranking by score may differ)."""
    hits = [(hit.record_id, hit.page, hit.snippet) for hit in results.hits]
    listing = parse_query(search.text).empty
    return results.total, hits if listing else sorted(hits), results.facets


def truth_matches(ingest: DemoIngest, text: str) -> dict[str, set[int]]:
    """Record id -> the pages whose drawn text holds every word of ``text``."""
    wanted = set(search_tokens(text))
    found: dict[str, set[int]] = {}
    for name, truth in ingest.truth.items():
        for number, page in enumerate(truth.pages, start=1):
            if wanted <= set(search_tokens(page)):
                found.setdefault(ingest.record_ids[name], set()).add(number)
    return found


def identifying_texts(ingest: DemoIngest) -> Iterator[tuple[str, str]]:
    """(file, value) for each name, CCCD, tax code and number/symbol drawn on a
    dossier: what a clerk types to find it."""
    for name, truth in ingest.truth.items():
        for field in ("names", "citizen_ids", "tax_codes", "number_symbol"):
            values = truth.metadata.get(field) or []
            for value in [values] if isinstance(values, str) else values:
                yield name, value


def query_set(ingest: DemoIngest) -> list[SearchQuery]:
    """Fixed queries over the demo batch: words and phrases without (and with)
    diacritics, names, numbers, number/symbols and every kind of filter."""
    queries = [
        query("uy ban nhan dan"),
        query('"uy ban nhan dan"'),
        query('"cong hoa xa hoi chu nghia viet nam"'),
        query("Ủy ban nhân dân Hồ Chí Minh"),
        query("can cuoc cong dan"),
        query('"thu tuc hanh chinh" 2023'),
        query('"ho ngoc dung"'),
        query("2024"),
        query("01/2018/TT-VPCP"),
        query("dang ky doanh nghiep"),
        query("xyzzy khong co"),
        query(),
        query(document_type="quyet_dinh"),
        query("ho so", document_type="bien_nhan_ho_so"),
        query("ho so", date_from=date(2023, 1, 1), date_to=date(2023, 12, 31)),
        query(date_from=date(2020, 1, 1), date_to=date(2023, 6, 30)),
        query("viet nam", date_to=date(2019, 12, 31)),
    ]
    for _name, value in identifying_texts(ingest):
        queries += [query(fold(value)), query(value)]
        if value.isdigit():
            queries.append(query(id_number=value))
    for truth in ingest.truth.values():
        manifest = truth.manifest or {}
        queries.append(query(dossier_code=manifest["dossier_code"]))
        queries.append(query("viet nam", unit=manifest["unit"]))
    return queries


# -- 1. stored in MinIO, found in Elasticsearch ------------------------------


def test_demo_batch_is_stored_in_minio_and_found_in_elasticsearch(
    demo_ingest: DemoIngest,
) -> None:
    settings = demo_ingest.settings
    store = backends.object_store()
    client = live_services.minio_client(settings)
    bucket, _ = parse_storage_url(settings.storage_url)
    records = {r.record_id: r for r in iter_records(store)}
    assert set(records) == set(demo_ingest.record_ids.values())
    assert Path(demo_ingest.report.destination).parent.name == "processed"
    assert demo_ingest.report.pages == sum(len(t.pages) for t in demo_ingest.truth.values())

    for name, record_id in demo_ingest.record_ids.items():
        record, truth = records[record_id], demo_ingest.truth[name]
        assert record.page_count == len(truth.pages), name
        manifest = truth.manifest or {}
        assert (record.dossier_code, record.unit) == (manifest["dossier_code"], manifest["unit"])
        [original] = record.originals
        assert original.sha256 == demo_ingest.sha256_of(name) == record_id
        assert original.key.startswith(ORIGINALS)
        assert record.searchable_pdf_key and record.ocr_key
        # Page images live only in the searchable PDF; thumbnails are made from it.
        assert all(not page.image_key and not page.thumbnail_key for page in record.pages)
        for key in referenced_keys(record):
            response = client.get_object(bucket, key)
            try:
                data = response.read()
            finally:
                response.close()
                response.release_conn()
            recorded = (client.stat_object(bucket, key).metadata or {}).get(SHA256_HEADER)
            assert recorded == hashlib.sha256(data).hexdigest(), key
            assert store.verify(key), key
        with pikepdf.open(io.BytesIO(store.get_bytes(record.searchable_pdf_key))) as pdf:
            assert len(pdf.pages) == record.page_count
        assert store.get_bytes(original.key) == (demo_ingest.processed_batch / name).read_bytes()

    report = verify()
    assert report.ok, report
    assert report.records_checked == len(records)
    assert report.objects_checked == len({k for r in records.values() for k in referenced_keys(r)})

    index = backends.search_index()
    assert index.count() == len(records)
    searched = 0
    for name, value in identifying_texts(demo_ingest):
        typed = fold(value)
        assert typed.isascii(), typed
        expected = truth_matches(demo_ingest, typed)
        assert demo_ingest.record_ids[name] in expected, (name, value)
        found = hit_pages(index.search(query(typed)))
        assert set(found) == set(expected), (name, typed)
        assert all(found[r] in pages for r, pages in expected.items()), (name, typed, found)
        searched += 1
    assert searched >= 10


def test_every_demo_pdf_is_pdfa_2b_and_every_alto_valid(
    demo_ingest: DemoIngest, tmp_path: Path
) -> None:
    store = backends.object_store()
    pdfs = {}
    for record in iter_records(store):
        pdfs[record.record_id] = tmp_path / f"{record.record_id}.pdf"
        pdfs[record.record_id].write_bytes(store.get_bytes(record.searchable_pdf_key))
        with pikepdf.open(pdfs[record.record_id]) as pdf:
            xmp = pdf.open_metadata()
            assert xmp["{http://purl.org/dc/elements/1.1/}identifier"] == record.record_id
            assert xmp[f"{{{SOHOA_NS}}}dossierCode"] == record.dossier_code
            assert xmp[f"{{{SOHOA_NS}}}documentType"] == record.document_type
        assert record.ocr_key.endswith("alto.xml.gz")
        assert alto_errors(store.get_bytes(record.ocr_key)) == [], record.record_id

    failures = pdfa_failures(pdfs.values())

    assert len(failures) == len(demo_ingest.record_ids) and not any(failures.values()), failures


# -- 2. SQLite and Elasticsearch agree ----------------------------------------


def test_sqlite_built_from_the_minio_manifests_gives_the_same_hits_as_elasticsearch(
    demo_ingest: DemoIngest, tmp_path: Path
) -> None:
    sqlite = SqliteSearchIndex(tmp_path / "index.sqlite3")
    sqlite.setup()
    try:
        assert sqlite.index_records(iter_records(backends.object_store())).indexed == 6
        elastic = backends.search_index()
        queries = query_set(demo_ingest)
        narrowing = 0
        for search in queries:
            expected, got = sqlite.search(search), elastic.search(search)
            assert comparable(search, got) == comparable(search, expected), search
            assert got.total == len(got.hits)
            narrowing += 0 < got.total < 6
    finally:
        sqlite.close()
    assert narrowing >= 20, "the query set must tell records apart to mean something"


# -- 3. reindex under load ----------------------------------------------------


def test_reindex_swaps_the_alias_while_searches_keep_answering(demo_ingest: DemoIngest) -> None:
    settings = demo_ingest.settings
    alias = settings.es_index_alias
    searches = [query(), query("uy ban nhan dan"), query('"ho ngoc dung"'), query("2024")]
    searcher = open_search_index(settings)  # its own client, as a web front end would have
    expected = {s: hit_pages(searcher.search(s)) for s in searches}
    assert all(expected.values())
    stop = threading.Event()
    answered: list[float] = []
    failures: list[str] = []

    def search_until_stopped() -> None:
        while not stop.is_set():
            for search in searches:
                try:
                    found = hit_pages(searcher.search(search))
                except Exception as exc:  # every failure is reported below
                    failures.append(f"{search.text!r}: {exc!r}")
                else:
                    if found != expected[search]:
                        failures.append(f"{search.text!r}: {found} != {expected[search]}")
                answered.append(time.monotonic())

    with Elasticsearch(settings.index_url, request_timeout=30) as es:
        before = set(es.indices.get_alias(name=alias).body)
        thread = threading.Thread(target=search_until_stopped, daemon=True)
        thread.start()
        try:
            _wait_for(lambda: len(answered) >= 10)
            started = time.monotonic()
            counts = [reindex(), reindex()]
            finished = time.monotonic()
            _wait_for(lambda: answered[-1] > finished + 0.5)
        finally:
            stop.set()
            thread.join(timeout=60)
        after = set(es.indices.get_alias(name=alias).body)
        remaining = set(es.indices.get(index=f"{alias}*").body)
    searcher.close()

    assert not failures, failures[:5]
    assert counts == [6, 6]
    assert sum(started <= t <= finished for t in answered) >= 20, "searches ran during reindex"
    assert len(after) == 1 and after.isdisjoint(before), (before, after)
    assert re.fullmatch(rf"{re.escape(alias)}-v\d{{20}}", next(iter(after)))
    assert remaining == after, "the replaced indices are deleted"
    assert hit_pages(backends.search_index().search(query())) == expected[query()]


def _wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


# -- 4. restart of both servers -----------------------------------------------


def test_restart_of_both_servers_loses_nothing(demo_ingest: DemoIngest) -> None:
    settings = demo_ingest.settings
    queries = query_set(demo_ingest)
    records_before = sorted(iter_records(backends.object_store()), key=lambda r: r.record_id)
    answers_before = [comparable(s, backends.search_index().search(s)) for s in queries]
    health = [
        f"http://{settings.s3_endpoint}/minio/health/live",
        f"{settings.index_url}/_cluster/health",
    ]

    try:
        run_services("stop")
        assert not any(_answers(url) for url in health), "the servers did not stop"
    finally:
        run_services("start")  # the rest of the suite needs them, whatever happened

    backends.reset()
    store, index = backends.object_store(), backends.search_index()
    records_after = sorted(iter_records(store), key=lambda r: r.record_id)
    assert records_after == records_before
    report = verify_storage(store, index)
    assert report.ok and report.records_checked == len(records_before), report
    assert [comparable(s, index.search(s)) for s in queries] == answers_before


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
