"""Records in Elasticsearch.

``SOHOA_INDEX=http(s)://host:9200``. One class owns the mapping. Writes go
through an alias (``SOHOA_ES_INDEX_ALIAS``) over versioned indices
(``<alias>-v<UTC timestamp>``), so ``rebuild`` loads a fresh index and swaps
the alias in one atomic call while searches keep answering. ``setup`` adds
the fields of a newer ``MAPPING`` to an existing index.

One top-level document per record, with its pages as ``nested`` documents:
queries match words on a single page and return that page, while hit totals
and facets count records exactly (the core server has no parent-join module,
and cardinality aggregations are approximate). Diacritics are folded in Python
(``sohoa.core.text``), so the folded tokens are indexed with the core
``whitespace`` analyzer and no analysis plugin is needed.

Threading: the ``Elasticsearch`` client is thread-safe and shared; it is
created lazily under a lock, never at import time. Credentials are never logged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout, TlsError, TransportError
from elasticsearch import (
    ApiError,
    AuthenticationException,
    AuthorizationException,
    Elasticsearch,
    NotFoundError,
    helpers,
)

from sohoa.core.errors import IndexAccessRefused, IndexUnavailable, StorageError
from sohoa.core.settings import Settings, redact_url
from sohoa.core.text import snippet
from sohoa.models import Record, SearchFacets, SearchHit, SearchQuery, SearchResults
from sohoa.storage import search_semantics as semantics
from sohoa.storage.protocols import BulkResult

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = 30.0
MAX_RETRIES = 3
BULK_CHUNK_DOCS = 100
BULK_CHUNK_BYTES = 20 * 1024 * 1024
FACET_SIZE = 500
REASON_CHARS = 300

ID_PAGE = 1000  # record ids fetched per request by record_ids()
HIT_FIELDS = [
    "document_type",
    "dossier_code",
    "unit",
    "issue_date",
    "page_count",
    "preview_page",
    "signature",
]

MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    # The folded tokens are derived from the page text; keep them out of _source.
    "_source": {"excludes": ["pages.tokens"]},
    "properties": {
        "record_id": {"type": "keyword"},
        "document_type": {"type": "keyword"},
        "dossier_code": {"type": "keyword"},
        "unit": {"type": "keyword"},
        "id_numbers": {"type": "keyword"},
        "signature": {"type": "keyword"},  # Record.signature_verdict
        "issue_date": {"type": "date", "format": "strict_date"},
        "issue_year": {"type": "keyword"},
        "page_count": {"type": "integer", "index": False},
        "preview_page": {"type": "integer", "index": False},
        # Only the pages that hold words (storage.search_semantics.page_documents).
        "pages": {
            "type": "nested",
            "properties": {
                "number": {"type": "integer"},
                # Only for the snippet: kept in _source, not searchable.
                "text": {"type": "text", "index": False},
                "tokens": {"type": "text", "analyzer": "whitespace"},
            },
        },
    },
}

INDEX_SETTINGS: dict[str, Any] = {
    "number_of_shards": 1,
    "auto_expand_replicas": "0-1",
    "mapping.nested_objects.limit": 100_000,  # pages per record
}

# filter name -> (field, None for an exact term or the range bound)
_FILTERS: dict[str, tuple[str, str | None]] = {
    "document_type": ("document_type", None),
    "unit": ("unit", None),
    "dossier_code": ("dossier_code", None),
    "id_number": ("id_numbers", None),
    "date_from": ("issue_date", "gte"),
    "date_to": ("issue_date", "lte"),
    "signature": ("signature", None),
}


def _filter_clause(name: str, value: str) -> dict[str, Any]:
    field, bound = _FILTERS[name]
    return {"term": {field: value}} if bound is None else {"range": {field: {bound: value}}}


def record_document(record: Record) -> dict[str, Any]:
    """The one serialized form of a record in Elasticsearch."""
    document = asdict(semantics.index_fields(record))
    document["issue_date"] = record.issue_date.isoformat() if record.issue_date else None
    document["id_numbers"] = list(document["id_numbers"])
    document["pages"] = [
        {"number": page.page, "text": page.text, "tokens": page.tokens}
        for page in semantics.page_documents(record)
    ]
    return document


class ElasticsearchIndex:
    """A ``SearchIndex`` on an Elasticsearch 9 cluster."""

    def __init__(self, settings: Settings) -> None:
        self.url = settings.index_url.rstrip("/")
        self.shown_url = redact_url(self.url)  # for messages: no credentials
        self.alias = settings.es_index_alias
        self._settings = settings
        self._client: Elasticsearch | None = None
        self._ready_done = False
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"ElasticsearchIndex({self.shown_url}, alias={self.alias!r})"

    # -- client and errors -------------------------------------------------

    def _connect(self) -> Elasticsearch:
        with self._lock:
            if self._client is None:
                settings = self._settings
                auth: dict[str, Any] = {}
                if settings.es_api_key.get_secret_value():
                    auth["api_key"] = settings.es_api_key.get_secret_value()
                elif settings.es_username:
                    auth["basic_auth"] = (
                        settings.es_username,
                        settings.es_password.get_secret_value(),
                    )
                if settings.es_ca_certs is not None:
                    auth["ca_certs"] = str(settings.es_ca_certs)
                self._client = Elasticsearch(
                    self.url,
                    request_timeout=REQUEST_TIMEOUT,
                    retry_on_timeout=True,
                    max_retries=MAX_RETRIES,
                    **auth,
                )
            return self._client

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Turn client failures into sohoa errors a person can act on."""
        where = f"Elasticsearch at {self.shown_url}"
        try:
            yield
        except AuthenticationException as exc:
            raise IndexAccessRefused(
                f"{where} refused the credentials while trying to {action}: check "
                "SOHOA_ES_USERNAME and SOHOA_ES_PASSWORD, or SOHOA_ES_API_KEY"
            ) from exc
        except AuthorizationException as exc:
            raise IndexAccessRefused(
                f"{where} does not allow this user to {action}: grant it all privileges "
                f"on indices {self.alias} and {self.alias}-v*"
            ) from exc
        except TlsError as exc:  # as for MinIO: trying again cannot make a certificate trusted
            raise IndexAccessRefused(
                f"TLS to {where} failed, most often a certificate sohoa does not trust: set "
                f"SOHOA_ES_CA_CERTS to the PEM file of the CA that signed it ({exc.message})"
            ) from exc
        except ConnectionTimeout as exc:
            raise IndexUnavailable(f"{where} timed out trying to {action}; try again") from exc
        except TransportConnectionError as exc:
            raise IndexUnavailable(
                f"Cannot reach {where} to {action}: is it running? Check SOHOA_INDEX"
            ) from exc
        except ApiError as exc:
            raise StorageError(
                f"{where} failed to {action}: HTTP {exc.meta.status} {exc.message}: {_reason(exc)}"
            ) from exc
        except TransportError as exc:
            raise IndexUnavailable(f"{where} failed to {action}: {exc}") from exc

    def _ready(self) -> Elasticsearch:
        """The client, after ``setup`` has run once in this process."""
        client = self._connect()
        if not self._ready_done:
            self.setup()
        return client

    # -- setup and versioned indices --------------------------------------

    def setup(self) -> None:
        """Create the first versioned index and point the alias at it, unless
        the alias already exists. Safe to run on every start."""
        client = self._connect()
        with self._lock, self._errors(f"set up alias {self.alias}"):
            if client.indices.exists_alias(name=self.alias):
                self._add_missing_fields()
                self._ready_done = True
                return
            if client.indices.exists(index=self.alias):
                raise StorageError(
                    f"{self.alias} on {self.shown_url} is an index, not an alias (was it created "
                    "by a write before setup?): delete it, run setup, then rebuild the index"
                )
            index = self._create_index()
            try:
                client.indices.update_aliases(
                    actions=[{"add": {"index": index, "alias": self.alias, "is_write_index": True}}]
                )
                log.info("Created index %s behind alias %s", index, self.alias)
            except ApiError:
                # Another process won the race (an alias takes one write index):
                # keep its index, drop ours.
                client.indices.delete(index=index, ignore_unavailable=True)
                if not client.indices.exists_alias(name=self.alias):
                    raise
            self._ready_done = True

    def _add_missing_fields(self) -> None:
        """Map the fields an index made by an older sohoa lacks (its ``strict``
        mapping would refuse documents that have them). Its records have no
        value there until ``sohoa reindex``."""
        client = self._connect()
        for index, current in client.indices.get_mapping(index=self.alias).body.items():
            known = current["mappings"].get("properties", {})
            missing = {k: v for k, v in MAPPING["properties"].items() if k not in known}
            if missing:
                client.indices.put_mapping(index=index, properties=missing)
                log.warning(
                    "Added %s to %s: run `sohoa reindex` to fill them for the records "
                    "indexed before",
                    ", ".join(missing),
                    index,
                )

    def _create_index(self) -> str:
        client = self._connect()
        index = f"{self.alias}-v{datetime.now(UTC):%Y%m%d%H%M%S%f}"
        client.indices.create(index=index, settings=INDEX_SETTINGS, mappings=MAPPING)
        return index

    def _indices_behind_alias(self) -> list[str]:
        client = self._connect()
        try:
            return sorted(client.indices.get_alias(name=self.alias).body)
        except NotFoundError:
            return []

    # -- writes ------------------------------------------------------------

    def index_records(self, records: Iterable[Record]) -> BulkResult:
        self._ready()
        return self._bulk(records, self.alias)

    def _bulk(self, records: Iterable[Record], index: str) -> BulkResult:
        client = self._connect()
        errors: dict[str, str] = {}
        indexed = 0

        def actions() -> Iterator[dict[str, Any]]:
            for record in records:
                try:
                    source = record_document(record)
                except (ValueError, TypeError) as exc:
                    errors[record.record_id] = f"cannot build index document: {exc}"
                    continue
                yield {"_index": index, "_id": record.record_id, "_source": source}

        with self._errors(f"index records into {index}"):
            for ok, item in helpers.streaming_bulk(
                client,
                actions(),
                chunk_size=BULK_CHUNK_DOCS,
                max_chunk_bytes=BULK_CHUNK_BYTES,
                raise_on_error=False,
                max_retries=MAX_RETRIES,
                initial_backoff=1,
                require_alias=index == self.alias,
            ):
                outcome = item.get("index", {})
                if ok:
                    indexed += 1
                else:
                    errors[str(outcome.get("_id"))] = _item_reason(outcome)
        for record_id, reason in errors.items():
            log.warning("Record %s was not indexed: %s", record_id, reason)
        return BulkResult(indexed=indexed, errors=errors)

    def delete_record(self, record_id: str) -> None:
        client = self._ready()
        with self._errors(f"delete record {record_id}"), suppress(NotFoundError):
            client.delete(index=self.alias, id=record_id)

    def rebuild(self, records: Iterable[Record]) -> int:
        """Load ``records`` into a new versioned index, then swap the alias to
        it in one atomic call and drop the old index."""
        client = self._ready()
        with self._errors(f"rebuild {self.alias}"):
            index = self._create_index()
            try:
                result = self._bulk(records, index)
                client.indices.refresh(index=index)
                old = self._indices_behind_alias()
                client.indices.update_aliases(
                    actions=[
                        *({"remove": {"index": name, "alias": self.alias}} for name in old),
                        {"add": {"index": index, "alias": self.alias, "is_write_index": True}},
                    ]
                )
            except BaseException:
                client.indices.delete(index=index, ignore_unavailable=True)
                raise
        for name in old:  # the swap is done: a leftover index only wastes space
            try:
                client.indices.delete(index=name, ignore_unavailable=True)
            except (ApiError, TransportError) as exc:
                log.warning("Could not delete the replaced index %s: %s", name, exc)
        log.info("Rebuilt %s as %s with %d records", self.alias, index, result.indexed)
        return result.indexed

    def refresh(self) -> None:
        client = self._ready()
        with self._errors(f"refresh {self.alias}"):
            client.indices.refresh(index=self.alias)

    # -- reads -------------------------------------------------------------

    def count(self) -> int:
        client = self._ready()
        with self._errors(f"count records in {self.alias}"):
            return int(client.count(index=self.alias)["count"])

    def record_ids(self) -> Iterator[str]:
        """All record ids in lexical order, read a page at a time."""
        client = self._ready()
        after: list[str] | None = None
        while True:
            with self._errors(f"list records in {self.alias}"):
                hits = client.search(
                    index=self.alias,
                    query={"match_all": {}},
                    sort=[{"record_id": "asc"}],
                    size=ID_PAGE,
                    source=False,
                    track_total_hits=False,
                    search_after=after,
                )["hits"]["hits"]
            yield from (hit["_id"] for hit in hits)
            if len(hits) < ID_PAGE:
                return
            after = hits[-1]["sort"]

    def search(self, query: SearchQuery) -> SearchResults:
        client = self._ready()
        terms = semantics.parse_query(query.text)
        filters = [
            _filter_clause(name, value) for name, value in semantics.active_filters(query).items()
        ]
        if terms.empty:
            # A bool of only "should" clauses needs one to match: hence match_all.
            listing = {"must": [{"match_all": {}}], "should": [_first_page()]}
            matching = {"bool": {"filter": filters, **listing}}
            order: list[Any] = [{"issue_date": {"order": "desc", "missing": "_last"}}]
        else:
            matching = {"bool": {"filter": filters, "must": [_best_page(terms)]}}
            order = [{"_score": "desc"}]
            if query.sort == "date":
                order = [{"issue_date": {"order": "desc", "missing": "_last"}}]
        with self._errors("search"):
            response = client.search(
                index=self.alias,
                query=matching,
                sort=[*order, {"record_id": "asc"}],
                from_=query.offset,
                size=query.limit,
                track_total_hits=True,
                track_scores=not terms.empty,
                source={"includes": HIT_FIELDS},
                aggs={
                    "document_type": {"terms": {"field": "document_type", "size": FACET_SIZE}},
                    "unit": {"terms": {"field": "unit", "size": FACET_SIZE}},
                    "year": {"terms": {"field": "issue_year", "size": FACET_SIZE}},
                    "signature": {"terms": {"field": "signature", "size": FACET_SIZE}},
                },
            ).body
        aggs = response["aggregations"]
        return SearchResults(
            total=int(response["hits"]["total"]["value"]),
            hits=tuple(_hit(raw, query.text, terms.empty) for raw in response["hits"]["hits"]),
            facets=SearchFacets(
                document_type=_buckets(aggs["document_type"]),
                unit=_buckets(aggs["unit"]),
                year=_buckets(aggs["year"]),
                signature=_buckets(aggs["signature"]),
            ),
        )

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


def _best_page(terms: semantics.QueryTerms) -> dict[str, Any]:
    """Every word and phrase on one page; that page (the lowest number among
    equal scores) comes back as the inner hit."""
    clauses: list[dict[str, Any]] = []
    if terms.words:
        clauses.append(
            {"match": {"pages.tokens": {"query": " ".join(terms.words), "operator": "and"}}}
        )
    clauses += [{"match_phrase": {"pages.tokens": " ".join(p)}} for p in terms.phrases]
    return _pages_query({"bool": {"must": clauses}}, [{"_score": "desc"}, {"pages.number": "asc"}])


def _first_page() -> dict[str, Any]:
    """An optional clause that fetches the first page with words (the
    record's ``preview_page``) for a hit found by filters alone."""
    return _pages_query({"match_all": {}}, [{"pages.number": "asc"}])


def _pages_query(query: dict[str, Any], order: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "nested": {
            "path": "pages",
            "score_mode": "max",
            "query": query,
            "inner_hits": {"size": 1, "sort": order, "_source": ["pages.number", "pages.text"]},
        }
    }


def _hit(raw: dict[str, Any], query_text: str, listing: bool) -> SearchHit:
    source = raw["_source"]
    inner = raw.get("inner_hits", {}).get("pages", {}).get("hits", {}).get("hits", [])
    page = inner[0]["_source"] if inner else {}
    return SearchHit(
        record_id=raw["_id"],
        score=0.0 if listing else float(raw.get("_score") or 0.0),
        page=int(page.get("number", source["preview_page"])),
        snippet=snippet(page.get("text", ""), query_text),
        document_type=source["document_type"],
        dossier_code=source["dossier_code"],
        unit=source["unit"],
        issue_date=source.get("issue_date"),
        page_count=int(source["page_count"]),
        signature=source.get("signature") or "",
    )


def _buckets(agg: dict[str, Any]) -> dict[str, int]:
    """Records per value; records with an empty value are not counted."""
    return {str(b["key"]): int(b["doc_count"]) for b in agg["buckets"] if b["key"] != ""}


def _reason(exc: ApiError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error", {})
    return str(error.get("reason", error)) if isinstance(error, dict) else str(error)


def _item_reason(outcome: dict[str, Any]) -> str:
    """Why Elasticsearch refused one document, short enough to log (its
    messages can quote whole field values)."""
    error = outcome.get("error") or {}
    if not isinstance(error, dict):
        return str(error or f"HTTP {outcome.get('status')}")[:REASON_CHARS]
    reason = f"{error.get('type', 'error')}: {error.get('reason', '')}"[:REASON_CHARS]
    cause = error.get("caused_by")
    if isinstance(cause, dict):
        reason += f" (caused by {cause.get('type')}: {cause.get('reason', '')})"[:REASON_CHARS]
    return reason
