"""A private Elasticsearch node for one test module: on free loopback ports, from
the distribution `make services` unpacks (tools/elasticsearch-<version>), on the
JDK ``scripts/services.sh es-java-home`` picks, and, as root, as the same
system user the shared node runs as (Elasticsearch refuses root).

Optionally with security on: HTTP over TLS with a certificate signed by a CA the
test made (``tests.helpers.tls``), and users of the file realm. The node can be
stopped and started again on the same ports and data, for outage trials.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from sohoa.flows.prefect_processes import free_port
from tests.helpers.commands import run_or_fail
from tests.helpers.faults import group_members
from tests.helpers.tls import loopback_certificates

REPO = Path(__file__).resolve().parents[2]
ES_VERSION = "9.2.4"
DISTRIBUTION = REPO / "tools" / f"elasticsearch-{ES_VERSION}"
# Where scripts/services.sh copies the distribution when its user cannot read the checkout.
FALLBACK_DISTRIBUTION = Path("/var/lib/sohoa-es") / f"elasticsearch-{ES_VERSION}"
ES_USER = "sohoa-es"  # scripts/services.sh's ES_USER
START_SECONDS = 240
HEAP = "256m"


@dataclass(frozen=True)
class Security:
    """TLS files (in the node's config dir) and the file-realm user to add."""

    ca: Path
    user: str
    password: str
    role: str = "superuser"


def _as_es_user() -> list[str]:
    if os.geteuid() != 0:
        return []
    try:
        subprocess.run(["id", "-u", ES_USER], check=True, capture_output=True)
    except subprocess.CalledProcessError:
        pytest.fail(f"No system user {ES_USER}: run `make services` once", pytrace=False)
    return ["setpriv", f"--reuid={ES_USER}", f"--regid={ES_USER}", "--init-groups", "--"]


def _distribution(as_es: list[str]) -> Path:
    jar = Path("lib") / f"elasticsearch-{ES_VERSION}.jar"
    for home in (DISTRIBUTION, FALLBACK_DISTRIBUTION):
        readable = subprocess.run([*as_es, "test", "-r", str(home / jar)], check=False)
        if readable.returncode == 0:
            return home
    pytest.fail(
        f"No Elasticsearch {ES_VERSION} readable by {ES_USER} in {DISTRIBUTION}: "
        "run `make services` once",
        pytrace=False,
    )


def _java_home() -> str:
    found = subprocess.run(
        ["bash", str(REPO / "scripts" / "services.sh"), "es-java-home"],
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode != 0:
        pytest.fail(f"No JDK for Elasticsearch: {found.stderr.strip()}", pytrace=False)
    return found.stdout.strip()


class ElasticsearchNode:
    """``start()`` waits until the cluster is yellow; ``stop()`` ends every
    process of the node; ``remove()`` also deletes its files."""

    def __init__(self, secure: bool = False) -> None:
        self._as_es = _as_es_user()
        self.es_home = _distribution(self._as_es)
        self.java_home = _java_home()
        # Not under pytest's tmp dirs: those are 0700 root, out of reach of ES_USER.
        self.home = Path(tempfile.mkdtemp(prefix="sohoa-es-node-"))
        self.config = self.home / "config"
        shutil.copytree(self.es_home / "config", self.config)
        for folder in ("data", "logs", "tmp"):
            (self.home / folder).mkdir()
        self.port, transport = free_port(), free_port()
        self.security: Security | None = None
        lines = [
            "cluster.name: sohoa-test",
            f"path.data: {self.home / 'data'}",
            f"path.logs: {self.home / 'logs'}",
            "network.host: 127.0.0.1",
            f"http.port: {self.port}",
            f"transport.port: {transport}",
            "discovery.type: single-node",
            "cluster.routing.allocation.disk.threshold_enabled: false",
        ]
        if secure:
            lines += self._secure()
        else:
            lines.append("xpack.security.enabled: false")
        (self.config / "elasticsearch.yml").write_text("\n".join(lines) + "\n")
        self.home.chmod(0o755)
        if self._as_es:
            subprocess.run(["chown", "-R", f"{ES_USER}:{ES_USER}", str(self.home)], check=True)
        self._server: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.security else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def _secure(self) -> list[str]:
        ca, _, _ = loopback_certificates(self.config / "certs", ca_name="sohoa ES test CA")
        self.security = Security(
            ca=ca, user="sohoa-test", password=base64.b32encode(os.urandom(15)).decode()
        )
        self._tool(
            "elasticsearch-users",
            "useradd",
            self.security.user,
            "-p",
            self.security.password,
            "-r",
            self.security.role,
        )
        return [
            "xpack.security.enabled: true",
            "xpack.security.http.ssl.enabled: true",
            "xpack.security.http.ssl.certificate: certs/public.crt",
            "xpack.security.http.ssl.key: certs/private.key",
            "xpack.security.http.ssl.certificate_authorities: certs/ca.crt",
            "xpack.security.transport.ssl.enabled: false",
            "xpack.security.authc.api_key.enabled: true",
        ]

    def _environment(self) -> dict[str, str]:
        return {
            "PATH": "/usr/bin:/bin",
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "ES_JAVA_HOME": self.java_home,
            "ES_PATH_CONF": str(self.config),
            "ES_TMPDIR": str(self.home / "tmp"),
            "ES_JAVA_OPTS": f"-Xms{HEAP} -Xmx{HEAP}",
        }

    def _tool(self, name: str, *args: str) -> None:
        run_or_fail([str(self.es_home / "bin" / name), *args], self._environment(), name)

    def start(self) -> None:
        log = (self.home / "logs" / "launcher.log").open("ab")
        self._server = subprocess.Popen(
            [*self._as_es, str(self.es_home / "bin" / "elasticsearch")],
            env=self._environment(),
            cwd=self.home / "logs",
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + START_SECONDS
        while not self.healthy():
            if self._server.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"Elasticsearch did not start:\n{self.log_tail()}", pytrace=False)
            time.sleep(1)

    def healthy(self) -> bool:
        request = urllib.request.Request(
            f"{self.url}/_cluster/health?wait_for_status=yellow&timeout=1s"
        )
        context = None
        if self.security:
            context = ssl.create_default_context(cafile=str(self.security.ca))
            pair = f"{self.security.user}:{self.security.password}".encode()
            request.add_header("Authorization", "Basic " + base64.b64encode(pair).decode())
        try:
            with urllib.request.urlopen(request, timeout=5, context=context) as response:
                return b'"timed_out":false' in response.read()
        except (urllib.error.URLError, OSError):
            return False

    def log_tail(self) -> str:
        logs = sorted((self.home / "logs").glob("*.log"))
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in logs)

    def stop(self) -> None:
        """SIGTERM to the node's process group; SIGKILL after a minute."""
        server, self._server = self._server, None
        if server is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while group_members(server.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=60)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)
