"""A signed PDF dropped in the inbox goes through the real flow: its signature is
verified against SOHOA_TRUST_STORE, kept on the record, shown and searchable by
its verdict, and the file is stored exactly as received."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sohoa.app import backends
from sohoa.flows.digitize import digitize_batch
from sohoa.storage.manifests import load_record
from tests.helpers.cli import run_cli
from tests.helpers.signing import SIGNER_NAME, make_test_pki, scanned_pdf, sign_pdf

pytestmark = pytest.mark.ocr


def test_signed_pdf_is_verified_stored_as_received_and_shown(
    prefect_server: None, sohoa_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pki = make_test_pki(sohoa_home / "pki")
    monkeypatch.setenv("SOHOA_TRUST_STORE", str(pki.root_cert))
    backends.reset()
    batch = sohoa_home / "inbox" / "batch-signed"
    batch.mkdir()
    signed = sign_pdf(scanned_pdf(sohoa_home / "plain.pdf"), batch / "van-ban-ky-so.pdf", pki)
    received = signed.read_bytes()

    report = digitize_batch(str(batch))

    [record_id] = report.records
    store = backends.object_store()
    record = load_record(store, record_id)
    [original] = record.originals
    [signature] = original.signatures
    assert signature.ok and signature.whole_file and SIGNER_NAME in signature.signer
    assert store.get_bytes(original.key) == received
    shown = run_cli("show", record_id, env={"SOHOA_DATA_DIR": str(sohoa_home / "data")})
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert f"van-ban-ky-so.pdf: VALID, signed by Common Name: {SIGNER_NAME}" in shown.stdout
    env = {"SOHOA_DATA_DIR": str(sohoa_home / "data")}
    for verdict, expected in (("valid", [record_id]), ("invalid", []), ("unsigned", [])):
        found = run_cli("search", "--signature", verdict, "--json", env=env)
        assert found.returncode == 0, found.stderr[-2000:]
        assert [hit["record_id"] for hit in json.loads(found.stdout)["hits"]] == expected
