"""Records in one SQLite file with FTS5: the embedded default index.

``SOHOA_INDEX=sqlite:///path/index.sqlite3``. Tables: ``records`` (one small
row per record: integer ``rid``, the filter and facet fields), ``pages`` (the
original text of each page that has words), ``pages_fts`` (FTS5 over the
folded tokens of ``sohoa.core.text.token_text``) and ``id_numbers`` (rid per
citizen id or tax code). A page's row id in ``pages`` and ``pages_fts`` is
``rid << PAGE_BITS | page``, so a full-text match names its record without
a join. Search semantics are those of ``storage.search_semantics``.

A search runs two statements in one snapshot: the matching records (the
full-text match, then the filters) counted per facet, and the ranked pages.
BM25 is computed only for pages of records that pass the filters; the
ranked pages are fetched until enough distinct records are seen.

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
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

from sohoa.core.errors import IndexUnavailable
from sohoa.core.text import snippet
from sohoa.models import Record, SearchFacets, SearchHit, SearchQuery, SearchResults
from sohoa.storage import search_semantics as semantics
from sohoa.storage.protocols import BulkResult

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3
BUSY_TIMEOUT_SECONDS = 30.0
WRITE_CHUNK = 200  # records per write transaction
ID_PAGE = 1000  # record ids fetched per query by record_ids()
# A page's row id is its record's ``rid`` shifted left by PAGE_BITS, plus the
# page number: the record of a full-text match is read off its row id.
PAGE_BITS = 20
MAX_PAGE_NUMBER = (1 << PAGE_BITS) - 1
RANKED_PAGES_PER_HIT = 4  # pages ranked per wanted hit in the first try
# Errors caused by one record's content, not by the database.
_RECORD_ERRORS = (sqlite3.IntegrityError, sqlite3.DataError, sqlite3.InterfaceError, ValueError)

_FILTER_SQL = {
    "document_type": "r.document_type = :document_type",
    "unit": "r.unit = :unit",
    "dossier_code": "r.dossier_code = :dossier_code",
    "id_number": "r.rid IN (SELECT rid FROM id_numbers WHERE id_number = :id_number)",
    "date_from": "r.issue_date >= :date_from",
    "date_to": "r.issue_date <= :date_to",
    "signature": "r.signature = :signature",
}

# What a hit shows.
_HIT_COLUMNS = (
    "r.rid, r.record_id, r.document_type, r.dossier_code, r.unit, r.issue_date, r.page_count, "
    "r.preview_page, r.signature"
)

# Built on the live tables after a swap; the ``*_next`` tables are written
# without them (only their inline UNIQUE indexes), which is faster.
_INDEXES = (
    "CREATE INDEX IF NOT EXISTS records_by_type ON records (document_type)",
    "CREATE INDEX IF NOT EXISTS records_by_unit ON records (unit)",
    "CREATE INDEX IF NOT EXISTS records_by_year ON records (issue_year)",
    "CREATE INDEX IF NOT EXISTS records_by_dossier ON records (dossier_code)",
    "CREATE INDEX IF NOT EXISTS records_by_date ON records (issue_date DESC, record_id)",
    "CREATE INDEX IF NOT EXISTS records_by_signature ON records (signature)",
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
                rid INTEGER PRIMARY KEY,
                record_id TEXT NOT NULL UNIQUE,
                document_type TEXT NOT NULL,
                dossier_code TEXT NOT NULL,
                unit TEXT NOT NULL,
                issue_date TEXT,
                issue_year TEXT,
                page_count INTEGER NOT NULL,
                preview_page INTEGER NOT NULL,
                signature TEXT)""",
            f"""CREATE TABLE IF NOT EXISTS {self.pages} (
                page_id INTEGER PRIMARY KEY,
                text TEXT NOT NULL)""",
            f"""CREATE VIRTUAL TABLE IF NOT EXISTS {self.fts}
                USING fts5(tokens, tokenize = 'unicode61 remove_diacritics 0')""",
            f"""CREATE TABLE IF NOT EXISTS {self.numbers} (
                id_number TEXT NOT NULL,
                rid INTEGER NOT NULL,
                PRIMARY KEY (id_number, rid),
                UNIQUE (rid, id_number)) WITHOUT ROWID""",
        ]


LIVE = _Tables.named("")
NEXT = _Tables.named("_next")


def page_id(rid: int, page: int) -> int:
    """The row id of page ``page`` of the record with row id ``rid``."""
    if not 1 <= page <= MAX_PAGE_NUMBER:
        raise ValueError(f"page number {page} is outside 1..{MAX_PAGE_NUMBER}")
    return (rid << PAGE_BITS) | page


def _page_range(rid: int) -> tuple[int, int]:
    """The first and last possible page row id of a record."""
    return rid << PAGE_BITS, ((rid + 1) << PAGE_BITS) - 1


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

    @property
    def read_only(self) -> bool:
        """An existing index sohoa may not write (a read-only archive): it is
        opened for searches only."""
        return self.path.exists() and not (
            os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK)
        )

    def _open(self) -> sqlite3.Connection:
        with self._errors("open"):
            conn = sqlite3.connect(
                self._read_only_uri() if self.read_only else str(self.path),
                timeout=BUSY_TIMEOUT_SECONDS,
                isolation_level=None,  # transactions are explicit
                check_same_thread=False,  # pooled: one thread at a time
                uri=self.read_only,
            )
            conn.row_factory = sqlite3.Row
            if not self.read_only:
                conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    def _read_only_uri(self) -> str:
        """``mode=ro``; in a folder no one may write, where SQLite cannot make
        the WAL's shared-memory file, also ``immutable``: nothing changes it."""
        uri = f"{self.path.as_uri()}?mode=ro"
        return uri if os.access(self.path.parent, os.W_OK) else uri + "&immutable=1"

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
        if self.read_only:
            self._check_readable_schema()
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise IndexUnavailable(f"Cannot create the folder of {self.path}: {exc}") from exc
        with self._errors("be set up"):
            with self._connection() as conn:
                conn.execute("PRAGMA journal_mode = WAL")  # persistent, kept in the file
                version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version == 1:
                with self._rebuild_lock():  # one process upgrades, the others wait
                    self._upgrade_from_version_1()
            elif version == 2:
                self._upgrade_from_version_2()
            with self._transaction(write=True) as tx:
                for sql in [*LIVE.create_sql(), *_INDEXES]:
                    tx.execute(sql)
                tx.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _check_readable_schema(self) -> None:
        """A read-only index is searched as it is, if its schema is this version's."""
        with self._errors("open"), self._connection() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA_VERSION:
            raise IndexUnavailable(
                f"The search index {self.path} is read-only and has schema version {version}, "
                f"not {SCHEMA_VERSION}; open it once with write access to upgrade it."
            )

    def _upgrade_from_version_1(self) -> None:
        """Version 1 kept each record's JSON in ``records.record_json``:
        rebuild the current tables from it, in place, unless another process
        already has. The caller holds the rebuild lock."""
        with self._connection() as conn:
            if conn.execute("PRAGMA user_version").fetchone()[0] != 1:
                return
        log.info("Upgrading the search index %s to schema version %d", self.path, SCHEMA_VERSION)
        self._rebuild_holding_lock(self._version_1_records())

    def _upgrade_from_version_2(self) -> None:
        """Version 2 had no signature verdicts: add the column, empty (unknown)
        for the records already indexed until ``sohoa reindex`` fills it."""
        with self._transaction(write=True) as tx:
            if tx.execute("PRAGMA user_version").fetchone()[0] != 2:
                return  # another process has upgraded it
            tx.execute("ALTER TABLE records ADD COLUMN signature TEXT")
            tx.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        log.warning(
            "The search index %s now keeps signature verdicts: run `sohoa reindex` so that "
            "records indexed before can be filtered by signature",
            self.path,
        )

    def _version_1_records(self) -> Iterator[Record]:
        last = ""
        while True:
            with self._connection() as conn:
                rows = conn.execute(
                    "SELECT record_id, record_json FROM records WHERE record_id > ? "
                    "ORDER BY record_id LIMIT ?",
                    (last, ID_PAGE),
                ).fetchall()
            yield from (Record.model_validate_json(row[1]) for row in rows)
            if len(rows) < ID_PAGE:
                return
            last = rows[-1][0]

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
            return self._rebuild_holding_lock(records)

    def _rebuild_holding_lock(self, records: Iterable[Record]) -> int:
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
            tx.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
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
        terms = semantics.parse_query(query.text)
        filters = semantics.active_filters(query)
        where = " AND ".join(["1", *(_FILTER_SQL[name] for name in filters)])
        params: dict[str, Any] = dict(filters)
        with self._errors("search"), self._transaction(write=False) as tx:
            if terms.empty:
                rows = tx.execute(
                    _LISTING_SQL.format(where=where),
                    params | {"limit": query.limit, "offset": query.offset},
                ).fetchall()
                hits = [(row, row["preview_page"], 0.0) for row in rows]
                listed = f"SELECT * FROM records r WHERE {where}"
                counts = tx.execute(_facets_sql(listed) if filters else _ALL_FACETS_SQL, params)
            elif query.sort == "date":
                params["match"] = fts_match(terms)
                rows = tx.execute(
                    _MATCHED_BY_DATE_SQL.format(where=where),
                    params | {"limit": query.limit, "offset": query.offset},
                ).fetchall()
                hits = [(row, *_best_page(tx, row["rid"], params["match"])) for row in rows]
                matched = _MATCHED_SQL.format(where=where)
                counts = tx.execute(_facets_sql(matched), params)
            else:
                params["match"] = fts_match(terms)
                hits = _ranked_hits(tx, where, params, query.offset + query.limit)[query.offset :]
                matched = _MATCHED_SQL.format(where=where)
                counts = tx.execute(_facets_sql(matched), params)
            facets: dict[str, dict[str, int]] = {
                name: {} for name in ("total", "document_type", "unit", "year", "signature")
            }
            for facet, value, n in counts:
                facets[facet][value] = n
            found = tuple(_hit(tx, row, page, score, query.text) for row, page, score in hits)
        return SearchResults(
            total=facets.pop("total").get("", 0),
            hits=found,
            facets=SearchFacets(**facets),
        )


# Records listed by filters alone: newest first, undated last.
_LISTING_SQL = f"""SELECT {_HIT_COLUMNS} FROM records r WHERE {{where}}
    ORDER BY r.issue_date DESC, r.record_id LIMIT :limit OFFSET :offset"""

# Records with a page that matches, and passing the filters. The full-text
# match gives page row ids, whose high bits are the record's rid.
_MATCHED_SQL = f"""SELECT * FROM records r
    WHERE r.rid IN (SELECT rowid >> {PAGE_BITS} FROM pages_fts WHERE pages_fts MATCH :match)
    AND {{where}}"""

# Records with a matching page, newest issue_date first, undated last.
_MATCHED_BY_DATE_SQL = f"""SELECT {_HIT_COLUMNS} FROM records r
    WHERE r.rid IN (SELECT rowid >> {PAGE_BITS} FROM pages_fts WHERE pages_fts MATCH :match)
    AND {{where}} ORDER BY r.issue_date DESC, r.record_id LIMIT :limit OFFSET :offset"""

# One record's best matching page.
_BEST_PAGE_SQL = """SELECT rowid, -bm25(pages_fts) AS score FROM pages_fts
    WHERE pages_fts MATCH :match AND rowid BETWEEN :first AND :last
    ORDER BY score DESC, rowid LIMIT 1"""


def _best_page(conn: sqlite3.Connection, rid: int, match: str) -> tuple[int, float]:
    first, last = _page_range(rid)
    page_row_id, score = conn.execute(
        _BEST_PAGE_SQL, {"match": match, "first": first, "last": last}
    ).fetchone()
    return page_row_id & MAX_PAGE_NUMBER, score


# Matching pages of records passing the filters, best first; BM25 is only
# computed for those pages. Ties go to the lower record_id, then page.
_RANKED_PAGES_SQL = f"""SELECT f.rowid AS page_id, -bm25(pages_fts) AS score
    FROM pages_fts f CROSS JOIN records r ON r.rid = f.rowid >> {PAGE_BITS}
    WHERE pages_fts MATCH :match AND {{where}}
    ORDER BY score DESC, r.record_id, f.rowid LIMIT :pages"""


def _facet_counts(table: str) -> str:
    """Total and facet counts over the records in ``table``, one row per
    (facet, value, count)."""
    return f"""SELECT 'total', '', COUNT(*) FROM {table}
        UNION ALL SELECT 'document_type', document_type, COUNT(*) FROM {table}
            GROUP BY document_type
        UNION ALL SELECT 'unit', unit, COUNT(*) FROM {table} WHERE unit != '' GROUP BY unit
        UNION ALL SELECT 'year', issue_year, COUNT(*) FROM {table}
            WHERE issue_year IS NOT NULL GROUP BY issue_year
        UNION ALL SELECT 'signature', signature, COUNT(*) FROM {table}
            WHERE signature IS NOT NULL GROUP BY signature"""


def _facets_sql(matched: str) -> str:
    """Facet counts over the records ``matched`` selects, taken once."""
    return f"WITH matched AS MATERIALIZED ({matched}) {_facet_counts('matched')}"


# Facets of every record, each count on its column's index.
_ALL_FACETS_SQL = _facet_counts("records")


def _ranked_hits(
    conn: sqlite3.Connection, where: str, params: dict[str, Any], wanted: int
) -> list[tuple[sqlite3.Row, int, float]]:
    """The first ``wanted`` matching records by best page score, each with
    its best page and score.

    Pages come best first, so a record's first page in that order is its
    best and records appear in hit order. Pages are fetched in growing
    batches until ``wanted`` distinct records are seen or none are left.
    """
    sql = _RANKED_PAGES_SQL.format(where=where)
    pages = wanted * RANKED_PAGES_PER_HIT
    while True:
        rows = conn.execute(sql, params | {"pages": pages}).fetchall()
        best: dict[int, tuple[int, float]] = {}
        for page_row_id, score in rows:
            best.setdefault(page_row_id >> PAGE_BITS, (page_row_id, score))
            if len(best) == wanted:
                break
        if len(best) == wanted or len(rows) < pages:
            break
        pages *= 4
    hits = []
    for rid, (page_row_id, score) in best.items():
        row = conn.execute(f"SELECT {_HIT_COLUMNS} FROM records r WHERE r.rid = ?", (rid,))
        hits.append((row.fetchone(), page_row_id & MAX_PAGE_NUMBER, score))
    return hits


def fts_match(terms: semantics.QueryTerms) -> str:
    """An FTS5 query: every word and phrase quoted (tokens are ``[0-9a-z]+``,
    so nothing the user typed is read as syntax), joined by implicit AND."""
    clauses = [(word,) for word in terms.words] + list(terms.phrases)
    return " ".join('"' + " ".join(clause) + '"' for clause in clauses)


def _hit(
    conn: sqlite3.Connection, row: sqlite3.Row, page: int, score: float, query_text: str
) -> SearchHit:
    text = conn.execute(
        "SELECT text FROM pages WHERE page_id = ?", (page_id(row["rid"], page),)
    ).fetchone()
    return SearchHit(
        record_id=row["record_id"],
        score=score,
        page=page,
        snippet=snippet(text[0] if text else "", query_text),
        document_type=row["document_type"],
        dossier_code=row["dossier_code"],
        unit=row["unit"],
        issue_date=date.fromisoformat(row["issue_date"]) if row["issue_date"] else None,
        page_count=row["page_count"],
        signature=row["signature"] or "",
    )


def _upsert(conn: sqlite3.Connection, record: Record, tables: _Tables) -> None:
    """Replace everything indexed for the record with its current content."""
    _delete(conn, record.record_id, tables)
    fields = asdict(semantics.index_fields(record))
    id_numbers = fields.pop("id_numbers")
    fields["issue_date"] = record.issue_date.isoformat() if record.issue_date else None
    columns = ", ".join(fields)
    placeholders = ", ".join(f":{name}" for name in fields)
    cursor = conn.execute(
        f"INSERT INTO {tables.records} ({columns}) VALUES ({placeholders})", fields
    )
    rid = cursor.lastrowid
    assert rid is not None
    for doc in semantics.page_documents(record):
        row_id = page_id(rid, doc.page)
        conn.execute(
            f"INSERT INTO {tables.pages} (page_id, text) VALUES (?, ?)", (row_id, doc.text)
        )
        conn.execute(
            f"INSERT INTO {tables.fts} (rowid, tokens) VALUES (?, ?)", (row_id, doc.tokens)
        )
    conn.executemany(
        f"INSERT INTO {tables.numbers} (id_number, rid) VALUES (?, ?)",
        [(number, rid) for number in id_numbers],
    )


def _delete(conn: sqlite3.Connection, record_id: str, tables: _Tables) -> None:
    found = conn.execute(
        f"SELECT rid FROM {tables.records} WHERE record_id = ?", (record_id,)
    ).fetchone()
    if found is None:
        return
    rid = found[0]
    for table, key in ((tables.fts, "rowid"), (tables.pages, "page_id")):
        conn.execute(f"DELETE FROM {table} WHERE {key} BETWEEN ? AND ?", _page_range(rid))
    for table in (tables.numbers, tables.records):
        conn.execute(f"DELETE FROM {table} WHERE rid = ?", (rid,))
