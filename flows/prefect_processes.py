"""A Prefect API server and process workers as child processes, each in its
own process group so that stopping one stops everything it started. Used by
the scale-out tests and the benchmarks; an office runs them as services."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from sohoa.core.errors import SohoaError
from sohoa.flows import prefect_env

PREFECT = str(Path(sys.executable).with_name("prefect"))
SERVER_START_SECONDS = 300.0  # 155 s seen on a shared 2-core machine under load


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=5) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextmanager
def _child(args: list[str], env: Mapping[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as output:
        process = subprocess.Popen(
            args, env=dict(env), stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        _stop_group(process)


@contextmanager
def prefect_server(
    home: Path, env: Mapping[str, str], database_url: str | None = None
) -> Iterator[str]:
    """``prefect server start`` on a free loopback port with its database in
    ``home``, or on PostgreSQL at ``database_url`` (``postgresql+asyncpg://``),
    as an office runs it under several workers: Prefect's SQLite answers
    "database is locked" when many runs report at once. Yields the API URL
    once it answers, and stops it afterwards.

    With ``PREFECT_API_AUTH_STRING`` in ``env`` (give the same to its workers
    and clients), the API refuses every request without it (HTTP 401)."""
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    server_env = {
        **prefect_env.DEFAULTS,
        **env,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_UI_ENABLED": "false",
    }
    server_env.pop("PREFECT_API_URL", None)
    if database_url:
        server_env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = database_url
    server_env.pop("PREFECT_SERVER_API_AUTH_STRING", None)
    if env.get("PREFECT_API_AUTH_STRING"):
        server_env["PREFECT_SERVER_API_AUTH_STRING"] = env["PREFECT_API_AUTH_STRING"]
    args = [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    with _child(args, server_env, home / "server.log") as server:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not _healthy(api_url):
            if server.poll() is not None or time.monotonic() > deadline:
                raise SohoaError(f"The Prefect server did not start; see {home / 'server.log'}")
            time.sleep(1.0)
        yield api_url


@contextmanager
def process_worker(
    pool: str, name: str, env: Mapping[str, str], log: Path, limit: int = 1
) -> Iterator[subprocess.Popen[bytes]]:
    """``prefect worker start`` on ``pool`` (type process): it runs each flow
    run it takes in a new process, at most ``limit`` at a time."""
    args = [PREFECT, "worker", "start", "--pool", pool, "--type", "process"]
    args += ["--name", name, "--limit", str(limit)]
    with _child(args, {**prefect_env.DEFAULTS, **env}, log) as worker:
        yield worker
