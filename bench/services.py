"""The live Elasticsearch for the search bench: the one `make services` runs on
loopback, started with ``scripts/services.sh start`` when it is not healthy."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from bench.engines import BenchError, run_program
from sohoa.core.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[1]
LIVE_ENV = REPO / ".services" / "live.env"
DEFAULT_URL = "http://127.0.0.1:9200"
BENCH_ALIAS = "sohoa-bench"  # never the alias the tests or a deployment use
HEALTH_WAIT_SECONDS = 120.0


def elasticsearch_url() -> str:
    """``SOHOA_TEST_ES_URL`` from the environment or ``.services/live.env``."""
    if os.environ.get("SOHOA_TEST_ES_URL"):
        return os.environ["SOHOA_TEST_ES_URL"].rstrip("/")
    return _from_live_env("SOHOA_TEST_ES_URL").rstrip("/") or DEFAULT_URL


def postgresql_url() -> str:
    """``SOHOA_TEST_DATABASE_URL`` from ``.services/live.env`` (``make services``), or ""."""
    return _from_live_env("SOHOA_TEST_DATABASE_URL")


def _from_live_env(name: str) -> str:
    """``name``'s value in ``.services/live.env``; "" when the file or the name is missing."""
    if not LIVE_ENV.is_file():
        return ""
    for line in LIVE_ENV.read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        if key.strip() == name and value.strip():
            return value.strip()
    return ""


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_cluster/health?timeout=2s", timeout=5) as answer:
            return json.loads(answer.read())["status"] in ("green", "yellow")
    except (OSError, ValueError, KeyError):
        return False


def elasticsearch_settings(log: Callable[[str], None]) -> Settings | None:
    """Settings for the bench alias on a healthy node, starting the local
    services if needed; None (and a log line) when that fails."""
    url = elasticsearch_url()
    if not healthy(url):
        log(f"Elasticsearch at {url} is down: running scripts/services.sh start")
        try:
            run_program([str(REPO / "scripts" / "services.sh"), "start"], cwd=REPO)
        except BenchError as exc:
            log(f"could not start Elasticsearch, its figures are left out: {exc}")
            return None
        url = elasticsearch_url()
        deadline = time.monotonic() + HEALTH_WAIT_SECONDS
        while not healthy(url):
            if time.monotonic() > deadline:
                log(f"Elasticsearch at {url} did not become healthy; its figures are left out")
                return None
            time.sleep(2)
    return load_settings(index=url, es_index_alias=BENCH_ALIAS)
