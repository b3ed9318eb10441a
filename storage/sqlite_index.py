"""Records in one SQLite file with FTS5: the embedded default index.

``SOHOA_INDEX=sqlite:///path/index.sqlite3``. Tables: ``records`` (one row
per record: the filter and facet fields and the record JSON), ``pages`` (the
original text of each page that has words), ``pages_fts`` (FTS5 over the
folded tokens of ``pipeline.text.token_text``, rowid = ``pages.page_id``) and
``id_numbers`` (record_id per citizen id or tax code). Search semantics are
those of ``storage.records``.

``rebuild`` fills ``*_next`` tables beside the live ones in small
transactions, then in one transaction drops the live tables and renames the
new ones into place. In WAL mode a search reads one snapshot, so it sees the
old tables or the new ones, never neither. (Building a separate file and
renaming it over the live one would corrupt readers in other processes:
their ``-wal`` and ``-shm`` files belong to the old file.)

Threading: safe across threads and processes. Each operation borrows a
connection from a small pool; SQLite serializes writers (``busy_timeout``)
and WAL lets readers run beside them.
"""

from __future__ import annotations

import fcntl
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

from models import Record, SearchFacets, SearchHit, SearchQuery, SearchResults
from pipeline.text import snippet
from sohoa.errors import IndexUnavailable
from storage.protocols import BulkResult
from storage.records import QueryTerms, active_filters, index_fields, page_documents, parse_query

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
BUSY_TIMEOUT_SECONDS = 30.0
WRITE_CHUNK = 200  # records per write transaction
ID_PAGE = 1000  # record ids fetched per query by record_ids()
# Errors caused by one record's content, not by the database.
_RECORD_ERRORS = (sqlite3.IntegrityError, sqlite3.DataError, sqlite3.InterfaceError, ValueError)

_FILTER_SQL = {
    "document_type": "r.document_type = :document_type",
    "unit": "r.unit = :unit",
    "dossier_code": "r.dossier_code = :dossier_code",
    "id_number": "r.record_id IN (SELECT record_id FROM id_numbers WHERE id_number = :id_number)",
    "date_from": "r.issue_date >= :date_from",
    "date_to": "r.issue_date <= :date_to",
}

# What a hit shows; never the record JSON, which would be copied for every match.
_HIT_COLUMNS = (
    "r.record_id, r.document_type, r.dossier_code, r.unit, r.issue_date, r.issue_year, r.page_count"
)

_INDEXES = (
    "CREATE INDEX IF NOT EXISTS records_by_type ON records (document_type)",
    "CREATE INDEX IF NOT EXISTS records_by_unit ON records (unit)",
    "CREATE INDEX IF NOT EXISTS records_by_dossier ON records (dossier_code)",
    "CREATE INDEX IF NOT EXISTS records_by_date ON records (issue_date DESC, record_id)",
    "CREATE INDEX IF NOT EXISTS id_numbers_by_record ON id_numbers (record_id)",
)


@dataclass(frozen=True, slots=True)
class _Tables:
    """The table names of one generation: live, or ``*_next`` while rebuilding."""

    records: str
    pages: str
    fts: str
    numbers: str

    @classmethod
    def named(cls, suffix: str) -> _Tables:
        return cls(*(name + suffix for name in ("records", "pages", "pages_fts", "id_numbers")))

    def all(self) -> tuple[str, ...]:
        return (self.records, self.pages, self.fts, self.numbers)

    def create_sql(self) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {self.records} (
                record_id TEXT PRIMARY KEY,
                document_type TEXT NOT NULL,
                dossier_code TEXT NOT NULL,
                unit TEXT NOT NULL,
                issue_date TEXT,
                issue_year TEXT,
                page_count INTEGER NOT NULL,
                preview_page INTEGER NOT NULL,
                record_json TEXT NOT NULL)""",
            f"""CREATE TABLE IF NOT EXISTS {self.pages} (
                page_id INTEGER PRIMARY KEY,
                record_id TEXT NOT NULL,
                page INTEGER NOT NULL,
                text TEXT NOT NULL,
                UNIQUE (record_id, page))""",
            f"""CREATE VIRTUAL TABLE IF NOT EXISTS {self.fts}
                USING fts5(tokens, tokenize = 'unicode61 remove_diacritics 0')""",
            f"""CREATE TABLE IF NOT EXISTS {self.numbers} (
                id_number TEXT NOT NULL,
                record_id TEXT NOT NULL,
                PRIMARY KEY (id_number, record_id)) WITHOUT ROWID""",
        ]


LIVE = _Tables.named("")
NEXT = _Tables.named("_next")


class SqliteSearchIndex:
    """A ``SearchIndex`` in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path).expanduser().absolute()
        self._idle: list[sqlite3.Connection] = []
        self._pool_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SqliteSearchIndex({str(self.path)!r})"

    # -- connections -------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with self._pool_lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self._open()
        try:
            yield conn
        finally:
            if conn.in_transaction:  # an error escaped mid-transaction
                conn.rollback()
            with self._pool_lock:
                self._idle.append(conn)

    def _open(self) -> sqlite3.Connection:
        with self._errors("open"):
            conn = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_SECONDS,
                isolation_level=None,  # transactions are explicit
                check_same_thread=False,  # pooled: one thread at a time
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[sqlite3.Connection]:
        """One snapshot for reads; ``BEGIN IMMEDIATE`` takes the write lock up
        front, so writers queue instead of failing on upgrade."""
        with self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as exc:
            missing = "no such table" in str(exc)
            hint = "run `sohoa reindex` to create it" if missing else "try again"
            raise IndexUnavailable(
                f"The search index {self.path} cannot {action} ({exc}); {hint}."
            ) from exc
        except sqlite3.Error as exc:
            raise IndexUnavailable(f"The search index {self.path} cannot {action}: {exc}") from exc

    # -- setup -------------------------------------------------------------

    def setup(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise IndexUnavailable(f"Cannot create the folder of {self.path}: {exc}") from exc
        with self._errors("be set up"):
            with self._connection() as conn:
                conn.execute("PRAGMA journal_mode = WAL")  # persistent, kept in the file
            with self._transaction(write=True) as tx:
                for sql in [*LIVE.create_sql(), *_INDEXES]:
                    tx.execute(sql)
                tx.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # -- writes ------------------------------------------------------------

    def index_records(self, records: Iterable[Record]) -> BulkResult:
        with self._errors("index records"):
            return self._write(records, LIVE)

    def _write(self, records: Iterable[Record], tables: _Tables) -> BulkResult:
        indexed = 0
        errors: dict[str, str] = {}
        pending = iter(records)
        for batch in iter(lambda: list(islice(pending, WRITE_CHUNK)), []):
            with self._transaction(write=True) as tx:
                for record in batch:
                    tx.execute("SAVEPOINT record")
                    try:
                        _upsert(tx, record, tables)
                    except _RECORD_ERRORS as exc:
                        tx.execute("ROLLBACK TO record")
                        errors[record.record_id] = f"{type(exc).__name__}: {exc}"
                        log.warning("Record %s was not indexed: %s", record.record_id, exc)
                    else:
                        indexed += 1
                    tx.execute("RELEASE record")
        return BulkResult(indexed=indexed, errors=errors)

    def delete_record(self, record_id: str) -> None:
        with self._errors(f"delete record {record_id}"), self._transaction(write=True) as tx:
            _delete(tx, record_id, LIVE)

    def rebuild(self, records: Iterable[Record]) -> int:
        """Fill the ``*_next`` tables from ``records``, then swap them in with
        one transaction. Writes made to the live tables meanwhile are lost,
        as with an Elasticsearch alias swap. One rebuild at a time per file."""
        with self._rebuild_lock(), self._errors("rebuild"):
            self._drop(NEXT)
            with self._transaction(write=True) as tx:
                for sql in NEXT.create_sql():
                    tx.execute(sql)
            try:
                result = self._write(records, NEXT)
            except BaseException:
                self._drop(NEXT)
                raise
            with self._transaction(write=True) as tx:
                for live in LIVE.all():
                    tx.execute(f"DROP TABLE IF EXISTS {live}")
                for new, live in zip(NEXT.all(), LIVE.all(), strict=True):
                    tx.execute(f"ALTER TABLE {new} RENAME TO {live}")
                for sql in _INDEXES:
                    tx.execute(sql)
        log.info("Rebuilt %s with %d records", self.path, result.indexed)
        return result.indexed

    def _drop(self, tables: _Tables) -> None:
        with self._transaction(write=True) as tx:
            for name in tables.all():
                tx.execute(f"DROP TABLE IF EXISTS {name}")

    @contextmanager
    def _rebuild_lock(self) -> Iterator[None]:
        """An exclusive lock file, across threads and processes."""
        lock_path = self.path.with_name(self.path.name + ".rebuild.lock")
        with open(lock_path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def refresh(self) -> None:
        """Nothing to do: a committed write is visible to the next search."""

    def close(self) -> None:
        """Close idle connections; the index reopens them if used again."""
        with self._pool_lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    # -- reads -------------------------------------------------------------

    def count(self) -> int:
        with self._errors("count records"), self._connection() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM records").fetchone()[0])

    def record_ids(self) -> Iterator[str]:
        """All record ids in lexical order, read a page at a time."""
        last = ""
        while True:
            with self._errors("list records"), self._connection() as conn:
                rows = conn.execute(
                    "SELECT record_id FROM records WHERE record_id > ? ORDER BY record_id LIMIT ?",
                    (last, ID_PAGE),
                ).fetchall()
            yield from (row[0] for row in rows)
            if len(rows) < ID_PAGE:
                return
            last = rows[-1][0]

    def search(self, query: SearchQuery) -> SearchResults:
        terms = parse_query(query.text)
        matched, params = _matched_sql(terms, active_filters(query))
        order = "issue_date DESC, record_id" if terms.empty else "score DESC, record_id"
        hits_sql = f"""{matched}
            SELECT m.*, COALESCE(p.text, '') AS page_text
            FROM matched m LEFT JOIN pages p ON p.record_id = m.record_id AND p.page = m.page
            ORDER BY {order} LIMIT :limit OFFSET :offset"""
        facets_sql = f"""{matched}
            SELECT 'total' AS facet, '' AS value, COUNT(*) AS n FROM matched
            UNION ALL SELECT 'document_type', document_type, COUNT(*) FROM matched
                GROUP BY document_type
            UNION ALL SELECT 'unit', unit, COUNT(*) FROM matched WHERE unit != '' GROUP BY unit
            UNION ALL SELECT 'year', issue_year, COUNT(*) FROM matched
                WHERE issue_year IS NOT NULL GROUP BY issue_year"""
        params.update(limit=query.limit, offset=query.offset)
        with self._errors("search"), self._transaction(write=False) as tx:
            rows = tx.execute(hits_sql, params).fetchall()
            counts = tx.execute(facets_sql, params).fetchall()
        facets: dict[str, dict[str, int]] = {
            name: {} for name in ("total", "document_type", "unit", "year")
        }
        for facet, value, n in counts:
            facets[facet][value] = n
        return SearchResults(
            total=facets.pop("total")[""],
            hits=tuple(_hit(row, query.text) for row in rows),
            facets=SearchFacets(**facets),
        )


def _matched_sql(terms: QueryTerms, filters: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """A ``WITH`` clause whose ``matched`` table holds every matching record
    with its best page and score, and the parameters it needs."""
    where = " AND ".join(["1", *(_FILTER_SQL[name] for name in filters)])
    params: dict[str, Any] = dict(filters)
    if terms.empty:
        return (
            f"""WITH matched AS MATERIALIZED (
                SELECT {_HIT_COLUMNS}, r.preview_page AS page, 0.0 AS score
                FROM records r WHERE {where})""",
            params,
        )
    params["match"] = _fts_match(terms)
    return (
        f"""WITH page_scores AS (
                SELECT rowid AS page_id, -bm25(pages_fts) AS score
                FROM pages_fts WHERE pages_fts MATCH :match),
            page_hits AS (
                SELECT p.record_id, p.page, s.score, row_number() OVER (
                    PARTITION BY p.record_id ORDER BY s.score DESC, p.page) AS rank
                FROM page_scores s JOIN pages p ON p.page_id = s.page_id),
            matched AS MATERIALIZED (
                SELECT {_HIT_COLUMNS}, h.page, h.score
                FROM page_hits h JOIN records r ON r.record_id = h.record_id
                WHERE h.rank = 1 AND {where})""",
        params,
    )


def _fts_match(terms: QueryTerms) -> str:
    """An FTS5 query: every word and phrase quoted (tokens are ``[0-9a-z]+``,
    so nothing the user typed is read as syntax), joined by implicit AND."""
    clauses = [(word,) for word in terms.words] + list(terms.phrases)
    return " ".join('"' + " ".join(clause) + '"' for clause in clauses)


def _hit(row: sqlite3.Row, query_text: str) -> SearchHit:
    return SearchHit(
        record_id=row["record_id"],
        score=float(row["score"]),
        page=row["page"],
        snippet=snippet(row["page_text"], query_text),
        document_type=row["document_type"],
        dossier_code=row["dossier_code"],
        unit=row["unit"],
        issue_date=date.fromisoformat(row["issue_date"]) if row["issue_date"] else None,
        page_count=row["page_count"],
    )


def _upsert(conn: sqlite3.Connection, record: Record, tables: _Tables) -> None:
    """Replace everything indexed for the record with its current content."""
    _delete(conn, record.record_id, tables)
    fields = asdict(index_fields(record))
    id_numbers = fields.pop("id_numbers")
    fields["issue_date"] = record.issue_date.isoformat() if record.issue_date else None
    fields["record_json"] = record.model_dump_json()
    columns = ", ".join(fields)
    placeholders = ", ".join(f":{name}" for name in fields)
    conn.execute(f"INSERT INTO {tables.records} ({columns}) VALUES ({placeholders})", fields)
    for doc in page_documents(record):
        cursor = conn.execute(
            f"INSERT INTO {tables.pages} (record_id, page, text) VALUES (?, ?, ?)",
            (doc.record_id, doc.page, doc.text),
        )
        conn.execute(
            f"INSERT INTO {tables.fts} (rowid, tokens) VALUES (?, ?)",
            (cursor.lastrowid, doc.tokens),
        )
    conn.executemany(
        f"INSERT INTO {tables.numbers} (id_number, record_id) VALUES (?, ?)",
        [(number, record.record_id) for number in id_numbers],
    )


def _delete(conn: sqlite3.Connection, record_id: str, tables: _Tables) -> None:
    conn.execute(
        f"DELETE FROM {tables.fts} WHERE rowid IN "
        f"(SELECT page_id FROM {tables.pages} WHERE record_id = ?)",
        (record_id,),
    )
    for table in (tables.pages, tables.numbers, tables.records):
        conn.execute(f"DELETE FROM {table} WHERE record_id = ?", (record_id,))
