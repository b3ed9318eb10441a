"""sohoa on a MinIO of its own over TLS, with a CA this test made: it stores
and reads with SOHOA_S3_SECURE and SOHOA_S3_CA_CERTS, and a wrong secret or a
certificate it was not told to trust is one clear line."""

from __future__ import annotations

import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from sohoa.core.errors import AccessRefused
from sohoa.core.settings import Settings, load_settings
from sohoa.flows.prefect_processes import free_port
from sohoa.storage.factory import open_object_store
from tests.helpers.tls import loopback_certificates

REPO_MINIO = Path(__file__).resolve().parents[2] / "tools" / "bin" / "minio"
pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def tls_minio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A MinIO on a free loopback port, TLS only; settings that reach it."""
    binary = REPO_MINIO
    if not binary.exists():
        pytest.fail(f"No MinIO binary at {REPO_MINIO}: run `make services` once", pytrace=False)
    home = tmp_path_factory.mktemp("tls-minio")
    ca, _, _ = loopback_certificates(home / "certs")
    port, console = free_port(), free_port()
    secret = secrets.token_hex(16)
    env = {"MINIO_ROOT_USER": "sohoa-tls", "MINIO_ROOT_PASSWORD": secret, "HOME": str(home)}
    log = (home / "minio.log").open("wb")
    listen = ["--address", f"127.0.0.1:{port}", "--console-address", f"127.0.0.1:{console}"]
    server = subprocess.Popen(
        [str(binary), "server", str(home / "data"), "--certs-dir", str(home / "certs"), *listen],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    settings = load_settings(
        data_dir=home / "sohoa",
        storage="s3://sohoa-tls",
        s3_endpoint=f"127.0.0.1:{port}",
        s3_access_key="sohoa-tls",
        s3_secret_key=secret,
        s3_secure=True,
        s3_ca_certs=ca,
    )
    try:
        _wait_until_answering(settings, server, home / "minio.log")
        yield settings
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _wait_until_answering(settings: Settings, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            open_object_store(settings).setup()
            return
        except Exception:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"MinIO over TLS did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.5)


def test_stores_and_reads_over_tls_with_the_configured_ca(tls_minio: Settings) -> None:
    store = open_object_store(tls_minio)
    stored = store.put_bytes("records/tls/manifest.json", b'{"ok": true}', "application/json")
    assert store.get_bytes("records/tls/manifest.json") == b'{"ok": true}'
    assert store.verify("records/tls/manifest.json") and stored.size == 12
    assert store.url("records/tls/manifest.json").startswith("https://127.0.0.1:")


def test_a_wrong_secret_is_one_clear_line(tls_minio: Settings) -> None:
    wrong = tls_minio.model_copy(update={"s3_secret_key": SecretStr("not-the-secret")})
    with pytest.raises(AccessRefused) as refused:
        open_object_store(wrong).setup()
    assert "refused the credentials" in refused.value.message
    assert "SOHOA_S3_SECRET_KEY" in refused.value.message and "\n" not in refused.value.message


def test_an_untrusted_certificate_is_one_clear_line(tls_minio: Settings) -> None:
    untrusted = tls_minio.model_copy(update={"s3_ca_certs": None})
    with pytest.raises(AccessRefused) as refused:
        open_object_store(untrusted).setup()
    assert "a certificate sohoa does not trust" in refused.value.message
    assert "SOHOA_S3_CA_CERTS" in refused.value.message and "\n" not in refused.value.message
