"""What a fault-injection trial checks afterwards (tests/faults/): no process of
the killed group left, and an archive that lost, doubled and quarantined nothing."""

from __future__ import annotations

import hashlib
import os
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from sohoa.core.settings import Settings
from sohoa.storage.factory import open_object_store, open_search_index
from sohoa.storage.manifests import iter_records
from sohoa.storage.verify import verify_storage


def group_members(pgid: int) -> list[str]:
    """Live (not zombie) processes of process group ``pgid``, as "pid name"."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        name, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found.append(f"{entry.name} {name}")
    return found


def kill_group(pgid: int, signal_number: int) -> None:
    """Signal the whole group; fail unless it is gone within a minute."""
    os.killpg(pgid, signal_number)
    deadline = time.monotonic() + 60
    while (left := group_members(pgid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, f"processes outlived the kill of group {pgid}: {left}"


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_archive_whole(settings: Settings, expected: Iterable[str], quarantine: Path) -> None:
    """Every expected original (by SHA-256) in exactly one record, nothing
    quarantined, and verify clean: every object each manifest lists exists and
    hashes right, every record is indexed, no orphan."""
    store = open_object_store(settings)
    stored = Counter(o.sha256 for r in iter_records(store) for o in r.originals)
    wanted = Counter(expected)
    lost = sorted(set(wanted) - set(stored))
    doubled = sorted(sha for sha, n in stored.items() if n > 1)
    assert not lost and not doubled, f"lost {lost}, in two records {doubled}"
    assert set(stored) == set(wanted), "a record holds a file nobody dropped"
    assert not quarantine.exists() or not any(quarantine.rglob("*")), sorted(quarantine.rglob("*"))
    index = open_search_index(settings)
    try:
        report = verify_storage(store, index)
    finally:
        index.close()
    assert report.ok, report


MARKER_WAIT_SECONDS = 300


def write_two_dossiers(batch: Path, label: str, ready: bool) -> list[str]:
    """Two dossiers of one small page each, told apart early in the line (a
    long one is cut at the page's edge); their SHA-256s."""
    from tests.helpers.pages import small_scan

    batch.mkdir()
    shas = []
    for dossier in (1, 2):
        path = batch / f"hoso-{dossier}.png"
        small_scan(f"Ho so {label}-{dossier}\nthu nghiem loi").save(path, dpi=(300, 300))
        shas.append(sha256_of(path))
    assert len(set(shas)) == 2
    if ready:
        (batch / "READY").touch()
    return shas


def wait_for_marker(marker: Path) -> None:
    """Until a paused run (``SOHOA_FAULT_PAUSE_AT``) writes ``marker``."""
    deadline = time.monotonic() + MARKER_WAIT_SECONDS
    while not marker.exists():
        assert time.monotonic() < deadline, f"{marker.name} never appeared"
        time.sleep(0.05)
