"""The servers started by `make services` are real, reachable, the versions we pin, and
configured as the script says."""

from __future__ import annotations

import io
import json
import urllib.request
import uuid

import elasticsearch
import pytest
from elasticsearch import Elasticsearch
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from sohoa.core.settings import load_settings
from tests.helpers.live_services import minio_client

pytestmark = pytest.mark.live


def _get_json(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        data: dict[str, object] = json.loads(response.read())
        return data


def test_minio_health_endpoints_answer(live_minio_overrides: dict[str, object]) -> None:
    endpoint = live_minio_overrides["s3_endpoint"]
    for probe in ("live", "cluster", "ready"):
        with urllib.request.urlopen(f"http://{endpoint}/minio/health/{probe}", timeout=5) as r:
            assert r.status == 200, probe
            assert r.headers["Server"].startswith("MinIO")


def test_minio_round_trips_an_object_with_sohoa_settings(
    live_minio_overrides: dict[str, object],
) -> None:
    client = minio_client(load_settings(**live_minio_overrides))
    bucket = f"sohoa-test-{uuid.uuid4().hex[:12]}"
    payload = "Hồ sơ số hóa".encode()
    client.make_bucket(bucket)
    try:
        client.put_object(bucket, "a/b.txt", io.BytesIO(payload), len(payload))
        response = client.get_object(bucket, "a/b.txt")
        try:
            assert response.read() == payload
        finally:
            response.close()
            response.release_conn()
        client.remove_object(bucket, "a/b.txt")
    finally:
        client.remove_bucket(bucket)
    assert not client.bucket_exists(bucket)


def test_elasticsearch_is_healthy_and_matches_the_client_major(live_es_url: str) -> None:
    health = _get_json(f"{live_es_url}/_cluster/health")
    assert health["status"] in ("green", "yellow")
    # GET / (es.info()) lives in the rest-root module, which the integ-test distribution lacks.
    nodes = Elasticsearch(live_es_url, request_timeout=30).nodes.info(metric="http")["nodes"]
    assert nodes
    client_major = elasticsearch.__versionstr__.split(".")[0]
    for node in nodes.values():
        assert node["version"].split(".")[0] == client_major
        # Loopback only: the node runs without authentication.
        assert node["http"]["publish_address"].startswith("127.0.0.1:")


def test_elasticsearch_indexes_and_finds_a_document(live_es_url: str) -> None:
    es = Elasticsearch(live_es_url, request_timeout=30)
    index = f"sohoa-test-{uuid.uuid4().hex[:12]}"
    try:
        es.index(index=index, id="1", document={"title": "Giấy khai sinh"}, refresh=True)
        hits = es.search(index=index, query={"match": {"title": "khai"}})["hits"]["hits"]
        assert [hit["_id"] for hit in hits] == ["1"]
    finally:
        es.indices.delete(index=index, ignore_unavailable=True)


def test_postgresql_listens_on_loopback_and_its_role_may_create_databases_only(
    live_postgresql_url: str,
) -> None:
    engine = create_engine(live_postgresql_url)
    try:
        with engine.connect() as connection:
            settings = {
                name: connection.execute(text(f"SHOW {name}")).scalar_one()
                for name in ("listen_addresses", "server_encoding", "password_encryption")
            }
            role = connection.execute(
                text(
                    "SELECT current_user, rolcreatedb, rolsuper, rolcreaterole "
                    "FROM pg_roles WHERE rolname = current_user"
                )
            ).one()
            owner = connection.execute(
                text(
                    "SELECT pg_get_userbyid(datdba) FROM pg_database "
                    "WHERE datname = current_database()"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    assert settings == {
        "listen_addresses": "127.0.0.1",
        "server_encoding": "UTF8",
        "password_encryption": "scram-sha-256",
    }
    assert tuple(role) == ("sohoa", True, False, False)
    assert owner == "sohoa"


def test_postgresql_refuses_a_wrong_password(live_postgresql_url: str) -> None:
    wrong = make_url(live_postgresql_url).set(password="not-the-password")
    engine = create_engine(wrong, connect_args={"connect_timeout": 5})
    try:
        with pytest.raises(OperationalError, match="password authentication failed"):
            engine.connect()
    finally:
        engine.dispose()
