"""Search latency, bulk indexing and full rebuild at 10,000 and 100,000 pages,
on SQLite FTS5 and Elasticsearch.

Pages are synthesized without OCR from the generator's ground truth: a pool
of rendered documents gives the page texts, and each record gets fresh
names (recombined from the pool's name parts) and fresh long numbers (IDs,
phone numbers, codes), so every record is distinct. Records are built with
the models and indexed through ``index_records``, as the flow does.
"""

from __future__ import annotations

import hashlib
import random
import re
import shutil
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sohoa.core.settings import Settings
from sohoa.core.text import fold
from sohoa.models import (
    DocumentType,
    FieldValue,
    OriginalFile,
    PageRecord,
    Record,
    SearchQuery,
)
from sohoa.samples import KINDS, render_document
from sohoa.storage.elastic_index import ElasticsearchIndex
from sohoa.storage.protocols import SearchIndex
from sohoa.storage.search_semantics import parse_query
from sohoa.storage.sqlite_index import SqliteSearchIndex, fts_match

SEED = 777
DOCUMENTS_PER_KIND = 12
WARMUP_ROUNDS = 2  # untimed rounds of the whole mix first (caches, the JVM's JIT)
REPETITIONS = 5  # then timed rounds
_LONG_NUMBER = re.compile(r"\d{5,}")
_DIGITS = "0123456789"
_DIGITIZED_AT = datetime(2025, 1, 1, tzinfo=UTC)
_FIRST_DAY = date(2010, 1, 1)


@dataclass(frozen=True, slots=True)
class _Template:
    pages: tuple[str, ...]
    names: tuple[str, ...]
    document_type: DocumentType
    unit: str


class RecordFactory:
    """Distinct records drawn from a pool of rendered documents."""

    def __init__(self, seed: int = SEED) -> None:
        rng = random.Random(seed)
        self.templates: list[_Template] = []
        for kind in KINDS:
            for _ in range(DOCUMENTS_PER_KIND):
                document = render_document(kind, rng)
                self.templates.append(_template(document.truth.pages, document.truth.metadata))
        parts = [name.title().split() for t in self.templates for name in t.names]
        parts = [p for p in parts if len(p) >= 2]
        self.family = sorted({p[0] for p in parts})
        self.middle = sorted({w for p in parts for w in p[1:-1]})
        self.given = sorted({p[-1] for p in parts})
        self.rng = random.Random(seed + 1)

    def _name(self) -> str:
        middle = [self.rng.choice(self.middle)] if self.middle else []
        return " ".join([self.rng.choice(self.family), *middle, self.rng.choice(self.given)])

    def record(self, number: int, max_pages: int) -> Record:
        """Record ``number``: a template's pages (at most ``max_pages``), new names
        and numbers, a random issue date and dossier code."""
        rng = self.rng
        template = rng.choice(self.templates)
        names = {old: self._name() for old in template.names}
        numbers: dict[str, str] = {}

        def new_number(match: re.Match[str]) -> str:
            old = match.group()
            return numbers.setdefault(old, "".join(rng.choice(_DIGITS) for _ in old))

        texts = []
        for text in template.pages[:max_pages]:
            for old, new in names.items():
                text = text.replace(old, new).replace(old.upper(), new.upper())
            texts.append(_LONG_NUMBER.sub(new_number, text))
        record_id = hashlib.sha256(f"bench-record-{number}".encode()).hexdigest()
        ids = sorted({n for n in numbers.values() if len(n) == 12})
        return Record(
            record_id=record_id,
            batch_id="bench",
            dossier_code=f"000.00.{rng.randint(10, 99)}.H{rng.randint(1, 63):02d}-{number:07d}",
            unit=template.unit,
            originals=(
                OriginalFile(
                    name=f"hs-{number:07d}.pdf",
                    sha256=record_id,
                    size=1,
                    media_type="application/pdf",
                    key=f"originals/{record_id}/hs.pdf",
                    page_count=len(texts),
                ),
            ),
            pages=tuple(
                PageRecord(
                    number=index,
                    source_file=f"hs-{number:07d}.pdf",
                    width=2480,
                    height=3508,
                    dpi=300,
                    ocr_confidence=90.0,
                    word_count=len(text.split()),
                    text=text,
                )
                for index, text in enumerate(texts, start=1)
            ),
            document_type=template.document_type,
            fields={"citizen_id": tuple(FieldValue(value=i, page=1, confidence=0.9) for i in ids)}
            if ids
            else {},
            issue_date=_FIRST_DAY + timedelta(days=rng.randrange(15 * 365)),
            digitized_at=_DIGITIZED_AT,
        )

    def records(self, first: int, pages: int) -> Iterator[Record]:
        """Records numbered from ``first`` holding ``pages`` pages in all."""
        number, left = first, pages
        while left > 0:
            record = self.record(number, left)
            left -= record.page_count
            number += 1
            yield record


def _template(pages: Sequence[str], metadata: dict[str, Any]) -> _Template:
    return _Template(
        pages=tuple(pages),
        names=tuple(metadata.get("names") or ()),
        document_type=DocumentType(metadata["document_type"]),
        unit=metadata.get("unit") or "",
    )


def query_mix(sample: Record) -> dict[str, SearchQuery]:
    """The fixed mix: common words and phrases (many matches), a person's
    name without accents, ID numbers, filters alone, a listing of everything.
    ``sample`` is a record present at every index size."""
    person = next(
        (n for n in _names_in(sample)), "Nguyễn Văn An"
    )  # a name written on the sample record
    citizen_id = sample.id_numbers()[0] if sample.id_numbers() else "079095066907"
    year = sample.issue_date.year if sample.issue_date else 2020
    return {
        "common_words": SearchQuery(text="quyet dinh"),
        "common_phrase": SearchQuery(text='"ủy ban nhân dân"'),
        "name_no_accents": SearchQuery(text=fold(person)),
        "name_phrase": SearchQuery(text=f'"{person}"'),
        "id_as_text": SearchQuery(text=citizen_id),
        "id_filter": SearchQuery(id_number=citizen_id),
        "type_and_dates": SearchQuery(
            document_type=DocumentType.DECISION.value,
            date_from=date(year, 1, 1),
            date_to=date(year, 12, 31),
        ),
        "words_and_type": SearchQuery(
            text="giay chung nhan", document_type=DocumentType.BUSINESS_REGISTRATION.value
        ),
        "words_and_unit": SearchQuery(text="ho so", unit=sample.unit),
        "dossier_code": SearchQuery(dossier_code=sample.dossier_code),
        "list_all": SearchQuery(),
        "three_words": SearchQuery(text="dang ky kinh doanh"),
    }


def _names_in(record: Record) -> Iterator[str]:
    """Title-case person names the factory wrote into the record's first page."""
    text = record.pages[0].text
    for line in text.splitlines():
        label, _, value = line.partition(":")
        if value and ("tên" in label.lower() or "ông/bà" in label.lower()):
            words = value.split()
            if 2 <= len(words) <= 5:
                yield " ".join(words)


@dataclass(frozen=True, slots=True)
class Latency:
    p50_ms: float
    p95_ms: float
    per_query_p50_ms: dict[str, float]
    totals: dict[str, int]


def measure_latency(index: SearchIndex, queries: dict[str, SearchQuery]) -> Latency:
    """WARMUP_ROUNDS untimed rounds of the mix, then REPETITIONS timed rounds."""
    samples: dict[str, list[float]] = {name: [] for name in queries}
    totals = {name: index.search(query).total for name, query in queries.items()}
    for _ in range(WARMUP_ROUNDS - 1):
        for query in queries.values():
            index.search(query)
    for _ in range(REPETITIONS):
        for name, query in queries.items():
            started = time.perf_counter()
            index.search(query)
            samples[name].append((time.perf_counter() - started) * 1000.0)
    every = sorted(s for values in samples.values() for s in values)
    return Latency(
        p50_ms=round(statistics.median(every), 2),
        p95_ms=round(percentile(every, 95), 2),
        per_query_p50_ms={k: round(statistics.median(v), 2) for k, v in samples.items()},
        totals=totals,
    )


def percentile(sorted_values: list[float], percent: float) -> float:
    """Nearest-rank percentile."""
    rank = max(1, round(percent / 100.0 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def timed_index(index: SearchIndex, records: list[Record]) -> float:
    """Seconds to bulk index ``records`` and make them searchable."""
    started = time.perf_counter()
    result = index.index_records(records)
    index.refresh()
    seconds = time.perf_counter() - started
    if result.errors or result.indexed != len(records):
        raise RuntimeError(f"indexing failed: {len(result.errors)} errors, e.g. {result.errors}")
    return seconds


def run_backend(
    index: SearchIndex,
    records: list[Record],
    sizes: Sequence[int],
    log: Callable[[str], None],
    name: str,
) -> dict[str, Any]:
    """Grows an empty index through ``sizes`` (pages, the largest holding every
    record), measuring latency at each size; then rebuilds it from every record."""
    index.setup()
    if index.count():
        raise RuntimeError(f"{name}: the bench index is not empty")
    index_seconds = 0.0
    latency: dict[str, Any] = {}
    done = 0
    for size in sizes:
        upto = _records_holding(records, size)
        index_seconds += timed_index(index, records[done:upto])
        done = upto
        settle(index)
        found = latency_for(index, records[:done], size)
        latency[str(size)] = found
        log(f"search {name} {size} pages: p50 {found['p50_ms']} ms, p95 {found['p95_ms']} ms")
    pages = sum(r.page_count for r in records[:done])
    size_mb = _file_mb(index)
    started = time.perf_counter()
    rebuilt = index.rebuild(records[:done])
    index.refresh()
    rebuild_seconds = time.perf_counter() - started
    if rebuilt != done:
        raise RuntimeError(f"{name}: rebuild indexed {rebuilt} of {done} records")
    if index.count() != done:
        raise RuntimeError(f"{name}: {index.count()} records after the rebuild, expected {done}")
    log(f"search {name}: {pages / index_seconds:.0f} pages/s, rebuild {rebuild_seconds:.0f} s")
    return {
        "records": done,
        "pages": pages,
        "index_seconds": round(index_seconds, 1),
        "index_pages_per_s": round(pages / index_seconds, 1),
        "rebuild_seconds": round(rebuild_seconds, 1),
        "rebuild_pages_per_s": round(pages / rebuild_seconds, 1),
        "latency": latency,
        **({"file_mb": size_mb} if size_mb is not None else {}),
    }


def _file_mb(index: SearchIndex) -> float | None:
    """The SQLite file's size (MiB); a rebuild leaves the old tables' pages free
    in the file, so it is read before."""
    if isinstance(index, SqliteSearchIndex):
        return round(index.path.stat().st_size / 2**20, 1)
    return None


def settle(index: SearchIndex, timeout: float = 60.0) -> None:
    """Waits until Elasticsearch has no segment merge running, so latencies are
    those of a settled index, not of the minutes after a bulk load."""
    if not isinstance(index, ElasticsearchIndex):
        return
    client = index._connect()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        merges = client.indices.stats(index=index.alias, metric="merge")["_all"]["total"]
        if merges["merges"]["current"] == 0:
            return
        time.sleep(1.0)


def _records_holding(records: list[Record], pages: int) -> int:
    """How many leading records hold ``pages`` pages."""
    total = 0
    for count, record in enumerate(records, start=1):
        total += record.page_count
        if total >= pages:
            return count
    return len(records)


def latency_for(index: SearchIndex, records: list[Record], size: int) -> dict[str, Any]:
    """Latency of the query mix built on the 8th record (present at every size)."""
    found = measure_latency(index, query_mix(records[min(7, len(records) - 1)]))
    if index.count() != len(records):
        raise RuntimeError(f"index holds {index.count()} records, expected {len(records)}")
    return {
        "pages": size,
        "p50_ms": found.p50_ms,
        "p95_ms": found.p95_ms,
        "per_query_p50_ms": found.per_query_p50_ms,
        "matches": found.totals,
    }


def run_all(
    sizes: Sequence[int],
    work: Path,
    es_settings: Settings | None,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Both backends over the same records; Elasticsearch only when reachable."""
    started = time.perf_counter()
    records = list(RecordFactory().records(0, max(sizes)))
    log(
        f"search: {len(records)} records, {max(sizes)} pages synthesized in "
        f"{time.perf_counter() - started:.0f} s"
    )
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    sqlite = SqliteSearchIndex(work / "index.sqlite3")
    results = {"sqlite": run_backend(sqlite, records, sizes, log, "sqlite")}
    sqlite.close()
    results["sqlite"]["ranking_cost_ms"] = sqlite_ranking_cost(
        work / "index.sqlite3", query_mix(records[7])
    )
    results["sqlite"]["file_mb"] = round((work / "index.sqlite3").stat().st_size / 2**20, 1)
    shutil.rmtree(work, ignore_errors=True)
    if es_settings is not None:
        elastic = ElasticsearchIndex(es_settings)
        drop_bench_indices(elastic)
        try:
            results["elasticsearch"] = run_backend(elastic, records, sizes, log, "elasticsearch")
            results["elasticsearch"]["heap"] = heap_usage(elastic)
        finally:
            drop_bench_indices(elastic)
            elastic.close()
    return results


def sqlite_ranking_cost(path: Path, queries: dict[str, SearchQuery]) -> dict[str, dict[str, float]]:
    """For each text query, the median ms of the FTS5 match alone (counting
    pages), of BM25 over every matching page, and of the whole ``search``:
    what ranking and the per-record grouping cost on top of finding pages."""
    index = SqliteSearchIndex(path)
    costs: dict[str, dict[str, float]] = {}
    with closing(sqlite3.connect(path)) as conn:
        for name, query in queries.items():
            terms = parse_query(query.text)
            if terms.empty:
                continue
            match = fts_match(terms)
            costs[name] = {
                "match_only": _median_ms(partial(_rows, conn, _COUNT_PAGES, match)),
                "bm25_all_matches": _median_ms(partial(_rows, conn, _RANK_PAGES, match)),
                "search": _median_ms(partial(index.search, query)),
            }
    index.close()
    return costs


_COUNT_PAGES = "SELECT count(*) FROM pages_fts WHERE pages_fts MATCH ?"
_RANK_PAGES = "SELECT -bm25(pages_fts) FROM pages_fts WHERE pages_fts MATCH ?"


def _rows(conn: sqlite3.Connection, sql: str, match: str) -> list[Any]:
    return conn.execute(sql, (match,)).fetchall()


def _median_ms(call: Callable[[], object], rounds: int = 3) -> float:
    call()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000.0)
    return round(statistics.median(times), 1)


def drop_bench_indices(index: ElasticsearchIndex) -> None:
    """Delete the bench alias's indices (never another alias's)."""
    client = index._connect()
    names = client.indices.get(index=f"{index.alias}-v*", allow_no_indices=True).body
    for name in names:  # the node refuses wildcard deletes
        client.indices.delete(index=name)


def heap_usage(index: ElasticsearchIndex) -> dict[str, float]:
    """The node's JVM heap now, with every bench page indexed."""
    stats = index._connect().nodes.stats(metric="jvm")["nodes"]
    jvm = next(iter(stats.values()))["jvm"]["mem"]
    return {
        "used_mb": round(jvm["heap_used_in_bytes"] / 2**20, 1),
        "max_mb": round(jvm["heap_max_in_bytes"] / 2**20, 1),
    }


def p95_table(results: dict[str, Any]) -> dict[str, dict[str, float]]:
    """``search_p95_ms``: {backend: {pages: p95 ms}}."""
    return {
        backend: {size: figures["p95_ms"] for size, figures in found["latency"].items()}
        for backend, found in results.items()
    }
