"""What only the Elasticsearch index does: versioned indices behind an alias,
the document layout, per-record bulk errors, auth and error messages, and the
same hits as SQLite on a generated corpus. The shared behaviour is in
``tests/contract``."""

from __future__ import annotations

import base64
import hashlib
import random
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from elasticsearch import Elasticsearch

from sohoa.core.errors import IndexUnavailable, StorageError
from sohoa.core.settings import Settings, load_settings
from sohoa.models import (
    DocumentType,
    FieldValue,
    PageRecord,
    Record,
    SearchQuery,
    SearchResults,
    SignatureVerdict,
)
from sohoa.storage import elastic_index
from sohoa.storage.elastic_index import ElasticsearchIndex
from sohoa.storage.sqlite_index import SqliteSearchIndex
from tests.helpers import records as contract_records


def make_record(name: str, pages: list[str], **fields: object) -> Record:
    return Record(
        record_id=hashlib.sha256(name.encode()).hexdigest(),
        batch_id="es-batch",
        originals=(),
        pages=tuple(
            PageRecord(number=n, source_file="scan.pdf", width=100, height=100, dpi=300, text=t)
            for n, t in enumerate(pages, start=1)
        ),
        digitized_at=datetime(2024, 5, 1, tzinfo=UTC),
        **fields,
    )


@pytest.fixture
def settings(live_es_url: str) -> Iterator[Settings]:
    """Settings with an alias of its own; its indices are deleted afterwards."""
    alias = f"sohoa-test-{uuid.uuid4().hex[:12]}"
    yield load_settings(index=live_es_url, es_index_alias=alias)
    with Elasticsearch(live_es_url, request_timeout=30) as client:
        names = list(client.indices.get(index=f"{alias}*", expand_wildcards="all").body)
        if names:
            client.indices.delete(index=",".join(names))


@pytest.fixture
def es(live_es_url: str) -> Iterator[Elasticsearch]:
    with Elasticsearch(live_es_url, request_timeout=30) as client:
        yield client


@pytest.fixture
def index(settings: Settings) -> Iterator[ElasticsearchIndex]:
    index = ElasticsearchIndex(settings)
    index.setup()
    yield index
    index.close()


def behind_alias(es: Elasticsearch, alias: str) -> dict[str, object]:
    return dict(es.indices.get_alias(name=alias).body)


# -- indices and alias ------------------------------------------------------


@pytest.mark.live
def test_setup_creates_one_versioned_index_behind_the_alias(
    settings: Settings, index: ElasticsearchIndex, es: Elasticsearch
) -> None:
    alias = settings.es_index_alias
    [name] = behind_alias(es, alias)
    assert name.startswith(f"{alias}-v")

    index.setup()
    ElasticsearchIndex(settings).setup()  # another worker starting up

    assert behind_alias(es, alias) == {name: {"aliases": {alias: {"is_write_index": True}}}}


@pytest.mark.live
def test_workers_setting_up_at_once_end_with_one_index(
    settings: Settings, es: Elasticsearch
) -> None:
    failures: list[BaseException] = []

    def set_up() -> None:
        try:
            ElasticsearchIndex(settings).setup()
        except BaseException as exc:  # reported below
            failures.append(exc)

    workers = [threading.Thread(target=set_up) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert failures == []
    alias = settings.es_index_alias
    assert list(es.indices.get(index=f"{alias}-v*").body) == list(behind_alias(es, alias))
    assert len(behind_alias(es, alias)) == 1


@pytest.mark.live
def test_setup_refuses_an_index_in_place_of_the_alias(
    settings: Settings, es: Elasticsearch
) -> None:
    es.indices.create(index=settings.es_index_alias)

    with pytest.raises(StorageError, match="is an index, not an alias"):
        ElasticsearchIndex(settings).setup()


@pytest.mark.live
def test_writes_never_create_an_index_by_themselves(
    settings: Settings, index: ElasticsearchIndex, es: Elasticsearch
) -> None:
    [name] = behind_alias(es, settings.es_index_alias)
    es.indices.delete(index=name)  # someone removes the index behind the alias

    result = index.index_records([make_record("a", ["Quyết định"])])

    assert result.indexed == 0
    assert list(result.errors) == [make_record("a", []).record_id]
    assert not es.indices.exists(index=settings.es_index_alias)


@pytest.mark.live
def test_setup_maps_the_fields_an_older_index_lacks(
    settings: Settings, es: Elasticsearch, caplog: pytest.LogCaptureFixture
) -> None:
    """An index made before signature verdicts has a strict mapping without
    them: setup adds the field, records indexed before have no verdict until
    they are indexed again."""
    alias = settings.es_index_alias
    older = dict(elastic_index.MAPPING)
    older["properties"] = {k: v for k, v in older["properties"].items() if k != "signature"}
    es.indices.create(index=f"{alias}-v1", settings=elastic_index.INDEX_SETTINGS, mappings=older)
    es.indices.put_alias(index=f"{alias}-v1", name=alias, is_write_index=True)
    before = make_record("before", ["Quyết định"])
    es.index(index=alias, id=before.record_id, document=_without_signature(before), refresh=True)

    index = ElasticsearchIndex(settings)
    index.setup()
    signed = contract_records.make_record(
        "signed", ["Quyết định đã ký"], signatures=[contract_records.signature(ok=True)]
    )
    result = index.index_records([signed])
    index.refresh()

    assert result.errors == {}
    assert "sohoa reindex" in caplog.text
    mapping = es.indices.get_mapping(index=alias).body[f"{alias}-v1"]["mappings"]
    assert mapping["properties"]["signature"] == {"type": "keyword"}
    assert index.count() == 2
    valid = index.search(SearchQuery(signature=SignatureVerdict.VALID))
    assert [h.record_id for h in valid.hits] == [signed.record_id]
    assert index.search(SearchQuery()).facets.signature == {"valid": 1}  # "before" unknown
    index.close()


def _without_signature(record: Record) -> dict[str, object]:
    document = elastic_index.record_document(record)
    del document["signature"]
    return document


@pytest.mark.live
def test_rebuild_swaps_the_alias_and_drops_the_old_index(
    settings: Settings, index: ElasticsearchIndex, es: Elasticsearch
) -> None:
    alias = settings.es_index_alias
    [old] = behind_alias(es, alias)
    index.index_records([make_record("old", ["Văn bản cũ"])])

    assert index.rebuild([make_record("new", ["Văn bản mới"])]) == 1

    [new] = behind_alias(es, alias)
    assert new != old and new.startswith(f"{alias}-v")
    assert not es.indices.exists(index=old)
    assert [hit.page for hit in index.search(SearchQuery(text="van ban moi")).hits] == [1]
    assert index.search(SearchQuery(text="cu")).total == 0


# -- documents --------------------------------------------------------------


@pytest.mark.live
def test_one_document_per_record_with_its_worded_pages_nested(
    settings: Settings, index: ElasticsearchIndex, es: Elasticsearch
) -> None:
    record = make_record(
        "nested",
        ["Ủy ban nhân dân", "  \n ", "Ông Trần Văn Đức"],
        unit="Phường Bến Nghé",
        issue_date=date(2024, 2, 29),
        fields={"tax_code": (FieldValue(value="0101234567", page=3, confidence=1.0),)},
    )
    index.index_records([record])
    index.refresh()

    assert es.count(index=settings.es_index_alias)["count"] == 1
    source = es.get(index=settings.es_index_alias, id=record.record_id)["_source"]
    assert source["pages"] == [  # the blank page is not indexed; tokens are not kept
        {"number": 1, "text": "Ủy ban nhân dân"},
        {"number": 3, "text": "Ông Trần Văn Đức"},
    ]
    assert (source["issue_date"], source["issue_year"]) == ("2024-02-29", "2024")
    assert source["id_numbers"] == ["0101234567"]
    [hit] = index.search(SearchQuery(text="tran van duc")).hits
    assert (hit.page, hit.page_count, hit.unit) == (3, 3, "Phường Bến Nghé")


@pytest.mark.live
def test_a_rejected_record_is_reported_and_the_others_indexed(
    index: ElasticsearchIndex,
) -> None:
    good = make_record("good", ["Biên nhận hồ sơ"])
    # Lucene refuses keyword terms over 32766 bytes.
    huge = make_record("huge", ["Biên nhận hồ sơ"], unit="Ủy ban " * 6000)

    result = index.index_records([good, huge])
    index.refresh()

    assert result.indexed == 1
    assert list(result.errors) == [huge.record_id]
    assert "immense term" in result.errors[huge.record_id]
    assert list(index.record_ids()) == [good.record_id]


@pytest.mark.live
def test_record_ids_page_through_in_lexical_order(
    index: ElasticsearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(elastic_index, "ID_PAGE", 2)
    records = [make_record(f"r{n}", [f"trang {n}"]) for n in range(5)]
    index.index_records(records)
    index.refresh()

    assert list(index.record_ids()) == sorted(r.record_id for r in records)
    assert index.count() == 5


# -- same answers as SQLite -------------------------------------------------

VOCABULARY = (
    "Nguyễn Văn Ánh Trần Thị Bình Lê Cường Đường Láng phường quận ủy ban nhân dân "
    "quyết định giấy phép xây dựng đơn đề nghị căn cước công dân hồ sơ số ngày tháng"
)
WORDS = VOCABULARY.split()
UNITS = ["", "UBND Quận Hoàn Kiếm", "Phường Láng Hạ", "Phòng Đăng ký kinh doanh"]


def random_corpus(rng: random.Random, size: int) -> list[Record]:
    records = []
    for n in range(size):
        pages = [
            " ".join(rng.choices(WORDS, k=rng.randint(0, 14))) + f" {rng.randint(1, 99)}"
            if rng.random() > 0.1
            else ""
            for _ in range(rng.randint(1, 4))
        ]
        issued = date(2020, 1, 1) + timedelta(days=rng.randint(0, 1500))
        records.append(
            make_record(
                f"corpus-{n}",
                pages,
                unit=rng.choice(UNITS),
                document_type=rng.choice(list(DocumentType)[:4]),
                issue_date=issued if rng.random() > 0.2 else None,
                fields={"citizen_id": (FieldValue(value=f"0010{n % 7}", page=1, confidence=1),)},
            )
        )
    return records


def random_query(rng: random.Random) -> SearchQuery:
    words = rng.sample(WORDS, rng.randint(0, 3))
    if words and rng.random() < 0.3:
        text = f'"{" ".join(words)}"'
    else:
        text = " ".join(w.upper() if rng.random() < 0.3 else w for w in words)
    filters: dict[str, object] = {}
    if rng.random() < 0.3:
        filters["unit"] = rng.choice(UNITS[1:])
    if rng.random() < 0.2:
        filters["id_number"] = f"0010{rng.randint(0, 6)}"
    if rng.random() < 0.3:
        filters["date_from"] = date(2021, rng.randint(1, 12), 1)
    if rng.random() < 0.2:
        filters["document_type"] = rng.choice(list(DocumentType)[:4]).value
    return SearchQuery(text=text, limit=1000, **filters)


def comparable(results: SearchResults, listing: bool) -> object:
    """What both backends must agree on: totals, facets, and each hit's page
    and snippet; for a listing also the order (ranking by score may differ)."""
    hits = [(h.record_id, h.page, h.snippet) for h in results.hits]
    return results.total, hits if listing else sorted(hits), results.facets


@pytest.mark.live
def test_same_hits_as_sqlite_on_a_generated_corpus(
    index: ElasticsearchIndex, tmp_path: Path
) -> None:
    rng = random.Random(20240501)
    corpus = random_corpus(rng, 60)
    sqlite = SqliteSearchIndex(tmp_path / "index.sqlite3")
    sqlite.setup()
    assert sqlite.index_records(corpus).indexed == index.index_records(corpus).indexed == 60
    index.refresh()

    queries = [random_query(rng) for _ in range(80)]
    matched = 0
    for query in queries:
        expected = sqlite.search(query)
        got = index.search(query)
        listing = not query.text
        assert comparable(got, listing) == comparable(expected, listing), query
        matched += bool(query.text and expected.total)
    assert matched > 15  # the corpus is dense enough for the comparison to mean something
    sqlite.close()


# -- connection, auth and errors --------------------------------------------


class _Refusing(BaseHTTPRequestHandler):
    """An HTTP server that answers every request with 401, keeping the
    Authorization headers it saw."""

    seen: ClassVar[list[str]] = []

    def do_HEAD(self) -> None:
        self._refuse()

    def do_GET(self) -> None:
        self._refuse()

    def _refuse(self) -> None:
        self.seen.append(self.headers.get("Authorization", ""))
        body = b'{"error":{"type":"security_exception","reason":"bad credentials"},"status":401}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def refusing_server() -> Iterator[str]:
    _Refusing.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_basic_auth_is_sent_and_a_refusal_names_the_settings(refusing_server: str) -> None:
    settings = Settings(index=refusing_server, es_username="sohoa", es_password="s3cret-pw")

    with pytest.raises(IndexUnavailable, match="SOHOA_ES_USERNAME") as info:
        ElasticsearchIndex(settings).count()

    assert not info.value.retryable
    assert "s3cret-pw" not in str(info.value)
    assert _Refusing.seen[0] == "Basic " + base64.b64encode(b"sohoa:s3cret-pw").decode()


def test_an_api_key_wins_over_basic_auth(refusing_server: str) -> None:
    settings = Settings(
        index=refusing_server, es_username="sohoa", es_password="pw", es_api_key="a2V5OnNlY3JldA=="
    )

    with pytest.raises(IndexUnavailable, match="SOHOA_ES_API_KEY"):
        ElasticsearchIndex(settings).setup()

    assert _Refusing.seen[0] == "ApiKey a2V5OnNlY3JldA=="


def test_unreachable_cluster_is_index_unavailable() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    index = ElasticsearchIndex(Settings(index=f"http://127.0.0.1:{port}"))

    with pytest.raises(IndexUnavailable, match=f"Cannot reach Elasticsearch at .*:{port}") as info:
        index.search(SearchQuery(text="nguyen"))
    assert info.value.retryable
