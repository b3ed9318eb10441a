"""A private MinIO for one test module, on free loopback ports, plain HTTP or
TLS with a CA the test made (``tests.helpers.tls``). It can be stopped and
started again on the same ports and data, for outage trials."""

from __future__ import annotations

import secrets
import subprocess
import time
from pathlib import Path

import pytest

from sohoa.core.settings import Settings, load_settings
from sohoa.flows.prefect_processes import free_port
from sohoa.storage.minio_store import MinioObjectStore
from tests.helpers.tls import loopback_certificates

MINIO_BINARY = Path(__file__).resolve().parents[2] / "tools" / "bin" / "minio"
START_SECONDS = 60
ACCESS_KEY = "sohoa-private"


class MinioNode:
    """``settings`` reach the node's bucket ``bucket``; ``start()`` waits until
    sohoa can set the bucket up, ``stop()`` ends the server."""

    def __init__(self, home: Path, bucket: str, tls: bool = False) -> None:
        if not MINIO_BINARY.exists():
            pytest.fail(
                f"No MinIO binary at {MINIO_BINARY}: run `make services` once", pytrace=False
            )
        self.home = home
        self.ca = loopback_certificates(home / "certs")[0] if tls else None
        self.port, self.console = free_port(), free_port()
        self.secret = secrets.token_hex(16)
        self.settings: Settings = load_settings(
            data_dir=home / "sohoa",
            storage=f"s3://{bucket}",
            s3_endpoint=self.endpoint,
            s3_access_key=ACCESS_KEY,
            s3_secret_key=self.secret,
            s3_secure=tls,
            s3_ca_certs=self.ca,
        )
        self._server: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def environment(self) -> dict[str, str]:
        """The SOHOA_* settings of ``settings``, for a `sohoa` command."""
        env = {
            "SOHOA_STORAGE": self.settings.storage,
            "SOHOA_S3_ENDPOINT": self.endpoint,
            "SOHOA_S3_ACCESS_KEY": ACCESS_KEY,
            "SOHOA_S3_SECRET_KEY": self.secret,
            "SOHOA_S3_SECURE": "true" if self.ca else "false",
        }
        if self.ca:
            env["SOHOA_S3_CA_CERTS"] = str(self.ca)
        return env

    def start(self) -> None:
        env = {"MINIO_ROOT_USER": ACCESS_KEY, "MINIO_ROOT_PASSWORD": self.secret}
        certs = ["--certs-dir", str(self.home / "certs")] if self.ca else []
        listen = ["--address", self.endpoint, "--console-address", f"127.0.0.1:{self.console}"]
        with (self.home / "minio.log").open("ab") as log:
            self._server = subprocess.Popen(
                [str(MINIO_BINARY), "server", str(self.home / "data"), *certs, *listen],
                env={**env, "HOME": str(self.home), "MINIO_UPDATE": "off"},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                MinioObjectStore(self.settings).setup()
                return
            except Exception:
                if self._server.poll() is not None or time.monotonic() > deadline:
                    log_tail = (self.home / "minio.log").read_text(errors="replace")[-2000:]
                    self.stop()
                    pytest.fail(f"MinIO did not start:\n{log_tail}", pytrace=False)
                time.sleep(0.3)

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=30)
