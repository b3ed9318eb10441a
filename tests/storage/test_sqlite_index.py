"""What only the SQLite index does: its file, schema and WAL mode, per-record
errors, the table swap of ``rebuild`` seen from another process, and the
``sqlite://`` and ``http(s)://`` choices of storage.factory. The shared
search behaviour is in tests/contract."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from sohoa.core.errors import ConfigurationError, IndexUnavailable
from sohoa.core.settings import load_settings
from sohoa.models import Record, SearchQuery, SignatureVerdict
from sohoa.storage.elastic_index import ElasticsearchIndex
from sohoa.storage.factory import open_search_index
from sohoa.storage.sqlite_index import SCHEMA_VERSION, SqliteSearchIndex
from tests.helpers.records import make_record, signature

RECORDS = [
    make_record(f"record-{n}", [f"Trang một của hồ sơ số {n}", f"Đường số {n}, phường Láng"])
    for n in range(30)
]


@pytest.fixture
def index(tmp_path: Path) -> Iterator[SqliteSearchIndex]:
    index = SqliteSearchIndex(tmp_path / "db" / "index.sqlite3")
    index.setup()
    yield index
    index.close()


def table_counts(path: Path) -> dict[str, int]:
    with closing(sqlite3.connect(path)) as conn:
        tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        names = [row[0] for row in tables]
        return {
            name: conn.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0]
            for name in ("records", "pages", "pages_fts", "id_numbers")
            if name in names
        } | {"next_tables": sum(name.endswith("_next") for name in names)}


def test_setup_creates_the_file_in_wal_mode(index: SqliteSearchIndex) -> None:
    with closing(sqlite3.connect(index.path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    assert table_counts(index.path) == {
        "records": 0,
        "pages": 0,
        "pages_fts": 0,
        "id_numbers": 0,
        "next_tables": 0,
    }


def test_searching_before_setup_says_what_to_do(tmp_path: Path) -> None:
    index = SqliteSearchIndex(tmp_path / "index.sqlite3")
    with pytest.raises(IndexUnavailable, match="reindex"):
        index.search(SearchQuery(text="duong"))


def test_rows_follow_upserts_and_deletes(index: SqliteSearchIndex) -> None:
    """Re-indexing leaves no orphan page or full-text rows behind."""
    with_ids = make_record("ids", ["Số CCCD 001085012345"], citizen_ids=["001085012345"])
    index.index_records([*RECORDS[:3], with_ids])
    index.index_records(RECORDS[:3])
    assert table_counts(index.path) == {
        "records": 4,
        "pages": 7,
        "pages_fts": 7,
        "id_numbers": 1,
        "next_tables": 0,
    }
    index.delete_record(with_ids.record_id)
    index.delete_record(RECORDS[0].record_id)
    assert table_counts(index.path) == {
        "records": 2,
        "pages": 4,
        "pages_fts": 4,
        "id_numbers": 0,
        "next_tables": 0,
    }


def test_blank_pages_are_not_stored(index: SqliteSearchIndex) -> None:
    index.index_records([make_record("blank", ["", "  \n", "Trang có chữ"])])
    assert table_counts(index.path)["pages"] == 1
    [hit] = index.search(SearchQuery()).hits
    assert hit.page == 3


def test_a_record_that_cannot_be_stored_fails_alone(index: SqliteSearchIndex) -> None:
    broken = make_record("broken", ["OCR trả về ký tự hỏng \ud800 ở đây"])

    result = index.index_records([RECORDS[0], broken, RECORDS[1]])

    assert result.indexed == 2
    assert list(result.errors) == [broken.record_id]
    assert "surrogates not allowed" in result.errors[broken.record_id]
    assert set(index.record_ids()) == {RECORDS[0].record_id, RECORDS[1].record_id}


def test_data_survives_reopening(index: SqliteSearchIndex) -> None:
    index.index_records(RECORDS[:5])
    index.close()
    reopened = SqliteSearchIndex(index.path)
    reopened.setup()
    assert reopened.count() == 5
    assert reopened.search(SearchQuery(text="ho so so 3")).total == 1
    reopened.close()
    assert index.count() == 5  # a closed index reopens on use


def test_record_ids_page_through_many(index: SqliteSearchIndex) -> None:
    many = [make_record(f"many-{n}", ["x"]) for n in range(2500)]
    index.index_records(many)
    assert list(index.record_ids()) == sorted(r.record_id for r in many)


def test_failed_rebuild_keeps_the_old_index(index: SqliteSearchIndex) -> None:
    index.index_records(RECORDS[:4])

    def records_then_failure() -> Iterator[Record]:
        yield from RECORDS[4:]
        raise OSError("manifest store went away")

    with pytest.raises(OSError, match="went away"):
        index.rebuild(records_then_failure())

    assert set(index.record_ids()) == {r.record_id for r in RECORDS[:4]}
    assert table_counts(index.path)["next_tables"] == 0
    assert index.rebuild(RECORDS) == 30
    assert index.rebuild(RECORDS[:2]) == 2  # a second swap reuses the names cleanly
    assert table_counts(index.path)["records"] == 2


def test_concurrent_writers_from_threads(index: SqliteSearchIndex) -> None:
    chunks = [RECORDS[n::5] for n in range(5)]
    results = []

    def write(chunk: list[Record]) -> None:
        results.append(index.index_records(chunk))

    threads = [threading.Thread(target=write, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(r.indexed for r in results) == 30
    assert index.count() == 30


SEARCHER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from sohoa.models import SearchQuery
    from sohoa.storage.sqlite_index import SqliteSearchIndex

    index = SqliteSearchIndex(Path(sys.argv[1]))
    stop = Path(sys.argv[2])
    searches, wrong, errors = 0, 0, []
    print("ready", flush=True)
    while not stop.exists() or searches < 20:
        try:
            total = index.search(SearchQuery(text="duong lang")).total
            searches += 1
            wrong += total != 30
        except Exception as exc:
            errors.append(repr(exc))
            if len(errors) > 5:
                break
    print(json.dumps({"searches": searches, "wrong": wrong, "errors": errors}))
    """
)


def test_another_process_keeps_searching_during_rebuilds(
    index: SqliteSearchIndex, tmp_path: Path
) -> None:
    """Readers in other processes (the CLI, the web search) never fail or see
    an empty index while a reindex swaps the tables."""
    index.index_records(RECORDS)
    stop = tmp_path / "stop"
    searcher = subprocess.Popen(
        [sys.executable, "-c", SEARCHER, str(index.path), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert searcher.stdout is not None
        assert searcher.stdout.readline().strip() == "ready"
        for _ in range(10):
            assert index.rebuild(RECORDS) == 30
    finally:
        stop.touch()
        out, _ = searcher.communicate(timeout=120)
    report = json.loads(out.strip().splitlines()[-1])
    assert report["errors"] == []
    assert report["wrong"] == 0
    assert report["searches"] >= 20


# -- storage.factory: search indexes ----------------------------------------


def test_factory_defaults_to_the_data_folder(tmp_path: Path) -> None:
    index = open_search_index(load_settings(data_dir=tmp_path))
    assert isinstance(index, SqliteSearchIndex)
    assert index.path == tmp_path / "index.sqlite3"


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:////srv/sohoa/index.sqlite3", "/srv/sohoa/index.sqlite3"),
        ("SQLITE:////srv/h%E1%BB%93%20s%C6%A1.db", "/srv/hồ sơ.db"),
        ("sqlite:///relative/index.sqlite3", "relative/index.sqlite3"),
    ],
)
def test_factory_sqlite_urls(tmp_path: Path, url: str, path: str) -> None:
    index = open_search_index(load_settings(data_dir=tmp_path, index=url))
    assert isinstance(index, SqliteSearchIndex)
    assert index.path == Path(path).absolute()


@pytest.mark.parametrize("url", ["http://127.0.0.1:9200", "https://search.example.org:9243/"])
def test_factory_http_urls_build_elasticsearch_without_connecting(tmp_path: Path, url: str) -> None:
    index = open_search_index(load_settings(data_dir=tmp_path, index=url))
    assert isinstance(index, ElasticsearchIndex)


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///", "sqlite:////srv/", "http://", "postgres://db/x", "index.db"]
)
def test_factory_rejects_other_index_urls(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigurationError, match=r"sqlite:////srv/sohoa/index\.sqlite3") as caught:
        open_search_index(load_settings(data_dir=tmp_path, index=url))
    assert url in caught.value.message


VERSION_1_SCHEMA = """
CREATE TABLE records (record_id TEXT PRIMARY KEY, document_type TEXT NOT NULL,
    dossier_code TEXT NOT NULL, unit TEXT NOT NULL, issue_date TEXT, issue_year TEXT,
    page_count INTEGER NOT NULL, preview_page INTEGER NOT NULL, record_json TEXT NOT NULL);
CREATE TABLE pages (page_id INTEGER PRIMARY KEY, record_id TEXT NOT NULL,
    page INTEGER NOT NULL, text TEXT NOT NULL, UNIQUE (record_id, page));
CREATE VIRTUAL TABLE pages_fts USING fts5(tokens, tokenize = 'unicode61 remove_diacritics 0');
CREATE TABLE id_numbers (id_number TEXT NOT NULL, record_id TEXT NOT NULL,
    PRIMARY KEY (id_number, record_id)) WITHOUT ROWID;
PRAGMA user_version = 1;
"""


def test_a_version_1_file_is_upgraded_from_its_stored_records(tmp_path: Path) -> None:
    """Files written by the first release kept each record's JSON; setup
    rebuilds the current tables from it, so nothing needs reindexing."""
    path = tmp_path / "index.sqlite3"
    old = [*RECORDS[:3], make_record("ids", ["Số CCCD 001085012345"], citizen_ids=["001085012345"])]
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(VERSION_1_SCHEMA)
        conn.executemany(
            "INSERT INTO records VALUES (?, 'khac', '', '', NULL, NULL, 1, 1, ?)",
            [(record.record_id, record.model_dump_json()) for record in old],
        )
        conn.commit()

    index = SqliteSearchIndex(path)
    index.setup()

    assert sorted(index.record_ids()) == sorted(record.record_id for record in old)
    assert index.search(SearchQuery(text="duong so 2")).hits[0].record_id == RECORDS[2].record_id
    assert index.search(SearchQuery(id_number="001085012345")).total == 1
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        columns = [row[1] for row in conn.execute("PRAGMA table_info(records)")]
        assert "record_json" not in columns
    index.close()


def test_a_version_2_file_gains_signature_verdicts_filled_by_reindexing(
    index: SqliteSearchIndex, caplog: pytest.LogCaptureFixture
) -> None:
    """Version 2 had no signature column: setup adds it, empty, so records
    indexed before pass no signature filter until they are indexed again."""
    signed = make_record("signed", ["Quyết định đã ký số"], signatures=[signature(ok=True)])
    index.index_records([signed, *RECORDS[:2]])
    index.close()
    with closing(sqlite3.connect(index.path)) as conn:  # as version 2 wrote it
        conn.executescript(
            "DROP INDEX records_by_signature; ALTER TABLE records DROP COLUMN signature;"
            "PRAGMA user_version = 2;"
        )

    index.setup()

    assert "sohoa reindex" in caplog.text
    with closing(sqlite3.connect(index.path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert index.count() == 3
    assert index.search(SearchQuery(text="ky so")).hits[0].record_id == signed.record_id
    unknown = index.search(SearchQuery(signature=SignatureVerdict.VALID))
    assert (unknown.total, unknown.facets.signature) == (0, {})
    index.index_records([signed, *RECORDS[:2]])  # what `sohoa reindex` does
    assert index.search(SearchQuery()).facets.signature == {"valid": 1, "unsigned": 2}


def test_page_row_ids_name_their_record(index: SqliteSearchIndex) -> None:
    """Row ids of pages carry the record's rid, so deleting one record
    leaves the pages of its neighbours, and page numbers out of range fail
    that record alone."""
    many_pages = make_record("many", [f"Trang {n} của bản dài" for n in range(1, 41)])
    page = many_pages.pages[0]
    too_far = make_record("too far", ["Trang cuối"])
    too_far = too_far.model_copy(update={"pages": (page.model_copy(update={"number": 1 << 20}),)})

    result = index.index_records([RECORDS[0], many_pages, too_far, RECORDS[1]])
    index.delete_record(many_pages.record_id)

    assert result.indexed == 3
    assert "outside 1..1048575" in result.errors[too_far.record_id]
    assert table_counts(index.path)["pages_fts"] == 4
    assert index.search(SearchQuery(text="trang mot")).total == 2
