"""Fixity: bit rot in a stored page image and in another record's manifest is
found by the verify flow (what the scheduled deployment runs) and by `sohoa
verify`, which exits 1."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sohoa.app import backends
from sohoa.flows.digitize import digitize_batch
from sohoa.flows.maintenance import verify
from sohoa.storage.keys import manifest_key
from sohoa.storage.manifests import load_record
from tests.helpers.forked_cli import CliForker
from tests.helpers.pages import small_scan

pytestmark = pytest.mark.ocr


def _flip_first_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[0] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_rotten_object_and_a_rotten_manifest_are_both_reported(
    prefect_server: None, sohoa_home: Path, forked_cli: CliForker
) -> None:
    batch = sohoa_home / "inbox" / "fixity"
    batch.mkdir()
    for name in ("a", "b"):
        small_scan(f"Ho so {name}\nkiem tra toan ven").save(batch / f"{name}.png", dpi=(300, 300))
    first, second = digitize_batch(str(batch)).records
    objects = sohoa_home / "data" / "objects"
    # the page image lives inside the searchable PDF (stored once)
    pdf_key = load_record(backends.object_store(), first).searchable_pdf_key
    _flip_first_byte(objects / pdf_key)
    _flip_first_byte(objects / manifest_key(second))

    report = verify()

    assert report.corrupt_objects == tuple(sorted([pdf_key, manifest_key(second)]))
    assert report.unreadable_manifests == (second,)
    assert not report.ok
    env = {**os.environ, "SOHOA_DATA_DIR": str(sohoa_home / "data")}
    command = forked_cli.run(["verify", "--json"], env, sohoa_home / "verify")
    assert command.exit_code == 1, command.stderr[-2000:]
    found = json.loads(command.stdout)
    assert found["corrupt_objects"] == list(report.corrupt_objects)
    assert found["unreadable_manifests"] == [second]
