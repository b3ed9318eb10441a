"""sohoa on a MinIO of its own over TLS, with a CA this test made: it stores
and reads with SOHOA_S3_SECURE and SOHOA_S3_CA_CERTS, and a wrong secret or a
certificate it was not told to trust is one clear line."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from sohoa.core.errors import AccessRefused
from sohoa.core.settings import Settings
from sohoa.storage.factory import open_object_store
from tests.helpers.minio_node import MinioNode

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def tls_minio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A MinIO on a free loopback port, TLS only; settings that reach it."""
    node = MinioNode(tmp_path_factory.mktemp("tls-minio"), "sohoa-tls", tls=True)
    try:
        node.start()
        yield node.settings
    finally:
        node.stop()


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
