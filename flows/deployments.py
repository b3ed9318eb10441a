"""``sohoa deploy``: the work pool and the deployments of prefect.yaml on the
Prefect server named by PREFECT_API_URL, after the settings every worker
needs have been checked, so that no deployment can take a wrong folder for
the inbox."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.exceptions import ObjectAlreadyExists

from sohoa.app import backends
from sohoa.app.intake import open_inbox
from sohoa.core.errors import ConfigurationError
from sohoa.flows.prefect_processes import PREFECT

WORK_POOL = "sohoa"  # prefect.yaml's work pool


def sohoa_home() -> Path:
    """The checkout or install folder holding prefect.yaml and flows/."""
    configured = os.environ.get("SOHOA_HOME", "")
    home = Path(configured or Path(__file__).resolve().parents[1]).absolute()
    if not (home / "prefect.yaml").is_file() or not (home / "flows" / "digitize.py").is_file():
        raise ConfigurationError(
            f"SOHOA_HOME={home} does not hold prefect.yaml and flows/digitize.py; "
            "set SOHOA_HOME to the sohoa checkout."
        )
    return home


def check_worker_settings() -> Path:
    """What a worker needs, checked before anything is deployed: a Prefect
    server, the code, a marked inbox and valid sohoa settings."""
    if not os.environ.get("PREFECT_API_URL"):
        raise ConfigurationError(
            "PREFECT_API_URL is not set: deployments live on a running Prefect server "
            "(`prefect server start`), not on a temporary one."
        )
    home = sohoa_home()
    open_inbox(os.environ.get("SOHOA_INBOX", ""), mark=False)
    backends.settings()
    return home


def ensure_work_pool(name: str = WORK_POOL) -> bool:
    """Create the process work pool unless it exists; True when created."""
    with get_client(sync_client=True) as client:
        try:
            client.create_work_pool(WorkPoolCreate(name=name, type="process"))
        except ObjectAlreadyExists:
            return False
    return True


def deploy_all() -> list[str]:
    """Check the settings, make the work pool, deploy every prefect.yaml entry;
    returns the deployment names."""
    home = check_worker_settings()
    ensure_work_pool()
    env = {**os.environ, "SOHOA_HOME": str(home)}
    result = subprocess.run(
        [PREFECT, "--no-prompt", "deploy", "--all"],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()[-1500:]
        raise ConfigurationError(f"`prefect deploy --all` failed:\n{output}")
    with get_client(sync_client=True) as client:
        return sorted(d.name for d in client.read_deployments())
