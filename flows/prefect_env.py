"""Prefect defaults for running offline in ephemeral mode (no server). Must
run before prefect is imported; explicit environment settings win."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DEFAULTS = {
    # The temporary API server needs ~20 s to start on a 2-core machine.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    # Telemetry would try the network and log an ERROR line offline.
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
    # Prefect's client-side usage data (sent to a third party, and a notice on
    # every new terminal); an office's records system sends nothing out.
    "DO_NOT_TRACK": "1",
}


def configure(quiet: bool = False) -> None:
    for name, value in DEFAULTS.items():
        os.environ.setdefault(name, value)
    if not os.environ.get("PREFECT_API_URL"):
        # Prefect's temporary server listens on loopback while a command runs:
        # only this process and its children know the string its API asks for.
        auth = os.environ.get("PREFECT_API_AUTH_STRING") or secrets.token_urlsafe(32)
        os.environ.setdefault("PREFECT_API_AUTH_STRING", auth)
        os.environ.setdefault("PREFECT_SERVER_API_AUTH_STRING", auth)
    if quiet:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # The ephemeral server cannot create its database in a missing folder.
    home = os.environ.get("PREFECT_HOME")
    if home:
        Path(home).expanduser().mkdir(parents=True, exist_ok=True)


@contextmanager
def without_heartbeats() -> Iterator[None]:
    """Flow runs of a command whose end the user sees for themselves send no
    heartbeats. Prefect's heartbeat thread sleeps in 1 s steps and a flow run
    waits for it to wake before it ends: up to 1 s for each of the two runs
    (poll-inbox, digitize-batch) of every ``sohoa ingest``. Deployments keep
    them, for Prefect to tell a crashed run from a long one."""
    from prefect.settings import temporary_settings

    with temporary_settings(updates={"flows.heartbeat_frequency": None}):
        yield
