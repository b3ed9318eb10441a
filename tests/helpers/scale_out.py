"""An inbox digitized by N Prefect process workers on one work pool, as an
office runs it: a Prefect server, `sohoa deploy`, the workers, one poll.
Shared by tests/flows/test_scale_out.py and bench/scale_out.py."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from sohoa.flows.prefect_processes import PREFECT, prefect_server, process_worker
from sohoa.samples import write_batch
from tests.helpers.pages import small_scan

REPO_ROOT = Path(__file__).resolve().parents[2]
SOHOA = str(Path(sys.executable).with_name("sohoa"))
_STARTED = re.compile(r"Beginning flow run '([^']+)' for flow 'digitize-batch'")
_COMPLETED = re.compile(r"Flow run '([^']+)' - Finished in state Completed")


class ScaleOutError(RuntimeError):
    pass


@dataclass(frozen=True)
class WorkersRun:
    seconds: float  # from the poll to the last batch run completed
    runs_per_worker: list[int]


def fill_inbox(inbox: Path, count: int, first_seed: int, small_pages: bool = False) -> list[str]:
    """``count`` batches of one generated single-page dossier each, or, with
    ``small_pages``, of one strip of text that OCRs in a fraction of a second
    (for tests about who runs what, not about the pages)."""
    names = [f"batch-{number:02d}" for number in range(count)]
    for number, name in enumerate(names):
        if small_pages:
            (inbox / name).mkdir(parents=True)
            small_scan(f"Ho so {first_seed + number}\nlo {name}").save(inbox / name / "hoso.png")
            (inbox / name / "READY").touch()
            continue
        write_batch(inbox / name, count=1, seed=first_seed + number, formats=("png",))
        (inbox / f"{name}.truth.json").unlink()
    return names


def worker_env(site: Path) -> dict[str, str]:
    """Embedded backends under ``site``; the inbox is ``site/inbox``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SOHOA_"))}
    return env | {
        "SOHOA_HOME": str(REPO_ROOT),
        "SOHOA_INBOX": str(site / "inbox"),
        "SOHOA_DATA_DIR": str(site / "data"),
        "SOHOA_QUIET_SECONDS": "0",
        "SOHOA_WORKERS": "1",
        "OMP_THREAD_LIMIT": "1",
        "PREFECT_HOME": str(site / "prefect"),
        "PREFECT_API_AUTH_STRING": secrets.token_urlsafe(16),  # the server's and the workers'
    }


def batch_runs(log: Path) -> tuple[set[str], set[str]]:
    """The digitize-batch runs a worker started, and the flow runs it completed."""
    text = log.read_text() if log.exists() else ""
    return set(_STARTED.findall(text)), set(_COMPLETED.findall(text))


def _wait_for(condition: Callable[[], bool], timeout: float, what: str, logs: list[Path]) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {log}\n{log.read_text()[-2000:]}" for log in logs)
            raise ScaleOutError(f"{what} did not happen in {timeout:g} s\n{tails}")
        time.sleep(1.0)


def digitize_on_workers(site: Path, batches: int, workers: int) -> WorkersRun:
    """Deploy, start ``workers`` process workers, poll once, wait until every
    batch is processed and every batch run completed."""
    env = worker_env(site)
    logs = [site / f"worker-{number}.log" for number in range(workers)]
    processed = site / "processed"

    def all_completed() -> bool:
        started: set[str] = set()
        completed: set[str] = set()
        for log in logs:
            worker_started, worker_completed = batch_runs(log)
            started |= worker_started
            completed |= worker_completed
        return len(started) == batches and started <= completed

    with ExitStack() as stack:
        env["PREFECT_API_URL"] = stack.enter_context(prefect_server(site / "prefect", env))
        deployed = subprocess.run([SOHOA, "deploy"], env=env, capture_output=True, text=True)
        if deployed.returncode != 0:
            raise ScaleOutError(f"sohoa deploy failed: {deployed.stderr}")
        for number, log in enumerate(logs):
            stack.enter_context(process_worker("sohoa", f"worker-{number}", env, log, limit=2))
        started = time.perf_counter()
        poll = [PREFECT, "deployment", "run", "poll-inbox/poll-inbox"]
        subprocess.run(poll, env=env, check=True, capture_output=True)
        _wait_for(
            lambda: processed.is_dir() and len(list(processed.iterdir())) == batches,
            1800,
            f"{batches} batches in processed/",
            logs,
        )
        _wait_for(all_completed, 300, "every batch run to complete", logs)
        seconds = time.perf_counter() - started
    return WorkersRun(round(seconds, 1), [len(batch_runs(log)[0]) for log in logs])
