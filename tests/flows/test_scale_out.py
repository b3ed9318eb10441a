"""Scale-out on existing engines: a Prefect server with two process workers on
one work pool polling one inbox, and pages run on a local Dask cluster."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from distributed import Client, LocalCluster

from sohoa.samples import write_batch
from sohoa.storage.keys import RECORDS
from tests.helpers.scale_out import (
    SOHOA,
    digitize_on_workers,
    fill_inbox,
    prefect_database,
    worker_env,
)

pytestmark = [pytest.mark.ocr, pytest.mark.slow]

BATCHES = 12  # enough for both workers to race for batches; bench/scale_out.py times 20
# Below pytest's own timeout, so that a stuck run fails with the workers' logs.
WORKERS_TIMEOUT_SECONDS = 500


@pytest.mark.live
def test_two_process_workers_digitize_every_batch_exactly_once(
    sohoa_home: Path, live_postgresql_url: str
) -> None:
    names = fill_inbox(sohoa_home / "inbox", BATCHES, first_seed=300, small_pages=True)

    # The Prefect server on PostgreSQL, as an office runs it under several workers.
    with prefect_database(live_postgresql_url) as database_url:
        run = digitize_on_workers(
            sohoa_home,
            BATCHES,
            workers=2,
            timeout=WORKERS_TIMEOUT_SECONDS,
            prefect_database_url=database_url,
        )

    print(f"{BATCHES} batches in {run.seconds} s; batch runs per worker {run.runs_per_worker}")
    assert sorted(p.name for p in (sohoa_home / "processed").iterdir()) == names
    assert not (sohoa_home / "quarantine").exists()
    assert not (sohoa_home / "failed").exists()
    records = sorted((sohoa_home / "data" / "objects" / RECORDS).iterdir())
    assert len(records) == BATCHES  # one record per batch, none digitized twice
    assert all((record / "manifest.json").is_file() for record in records)
    assert not list((sohoa_home / "inbox" / ".sohoa-claims").iterdir())
    assert sum(run.runs_per_worker) == BATCHES  # one run per batch: none dispatched twice
    assert min(run.runs_per_worker) >= 3, run  # the work was spread over both
    for log in sohoa_home.glob("worker-*.log"):
        assert "| ERROR" not in log.read_text(), log


def test_pages_run_on_a_local_dask_cluster(sohoa_home: Path) -> None:
    inbox = sohoa_home / "inbox"
    write_batch(inbox / "batch-dask", count=4, seed=500, formats=("png",))
    (inbox / "batch-dask.truth.json").unlink()
    env = worker_env(sohoa_home)
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
        executed = client.run(lambda dask_worker: dask_worker.state.executed_count)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert len(executed) == 2 and all(count > 0 for count in executed.values()), executed
    assert len(list((sohoa_home / "data" / "objects" / RECORDS).iterdir())) == 4
