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
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import make_url

from sohoa.flows.prefect_processes import PREFECT, prefect_server, process_worker
from sohoa.samples import write_batch
from tests.helpers.databases import fresh_postgresql_database
from tests.helpers.pages import small_scan

REPO_ROOT = Path(__file__).resolve().parents[2]
SOHOA = str(Path(sys.executable).with_name("sohoa"))
_STARTED = re.compile(r"Beginning flow run '([^']+)' for flow '(digitize-batch|poll-inbox)'")
_FINISHED = re.compile(r"Flow run '([^']+)' - Finished in state (\w+)")
_CRASHED = re.compile(r"Reported flow run '([^']+)' as crashed")


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


@contextmanager
def prefect_database(server_url: str) -> Iterator[str]:
    """A fresh database on the PostgreSQL of ``server_url`` (a ``postgresql+psycopg``
    URL whose role may create databases), as the asyncpg URL Prefect's server takes."""
    with fresh_postgresql_database(server_url) as database_url:
        asyncpg = make_url(database_url).set(drivername="postgresql+asyncpg")
        yield asyncpg.render_as_string(hide_password=False)


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


@dataclass(frozen=True)
class WorkerLog:
    """The flow runs one worker started, by flow, and the final state of each that ended."""

    batch_runs: frozenset[str]
    poll_runs: frozenset[str]
    final_states: dict[str, str]

    @classmethod
    def read(cls, log: Path) -> WorkerLog:
        text = log.read_text(errors="replace") if log.exists() else ""
        started = _STARTED.findall(text)
        final_states = dict(_FINISHED.findall(text))
        final_states |= {name: "Crashed" for name in _CRASHED.findall(text)}
        return cls(
            frozenset(name for name, flow in started if flow == "digitize-batch"),
            frozenset(name for name, flow in started if flow == "poll-inbox"),
            final_states,
        )


def _all_runs_ended(logs: list[Path], batches: int) -> tuple[bool, dict[str, str]]:
    """Whether the poll and every batch run it dispatched have ended, and their
    final states. A poll that did not complete dispatches no more runs."""
    read = [WorkerLog.read(log) for log in logs]
    batch_runs = frozenset().union(*(worker.batch_runs for worker in read))
    poll_runs = frozenset().union(*(worker.poll_runs for worker in read))
    final_states = {name: state for worker in read for name, state in worker.final_states.items()}
    poll_states = [final_states.get(name) for name in poll_runs]
    poll_failed = bool(poll_states) and None not in poll_states and "Completed" not in poll_states
    enough = len(batch_runs) >= batches or poll_failed
    return enough and batch_runs <= final_states.keys(), final_states


def _log_tails(logs: list[Path]) -> str:
    return "\n".join(f"--- {log}\n{log.read_text(errors='replace')[-3000:]}" for log in logs)


def digitize_on_workers(
    site: Path,
    batches: int,
    workers: int,
    timeout: float,
    prefect_database_url: str | None = None,
) -> WorkersRun:
    """Deploy, start ``workers`` process workers, poll once, and wait until the
    poll and every batch run it dispatched have ended, or raise after
    ``timeout`` seconds with the workers' logs. Each run must have completed."""
    deadline = time.monotonic() + timeout
    env = worker_env(site)
    logs = [site / f"worker-{number}.log" for number in range(workers)]
    with ExitStack() as stack:
        server = prefect_server(site / "prefect", env, prefect_database_url)
        env["PREFECT_API_URL"] = stack.enter_context(server)
        deployed = subprocess.run([SOHOA, "deploy"], env=env, capture_output=True, text=True)
        if deployed.returncode != 0:
            raise ScaleOutError(f"sohoa deploy failed: {deployed.stderr}")
        for number, log in enumerate(logs):
            stack.enter_context(process_worker("sohoa", f"worker-{number}", env, log, limit=2))
        started = time.perf_counter()
        poll = [PREFECT, "deployment", "run", "poll-inbox/poll-inbox"]
        subprocess.run(poll, env=env, check=True, capture_output=True)
        while not (ended := _all_runs_ended(logs, batches))[0]:
            if time.monotonic() > deadline:
                raise ScaleOutError(
                    f"The poll and {batches} batch runs did not end in {timeout:g} s\n"
                    + _log_tails(logs)
                )
            time.sleep(1.0)
        seconds = time.perf_counter() - started
    final_states = ended[1]
    unfinished = {name: state for name, state in final_states.items() if state != "Completed"}
    if unfinished:
        raise ScaleOutError(f"Runs that did not complete: {unfinished}\n" + _log_tails(logs))
    return WorkersRun(round(seconds, 1), [len(WorkerLog.read(log).batch_runs) for log in logs])
