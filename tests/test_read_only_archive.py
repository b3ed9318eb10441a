"""A read-only archive (a data folder on read-only media, or without write
permission) still answers searches; ingest into it stops at once, with one
line naming the folder, and moves nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sohoa.core.settings import load_settings
from sohoa.storage.factory import open_object_store, open_search_index
from sohoa.storage.manifests import save_record
from tests.helpers.cli import run_cli
from tests.helpers.forked_cli import CliForker
from tests.helpers.read_only import read_only_folder
from tests.helpers.records import load, make_record


def _small_archive(data: Path) -> str:
    """One record, its original stored and its text indexed; its id."""
    settings = load_settings(data_dir=data)
    record = make_record("read-only", ["Quyết định cấp phép cho ông Nguyễn Văn Ánh"])
    record = record.model_copy(update={"searchable_pdf_key": f"records/{record.record_id}/s.pdf"})
    store = open_object_store(settings)
    for key in (record.originals[0].key, record.searchable_pdf_key):
        store.put_bytes(key, b"%PDF-1.4 scanned", "application/pdf")
    save_record(store, record)
    index = open_search_index(settings)
    index.setup()
    load(index, record)
    index.close()
    return record.record_id


def test_a_read_only_archive_answers_search_show_stats_and_verify(
    tmp_path: Path, forked_cli: CliForker
) -> None:
    data = tmp_path / "data"
    record_id = _small_archive(data)
    env = {"SOHOA_DATA_DIR": str(data)}

    with read_only_folder(data):
        search = run_cli("search", "nguyen van anh", "--json", env=env)
        show = run_cli("show", record_id[:12], env=env)
        stats = run_cli("stats", "--json", env=env)
        # verify is a flow: forked warm, on the session's Prefect server (not a
        # temporary one of its own, ~30 s to start; its home is not in the archive).
        verify = forked_cli.run(["verify", "--json"], {**os.environ, **env}, tmp_path / "verify")

    assert search.returncode == 0, search.stderr[-2000:]
    assert [hit["record_id"] for hit in json.loads(search.stdout)["hits"]] == [record_id]
    assert show.returncode == 0 and "Nguyễn Văn Ánh" in show.stdout, show.stderr[-2000:]
    assert stats.returncode == 0, stats.stderr[-2000:]
    assert json.loads(stats.stdout)["indexed_records"] == 1
    assert verify.exit_code == 0, verify.stderr[-2000:]
    assert json.loads(verify.stdout)["records_checked"] == 1


def test_ingest_into_a_read_only_data_folder_is_one_line_and_moves_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _small_archive(data)
    inbox = tmp_path / "inbox"
    (inbox / "b1").mkdir(parents=True)
    (inbox / "b1" / "scan.pdf").write_bytes(b"%PDF-1.4 scanned")
    (inbox / "b1" / "READY").touch()
    before = sorted(p.relative_to(tmp_path) for p in inbox.rglob("*"))

    with read_only_folder(data):
        ingest = run_cli("ingest", str(inbox), env={"SOHOA_DATA_DIR": str(data)})

    assert ingest.returncode == 5
    (line,) = ingest.stderr.strip().splitlines()
    assert line.startswith(f"sohoa: error: The data folder {data} is not writable (")
    assert sorted(p.relative_to(tmp_path) for p in inbox.rglob("*")) == before
    assert not (tmp_path / "processed").exists() and not (tmp_path / "quarantine").exists()
