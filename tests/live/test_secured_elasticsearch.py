"""sohoa on an Elasticsearch of its own with security on: HTTP over TLS with a
certificate signed by a CA this test made, and a file-realm user. sohoa indexes
and finds a record with the documented settings (SOHOA_INDEX=https://...,
SOHOA_ES_USERNAME/PASSWORD or user:pass in the URL, SOHOA_ES_CA_CERTS); a wrong
password or API key and a certificate it was not told to trust are each one
clear line, with no secret in it."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from sohoa.core.errors import IndexAccessRefused
from sohoa.core.settings import Settings, load_settings
from sohoa.models import SearchQuery
from sohoa.storage.factory import open_search_index
from tests.helpers.elasticsearch_node import ElasticsearchNode, Security
from tests.helpers.records import load, make_record

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def secured_es() -> Iterator[ElasticsearchNode]:
    node = ElasticsearchNode(secure=True)
    try:
        node.start()
        yield node
    finally:
        node.remove()


def _security(node: ElasticsearchNode) -> Security:
    assert node.security is not None
    return node.security


def _settings(node: ElasticsearchNode, tmp_path: Path, alias: str, **overrides: object) -> Settings:
    return load_settings(
        data_dir=tmp_path,
        index=node.url,
        es_ca_certs=_security(node).ca,
        es_index_alias=alias,
        **overrides,
    )


def _indexes_and_finds(settings: Settings, word: str) -> None:
    index = open_search_index(settings)
    try:
        record = make_record(f"secured-{word}", [f"giay khai sinh {word} ho so"])
        load(index, record)
        found = index.search(SearchQuery(text=word))
        assert [hit.record_id for hit in found.hits] == [record.record_id]
    finally:
        index.close()


def test_password_over_tls_from_the_documented_environment(
    secured_es: ElasticsearchNode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    security = _security(secured_es)
    monkeypatch.delenv("SOHOA_CONFIG", raising=False)
    monkeypatch.setenv("SOHOA_INDEX", secured_es.url)
    monkeypatch.setenv("SOHOA_ES_USERNAME", security.user)
    monkeypatch.setenv("SOHOA_ES_PASSWORD", security.password)
    monkeypatch.setenv("SOHOA_ES_CA_CERTS", str(security.ca))
    monkeypatch.setenv("SOHOA_ES_INDEX_ALIAS", "sohoa-password")
    _indexes_and_finds(load_settings(data_dir=tmp_path), "matkhau")


def test_user_and_password_in_the_url(secured_es: ElasticsearchNode, tmp_path: Path) -> None:
    security = _security(secured_es)
    url = secured_es.url.replace("https://", f"https://{security.user}:{security.password}@")
    settings = _settings(secured_es, tmp_path, "sohoa-url").model_copy(update={"index": url})
    _indexes_and_finds(settings, "duongdan")


def test_a_wrong_api_key_is_one_clear_line(secured_es: ElasticsearchNode, tmp_path: Path) -> None:
    # Creating a real key needs the security index, whose mapping uses the
    # analysis-common module that the integ-test distribution lacks; an unknown
    # key still goes through the API-key authenticator and must be refused.
    key = base64.b64encode(b"no-such-id:no-such-secret-456").decode()
    wrong = _settings(secured_es, tmp_path, "sohoa-apikey", es_api_key=key)
    with pytest.raises(IndexAccessRefused) as refused:
        open_search_index(wrong).setup()
    message = refused.value.message
    assert "refused the credentials" in message and "SOHOA_ES_API_KEY" in message
    assert key not in message and "no-such-secret" not in message and "\n" not in message


def test_a_wrong_password_is_one_clear_line(secured_es: ElasticsearchNode, tmp_path: Path) -> None:
    security = _security(secured_es)
    wrong = _settings(
        secured_es, tmp_path, "sohoa-wrong", es_username=security.user, es_password="not-it-123"
    )
    with pytest.raises(IndexAccessRefused) as refused:
        open_search_index(wrong).setup()
    message = refused.value.message
    assert "refused the credentials" in message and "SOHOA_ES_PASSWORD" in message
    assert "not-it-123" not in message and "\n" not in message

    in_url = wrong.model_copy(
        update={"index": secured_es.url.replace("https://", f"https://{security.user}:not-it-123@")}
    )
    with pytest.raises(IndexAccessRefused) as refused:
        open_search_index(in_url).setup()
    assert "not-it-123" not in refused.value.message and "\n" not in refused.value.message


def test_an_untrusted_certificate_is_one_clear_line(
    secured_es: ElasticsearchNode, tmp_path: Path
) -> None:
    security = _security(secured_es)
    untrusted = _settings(
        secured_es,
        tmp_path,
        "sohoa-untrusted",
        es_username=security.user,
        es_password=security.password,
    ).model_copy(update={"es_ca_certs": None})
    with pytest.raises(IndexAccessRefused) as refused:
        open_search_index(untrusted).setup()
    message = refused.value.message
    assert "SOHOA_ES_CA_CERTS" in message and "certificate" in message
    assert security.password not in message and "\n" not in message
    assert not refused.value.retryable  # like MinIO's: a setting to fix, not a wait
