"""Scale-out on existing engines: a Prefect server with two process workers on
one work pool polling one inbox, and pages run on a local Dask cluster."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from distributed import Client, LocalCluster

from sohoa.flows.prefect_processes import PREFECT, prefect_server, process_worker
from sohoa.samples import write_batch
from sohoa.storage.keys import RECORDS

pytestmark = [pytest.mark.ocr, pytest.mark.slow]

BATCHES = 20
REPO_ROOT = Path(__file__).resolve().parents[2]
SOHOA = str(Path(sys.executable).with_name("sohoa"))
_STARTED = re.compile(r"Beginning flow run '([^']+)' for flow 'digitize-batch'")
_COMPLETED = re.compile(r"Flow run '([^']+)' - Finished in state Completed")


def _batch_runs(log: Path) -> tuple[set[str], set[str]]:
    """The digitize-batch runs a worker started, and the flow runs it completed."""
    text = log.read_text()
    return set(_STARTED.findall(text)), set(_COMPLETED.findall(text))


def _fill_inbox(inbox: Path, count: int, first_seed: int) -> list[str]:
    names = [f"batch-{number:02d}" for number in range(count)]
    for number, name in enumerate(names):
        write_batch(inbox / name, count=1, seed=first_seed + number, formats=("png",))
    return names


def _wait_for(condition: object, timeout: float, what: str, logs: list[Path]) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {log}\n{log.read_text()[-2000:]}" for log in logs)
            pytest.fail(f"{what} did not happen in {timeout:g} s\n{tails}")
        time.sleep(2.0)


def _worker_env(sohoa_home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    return env | {
        "SOHOA_HOME": str(REPO_ROOT),
        "SOHOA_INBOX": str(sohoa_home / "inbox"),
        "SOHOA_DATA_DIR": str(sohoa_home / "data"),
        "SOHOA_QUIET_SECONDS": "0",
        "SOHOA_WORKERS": "1",
        "OMP_THREAD_LIMIT": "1",
        "PREFECT_HOME": str(sohoa_home / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }


def test_two_process_workers_digitize_every_batch_exactly_once(sohoa_home: Path) -> None:
    inbox = sohoa_home / "inbox"
    names = _fill_inbox(inbox, BATCHES, first_seed=300)
    env = _worker_env(sohoa_home)
    logs = [sohoa_home / "worker-a.log", sohoa_home / "worker-b.log"]
    with prefect_server(sohoa_home / "prefect", env) as api_url:
        env["PREFECT_API_URL"] = api_url
        deployed = subprocess.run([SOHOA, "deploy"], env=env, capture_output=True, text=True)
        assert deployed.returncode == 0, deployed.stderr
        with (
            process_worker("sohoa", "worker-a", env, logs[0]),
            process_worker("sohoa", "worker-b", env, logs[1]),
        ):
            poll = [PREFECT, "deployment", "run", "poll-inbox/poll-inbox"]
            subprocess.run(poll, env=env, check=True, capture_output=True)
            processed = sohoa_home / "processed"
            _wait_for(
                lambda: processed.is_dir() and len(list(processed.iterdir())) == BATCHES,
                900,
                f"{BATCHES} batches in processed/",
                logs,
            )
            _wait_for(lambda: _all_completed(logs), 120, "every batch run to complete", logs)

    assert sorted(p.name for p in (sohoa_home / "processed").iterdir()) == names
    assert not (sohoa_home / "quarantine").exists()
    assert not (sohoa_home / "failed").exists()
    records = sorted((sohoa_home / "data" / "objects" / RECORDS).iterdir())
    assert len(records) == BATCHES  # one record per batch, none digitized twice
    assert all((record / "manifest.json").is_file() for record in records)
    assert not list((inbox / ".sohoa-claims").iterdir())
    runs_per_worker = [len(_batch_runs(log)[0]) for log in logs]
    print(f"digitize-batch runs per worker: {runs_per_worker}")
    assert sum(runs_per_worker) == BATCHES  # one run per batch: no batch dispatched twice
    assert min(runs_per_worker) >= 3, runs_per_worker  # the work was spread over both


def _all_completed(logs: list[Path]) -> bool:
    started: set[str] = set()
    completed: set[str] = set()
    for log in logs:
        worker_started, worker_completed = _batch_runs(log)
        started |= worker_started
        completed |= worker_completed
    return len(started) == BATCHES and started <= completed


def test_pages_run_on_a_local_dask_cluster(sohoa_home: Path) -> None:
    inbox = sohoa_home / "inbox"
    write_batch(inbox / "batch-dask", count=4, seed=500, formats=("png",))
    env = _worker_env(sohoa_home) | {"PREFECT_HOME": str(sohoa_home / "prefect-dask")}
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        env["SOHOA_DASK_ADDRESS"] = cluster.scheduler_address
        result = subprocess.run(
            [SOHOA, "ingest", str(inbox), "--json"], env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        executed = client.run(lambda dask_worker: dask_worker.state.executed_count)
    assert len(executed) == 2 and all(count > 0 for count in executed.values()), executed
    records = list((sohoa_home / "data" / "objects" / RECORDS).iterdir())
    assert len(records) == 4
