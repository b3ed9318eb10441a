"""A private PostgreSQL for one test module: a cluster of its own (initdb) on a
free loopback port, run as the user scripts/services.sh runs the shared one as
(``postgres`` when root: PostgreSQL refuses root). It can be stopped and
started again on the same port and data, for outage trials."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from sohoa.flows.prefect_processes import free_port
from tests.helpers.commands import run_or_fail

PG_USER = "postgres"  # scripts/services.sh's PG_USER
ROLE = "sohoa"


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not found:
        pytest.fail("PostgreSQL is not installed: run scripts/bootstrap.sh system", pytrace=False)
    return found[-1].parent


class PostgresNode:
    """``url`` reaches database ``sohoa`` as role ``sohoa`` (password auth over TCP)."""

    def __init__(self) -> None:
        self.bin = _pg_bin()
        root = os.geteuid() == 0
        self._as_pg = ["setpriv", f"--reuid={PG_USER}", f"--regid={PG_USER}", "--init-groups", "--"]
        if not root:
            self._as_pg = []
        # Not under pytest's tmp dirs: those are 0700 root, out of reach of PG_USER.
        self.home = Path(tempfile.mkdtemp(prefix="sohoa-pg-node-"))
        self.home.chmod(0o755)
        self.data = self.home / "data"
        if root:
            shutil.chown(self.home, PG_USER, PG_USER)
        self.port = free_port()
        self.superuser = PG_USER if root else subprocess.getoutput("id -un")
        password = secrets.token_hex(16)
        self.url = f"postgresql+psycopg://{ROLE}:{password}@127.0.0.1:{self.port}/{ROLE}"
        self._run(
            "initdb", "-D", str(self.data), f"--username={self.superuser}", "--encoding=UTF8",
            "--locale=C.UTF-8", "--auth-local=peer", "--auth-host=scram-sha-256",
        )  # fmt: skip
        settings = [
            "listen_addresses = '127.0.0.1'",
            f"port = {self.port}",
            f"unix_socket_directories = '{self.data}'",
            "fsync = off",  # a test cluster: speed over durability across a power cut
        ]
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n".join(settings) + "\n")
        self.start()
        self._run(
            "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(self.data), "-p", str(self.port),
            "-U", self.superuser, "-d", "postgres",
            "-c", f"CREATE ROLE {ROLE} LOGIN PASSWORD '{password}'",
            "-c", f"CREATE DATABASE {ROLE} OWNER {ROLE}",
        )  # fmt: skip

    def _run(self, tool: str, *args: str) -> None:
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(self.home)}
        run_or_fail([*self._as_pg, str(self.bin / tool), *args], env, f"PostgreSQL {tool}")

    def start(self) -> None:
        """Start the server; pg_ctl -w returns once it accepts connections."""
        log = self.home / "postgres.log"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(log), "-w", "-t", "60", "start")

    def stop(self) -> None:
        """Fast shutdown: clients are disconnected at once."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.home, ignore_errors=True)
